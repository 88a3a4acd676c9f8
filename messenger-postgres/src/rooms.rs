//! Rooms, members with read positions, and mentions on PostgreSQL.

use crate::statements::Prepared;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use messenger_core::store::{Membership, NewInvite, RoomStore, StoreError, TokenHash};
use messenger_core::{
    Invite, MessageId, ReadState, Room, RoomKind, RoomName, RoomTitle, RoomTopic, User, UserId,
};
use tokio_postgres::Row;

use crate::users::user_of;
use crate::{PostgresStore, from_ms, ms, store_err};

/// A room's columns: [`room`] reads them, later ones start at 7.
const ROOM_COLUMNS: &str =
    "r.name, r.title, r.topic, r.kind, r.created_by, r.created_at, r.archived_at";

fn room(r: &Row) -> Room {
    // Members-only unless it says otherwise: an unknown kind never opens a room.
    let kind = RoomKind::from_name(r.get(3)).unwrap_or(RoomKind::Private);
    Room {
        name: RoomName::from_trusted(r.get(0)),
        title: RoomTitle::from_trusted(r.get(1)),
        topic: RoomTopic::from_trusted(r.get(2)),
        kind,
        created_by: r.get::<_, Option<i64>>(4).map(|id| UserId(id as u64)),
        created_at: from_ms(r.get(5)),
        archived_at: r.get::<_, Option<i64>>(6).map(from_ms),
    }
}

const INVITE_SELECT: &str = "SELECT i.id, i.room, i.created_by, u.username, i.created_at,
        i.expires_at, i.max_uses, i.uses
     FROM invites i JOIN users u ON u.id = i.created_by";

fn invite(r: &Row) -> Invite {
    Invite {
        id: r.get::<_, i64>(0) as u64,
        room: RoomName::from_trusted(r.get(1)),
        created_by: user_of(r, 2, 3),
        created_at: from_ms(r.get(4)),
        expires_at: r.get::<_, Option<i64>>(5).map(from_ms),
        max_uses: r.get::<_, Option<i32>>(6).map(|n| n as u32),
        uses: r.get::<_, i32>(7) as u32,
    }
}

const READ_STATE: &str = "SELECT m.last_read, (SELECT count(*) FROM mentions n
        WHERE n.user_id = m.user_id AND n.room = m.room AND n.message_id > m.last_read)
    FROM room_members m WHERE m.room = $1 AND m.user_id = $2";

async fn read_state(
    c: &impl GenericClient,
    room: &str,
    user: i64,
) -> Result<Option<ReadState>, StoreError> {
    Ok(c.query_opt_cached(READ_STATE, &[&room, &user])
        .await
        .map_err(store_err)?
        .map(|r| ReadState {
            last_read: MessageId(r.get::<_, i64>(0) as u64),
            mentions: r.get::<_, i64>(1) as u64,
        }))
}

#[async_trait]
impl RoomStore for PostgresStore {
    async fn create_room(
        &self,
        new: &Room,
        members: &[UserId],
        last_read: MessageId,
    ) -> Result<(), StoreError> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(store_err)?;
        let inserted = tx
            .execute_cached(
                "INSERT INTO rooms (name, title, topic, kind, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING",
                &[
                    &new.name.as_str(),
                    &new.title.as_str(),
                    &new.topic.as_str(),
                    &new.kind.as_str(),
                    &new.created_by.map(|u| u.0 as i64),
                    &ms(new.created_at),
                ],
            )
            .await
            .map_err(store_err)?;
        if inserted == 0 {
            return Err(StoreError::Conflict("that room name is taken".into()));
        }
        for m in members {
            tx.execute_cached(
                "INSERT INTO room_members (room, user_id, last_read, joined_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[
                    &new.name.as_str(),
                    &(m.0 as i64),
                    &(last_read.0 as i64),
                    &ms(new.created_at),
                ],
            )
            .await
            .map_err(store_err)?;
        }
        tx.commit().await.map_err(store_err)
    }

    async fn find_room(&self, name: &RoomName) -> Result<Option<Room>, StoreError> {
        let c = self.conn().await?;
        Ok(c.query_opt_cached(
            &format!(
                "SELECT {ROOM_COLUMNS} FROM rooms r WHERE r.name = $1 AND r.deleted_at IS NULL"
            ),
            &[&name.as_str()],
        )
        .await
        .map_err(store_err)?
        .as_ref()
        .map(room))
    }

    async fn public_rooms(&self, limit: usize) -> Result<Vec<(Room, u64)>, StoreError> {
        let c = self.conn().await?;
        let rows = c
            .query_cached(
                &format!(
                    "SELECT {ROOM_COLUMNS}, (SELECT count(*) FROM room_members m WHERE m.room = r.name)
                     FROM rooms r WHERE r.kind = 'public' AND r.deleted_at IS NULL
                     ORDER BY r.name COLLATE \"C\" LIMIT $1"
                ),
                &[&(limit.min(i64::MAX as usize) as i64)],
            )
            .await
            .map_err(store_err)?;
        Ok(rows
            .iter()
            .map(|r| (room(r), r.get::<_, i64>(7) as u64))
            .collect())
    }

    async fn add_member(
        &self,
        name: &RoomName,
        user: UserId,
        last_read: MessageId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let c = self.conn().await?;
        let n = c
            .execute_cached(
                "INSERT INTO room_members (room, user_id, last_read, joined_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[
                    &name.as_str(),
                    &(user.0 as i64),
                    &(last_read.0 as i64),
                    &ms(at),
                ],
            )
            .await
            .map_err(store_err)?;
        Ok(n > 0)
    }

    async fn set_room_details(
        &self,
        name: &RoomName,
        title: &RoomTitle,
        topic: &RoomTopic,
    ) -> Result<bool, StoreError> {
        let c = self.conn().await?;
        let n = c
            .execute_cached(
                "UPDATE rooms SET title = $2, topic = $3 WHERE name = $1",
                &[&name.as_str(), &title.as_str(), &topic.as_str()],
            )
            .await
            .map_err(store_err)?;
        Ok(n > 0)
    }

    async fn remove_member(&self, name: &RoomName, user: UserId) -> Result<bool, StoreError> {
        let c = self.conn().await?;
        let n = c
            .execute_cached(
                "DELETE FROM room_members WHERE room = $1 AND user_id = $2",
                &[&name.as_str(), &(user.0 as i64)],
            )
            .await
            .map_err(store_err)?;
        Ok(n > 0)
    }

    async fn members(&self, name: &RoomName) -> Result<Vec<User>, StoreError> {
        let c = self.conn().await?;
        let rows = c
            .query_cached(
                "SELECT u.id, u.username FROM room_members m JOIN users u ON u.id = m.user_id
                 WHERE m.room = $1 ORDER BY lower(u.username) COLLATE \"C\"",
                &[&name.as_str()],
            )
            .await
            .map_err(store_err)?;
        Ok(rows.iter().map(|r| user_of(r, 0, 1)).collect())
    }

    async fn memberships(&self, user: UserId) -> Result<Vec<Membership>, StoreError> {
        let c = self.conn().await?;
        let rows = c
            .query_cached(
                &format!(
                    "SELECT {ROOM_COLUMNS}, m.last_read, (SELECT count(*) FROM mentions n
                         WHERE n.user_id = m.user_id AND n.room = m.room AND n.message_id > m.last_read)
                     FROM room_members m JOIN rooms r ON r.name = m.room
                     WHERE m.user_id = $1 ORDER BY r.name COLLATE \"C\""
                ),
                &[&(user.0 as i64)],
            )
            .await
            .map_err(store_err)?;
        Ok(rows
            .iter()
            .map(|r| Membership {
                room: room(r),
                read: ReadState {
                    last_read: MessageId(r.get::<_, i64>(7) as u64),
                    mentions: r.get::<_, i64>(8) as u64,
                },
            })
            .collect())
    }

    async fn read_state(
        &self,
        name: &RoomName,
        user: UserId,
    ) -> Result<Option<ReadState>, StoreError> {
        let c = self.conn().await?;
        read_state(&c, name.as_str(), user.0 as i64).await
    }

    async fn mark_read(
        &self,
        name: &RoomName,
        user: UserId,
        id: MessageId,
    ) -> Result<Option<ReadState>, StoreError> {
        let c = self.conn().await?;
        c.execute_cached(
            "UPDATE room_members SET last_read = greatest(last_read, $3)
             WHERE room = $1 AND user_id = $2",
            &[&name.as_str(), &(user.0 as i64), &(id.0 as i64)],
        )
        .await
        .map_err(store_err)?;
        read_state(&c, name.as_str(), user.0 as i64).await
    }

    async fn clear_mentions(
        &self,
        name: &RoomName,
        id: MessageId,
    ) -> Result<Vec<UserId>, StoreError> {
        let c = self.conn().await?;
        let rows = c
            .query_cached(
                "DELETE FROM mentions WHERE room = $1 AND message_id = $2 RETURNING user_id",
                &[&name.as_str(), &(id.0 as i64)],
            )
            .await
            .map_err(store_err)?;
        let mut users: Vec<UserId> = rows
            .iter()
            .map(|r| UserId(r.get::<_, i64>(0) as u64))
            .collect();
        users.sort();
        Ok(users)
    }

    async fn add_mentions(
        &self,
        name: &RoomName,
        id: MessageId,
        users: &[UserId],
    ) -> Result<(), StoreError> {
        let c = self.conn().await?;
        let ids: Vec<i64> = users.iter().map(|u| u.0 as i64).collect();
        c.execute_cached(
            "INSERT INTO mentions (user_id, room, message_id)
             SELECT u, $2, $3 FROM unnest($1::bigint[]) AS u ON CONFLICT DO NOTHING",
            &[&ids, &name.as_str(), &(id.0 as i64)],
        )
        .await
        .map_err(store_err)?;
        Ok(())
    }

    async fn set_archived(
        &self,
        name: &RoomName,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        let c = self.conn().await?;
        let n = c
            .execute_cached(
                "UPDATE rooms SET archived_at = $2 WHERE name = $1 AND deleted_at IS NULL",
                &[&name.as_str(), &at.map(ms)],
            )
            .await
            .map_err(store_err)?;
        Ok(n > 0)
    }

    async fn delete_room(&self, name: &RoomName) -> Result<bool, StoreError> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(store_err)?;
        let n = tx
            .execute_cached(
                "UPDATE rooms SET title = '', topic = '',
                     deleted_at = (extract(epoch FROM clock_timestamp()) * 1000)::bigint
                 WHERE name = $1 AND deleted_at IS NULL",
                &[&name.as_str()],
            )
            .await
            .map_err(store_err)?;
        if n == 0 {
            return Ok(false);
        }
        for sql in [
            "DELETE FROM room_members WHERE room = $1",
            "DELETE FROM mentions WHERE room = $1",
            "DELETE FROM invites WHERE room = $1",
        ] {
            tx.execute_cached(sql, &[&name.as_str()])
                .await
                .map_err(store_err)?;
        }
        tx.commit().await.map_err(store_err)?;
        Ok(true)
    }

    async fn create_invite(&self, new: &NewInvite) -> Result<u64, StoreError> {
        let c = self.conn().await?;
        let id: i64 = c
            .query_one_cached(
                "INSERT INTO invites (room, code_hash, created_by, created_at, expires_at, max_uses)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &new.room.as_str(),
                    &new.hash.as_bytes().as_slice(),
                    &(new.created_by.0 as i64),
                    &ms(new.created_at),
                    &new.expires_at.map(ms),
                    &new.max_uses.map(|n| n as i32),
                ],
            )
            .await
            .map_err(store_err)?
            .get(0);
        Ok(id as u64)
    }

    async fn invites(&self, name: &RoomName) -> Result<Vec<Invite>, StoreError> {
        let c = self.conn().await?;
        let rows = c
            .query_cached(
                &format!("{INVITE_SELECT} WHERE i.room = $1 ORDER BY i.id DESC"),
                &[&name.as_str()],
            )
            .await
            .map_err(store_err)?;
        Ok(rows.iter().map(invite).collect())
    }

    async fn find_invite(&self, hash: &TokenHash) -> Result<Option<Invite>, StoreError> {
        let c = self.conn().await?;
        Ok(c.query_opt_cached(
            &format!("{INVITE_SELECT} WHERE i.code_hash = $1"),
            &[&hash.as_bytes().as_slice()],
        )
        .await
        .map_err(store_err)?
        .as_ref()
        .map(invite))
    }

    async fn use_invite(
        &self,
        id: u64,
        user: UserId,
        last_read: MessageId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(store_err)?;
        // The row lock of the UPDATE makes two last uses take turns.
        let Some(row) = tx
            .query_opt_cached(
                "UPDATE invites SET uses = uses + 1
                 WHERE id = $1 AND (max_uses IS NULL OR uses < max_uses)
                 RETURNING room",
                &[&(id as i64)],
            )
            .await
            .map_err(store_err)?
        else {
            return Ok(false);
        };
        let room: &str = row.get(0);
        tx.execute_cached(
            "INSERT INTO room_members (room, user_id, last_read, joined_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[&room, &(user.0 as i64), &(last_read.0 as i64), &ms(at)],
        )
        .await
        .map_err(store_err)?;
        tx.commit().await.map_err(store_err)?;
        Ok(true)
    }

    async fn delete_invite(&self, name: &RoomName, id: u64) -> Result<bool, StoreError> {
        let c = self.conn().await?;
        let n = c
            .execute_cached(
                "DELETE FROM invites WHERE id = $1 AND room = $2",
                &[&(id as i64), &name.as_str()],
            )
            .await
            .map_err(store_err)?;
        Ok(n > 0)
    }
}
