//! The user store on SQLite: accounts, names from the host, and blocks.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use messenger_core::store::{StoreError, UserRecord, UserStore};
use messenger_core::{ExternalId, User, UserId, Username};
use rusqlite::{OptionalExtension, Row, params};

use crate::store::{SqliteStore, backend, from_ms, is_unique_violation, ms, user_row};

/// `id, username, password_hash, created_at`; `''` is no password.
fn user_record_row(r: &Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        user: User {
            id: UserId(r.get::<_, i64>(0)? as u64),
            username: Username::from_trusted(r.get(1)?),
        },
        password_hash: Some(r.get::<_, String>(2)?).filter(|h| !h.is_empty()),
        created_at: from_ms(r.get(3)?)?,
    })
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
        created_at: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        let (username, hash) = (username.clone(), password_hash.to_owned());
        self.writer
            .write(move |c| {
                let inserted = c
                    .prepare_cached("INSERT INTO users (username, password_hash, created_at, skeleton) VALUES (?1, ?2, ?3, ?4)")
                    .and_then(|mut s| s.execute(params![username.as_str(), hash, ms(created_at), username.skeleton()]));
                match inserted {
                    Ok(_) => Ok(User {
                        id: UserId(c.last_insert_rowid() as u64),
                        username,
                    }),
                    Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict("username is taken".into())),
                    Err(e) => Err(backend(e)),
                }
            })
            .await
    }

    async fn find_user_by_name(
        &self,
        username: &Username,
    ) -> Result<Option<UserRecord>, StoreError> {
        let username = username.as_str().to_owned();
        self.readers
            .read(move |c| {
                c.prepare_cached(
                    "SELECT id, username, password_hash, created_at FROM users WHERE username = ?1",
                )
                .and_then(|mut s| s.query_row([username], user_record_row).optional())
                .map_err(backend)
            })
            .await
    }

    async fn find_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.readers
            .read(move |c| {
                c.prepare_cached("SELECT username FROM users WHERE id = ?1")
                    .and_then(|mut s| {
                        s.query_row([id.0 as i64], |r| {
                            Ok(User {
                                id,
                                username: Username::from_trusted(r.get(0)?),
                            })
                        })
                        .optional()
                    })
                    .map_err(backend)
            })
            .await
    }

    async fn list_users(&self, after: UserId, limit: usize) -> Result<Vec<UserRecord>, StoreError> {
        self.readers
            .read(move |c| {
                c.prepare_cached(
                    "SELECT id, username, password_hash, created_at FROM users
                     WHERE id > ?1 ORDER BY id LIMIT ?2",
                )
                .and_then(|mut s| {
                    s.query_map(params![after.0 as i64, limit as i64], user_record_row)?
                        .collect()
                })
                .map_err(backend)
            })
            .await
    }

    async fn set_block(
        &self,
        user: UserId,
        other: UserId,
        blocked: bool,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.writer
            .write(move |c| {
                let (u, o) = (user.0 as i64, other.0 as i64);
                if blocked {
                    c.prepare_cached(
                        "INSERT INTO blocks (user_id, blocked_id, at) VALUES (?1, ?2, ?3)
                         ON CONFLICT DO NOTHING",
                    )
                    .and_then(|mut s| s.execute(params![u, o, ms(at)]))
                } else {
                    c.prepare_cached("DELETE FROM blocks WHERE user_id = ?1 AND blocked_id = ?2")
                        .and_then(|mut s| s.execute(params![u, o]))
                }
                .map(|n| n > 0)
                .map_err(backend)
            })
            .await
    }

    async fn find_user_by_skeleton(&self, skeleton: &str) -> Result<Option<User>, StoreError> {
        let skeleton = skeleton.to_owned();
        self.readers
            .read(move |c| {
                c.prepare_cached("SELECT id, username FROM users WHERE skeleton = ?1 LIMIT 1")
                    .and_then(|mut s| s.query_row([skeleton], user_row).optional())
                    .map_err(backend)
            })
            .await
    }

    async fn blocks(&self, user: UserId, other: UserId) -> Result<bool, StoreError> {
        self.readers
            .read(move |c| {
                c.prepare_cached("SELECT 1 FROM blocks WHERE user_id = ?1 AND blocked_id = ?2")
                    .and_then(|mut s| s.exists(params![user.0 as i64, other.0 as i64]))
                    .map_err(backend)
            })
            .await
    }

    async fn blocked_users(&self, user: UserId) -> Result<Vec<User>, StoreError> {
        self.readers
            .read(move |c| {
                c.prepare_cached(
                    "SELECT u.id, u.username FROM blocks b JOIN users u ON u.id = b.blocked_id
                     WHERE b.user_id = ?1 ORDER BY u.username COLLATE NOCASE",
                )
                .and_then(|mut s| s.query_map([user.0 as i64], user_row)?.collect())
                .map_err(backend)
            })
            .await
    }

    async fn set_password_hash(
        &self,
        user: UserId,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        let hash = password_hash.to_owned();
        self.writer
            .write(move |c| {
                c.prepare_cached("UPDATE users SET password_hash = ?2 WHERE id = ?1")
                    .and_then(|mut s| s.execute(params![user.0 as i64, hash]))
                    .map(|n| n > 0)
                    .map_err(backend)
            })
            .await
    }

    async fn find_user_by_external_id(
        &self,
        external: &ExternalId,
    ) -> Result<Option<User>, StoreError> {
        let external = external.as_str().to_owned();
        self.readers
            .read(move |c| {
                c.prepare_cached("SELECT id, username FROM users WHERE external_id = ?1")
                    .and_then(|mut s| s.query_row([external], user_row).optional())
                    .map_err(backend)
            })
            .await
    }

    async fn upsert_external_user(
        &self,
        external: &ExternalId,
        username: &Username,
        now: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        let (external, username) = (external.as_str().to_owned(), username.clone());
        self.writer
            .write(move |c| {
                let known = c
                    .prepare_cached("SELECT id, username FROM users WHERE external_id = ?1")
                    .and_then(|mut s| s.query_row([&external], user_row).optional())
                    .map_err(backend)?;
                let written = match &known {
                    Some(user) if user.username == username => return Ok(user.clone()),
                    Some(user) => c
                        .prepare_cached("UPDATE users SET username = ?1, skeleton = ?3 WHERE id = ?2")
                        .and_then(|mut s| {
                            s.execute(params![username.as_str(), user.id.0 as i64, username.skeleton()])
                        }),
                    None => c
                        .prepare_cached(
                            "INSERT INTO users (username, password_hash, created_at, external_id, skeleton) VALUES (?1, '', ?2, ?3, ?4)",
                        )
                        .and_then(|mut s| {
                            s.execute(params![username.as_str(), ms(now), external, username.skeleton()])
                        }),
                };
                match written {
                    Ok(_) => Ok(User {
                        id: known.map_or_else(|| UserId(c.last_insert_rowid() as u64), |u| u.id),
                        username,
                    }),
                    Err(e) if is_unique_violation(&e) => {
                        Err(StoreError::Conflict("username is taken".into()))
                    }
                    Err(e) => Err(backend(e)),
                }
            })
            .await
    }

    async fn health(&self) -> Result<(), StoreError> {
        self.readers
            .read(|c| {
                c.query_row("SELECT count(*) FROM users", [], |_| Ok(()))
                    .map_err(backend)
            })
            .await
    }
}
