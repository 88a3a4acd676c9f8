//! The message store on SQLite: posts (dense ids per room, retries found
//! by client id), history and each room's head.
//!
//! Edits, deletes, reactions, the changes since a change number, and
//! full-text search (FTS5, kept in step with every write in the same
//! transaction).

use std::collections::HashMap;

use async_trait::async_trait;
use messenger_core::store::{
    Appended, ChangeKind, MessageChange, MessageStore, NewMessage, RoomHead, StoreError, Write,
    Written, group_reactions,
};
use messenger_core::{
    ClientId, HistoryQuery, Message, MessageBody, MessageId, Pinned, ReactionKey, ReplyTo,
    RoomName, User, UserId, Username,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::store::{SqliteStore, backend, from_ms, ms};

/// A message with its author, what of the message it answers a reply
/// shows (from that message as it is now), and its pin.
const MESSAGE_COLUMNS: &str = "m.room, m.id, m.body, m.sent_at, m.client_id, u.id, u.username, \
    m.edited_at, m.deleted_at, m.rev, m.seq, m.reply_to, o.body, o.deleted_at, ou.id, ou.username, \
    m.pinned_at, pu.id, pu.username \
    FROM messages m JOIN users u ON u.id = m.author_id \
    LEFT JOIN messages o ON o.room = m.room AND o.id = m.reply_to \
    LEFT JOIN users ou ON ou.id = o.author_id \
    LEFT JOIN users pu ON pu.id = m.pinned_by";

fn message_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    Ok(Message {
        room: RoomName::from_trusted(r.get(0)?),
        id: MessageId(r.get::<_, i64>(1)? as u64),
        body: MessageBody::from_trusted(r.get(2)?),
        sent_at: from_ms(r.get(3)?)?,
        client_id: ClientId::from_trusted(r.get(4)?),
        author: User {
            id: UserId(r.get::<_, i64>(5)? as u64),
            username: Username::from_trusted(r.get(6)?),
        },
        edited_at: r.get::<_, Option<i64>>(7)?.map(from_ms).transpose()?,
        deleted_at: r.get::<_, Option<i64>>(8)?.map(from_ms).transpose()?,
        rev: r.get::<_, i64>(9)? as u64,
        reactions: Vec::new(),
        reply_to: match (r.get::<_, Option<i64>>(11)?, r.get::<_, Option<i64>>(14)?) {
            (Some(id), Some(author)) => Some(Box::new(ReplyTo::from_parts(
                MessageId(id as u64),
                User {
                    id: UserId(author as u64),
                    username: Username::from_trusted(r.get(15)?),
                },
                &r.get::<_, String>(12)?,
                r.get::<_, Option<i64>>(13)?.is_some(),
            ))),
            _ => None,
        },
        pinned: match (r.get::<_, Option<i64>>(16)?, r.get::<_, Option<i64>>(17)?) {
            (Some(at), Some(by)) => Some(Box::new(Pinned {
                at: from_ms(at)?,
                by: User {
                    id: UserId(by as u64),
                    username: Username::from_trusted(r.get(18)?),
                },
            })),
            _ => None,
        },
    })
}

/// Fills in the reactions of `messages`: one statement per room among them
/// (a page is one room), and none for the common page where nothing was
/// ever changed, since a reaction gives its message a change number.
fn with_reactions(c: &Connection, mut messages: Vec<Message>) -> rusqlite::Result<Vec<Message>> {
    let mut rooms: Vec<&str> = Vec::new();
    for m in messages.iter().filter(|m| m.rev > 0 && !m.is_deleted()) {
        if !rooms.contains(&m.room.as_str()) {
            rooms.push(m.room.as_str());
        }
    }
    let mut found: HashMap<(String, u64), Vec<(ReactionKey, User)>> = HashMap::new();
    let mut stmt = c.prepare_cached(
        "SELECT r.message_id, r.key, u.id, u.username
         FROM reactions r JOIN users u ON u.id = r.user_id
         WHERE r.room = ?1 AND r.message_id IN (SELECT value FROM json_each(?2))
         ORDER BY r.seq",
    )?;
    for room in rooms {
        let ids: Vec<u64> = messages
            .iter()
            .filter(|m| m.rev > 0 && m.room.as_str() == room)
            .map(|m| m.id.0)
            .collect();
        let ids = serde_json::to_string(&ids).expect("numbers serialize");
        let mut rows = stmt.query(params![room, ids])?;
        while let Some(r) = rows.next()? {
            let user = User {
                id: UserId(r.get::<_, i64>(2)? as u64),
                username: Username::from_trusted(r.get(3)?),
            };
            found
                .entry((room.to_owned(), r.get::<_, i64>(0)? as u64))
                .or_default()
                .push((ReactionKey::from_trusted(r.get(1)?), user));
        }
    }
    if !found.is_empty() {
        for m in &mut messages {
            if let Some(rows) = found.remove(&(m.room.as_str().to_owned(), m.id.0)) {
                m.reactions = group_reactions(rows);
            }
        }
    }
    Ok(messages)
}

fn with_reactions_one(c: &Connection, m: Option<Message>) -> rusqlite::Result<Option<Message>> {
    Ok(match m {
        Some(m) => with_reactions(c, vec![m])?.pop(),
        None => None,
    })
}

/// Every room's head in one statement: a user in 1,000 rooms asks once,
/// not 1,000 times (each step through SQLite's VM costs little; each
/// statement run costs its setup, and the answer is on every `ready`).
fn room_heads(c: &Connection, rooms: &[RoomName]) -> rusqlite::Result<Vec<Option<RoomHead>>> {
    let mut out = vec![None; rooms.len()];
    if rooms.is_empty() {
        return Ok(out);
    }
    let names = serde_json::to_string(&rooms.iter().map(RoomName::as_str).collect::<Vec<_>>())
        .expect("strings serialize");
    let mut stmt = c.prepare_cached(
        "SELECT j.key, m.id, m.sent_at,
                (SELECT coalesce(max(rev), 0) FROM messages WHERE room = j.value AND rev > 0)
         FROM json_each(?1) AS j
         JOIN messages AS m ON m.room = j.value
          AND m.id = (SELECT max(id) FROM messages WHERE room = j.value)",
    )?;
    let mut rows = stmt.query([names])?;
    while let Some(r) = rows.next()? {
        let at: usize = r.get::<_, i64>(0)? as usize;
        out[at] = Some(RoomHead {
            last_id: MessageId(r.get::<_, i64>(1)? as u64),
            sent_at: from_ms(r.get(2)?)?,
            rev: r.get::<_, i64>(3)? as u64,
        });
    }
    Ok(out)
}

fn find_by_client_id(
    c: &Connection,
    author: UserId,
    client_id: &str,
) -> rusqlite::Result<Option<Message>> {
    let m = c
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} WHERE m.author_id = ?1 AND m.client_id = ?2"
        ))?
        .query_row(params![author.0 as i64, client_id], message_row)
        .optional()?;
    with_reactions_one(c, m)
}

fn append_batch(c: &Connection, batch: Vec<NewMessage>) -> Result<Vec<Appended>, StoreError> {
    // A sequencer's batch is one room's: one check for all of it.
    let mut checked: Vec<&RoomName> = Vec::new();
    for new in &batch {
        if checked.contains(&&new.room) {
            continue;
        }
        if let Some(erased) = closed(c, new.room.as_str()).map_err(backend)? {
            return Err(StoreError::Closed {
                room: new.room.clone(),
                erased,
            });
        }
        checked.push(&new.room);
    }
    append_open(c, batch).map_err(backend)
}

fn append_open(c: &Connection, batch: Vec<NewMessage>) -> rusqlite::Result<Vec<Appended>> {
    let mut last_ids: HashMap<RoomName, u64> = HashMap::new();
    let mut out = Vec::with_capacity(batch.len());
    let mut seq: i64 = c
        .prepare_cached("SELECT coalesce(max(seq), 0) FROM messages")?
        .query_row([], |r| r.get(0))?;
    for new in batch {
        let last = match last_ids.get(&new.room) {
            Some(id) => *id,
            None => c
                .prepare_cached("SELECT coalesce(max(id), 0) FROM messages WHERE room = ?1")?
                .query_row([new.room.as_str()], |r| r.get::<_, i64>(0))? as u64,
        };
        let id = MessageId(last + 1);
        // The unique (author_id, client_id) index decides retries: the
        // common case, a new message, costs one statement.
        let inserted = c
            .prepare_cached(
                "INSERT INTO messages (room, id, author_id, body, sent_at, client_id, seq, reply_to)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (author_id, client_id) DO NOTHING",
            )?
            .execute(params![
                new.room.as_str(),
                id.0 as i64,
                new.author.id.0 as i64,
                new.body.as_str(),
                ms(new.sent_at),
                new.client_id.as_str(),
                seq + 1,
                new.reply_to.as_ref().map(|r| r.id.0 as i64)
            ])?;
        if inserted == 0 {
            let message = find_by_client_id(c, new.author.id, new.client_id.as_str())?
                .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            out.push(Appended {
                message,
                created: false,
            });
            continue;
        }
        seq += 1;
        // Indexed in the same transaction: search never lags the history.
        c.prepare_cached("INSERT INTO messages_fts (rowid, body) VALUES (?1, ?2)")?
            .execute(params![seq, new.body.as_str()])?;
        last_ids.insert(new.room.clone(), id.0);
        out.push(Appended {
            message: Message::posted(new, id),
            created: true,
        });
    }
    Ok(out)
}

fn find_message(c: &Connection, room: &str, id: MessageId) -> rusqlite::Result<Option<Message>> {
    let m = c
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} WHERE m.room = ?1 AND m.id = ?2"
        ))?
        .query_row(params![room, id.0 as i64], message_row)
        .optional()?;
    with_reactions_one(c, m)
}

fn change(c: &Connection, change: &MessageChange) -> rusqlite::Result<Option<Message>> {
    let room = change.room.as_str();
    let id = change.id.0 as i64;
    let found: Option<(i64, String)> = c
        .prepare_cached(
            "SELECT seq, body FROM messages WHERE room = ?1 AND id = ?2 AND deleted_at IS NULL",
        )?
        .query_row(params![room, id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((seq, old_body)) = found else {
        return Ok(None);
    };
    // The writer is the only one: max + 1 is atomic here.
    let rev: i64 = c
        .prepare_cached(
            "SELECT coalesce(max(rev), 0) + 1 FROM messages WHERE room = ?1 AND rev > 0",
        )?
        .query_row([room], |r| r.get(0))?;
    // The index keeps no copy of the text, so a plain DELETE could only
    // leave a tombstone beside the words; given the old text, secure-delete
    // takes each word's entry out of the index's pages.
    let unindex = || {
        c.prepare_cached(
            "INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', ?1, ?2)",
        )?
        .execute(params![seq, old_body])
    };
    match &change.kind {
        ChangeKind::Edit(body) => {
            unindex()?;
            c.prepare_cached(
                "UPDATE messages SET body = ?3, edited_at = ?4, rev = ?5 WHERE room = ?1 AND id = ?2",
            )?
            .execute(params![room, id, body.as_str(), ms(change.at), rev])?;
            c.prepare_cached("INSERT INTO messages_fts (rowid, body) VALUES (?1, ?2)")?
                .execute(params![seq, body.as_str()])?;
        }
        ChangeKind::Delete => {
            unindex()?;
            c.prepare_cached(
                "UPDATE messages SET body = '', deleted_at = ?3, rev = ?4, pinned_at = NULL, pinned_by = NULL
                 WHERE room = ?1 AND id = ?2",
            )?
            .execute(params![room, id, ms(change.at), rev])?;
            c.prepare_cached("DELETE FROM reactions WHERE room = ?1 AND message_id = ?2")?
                .execute(params![room, id])?;
        }
        ChangeKind::Pin { by, pinned } => {
            let (at, by) = match pinned {
                true => (Some(ms(change.at)), Some(by.id.0 as i64)),
                false => (None, None),
            };
            c.prepare_cached(
                "UPDATE messages SET pinned_at = ?3, pinned_by = ?4, rev = ?5 WHERE room = ?1 AND id = ?2",
            )?
            .execute(params![room, id, at, by, rev])?;
        }
        ChangeKind::React { user, key, on } => {
            let sql = if *on {
                "INSERT INTO reactions (room, message_id, key, user_id) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM reactions WHERE room = ?1 AND message_id = ?2 AND key = ?3 AND user_id = ?4"
            };
            c.prepare_cached(sql)?
                .execute(params![room, id, key.as_str(), user.id.0 as i64])?;
            c.prepare_cached("UPDATE messages SET rev = ?3 WHERE room = ?1 AND id = ?2")?
                .execute(params![room, id, rev])?;
        }
    }
    find_message(c, room, change.id)
}

/// Closes (or opens again, unless erased) a room to posts.
fn close_room(c: &Connection, room: &str, closed: bool) -> rusqlite::Result<()> {
    if closed {
        c.prepare_cached("INSERT OR IGNORE INTO closed_rooms (room, erased) VALUES (?1, 0)")?
            .execute([room])?;
    } else {
        c.prepare_cached("DELETE FROM closed_rooms WHERE room = ?1 AND erased = 0")?
            .execute([room])?;
    }
    Ok(())
}

/// Whether `room` takes no posts, and whether for good.
fn closed(c: &Connection, room: &str) -> rusqlite::Result<Option<bool>> {
    c.prepare_cached("SELECT erased FROM closed_rooms WHERE room = ?1")?
        .query_row([room], |r| r.get(0))
        .optional()
}

/// Erases every message of `room`: each one's words leave the index as a
/// deleted message's do (given the old text), then the rows go; the room
/// is closed for good first, in the same transaction.
fn erase_room(c: &Connection, room: &str) -> rusqlite::Result<u64> {
    c.prepare_cached(
        "INSERT INTO closed_rooms (room, erased) VALUES (?1, 1)
         ON CONFLICT (room) DO UPDATE SET erased = 1",
    )?
    .execute([room])?;
    let mut unindex = c.prepare_cached(
        "INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', ?1, ?2)",
    )?;
    let mut live =
        c.prepare_cached("SELECT seq, body FROM messages WHERE room = ?1 AND deleted_at IS NULL")?;
    let mut rows = live.query([room])?;
    while let Some(r) = rows.next()? {
        unindex.execute(params![r.get::<_, i64>(0)?, r.get::<_, String>(1)?])?;
    }
    c.prepare_cached("DELETE FROM reactions WHERE room = ?1")?
        .execute([room])?;
    let n = c
        .prepare_cached("DELETE FROM messages WHERE room = ?1")?
        .execute([room])?;
    Ok(n as u64)
}

fn changes(
    c: &Connection,
    room: &str,
    after_rev: u64,
    limit: usize,
) -> rusqlite::Result<Vec<Message>> {
    let changed = c
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} WHERE m.room = ?1 AND m.rev > ?2 ORDER BY m.rev LIMIT ?3"
        ))?
        .query_map(params![room, after_rev as i64, limit as i64], message_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    with_reactions(c, changed)
}

fn pins(c: &Connection, room: &str) -> rusqlite::Result<Vec<Message>> {
    let pinned = c
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} WHERE m.room = ?1 AND m.pinned_at IS NOT NULL
             ORDER BY m.pinned_at DESC, m.id DESC"
        ))?
        .query_map([room], message_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    with_reactions(c, pinned)
}

fn deleted_after(c: &Connection, rooms: &[(RoomName, MessageId)]) -> rusqlite::Result<Vec<u64>> {
    let mut count = c.prepare_cached(
        "SELECT count(*) FROM messages WHERE room = ?1 AND id > ?2 AND deleted_at IS NOT NULL",
    )?;
    rooms
        .iter()
        .map(|(room, after)| {
            count
                .query_row(params![room.as_str(), after.0 as i64], |r| {
                    r.get::<_, i64>(0)
                })
                .map(|n| n as u64)
        })
        .collect()
}

/// `terms` as an FTS5 query: each a quoted prefix, all required. Terms
/// hold only letters and digits, so quoting cannot be broken out of.
fn fts_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"*", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

fn search(
    c: &Connection,
    rooms: &[RoomName],
    terms: &[String],
    before: Option<u64>,
    limit: usize,
) -> rusqlite::Result<Vec<(u64, Message)>> {
    if rooms.is_empty() || terms.is_empty() {
        return Ok(Vec::new());
    }
    let rooms = serde_json::to_string(&rooms.iter().map(|r| r.as_str()).collect::<Vec<_>>())
        .expect("strings serialize");
    // Newest first is the index's own rowid order; the room filter is a
    // lookup per candidate in a small in-memory set.
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS}
         JOIN messages_fts f ON f.rowid = m.seq
         WHERE messages_fts MATCH ?1 AND f.rowid < ?2
           AND m.room IN (SELECT value FROM json_each(?3))
         ORDER BY f.rowid DESC LIMIT ?4"
    );
    let hits = c
        .prepare_cached(&sql)?
        .query_map(
            params![
                fts_query(terms),
                before.map_or(i64::MAX, |b| b as i64),
                rooms,
                limit as i64
            ],
            |r| Ok((r.get::<_, i64>(10)? as u64, message_row(r)?)),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let (cursors, messages): (Vec<u64>, Vec<Message>) = hits.into_iter().unzip();
    Ok(cursors
        .into_iter()
        .zip(with_reactions(c, messages)?)
        .collect())
}

#[async_trait]
impl MessageStore for SqliteStore {
    async fn append(&self, batch: Vec<NewMessage>) -> Result<Vec<Appended>, StoreError> {
        self.writer.write(move |c| append_batch(c, batch)).await
    }

    async fn write(&self, writes: Vec<Write>) -> Result<Vec<Written>, StoreError> {
        // A reaction overwrites no text: only edits and deletes call for the
        // checkpoint that takes old text out of the WAL.
        let erases = writes
            .iter()
            .any(|w| matches!(w, Write::Change(c) if !matches!(c.kind, ChangeKind::React { .. })));
        // One job of the writer: one savepoint, one commit for the turn.
        let run = move |c: &Connection| {
            let mut out = Vec::with_capacity(writes.len());
            for w in writes {
                out.push(match w {
                    Write::Append(batch) => match append_batch(c, batch) {
                        Err(e @ StoreError::Closed { .. }) => Written::Appended(Err(e)),
                        done => Written::Appended(Ok(done?)),
                    },
                    Write::Change(change) => {
                        Written::Changed(crate::messages::change(c, &change).map_err(backend)?)
                    }
                });
            }
            Ok(out)
        };
        if erases {
            self.writer.erase(run).await
        } else {
            self.writer.write(run).await
        }
    }

    async fn history(
        &self,
        room: &RoomName,
        query: HistoryQuery,
    ) -> Result<Vec<Message>, StoreError> {
        let room = room.as_str().to_owned();
        self.readers
            .read(move |c| {
                let after = query.after.map_or(0, |a| a.0 as i64);
                let before = query.before.map_or(i64::MAX, |b| b.0 as i64);
                let limit = query.limit as i64;
                let rows = if query.after.is_some() {
                    c.prepare_cached(&format!(
                        "SELECT {MESSAGE_COLUMNS} WHERE m.room = ?1 AND m.id > ?2 AND m.id < ?3
                         ORDER BY m.id ASC LIMIT ?4"
                    ))
                    .and_then(|mut s| {
                        s.query_map(params![room, after, before, limit], message_row)?
                            .collect::<rusqlite::Result<Vec<_>>>()
                    })
                } else {
                    c.prepare_cached(&format!(
                        "SELECT {MESSAGE_COLUMNS} WHERE m.room = ?1 AND m.id > ?2 AND m.id < ?3
                         ORDER BY m.id DESC LIMIT ?4"
                    ))
                    .and_then(|mut s| {
                        let mut rows = s
                            .query_map(params![room, after, before, limit], message_row)?
                            .collect::<rusqlite::Result<Vec<_>>>()?;
                        rows.reverse();
                        Ok(rows)
                    })
                };
                rows.and_then(|rows| with_reactions(c, rows))
                    .map_err(backend)
            })
            .await
    }

    async fn room_heads(&self, rooms: &[RoomName]) -> Result<Vec<Option<RoomHead>>, StoreError> {
        let rooms = rooms.to_vec();
        self.readers
            .read(move |c| room_heads(c, &rooms).map_err(backend))
            .await
    }

    async fn find_by_client_id(
        &self,
        author: UserId,
        client_id: &ClientId,
    ) -> Result<Option<Message>, StoreError> {
        let client_id = client_id.as_str().to_owned();
        self.readers
            .read(move |c| find_by_client_id(c, author, &client_id).map_err(backend))
            .await
    }

    async fn find_message(
        &self,
        room: &RoomName,
        id: MessageId,
    ) -> Result<Option<Message>, StoreError> {
        let room = room.as_str().to_owned();
        self.readers
            .read(move |c| find_message(c, &room, id).map_err(backend))
            .await
    }

    async fn change(&self, change: &MessageChange) -> Result<Option<Message>, StoreError> {
        let erases = !matches!(change.kind, ChangeKind::React { .. });
        let change = change.clone();
        // The local `change` hides the function of that name: call it by path.
        let run = move |c: &Connection| crate::messages::change(c, &change).map_err(backend);
        if erases {
            self.writer.erase(run).await
        } else {
            // A reaction overwrites no text: no checkpoint after it.
            self.writer.write(run).await
        }
    }

    async fn changes(
        &self,
        room: &RoomName,
        after_rev: u64,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        let room = room.as_str().to_owned();
        self.readers
            .read(move |c| changes(c, &room, after_rev, limit).map_err(backend))
            .await
    }

    async fn pins(&self, room: &RoomName) -> Result<Vec<Message>, StoreError> {
        let room = room.as_str().to_owned();
        self.readers
            .read(move |c| pins(c, &room).map_err(backend))
            .await
    }

    async fn close_room(&self, room: &RoomName, closed: bool) -> Result<(), StoreError> {
        let room = room.as_str().to_owned();
        self.writer
            .write(move |c| close_room(c, &room, closed).map_err(backend))
            .await
    }

    async fn erase_room(&self, room: &RoomName) -> Result<u64, StoreError> {
        let room = room.as_str().to_owned();
        self.writer
            .erase(move |c| erase_room(c, &room).map_err(backend))
            .await
    }

    async fn deleted_after(&self, rooms: &[(RoomName, MessageId)]) -> Result<Vec<u64>, StoreError> {
        let rooms = rooms.to_vec();
        self.readers
            .read(move |c| deleted_after(c, &rooms).map_err(backend))
            .await
    }

    async fn search(
        &self,
        rooms: &[RoomName],
        terms: &[String],
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, Message)>, StoreError> {
        let (rooms, terms) = (rooms.to_vec(), terms.to_vec());
        self.readers
            .read(move |c| search(c, &rooms, &terms, before, limit).map_err(backend))
            .await
    }

    async fn health(&self) -> Result<(), StoreError> {
        self.readers
            .read(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(backend))
            .await
    }
}
