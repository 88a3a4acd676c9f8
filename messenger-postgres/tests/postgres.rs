//! The store conformance suite against a throwaway PostgreSQL server, and
//! what only PostgreSQL has to show: many writers, one room, dense ids.

use std::sync::Arc;

use messenger_core::store::{MessageStore, NewMessage, UserStore};
use messenger_core::testing::{Stores, run_conformance};
use messenger_core::{ClientId, Limits, MessageBody, RoomName, Username};
use messenger_postgres::PostgresStore;
use messenger_postgres::testing::PgServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn postgres_store_conforms() {
    let server = PgServer::start();
    run_conformance(|| async {
        let url = server.fresh_database().await;
        Stores::from_one(Arc::new(PostgresStore::connect(&url).await.unwrap()))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn stores_of_several_nodes_number_one_room_densely_and_start_together() {
    let server = PgServer::start();
    let url = server.fresh_database().await;
    // Three "nodes" start at once on the empty database: all migrate.
    let nodes: Vec<PostgresStore> = futures_join(&url).await;
    let limits = Limits::default();
    let author = nodes[0]
        .create_user(
            &Username::parse("writer", &limits).unwrap(),
            "h",
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let room = RoomName::general();
    let mut tasks = Vec::new();
    for (n, node) in nodes.into_iter().enumerate() {
        let (author, room, limits) = (author.clone(), room.clone(), limits.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..50 {
                let batch: Vec<NewMessage> = (0..4)
                    .map(|k| NewMessage {
                        room: room.clone(),
                        author: author.clone(),
                        body: MessageBody::parse("hello", &limits).unwrap(),
                        // Every node also resends the others' client ids.
                        client_id: ClientId::parse(&format!("m{}-{k}", (i + n) % 60), &limits)
                            .unwrap(),
                        sent_at: chrono::Utc::now(),
                        reply_to: None,
                    })
                    .collect();
                for a in node.append(batch).await.unwrap() {
                    ids.push((a.message.client_id.as_str().to_owned(), a.message.id.0));
                }
            }
            ids
        }));
    }
    let mut by_client = std::collections::HashMap::new();
    for t in tasks {
        for (cid, id) in t.await.unwrap() {
            let prev = by_client.insert(cid.clone(), id);
            assert!(prev.is_none() || prev == Some(id), "{cid} got two ids");
        }
    }
    let mut ids: Vec<u64> = by_client.values().copied().collect();
    ids.sort();
    let expected: Vec<u64> = (1..=ids.len() as u64).collect();
    assert_eq!(ids, expected, "dense from 1, once each, across writers");
}

async fn futures_join(url: &str) -> Vec<PostgresStore> {
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let url = url.to_owned();
            tokio::spawn(async move { PostgresStore::connect(&url).await.unwrap() })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// Every file under `dir` (recursively) whose bytes contain `word`.
fn files_holding(dir: &std::path::Path, word: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if let Ok(bytes) = std::fs::read(&path)
                && bytes.windows(word.len()).any(|w| w == word.as_bytes())
            {
                found.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn purging_leaves_no_byte_of_erased_text_in_the_data_directory() {
    let server = PgServer::start();
    let url = server.fresh_database().await;
    let store = Arc::new(PostgresStore::connect(&url).await.unwrap());
    let config = messenger_core::MessengerConfig {
        hashing: messenger_core::HashingCost::INSECURE_FAST,
        send_rate: None,
        ..Default::default()
    };
    let limits = config.limits.clone();
    let m = messenger_core::Messenger::builder()
        .config(config)
        .store(store)
        .build()
        .unwrap();
    let user = m
        .register(
            Username::parse("eraser", &limits).unwrap(),
            messenger_core::Password::parse("password-123", &limits).unwrap(),
        )
        .await
        .unwrap();
    let general = RoomName::general();
    let mut ids = Vec::new();
    for i in 0..60 {
        let body = if i == 30 {
            "qjxvwombat said something private to zyxkfalcon".to_owned()
        } else if i == 59 {
            // The newest row of its page: VACUUM alone leaves such bytes.
            "jqvxotter closes the page".to_owned()
        } else {
            format!("ordinary message number {i}")
        };
        let posted = m
            .post(
                &user,
                &general,
                MessageBody::parse(&body, &limits).unwrap(),
                ClientId::parse(&format!("c{i}"), &limits).unwrap(),
            )
            .await
            .unwrap();
        ids.push(posted.message.id);
    }
    // A room to delete: its title and a message of its own.
    m.set_role(
        messenger_core::Actor::Operator,
        &user.username,
        messenger_core::Role::Moderator,
        Default::default(),
    )
    .await
    .unwrap();
    let doomed = RoomName::parse("doomed", &limits).unwrap();
    m.create_room(
        Some(&user),
        messenger_core::NewRoom {
            name: doomed.clone(),
            title: messenger_core::RoomTitle::parse("The vxqkestrel room").unwrap(),
            topic: Default::default(),
            private: false,
        },
        &[],
    )
    .await
    .unwrap();
    m.post(
        &user,
        &doomed,
        MessageBody::parse("a kvwquagga in this room", &limits).unwrap(),
        ClientId::parse("room-1", &limits).unwrap(),
    )
    .await
    .unwrap();
    // Statistics that quote the bodies, as autovacuum would gather them.
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .batch_execute("ANALYZE messages, rooms")
        .await
        .unwrap();
    client.batch_execute("CHECKPOINT").await.unwrap();
    let data = server.path().join("data");
    for word in ["qjxvwombat", "jqvxotter", "vxqkestrel", "kvwquagga"] {
        assert!(
            !files_holding(&data, word).is_empty(),
            "the scan finds {word} while it is posted"
        );
    }

    m.delete_message(&user, &general, ids[30], Default::default())
        .await
        .unwrap();
    m.edit_message(
        &user,
        &general,
        ids[59],
        MessageBody::parse("closes the page", &limits).unwrap(),
    )
    .await
    .unwrap();
    m.delete_room(&user, &doomed, Default::default())
        .await
        .unwrap();
    let steps = messenger_postgres::purge_erased(&url).await.unwrap();
    for step in &steps {
        assert!(step.error.is_none(), "{step:?}");
    }
    for word in [
        "qjxvwombat",
        "zyxkfalcon",
        "jqvxotter",
        "vxqkestrel",
        "kvwquagga",
    ] {
        assert_eq!(files_holding(&data, word), Vec::<String>::new(), "{word}");
    }
    // What is left is still found; what was erased is not.
    let find = |q: &'static str| {
        let (m, user) = (m.clone(), user.clone());
        async move {
            m.search(
                &user,
                &messenger_core::SearchQuery::parse(q).unwrap(),
                None,
                50,
            )
            .await
            .unwrap()
            .hits
            .len()
        }
    };
    assert_eq!(find("ordinary").await, 50);
    assert_eq!(find("qjxvwombat").await, 0);
    assert_eq!(find("closes").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn a_database_the_previous_release_wrote_upgrades_and_takes_reactions() {
    use messenger_core::{
        HashingCost, HistoryQuery, MessageId, Messenger, MessengerConfig, Password, ReactionKey,
    };
    let server = PgServer::start();
    let url = server.fresh_database().await;
    // Schema 4 with its rows, as the previous release left them
    // (tests/fixtures/make-fixture.sh).
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .batch_execute(include_str!("fixtures/v4.sql"))
        .await
        .unwrap();
    let store = Arc::new(PostgresStore::connect(&url).await.unwrap());
    let version: i32 = client
        .query_one("SELECT version FROM public.schema_version", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(version, messenger_postgres::SCHEMA_VERSION);
    let m = Messenger::builder()
        .config(MessengerConfig {
            hashing: HashingCost::INSECURE_FAST,
            ..MessengerConfig::default()
        })
        .store(store)
        .build()
        .unwrap();
    let limits = m.config().limits.clone();
    let login = |name: &str| {
        let (m, limits, name) = (m.clone(), limits.clone(), name.to_owned());
        async move {
            m.login(
                &Username::parse(&name, &limits).unwrap(),
                &Password::parse("fixture-password", &limits).unwrap(),
                false,
            )
            .await
        }
    };
    assert!(login("cyd").await.is_err(), "the ban holds");
    let ada = login("ada").await.unwrap().session.user;
    let bob = login("bob").await.unwrap().session.user;
    let plans = RoomName::parse("plans", &limits).unwrap();
    let mine = m.my_rooms(&bob).await.unwrap();
    let room = mine.iter().find(|r| r.room.name == plans).unwrap();
    assert_eq!((room.last_id.0, room.mentions), (2, 1));

    let key = |k: &str| ReactionKey::parse(k, &limits).unwrap();
    let r = m
        .react(&bob, &plans, MessageId(1), key("👍"), true)
        .await
        .unwrap();
    assert_eq!(r.rev, 2, "change numbers go on from the edit's");
    m.react(&ada, &plans, MessageId(2), key("👀"), true)
        .await
        .unwrap();
    let page = m
        .history(&bob, &plans, HistoryQuery::latest(10))
        .await
        .unwrap();
    let seen: Vec<_> = page
        .iter()
        .map(|m| {
            let r: Vec<_> = m
                .reactions
                .iter()
                .map(|r| (r.key.as_str(), r.count, r.me))
                .collect();
            (m.body.as_str(), r)
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("the plan, edited by version 4", vec![("👍", 1, true)]),
            ("@bob a mention from version 4", vec![("👀", 1, false)]),
        ]
    );
}
