//! What reading history costs when messages carry reactions: the latest
//! page of 50 and pages further back, in a room of 100,000 messages with
//! 20,000 reactions on its newest 4,000 (every page read is full of them),
//! through `Messenger::history` on PostgreSQL (a throwaway server, as the
//! tests start).
//!
//! `cargo bench -p messenger-postgres --bench history` (set
//! `HISTORY_MESSAGES` and `HISTORY_REACTIONS` to change the sizes). Needs
//! Debian's `postgresql`.

use std::sync::Arc;

use messenger_core::testing::history_with_reactions;
use messenger_core::{ActionLimits, HashingCost, Messenger, MessengerConfig};
use messenger_postgres::PostgresStore;
use messenger_postgres::testing::PgServer;

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
    let server = PgServer::start();
    let url = server.fresh_database().await;
    let store = PostgresStore::connect_with(&url, 32).await.unwrap();
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
        "postgresql, {messages} messages, {reactions} reactions: {}",
        t.summary()
    );
}
