//! Which store the server and the administration commands use: SQLite in
//! one file (the default), or PostgreSQL when a database URL is given (one
//! node of a cluster, or a single node on PostgreSQL).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use messenger_core::MessengerBuilder;
#[cfg(feature = "cluster")]
use messenger_postgres::PostgresStore;
use messenger_sqlite::{SqliteOptions, SqliteStore};

/// The store behind the messenger.
pub enum Backend {
    /// The embedded default: one SQLite file.
    Sqlite(Arc<SqliteStore>),
    /// A PostgreSQL database any number of nodes share.
    #[cfg(feature = "cluster")]
    Postgres(Arc<PostgresStore>),
}

impl Backend {
    /// Opens PostgreSQL at `url` when given (its schema migrated), else
    /// the SQLite file at `db` (created with its folder on first run).
    pub async fn open(db: &Path, url: Option<&str>) -> anyhow::Result<Self> {
        match url {
            #[cfg(feature = "cluster")]
            Some(url) => {
                let store = PostgresStore::connect(url)
                    .await
                    .context("connecting to PostgreSQL (--database-url)")?;
                Ok(Self::Postgres(Arc::new(store)))
            }
            #[cfg(not(feature = "cluster"))]
            Some(_) => anyhow::bail!(crate::cluster::LEFT_OUT),
            None => {
                let store = SqliteStore::open(db, SqliteOptions::default())
                    .await
                    .with_context(|| format!("opening the database {}", db.display()))?;
                Ok(Self::Sqlite(Arc::new(store)))
            }
        }
    }

    /// `builder` with this store for every concern.
    pub fn install(&self, builder: MessengerBuilder) -> MessengerBuilder {
        match self {
            Self::Sqlite(s) => builder.store(s.clone()),
            #[cfg(feature = "cluster")]
            Self::Postgres(s) => builder.store(s.clone()),
        }
    }

    /// What to log about where data lives (never a password).
    pub fn describe(&self, db: &Path) -> String {
        match self {
            Self::Sqlite(_) => format!("SQLite at {}", db.display()),
            #[cfg(feature = "cluster")]
            Self::Postgres(_) => "PostgreSQL".to_owned(),
        }
    }
}
