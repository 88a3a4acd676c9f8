//! `SqliteStore` against real files in a temp dir.

use std::sync::Arc;

use messenger_core::testing::{Stores, run_conformance};
use messenger_core::{
    ClientId, HashingCost, HistoryQuery, MessageBody, Messenger, MessengerConfig, Password,
    RoomName, Username,
};
use messenger_sqlite::{Durability, SCHEMA_VERSION, SqliteError, SqliteOptions, SqliteStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    run_conformance(|| {
        n += 1;
        let path = dir.path().join(format!("case-{n}.db"));
        async move {
            Stores::from_one(Arc::new(
                SqliteStore::open(path, SqliteOptions::default())
                    .await
                    .unwrap(),
            ))
        }
    })
    .await;
}

#[tokio::test]
async fn sqlite_store_conforms_with_power_loss_durability() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    run_conformance(|| {
        n += 1;
        let path = dir.path().join(format!("full-{n}.db"));
        let options = SqliteOptions {
            durability: Durability::PowerLoss,
            ..SqliteOptions::default()
        };
        async move { Stores::from_one(Arc::new(SqliteStore::open(path, options).await.unwrap())) }
    })
    .await;
}

fn pragma(path: &std::path::Path, name: &str) -> String {
    let c = rusqlite::Connection::open(path).unwrap();
    c.pragma_query_value(None, name, |r| r.get::<_, rusqlite::types::Value>(0))
        .map(|v| format!("{v:?}"))
        .unwrap()
}

#[tokio::test]
async fn opening_creates_folder_and_migrates_from_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/instance/messenger.db");
    let store = SqliteStore::open(&path, SqliteOptions::default())
        .await
        .unwrap();
    assert!(path.exists());
    assert_eq!(store.path(), path);
    assert_eq!(
        pragma(&path, "user_version"),
        format!("Integer({SCHEMA_VERSION})")
    );
    assert_eq!(pragma(&path, "journal_mode"), "Text(\"wal\")");
    // Opening again applies nothing and keeps the version.
    drop(store);
    SqliteStore::open(&path, SqliteOptions::default())
        .await
        .unwrap();
    assert_eq!(
        pragma(&path, "user_version"),
        format!("Integer({SCHEMA_VERSION})")
    );
}

#[tokio::test]
async fn a_newer_schema_is_refused_not_downgraded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    drop(
        SqliteStore::open(&path, SqliteOptions::default())
            .await
            .unwrap(),
    );
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let err = SqliteStore::open(&path, SqliteOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, SqliteError::SchemaTooNew { found, supported } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{err:?}"
    );
    assert_eq!(
        pragma(&path, "user_version"),
        format!("Integer({})", SCHEMA_VERSION + 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_keeps_users_sessions_and_messages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("messenger.db");
    let config = || MessengerConfig {
        hashing: HashingCost::INSECURE_FAST,
        send_rate: None,
        ..MessengerConfig::default()
    };
    let limits = config().limits;
    let name = Username::parse("Persistent", &limits).unwrap();
    let password = Password::parse("still-here-123", &limits).unwrap();
    let general = RoomName::general();
    let token = {
        let store = SqliteStore::open(&path, SqliteOptions::default())
            .await
            .unwrap();
        let m = Messenger::builder()
            .config(config())
            .store(Arc::new(store))
            .build()
            .unwrap();
        let user = m.register(name.clone(), password.clone()).await.unwrap();
        for i in 0..120 {
            let body = MessageBody::parse(&format!("message {i}"), &limits).unwrap();
            let cid = ClientId::parse(&format!("c{i}"), &limits).unwrap();
            m.post(&user, &general, body, cid).await.unwrap();
        }
        m.login(&name, &password, true).await.unwrap().token
    };
    let store = SqliteStore::open(&path, SqliteOptions::default())
        .await
        .unwrap();
    let m = Messenger::builder()
        .config(config())
        .store(Arc::new(store))
        .build()
        .unwrap();
    let session = m
        .authenticate(&token)
        .await
        .expect("session survives a restart");
    assert_eq!(session.user.username.as_str(), "Persistent");
    let page = m
        .history(&general, HistoryQuery::latest(200))
        .await
        .unwrap();
    assert_eq!(page.len(), 120);
    assert_eq!(page[119].body.as_str(), "message 119");
    m.login(&name, &password, false)
        .await
        .expect("password hash survives");
    let next = m
        .post(
            &session.user,
            &general,
            MessageBody::parse("after restart", &limits).unwrap(),
            ClientId::parse("after", &limits).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(next.message.id.0, 121, "ids continue where they stopped");
}
