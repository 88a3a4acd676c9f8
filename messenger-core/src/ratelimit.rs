//! Per-key limits. Send and registration rates live in the memory of one
//! node (behind a load balancer every node enforces them on its own share
//! of the traffic); failed logins are counted through a [`FailureCounter`],
//! which a cluster shares.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

use crate::config::{FailureLimit, Rate};

/// A token bucket per key (messages per user, registrations per address).
#[derive(Debug)]
pub struct KeyedRate<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
}

impl<K: Hash + Eq + Clone> KeyedRate<K> {
    /// A bucket of `rate.burst` refilled at `rate.per_second`.
    pub fn new(rate: Rate) -> Self {
        Self::with_quota(Quota::per_second(rate.per_second).allow_burst(rate.burst))
    }

    /// A bucket with any governor quota (e.g. per hour).
    pub fn with_quota(quota: Quota) -> Self {
        Self {
            limiter: RateLimiter::keyed(quota),
        }
    }

    /// Takes one token for `key`, or says how long until one is available.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        self.limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))?;
        // Forget idle keys now and then so memory follows active keys only.
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        Ok(())
    }
}

/// Counts failures per key in a fixed window: after `max` failures, `check`
/// refuses until the window that began with the first failure ends.
#[derive(Debug)]
pub struct FailureLimiter<K: Hash + Eq> {
    limit: FailureLimit,
    failures: Mutex<HashMap<K, (u32, Instant)>>,
}

impl<K: Hash + Eq> FailureLimiter<K> {
    /// A limiter allowing `limit.max` failures per `limit.window`.
    pub fn new(limit: FailureLimit) -> Self {
        Self {
            limit,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(retry_after)` while `key` has used up its failures.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match failures.get(key) {
            Some(&(count, since)) if count >= self.limit.max => {
                let ends = since + self.limit.window;
                let now = Instant::now();
                if ends > now { Err(ends - now) } else { Ok(()) }
            }
            _ => Ok(()),
        }
    }

    /// Records one failure for `key`.
    pub fn record_failure(&self, key: K) {
        let now = Instant::now();
        let window = self.limit.window;
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() > 10_000 {
            failures.retain(|_, (_, since)| *since + window > now);
        }
        let entry = failures.entry(key).or_insert((0, now));
        if entry.1 + window <= now {
            *entry = (0, now);
        }
        entry.0 += 1;
    }
}

/// Failed attempts counted per key in a fixed window, shared by whatever
/// counts them: this process ([`LocalFailures`]), or every node of a
/// cluster (Redis). `scope` separates the limits (failed logins per
/// username, per client address).
#[async_trait::async_trait]
pub trait FailureCounter: Send + Sync + 'static {
    /// `Err(retry_after)` while `key` has used up `limit.max` failures in
    /// the window that began with its first failure.
    async fn check(&self, scope: &str, key: &str, limit: FailureLimit) -> Result<(), Duration>;

    /// Records one failure for `key`.
    async fn record_failure(&self, scope: &str, key: &str, limit: FailureLimit);
}

/// [`FailureCounter`] in this process's memory (the default).
#[derive(Debug, Default)]
pub struct LocalFailures {
    failures: Mutex<HashMap<(String, String), (u32, Instant)>>,
}

impl LocalFailures {
    /// Nothing counted yet.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait::async_trait]
impl FailureCounter for LocalFailures {
    async fn check(&self, scope: &str, key: &str, limit: FailureLimit) -> Result<(), Duration> {
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match failures.get(&(scope.to_owned(), key.to_owned())) {
            Some(&(count, since)) if count >= limit.max => {
                let ends = since + limit.window;
                let now = Instant::now();
                if ends > now { Err(ends - now) } else { Ok(()) }
            }
            _ => Ok(()),
        }
    }

    async fn record_failure(&self, scope: &str, key: &str, limit: FailureLimit) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() > 10_000 {
            failures.retain(|_, (_, since)| *since + limit.window > now);
        }
        let entry = failures
            .entry((scope.to_owned(), key.to_owned()))
            .or_insert((0, now));
        if entry.1 + limit.window <= now {
            *entry = (0, now);
        }
        entry.0 += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;

    #[test]
    fn keyed_rate_allows_the_burst_then_refuses_per_key() {
        let r = KeyedRate::new(Rate {
            per_second: NonZeroU32::new(1).unwrap(),
            burst: NonZeroU32::new(3).unwrap(),
        });
        for _ in 0..3 {
            r.check(&"a").unwrap();
        }
        let wait = r.check(&"a").unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1));
        r.check(&"b").unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn failures_lock_out_until_the_window_ends() {
        let l = FailureLimiter::new(FailureLimit {
            max: 2,
            window: Duration::from_secs(60),
        });
        l.check(&"k").unwrap();
        l.record_failure("k");
        l.check(&"k").unwrap();
        l.record_failure("k");
        let wait = l.check(&"k").unwrap_err();
        assert_eq!(wait, Duration::from_secs(60));
        assert!(l.check(&"other").is_ok());
        tokio::time::advance(Duration::from_secs(61)).await;
        l.check(&"k").unwrap();
        l.record_failure("k");
        l.check(&"k").unwrap();
    }
}
