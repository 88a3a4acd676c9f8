//! What the service measures, through the [`metrics`](https://docs.rs/metrics)
//! facade.
//!
//! Recording is off until the host installs a recorder (for example
//! `metrics-exporter-prometheus`, as the example server does behind
//! `--metrics-addr`); without one every call below is a no-op. The names
//! are constants so that a host can configure them (histogram buckets,
//! descriptions) without spelling them again.

use std::future::Future;
use std::time::Instant;

/// Counter: messages stored (retries of a stored `client_id` not counted).
pub const MESSAGES_POSTED: &str = "messenger_messages_posted_total";
/// Counter: message frames written to sockets (live, history catch-ups and
/// resyncs).
pub const MESSAGES_DELIVERED: &str = "messenger_messages_delivered_total";
/// Gauge: WebSocket connections open.
pub const SOCKETS_OPEN: &str = "messenger_sockets_open";
/// Gauge: rooms joined, summed over open sockets.
pub const ROOMS_SUBSCRIBED: &str = "messenger_rooms_subscribed";
/// Counter: a socket fell behind its room and was refilled from the store.
pub const RESYNCS: &str = "messenger_resyncs_total";
/// Counter: sockets closed with 1013 because they could not keep up.
pub const SLOW_CLIENT_CLOSES: &str = "messenger_slow_client_closes_total";
/// Histogram, label `op`: seconds one store call took.
pub const STORE_SECONDS: &str = "messenger_store_seconds";
/// Counter: logins refused for a wrong name or password.
pub const LOGIN_FAILURES: &str = "messenger_login_failures_total";
/// Counter, label `limit` (`send`, `login`, `register`): requests refused by
/// a rate limit.
pub const RATE_LIMITED: &str = "messenger_rate_limited_total";
/// Gauge: password hashes waiting for a hashing thread.
pub const HASHING_QUEUE: &str = "messenger_hashing_queue";
/// Histogram: seconds from asking for a hash to getting it (queue included).
pub const HASHING_SECONDS: &str = "messenger_hashing_seconds";

/// The histograms, for a host that sets their buckets.
pub const HISTOGRAMS: [&str; 2] = [STORE_SECONDS, HASHING_SECONDS];

/// Awaits one store call, recording its duration under `op`.
pub(crate) async fn store_call<T>(op: &'static str, call: impl Future<Output = T>) -> T {
    let start = Instant::now();
    let out = call.await;
    ::metrics::histogram!(STORE_SECONDS, "op" => op).record(start.elapsed());
    out
}

/// Counts one refusal by the rate limit `limit`.
pub fn rate_limited(limit: &'static str) {
    ::metrics::counter!(RATE_LIMITED, "limit" => limit).increment(1);
}
