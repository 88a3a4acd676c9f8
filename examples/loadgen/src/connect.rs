//! `connect`: hold many idle authenticated sockets and measure what each
//! costs the server in memory.

use std::time::{Duration, Instant};

use futures_util::{StreamExt, stream};
use serde::Serialize;

use crate::client::connect_and_join;
use crate::process::rss_kib;
use crate::users::VUser;

/// What happened.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectReport {
    /// Sockets asked for.
    pub sockets: usize,
    /// Sockets connected and joined.
    pub connected: usize,
    /// Sockets that failed.
    pub failures: usize,
    /// Connected sockets per second.
    pub connect_per_sec: f64,
    /// Server RSS before, in KiB (when `--server-pid` was given).
    pub rss_before_kib: Option<u64>,
    /// Server RSS with every socket held, in KiB.
    pub rss_after_kib: Option<u64>,
    /// (after - before) / connected.
    pub bytes_per_socket: Option<u64>,
}

/// Opens `sockets` sockets (cycling through `users`), each joined to
/// `room`, holds them `hold`, then closes them.
pub async fn run(
    base: &str,
    users: &[VUser],
    sockets: usize,
    room: &str,
    hold: Duration,
    server_pid: Option<u32>,
) -> anyhow::Result<ConnectReport> {
    let rss_before = server_pid.and_then(rss_kib);
    let started = Instant::now();
    let results: Vec<_> = stream::iter(0..sockets)
        .map(|i| connect_and_join(base, &users[i % users.len()].token, room))
        .buffer_unordered(128)
        .collect()
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    let failures = results.iter().filter(|r| r.is_err()).count();
    if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
        eprintln!("first failure: {e:#}");
    }
    let held: Vec<_> = results.into_iter().filter_map(Result::ok).collect();
    // Let the server settle (presence diffs, buffers) before measuring.
    tokio::time::sleep(hold.min(Duration::from_secs(3))).await;
    let rss_after = server_pid.and_then(rss_kib);
    tokio::time::sleep(hold.saturating_sub(Duration::from_secs(3))).await;
    let connected = held.len();
    drop(held);
    Ok(ConnectReport {
        sockets,
        connected,
        failures,
        connect_per_sec: connected as f64 / elapsed,
        rss_before_kib: rss_before,
        rss_after_kib: rss_after,
        bytes_per_socket: match (rss_before, rss_after) {
            (Some(b), Some(a)) if connected > 0 => {
                Some(a.saturating_sub(b) * 1024 / connected as u64)
            }
            _ => None,
        },
    })
}
