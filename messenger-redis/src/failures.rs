//! Failed attempts counted on Redis, so a cluster limits failed logins
//! across nodes: a fixed window per key, begun by its first failure.

use std::time::Duration;

use async_trait::async_trait;
use messenger_core::{FailureCounter, FailureLimit, LocalFailures};
use redis::aio::ConnectionManager;

use crate::error::RedisError;

/// Counts one failure and starts the window with the first.
const RECORD: &str = r#"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"#;

/// [`FailureCounter`] on Redis. While Redis does not answer, failures are
/// counted in this node's memory instead, so the limit never falls away.
pub struct RedisFailures {
    conn: ConnectionManager,
    fallback: LocalFailures,
}

impl std::fmt::Debug for RedisFailures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisFailures").finish_non_exhaustive()
    }
}

impl RedisFailures {
    /// Connects to `url`.
    pub async fn connect(url: &str) -> Result<Self, RedisError> {
        let client = redis::Client::open(url)?;
        Ok(Self {
            conn: crate::connection::managed(&client).await?,
            fallback: LocalFailures::new(),
        })
    }
}

fn key(scope: &str, key: &str) -> String {
    format!("messenger:failures:{scope}:{key}")
}

#[async_trait]
impl FailureCounter for RedisFailures {
    async fn check(&self, scope: &str, k: &str, limit: FailureLimit) -> Result<(), Duration> {
        self.fallback.check(scope, k, limit).await?;
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        pipe.get(key(scope, k)).cmd("PTTL").arg(key(scope, k));
        match pipe.query_async::<(Option<u32>, i64)>(&mut conn).await {
            Ok((Some(count), ttl)) if count >= limit.max && ttl > 0 => {
                Err(Duration::from_millis(ttl as u64))
            }
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::debug!(error = %e, "failure limits from this node alone");
                Ok(())
            }
        }
    }

    async fn record_failure(&self, scope: &str, k: &str, limit: FailureLimit) {
        let mut conn = self.conn.clone();
        let recorded: redis::RedisResult<i64> = redis::cmd("EVAL")
            .arg(RECORD)
            .arg(1)
            .arg(key(scope, k))
            .arg(limit.window.as_millis() as u64)
            .query_async(&mut conn)
            .await;
        if recorded.is_err() {
            self.fallback.record_failure(scope, k, limit).await;
        }
    }
}
