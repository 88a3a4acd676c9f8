//! The room store on SQLite: rooms, members with read positions, mentions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use messenger_core::{
    Membership, MessageId, ReadState, Room, RoomKind, RoomName, RoomStore, RoomTitle, RoomTopic,
    StoreError, User, UserId,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::store::{SqliteStore, backend, from_ms, is_unique_violation, ms, user_row};

const ROOM_COLUMNS: &str = "r.name, r.title, r.topic, r.kind, r.created_by, r.created_at";

fn kind_str(kind: RoomKind) -> &'static str {
    match kind {
        RoomKind::Public => "public",
        RoomKind::Private => "private",
        RoomKind::Direct => "direct",
    }
}

fn room_row(r: &Row<'_>) -> rusqlite::Result<Room> {
    let kind = match r.get_ref(3)?.as_str()? {
        "private" => RoomKind::Private,
        "direct" => RoomKind::Direct,
        _ => RoomKind::Public,
    };
    Ok(Room {
        name: RoomName::from_trusted(r.get(0)?),
        title: RoomTitle::from_trusted(r.get(1)?),
        topic: RoomTopic::from_trusted(r.get(2)?),
        kind,
        created_by: r.get::<_, Option<i64>>(4)?.map(|id| UserId(id as u64)),
        created_at: from_ms(r.get(5)?)?,
    })
}

/// A member's read state: the position and the mentions after it.
fn read_state(c: &Connection, room: &str, user: i64) -> rusqlite::Result<Option<ReadState>> {
    c.prepare_cached(
        "SELECT m.last_read, (SELECT count(*) FROM mentions n
             WHERE n.user_id = m.user_id AND n.room = m.room AND n.message_id > m.last_read)
         FROM room_members m WHERE m.room = ?1 AND m.user_id = ?2",
    )?
    .query_row(params![room, user], |r| {
        Ok(ReadState {
            last_read: MessageId(r.get::<_, i64>(0)? as u64),
            mentions: r.get::<_, i64>(1)? as u64,
        })
    })
    .optional()
}

#[async_trait]
impl RoomStore for SqliteStore {
    async fn create_room(
        &self,
        room: &Room,
        members: &[UserId],
        last_read: MessageId,
    ) -> Result<(), StoreError> {
        let (room, members) = (room.clone(), members.to_vec());
        self.writer
            .write(move |c| {
                let inserted = c
                    .prepare_cached(
                        "INSERT INTO rooms (name, title, topic, kind, created_by, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            room.name.as_str(),
                            room.title.as_str(),
                            room.topic.as_str(),
                            kind_str(room.kind),
                            room.created_by.map(|u| u.0 as i64),
                            ms(room.created_at),
                        ])
                    });
                match inserted {
                    Ok(_) => {}
                    Err(e) if is_unique_violation(&e) => {
                        return Err(StoreError::Conflict("room name is taken".into()));
                    }
                    Err(e) => return Err(backend(e)),
                }
                // In the same savepoint as the room: all members or no room.
                let mut add = c
                    .prepare_cached(
                        "INSERT OR IGNORE INTO room_members (room, user_id, last_read, joined_at)
                         VALUES (?1, ?2, ?3, ?4)",
                    )
                    .map_err(backend)?;
                for m in members {
                    add.execute(params![
                        room.name.as_str(),
                        m.0 as i64,
                        last_read.0 as i64,
                        ms(room.created_at)
                    ])
                    .map_err(backend)?;
                }
                Ok(())
            })
            .await
    }

    async fn find_room(&self, name: &RoomName) -> Result<Option<Room>, StoreError> {
        let name = name.as_str().to_owned();
        self.readers
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {ROOM_COLUMNS} FROM rooms r WHERE r.name = ?1"
                ))
                .and_then(|mut s| s.query_row([name], room_row).optional())
                .map_err(backend)
            })
            .await
    }

    async fn public_rooms(&self, limit: usize) -> Result<Vec<(Room, u64)>, StoreError> {
        self.readers
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {ROOM_COLUMNS},
                        (SELECT count(*) FROM room_members m WHERE m.room = r.name)
                     FROM rooms r WHERE r.kind = 'public' ORDER BY r.name LIMIT ?1"
                ))
                .and_then(|mut s| {
                    s.query_map([limit as i64], |r| {
                        Ok((room_row(r)?, r.get::<_, i64>(6)? as u64))
                    })?
                    .collect()
                })
                .map_err(backend)
            })
            .await
    }

    async fn add_member(
        &self,
        room: &RoomName,
        user: UserId,
        last_read: MessageId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let room = room.as_str().to_owned();
        self.writer
            .write(move |c| {
                c.prepare_cached(
                    "INSERT OR IGNORE INTO room_members (room, user_id, last_read, joined_at)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut s| {
                    s.execute(params![room, user.0 as i64, last_read.0 as i64, ms(at)])
                })
                .map(|n| n > 0)
                .map_err(backend)
            })
            .await
    }

    async fn set_room_details(
        &self,
        name: &RoomName,
        title: &RoomTitle,
        topic: &RoomTopic,
    ) -> Result<bool, StoreError> {
        let (name, title, topic) = (
            name.as_str().to_owned(),
            title.as_str().to_owned(),
            topic.as_str().to_owned(),
        );
        self.writer
            .erase(move |c| {
                c.prepare_cached("UPDATE rooms SET title = ?2, topic = ?3 WHERE name = ?1")
                    .and_then(|mut s| s.execute(params![name, title, topic]))
                    .map(|n| n > 0)
                    .map_err(backend)
            })
            .await
    }

    async fn remove_member(&self, room: &RoomName, user: UserId) -> Result<bool, StoreError> {
        let room = room.as_str().to_owned();
        self.writer
            .write(move |c| {
                c.prepare_cached("DELETE FROM room_members WHERE room = ?1 AND user_id = ?2")
                    .and_then(|mut s| s.execute(params![room, user.0 as i64]))
                    .map(|n| n > 0)
                    .map_err(backend)
            })
            .await
    }

    async fn members(&self, room: &RoomName) -> Result<Vec<User>, StoreError> {
        let room = room.as_str().to_owned();
        self.readers
            .read(move |c| {
                c.prepare_cached(
                    "SELECT u.id, u.username FROM room_members m JOIN users u ON u.id = m.user_id
                     WHERE m.room = ?1 ORDER BY u.username COLLATE NOCASE",
                )
                .and_then(|mut s| s.query_map([room], user_row)?.collect())
                .map_err(backend)
            })
            .await
    }

    async fn memberships(&self, user: UserId) -> Result<Vec<Membership>, StoreError> {
        self.readers
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {ROOM_COLUMNS}, m.last_read,
                        (SELECT count(*) FROM mentions n WHERE n.user_id = m.user_id
                            AND n.room = m.room AND n.message_id > m.last_read)
                     FROM room_members m JOIN rooms r ON r.name = m.room
                     WHERE m.user_id = ?1 ORDER BY r.name"
                ))
                .and_then(|mut s| {
                    s.query_map([user.0 as i64], |r| {
                        Ok(Membership {
                            room: room_row(r)?,
                            read: ReadState {
                                last_read: MessageId(r.get::<_, i64>(6)? as u64),
                                mentions: r.get::<_, i64>(7)? as u64,
                            },
                        })
                    })?
                    .collect()
                })
                .map_err(backend)
            })
            .await
    }

    async fn read_state(
        &self,
        room: &RoomName,
        user: UserId,
    ) -> Result<Option<ReadState>, StoreError> {
        let room = room.as_str().to_owned();
        self.readers
            .read(move |c| read_state(c, &room, user.0 as i64).map_err(backend))
            .await
    }

    async fn mark_read(
        &self,
        room: &RoomName,
        user: UserId,
        id: MessageId,
    ) -> Result<Option<ReadState>, StoreError> {
        let room = room.as_str().to_owned();
        self.writer
            .write(move |c| {
                c.prepare_cached(
                    "UPDATE room_members SET last_read = max(last_read, ?3)
                     WHERE room = ?1 AND user_id = ?2",
                )
                .and_then(|mut s| s.execute(params![room, user.0 as i64, id.0 as i64]))
                .and_then(|_| read_state(c, &room, user.0 as i64))
                .map_err(backend)
            })
            .await
    }

    async fn clear_mentions(
        &self,
        room: &RoomName,
        id: MessageId,
    ) -> Result<Vec<UserId>, StoreError> {
        let room = room.as_str().to_owned();
        self.writer
            .write(move |c| {
                let mut users = c
                    .prepare_cached(
                        "DELETE FROM mentions WHERE room = ?1 AND message_id = ?2 RETURNING user_id",
                    )
                    .and_then(|mut s| {
                        s.query_map(params![room, id.0 as i64], |r| {
                            Ok(UserId(r.get::<_, i64>(0)? as u64))
                        })?
                        .collect::<rusqlite::Result<Vec<_>>>()
                    })
                    .map_err(backend)?;
                users.sort();
                Ok(users)
            })
            .await
    }

    async fn add_mentions(
        &self,
        room: &RoomName,
        id: MessageId,
        users: &[UserId],
    ) -> Result<(), StoreError> {
        let (room, users) = (room.as_str().to_owned(), users.to_vec());
        self.writer
            .write(move |c| {
                let mut add = c
                    .prepare_cached(
                        "INSERT OR IGNORE INTO mentions (user_id, room, message_id) VALUES (?1, ?2, ?3)",
                    )
                    .map_err(backend)?;
                for u in users {
                    add.execute(params![u.0 as i64, room, id.0 as i64])
                        .map_err(backend)?;
                }
                Ok(())
            })
            .await
    }
}
