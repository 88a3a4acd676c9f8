//! The moderation store on SQLite: standing columns on `users`, and `mod_log`.

use async_trait::async_trait;
use messenger_core::store::{ModerationStore, StoreError};
use messenger_core::store::{NewModAction, StandingChange};
use messenger_core::{Ban, ModAction, ModActionKind, Reason, Role, Standing};
use messenger_core::{MessageId, User, UserId, Username};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::store::{SqliteStore, backend, from_ms, ms};

fn role(s: &str) -> Role {
    s.parse().unwrap_or_default()
}

fn log(c: &Connection, e: &NewModAction) -> rusqlite::Result<()> {
    let cols = e.kind.to_columns();
    c.prepare_cached(
        "INSERT INTO mod_log (at, actor_id, target_id, action, role, until, room, message_id, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        ms(e.at),
        e.actor.map(|a| a.0 as i64),
        e.target.map(|t| t.0 as i64),
        cols.action,
        cols.role,
        cols.until.map(ms),
        cols.room.as_ref().map(|r| r.as_str()),
        cols.message_id.map(|m| m.0 as i64),
        e.reason.as_str()
    ])?;
    Ok(())
}

fn user_at(r: &Row<'_>, id: usize, name: usize) -> rusqlite::Result<Option<User>> {
    Ok(match r.get::<_, Option<i64>>(id)? {
        Some(i) => Some(User {
            id: UserId(i as u64),
            username: Username::from_trusted(r.get(name)?),
        }),
        None => None,
    })
}

fn action_row(r: &Row<'_>) -> rusqlite::Result<ModAction> {
    let action: String = r.get(3)?;
    let kind = ModActionKind::from_columns(
        &action,
        r.get::<_, Option<String>>(4)?.as_deref(),
        r.get::<_, Option<i64>>(5)?.map(from_ms).transpose()?,
        r.get(6)?,
        r.get::<_, Option<i64>>(7)?.map(|m| MessageId(m as u64)),
    )
    .ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            3,
            rusqlite::types::Type::Text,
            format!("unknown moderation action {action:?}").into(),
        )
    })?;
    Ok(ModAction {
        id: r.get::<_, i64>(0)? as u64,
        at: from_ms(r.get(1)?)?,
        actor: user_at(r, 9, 10)?,
        target: user_at(r, 2, 11)?,
        kind,
        reason: Reason::from_trusted(r.get(8)?),
    })
}

#[async_trait]
impl ModerationStore for SqliteStore {
    async fn standing(&self, user: UserId) -> Result<Option<Standing>, StoreError> {
        self.readers
            .read(move |c| {
                c.prepare_cached(
                    "SELECT role, muted_until, banned_at, ban_reason FROM users WHERE id = ?1",
                )
                .and_then(|mut s| {
                    s.query_row([user.0 as i64], |r| {
                        let ban = match r.get::<_, Option<i64>>(2)? {
                            Some(at) => Some(Ban {
                                at: from_ms(at)?,
                                reason: Reason::from_trusted(
                                    r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                                ),
                            }),
                            None => None,
                        };
                        Ok(Standing {
                            role: role(r.get_ref(0)?.as_str()?),
                            muted_until: r.get::<_, Option<i64>>(1)?.map(from_ms).transpose()?,
                            ban,
                        })
                    })
                    .optional()
                })
                .map_err(backend)
            })
            .await
    }

    async fn moderate(
        &self,
        user: UserId,
        change: &StandingChange,
        entry: &NewModAction,
    ) -> Result<bool, StoreError> {
        let (change, entry) = (change.clone(), entry.clone());
        self.writer
            .write(move |c| {
                let id = user.0 as i64;
                let n = match &change {
                    StandingChange::Role(r) => c
                        .prepare_cached("UPDATE users SET role = ?2 WHERE id = ?1")
                        .and_then(|mut s| s.execute(params![id, r.as_str()])),
                    StandingChange::Mute(until) => c
                        .prepare_cached("UPDATE users SET muted_until = ?2 WHERE id = ?1")
                        .and_then(|mut s| s.execute(params![id, until.map(ms)])),
                    StandingChange::Ban(ban) => c
                        .prepare_cached(
                            "UPDATE users SET banned_at = ?2, ban_reason = ?3 WHERE id = ?1",
                        )
                        .and_then(|mut s| {
                            s.execute(params![
                                id,
                                ban.as_ref().map(|b| ms(b.at)),
                                ban.as_ref().map(|b| b.reason.as_str())
                            ])
                        }),
                }
                .map_err(backend)?;
                if n == 0 {
                    return Ok(false);
                }
                log(c, &entry).map_err(backend)?;
                Ok(true)
            })
            .await
    }

    async fn log_action(&self, entry: &NewModAction) -> Result<(), StoreError> {
        let entry = entry.clone();
        self.writer
            .write(move |c| log(c, &entry).map_err(backend))
            .await
    }

    async fn mod_log(
        &self,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ModAction>, StoreError> {
        self.readers
            .read(move |c| {
                c.prepare_cached(
                    "SELECT l.id, l.at, l.target_id, l.action, l.role, l.until, l.room, l.message_id,
                            l.reason, l.actor_id, a.username, t.username
                     FROM mod_log l LEFT JOIN users t ON t.id = l.target_id
                     LEFT JOIN users a ON a.id = l.actor_id
                     WHERE l.id < ?1 ORDER BY l.id DESC LIMIT ?2",
                )
                .and_then(|mut s| {
                    s.query_map(
                        params![before.map_or(i64::MAX, |b| b as i64), limit as i64],
                        action_row,
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(backend)
            })
            .await
    }
}
