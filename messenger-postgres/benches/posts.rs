//! Acknowledged posts per second through `Messenger` into PostgreSQL (a
//! throwaway server, as the tests start), with 1, 16 and 128 concurrent
//! posters in one room, one message per transaction vs group commit (the
//! room sequencer's batches).
//!
//! `cargo bench -p messenger-postgres --bench posts` (set `POSTS_SECONDS`
//! to change the time per case, default 3). Needs Debian's `postgresql`.

use std::sync::Arc;
use std::time::Duration;

use messenger_core::testing::posts_per_second;
use messenger_core::{HashingCost, Messenger, MessengerConfig};
use messenger_postgres::PostgresStore;
use messenger_postgres::testing::PgServer;

async fn run(server: &PgServer, posters: usize, batched: bool, seconds: f64) -> f64 {
    let url = server.fresh_database().await;
    let config = MessengerConfig {
        hashing: HashingCost::INSECURE_FAST,
        send_rate: None,
        max_batch: if batched { 512 } else { 1 },
        ..MessengerConfig::default()
    };
    let store = PostgresStore::connect_with(&url, 32).await.unwrap();
    let m = Messenger::builder()
        .config(config)
        .store(Arc::new(store))
        .build()
        .unwrap();
    posts_per_second(&m, posters, Duration::from_secs_f64(seconds)).await
}

fn main() {
    let seconds: f64 = std::env::var("POSTS_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = PgServer::start();
    println!("| posters | one transaction per post | group commit |");
    println!("|---:|---:|---:|");
    for posters in [1, 16, 128] {
        let single = rt.block_on(run(&server, posters, false, seconds));
        let batched = rt.block_on(run(&server, posters, true, seconds));
        println!("| {posters} | {single:.0} posts/s | {batched:.0} posts/s |");
    }
}
