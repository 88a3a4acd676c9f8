//! Numbered migrations, applied in order on open and recorded in
//! `PRAGMA user_version`.

use rusqlite::Connection;

use crate::error::SqliteError;

/// Migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: users, sessions, messages.
    r#"
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        -- Names are ASCII, so NOCASE is exactly case-insensitive uniqueness.
        username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT    NOT NULL,
        created_at    INTEGER NOT NULL
    );

    CREATE TABLE sessions (
        token_hash   BLOB    PRIMARY KEY,
        user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at   INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        remember     INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX sessions_by_user ON sessions(user_id);

    -- (room, id) is the key: latest page, before and after are range scans.
    CREATE TABLE messages (
        room      TEXT    NOT NULL,
        id        INTEGER NOT NULL,
        author_id INTEGER NOT NULL REFERENCES users(id),
        body      TEXT    NOT NULL,
        sent_at   INTEGER NOT NULL,
        client_id TEXT    NOT NULL,
        PRIMARY KEY (room, id)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX messages_by_client_id ON messages(author_id, client_id);
    "#,
    // 2: users from the host application, known by its own id. They have
    // no password: their password_hash is '' (never a PHC string), which
    // keeps the column NOT NULL without rebuilding the table.
    r#"
    ALTER TABLE users ADD COLUMN external_id TEXT;
    CREATE UNIQUE INDEX users_by_external_id ON users(external_id);
    "#,
    // 3: rooms as data, their members with read positions, and mentions.
    // Rooms that already hold messages (the configured ones) become public.
    r#"
    CREATE TABLE rooms (
        name       TEXT    PRIMARY KEY,
        title      TEXT    NOT NULL,
        topic      TEXT    NOT NULL,
        kind       TEXT    NOT NULL CHECK (kind IN ('public', 'private', 'direct')),
        created_by INTEGER REFERENCES users(id),
        created_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX rooms_by_kind ON rooms(kind, name);

    CREATE TABLE room_members (
        room      TEXT    NOT NULL REFERENCES rooms(name),
        user_id   INTEGER NOT NULL REFERENCES users(id),
        last_read INTEGER NOT NULL,
        joined_at INTEGER NOT NULL,
        PRIMARY KEY (room, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX room_members_by_user ON room_members(user_id, room);

    CREATE TABLE mentions (
        user_id    INTEGER NOT NULL REFERENCES users(id),
        room       TEXT    NOT NULL,
        message_id INTEGER NOT NULL,
        PRIMARY KEY (user_id, room, message_id)
    ) WITHOUT ROWID;

    INSERT INTO rooms (name, title, topic, kind, created_by, created_at)
        SELECT DISTINCT room, room, '', 'public', NULL, CAST(unixepoch('subsec') * 1000 AS INTEGER)
                FROM messages;
    "#,
    // 4: the message lifecycle, moderation and account settings.
    // - Messages get edit and delete times and `rev`, their room's change
    //   number at their last change (dense per room, like ids).
    // - `seq` is every message's place in the global order of posting: the
    //   rowid of its row in the full-text index (the table itself is
    //   WITHOUT ROWID) and the cursor of search pages.
    // - The index is contentless (bodies are not stored twice) with delete
    //   support; diacritics are kept so it matches what the core matches.
    r#"
    ALTER TABLE messages ADD COLUMN edited_at INTEGER;
    ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
    ALTER TABLE messages ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN seq INTEGER;
    WITH o AS (SELECT room, id, row_number() OVER (ORDER BY sent_at, room, id) AS n FROM messages)
        UPDATE messages SET seq = o.n FROM o WHERE o.room = messages.room AND o.id = messages.id;
    CREATE UNIQUE INDEX messages_by_seq ON messages(seq);
    CREATE INDEX messages_by_rev ON messages(room, rev) WHERE rev > 0;
    CREATE INDEX messages_deleted ON messages(room, id) WHERE deleted_at IS NOT NULL;
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        body, content = '', contentless_delete = 1,
        tokenize = 'unicode61 remove_diacritics 0'
    );
    INSERT INTO messages_fts (rowid, body) SELECT seq, body FROM messages;

    CREATE INDEX mentions_by_message ON mentions(room, message_id);

    ALTER TABLE sessions ADD COLUMN user_agent TEXT;

    ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member'
        CHECK (role IN ('member', 'moderator', 'admin'));
    ALTER TABLE users ADD COLUMN muted_until INTEGER;
    ALTER TABLE users ADD COLUMN banned_at INTEGER;
    ALTER TABLE users ADD COLUMN ban_reason TEXT;

    CREATE TABLE mod_log (
        id         INTEGER PRIMARY KEY,
        at         INTEGER NOT NULL,
        actor_id   INTEGER REFERENCES users(id),
        target_id  INTEGER NOT NULL REFERENCES users(id),
        action     TEXT    NOT NULL,
        role       TEXT,
        until      INTEGER,
        room       TEXT,
        message_id INTEGER,
        reason     TEXT    NOT NULL
    );
    "#,
    // 5: deleted means gone. The index drops `contentless_delete`, which
    // deletes by tombstone and leaves a deleted row's words in its pages
    // until a merge, for FTS5's `delete` command given the old text, with
    // `secure-delete` on: each word's entry leaves the index's pages at
    // once. Rebuilt from the live bodies, so words of rows deleted before
    // are gone too; text earlier versions left in free space goes with the
    // VACUUM that follows this migration (see `ERASING_VERSION`).
    r#"
    DROP TABLE messages_fts;
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        body, content = '', tokenize = 'unicode61 remove_diacritics 0'
    );
    INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);
    INSERT INTO messages_fts (rowid, body)
        SELECT seq, body FROM messages WHERE deleted_at IS NULL;
    "#,
    // 6: blocks: whom each user blocks (no direct conversations, no adds).
    r#"
    CREATE TABLE blocks (
        user_id    INTEGER NOT NULL REFERENCES users(id),
        blocked_id INTEGER NOT NULL REFERENCES users(id),
        at         INTEGER NOT NULL,
        PRIMARY KEY (user_id, blocked_id)
    ) WITHOUT ROWID;
    "#,
    // 7: each name's confusable skeleton, so a lookalike of a taken name
    // is refused at registration; filled for older rows after migrating.
    r#"
    ALTER TABLE users ADD COLUMN skeleton TEXT;
    CREATE INDEX users_by_skeleton ON users(skeleton);
    "#,
    // 8: the end of a room's life, and invites.
    // - Archived rooms are read-only; deleted ones keep their row (the
    //   name stays taken) with the title and topic erased.
    // - `closed_rooms` is the message store's own record of rooms that
    //   take no posts (`erased`: deleted, for good).
    // - Invites keep the hash of their code, never the code.
    // - Room actions in the log have no target: `target_id` becomes
    //   nullable, which SQLite does by rebuilding the table.
    r#"
    ALTER TABLE rooms ADD COLUMN archived_at INTEGER;
    ALTER TABLE rooms ADD COLUMN deleted_at INTEGER;

    CREATE TABLE closed_rooms (
        room   TEXT    PRIMARY KEY,
        erased INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE invites (
        id         INTEGER PRIMARY KEY,
        room       TEXT    NOT NULL REFERENCES rooms(name),
        code_hash  BLOB    NOT NULL UNIQUE,
        created_by INTEGER NOT NULL REFERENCES users(id),
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        max_uses   INTEGER,
        uses       INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX invites_by_room ON invites(room, id);

    CREATE TABLE mod_log_v8 (
        id         INTEGER PRIMARY KEY,
        at         INTEGER NOT NULL,
        actor_id   INTEGER REFERENCES users(id),
        target_id  INTEGER REFERENCES users(id),
        action     TEXT    NOT NULL,
        role       TEXT,
        until      INTEGER,
        room       TEXT,
        message_id INTEGER,
        reason     TEXT    NOT NULL
    );
    INSERT INTO mod_log_v8 SELECT id, at, actor_id, target_id, action, role, until, room, message_id, reason FROM mod_log;
    DROP TABLE mod_log;
    ALTER TABLE mod_log_v8 RENAME TO mod_log;
    "#,
    // 9: replies, pins and reactions.
    // - `reply_to`: the id of the message (same room) a message answers;
    //   what the reply shows of it is read from that message, as it is.
    // - `pinned_at`, `pinned_by`: a message's pin; a room's pins are read
    //   by the partial index.
    // - Reactions, one row per user and key on a message. `seq` is the
    //   order they were added, which is the order keys and users are
    //   shown; the unique key makes adding one twice a no-op and is the
    //   index that reads a page's reactions.
    r#"
    ALTER TABLE messages ADD COLUMN reply_to INTEGER;
    ALTER TABLE messages ADD COLUMN pinned_at INTEGER;
    ALTER TABLE messages ADD COLUMN pinned_by INTEGER REFERENCES users(id);
    CREATE INDEX messages_pinned ON messages(room, pinned_at) WHERE pinned_at IS NOT NULL;
    CREATE TABLE reactions (
        seq        INTEGER PRIMARY KEY,
        room       TEXT    NOT NULL,
        message_id INTEGER NOT NULL,
        key        TEXT    NOT NULL,
        user_id    INTEGER NOT NULL REFERENCES users(id),
        UNIQUE (room, message_id, key, user_id)
    );
    "#,
];

/// Databases written before this version may hold erased text in free
/// space: a VACUUM rewrites them once.
const ERASING_VERSION: u32 = 5;

/// The schema version this code writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Brings `conn` to [`SCHEMA_VERSION`], refusing a newer schema.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), SqliteError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let found: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(SqliteError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as u32 + 1)?;
        tracing::info!(version = i + 1, "applied schema migration");
    }
    tx.commit()?;
    fill_skeletons(conn)?;
    if found > 0 && found < ERASING_VERSION {
        tracing::info!("rewriting the database once so erased text leaves its free space");
        conn.execute_batch("VACUUM")?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    Ok(())
}

/// Computes the skeleton of users written before version 7 (SQL cannot:
/// it is Unicode TR39's mapping, in Rust).
fn fill_skeletons(conn: &mut Connection) -> Result<(), SqliteError> {
    let missing: Vec<(i64, String)> = conn
        .prepare("SELECT id, username FROM users WHERE skeleton IS NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if missing.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction()?;
    {
        let mut update = tx.prepare("UPDATE users SET skeleton = ?2 WHERE id = ?1")?;
        for (id, name) in missing {
            let skeleton = messenger_core::Username::from_trusted(name).skeleton();
            update.execute(rusqlite::params![id, skeleton])?;
        }
    }
    tx.commit()?;
    Ok(())
}
