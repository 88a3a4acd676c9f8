//! Concurrent holds on Redis, so a cluster caps each user's open sockets
//! across nodes: one sorted set per key, each hold a member scored with
//! the end of its lease (on Redis's clock). Each node renews its own holds
//! every third of the lease, in one call; a node that dies stops renewing
//! and its holds lapse within [`HOLD_LEASE`].

use std::collections::HashSet;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;
use messenger_core::{HoldCounter, LocalHolds};
use redis::aio::ConnectionManager;

use crate::error::RedisError;

/// How long a hold lasts unless its node renews it.
pub const HOLD_LEASE: Duration = Duration::from_secs(30);

/// KEYS[1] the set; ARGV = holder, max, lease (ms). Drops lapsed holds,
/// then renews the holder's or adds it if there is room: 1, else 0.
const HOLD: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
return 1
"#;

/// KEYS the sets, ARGV[1] the lease (ms), ARGV[i + 1] the holder in
/// KEYS[i]. Renews holds that are still there (a lapsed one stays lapsed:
/// its place may be someone else's by now).
const RENEW: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  if redis.call('ZADD', key, 'XX', 'CH', now + lease, ARGV[i + 1]) > 0 then
    redis.call('PEXPIRE', key, lease)
  end
end
return 0
"#;

/// [`HoldCounter`] on Redis. While Redis does not answer, holds are taken
/// in this node's memory instead, so a cap never falls away (it is then
/// per node until Redis is back).
#[derive(Clone)]
pub struct RedisHolds {
    inner: Arc<Inner>,
}

struct Inner {
    conn: ConnectionManager,
    hold: redis::Script,
    renew: redis::Script,
    lease: Duration,
    /// This node's holds on Redis, renewed together.
    mine: Mutex<HashSet<(String, String)>>,
    fallback: LocalHolds,
}

impl std::fmt::Debug for RedisHolds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisHolds").finish_non_exhaustive()
    }
}

impl RedisHolds {
    /// Connects to `url`, with holds lasting [`HOLD_LEASE`] unless renewed.
    pub async fn connect(url: &str) -> Result<Self, RedisError> {
        Self::with_lease(url, HOLD_LEASE).await
    }

    /// Connects with a lease of `lease` (tests shorten it). Renews this
    /// node's holds every third of it while the value lives.
    pub async fn with_lease(url: &str, lease: Duration) -> Result<Self, RedisError> {
        let client = redis::Client::open(url)?;
        let inner = Arc::new(Inner {
            conn: crate::connection::managed(&client).await?,
            hold: redis::Script::new(HOLD),
            renew: redis::Script::new(RENEW),
            lease,
            mine: Mutex::default(),
            fallback: LocalHolds::new(),
        });
        tokio::spawn(renewing(Arc::downgrade(&inner)));
        Ok(Self { inner })
    }
}

impl Inner {
    fn mine(&self) -> std::sync::MutexGuard<'_, HashSet<(String, String)>> {
        self.mine.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn renew_all(&self) {
        let holds: Vec<(String, String)> = self.mine().iter().cloned().collect();
        // One script call per batch keeps each call short.
        for batch in holds.chunks(500) {
            let mut call = self.renew.prepare_invoke();
            call.arg(self.lease.as_millis() as u64);
            for (key, holder) in batch {
                call.key(redis_key(key)).arg(holder);
            }
            let mut conn = self.conn.clone();
            if let Err(e) = call.invoke_async::<i64>(&mut conn).await {
                tracing::warn!(error = %e, "renewing socket holds on Redis failed");
                return;
            }
        }
    }
}

fn redis_key(key: &str) -> String {
    format!("messenger:holds:{key}")
}

async fn renewing(inner: Weak<Inner>) {
    let Some(lease) = inner.upgrade().map(|i| i.lease) else {
        return;
    };
    let mut tick = tokio::time::interval(lease / 3);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        inner.renew_all().await;
    }
}

#[async_trait]
impl HoldCounter for RedisHolds {
    async fn hold(&self, key: &str, holder: &str, max: usize) -> bool {
        let mut conn = self.inner.conn.clone();
        let taken = self
            .inner
            .hold
            .key(redis_key(key))
            .arg(holder)
            .arg(max)
            .arg(self.inner.lease.as_millis() as u64)
            .invoke_async::<i64>(&mut conn)
            .await;
        match taken {
            Ok(1) => {
                self.inner
                    .mine()
                    .insert((key.to_owned(), holder.to_owned()));
                true
            }
            Ok(_) => false,
            Err(e) => {
                tracing::debug!(error = %e, "holds from this node alone");
                self.inner.fallback.hold_now(key, holder, max)
            }
        }
    }

    async fn release(&self, key: &str, holder: &str) {
        self.inner.fallback.release_now(key, holder);
        if self
            .inner
            .mine()
            .remove(&(key.to_owned(), holder.to_owned()))
        {
            let mut conn = self.inner.conn.clone();
            let removed: Result<i64, _> = redis::cmd("ZREM")
                .arg(redis_key(key))
                .arg(holder)
                .query_async(&mut conn)
                .await;
            if let Err(e) = removed {
                tracing::debug!(error = %e, "giving a hold back failed; its lease ends it");
            }
        }
    }
}
