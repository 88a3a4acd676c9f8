//! Users on PostgreSQL.

use crate::statements::Prepared;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use messenger_core::store::{StoreError, UserRecord, UserStore};
use messenger_core::{ExternalId, User, UserId, Username};
use tokio_postgres::Row;

use crate::{PostgresStore, from_ms, ms, store_err};

pub(crate) fn user_of(r: &Row, id: usize, name: usize) -> User {
    User {
        id: UserId(r.get::<_, i64>(id) as u64),
        username: Username::from_trusted(r.get(name)),
    }
}

fn record(r: &Row) -> UserRecord {
    UserRecord {
        user: user_of(r, 0, 1),
        password_hash: r.get(2),
        created_at: from_ms(r.get(3)),
    }
}

fn taken(e: tokio_postgres::Error) -> StoreError {
    match store_err(e) {
        StoreError::Conflict(_) => StoreError::Conflict("username is taken".into()),
        other => other,
    }
}

#[async_trait]
impl UserStore for PostgresStore {
    async fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
        created_at: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        let c = self.conn().await?;
        let row = c
            .query_one_cached(
                "INSERT INTO users (username, password_hash, created_at, skeleton)
                 VALUES ($1, $2, $3, $4)
                 RETURNING id, username",
                &[
                    &username.as_str(),
                    &password_hash,
                    &ms(created_at),
                    &username.skeleton(),
                ],
            )
            .await
            .map_err(taken)?;
        Ok(user_of(&row, 0, 1))
    }

    async fn find_user_by_name(
        &self,
        username: &Username,
    ) -> Result<Option<UserRecord>, StoreError> {
        let c = self.conn().await?;
        let row = c
            .query_opt_cached(
                "SELECT id, username, password_hash, created_at FROM users
                 WHERE lower(username) = lower($1)",
                &[&username.as_str()],
            )
            .await
            .map_err(store_err)?;
        Ok(row.as_ref().map(record))
    }

    async fn find_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let c = self.conn().await?;
        let row = c
            .query_opt_cached(
                "SELECT id, username FROM users WHERE id = $1",
                &[&(id.0 as i64)],
            )
            .await
            .map_err(store_err)?;
        Ok(row.map(|r| user_of(&r, 0, 1)))
    }

    async fn list_users(&self, after: UserId, limit: usize) -> Result<Vec<UserRecord>, StoreError> {
        let c = self.conn().await?;
        let rows = c
            .query_cached(
                "SELECT id, username, password_hash, created_at FROM users
                 WHERE id > $1 ORDER BY id LIMIT $2",
                &[&(after.0 as i64), &(limit as i64)],
            )
            .await
            .map_err(store_err)?;
        Ok(rows.iter().map(record).collect())
    }

    async fn set_block(
        &self,
        user: UserId,
        other: UserId,
        blocked: bool,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let c = self.conn().await?;
        let (u, o) = (user.0 as i64, other.0 as i64);
        let n = if blocked {
            c.execute_cached(
                "INSERT INTO blocks (user_id, blocked_id, at) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&u, &o, &ms(at)],
            )
            .await
        } else {
            c.execute_cached(
                "DELETE FROM blocks WHERE user_id = $1 AND blocked_id = $2",
                &[&u, &o],
            )
            .await
        }
        .map_err(store_err)?;
        Ok(n > 0)
    }

    async fn find_user_by_skeleton(&self, skeleton: &str) -> Result<Option<User>, StoreError> {
        let c = self.conn().await?;
        let row = c
            .query_opt_cached(
                "SELECT id, username FROM users WHERE skeleton = $1 LIMIT 1",
                &[&skeleton],
            )
            .await
            .map_err(store_err)?;
        Ok(row.map(|r| user_of(&r, 0, 1)))
    }

    async fn blocks(&self, user: UserId, other: UserId) -> Result<bool, StoreError> {
        let c = self.conn().await?;
        let row = c
            .query_opt_cached(
                "SELECT 1 FROM blocks WHERE user_id = $1 AND blocked_id = $2",
                &[&(user.0 as i64), &(other.0 as i64)],
            )
            .await
            .map_err(store_err)?;
        Ok(row.is_some())
    }

    async fn blocked_users(&self, user: UserId) -> Result<Vec<User>, StoreError> {
        let c = self.conn().await?;
        let rows = c
            .query_cached(
                "SELECT u.id, u.username FROM blocks b JOIN users u ON u.id = b.blocked_id
                 WHERE b.user_id = $1 ORDER BY lower(u.username) COLLATE \"C\"",
                &[&(user.0 as i64)],
            )
            .await
            .map_err(store_err)?;
        Ok(rows.iter().map(|r| user_of(r, 0, 1)).collect())
    }

    async fn set_password_hash(
        &self,
        user: UserId,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        let c = self.conn().await?;
        let n = c
            .execute_cached(
                "UPDATE users SET password_hash = $2 WHERE id = $1",
                &[&(user.0 as i64), &password_hash],
            )
            .await
            .map_err(store_err)?;
        Ok(n > 0)
    }

    async fn find_user_by_external_id(
        &self,
        external: &ExternalId,
    ) -> Result<Option<User>, StoreError> {
        let c = self.conn().await?;
        let row = c
            .query_opt_cached(
                "SELECT id, username FROM users WHERE external_id = $1",
                &[&external.as_str()],
            )
            .await
            .map_err(store_err)?;
        Ok(row.map(|r| user_of(&r, 0, 1)))
    }

    async fn upsert_external_user(
        &self,
        external: &ExternalId,
        username: &Username,
        now: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        let c = self.conn().await?;
        // One statement: created, renamed, or left be, atomically; a name
        // held by another user fails the unique index and changes nothing.
        let row = c
            .query_one_cached(
                "INSERT INTO users (username, password_hash, created_at, external_id, skeleton)
                 VALUES ($1, NULL, $2, $3, $4)
                 ON CONFLICT (external_id) DO UPDATE
                     SET username = EXCLUDED.username, skeleton = EXCLUDED.skeleton
                 RETURNING id, username",
                &[
                    &username.as_str(),
                    &ms(now),
                    &external.as_str(),
                    &username.skeleton(),
                ],
            )
            .await
            .map_err(taken)?;
        Ok(user_of(&row, 0, 1))
    }

    async fn health(&self) -> Result<(), StoreError> {
        let c = self.conn().await?;
        c.query_one_cached("SELECT 1", &[])
            .await
            .map_err(store_err)?;
        Ok(())
    }
}
