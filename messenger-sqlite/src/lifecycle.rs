//! Edits, deletes, the changes since a change number, and full-text search
//! (FTS5, kept in step with every write in the same transaction).

use messenger_core::{ChangeKind, Message, MessageChange, MessageId, RoomName};
use rusqlite::{Connection, OptionalExtension, params};

use crate::store::{MESSAGE_COLUMNS, message_row, ms};

pub(crate) fn find_message(
    c: &Connection,
    room: &str,
    id: MessageId,
) -> rusqlite::Result<Option<Message>> {
    c.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS} WHERE m.room = ?1 AND m.id = ?2"
    ))?
    .query_row(params![room, id.0 as i64], message_row)
    .optional()
}

pub(crate) fn change(c: &Connection, change: &MessageChange) -> rusqlite::Result<Option<Message>> {
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
    c.prepare_cached(
        "INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', ?1, ?2)",
    )?
    .execute(params![seq, old_body])?;
    match &change.kind {
        ChangeKind::Edit(body) => {
            c.prepare_cached(
                "UPDATE messages SET body = ?3, edited_at = ?4, rev = ?5 WHERE room = ?1 AND id = ?2",
            )?
            .execute(params![room, id, body.as_str(), ms(change.at), rev])?;
            c.prepare_cached("INSERT INTO messages_fts (rowid, body) VALUES (?1, ?2)")?
                .execute(params![seq, body.as_str()])?;
        }
        ChangeKind::Delete => {
            c.prepare_cached(
                "UPDATE messages SET body = '', deleted_at = ?3, rev = ?4 WHERE room = ?1 AND id = ?2",
            )?
            .execute(params![room, id, ms(change.at), rev])?;
        }
    }
    find_message(c, room, change.id)
}

/// Closes (or opens again, unless erased) a room to posts.
pub(crate) fn close_room(c: &Connection, room: &str, closed: bool) -> rusqlite::Result<()> {
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
pub(crate) fn closed(c: &Connection, room: &str) -> rusqlite::Result<Option<bool>> {
    c.prepare_cached("SELECT erased FROM closed_rooms WHERE room = ?1")?
        .query_row([room], |r| r.get(0))
        .optional()
}

/// Erases every message of `room`: each one's words leave the index as a
/// deleted message's do (given the old text), then the rows go; the room
/// is closed for good first, in the same transaction.
pub(crate) fn erase_room(c: &Connection, room: &str) -> rusqlite::Result<u64> {
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
    let n = c
        .prepare_cached("DELETE FROM messages WHERE room = ?1")?
        .execute([room])?;
    Ok(n as u64)
}

pub(crate) fn changes(
    c: &Connection,
    room: &str,
    after_rev: u64,
    limit: usize,
) -> rusqlite::Result<Vec<Message>> {
    c.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS} WHERE m.room = ?1 AND m.rev > ?2 ORDER BY m.rev LIMIT ?3"
    ))?
    .query_map(params![room, after_rev as i64, limit as i64], message_row)?
    .collect()
}

pub(crate) fn deleted_after(
    c: &Connection,
    rooms: &[(RoomName, MessageId)],
) -> rusqlite::Result<Vec<u64>> {
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

pub(crate) fn search(
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
    c.prepare_cached(&sql)?
        .query_map(
            params![
                fts_query(terms),
                before.map_or(i64::MAX, |b| b as i64),
                rooms,
                limit as i64
            ],
            |r| Ok((r.get::<_, i64>(10)? as u64, message_row(r)?)),
        )?
        .collect()
}
