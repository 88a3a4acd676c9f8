//! What a user in many rooms costs: `Messenger::my_rooms` (what `ready`
//! and `GET /api/rooms` answer) for a user who is a member of 10, 100 and
//! 1,000 rooms, each with a message, on SQLite.
//!
//! `cargo bench -p messenger-sqlite --bench rooms`

use std::sync::Arc;
use std::time::{Duration, Instant};

use messenger_core::{
    ActionLimits, ClientId, HashingCost, MessageBody, Messenger, MessengerConfig, NewRoom,
    Password, RoomName, RoomTitle, RoomTopic, Username,
};
use messenger_sqlite::{SqliteOptions, SqliteStore};

async fn run(rooms: usize) -> (Duration, Duration, usize) {
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
    let member = m
        .register(
            Username::parse("member", &limits).unwrap(),
            Password::parse("password123", &limits).unwrap(),
        )
        .await
        .unwrap();
    // The rooms come from host code: a user's own creations are limited.
    for i in 0..rooms {
        let name = RoomName::parse(&format!("room-{i}"), &limits).unwrap();
        m.create_room(
            None,
            NewRoom {
                name: name.clone(),
                title: RoomTitle::parse(&format!("Room {i}")).unwrap(),
                topic: RoomTopic::parse("a topic").unwrap(),
                private: true,
            },
            &[member.id],
        )
        .await
        .unwrap();
        m.post(
            &member,
            &name,
            MessageBody::parse("a message so the room has a head", &limits).unwrap(),
            ClientId::parse(&format!("c{i}"), &limits).unwrap(),
        )
        .await
        .unwrap();
    }
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..60 {
        let start = Instant::now();
        let mine = m.my_rooms(&member).await.unwrap();
        times.push(start.elapsed());
        size = serde_json::to_vec(&mine).unwrap().len();
    }
    times.sort();
    (times[times.len() / 2], times[times.len() * 99 / 100], size)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("| rooms of the user | median | p99 | answer |");
    println!("|---:|---:|---:|---:|");
    for rooms in [10, 100, 1000] {
        let (median, p99, size) = rt.block_on(run(rooms));
        println!(
            "| {rooms} | {:.2} ms | {:.2} ms | {:.0} KB |",
            median.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            size as f64 / 1024.0
        );
    }
}
