//! The store conformance suite against a throwaway PostgreSQL server, and
//! what only PostgreSQL has to show: many writers, one room, dense ids.

use std::sync::Arc;

use messenger_core::testing::{Stores, run_conformance};
use messenger_core::{
    ClientId, Limits, MessageBody, MessageStore, NewMessage, RoomName, UserStore, Username,
};
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
