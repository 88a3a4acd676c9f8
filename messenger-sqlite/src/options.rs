//! How a database is opened.

use std::time::Duration;

/// SQLite's `synchronous` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=NORMAL` in WAL mode: every acknowledged write survives a
    /// crash of the process (even `kill -9`); the last commits before an OS
    /// crash or power loss may be lost.
    #[default]
    Process,
    /// `synchronous=FULL`: every acknowledged write also survives power
    /// loss, at the cost of an fsync per commit (a batch shares one).
    PowerLoss,
}

/// Options for [`SqliteStore::open`](crate::SqliteStore::open).
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// What an acknowledged write survives.
    pub durability: Durability,
    /// Reader threads (each with its own connection). Readers never wait on
    /// the writer in WAL mode.
    pub readers: usize,
    /// How long a connection waits for a lock held by another process.
    pub busy_timeout: Duration,
    /// Most write requests the writer commits in one transaction.
    pub max_batch: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            durability: Durability::default(),
            readers: 2,
            busy_timeout: Duration::from_secs(5),
            max_batch: 1024,
        }
    }
}
