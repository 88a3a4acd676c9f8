//! The real binary on PostgreSQL (`--database-url`): one node that keeps
//! everything across a restart, the administration commands on the same
//! database, and two nodes sharing it, where a session works on both.

use std::process::Command;

use messenger_e2e::App;
use messenger_e2e::binary::community_messenger;
use messenger_postgres::testing::PgServer;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn the_binary_runs_on_postgres_and_nodes_share_it() {
    let pg = PgServer::start();
    let url = pg.fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let unused = dir.path().join("unused.db");
    let flags = ["--database-url", url.as_str()];
    // Two nodes started at once on the empty database both come up.
    let (a, b) = tokio::join!(
        App::start_with(&unused, &flags),
        App::start_with(&unused, &flags)
    );
    let (mut a, b) = (a, b);
    assert!(!unused.exists(), "no SQLite file with --database-url");

    let ada = a.register_and_login("ada", "ada-password").await;
    let bob = b.register_and_login("bob", "bob-password").await;
    let mut ws = a.ws(&ada).await;
    ws.send(json!({ "type": "join", "room": "general" })).await;
    ws.until("presence").await;
    for i in 0..5 {
        ws.send(json!({ "type": "send", "room": "general", "body": format!("m{i}"), "client_id": format!("c{i}") }))
            .await;
        ws.until("message").await;
    }
    // Ada's token works on the other node, and it has her history.
    let (status, page) = b.get("/api/rooms/general/messages", &ada).await;
    assert_eq!(status, 200);
    assert_eq!(page["messages"].as_array().unwrap().len(), 5);
    // A resend through the other node stores nothing new.
    let mut wb = b.ws(&ada).await;
    wb.send(json!({ "type": "join", "room": "general" })).await;
    wb.until("presence").await;
    wb.send(json!({ "type": "send", "room": "general", "body": "again", "client_id": "c2" }))
        .await;
    let again = wb.until("message").await;
    assert_eq!(
        (
            again["message"]["id"].as_u64(),
            again["message"]["body"].as_str()
        ),
        (Some(3), Some("m2"))
    );
    let (status, found) = b.get("/api/search?q=m4", &bob).await;
    assert_eq!(status, 200);
    assert_eq!(found["hits"].as_array().unwrap().len(), 1);

    // The administration commands work on the same database.
    let out = Command::new(community_messenger())
        .args(["user", "role", "ada", "admin", "--database-url", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(b.get("/api/moderation/log", &ada).await.0, 200);
    let out = Command::new(community_messenger())
        .args(["backup", "x.db", "--database-url", &url])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));

    // A restart keeps everything; sessions too.
    drop(ws);
    drop(wb);
    assert!(a.terminate().success());
    let a = App::start_with(&unused, &flags).await;
    let (status, page) = a.get("/api/rooms/general/messages", &ada).await;
    assert_eq!(status, 200);
    let bodies: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["m0", "m1", "m2", "m3", "m4"]);
    a.login("bob", "bob-password").await;
}
