//! Maintenance of the database: making erased text leave its files.
//!
//! A delete or edit overwrites a message's body, but PostgreSQL keeps the
//! old row version (body and search vector) until VACUUM, and VACUUM does
//! not zero the space it frees, never takes a word out of a GIN index,
//! leaves the column statistics as they were and leaves the WAL alone.
//! [`purge_erased`] runs the steps that were verified (with `grep` over the
//! whole data directory) to leave no byte of an erased text behind,
//! provided the server runs with `wal_recycle = off` and keeps no extra WAL
//! (docs/operations.md, "Erasure").

use std::time::{Duration, Instant};

use crate::error::PostgresError;

/// The statements of [`purge_erased`], in order. Each runs on its own:
/// VACUUM cannot run inside a transaction.
pub const PURGE_STEPS: &[&str] = &[
    // Rewrites the table, its TOAST table and every index (the search
    // index included) without dead rows; holds the table's lock meanwhile.
    "VACUUM FULL messages",
    // A deleted room's title and topic, likewise (a small table).
    "VACUUM FULL rooms",
    // New statistics replace rows that may quote erased text ...
    "ANALYZE messages, rooms",
    // ... and the replaced rows leave the catalog's files.
    "VACUUM FULL pg_statistic",
    // The WAL written before now goes to a finished segment, which the
    // checkpoint then deletes (it is not kept for reuse with
    // `wal_recycle = off`).
    "SELECT pg_switch_wal()",
    "CHECKPOINT",
];

/// How one step of [`purge_erased`] went.
#[derive(Debug)]
pub struct PurgeStep {
    /// The statement.
    pub sql: &'static str,
    /// How long it took.
    pub took: Duration,
    /// Why it failed (most often: it needs a superuser), if it did.
    pub error: Option<String>,
}

/// Runs [`PURGE_STEPS`] on a connection of its own to `url`, each step
/// whatever the earlier ones did, and reports each. Needs a superuser for
/// the last three steps; `VACUUM FULL messages` locks the table for the
/// time of the rewrite (seconds per 100,000 messages), so run it on a
/// schedule, not per delete.
pub async fn purge_erased(url: &str) -> Result<Vec<PurgeStep>, PostgresError> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let conn = tokio::spawn(conn);
    let mut steps = Vec::new();
    for sql in PURGE_STEPS {
        let start = Instant::now();
        let error = client.simple_query(sql).await.err().map(|e| {
            e.as_db_error()
                .map_or_else(|| e.to_string(), |d| d.message().to_owned())
        });
        steps.push(PurgeStep {
            sql,
            took: start.elapsed(),
            error,
        });
    }
    drop(client);
    let _ = conn.await;
    Ok(steps)
}
