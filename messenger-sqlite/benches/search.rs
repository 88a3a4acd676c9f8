//! What a full-text search costs on a room of 1,000,000 messages: latency
//! of `Messenger::search` (the access rule, FTS5 in SQLite, highlights)
//! for rare, common, prefix and multi-word queries, a deep page, and a
//! word found only in a room the searcher cannot read.
//!
//! `cargo bench -p messenger-sqlite --bench search` (set `SEARCH_MESSAGES`
//! to change the room's size, default 1,000,000).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use messenger_core::store::{MessageStore, NewMessage, UserStore};
use messenger_core::{
    ClientId, HashingCost, MessageBody, Messenger, MessengerConfig, NewRoom, RoomName, RoomTitle,
    RoomTopic, SearchQuery, Username,
};
use messenger_sqlite::{SqliteOptions, SqliteStore};

const SYLLABLES: [&str; 22] = [
    "ka", "lo", "mi", "ne", "ra", "to", "su", "vi", "de", "po", "ga", "li", "mo", "fa", "ze", "bu",
    "ri", "ta", "no", "he", "sa", "qu",
];

/// A fixed pseudo-random stream, so every run searches the same text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn word(rng: &mut Rng) -> String {
    // Skewed towards few words, as language is.
    let r = rng.next();
    let n = ((r % 10_648) * (r % 10_648)) / 10_648;
    let n = n as usize;
    format!(
        "{}{}{}",
        SYLLABLES[n % 22],
        SYLLABLES[(n / 22) % 22],
        SYLLABLES[(n / 484) % 22]
    )
}

fn body(rng: &mut Rng, i: usize) -> String {
    let mut words: Vec<String> = (0..8).map(|_| word(rng)).collect();
    words.push("the".into()); // in every message
    if i.is_multiple_of(100) {
        words.push("kangaroo".into()); // in 1 % of them
    }
    if i == 123_457 {
        words.push("needle".into()); // in exactly one
    }
    words.join(" ")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let total: usize = std::env::var("SEARCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("search.db");
    let store = Arc::new(
        SqliteStore::open(&path, SqliteOptions::default())
            .await
            .unwrap(),
    );
    let config = MessengerConfig {
        hashing: HashingCost::INSECURE_FAST,
        send_rate: None,
        ..MessengerConfig::default()
    };
    let limits = config.limits.clone();
    let m = Messenger::builder()
        .config(config)
        .store(store.clone())
        .build()
        .unwrap();
    let author = store
        .create_user(
            &Username::parse("writer", &limits).unwrap(),
            "h",
            Utc::now(),
        )
        .await
        .unwrap();
    let reader = store
        .create_user(
            &Username::parse("reader", &limits).unwrap(),
            "h",
            Utc::now(),
        )
        .await
        .unwrap();
    // A private room the reader is not in, full of a word of its own.
    let secret = m
        .create_room(
            None,
            NewRoom {
                name: RoomName::parse("secret", &limits).unwrap(),
                title: RoomTitle::parse("Secret").unwrap(),
                topic: RoomTopic::parse("").unwrap(),
                private: true,
            },
            &[author.id],
        )
        .await
        .unwrap()
        .name;
    m.my_rooms(&reader).await.unwrap();

    let general = RoomName::general();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let started = Instant::now();
    let mut i = 0;
    while i < total {
        let batch: Vec<NewMessage> = (i..(i + 1000).min(total))
            .map(|n| NewMessage {
                room: general.clone(),
                author: author.clone(),
                body: MessageBody::parse(&body(&mut rng, n), &limits).unwrap(),
                client_id: ClientId::parse(&format!("g{n}"), &limits).unwrap(),
                sent_at: Utc::now(),
                reply_to: None,
            })
            .collect();
        i += batch.len();
        store.append(batch).await.unwrap();
    }
    let secret_batch: Vec<NewMessage> = (0..10_000)
        .map(|n| NewMessage {
            room: secret.clone(),
            author: author.clone(),
            body: MessageBody::parse(&format!("classified report {n}"), &limits).unwrap(),
            client_id: ClientId::parse(&format!("s{n}"), &limits).unwrap(),
            sent_at: Utc::now(),
            reply_to: None,
        })
        .collect();
    store.append(secret_batch).await.unwrap();
    let load = started.elapsed();
    let size = std::fs::metadata(&path).unwrap().len()
        + std::fs::metadata(dir.path().join("search.db-wal")).map_or(0, |m| m.len());
    println!(
        "loaded {total} messages into #general (+10,000 into a private room) in {:.1} s ({:.0} msgs/s), {:.0} MB on disk",
        load.as_secs_f64(),
        (total + 10_000) as f64 / load.as_secs_f64(),
        size as f64 / 1e6
    );

    // A page deep into the results of a common word: its cursor.
    let the = SearchQuery::parse("the").unwrap();
    let mut before = None;
    for _ in 0..25 {
        before = m.search(&reader, &the, before, 20).await.unwrap().next;
    }

    let cases: Vec<(&str, &str, Option<u64>)> = vec![
        ("one hit in 1,000,000 (needle)", "needle", None),
        ("a word in 1 % (kangaroo), first page", "kangaroo", None),
        ("a word in every message (the), first page", "the", None),
        ("the same, page 26 (a cursor 500 deep)", "the", before),
        ("a prefix (kan*)", "kan", None),
        ("two words (kangaroo the)", "kangaroo the", None),
        (
            "only in a room the reader cannot read (classified)",
            "classified",
            None,
        ),
        ("no hit at all (zzzz)", "zzzz", None),
    ];
    println!("| query | hits on the page | median | p99 |");
    println!("|---|---:|---:|---:|");
    for (what, q, before) in cases {
        let query = SearchQuery::parse(q).unwrap();
        let mut times = Vec::new();
        let mut hits = 0;
        for _ in 0..60 {
            let t = Instant::now();
            let page = m.search(&reader, &query, before, 20).await.unwrap();
            times.push(t.elapsed());
            hits = page.hits.len();
        }
        times.sort();
        println!(
            "| {what} | {hits} | {:.2} ms | {:.2} ms |",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3
        );
    }
}
