//! Numbered migrations, applied at start under an advisory lock so that
//! several nodes starting at once on an empty database all come up.

use tokio_postgres::Client;

use crate::error::PostgresError;

/// Taken while migrating; any constant shared by every node will do.
const MIGRATION_LOCK: i64 = 0x6d65_7373_656e_6772; // "messengr"

/// Migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: everything the stores of messenger-core 0.1 need. Times are
    // milliseconds since the epoch, as the SQLite store keeps them, so they
    // round-trip exactly.
    r#"
    CREATE TABLE users (
        id            BIGSERIAL PRIMARY KEY,
        username      TEXT   NOT NULL,
        password_hash TEXT,
        created_at    BIGINT NOT NULL,
        external_id   TEXT   UNIQUE,
        role          TEXT   NOT NULL DEFAULT 'member'
                      CHECK (role IN ('member', 'moderator', 'admin')),
        muted_until   BIGINT,
        banned_at     BIGINT,
        ban_reason    TEXT
    );
    -- Names are ASCII: lower() is exactly case-insensitive uniqueness.
    CREATE UNIQUE INDEX users_by_name ON users (lower(username));

    CREATE TABLE sessions (
        token_hash   BYTEA   PRIMARY KEY,
        user_id      BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at   BIGINT  NOT NULL,
        last_seen_at BIGINT  NOT NULL,
        expires_at   BIGINT  NOT NULL,
        remember     BOOLEAN NOT NULL,
        user_agent   TEXT
    );
    CREATE INDEX sessions_by_user ON sessions (user_id);

    -- Each room's newest id and change number. Writers take the room's row
    -- lock to number a message or a change: ids and change numbers are
    -- dense and atomic with any number of nodes writing.
    CREATE TABLE room_counters (
        room    TEXT   PRIMARY KEY,
        last_id BIGINT NOT NULL DEFAULT 0,
        rev     BIGINT NOT NULL DEFAULT 0
    );

    CREATE TABLE messages (
        room       TEXT   NOT NULL,
        id         BIGINT NOT NULL,
        author_id  BIGINT NOT NULL REFERENCES users(id),
        body       TEXT   NOT NULL,
        sent_at    BIGINT NOT NULL,
        client_id  TEXT   NOT NULL,
        edited_at  BIGINT,
        deleted_at BIGINT,
        rev        BIGINT NOT NULL DEFAULT 0,
        -- The global order of posting: the cursor of search pages.
        seq        BIGSERIAL UNIQUE,
        tsv        TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED,
        PRIMARY KEY (room, id)
    );
    CREATE UNIQUE INDEX messages_by_client_id ON messages (author_id, client_id);
    CREATE INDEX messages_by_rev ON messages (room, rev) WHERE rev > 0;
    CREATE INDEX messages_deleted ON messages (room, id) WHERE deleted_at IS NOT NULL;
    CREATE INDEX messages_search ON messages USING GIN (tsv);

    CREATE TABLE rooms (
        name       TEXT   PRIMARY KEY,
        title      TEXT   NOT NULL,
        topic      TEXT   NOT NULL,
        kind       TEXT   NOT NULL CHECK (kind IN ('public', 'private', 'direct')),
        created_by BIGINT REFERENCES users(id),
        created_at BIGINT NOT NULL
    );
    CREATE INDEX rooms_by_kind ON rooms (kind, name);

    CREATE TABLE room_members (
        room      TEXT   NOT NULL REFERENCES rooms(name),
        user_id   BIGINT NOT NULL REFERENCES users(id),
        last_read BIGINT NOT NULL,
        joined_at BIGINT NOT NULL,
        PRIMARY KEY (room, user_id)
    );
    CREATE INDEX room_members_by_user ON room_members (user_id, room);

    CREATE TABLE mentions (
        user_id    BIGINT NOT NULL REFERENCES users(id),
        room       TEXT   NOT NULL,
        message_id BIGINT NOT NULL,
        PRIMARY KEY (user_id, room, message_id)
    );
    CREATE INDEX mentions_by_message ON mentions (room, message_id);

    CREATE TABLE mod_log (
        id         BIGSERIAL PRIMARY KEY,
        at         BIGINT NOT NULL,
        actor_id   BIGINT REFERENCES users(id),
        target_id  BIGINT NOT NULL REFERENCES users(id),
        action     TEXT   NOT NULL,
        role       TEXT,
        until      BIGINT,
        room       TEXT,
        message_id BIGINT,
        reason     TEXT   NOT NULL
    );
    "#,
    // 2: blocks: whom each user blocks (no direct conversations, no adds).
    r#"
    CREATE TABLE blocks (
        user_id    BIGINT NOT NULL REFERENCES users(id),
        blocked_id BIGINT NOT NULL REFERENCES users(id),
        at         BIGINT NOT NULL,
        PRIMARY KEY (user_id, blocked_id)
    );
    "#,
    // 3: each name's confusable skeleton, so a lookalike of a taken name
    // is refused at registration; filled for older rows after migrating.
    r#"
    ALTER TABLE users ADD COLUMN skeleton TEXT;
    CREATE INDEX users_by_skeleton ON users(skeleton);
    "#,
    // 4: the end of a room's life, and invites.
    // - Archived rooms are read-only; deleted ones keep their row (the
    //   name stays taken) with the title and topic erased.
    // - `room_counters.closed` is the message store's own refusal of
    //   posts ('erased': deleted, for good), checked under the room's row
    //   lock that numbers every post, so it holds on every node at once.
    // - Invites keep the hash of their code, never the code.
    // - Room actions in the log have no target.
    r#"
    ALTER TABLE rooms ADD COLUMN archived_at BIGINT;
    ALTER TABLE rooms ADD COLUMN deleted_at BIGINT;
    ALTER TABLE room_counters ADD COLUMN closed TEXT
        CHECK (closed IN ('archived', 'erased'));
    CREATE TABLE invites (
        id         BIGSERIAL PRIMARY KEY,
        room       TEXT   NOT NULL REFERENCES rooms(name),
        code_hash  BYTEA  NOT NULL UNIQUE,
        created_by BIGINT NOT NULL REFERENCES users(id),
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        max_uses   INT,
        uses       INT    NOT NULL DEFAULT 0
    );
    CREATE INDEX invites_by_room ON invites (room, id);
    ALTER TABLE mod_log ALTER COLUMN target_id DROP NOT NULL;
    "#,
    // 5: replies, pins and reactions.
    // - `reply_to`: the id of the message (same room) a message answers;
    //   what the reply shows of it is read from that message, as it is.
    // - `pinned_at`, `pinned_by`: a message's pin; a room's pins are read
    //   by the partial index.
    // - Reactions, one row per user and key on a message. `seq` is the
    //   order they were added, which is the order keys and users are
    //   shown; the unique key makes adding one twice a no-op and is the
    //   index that reads a page's reactions.
    r#"
    ALTER TABLE messages ADD COLUMN reply_to BIGINT;
    ALTER TABLE messages ADD COLUMN pinned_at BIGINT;
    ALTER TABLE messages ADD COLUMN pinned_by BIGINT REFERENCES users(id);
    CREATE INDEX messages_pinned ON messages (room, pinned_at) WHERE pinned_at IS NOT NULL;
    CREATE TABLE reactions (
        seq        BIGSERIAL PRIMARY KEY,
        room       TEXT   NOT NULL,
        message_id BIGINT NOT NULL,
        key        TEXT   NOT NULL,
        user_id    BIGINT NOT NULL REFERENCES users(id),
        UNIQUE (room, message_id, key, user_id)
    );
    "#,
];

/// The schema version this code writes.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// Brings the database to [`SCHEMA_VERSION`], refusing a newer schema.
pub(crate) async fn migrate(client: &mut Client) -> Result<(), PostgresError> {
    let tx = client.transaction().await?;
    // Held to the end of the transaction: the other nodes wait here.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL);
         INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version);",
    )
    .await?;
    let found: i32 = tx
        .query_one("SELECT version FROM schema_version", &[])
        .await?
        .get(0);
    if found > SCHEMA_VERSION {
        return Err(PostgresError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.batch_execute(sql).await?;
        tx.execute("UPDATE schema_version SET version = $1", &[&(i as i32 + 1)])
            .await?;
        tracing::info!(version = i + 1, "applied schema migration");
    }
    // Skeletons are Unicode TR39's mapping, computed in Rust: users
    // written before version 3 get theirs here, under the same lock.
    let missing = tx
        .query("SELECT id, username FROM users WHERE skeleton IS NULL", &[])
        .await?;
    for row in missing {
        let (id, name): (i64, String) = (row.get(0), row.get(1));
        let skeleton = messenger_core::Username::from_trusted(name).skeleton();
        tx.execute(
            "UPDATE users SET skeleton = $2 WHERE id = $1",
            &[&id, &skeleton],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
