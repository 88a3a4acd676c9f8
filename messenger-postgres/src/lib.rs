//! PostgreSQL store for Community Messenger: every store trait of
//! [`messenger_core`] on one database that any number of nodes share.
//!
//! [`PostgresStore::connect`] takes a `postgres://` URL, builds a
//! connection pool (deadpool-postgres over tokio-postgres) and applies the
//! numbered migrations under an advisory lock, so nodes started at once on
//! an empty database all come up. Per-room message ids and change numbers
//! are dense and assigned atomically with concurrent writers on many nodes:
//! a writer takes the room's counter row lock for the length of its
//! transaction. A batch of posts (the room sequencer's group commit) is one
//! transaction. Search is PostgreSQL full-text search (`simple`
//! configuration, prefix matches) on a generated, GIN-indexed column.
//!
//! The store passes the conformance suite of `messenger_core::testing`.
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use messenger_core::Messenger;
//! use messenger_postgres::PostgresStore;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = PostgresStore::connect("postgres://chat:secret@127.0.0.1:5432/chat").await?;
//! let messenger = Messenger::builder().store(Arc::new(store)).build()?;
//! # let _ = messenger;
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod error;
mod maintenance;
mod messages;
mod moderation;
mod rooms;
mod schema;
mod sessions;
mod statements;
#[cfg(feature = "testing")]
pub mod testing;
mod users;

use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use messenger_core::store::StoreError;

pub use error::PostgresError;
pub use maintenance::{PURGE_STEPS, PurgeStep, purge_erased};
pub use schema::SCHEMA_VERSION;

/// Connections kept open by default: enough for a node's concurrent
/// requests; PostgreSQL's own limit is shared by every node.
const DEFAULT_POOL: usize = 16;

/// Users, sessions, messages, rooms and moderation in PostgreSQL. Cheap to
/// share behind an `Arc`; every call takes a pooled connection.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("pool", &self.pool.status())
            .finish()
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/db`) with a
    /// pool of 16 connections and migrates the schema.
    pub async fn connect(url: &str) -> Result<Self, PostgresError> {
        Self::connect_with(url, DEFAULT_POOL).await
    }

    /// [`connect`](Self::connect) with a pool of `pool_size` connections.
    pub async fn connect_with(url: &str, pool_size: usize) -> Result<Self, PostgresError> {
        let config: tokio_postgres::Config = url.parse().map_err(PostgresError::Url)?;
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .build()
            .map_err(|e| PostgresError::Pool(e.to_string()))?;
        let mut client = pool
            .get()
            .await
            .map_err(|e| PostgresError::Pool(e.to_string()))?;
        schema::migrate(&mut client).await?;
        Ok(Self { pool })
    }

    pub(crate) async fn conn(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(Box::new(e)))
    }
}

/// A PostgreSQL error as the store's: a refused uniqueness rule is a
/// conflict, a lost connection is unavailability, the rest a failure.
pub(crate) fn store_err(e: tokio_postgres::Error) -> StoreError {
    if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
        return StoreError::Conflict("already taken".into());
    }
    if e.is_closed() || e.code().is_none() {
        return StoreError::Unavailable(Box::new(e));
    }
    StoreError::Backend(Box::new(e))
}

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(v).unwrap_or_default()
}

// The README's example is compiled too, so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
