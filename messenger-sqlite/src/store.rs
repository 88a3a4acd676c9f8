//! `SqliteStore`: the store traits of `messenger-core` over one SQLite file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use messenger_core::{
    Appended, ClientId, ExternalId, HistoryQuery, Message, MessageBody, MessageChange, MessageId,
    MessageStore, NewMessage, RoomHead, RoomName, SessionRecord, SessionStore, StoreError,
    TokenHash, User, UserId, UserRecord, UserStore, Username,
};
use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, params};

use crate::error::SqliteError;
use crate::lifecycle;
use crate::options::{Durability, SqliteOptions};
use crate::readers::Readers;
use crate::schema::migrate;
use crate::writer::Writer;

/// Users, sessions and messages in one SQLite database file.
///
/// Writes go to one writer thread that commits them in batches; reads go to
/// reader threads. No SQLite call runs on an async worker. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) writer: Writer,
    pub(crate) readers: Readers,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

fn configure(conn: &Connection, options: &SqliteOptions) -> rusqlite::Result<()> {
    conn.busy_timeout(options.busy_timeout)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // Deleted means gone: freed cells and pages are zeroed, so an edited or
    // deleted message's text does not linger in free space (or in backups).
    conn.pragma_update(None, "secure_delete", true)?;
    conn.pragma_update(
        None,
        "synchronous",
        match options.durability {
            Durability::Process => "NORMAL",
            Durability::PowerLoss => "FULL",
        },
    )?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating file and folder if needed) and migrates the database
    /// at `path`, on the blocking pool.
    pub async fn open(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, SqliteError> {
        let path = path.as_ref().to_owned();
        tokio::task::spawn_blocking(move || Self::open_blocking(path, options))
            .await
            .map_err(|e| SqliteError::Thread(std::io::Error::other(e)))?
    }

    /// [`SqliteStore::open`] for callers outside an async context.
    pub fn open_blocking(
        path: impl AsRef<Path>,
        options: SqliteOptions,
    ) -> Result<Self, SqliteError> {
        let path = path.as_ref().to_owned();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| SqliteError::CreateDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let mut writer = Connection::open(&path)?;
        let mode: String =
            writer.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, "WAL mode unavailable; readers will wait on writes");
        }
        configure(&writer, &options)?;
        migrate(&mut writer)?;
        let mut readers = Vec::new();
        for _ in 0..options.readers.max(1) {
            let conn = Connection::open(&path)?;
            configure(&conn, &options)?;
            conn.pragma_update(None, "query_only", true)?;
            readers.push(conn);
        }
        Ok(Self {
            writer: Writer::spawn(writer, options.max_batch, options.busy_timeout)
                .map_err(SqliteError::Thread)?,
            readers: Readers::spawn(readers).map_err(SqliteError::Thread)?,
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

pub(crate) fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::backend(e)
}

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(v: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(v).ok_or(rusqlite::Error::IntegralValueOutOfRange(0, v))
}

pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation)
}

pub(crate) const MESSAGE_COLUMNS: &str = "m.room, m.id, m.body, m.sent_at, m.client_id, u.id, u.username, m.edited_at, m.deleted_at, m.rev, m.seq FROM messages m JOIN users u ON u.id = m.author_id";

pub(crate) fn message_row(r: &Row<'_>) -> rusqlite::Result<Message> {
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
    })
}

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

pub(crate) fn user_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: UserId(r.get::<_, i64>(0)? as u64),
        username: Username::from_trusted(r.get(1)?),
    })
}

fn session_row(r: &Row<'_>) -> rusqlite::Result<SessionRecord> {
    let hash: Vec<u8> = r.get(0)?;
    let hash: [u8; 32] = hash
        .try_into()
        .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, 0))?;
    Ok(SessionRecord {
        token_hash: TokenHash(hash),
        user_id: UserId(r.get::<_, i64>(1)? as u64),
        created_at: from_ms(r.get(2)?)?,
        last_seen_at: from_ms(r.get(3)?)?,
        expires_at: from_ms(r.get(4)?)?,
        remember: r.get(5)?,
        user_agent: r.get(6)?,
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

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        let s = session.clone();
        self.writer
            .write(move |c| {
                c.prepare_cached(
                                        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, remember, user_agent)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        &s.token_hash.as_bytes()[..],
                        s.user_id.0 as i64,
                        ms(s.created_at),
                        ms(s.last_seen_at),
                                                ms(s.expires_at),
                        s.remember,
                        s.user_agent
                    ])
                })
                .map(drop)
                .map_err(backend)
            })
            .await
    }

    async fn find_session(&self, hash: &TokenHash) -> Result<Option<SessionRecord>, StoreError> {
        let hash = *hash;
        self.readers
            .read(move |c| {
                c.prepare_cached(
                                        "SELECT token_hash, user_id, created_at, last_seen_at, expires_at, remember, user_agent
                     FROM sessions WHERE token_hash = ?1",
                )
                .and_then(|mut s| s.query_row([&hash.as_bytes()[..]], session_row).optional())
                .map_err(backend)
            })
            .await
    }

    async fn touch_session(&self, hash: &TokenHash, at: DateTime<Utc>) -> Result<(), StoreError> {
        let hash = *hash;
        self.writer
            .write(move |c| {
                c.prepare_cached(
                    "UPDATE sessions SET last_seen_at = max(last_seen_at, ?2) WHERE token_hash = ?1",
                )
                .and_then(|mut s| s.execute(params![&hash.as_bytes()[..], ms(at)]))
                .map(drop)
                .map_err(backend)
            })
            .await
    }

    async fn delete_session(&self, hash: &TokenHash) -> Result<bool, StoreError> {
        let hash = *hash;
        self.writer
            .write(move |c| {
                c.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")
                    .and_then(|mut s| s.execute([&hash.as_bytes()[..]]))
                    .map(|n| n > 0)
                    .map_err(backend)
            })
            .await
    }

    async fn user_sessions(&self, user: UserId) -> Result<Vec<SessionRecord>, StoreError> {
        self.readers
            .read(move |c| {
                c.prepare_cached(
                    "SELECT token_hash, user_id, created_at, last_seen_at, expires_at, remember, user_agent
                     FROM sessions WHERE user_id = ?1 ORDER BY created_at DESC, token_hash",
                )
                .and_then(|mut s| {
                    s.query_map([user.0 as i64], session_row)?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(backend)
            })
            .await
    }

    async fn delete_user_sessions(&self, user: UserId) -> Result<u64, StoreError> {
        self.writer
            .write(move |c| {
                c.prepare_cached("DELETE FROM sessions WHERE user_id = ?1")
                    .and_then(|mut s| s.execute([user.0 as i64]))
                    .map(|n| n as u64)
                    .map_err(backend)
            })
            .await
    }

    async fn delete_expired_sessions(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.writer
            .write(move |c| {
                c.prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at < ?2")
                    .and_then(|mut s| s.execute([ms(now), ms(idle_before)]))
                    .map(|n| n as u64)
                    .map_err(backend)
            })
            .await
    }
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
    c.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS} WHERE m.author_id = ?1 AND m.client_id = ?2"
    ))?
    .query_row(params![author.0 as i64, client_id], message_row)
    .optional()
}

fn append_batch(c: &Connection, batch: Vec<NewMessage>) -> Result<Vec<Appended>, StoreError> {
    // A sequencer's batch is one room's: one check for all of it.
    let mut checked: Vec<&RoomName> = Vec::new();
    for new in &batch {
        if checked.contains(&&new.room) {
            continue;
        }
        if let Some(erased) = crate::lifecycle::closed(c, new.room.as_str()).map_err(backend)? {
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
                "INSERT INTO messages (room, id, author_id, body, sent_at, client_id, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (author_id, client_id) DO NOTHING",
            )?
            .execute(params![
                new.room.as_str(),
                id.0 as i64,
                new.author.id.0 as i64,
                new.body.as_str(),
                ms(new.sent_at),
                new.client_id.as_str(),
                seq + 1
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

#[async_trait]
impl MessageStore for SqliteStore {
    async fn append(&self, batch: Vec<NewMessage>) -> Result<Vec<Appended>, StoreError> {
        self.writer.write(move |c| append_batch(c, batch)).await
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
                rows.map_err(backend)
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
            .read(move |c| lifecycle::find_message(c, &room, id).map_err(backend))
            .await
    }

    async fn change(&self, change: &MessageChange) -> Result<Option<Message>, StoreError> {
        let change = change.clone();
        self.writer
            .erase(move |c| lifecycle::change(c, &change).map_err(backend))
            .await
    }

    async fn changes(
        &self,
        room: &RoomName,
        after_rev: u64,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        let room = room.as_str().to_owned();
        self.readers
            .read(move |c| lifecycle::changes(c, &room, after_rev, limit).map_err(backend))
            .await
    }

    async fn close_room(&self, room: &RoomName, closed: bool) -> Result<(), StoreError> {
        let room = room.as_str().to_owned();
        self.writer
            .write(move |c| lifecycle::close_room(c, &room, closed).map_err(backend))
            .await
    }

    async fn erase_room(&self, room: &RoomName) -> Result<u64, StoreError> {
        let room = room.as_str().to_owned();
        self.writer
            .erase(move |c| lifecycle::erase_room(c, &room).map_err(backend))
            .await
    }

    async fn deleted_after(&self, rooms: &[(RoomName, MessageId)]) -> Result<Vec<u64>, StoreError> {
        let rooms = rooms.to_vec();
        self.readers
            .read(move |c| lifecycle::deleted_after(c, &rooms).map_err(backend))
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
            .read(move |c| lifecycle::search(c, &rooms, &terms, before, limit).map_err(backend))
            .await
    }

    async fn health(&self) -> Result<(), StoreError> {
        self.readers
            .read(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(backend))
            .await
    }
}
