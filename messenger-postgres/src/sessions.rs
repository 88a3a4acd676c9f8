//! Sessions on PostgreSQL.

use crate::statements::Prepared;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use messenger_core::UserId;
use messenger_core::store::{SessionRecord, SessionStore, StoreError, TokenHash};
use tokio_postgres::Row;

use crate::{PostgresStore, from_ms, ms, store_err};

const COLUMNS: &str =
    "token_hash, user_id, created_at, last_seen_at, expires_at, remember, user_agent";

fn session(r: &Row) -> Result<SessionRecord, StoreError> {
    let hash: Vec<u8> = r.get(0);
    let hash: [u8; 32] = hash
        .try_into()
        .map_err(|_| StoreError::backend("a session key is not 32 bytes"))?;
    Ok(SessionRecord {
        token_hash: TokenHash(hash),
        user_id: UserId(r.get::<_, i64>(1) as u64),
        created_at: from_ms(r.get(2)),
        last_seen_at: from_ms(r.get(3)),
        expires_at: from_ms(r.get(4)),
        remember: r.get(5),
        user_agent: r.get(6),
    })
}

#[async_trait]
impl SessionStore for PostgresStore {
    async fn create_session(&self, s: &SessionRecord) -> Result<(), StoreError> {
        let c = self.conn().await?;
        c.execute_cached(
            &format!("INSERT INTO sessions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
            &[
                &&s.token_hash.as_bytes()[..],
                &(s.user_id.0 as i64),
                &ms(s.created_at),
                &ms(s.last_seen_at),
                &ms(s.expires_at),
                &s.remember,
                &s.user_agent,
            ],
        )
        .await
        .map_err(store_err)?;
        Ok(())
    }

    async fn find_session(&self, hash: &TokenHash) -> Result<Option<SessionRecord>, StoreError> {
        let c = self.conn().await?;
        c.query_opt_cached(
            &format!("SELECT {COLUMNS} FROM sessions WHERE token_hash = $1"),
            &[&&hash.as_bytes()[..]],
        )
        .await
        .map_err(store_err)?
        .as_ref()
        .map(session)
        .transpose()
    }

    async fn touch_session(&self, hash: &TokenHash, at: DateTime<Utc>) -> Result<(), StoreError> {
        let c = self.conn().await?;
        c.execute_cached(
            "UPDATE sessions SET last_seen_at = greatest(last_seen_at, $2) WHERE token_hash = $1",
            &[&&hash.as_bytes()[..], &ms(at)],
        )
        .await
        .map_err(store_err)?;
        Ok(())
    }

    async fn delete_session(&self, hash: &TokenHash) -> Result<bool, StoreError> {
        let c = self.conn().await?;
        let n = c
            .execute_cached(
                "DELETE FROM sessions WHERE token_hash = $1",
                &[&&hash.as_bytes()[..]],
            )
            .await
            .map_err(store_err)?;
        Ok(n > 0)
    }

    async fn delete_user_sessions(&self, user: UserId) -> Result<u64, StoreError> {
        let c = self.conn().await?;
        c.execute_cached(
            "DELETE FROM sessions WHERE user_id = $1",
            &[&(user.0 as i64)],
        )
        .await
        .map_err(store_err)
    }

    async fn user_sessions(&self, user: UserId) -> Result<Vec<SessionRecord>, StoreError> {
        let c = self.conn().await?;
        c.query_cached(
            &format!(
                "SELECT {COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, token_hash"
            ),
            &[&(user.0 as i64)],
        )
        .await
        .map_err(store_err)?
        .iter()
        .map(session)
        .collect()
    }

    async fn delete_expired_sessions(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let c = self.conn().await?;
        c.execute_cached(
            "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2",
            &[&ms(now), &ms(idle_before)],
        )
        .await
        .map_err(store_err)
    }

    async fn health(&self) -> Result<(), StoreError> {
        let c = self.conn().await?;
        c.query_one_cached("SELECT 1", &[])
            .await
            .map_err(store_err)?;
        Ok(())
    }
}
