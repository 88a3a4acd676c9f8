//! Every acknowledged post survives `kill -9` of the process that made it.
//!
//! The test re-runs its own binary as the child: `crash_child` does the
//! posting when `MESSENGER_CRASH_DB` is set and does nothing otherwise.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use messenger_core::{
    ClientId, HashingCost, HistoryQuery, MessageBody, MessageId, Messenger, MessengerConfig,
    Password, RoomName, Username,
};
use messenger_sqlite::{SqliteOptions, SqliteStore};

const DB_VAR: &str = "MESSENGER_CRASH_DB";

fn config() -> MessengerConfig {
    MessengerConfig {
        hashing: HashingCost::INSECURE_FAST,
        send_rate: None,
        ..MessengerConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child() {
    let Ok(path) = std::env::var(DB_VAR) else {
        return;
    };
    let limits = config().limits;
    let store = SqliteStore::open(&path, SqliteOptions::default())
        .await
        .unwrap();
    let m = Messenger::builder()
        .config(config())
        .store(Arc::new(store))
        .build()
        .unwrap();
    let user = m
        .register(
            Username::parse("crasher", &limits).unwrap(),
            Password::parse("password123", &limits).unwrap(),
        )
        .await
        .unwrap();
    let general = RoomName::general();
    // Several concurrent posters, so batches are in flight when the kill lands.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for p in 0..8 {
        let (m, user, general, tx, limits) = (
            m.clone(),
            user.clone(),
            general.clone(),
            tx.clone(),
            limits.clone(),
        );
        tokio::spawn(async move {
            for i in 0.. {
                let body = MessageBody::parse(&format!("{p}:{i}"), &limits).unwrap();
                let cid = ClientId::parse(&format!("{p}-{i}"), &limits).unwrap();
                let posted = m.post(&user, &general, body, cid).await.unwrap();
                if tx.send(posted.message.id).is_err() {
                    return;
                }
            }
        });
    }
    while let Some(id) = rx.recv().await {
        println!("ACK {id}");
    }
}

#[test]
fn acknowledged_posts_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(DB_VAR, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acked = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while acked.len() < 3000 {
        let line = lines.next().expect("child still posting").unwrap();
        if let Some(id) = line.strip_prefix("ACK ") {
            acked.push(id.parse::<u64>().unwrap());
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = SqliteStore::open(&path, SqliteOptions::default())
            .await
            .unwrap();
        let m = Messenger::builder()
            .config(config())
            .store(Arc::new(store))
            .build()
            .unwrap();
        let general = RoomName::general();
        // `general` is public: anyone reads it.
        let reader = messenger_core::User {
            id: messenger_core::UserId(1),
            username: messenger_core::Username::from_trusted("reader".into()),
        };
        let max_acked = *acked.iter().max().unwrap();
        let mut stored = Vec::new();
        let mut after = MessageId(0);
        loop {
            let page = m
                .history(&reader, &general, HistoryQuery::after(after, 200))
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            after = last.id;
            stored.extend(page.iter().map(|msg| msg.id.0));
        }
        assert!(
            stored.len() as u64 >= max_acked,
            "stored {} < acked max {max_acked}",
            stored.len()
        );
        assert_eq!(
            stored,
            (1..=stored.len() as u64).collect::<Vec<_>>(),
            "dense, no holes"
        );
        for id in &acked {
            assert!(
                stored.binary_search(id).is_ok(),
                "acknowledged message {id} was lost"
            );
        }
    });
}
