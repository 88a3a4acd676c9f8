//! The administration commands of the real binary, on the database of a
//! running server.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use messenger_e2e::App;
use messenger_e2e::binary::community_messenger;
use serde_json::{Value, json};

/// Runs `community-messenger ARGS --db DB`, with `stdin` as its input.
fn admin(db: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(community_messenger())
        .args(args)
        .arg("--db")
        .arg(db)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_backup_and_check_work_beside_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let app = App::start(&db).await;
    let ada = app.register_and_login("ada", "ada-password").await;

    // Create a user while the server runs; she logs in over HTTP at once.
    let out = admin(&db, &["user", "create", "carol"], "carol-password\n");
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("Created carol"));
    let carol = app.login("carol", "carol-password").await;
    let out = admin(&db, &["user", "create", "CAROL"], "other-password\n");
    assert!(!out.status.success(), "a taken name is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("taken"));

    let list = stdout(&admin(&db, &["user", "list"], ""));
    let rows: Vec<&str> = list.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{list}");
    assert!(
        rows[0].contains("ada") && rows[1].contains("carol"),
        "{list}"
    );
    assert!(
        rows[1].contains("password") && rows[1].contains("member"),
        "{list}"
    );

    // A reset logs carol out everywhere: her token stops working now.
    let out = admin(
        &db,
        &["user", "reset-password", "carol"],
        "brand-new-password\n",
    );
    assert!(out.status.success(), "{out:?}");
    let http = reqwest::Client::new();
    let me = http
        .get(app.url("/api/me"))
        .bearer_auth(&carol)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
    app.login("carol", "brand-new-password").await;
    let out = admin(
        &db,
        &["user", "reset-password", "nobody"],
        "whatever-password\n",
    );
    assert!(!out.status.success());

    // A backup while messages are being written is a sound copy with them.
    let mut ws = app.ws(&ada).await;
    ws.send(json!({ "type": "join", "room": "general" })).await;
    ws.until("presence").await;
    for i in 0..20 {
        ws.send(json!({ "type": "send", "room": "general", "body": format!("m{i}"), "client_id": format!("c{i}") }))
            .await;
    }
    for _ in 0..20 {
        ws.until("message").await;
    }
    let copy = dir.path().join("copy.db");
    let out = admin(&db, &["backup", copy.to_str().unwrap()], "");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&admin(&copy, &["check"], "")).trim(), "ok");
    assert_eq!(stdout(&admin(&db, &["check"], "")).trim(), "ok");
    let restored = App::start(&copy).await;
    let page: Value = http
        .get(restored.url("/api/rooms/general/messages?limit=50"))
        .bearer_auth(restored.login("ada", "ada-password").await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["messages"].as_array().unwrap().len(), 20);

    // A damaged file is reported, with exit code 1 (or refused outright).
    drop(restored);
    let mut bytes = std::fs::read(&copy).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 4096] {
        *b = 0x5a;
    }
    let broken = dir.path().join("broken.db");
    std::fs::write(&broken, bytes).unwrap();
    let out = admin(&broken, &["check"], "");
    assert!(!out.status.success(), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_bans_and_unbans_from_the_command_line_reach_the_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let app = App::start(&db).await;
    let root = app.register_and_login("root", "root-password").await;
    let sam = app.register_and_login("sam", "sam-password").await;
    let http = reqwest::Client::new();
    let get =
        |path: &str, token: &str| http.get(app.url(path)).bearer_auth(token.to_owned()).send();

    // The first admin comes from the command line.
    assert_eq!(
        get("/api/moderation/log", &root).await.unwrap().status(),
        403
    );
    let out = admin(
        &db,
        &["user", "role", "root", "admin", "--reason", "founder"],
        "",
    );
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("root is now admin"));
    let log: Value = get("/api/moderation/log", &root)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log["entries"][0]["action"], "role");
    assert_eq!(log["entries"][0]["reason"], "founder");
    assert!(
        log["entries"][0]["actor"].is_null(),
        "the command line has no user"
    );
    let out = admin(&db, &["user", "role", "root", "overlord"], "");
    assert!(!out.status.success(), "an unknown role is refused");

    // A ban: sessions end at once, login is refused with the reason.
    let out = admin(&db, &["user", "ban", "sam", "--reason", "spam links"], "");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(get("/api/me", &sam).await.unwrap().status(), 401);
    let r = http
        .post(app.url("/api/login"))
        .json(&json!({ "username": "sam", "password": "sam-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["message"], "this account is banned: spam links");
    let list = stdout(&admin(&db, &["user", "list"], ""));
    let sam_row = list.lines().find(|l| l.contains("sam")).unwrap();
    assert!(sam_row.trim_end().ends_with("banned"), "{list}");
    assert!(
        list.lines()
            .find(|l| l.contains("root"))
            .unwrap()
            .contains("admin")
    );

    let out = admin(&db, &["user", "unban", "sam"], "");
    assert!(out.status.success(), "{out:?}");
    app.login("sam", "sam-password").await;
    let out = admin(&db, &["user", "ban", "nobody"], "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user named"));
}
