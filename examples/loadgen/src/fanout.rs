//! `fanout`: C clients in one room, S of them send M messages each; every
//! client must receive every message once, in order. With a reaction mix,
//! some of each sender's M are reactions instead (on v2 sockets): every
//! client must then also receive every reaction once, in change order.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::{SinkExt, StreamExt, stream};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;

use crate::client::connect_and_join_speaking;
use crate::report::{Latency, histogram};
use crate::users::VUser;

/// What to run.
#[derive(Debug, Clone)]
pub struct FanoutOptions {
    /// Server base URL (`http://host:port`), or several comma-separated:
    /// client i connects to the (i mod n)-th.
    pub base: String,
    /// Clients in the room.
    pub clients: usize,
    /// How many of them send.
    pub senders: usize,
    /// Messages per sender.
    pub messages: usize,
    /// Messages per second per sender; `None` = as fast as the window allows.
    pub rate: Option<f64>,
    /// Most messages a sender has in flight (sent, own echo not yet back).
    pub window: u64,
    /// Room.
    pub room: String,
    /// Give up when nothing arrives for this long.
    pub idle_timeout: Duration,
    /// Percent of each sender's M that are reactions (toggling the
    /// sender's 👍 on its own first message) rather than posts; above 0 the
    /// clients speak v2, which carries reactions.
    pub react_percent: u32,
}

impl FanoutOptions {
    /// Whether a sender's `seq`-th item is a reaction: spread evenly, never
    /// the first (the message reacted to).
    fn is_reaction(&self, seq: usize) -> bool {
        let p = self.react_percent as usize;
        seq > 0 && seq * p / 100 != (seq + 1) * p / 100
    }

    /// How many of a sender's items are reactions.
    fn reactions(&self) -> usize {
        (0..self.messages).filter(|s| self.is_reaction(*s)).count()
    }
}

/// What happened.
#[derive(Debug, Clone, Serialize)]
pub struct FanoutReport {
    /// Clients.
    pub clients: usize,
    /// Senders.
    pub senders: usize,
    /// Messages per sender.
    pub messages: usize,
    /// Of each sender's messages, how many were reactions.
    pub reactions: usize,
    /// Deliveries expected (clients × senders × messages, reactions included).
    pub expected: u64,
    /// Distinct deliveries.
    pub delivered: u64,
    /// Expected but never delivered.
    pub lost: u64,
    /// Delivered more than once.
    pub duplicated: u64,
    /// Delivered out of id order, or out of a sender's order.
    pub out_of_order: u64,
    /// `error` frames received.
    pub errors: u64,
    /// From the first send to the last delivery.
    pub seconds: f64,
    /// Distinct deliveries per second.
    pub delivered_per_sec: f64,
    /// Send-to-delivery latency.
    pub latency: Latency,
}

#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type")]
    ty: &'a str,
    #[serde(borrow)]
    message: Option<Msg<'a>>,
    /// On a `changed` frame: the answer to one's own request.
    client_id: Option<&'a str>,
}

#[derive(Deserialize)]
struct Msg<'a> {
    id: u64,
    body: &'a str,
    #[serde(default)]
    rev: u64,
}

struct Receiver {
    delivered: u64,
    duplicated: u64,
    out_of_order: u64,
    errors: u64,
    latency: Histogram<u64>,
    last_delivery: Option<Instant>,
}

impl Receiver {
    fn new() -> Self {
        Self {
            delivered: 0,
            duplicated: 0,
            out_of_order: 0,
            errors: 0,
            latency: histogram(),
            last_delivery: None,
        }
    }
}

/// Runs the scenario with `users` (at least `clients` of them).
pub async fn run(opts: &FanoutOptions, users: &[VUser]) -> anyhow::Result<FanoutReport> {
    anyhow::ensure!(users.len() >= opts.clients, "need {} users", opts.clients);
    anyhow::ensure!(
        opts.senders <= opts.clients,
        "senders must be among the clients"
    );
    let bases: Vec<&str> = opts
        .base
        .split(',')
        .map(|b| b.trim_end_matches('/'))
        .collect();
    let v2 = opts.react_percent > 0;
    let sockets: Vec<_> = stream::iter(users[..opts.clients].iter().enumerate())
        .map(|(i, u)| connect_and_join_speaking(bases[i % bases.len()], &u.token, &opts.room, v2))
        .buffered(64)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .context("connecting the clients")?;

    let run: u32 = rand::random();
    let epoch = Instant::now();
    let reactions = opts.reactions();
    let per_receiver = (opts.senders * opts.messages) as u64;
    let acked: Arc<Vec<AtomicU64>> =
        Arc::new((0..opts.senders).map(|_| AtomicU64::new(0)).collect());
    // Each sender's first message: the one it reacts to.
    let first_ids: Arc<Vec<AtomicU64>> =
        Arc::new((0..opts.senders).map(|_| AtomicU64::new(0)).collect());
    let ack_notify: Arc<Vec<Notify>> = Arc::new((0..opts.senders).map(|_| Notify::new()).collect());
    let prefix = format!("lg {run} ");

    let mut sinks = Vec::new();
    let mut receivers = Vec::new();
    for (i, ws) in sockets.into_iter().enumerate() {
        let (sink, mut stream) = ws.split();
        if i < opts.senders {
            sinks.push(sink);
        }
        let (acked, ack_notify, prefix) = (acked.clone(), ack_notify.clone(), prefix.clone());
        let first_ids = first_ids.clone();
        let (senders, messages, idle) = (opts.senders, opts.messages, opts.idle_timeout);
        let opts = opts.clone();
        receivers.push(tokio::spawn(async move {
            let mut r = Receiver::new();
            let mut seen = vec![vec![false; messages]; senders];
            let mut next_seq = vec![0usize; senders];
            let mut last_id = 0u64;
            let mut last_rev = 0u64;
            while r.delivered < per_receiver {
                let Ok(Some(Ok(msg))) = tokio::time::timeout(idle, stream.next()).await else {
                    break;
                };
                let Message::Text(text) = msg else { continue };
                let Ok(frame) = serde_json::from_str::<Frame<'_>>(&text) else {
                    continue;
                };
                if frame.ty == "error" {
                    r.errors += 1;
                    continue;
                }
                if frame.ty == "changed" {
                    let Some(m) = frame.message else { continue };
                    if let Some(cid) = frame.client_id {
                        // The answer to this socket's own reaction: an ack.
                        let mut parts = cid.rsplit('-').map(|p| p.parse::<u64>().ok());
                        if let (Some(Some(seq)), Some(Some(s))) = (parts.next(), parts.next())
                            && s as usize == i
                        {
                            acked[i].fetch_max(seq + 1, Ordering::Relaxed);
                            ack_notify[i].notify_one();
                        }
                        continue;
                    }
                    // The room's stream: every change once, in change order
                    // (counted from the first one seen: the room may have
                    // changes from earlier runs).
                    if last_rev > 0 && m.rev <= last_rev {
                        r.duplicated += 1;
                        continue;
                    }
                    if last_rev > 0 && m.rev != last_rev + 1 {
                        r.out_of_order += 1;
                    }
                    last_rev = m.rev;
                    r.delivered += 1;
                    r.last_delivery = Some(Instant::now());
                    continue;
                }
                let Some(m) = frame.message.filter(|_| frame.ty == "message") else {
                    continue;
                };
                let Some(rest) = m.body.strip_prefix(prefix.as_str()) else {
                    continue;
                };
                let mut parts = rest
                    .split(' ')
                    .map(|p| p.parse::<u64>().unwrap_or(u64::MAX));
                let (Some(s), Some(seq), Some(t)) = (parts.next(), parts.next(), parts.next())
                else {
                    continue;
                };
                let (s, seq) = (s as usize, seq as usize);
                if s >= senders || seq >= messages {
                    continue;
                }
                let now = Instant::now();
                if m.id <= last_id || seq < next_seq[s] && !seen[s][seq] || seq > next_seq[s] {
                    r.out_of_order += 1;
                }
                last_id = last_id.max(m.id);
                if seen[s][seq] {
                    r.duplicated += 1;
                    continue;
                }
                seen[s][seq] = true;
                // A sender's reactions take seqs no message has.
                let mut next = seq + 1;
                while opts.is_reaction(next) {
                    next += 1;
                }
                next_seq[s] = next_seq[s].max(next);
                r.delivered += 1;
                r.last_delivery = Some(now);
                let sent_us = t;
                let now_us = now.duration_since(epoch).as_micros() as u64;
                let _ = r.latency.record(now_us.saturating_sub(sent_us).max(1));
                if i == s {
                    if seq == 0 {
                        first_ids[s].store(m.id, Ordering::Relaxed);
                    }
                    acked[s].fetch_max(seq as u64 + 1, Ordering::Relaxed);
                    ack_notify[s].notify_one();
                }
            }
            r
        }));
    }

    let started = Instant::now();
    let mut send_tasks = Vec::new();
    for (s, mut sink) in sinks.into_iter().enumerate() {
        let opts = opts.clone();
        let (acked, ack_notify, prefix) = (acked.clone(), ack_notify.clone(), prefix.clone());
        let first_ids = first_ids.clone();
        send_tasks.push(tokio::spawn(async move {
            let mut reacted = 0u64;
            for seq in 0..opts.messages {
                match opts.rate {
                    Some(rate) => {
                        // Senders are spread evenly over the period, so the
                        // room sees a steady rate rather than bursts of S.
                        let phase = s as f64 / opts.senders as f64;
                        let at = started + Duration::from_secs_f64((seq as f64 + phase) / rate);
                        tokio::time::sleep_until(at.into()).await;
                    }
                    None => {
                        while seq as u64 >= acked[s].load(Ordering::Relaxed) + opts.window {
                            let wait = ack_notify[s].notified();
                            if tokio::time::timeout(opts.idle_timeout, wait).await.is_err() {
                                return anyhow::Ok(());
                            }
                        }
                    }
                }
                let t = epoch.elapsed().as_micros() as u64;
                let client_id = format!("{prefix}{s}-{seq}").replace(' ', "-");
                let frame = if opts.is_reaction(seq) {
                    // Toggled, so that each one is a change the room hears.
                    let id = loop {
                        let id = first_ids[s].load(Ordering::Relaxed);
                        if id > 0 {
                            break id;
                        }
                        let wait = ack_notify[s].notified();
                        if tokio::time::timeout(opts.idle_timeout, wait).await.is_err() {
                            return anyhow::Ok(());
                        }
                    };
                    reacted += 1;
                    json!({
                        "type": "react",
                        "room": opts.room,
                        "id": id,
                        "key": "👍",
                        "on": reacted % 2 == 1,
                        "client_id": client_id,
                    })
                } else {
                    json!({
                        "type": "send",
                        "room": opts.room,
                        "body": format!("{prefix}{s} {seq} {t}"),
                        "client_id": client_id,
                    })
                };
                sink.send(Message::text(frame.to_string())).await?;
            }
            // Keep the socket open until the receivers are done.
            std::future::pending::<()>().await;
            Ok(())
        }));
    }

    let mut total = Receiver::new();
    for r in receivers {
        let r = r.await?;
        total.delivered += r.delivered;
        total.duplicated += r.duplicated;
        total.out_of_order += r.out_of_order;
        total.errors += r.errors;
        total.latency.add(&r.latency)?;
        total.last_delivery = total.last_delivery.max(r.last_delivery);
    }
    for t in send_tasks {
        t.abort();
    }
    let expected = per_receiver * opts.clients as u64;
    let seconds = total
        .last_delivery
        .map_or(0.0, |l| l.duration_since(started).as_secs_f64());
    Ok(FanoutReport {
        clients: opts.clients,
        senders: opts.senders,
        messages: opts.messages,
        reactions,
        expected,
        delivered: total.delivered,
        lost: expected - total.delivered,
        duplicated: total.duplicated,
        out_of_order: total.out_of_order,
        errors: total.errors,
        seconds,
        delivered_per_sec: if seconds > 0.0 {
            total.delivered as f64 / seconds
        } else {
            0.0
        },
        latency: Latency::of(&total.latency),
    })
}
