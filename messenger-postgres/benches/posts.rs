//! Acknowledged posts per second through `Messenger` into PostgreSQL (a
//! throwaway server, as the tests start), with 1, 16 and 128 concurrent
//! posters in one room, one message per transaction vs group commit (the
//! room sequencer's batches).
//!
//! `cargo bench -p messenger-postgres --bench posts` (set `POSTS_SECONDS`
//! to change the time per case, default 3). Needs Debian's `postgresql`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use messenger_core::{
    ClientId, HashingCost, MessageBody, Messenger, MessengerConfig, Password, RoomName, Username,
};
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
    let limits = config.limits.clone();
    let store = PostgresStore::connect_with(&url, 32).await.unwrap();
    let m = Messenger::builder()
        .config(config)
        .store(Arc::new(store))
        .build()
        .unwrap();
    let general = RoomName::general();
    let mut users = Vec::new();
    for p in 0..posters {
        users.push(
            m.register(
                Username::parse(&format!("poster{p}"), &limits).unwrap(),
                Password::parse("password123", &limits).unwrap(),
            )
            .await
            .unwrap(),
        );
    }
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (p, user) in users.into_iter().enumerate() {
        let (m, general, limits) = (m.clone(), general.clone(), limits.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                let body = MessageBody::parse(
                    "a benchmark message of ordinary length, about sixty bytes",
                    &limits,
                )
                .unwrap();
                let cid = ClientId::parse(&format!("{p}-{n}"), &limits).unwrap();
                m.post(&user, &general, body, cid).await.unwrap();
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    total as f64 / start.elapsed().as_secs_f64()
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
