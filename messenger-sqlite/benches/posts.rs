//! Acknowledged posts per second through `Messenger` into SQLite, with 1,
//! 16 and 128 concurrent posters, one message per commit vs group commit.
//!
//! Then deletes per second: each delete erases the text for good
//! (`secure_delete`, FTS5 secure-delete, a truncating WAL checkpoint when
//! the writer is idle).
//!
//! `cargo bench -p messenger-sqlite --bench posts` (set `POSTS_SECONDS` to
//! change the time per case, default 3).

use std::sync::Arc;
use std::time::Duration;

use messenger_core::testing::posts_per_second;
use messenger_core::{
    ActionLimits, ClientId, HashingCost, MessageBody, Messenger, MessengerConfig, Password,
    RoomName, Username,
};
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

/// `deleters` users post `each` messages, then all delete theirs at once:
/// answers deletes per second.
async fn deletes(deleters: usize, each: usize) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let config = MessengerConfig {
        hashing: HashingCost::INSECURE_FAST,
        send_rate: None,
        actions: ActionLimits::NONE,
        ..MessengerConfig::default()
    };
    let limits = config.limits.clone();
    let store = SqliteStore::open(dir.path().join("bench.db"), SqliteOptions::default())
        .await
        .unwrap();
    let m = Messenger::builder()
        .config(config)
        .store(Arc::new(store))
        .build()
        .unwrap();
    let general = RoomName::general();
    let mut posted = Vec::new();
    for d in 0..deleters {
        let user = m
            .register(
                Username::parse(&format!("deleter{d}"), &limits).unwrap(),
                Password::parse("password123", &limits).unwrap(),
            )
            .await
            .unwrap();
        let mut ids = Vec::new();
        for n in 0..each {
            let body = MessageBody::parse(
                "a benchmark message of ordinary length, about sixty bytes",
                &limits,
            )
            .unwrap();
            let cid = ClientId::parse(&format!("{d}-{n}"), &limits).unwrap();
            ids.push(m.post(&user, &general, body, cid).await.unwrap().message.id);
        }
        posted.push((user, ids));
    }
    let start = std::time::Instant::now();
    let tasks: Vec<_> = posted
        .into_iter()
        .map(|(user, ids)| {
            let (m, general) = (m.clone(), general.clone());
            tokio::spawn(async move {
                for id in ids {
                    m.delete_message(&user, &general, id, Default::default())
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    (deleters * each) as f64 / start.elapsed().as_secs_f64()
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
    for deleters in [1, 16] {
        let rate = rt.block_on(deletes(deleters, 500));
        println!("| {deleters} deleting | {rate:.0} deletes/s | |");
    }
}
