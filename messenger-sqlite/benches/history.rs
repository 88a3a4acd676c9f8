//! What reading history costs when messages carry reactions: the latest
//! page of 50 and pages further back, in a room of 100,000 messages with
//! 20,000 reactions on its newest 4,000 (every page read is full of them),
//! through `Messenger::history` on SQLite.
//!
//! `cargo bench -p messenger-sqlite --bench history` (set
//! `HISTORY_MESSAGES` and `HISTORY_REACTIONS` to change the sizes).

use std::sync::Arc;

use messenger_core::testing::history_with_reactions;
use messenger_core::{ActionLimits, HashingCost, Messenger, MessengerConfig};
use messenger_sqlite::{SqliteOptions, SqliteStore};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let (messages, reactions) = (
        env("HISTORY_MESSAGES", 100_000),
        env("HISTORY_REACTIONS", 20_000),
    );
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("history.db"), SqliteOptions::default())
        .await
        .unwrap();
    let m = Messenger::builder()
        .config(MessengerConfig {
            hashing: HashingCost::INSECURE_FAST,
            send_rate: None,
            actions: ActionLimits::NONE,
            ..MessengerConfig::default()
        })
        .store(Arc::new(store))
        .build()
        .unwrap();
    let t = history_with_reactions(&m, messages, reactions, 2000).await;
    println!(
        "sqlite, {messages} messages, {reactions} reactions: {}",
        t.summary()
    );
}
