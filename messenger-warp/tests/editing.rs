//! The message lifecycle, moderation and account settings over real
//! sockets and HTTP: edits and deletes live and after a reconnect, search,
//! mutes, bans, the moderation log, and sessions.

mod common;

use std::time::Duration;

use common::{GeneralRoom, Server, Ws};
use messenger_core::{Actor, Username};
use messenger_core::{Reason, Role};
use serde_json::{Value, json};

async fn get(s: &Server, path: &str, token: &str) -> (u16, Value) {
    let r = s
        .http
        .get(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn post(s: &Server, path: &str, body: Value, token: &str) -> (u16, Value) {
    let r = s.post_json(path, body, Some(token)).await;
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn role(s: &Server, name: &str, role: Role) {
    let name = Username::parse(name, &Default::default()).unwrap();
    s.web
        .messenger()
        .set_role(Actor::Operator, &name, role, Reason::default())
        .await
        .unwrap();
}

/// Posts `body` on `ws` to general and answers the stored message.
async fn say(ws: &mut Ws, body: &str, cid: &str) -> Value {
    ws.say(body, cid).await;
    loop {
        let f = ws.until("message").await;
        if f["message"]["client_id"] == cid {
            return f["message"].clone();
        }
    }
}

#[tokio::test]
async fn edits_and_deletes_reach_v2_sockets_live_and_v1_only_in_history() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (bob, _) = s.user("bob").await;
    let mut a = s.ws_v2(&ada).await;
    a.join(None).await;
    let mut b2 = s.ws_v2(&bob).await;
    b2.join(None).await;
    let mut b1 = s.ws(&bob).await;
    b1.join(None).await;

    let m1 = say(&mut a, "hello @bob", "c1").await;
    let m2 = say(&mut a, "second", "c2").await;
    assert_eq!(m1["id"], 1);
    assert_eq!(m2["id"], 2);

    a.send(json!({ "type": "edit", "room": "general", "id": 1, "body": "hello there", "client_id": "e1" }))
        .await;
    let answer = a.until("changed").await;
    assert_eq!(answer["client_id"], "e1");
    assert_eq!(answer["message"]["body"], "hello there");
    assert_eq!(answer["message"]["rev"], 1);
    assert!(answer["message"]["edited_at"].is_string());
    let live = b2.until("changed").await;
    assert_eq!(live["message"]["body"], "hello there");
    assert_eq!(live["message"]["id"], 1);
    assert!(live.get("client_id").is_none());

    // Bob may not edit or delete Ada's message.
    b2.send(
        json!({ "type": "edit", "room": "general", "id": 2, "body": "mine now", "client_id": "x" }),
    )
    .await;
    let err = b2.until("error").await;
    assert_eq!(
        (err["code"].as_str(), err["client_id"].as_str()),
        (Some("forbidden"), Some("x"))
    );
    let (status, _) = post(&s, "/api/rooms/general/messages/2/delete", json!({}), &bob).await;
    assert_eq!(status, 403);

    let (status, v) = post(&s, "/api/rooms/general/messages/2/delete", json!({}), &ada).await;
    assert_eq!(status, 200);
    assert_eq!(v["message"]["body"], "");
    assert!(v["message"]["deleted_at"].is_string());
    let live = b2.until("changed").await;
    assert_eq!(
        (
            live["message"]["id"].as_u64(),
            live["message"]["rev"].as_u64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(live["message"]["body"], "");

    // Deleted is gone: no second delete, no edit.
    let (status, _) = post(&s, "/api/rooms/general/messages/2/delete", json!({}), &ada).await;
    assert_eq!(status, 404);
    let (status, _) = post(
        &s,
        "/api/rooms/general/messages/2/edit",
        json!({ "body": "x" }),
        &ada,
    )
    .await;
    assert_eq!(status, 404);

    // The v1 socket saw none of it live; its next message frame is a new message.
    say(&mut a, "third", "c3").await;
    let next = loop {
        let f = b1.next().await;
        assert_ne!(f["type"], "changed", "v1 sockets get no change frames");
        if f["type"] == "message" && f["message"]["id"] == 3 {
            break f;
        }
    };
    assert!(next["message"].get("rev").is_none());

    // v1 history: the new body, a placeholder for the tombstone, no marks.
    b1.send(json!({ "type": "history", "room": "general" }))
        .await;
    let h = b1.until("history").await;
    let ms = h["messages"].as_array().unwrap();
    assert_eq!(ms[0]["body"], "hello there");
    assert_eq!(ms[1]["body"], "(message deleted)");
    for m in ms {
        assert!(
            m.get("edited_at").is_none() && m.get("deleted_at").is_none() && m.get("rev").is_none()
        );
    }
    let (_, v1) = get(&s, "/api/rooms/general/messages", &bob).await;
    assert_eq!(v1["messages"][1]["body"], "(message deleted)");
    let (_, v2) = get(&s, "/api/rooms/general/messages?v=2", &bob).await;
    assert_eq!(v2["messages"][1]["body"], "");
    assert_eq!(v2["messages"][0]["rev"], 1);
    assert!(v2["messages"][0]["edited_at"].is_string());
}

#[tokio::test]
async fn a_returning_v2_client_learns_the_edits_and_deletes_it_missed() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (bob, _) = s.user("bob").await;
    let mut a = s.ws_v2(&ada).await;
    a.join(None).await;
    for i in 1..=4 {
        say(&mut a, &format!("m{i}"), &format!("c{i}")).await;
    }
    a.send(json!({ "type": "edit", "room": "general", "id": 1, "body": "m1 early edit" }))
        .await;
    a.until("changed").await;

    // Bob joins, sees the room as it is, and notes where he is.
    let mut b = s.ws_v2(&bob).await;
    b.send(json!({ "type": "join", "room": "general" })).await;
    b.until("history").await;
    let synced = b.until("synced").await;
    assert_eq!(
        (synced["last_id"].as_u64(), synced["rev"].as_u64()),
        (Some(4), Some(1))
    );
    drop(b);

    // While he is away: two edits, a delete, and a new message edited at once.
    a.send(json!({ "type": "edit", "room": "general", "id": 2, "body": "m2 v2" }))
        .await;
    a.until("changed").await;
    a.send(json!({ "type": "delete", "room": "general", "id": 3 }))
        .await;
    a.until("changed").await;
    say(&mut a, "m5", "c5").await;
    a.send(json!({ "type": "edit", "room": "general", "id": 5, "body": "m5 v2" }))
        .await;
    a.until("changed").await;

    let mut b = s.ws_v2(&bob).await;
    b.send(json!({ "type": "join", "room": "general", "since": 4, "rev": 1 }))
        .await;
    let h = b.until("history").await;
    let new: Vec<(u64, String)> = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_u64().unwrap(),
                m["body"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        new,
        [(5, "m5 v2".to_owned())],
        "new messages come as they are now"
    );
    let mut changed = Vec::new();
    let synced = loop {
        let f = b.next().await;
        match f["type"].as_str() {
            Some("changed") => changed.push((
                f["message"]["id"].as_u64().unwrap(),
                f["message"]["rev"].as_u64().unwrap(),
            )),
            Some("synced") => break f,
            _ => {}
        }
    };
    assert_eq!(
        changed,
        [(2, 2), (3, 3)],
        "only messages it had, in change order, once"
    );
    assert_eq!(
        (synced["last_id"].as_u64(), synced["rev"].as_u64()),
        (Some(5), Some(4))
    );

    // Live from here on, without repeats.
    a.send(json!({ "type": "edit", "room": "general", "id": 4, "body": "m4 v2" }))
        .await;
    let live = b.until("changed").await;
    assert_eq!(
        (
            live["message"]["id"].as_u64(),
            live["message"]["rev"].as_u64()
        ),
        (Some(4), Some(5))
    );

    // The changes route serves programs the same.
    let (status, v) = get(&s, "/api/rooms/general/changes?after_rev=3", &bob).await;
    assert_eq!(status, 200);
    let revs: Vec<u64> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["rev"].as_u64().unwrap())
        .collect();
    assert_eq!(revs, [4, 5]);
    assert_eq!(v["rev"], 5);
}

#[tokio::test]
async fn search_finds_only_readable_messages_and_history_opens_around_a_hit() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (bob, _) = s.user("bob").await;
    let (status, _) = post(
        &s,
        "/api/rooms",
        json!({ "name": "hidden", "title": "Hidden", "private": true }),
        &ada,
    )
    .await;
    assert_eq!(status, 201);
    let mut a = s.ws_v2(&ada).await;
    a.join(None).await;
    for i in 1..=30 {
        let body = if i == 12 {
            "The Kangaroo escaped".to_owned()
        } else {
            format!("filler {i}")
        };
        say(&mut a, &body, &format!("g{i}")).await;
    }
    a.send(
        json!({ "type": "send", "room": "hidden", "body": "kangaroo secrets", "client_id": "h1" }),
    )
    .await;
    a.until("message").await;

    let (status, v) = get(&s, "/api/search?q=kanga", &bob).await;
    assert_eq!(status, 200);
    let hits = v["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "never a room bob cannot read: {v}");
    assert_eq!(hits[0]["message"]["id"], 12);
    assert_eq!(hits[0]["highlights"], json!([[4, 12]]));
    let (_, v) = get(&s, "/api/search?q=kanga", &ada).await;
    assert_eq!(v["hits"].as_array().unwrap().len(), 2);
    assert_eq!(v["hits"][0]["message"]["room"], "hidden", "newest first");

    // Paging.
    let (_, p1) = get(&s, "/api/search?q=filler&limit=20", &bob).await;
    assert_eq!(p1["hits"].as_array().unwrap().len(), 20);
    let next = p1["next"].as_u64().unwrap();
    let (_, p2) = get(
        &s,
        &format!("/api/search?q=filler&limit=20&before={next}"),
        &bob,
    )
    .await;
    assert_eq!(p2["hits"].as_array().unwrap().len(), 9);
    assert!(p2["next"].is_null());

    // Bad queries get the envelope.
    let (status, v) = get(&s, "/api/search?q=%20%21%21", &bob).await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (400, Some("invalid"))
    );

    // An edit is found by its new words; a delete is not found at all.
    a.send(json!({ "type": "edit", "room": "general", "id": 12, "body": "The wombat escaped" }))
        .await;
    a.until("changed").await;
    let (_, v) = get(&s, "/api/search?q=kangaroo", &bob).await;
    assert!(v["hits"].as_array().unwrap().is_empty());
    let (_, v) = get(&s, "/api/search?q=wombat", &bob).await;
    assert_eq!(v["hits"].as_array().unwrap().len(), 1);

    // Around a message: over HTTP and on the socket.
    let (status, v) = get(&s, "/api/rooms/general/messages?around=12&limit=10", &bob).await;
    assert_eq!(status, 200);
    let ids: Vec<u64> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (7..=16).collect::<Vec<_>>());
    let mut b = s.ws_v2(&bob).await;
    b.send(json!({ "type": "history", "room": "general", "around": 29, "limit": 6 }))
        .await;
    let h = b.until("history").await;
    let ids: Vec<u64> = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [26, 27, 28, 29, 30]);
    assert_eq!(
        (
            h["around"].as_u64(),
            h["has_newer"].as_bool(),
            h["has_more"].as_bool()
        ),
        (Some(29), Some(false), Some(true))
    );
    let (status, _) = get(&s, "/api/rooms/hidden/messages?around=1", &bob).await;
    assert_eq!(status, 404);
    b.send(json!({ "type": "search", "q": "wombat", "client_id": "s1" }))
        .await;
    let r = b.until("search_results").await;
    assert_eq!(
        (r["client_id"].as_str(), r["hits"].as_array().unwrap().len()),
        (Some("s1"), 1)
    );
}

#[tokio::test]
async fn moderators_mute_ban_and_delete_and_admins_read_the_log() {
    let s = Server::start().await;
    let (root, _) = s.user("root").await;
    let (mona, _) = s.user("mona").await;
    let (sam, _) = s.user("sam").await;
    role(&s, "root", Role::Admin).await;

    // Only admins grant roles; members moderate nobody.
    let (status, _) = post(
        &s,
        "/api/moderation/users/mona/role",
        json!({ "role": "moderator" }),
        &sam,
    )
    .await;
    assert_eq!(status, 403);
    let (status, v) = post(
        &s,
        "/api/moderation/users/mona/role",
        json!({ "role": "moderator", "reason": "helps out" }),
        &root,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["standing"]["role"], "moderator");
    let (status, _) = post(&s, "/api/moderation/users/root/ban", json!({}), &mona).await;
    assert_eq!(status, 403, "a moderator cannot ban an admin");
    let (status, _) = post(&s, "/api/moderation/users/nobody/ban", json!({}), &mona).await;
    assert_eq!(status, 404);

    // A muted user's sends get an error with the time left.
    let mut sw = s.ws(&sam).await;
    sw.join(None).await;
    say(&mut sw, "spam spam", "s1").await;
    let (status, _) = post(
        &s,
        "/api/moderation/users/sam/mute",
        json!({ "minutes": 10, "reason": "calm down" }),
        &mona,
    )
    .await;
    assert_eq!(status, 200);
    sw.say("more spam", "s2").await;
    let err = sw.until("error").await;
    assert_eq!(err["code"], "forbidden");
    assert_eq!(err["client_id"], "s2");
    let text = err["message"].as_str().unwrap();
    assert!(text.contains("muted for 10 minutes"), "{text}");
    let (status, _) = post(&s, "/api/moderation/users/sam/unmute", json!({}), &mona).await;
    assert_eq!(status, 200);
    say(&mut sw, "sorry", "s3").await;

    // A moderator deletes anyone's message, with a reason in the log.
    let (status, _) = post(
        &s,
        "/api/rooms/general/messages/1/delete",
        json!({ "reason": "spam" }),
        &mona,
    )
    .await;
    assert_eq!(status, 200);

    // A ban closes the banned user's sockets with the reason and refuses login.
    let (status, _) = post(
        &s,
        "/api/moderation/users/sam/ban",
        json!({ "reason": "repeated spam" }),
        &mona,
    )
    .await;
    assert_eq!(status, 200);
    let err = sw.until("error").await;
    assert_eq!(err["message"], "this account is banned: repeated spam");
    let close = sw.until("__close").await;
    assert_eq!(close["code"], 1008);
    assert_eq!(close["reason"], "this account is banned: repeated spam");
    let r = s
        .post_json(
            "/api/login",
            json!({ "username": "sam", "password": "password123" }),
            None,
        )
        .await;
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["error"]["message"],
        "this account is banned: repeated spam"
    );
    let r = s
        .post_json(
            "/api/login",
            json!({ "username": "sam", "password": "wrong-password" }),
            None,
        )
        .await;
    assert_eq!(
        r.status(),
        401,
        "a wrong password learns nothing of the ban"
    );
    let (status, _) = get(&s, "/api/me", &sam).await;
    assert_eq!(status, 401, "every session was revoked");

    let (status, _) = post(
        &s,
        "/api/moderation/users/sam/unban",
        json!({ "reason": "second chance" }),
        &mona,
    )
    .await;
    assert_eq!(status, 200);
    let r = s
        .post_json(
            "/api/login",
            json!({ "username": "sam", "password": "password123" }),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);

    // The log: admins only, newest first, who did what to whom and why.
    let (status, _) = get(&s, "/api/moderation/log", &mona).await;
    assert_eq!(status, 403);
    let (status, v) = get(&s, "/api/moderation/log", &root).await;
    assert_eq!(status, 200);
    let entries: Vec<(String, String, String, String)> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"]["username"].as_str().unwrap_or("").to_owned(),
                e["action"].as_str().unwrap().to_owned(),
                e["target"]["username"].as_str().unwrap().to_owned(),
                e["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let e = |a: &str, b: &str, c: &str, d: &str| {
        (a.to_owned(), b.to_owned(), c.to_owned(), d.to_owned())
    };
    assert_eq!(
        entries,
        [
            e("mona", "unban", "sam", "second chance"),
            e("mona", "ban", "sam", "repeated spam"),
            e("mona", "delete_message", "sam", "spam"),
            e("mona", "unmute", "sam", ""),
            e("mona", "mute", "sam", "calm down"),
            e("root", "role", "mona", "helps out"),
            e("", "role", "root", ""),
        ]
    );
    let first = &v["entries"][2];
    assert_eq!(
        (first["room"].as_str(), first["message_id"].as_u64()),
        (Some("general"), Some(1))
    );
    let before = v["entries"][1]["id"].as_u64().unwrap();
    let (_, page) = get(
        &s,
        &format!("/api/moderation/log?before={before}&limit=2"),
        &root,
    )
    .await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    assert_eq!(page["entries"][0]["action"], "delete_message");
}

#[tokio::test]
async fn account_settings_list_sessions_and_change_the_password() {
    let s = Server::start().await;
    s.register("ann", "password123").await;
    let login = |agent: &'static str| {
        let s = &s;
        async move {
            let r = s
                .http
                .post(s.url("/api/login"))
                .header("user-agent", agent)
                .json(&json!({ "username": "ann", "password": "password123" }))
                .send()
                .await
                .unwrap();
            let v: Value = r.json().await.unwrap();
            v["token"].as_str().unwrap().to_owned()
        }
    };
    let laptop = login("Laptop Browser/1.0").await;
    let phone = login("Phone Browser/2.0").await;
    let tablet = login("Tablet/3.0").await;

    let (status, v) = get(&s, "/api/account", &laptop).await;
    assert_eq!(status, 200);
    assert_eq!(v["role"], "member");
    let sessions = v["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3);
    let agents: Vec<&str> = sessions
        .iter()
        .map(|x| x["user_agent"].as_str().unwrap())
        .collect();
    assert!(agents.contains(&"Phone Browser/2.0"));
    let me = sessions.iter().find(|x| x["current"] == true).unwrap();
    assert_eq!(me["user_agent"], "Laptop Browser/1.0");
    assert!(!v.to_string().contains(&laptop), "tokens never appear");

    // Log out the phone: its socket closes, the others stay.
    let mut phone_ws = s.ws(&phone).await;
    let phone_id = sessions
        .iter()
        .find(|x| x["user_agent"] == "Phone Browser/2.0")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = post(
        &s,
        &format!("/api/account/sessions/{phone_id}/logout"),
        json!({}),
        &laptop,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(phone_ws.until("__close").await["code"], 1008);
    assert_eq!(get(&s, "/api/me", &phone).await.0, 401);
    assert_eq!(get(&s, "/api/me", &tablet).await.0, 200);
    let (status, _) = post(
        &s,
        "/api/account/sessions/0123456789abcdef/logout",
        json!({}),
        &laptop,
    )
    .await;
    assert_eq!(status, 404);

    // Changing the password needs the current one, and ends the other sessions.
    let (status, v) = post(
        &s,
        "/api/account/password",
        json!({ "current_password": "nope-nope-nope", "new_password": "new-password-1" }),
        &laptop,
    )
    .await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (400, Some("invalid"))
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("current_password")
    );
    let mut tablet_ws = s.ws(&tablet).await;
    let (status, _) = post(
        &s,
        "/api/account/password",
        json!({ "current_password": "password123", "new_password": "new-password-1" }),
        &laptop,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(tablet_ws.until("__close").await["code"], 1008);
    assert_eq!(get(&s, "/api/me", &tablet).await.0, 401);
    assert_eq!(
        get(&s, "/api/me", &laptop).await.0,
        200,
        "this session stays"
    );
    let r = s
        .post_json(
            "/api/login",
            json!({ "username": "ann", "password": "new-password-1" }),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let fresh = v["token"].as_str().unwrap().to_owned();

    // Log out everywhere.
    let (status, _) = post(&s, "/api/account/logout-everywhere", json!({}), &laptop).await;
    assert_eq!(status, 204);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(get(&s, "/api/me", &laptop).await.0, 401);
    assert_eq!(get(&s, "/api/me", &fresh).await.0, 401);
}

/// `(key, count, me)` of a message's reactions.
fn reactions(m: &Value) -> Vec<(String, u64, bool)> {
    m["reactions"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .map(|r| {
                    (
                        r["key"].as_str().unwrap().to_owned(),
                        r["count"].as_u64().unwrap(),
                        r.get("me").is_some_and(|v| v == true),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn r(key: &str, count: u64, me: bool) -> (String, u64, bool) {
    (key.to_owned(), count, me)
}

#[tokio::test]
async fn reactions_reach_v2_sockets_live_with_who_changed_and_v1_sees_none() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (bob, bob_id) = s.user("bob").await;
    let mut a = s.ws_v2(&ada).await;
    a.join(None).await;
    let mut b1 = s.ws(&bob).await;
    b1.join(None).await;
    say(&mut a, "ship it?", "c1").await;

    // Bob reacts over HTTP with a shortcode; Ada's socket hears who did it.
    let (status, v) = post(
        &s,
        "/api/rooms/general/messages/1/reactions",
        json!({ "key": ":thumbsup:" }),
        &bob,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(reactions(&v["message"]), [r("👍", 1, true)]);
    let live = a.until("changed").await;
    assert_eq!(live["message"]["rev"], 1);
    assert_eq!(reactions(&live["message"]), [r("👍", 1, false)]);
    assert_eq!(
        live["reaction"],
        json!({ "key": "👍", "user": { "id": bob_id, "username": "bob" }, "on": true })
    );

    // Ada reacts over her socket: her answer marks it hers.
    a.send(json!({ "type": "react", "room": "general", "id": 1, "key": "👍", "client_id": "r1" }))
        .await;
    let answer = loop {
        let f = a.until("changed").await;
        if f["client_id"] == "r1" {
            break f;
        }
    };
    assert_eq!(reactions(&answer["message"]), [r("👍", 2, true)]);

    // Who reacted, on request, on both transports.
    a.send(json!({ "type": "reactions", "room": "general", "id": 1, "client_id": "w" }))
        .await;
    let who = a.until("reactions").await;
    assert_eq!(who["client_id"], "w");
    assert_eq!(who["reactions"][0]["users"][0]["username"], "bob");
    assert_eq!(who["reactions"][0]["users"][1]["username"], "ada");
    assert_eq!(who["reactions"][0]["me"], true);
    let (status, who) = get(&s, "/api/rooms/general/messages/1/reactions", &bob).await;
    assert_eq!(status, 200);
    assert_eq!(who["reactions"][0]["count"], 2);

    // Taking one back; a bad key is refused in the envelope, and the
    // socket goes on.
    let (status, v) = post(
        &s,
        "/api/rooms/general/messages/1/reactions",
        json!({ "key": "👍", "on": false }),
        &bob,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(reactions(&v["message"]), [r("👍", 1, false)]);
    a.send(
        json!({ "type": "react", "room": "general", "id": 1, "key": "<b>", "client_id": "bad" }),
    )
    .await;
    let err = a.until("error").await;
    assert_eq!(
        (err["code"].as_str(), err["client_id"].as_str()),
        (Some("invalid"), Some("bad"))
    );

    // History: per reader on v2; v1 sees messages as they were posted.
    let (_, v2) = get(&s, "/api/rooms/general/messages?v=2", &ada).await;
    assert_eq!(reactions(&v2["messages"][0]), [r("👍", 1, true)]);
    let (_, v1) = get(&s, "/api/rooms/general/messages", &ada).await;
    assert!(v1["messages"][0].get("reactions").is_none());
    say(&mut a, "next", "c2").await;
    loop {
        let f = b1.next().await;
        assert_ne!(f["type"], "changed", "v1 sockets get no change frames");
        if f["type"] == "message" && f["message"]["id"] == 2 {
            break;
        }
    }
    b1.send(json!({ "type": "history", "room": "general" }))
        .await;
    let h = b1.until("history").await;
    assert!(h["messages"][0].get("reactions").is_none());
}

#[tokio::test]
async fn a_returning_client_catches_up_on_reactions_and_outsiders_find_nothing() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (bob, _) = s.user("bob").await;
    let (eve, _) = s.user("eve").await;
    let mut a = s.ws_v2(&ada).await;
    a.join(None).await;
    say(&mut a, "one", "c1").await;
    say(&mut a, "two", "c2").await;
    let mut b = s.ws_v2(&bob).await;
    b.send(json!({ "type": "join", "room": "general" })).await;
    b.until("history").await;
    let synced = b.until("synced").await;
    drop(b);

    for (id, key) in [(1, "🎉"), (2, "👀"), (1, "🚀")] {
        a.send(json!({ "type": "react", "room": "general", "id": id, "key": key }))
            .await;
        a.until("changed").await;
    }
    let mut b = s.ws_v2(&bob).await;
    b.send(json!({ "type": "join", "room": "general", "since": synced["last_id"], "rev": synced["rev"] }))
        .await;
    let mut caught = Vec::new();
    loop {
        let f = b.next().await;
        match f["type"].as_str() {
            Some("changed") => caught.push((
                f["message"]["id"].as_u64().unwrap(),
                reactions(&f["message"]),
            )),
            Some("synced") => {
                assert_eq!(f["rev"], 3);
                break;
            }
            _ => {}
        }
    }
    assert_eq!(
        caught,
        [
            (2, vec![r("👀", 1, false)]),
            (1, vec![r("🎉", 1, false), r("🚀", 1, false)])
        ],
        "each message once, at its latest state, in change order"
    );

    // A private room: every reaction door answers not_found to an outsider.
    let (status, _) = post(
        &s,
        "/api/rooms",
        json!({ "name": "secret", "title": "Secret", "private": true }),
        &ada,
    )
    .await;
    assert_eq!(status, 201);
    a.send(json!({ "type": "send", "room": "secret", "body": "hush", "client_id": "s1" }))
        .await;
    a.until("message").await;
    let (status, v) = post(
        &s,
        "/api/rooms/secret/messages/1/reactions",
        json!({ "key": "👍" }),
        &eve,
    )
    .await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, _) = get(&s, "/api/rooms/secret/messages/1/reactions", &eve).await;
    assert_eq!(status, 404);
    let mut e = s.ws_v2(&eve).await;
    for frame in [
        json!({ "type": "react", "room": "secret", "id": 1, "key": "👍", "client_id": "x" }),
        json!({ "type": "reactions", "room": "secret", "id": 1, "client_id": "y" }),
    ] {
        e.send(frame).await;
        assert_eq!(e.until("error").await["code"], "not_found");
    }
}

#[tokio::test]
async fn a_reply_shows_what_it_answers_as_it_is_now_and_v1_sees_a_plain_message() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (bob, _) = s.user("bob").await;
    let mut a = s.ws_v2(&ada).await;
    a.join(None).await;
    let mut b1 = s.ws(&bob).await;
    b1.join(None).await;
    say(&mut a, "lunch at noon?", "c1").await;

    a.send(json!({ "type": "send", "room": "general", "body": "or one?", "client_id": "c2", "reply_to": 1 }))
        .await;
    let reply = loop {
        let f = a.until("message").await;
        if f["message"]["client_id"] == "c2" {
            break f["message"].clone();
        }
    };
    assert_eq!(
        reply["reply_to"],
        json!({ "id": 1, "author": { "id": reply["author"]["id"], "username": "ada" }, "excerpt": "lunch at noon?" })
    );
    let plain = loop {
        let f = b1.until("message").await;
        if f["message"]["id"] == 2 {
            break f["message"].clone();
        }
    };
    assert!(
        plain.get("reply_to").is_none(),
        "v1 sees a plain message: {plain}"
    );

    // The answered message is edited, then deleted: the reply follows.
    a.send(json!({ "type": "edit", "room": "general", "id": 1, "body": "lunch at half past?" }))
        .await;
    a.until("changed").await;
    let (_, v2) = get(&s, "/api/rooms/general/messages?v=2", &bob).await;
    assert_eq!(
        v2["messages"][1]["reply_to"]["excerpt"],
        "lunch at half past?"
    );
    let (_, v1) = get(&s, "/api/rooms/general/messages", &bob).await;
    assert!(v1["messages"][1].get("reply_to").is_none());
    a.send(json!({ "type": "delete", "room": "general", "id": 1 }))
        .await;
    a.until("changed").await;
    let (_, v2) = get(&s, "/api/rooms/general/messages?v=2", &bob).await;
    assert_eq!(
        (
            &v2["messages"][1]["reply_to"]["excerpt"],
            &v2["messages"][1]["reply_to"]["deleted"]
        ),
        (&json!(""), &json!(true))
    );

    // Nothing to answer: a deleted message, one that is not there.
    for (id, cid) in [(1, "c3"), (99, "c4")] {
        a.send(json!({ "type": "send", "room": "general", "body": "hm", "client_id": cid, "reply_to": id }))
            .await;
        let err = a.until("error").await;
        assert_eq!(
            (err["code"].as_str(), err["client_id"].as_str()),
            (Some("not_found"), Some(cid))
        );
    }
}

#[tokio::test]
async fn owners_pin_live_to_v2_sockets_the_list_follows_and_outsiders_find_nothing() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (bob, _) = s.user("bob").await;
    let (eve, _) = s.user("eve").await;
    let (status, _) = post(
        &s,
        "/api/rooms",
        json!({ "name": "plans", "title": "Plans", "private": true }),
        &ada,
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = post(
        &s,
        "/api/rooms/plans/members",
        json!({ "username": "bob" }),
        &ada,
    )
    .await;
    assert_eq!(status, 200);
    let mut a = s.ws_v2(&ada).await;
    let mut b = s.ws_v2(&bob).await;
    for ws in [&mut a, &mut b] {
        ws.send(json!({ "type": "join", "room": "plans" })).await;
        ws.until("synced").await;
    }
    b.send(json!({ "type": "send", "room": "plans", "body": "the plan", "client_id": "p1" }))
        .await;
    b.until("message").await;

    // Bob is a member but not the owner.
    b.send(json!({ "type": "pin", "room": "plans", "id": 1, "client_id": "x" }))
        .await;
    assert_eq!(b.until("error").await["code"], "forbidden");
    let (status, v) = post(&s, "/api/rooms/plans/messages/1/pin", json!({}), &ada).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["message"]["pinned"]["by"]["username"], "ada");
    let live = b.until("changed").await;
    assert!(live["message"]["pinned"]["at"].is_string());
    b.send(json!({ "type": "pins", "room": "plans", "client_id": "l" }))
        .await;
    let pins = b.until("pins").await;
    assert_eq!(
        (
            pins["client_id"].as_str(),
            pins["messages"][0]["id"].as_u64()
        ),
        (Some("l"), Some(1))
    );

    // Outsiders: not found at every door.
    let (status, _) = post(&s, "/api/rooms/plans/messages/1/pin", json!({}), &eve).await;
    assert_eq!(status, 404);
    let (status, _) = get(&s, "/api/rooms/plans/pins", &eve).await;
    assert_eq!(status, 404);
    let mut e = s.ws_v2(&eve).await;
    e.send(json!({ "type": "pins", "room": "plans", "client_id": "y" }))
        .await;
    assert_eq!(e.until("error").await["code"], "not_found");

    // Unpinned: live, and the list is empty; v1 history never shows pins.
    a.send(json!({ "type": "pin", "room": "plans", "id": 1, "pinned": false }))
        .await;
    let live = b.until("changed").await;
    assert!(live["message"].get("pinned").is_none());
    let (_, list) = get(&s, "/api/rooms/plans/pins", &bob).await;
    assert_eq!(list["messages"], json!([]));
    post(
        &s,
        "/api/rooms/plans/messages/1/pin",
        json!({ "pinned": true }),
        &ada,
    )
    .await;
    let (_, v1) = get(&s, "/api/rooms/plans/messages", &bob).await;
    assert!(v1["messages"][0].get("pinned").is_none());
    let (_, v2) = get(&s, "/api/rooms/plans/messages?v=2", &bob).await;
    assert!(v2["messages"][0]["pinned"].is_object());
}
