//! Per-key limits, behind two seams a cluster shares: [`RateCounter`] (token
//! buckets: messages per user, registrations per address, typing events per
//! user and room) and [`FailureCounter`] (failed logins). The defaults count
//! in this process's memory; a cluster counts on Redis.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::{FailureLimit, RateQuota};

/// Token buckets per key, shared by whatever counts them: this process
/// ([`LocalRates`]) or every node of a cluster (Redis). `scope` separates
/// the limits (`send`, `register`, `typing`).
///
/// The algorithm is GCRA, the token bucket kept as one time per key (when
/// the bucket will be full again): the same arithmetic in memory and in a
/// Redis script, so a node that falls back to memory limits the same way.
#[async_trait::async_trait]
pub trait RateCounter: Send + Sync + 'static {
    /// Takes one token of `key`'s bucket, or says how long until one is free.
    async fn take(&self, scope: &str, key: &str, quota: RateQuota) -> Result<(), Duration>;
}

/// [`RateCounter`] in this process's memory (the default). It runs on
/// tokio's clock, so tests with paused time can step through a limit.
#[derive(Debug, Default)]
pub struct LocalRates {
    /// Per key, the theoretical arrival time of the next token.
    buckets: Mutex<HashMap<(String, String), Instant>>,
}

impl LocalRates {
    /// Nothing counted yet.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait::async_trait]
impl RateCounter for LocalRates {
    async fn take(&self, scope: &str, key: &str, quota: RateQuota) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        // Full buckets carry no state: forget them so memory follows use.
        if buckets.len() > 10_000 {
            buckets.retain(|_, tat| *tat > now);
        }
        let k = (scope.to_owned(), key.to_owned());
        let tat = buckets.get(&k).copied().unwrap_or(now).max(now);

        if tat - now > quota.tolerance() {
            return Err(tat - quota.tolerance() - now);
        }

        buckets.insert(k, tat + quota.period);
        Ok(())
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
    use crate::config::Rate;

    fn n(v: u32) -> NonZeroU32 {
        NonZeroU32::new(v).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_bucket_allows_its_burst_then_one_per_period_per_key() {
        let r = LocalRates::new();
        let q = RateQuota::from(Rate {
            per_second: n(2),
            burst: n(3),
        });
        for _ in 0..3 {
            r.take("send", "a", q).await.unwrap();
        }
        assert_eq!(
            r.take("send", "a", q).await,
            Err(Duration::from_millis(500))
        );
        r.take("send", "b", q).await.unwrap();
        r.take("other", "a", q).await.unwrap();
        tokio::time::advance(Duration::from_millis(500)).await;
        r.take("send", "a", q).await.unwrap();
        assert!(r.take("send", "a", q).await.is_err());
        // Idle for the whole bucket: the full burst again, no more.
        tokio::time::advance(Duration::from_secs(10)).await;
        for _ in 0..3 {
            r.take("send", "a", q).await.unwrap();
        }
        assert!(r.take("send", "a", q).await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn once_per_means_never_two_closer_together() {
        let r = LocalRates::new();
        let q = RateQuota::once_per(Duration::from_secs(2));
        r.take("typing", "k", q).await.unwrap();
        assert_eq!(r.take("typing", "k", q).await, Err(Duration::from_secs(2)));
        tokio::time::advance(Duration::from_millis(1999)).await;
        assert!(r.take("typing", "k", q).await.is_err());
        tokio::time::advance(Duration::from_millis(1)).await;
        r.take("typing", "k", q).await.unwrap();
    }

    #[test]
    fn quotas_from_rates_and_hours() {
        let q = RateQuota::per_hour(n(3));
        assert_eq!((q.burst.get(), q.period), (3, Duration::from_secs(1200)));
        assert_eq!(q.tolerance(), Duration::from_secs(2400));
    }

    #[tokio::test(start_paused = true)]
    async fn failures_lock_out_until_the_window_ends() {
        let l = LocalFailures::new();
        let limit = FailureLimit {
            max: 2,
            window: Duration::from_secs(60),
        };
        l.check("login", "k", limit).await.unwrap();
        l.record_failure("login", "k", limit).await;
        l.check("login", "k", limit).await.unwrap();
        l.record_failure("login", "k", limit).await;
        assert_eq!(
            l.check("login", "k", limit).await,
            Err(Duration::from_secs(60))
        );
        assert!(l.check("login", "other", limit).await.is_ok());
        assert!(l.check("address", "k", limit).await.is_ok());
        tokio::time::advance(Duration::from_secs(61)).await;
        l.check("login", "k", limit).await.unwrap();
        l.record_failure("login", "k", limit).await;
        l.check("login", "k", limit).await.unwrap();
    }
}
