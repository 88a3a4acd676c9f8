//! The real binary, a real SQLite file, real HTTP and WebSocket clients.

use messenger_e2e::App;
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
        ("/static/messenger/protocol.js", "text/javascript"),
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

/// The value of the sample `name` (with its labels as written) in a
/// Prometheus text page.
fn sample(page: &str, name: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_on_their_own_address_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let off = App::start(&db).await;
    assert!(off.metrics.is_none());
    let r = reqwest::get(off.url("/metrics")).await.unwrap();
    assert_eq!(r.status(), 404, "no metrics on the public address");
    drop(off);

    let app = App::start_with(&db, &["--metrics-addr", "127.0.0.1:0"]).await;
    let metrics = app.metrics.clone().expect("a metrics URL");
    let alice = app.register_and_login("alice", "alice-password").await;
    let bob = app.register_and_login("bob", "bob-password").await;
    let wrong = reqwest::Client::new()
        .post(app.url("/api/login"))
        .json(&json!({ "username": "alice", "password": "not-her-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let mut a = app.ws(&alice).await;
    let mut b = app.ws(&bob).await;
    for ws in [&mut a, &mut b] {
        ws.send(json!({ "type": "join", "room": "general" })).await;
        ws.until("presence").await;
    }
    for i in 0..3 {
        a.send(json!({ "type": "send", "room": "general", "body": format!("m{i}"), "client_id": format!("c{i}") }))
            .await;
    }
    for ws in [&mut a, &mut b] {
        for _ in 0..3 {
            ws.until("message").await;
        }
    }
    // Deliveries are added once a socket flushes; both have by now.
    let page = reqwest::get(&metrics).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let page = page.text().await.unwrap();
    let want = [
        ("messenger_sockets_open", 2.0),
        ("messenger_rooms_subscribed", 2.0),
        ("messenger_messages_posted_total", 3.0),
        ("messenger_messages_delivered_total", 6.0),
        ("messenger_login_failures_total", 1.0),
    ];
    for (name, value) in want {
        assert_eq!(sample(&page, name), Some(value), "{name} in\n{page}");
    }
    // Histograms: store calls by operation, and password hashing (3 hashes
    // at least: two registrations, three logins).
    assert!(
        sample(&page, "messenger_store_seconds_count{op=\"write\"}").unwrap() >= 1.0,
        "{page}"
    );
    assert!(page.contains("messenger_store_seconds_bucket{op=\"history\",le=\"0.001\"}"));
    assert!(sample(&page, "messenger_hashing_seconds_count").unwrap() >= 5.0);
    assert_eq!(sample(&page, "messenger_hashing_queue"), Some(0.0));

    drop(a);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let page = reqwest::get(&metrics).await.unwrap().text().await.unwrap();
        if sample(&page, "messenger_sockets_open") == Some(1.0) {
            assert_eq!(sample(&page, "messenger_rooms_subscribed"), Some(1.0));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{page}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_persist_across_a_restart_and_creation_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rooms.db");
    let mut app = App::start(&db).await;
    let ada = app.register_and_login("ada", "ada-password").await;
    let bob = app.register_and_login("bob", "bob-password").await;
    let http = reqwest::Client::new();
    let r = http
        .post(app.url("/api/rooms"))
        .bearer_auth(&ada)
        .json(&json!({ "name": "crew", "title": "Crew", "private": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = http
        .post(app.url("/api/rooms/crew/members"))
        .bearer_auth(&ada)
        .json(&json!({ "username": "bob" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut a = app.ws(&ada).await;
    a.send(json!({ "type": "join", "room": "crew" })).await;
    a.until("presence").await;
    a.send(json!({ "type": "send", "room": "crew", "body": "aboard", "client_id": "c1" }))
        .await;
    a.until("message").await;
    drop(a);
    assert!(app.terminate().success());

    // Restarted with creation turned off: the room, its members and bob's
    // unread count are all still there; new rooms are refused.
    let app = App::start_with(&db, &["--room-creation", "nobody"]).await;
    let mine: Value = http
        .get(app.url("/api/rooms"))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let crew = mine["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "crew")
        .expect("membership remembered across a restart");
    assert_eq!(crew["kind"], "private");
    assert_eq!(crew["unread"], 1);
    let r = http
        .post(app.url("/api/rooms"))
        .bearer_auth(&bob)
        .json(&json!({ "name": "more", "title": "More" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "forbidden"
    );
}
