//! `SqliteStore`: the store traits of `messenger-core` over one SQLite file.
//!
//! Here: the struct, opening a file, and the helpers every store's file
//! shares. Each trait's impl has its own file, named as in every driver:
//! `users.rs`, `sessions.rs`, `messages.rs`, `rooms.rs`, `moderation.rs`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use messenger_core::store::StoreError;
use messenger_core::{User, UserId, Username};
use rusqlite::{Connection, ErrorCode, Row};

use crate::error::SqliteError;
use crate::options::{Durability, SqliteOptions};
use crate::readers::Readers;
use crate::schema::migrate;
use crate::writer::Writer;

/// Every store (users, sessions, messages, rooms, moderation) in one SQLite
/// database file.
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

pub(crate) fn user_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: UserId(r.get::<_, i64>(0)? as u64),
        username: Username::from_trusted(r.get(1)?),
    })
}
