//! Errors of opening a database.

use std::path::PathBuf;

/// Why a database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    /// The folder for the file could not be created.
    #[error("cannot create folder {path}")]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// SQLite refused.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The file was written by a newer version of this crate.
    #[error(
        "database schema version {found} is newer than this program supports ({supported}); refusing to downgrade it"
    )]
    SchemaTooNew {
        /// Version in the file.
        found: u32,
        /// Newest version known here.
        supported: u32,
    },
    /// A worker thread could not be started.
    #[error("cannot start a database thread")]
    Thread(#[source] std::io::Error),
}
