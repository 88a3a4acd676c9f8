//! What opening the store can fail with.

/// Why [`PostgresStore::connect`](crate::PostgresStore::connect) failed.
#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    /// The URL is not a PostgreSQL connection string.
    #[error("invalid database URL: {0}")]
    Url(#[source] tokio_postgres::Error),
    /// The pool could not be built.
    #[error("building the connection pool failed: {0}")]
    Pool(String),
    /// The server refused or failed.
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    /// The schema in the database is newer than this code.
    #[error("the database schema is version {found}, newer than this build's {supported}")]
    SchemaTooNew {
        /// Found in the database.
        found: i32,
        /// What this build writes.
        supported: i32,
    },
}
