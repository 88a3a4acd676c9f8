//! What a reader that stops reading costs the server: one socket joins
//! the room and never reads again while another posts large messages into
//! it; the server's RSS is sampled throughout. Run with `stalled: false`
//! for the same traffic with no stalled socket: the difference is the
//! stalled socket's own cost, the rest is the room's (its broadcast ring,
//! the store's caches).

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::client::connect_and_join;
use crate::process::rss_kib;
use crate::users::VUser;

/// What [`run`] does.
#[derive(Debug, Clone)]
pub struct StallOptions {
    /// Server base URL.
    pub base: String,
    /// Room to use.
    pub room: String,
    /// Messages to post.
    pub messages: usize,
    /// Bytes per message body.
    pub bytes: usize,
    /// Whether a socket stalls (the control run has none).
    pub stalled: bool,
    /// The server's pid, for its RSS.
    pub server_pid: u32,
}

/// The server's memory over a run.
#[derive(Debug, Serialize)]
pub struct StallReport {
    /// Whether a socket stalled.
    pub stalled: bool,
    /// Bytes of message bodies posted.
    pub posted_bytes: usize,
    /// RSS before the traffic, KiB.
    pub rss_before_kib: u64,
    /// Highest RSS sampled during the traffic, KiB.
    pub rss_peak_kib: u64,
    /// RSS once the stalled socket was closed (or the traffic ended), KiB.
    pub rss_after_kib: u64,
    /// Seconds from the last post until the server closed the stalled
    /// socket (`None`: not closed within 30 s, or none stalled).
    pub closed_after_s: Option<f64>,
}

/// Runs the scenario with `users[0]` posting and `users[1]` stalling.
pub async fn run(opts: &StallOptions, users: &[VUser]) -> anyhow::Result<StallReport> {
    let rss = || rss_kib(opts.server_pid).unwrap_or(0);
    let poster = connect_and_join(&opts.base, &users[0].token, &opts.room).await?;
    let stalled = if opts.stalled {
        Some(connect_and_join(&opts.base, &users[1].token, &opts.room).await?)
    } else {
        None
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss();
    let mut peak = before;
    let body = "x".repeat(opts.bytes.saturating_sub(8));
    let (mut sink, mut stream) = poster.split();
    // The poster reads its own echoes so that only the stalled one stalls.
    let reader = tokio::spawn(async move {
        let mut acks = 0usize;
        while let Some(Ok(m)) = stream.next().await {
            if let Message::Text(t) = m
                && t.contains("\"type\":\"message\"")
            {
                acks += 1;
            }
        }
        acks
    });
    for i in 0..opts.messages {
        let frame = json!({
            "type": "send",
            "room": opts.room,
            "body": format!("{i:07} {body}"),
            "client_id": format!("stall-{i}"),
        });
        sink.send(Message::text(frame.to_string())).await?;
        if i % 100 == 0 {
            peak = peak.max(rss());
            // Stay under the send limit's burst when it is on.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let last_post = Instant::now();
    let mut closed_after_s = None;
    if let Some(mut ws) = stalled {
        // Now read: the server has closed it if it gave up on it.
        let deadline = last_post + Duration::from_secs(30);
        loop {
            peak = peak.max(rss());
            match tokio::time::timeout(Duration::from_millis(200), ws.next()).await {
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => {
                    closed_after_s = Some(last_post.elapsed().as_secs_f64());
                    break;
                }
                Ok(Some(Ok(_))) => {
                    // Draining what was buffered: the socket was not closed.
                }
                Err(_) if Instant::now() > deadline => break,
                Err(_) => {}
            }
        }
    } else {
        for _ in 0..20 {
            peak = peak.max(rss());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let _ = sink.close().await;
    reader.abort();
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(StallReport {
        stalled: opts.stalled,
        posted_bytes: opts.messages * opts.bytes,
        rss_before_kib: before,
        rss_peak_kib: peak,
        rss_after_kib: rss(),
        closed_after_s,
    })
}
