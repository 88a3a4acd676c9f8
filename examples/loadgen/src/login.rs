//! `login`: a login storm, and what it does to chat latency meanwhile.

use std::time::Instant;

use futures_util::{StreamExt, stream};
use serde::Serialize;

use crate::fanout::{self, FanoutOptions};
use crate::report::{Latency, histogram};
use crate::users::{self, VUser};

/// What happened.
#[derive(Debug, Clone, Serialize)]
pub struct LoginReport {
    /// Logins attempted.
    pub logins: usize,
    /// At once.
    pub concurrency: usize,
    /// Logins that failed.
    pub failed: usize,
    /// Successful logins per second.
    pub logins_per_sec: f64,
    /// Login latency.
    pub latency: Latency,
    /// Chat p99 with no storm.
    pub chat_p99_alone_ms: f64,
    /// Chat p99 during the storm.
    pub chat_p99_during_ms: f64,
    /// During / alone.
    pub chat_p99_ratio: f64,
}

/// Runs the chat scenario alone, then again during `logins` logins at
/// `concurrency` (cycling through `storm_users`).
pub async fn run(
    chat: &FanoutOptions,
    chat_users: &[VUser],
    storm_users: &[VUser],
    logins: usize,
    concurrency: usize,
) -> anyhow::Result<LoginReport> {
    let alone = fanout::run(chat, chat_users).await?;
    let http = reqwest::Client::new();
    let started = Instant::now();
    let storm = async {
        let results = stream::iter(0..logins)
            .map(|i| {
                let http = http.clone();
                let name = storm_users[i % storm_users.len()].username.clone();
                let base = chat.base.clone();
                async move {
                    let t = Instant::now();
                    users::login(&http, &base, &name).await.map(|_| t.elapsed())
                }
            })
            .buffer_unordered(concurrency)
            .collect::<Vec<_>>()
            .await;
        (results, started.elapsed().as_secs_f64())
    };
    let ((results, elapsed), during) = tokio::join!(storm, fanout::run(chat, chat_users));
    let during = during?;
    let mut h = histogram();
    let mut failed = 0;
    for r in &results {
        match r {
            Ok(d) => {
                let _ = h.record(d.as_micros().max(1) as u64);
            }
            Err(_) => failed += 1,
        }
    }
    Ok(LoginReport {
        logins,
        concurrency,
        failed,
        logins_per_sec: (logins - failed) as f64 / elapsed,
        latency: Latency::of(&h),
        chat_p99_alone_ms: alone.latency.p99_ms,
        chat_p99_during_ms: during.latency.p99_ms,
        chat_p99_ratio: during.latency.p99_ms / alone.latency.p99_ms.max(0.001),
    })
}
