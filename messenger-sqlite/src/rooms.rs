//! The room store on SQLite: rooms, members with read positions, mentions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use messenger_core::store::{Membership, NewInvite, RoomStore, StoreError, TokenHash};
use messenger_core::{
    Invite, MessageId, ReadState, Room, RoomKind, RoomName, RoomTitle, RoomTopic, User, UserId,
    Username,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::store::{SqliteStore, backend, from_ms, is_unique_violation, ms, user_row};

/// A room's columns: [`room_row`] reads them, later ones start at 7.
const ROOM_COLUMNS: &str =
    "r.name, r.title, r.topic, r.kind, r.created_by, r.created_at, r.archived_at";

const INVITE_SELECT: &str = "SELECT i.id, i.room, i.created_by, u.username, i.created_at,
        i.expires_at, i.max_uses, i.uses
     FROM invites i JOIN users u ON u.id = i.created_by";

fn invite_row(r: &Row<'_>) -> rusqlite::Result<Invite> {
    Ok(Invite {
        id: r.get::<_, i64>(0)? as u64,
        room: RoomName::from_trusted(r.get(1)?),
        created_by: User {
            id: UserId(r.get::<_, i64>(2)? as u64),
            username: Username::from_trusted(r.get(3)?),
        },
        created_at: from_ms(r.get(4)?)?,
        expires_at: r.get::<_, Option<i64>>(5)?.map(from_ms).transpose()?,
        max_uses: r.get(6)?,
        uses: r.get(7)?,
    })
}

fn room_row(r: &Row<'_>) -> rusqlite::Result<Room> {
    // Members-only unless it says otherwise: an unknown kind never opens a room.
    let kind = RoomKind::from_name(r.get_ref(3)?.as_str()?).unwrap_or(RoomKind::Private);
    Ok(Room {
        name: RoomName::from_trusted(r.get(0)?),
        title: RoomTitle::from_trusted(r.get(1)?),
        topic: RoomTopic::from_trusted(r.get(2)?),
        kind,
        created_by: r.get::<_, Option<i64>>(4)?.map(|id| UserId(id as u64)),
        created_at: from_ms(r.get(5)?)?,
        archived_at: r.get::<_, Option<i64>>(6)?.map(from_ms).transpose()?,
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
                            room.kind.as_str(),
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
                    "SELECT {ROOM_COLUMNS} FROM rooms r WHERE r.name = ?1 AND r.deleted_at IS NULL"
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
                     FROM rooms r WHERE r.kind = 'public' AND r.deleted_at IS NULL
                     ORDER BY r.name LIMIT ?1"
                ))
                .and_then(|mut s| {
                    s.query_map([limit as i64], |r| {
                        Ok((room_row(r)?, r.get::<_, i64>(7)? as u64))
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
                                last_read: MessageId(r.get::<_, i64>(7)? as u64),
                                mentions: r.get::<_, i64>(8)? as u64,
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

    async fn set_archived(
        &self,
        name: &RoomName,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        let name = name.as_str().to_owned();
        self.writer
            .write(move |c| {
                c.prepare_cached(
                    "UPDATE rooms SET archived_at = ?2 WHERE name = ?1 AND deleted_at IS NULL",
                )
                .and_then(|mut s| s.execute(params![name, at.map(ms)]))
                .map(|n| n > 0)
                .map_err(backend)
            })
            .await
    }

    async fn delete_room(&self, name: &RoomName) -> Result<bool, StoreError> {
        let name = name.as_str().to_owned();
        self.writer
            .erase(move |c| {
                let deleted = c
                    .prepare_cached(
                        "UPDATE rooms SET title = '', topic = '',
                             deleted_at = CAST(unixepoch('subsec') * 1000 AS INTEGER)
                         WHERE name = ?1 AND deleted_at IS NULL",
                    )
                    .and_then(|mut s| s.execute([&name]))
                    .map_err(backend)?;
                if deleted == 0 {
                    return Ok(false);
                }
                for sql in [
                    "DELETE FROM room_members WHERE room = ?1",
                    "DELETE FROM mentions WHERE room = ?1",
                    "DELETE FROM invites WHERE room = ?1",
                ] {
                    c.prepare_cached(sql)
                        .and_then(|mut s| s.execute([&name]))
                        .map_err(backend)?;
                }
                Ok(true)
            })
            .await
    }

    async fn create_invite(&self, invite: &NewInvite) -> Result<u64, StoreError> {
        let invite = invite.clone();
        self.writer
            .write(move |c| {
                c.prepare_cached(
                    "INSERT INTO invites (room, code_hash, created_by, created_at, expires_at, max_uses)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                )
                .and_then(|mut s| {
                    s.query_row(
                        params![
                            invite.room.as_str(),
                            invite.hash.as_bytes(),
                            invite.created_by.0 as i64,
                            ms(invite.created_at),
                            invite.expires_at.map(ms),
                            invite.max_uses
                        ],
                        |r| r.get::<_, i64>(0),
                    )
                })
                .map(|id| id as u64)
                .map_err(backend)
            })
            .await
    }

    async fn invites(&self, room: &RoomName) -> Result<Vec<Invite>, StoreError> {
        let room = room.as_str().to_owned();
        self.readers
            .read(move |c| {
                c.prepare_cached(&format!(
                    "{INVITE_SELECT} WHERE i.room = ?1 ORDER BY i.id DESC"
                ))
                .and_then(|mut s| s.query_map([room], invite_row)?.collect())
                .map_err(backend)
            })
            .await
    }

    async fn find_invite(&self, hash: &TokenHash) -> Result<Option<Invite>, StoreError> {
        let hash = *hash;
        self.readers
            .read(move |c| {
                c.prepare_cached(&format!("{INVITE_SELECT} WHERE i.code_hash = ?1"))
                    .and_then(|mut s| s.query_row([hash.as_bytes()], invite_row).optional())
                    .map_err(backend)
            })
            .await
    }

    async fn use_invite(
        &self,
        id: u64,
        user: UserId,
        last_read: MessageId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.writer
            .write(move |c| {
                let room: Option<String> = c
                    .prepare_cached(
                        "UPDATE invites SET uses = uses + 1
                         WHERE id = ?1 AND (max_uses IS NULL OR uses < max_uses)
                         RETURNING room",
                    )
                    .and_then(|mut s| s.query_row([id as i64], |r| r.get(0)).optional())
                    .map_err(backend)?;
                let Some(room) = room else {
                    return Ok(false);
                };
                c.prepare_cached(
                    "INSERT OR IGNORE INTO room_members (room, user_id, last_read, joined_at)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut s| {
                    s.execute(params![room, user.0 as i64, last_read.0 as i64, ms(at)])
                })
                .map_err(backend)?;
                Ok(true)
            })
            .await
    }

    async fn delete_invite(&self, room: &RoomName, id: u64) -> Result<bool, StoreError> {
        let room = room.as_str().to_owned();
        self.writer
            .write(move |c| {
                c.prepare_cached("DELETE FROM invites WHERE id = ?1 AND room = ?2")
                    .and_then(|mut s| s.execute(params![id as i64, room]))
                    .map(|n| n > 0)
                    .map_err(backend)
            })
            .await
    }
}
