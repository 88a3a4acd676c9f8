//! What reading history costs when messages carry reactions: the latest
//! page of 50 and pages further back, in a room of 100,000 messages with
//! 20,000 reactions on its newest 4,000 (every page read is full of them),
//! through `Messenger::history` on SQLite.
//!
//! `cargo bench -p messenger-sqlite --bench history` (set
//! `HISTORY_MESSAGES` and `HISTORY_REACTIONS` to change the sizes).

use std::sync::Arc;

use messenger_core::testing::history_bench;
use messenger_sqlite::{SqliteOptions, SqliteStore};

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("history.db"), SqliteOptions::default())
        .await
        .unwrap();
    println!("sqlite, {}", history_bench(Arc::new(store)).await);
}
