//! The message lifecycle and moderation through the real binary and its
//! SQLite file: edits, deletes, the search index, roles, mutes and bans
//! survive a restart, and a v2 client that was away across it catches up.

use std::process::Command;

use messenger_e2e::App;
use messenger_e2e::binary::community_messenger;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_deletes_search_and_moderation_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let mut app = App::start(&db).await;
    let ada = app.register_and_login("ada", "ada-password").await;
    let bob = app.register_and_login("bob", "bob-password").await;
    let sam = app.register_and_login("sam", "sam-password").await;
    let mut a = app.ws(&ada).await;
    a.send(json!({ "type": "join", "room": "general" })).await;
    a.until("presence").await;
    for (i, body) in ["alpha wombat", "beta", "gamma wombat", "delta"]
        .iter()
        .enumerate()
    {
        a.send(json!({ "type": "send", "room": "general", "body": body, "client_id": format!("c{i}") }))
            .await;
        a.until("message").await;
    }
    let (s, _) = app
        .post(
            "/api/rooms/general/messages/2/edit",
            json!({ "body": "beta, edited" }),
            &ada,
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .post("/api/rooms/general/messages/3/delete", json!({}), &ada)
        .await;
    assert_eq!(s, 200);
    let out = Command::new(community_messenger())
        .args(["user", "role", "bob", "moderator", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let (s, _) = app
        .post(
            "/api/moderation/users/sam/mute",
            json!({ "minutes": 60, "reason": "cool off" }),
            &bob,
        )
        .await;
    assert_eq!(s, 200);

    assert!(app.terminate().success());
    let mut app = App::start(&db).await;

    // History, as v2 and as v1 has it.
    let (_, v2) = app.get("/api/rooms/general/messages?v=2", &bob).await;
    let view: Vec<(u64, String, bool, bool)> = v2["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_u64().unwrap(),
                m["body"].as_str().unwrap().to_owned(),
                m["edited_at"].is_string(),
                m["deleted_at"].is_string(),
            )
        })
        .collect();
    assert_eq!(
        view,
        [
            (1, "alpha wombat".into(), false, false),
            (2, "beta, edited".into(), true, false),
            (3, "".into(), false, true),
            (4, "delta".into(), false, false),
        ]
    );
    let (_, v1) = app.get("/api/rooms/general/messages", &bob).await;
    assert_eq!(v1["messages"][2]["body"], "(message deleted)");

    // The index came back with the file: the deleted message is not in it.
    let (_, hits) = app.get("/api/search?q=wombat", &bob).await;
    let ids: Vec<u64> = hits["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["message"]["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1]);

    // The mute and the role held.
    let mut s_ws = app.ws(&sam).await;
    s_ws.send(
        json!({ "type": "send", "room": "general", "body": "let me talk", "client_id": "s1" }),
    )
    .await;
    let err = s_ws.until("error").await;
    assert_eq!(err["code"], "forbidden");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("you are muted for"),
        "{err}"
    );
    let (s, _) = app
        .post(
            "/api/moderation/users/sam/ban",
            json!({ "reason": "still shouting" }),
            &bob,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(s_ws.until("__close").await["code"], 1008);

    // A v2 client that was away across the restart learns what changed.
    let (s, _) = app
        .post(
            "/api/rooms/general/messages/4/edit",
            json!({ "body": "delta, edited after" }),
            &ada,
        )
        .await;
    assert_eq!(s, 200);
    let (_, changes) = app
        .get("/api/rooms/general/changes?after_rev=2", &bob)
        .await;
    assert_eq!(changes["rev"], 3);
    assert_eq!(changes["messages"][0]["id"], 4);

    assert!(app.terminate().success());
    let app = App::start(&db).await;
    let r = reqwest::Client::new()
        .post(app.url("/api/login"))
        .json(&json!({ "username": "sam", "password": "sam-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "the ban survived the restart");
    let (_, log) = app.get("/api/moderation/log", &ada).await;
    assert_eq!(log["error"]["code"], "forbidden", "ada is no admin");
}
