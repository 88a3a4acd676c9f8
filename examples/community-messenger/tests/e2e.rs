//! The real binary, a real SQLite file, real HTTP and WebSocket clients.

mod common;

use common::App;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_chat_and_history_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fresh/instance/messenger.db");
    let mut app = App::start(&db).await;
    assert!(db.exists(), "database and folder are created on first run");

    let alice = app.register_and_login("alice", "alice-password").await;
    let bob = app.register_and_login("bob", "bob-password").await;
    let mut a = app.ws(&alice).await;
    let mut b = app.ws(&bob).await;
    a.send(json!({ "type": "join", "room": "general" })).await;
    a.until("presence").await;
    b.send(json!({ "type": "join", "room": "general" })).await;
    b.until("presence").await;

    a.send(json!({ "type": "send", "room": "general", "body": "Hi Bob!", "client_id": "a1" }))
        .await;
    let got = b.until("message").await;
    assert_eq!(got["message"]["body"], "Hi Bob!");
    assert_eq!(got["message"]["author"]["username"], "alice");
    b.send(
        json!({ "type": "send", "room": "general", "body": "Hello Alice 👋", "client_id": "b1" }),
    )
    .await;
    assert_eq!(a.until("message").await["message"]["body"], "Hi Bob!");
    assert_eq!(
        a.until("message").await["message"]["body"],
        "Hello Alice 👋"
    );

    assert!(app.terminate().success(), "SIGTERM exits 0");
    let app = App::start(&db).await;
    let r = reqwest::Client::new()
        .get(app.url("/api/rooms/general/messages"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the session survived the restart");
    let history: Value = r.json().await.unwrap();
    let bodies: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["Hi Bob!", "Hello Alice 👋"]);
    app.login("bob", "bob-password").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_sockets_with_1001_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::start(&dir.path().join("m.db")).await;
    let token = app.register_and_login("carol", "carol-password").await;
    let mut ws = app.ws(&token).await;
    ws.send(json!({ "type": "join", "room": "general" })).await;
    ws.until("presence").await;
    ws.send(json!({ "type": "send", "room": "general", "body": "last words", "client_id": "c1" }))
        .await;
    ws.until("message").await;
    let status = app.terminate();
    assert_eq!(ws.until("__close").await["code"], 1001);
    assert!(status.success(), "{status:?}");
    let app = App::start(&dir.path().join("m.db")).await;
    let r = reqwest::Client::new()
        .get(app.url("/api/rooms/general/messages"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["messages"][0]["body"],
        "last words"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_assets_are_served_from_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("m.db")).await;
    let http = reqwest::Client::new();
    let login = http.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login.status(), 200);
    let html = login.text().await.unwrap();
    assert!(html.contains("bootstrap.min.css") && html.contains("Remember me"));
    for (path, ty) in [
        ("/static/vendor/bootstrap/bootstrap.min.css", "text/css"),
        (
            "/static/vendor/bootstrap/bootstrap.bundle.min.js",
            "text/javascript",
        ),
        ("/static/vendor/bootstrap/LICENSE.txt", "text/plain"),
        ("/static/app.css", "text/css"),
        ("/static/messenger/chat.js", "text/javascript"),
    ] {
        let r = http.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(ty),
            "{path}"
        );
    }
}
