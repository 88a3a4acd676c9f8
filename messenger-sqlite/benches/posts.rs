//! Acknowledged posts per second through `Messenger` into SQLite, with 1,
//! 16 and 128 concurrent posters, one message per commit vs group commit.
//!
//! `cargo bench -p messenger-sqlite --bench posts` (set `POSTS_SECONDS` to
//! change the time per case, default 3).

use std::sync::Arc;
use std::time::Duration;

use messenger_core::testing::posts_per_second;
use messenger_core::{HashingCost, Messenger, MessengerConfig};
use messenger_sqlite::{SqliteOptions, SqliteStore};

async fn run(posters: usize, batched: bool, seconds: f64) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let config = MessengerConfig {
        hashing: HashingCost::INSECURE_FAST,
        send_rate: None,
        max_batch: if batched { 512 } else { 1 },
        ..MessengerConfig::default()
    };
    let options = SqliteOptions {
        max_batch: if batched { 1024 } else { 1 },
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open(dir.path().join("bench.db"), options)
        .await
        .unwrap();
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
    println!("| posters | one commit per post | group commit |");
    println!("|---:|---:|---:|");
    for posters in [1, 16, 128] {
        let single = rt.block_on(run(posters, false, seconds));
        let batched = rt.block_on(run(posters, true, seconds));
        println!("| {posters} | {single:.0} posts/s | {batched:.0} posts/s |");
    }
}
