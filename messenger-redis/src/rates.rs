//! Token buckets on Redis, so a cluster limits sends, registrations and
//! typing events across nodes: the GCRA of [`LocalRates`], one script call
//! per take, on Redis's clock so nodes' clocks need not agree.

use std::time::Duration;

use async_trait::async_trait;
use messenger_core::{LocalRates, RateCounter, RateQuota};
use redis::aio::ConnectionManager;

use crate::error::RedisError;

/// Takes a token: KEYS[1] holds the time (µs) the bucket is full again;
/// ARGV = period, tolerance (µs). Answers 0, or the µs until a token is
/// free. Numbers are kept below 2^53, exact in Lua's doubles.
const TAKE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local period = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
if tat - now > tolerance then return tat - tolerance - now end
tat = tat + period
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000))
return 0
"#;

/// [`RateCounter`] on Redis. While Redis does not answer, tokens are taken
/// from this node's memory instead, so a limit never falls away.
pub struct RedisRates {
    conn: ConnectionManager,
    script: redis::Script,
    fallback: LocalRates,
}

impl std::fmt::Debug for RedisRates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRates").finish_non_exhaustive()
    }
}

impl RedisRates {
    /// Connects to `url`.
    pub async fn connect(url: &str) -> Result<Self, RedisError> {
        let client = redis::Client::open(url)?;
        Ok(Self {
            conn: crate::connection::managed(&client).await?,
            script: redis::Script::new(TAKE),
            fallback: LocalRates::new(),
        })
    }
}

#[async_trait]
impl RateCounter for RedisRates {
    async fn take(&self, scope: &str, key: &str, quota: RateQuota) -> Result<(), Duration> {
        let mut conn = self.conn.clone();
        let taken = self
            .script
            .key(format!("messenger:rate:{scope}:{key}"))
            .arg(quota.period.as_micros() as u64)
            .arg((quota.period * (quota.burst.get() - 1)).as_micros() as u64)
            .invoke_async::<u64>(&mut conn)
            .await;
        match taken {
            Ok(0) => Ok(()),
            Ok(wait) => Err(Duration::from_micros(wait)),
            Err(e) => {
                tracing::debug!(error = %e, "rate limits from this node alone");
                self.fallback.take(scope, key, quota).await
            }
        }
    }
}
