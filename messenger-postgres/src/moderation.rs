//! Roles, mutes, bans and the moderation log on PostgreSQL.

use crate::statements::Prepared;
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use messenger_core::store::{ModerationStore, StoreError};
use messenger_core::store::{NewModAction, StandingChange};
use messenger_core::{Ban, ModAction, ModActionKind, Reason, Role, Standing};
use messenger_core::{MessageId, UserId};
use tokio_postgres::Row;

use crate::users::user_of;
use crate::{PostgresStore, from_ms, ms, store_err};

fn role(s: &str) -> Role {
    s.parse().unwrap_or_default()
}

async fn log(c: &impl GenericClient, e: &NewModAction) -> Result<(), StoreError> {
    let cols = e.kind.to_columns();
    c.execute_cached(
        "INSERT INTO mod_log (at, actor_id, target_id, action, role, until, room, message_id, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &ms(e.at),
            &e.actor.map(|a| a.0 as i64),
            &e.target.map(|t| t.0 as i64),
            &cols.action,
            &cols.role,
            &cols.until.map(ms),
            &cols.room.as_ref().map(|r| r.as_str()),
            &cols.message_id.map(|m| m.0 as i64),
            &e.reason.as_str(),
        ],
    )
    .await
    .map_err(store_err)?;
    Ok(())
}

fn action(r: &Row) -> Result<ModAction, StoreError> {
    let name: &str = r.get(3);
    let kind = ModActionKind::from_columns(
        name,
        r.get(4),
        r.get::<_, Option<i64>>(5).map(from_ms),
        r.get(6),
        r.get::<_, Option<i64>>(7).map(|m| MessageId(m as u64)),
    )
    .ok_or_else(|| StoreError::backend(format!("unknown moderation action {name:?}")))?;
    Ok(ModAction {
        id: r.get::<_, i64>(0) as u64,
        at: from_ms(r.get(1)),
        actor: r.get::<_, Option<i64>>(9).map(|_| user_of(r, 9, 10)),
        target: r.get::<_, Option<i64>>(2).map(|_| user_of(r, 2, 11)),
        kind,
        reason: Reason::from_trusted(r.get(8)),
    })
}

#[async_trait]
impl ModerationStore for PostgresStore {
    async fn standing(&self, user: UserId) -> Result<Option<Standing>, StoreError> {
        let c = self.conn().await?;
        let row = c
            .query_opt_cached(
                "SELECT role, muted_until, banned_at, ban_reason FROM users WHERE id = $1",
                &[&(user.0 as i64)],
            )
            .await
            .map_err(store_err)?;
        Ok(row.map(|r| Standing {
            role: role(r.get(0)),
            muted_until: r.get::<_, Option<i64>>(1).map(from_ms),
            ban: r.get::<_, Option<i64>>(2).map(|at| Ban {
                at: from_ms(at),
                reason: Reason::from_trusted(r.get::<_, Option<String>>(3).unwrap_or_default()),
            }),
        }))
    }

    async fn moderate(
        &self,
        user: UserId,
        change: &StandingChange,
        entry: &NewModAction,
    ) -> Result<bool, StoreError> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(store_err)?;
        let id = user.0 as i64;
        let n = match change {
            StandingChange::Role(r) => {
                tx.execute_cached(
                    "UPDATE users SET role = $2 WHERE id = $1",
                    &[&id, &r.as_str()],
                )
                .await
            }
            StandingChange::Mute(until) => {
                tx.execute_cached(
                    "UPDATE users SET muted_until = $2 WHERE id = $1",
                    &[&id, &until.map(ms)],
                )
                .await
            }
            StandingChange::Ban(ban) => {
                tx.execute_cached(
                    "UPDATE users SET banned_at = $2, ban_reason = $3 WHERE id = $1",
                    &[
                        &id,
                        &ban.as_ref().map(|b| ms(b.at)),
                        &ban.as_ref().map(|b| b.reason.as_str()),
                    ],
                )
                .await
            }
        }
        .map_err(store_err)?;
        if n == 0 {
            return Ok(false);
        }
        log(&tx, entry).await?;
        tx.commit().await.map_err(store_err)?;
        Ok(true)
    }

    async fn log_action(&self, entry: &NewModAction) -> Result<(), StoreError> {
        let c = self.conn().await?;
        log(&c, entry).await
    }

    async fn mod_log(
        &self,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ModAction>, StoreError> {
        let c = self.conn().await?;
        let rows = c
            .query_cached(
                "SELECT l.id, l.at, l.target_id, l.action, l.role, l.until, l.room, l.message_id,
                        l.reason, l.actor_id, a.username, t.username
                 FROM mod_log l LEFT JOIN users t ON t.id = l.target_id
                 LEFT JOIN users a ON a.id = l.actor_id
                 WHERE l.id < $1 ORDER BY l.id DESC LIMIT $2",
                &[&before.map_or(i64::MAX, |b| b as i64), &(limit as i64)],
            )
            .await
            .map_err(store_err)?;
        rows.iter().map(action).collect()
    }
}
