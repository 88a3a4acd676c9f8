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

use messenger_core::testing::history_bench;
use messenger_postgres::PostgresStore;
use messenger_postgres::testing::PgServer;

#[tokio::main]
async fn main() {
    let server = PgServer::start();
    let url = server.fresh_database().await;
    let store = PostgresStore::connect_with(&url, 32).await.unwrap();
    println!("postgresql, {}", history_bench(Arc::new(store)).await);
}
