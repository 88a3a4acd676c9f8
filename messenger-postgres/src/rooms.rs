//! Rooms, members with read positions, and mentions on PostgreSQL.

use crate::statements::Prepared;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use messenger_core::{
    Membership, MessageId, ReadState, Room, RoomKind, RoomName, RoomStore, RoomTitle, RoomTopic,
    StoreError, User, UserId,
};
use tokio_postgres::Row;

use crate::users::user_of;
use crate::{PostgresStore, from_ms, ms, store_err};

const ROOM_COLUMNS: &str = "r.name, r.title, r.topic, r.kind, r.created_by, r.created_at";

fn kind_str(kind: RoomKind) -> &'static str {
    match kind {
        RoomKind::Public => "public",
        RoomKind::Private => "private",
        RoomKind::Direct => "direct",
    }
}

fn room(r: &Row) -> Room {
    let kind = match r.get::<_, &str>(3) {
        "private" => RoomKind::Private,
        "direct" => RoomKind::Direct,
        _ => RoomKind::Public,
    };
    Room {
        name: RoomName::from_trusted(r.get(0)),
        title: RoomTitle::from_trusted(r.get(1)),
        topic: RoomTopic::from_trusted(r.get(2)),
        kind,
        created_by: r.get::<_, Option<i64>>(4).map(|id| UserId(id as u64)),
        created_at: from_ms(r.get(5)),
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
                    &kind_str(new.kind),
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
            &format!("SELECT {ROOM_COLUMNS} FROM rooms r WHERE r.name = $1"),
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
                     FROM rooms r WHERE r.kind = 'public' ORDER BY r.name COLLATE \"C\" LIMIT $1"
                ),
                &[&(limit.min(i64::MAX as usize) as i64)],
            )
            .await
            .map_err(store_err)?;
        Ok(rows
            .iter()
            .map(|r| (room(r), r.get::<_, i64>(6) as u64))
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
                    last_read: MessageId(r.get::<_, i64>(6) as u64),
                    mentions: r.get::<_, i64>(7) as u64,
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
}
