//! The session store on SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use messenger_core::UserId;
use messenger_core::store::{SessionRecord, SessionStore, StoreError, TokenHash};
use rusqlite::{OptionalExtension, Row, params};

use crate::store::{SqliteStore, backend, from_ms, ms};

fn session_row(r: &Row<'_>) -> rusqlite::Result<SessionRecord> {
    let hash: Vec<u8> = r.get(0)?;
    let hash: [u8; 32] = hash
        .try_into()
        .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, 0))?;
    Ok(SessionRecord {
        token_hash: TokenHash(hash),
        user_id: UserId(r.get::<_, i64>(1)? as u64),
        created_at: from_ms(r.get(2)?)?,
        last_seen_at: from_ms(r.get(3)?)?,
        expires_at: from_ms(r.get(4)?)?,
        remember: r.get(5)?,
        user_agent: r.get(6)?,
    })
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        let s = session.clone();
        self.writer
            .write(move |c| {
                c.prepare_cached(
                                        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, remember, user_agent)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        &s.token_hash.as_bytes()[..],
                        s.user_id.0 as i64,
                        ms(s.created_at),
                        ms(s.last_seen_at),
                                                ms(s.expires_at),
                        s.remember,
                        s.user_agent
                    ])
                })
                .map(drop)
                .map_err(backend)
            })
            .await
    }

    async fn find_session(&self, hash: &TokenHash) -> Result<Option<SessionRecord>, StoreError> {
        let hash = *hash;
        self.readers
            .read(move |c| {
                c.prepare_cached(
                                        "SELECT token_hash, user_id, created_at, last_seen_at, expires_at, remember, user_agent
                     FROM sessions WHERE token_hash = ?1",
                )
                .and_then(|mut s| s.query_row([&hash.as_bytes()[..]], session_row).optional())
                .map_err(backend)
            })
            .await
    }

    async fn touch_session(&self, hash: &TokenHash, at: DateTime<Utc>) -> Result<(), StoreError> {
        let hash = *hash;
        self.writer
            .write(move |c| {
                c.prepare_cached(
                    "UPDATE sessions SET last_seen_at = max(last_seen_at, ?2) WHERE token_hash = ?1",
                )
                .and_then(|mut s| s.execute(params![&hash.as_bytes()[..], ms(at)]))
                .map(drop)
                .map_err(backend)
            })
            .await
    }

    async fn delete_session(&self, hash: &TokenHash) -> Result<bool, StoreError> {
        let hash = *hash;
        self.writer
            .write(move |c| {
                c.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")
                    .and_then(|mut s| s.execute([&hash.as_bytes()[..]]))
                    .map(|n| n > 0)
                    .map_err(backend)
            })
            .await
    }

    async fn user_sessions(&self, user: UserId) -> Result<Vec<SessionRecord>, StoreError> {
        self.readers
            .read(move |c| {
                c.prepare_cached(
                    "SELECT token_hash, user_id, created_at, last_seen_at, expires_at, remember, user_agent
                     FROM sessions WHERE user_id = ?1 ORDER BY created_at DESC, token_hash",
                )
                .and_then(|mut s| {
                    s.query_map([user.0 as i64], session_row)?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(backend)
            })
            .await
    }

    async fn delete_user_sessions(&self, user: UserId) -> Result<u64, StoreError> {
        self.writer
            .write(move |c| {
                c.prepare_cached("DELETE FROM sessions WHERE user_id = ?1")
                    .and_then(|mut s| s.execute([user.0 as i64]))
                    .map(|n| n as u64)
                    .map_err(backend)
            })
            .await
    }

    async fn delete_expired_sessions(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.writer
            .write(move |c| {
                c.prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at < ?2")
                    .and_then(|mut s| s.execute([ms(now), ms(idle_before)]))
                    .map(|n| n as u64)
                    .map_err(backend)
            })
            .await
    }
}
