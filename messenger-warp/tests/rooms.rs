//! Rooms as data over real sockets: the JSON API, the v2 socket frames,
//! and a v1 socket that sees no change.

mod common;

use common::{GeneralRoom, Server, Ws};
use serde_json::{Value, json};

async fn get(s: &Server, path: &str, token: &str) -> reqwest::Response {
    s.http
        .get(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn post_empty(s: &Server, path: &str, token: &str) -> reqwest::Response {
    s.http
        .post(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// A `/ws?v=2` socket; answers it and its `ready` frame.
async fn ws_v2(s: &Server, token: &str) -> (Ws, Value) {
    let ws = s.ws_v2(token).await;
    let ready = ws.ready().clone();
    (ws, ready)
}

async fn status_and_code(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let body = r.json::<Value>().await.unwrap_or(Value::Null);
    (status, body["error"]["code"].clone())
}

#[tokio::test]
async fn the_json_api_creates_lists_joins_and_hides_private_rooms() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (bob, _) = s.user("bob").await;
    let (eve, _) = s.user("eve").await;

    let r = s
        .post_json(
            "/api/rooms",
            json!({ "name": "rustaceans", "title": "Rustaceans", "topic": "All things Rust" }),
            Some(&ada),
        )
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["room"]["name"], "rustaceans");
    assert_eq!(created["room"]["kind"], "public");
    assert_eq!(created["room"]["unread"], 0);
    let r = s
        .post_json(
            "/api/rooms",
            json!({ "name": "core-team", "title": "Core team", "private": true }),
            Some(&ada),
        )
        .await;
    assert_eq!(r.status(), 201);
    for (body, status, code) in [
        (
            json!({ "name": "rustaceans", "title": "Again" }),
            409,
            "conflict",
        ),
        (json!({ "name": "Bad Name", "title": "x" }), 400, "invalid"),
        (json!({ "name": "ok-name", "title": "" }), 400, "invalid"),
        (json!({ "name": "dm-1-2", "title": "mine" }), 400, "invalid"),
        (
            json!({ "name": "x", "title": "t", "extra": 1 }),
            400,
            "invalid",
        ),
    ] {
        let (st, c) =
            status_and_code(s.post_json("/api/rooms", body.clone(), Some(&bob)).await).await;
        assert_eq!((st, c.as_str().unwrap()), (status, code), "{body}");
    }

    // The directory lists public rooms only, with member counts.
    let dir: Value = get(&s, "/api/directory", &eve).await.json().await.unwrap();
    let names: Vec<&str> = dir["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"rustaceans") && names.contains(&"general"));
    assert!(!names.contains(&"core-team"), "{names:?}");
    let rust = dir["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "rustaceans")
        .unwrap();
    assert_eq!(rust["member_count"], 1);
    assert_eq!(rust["topic"], "All things Rust");

    // Join is remembered in the room list; leave forgets it.
    let r = post_empty(&s, "/api/rooms/rustaceans/join", &bob).await;
    assert_eq!(r.status(), 200);
    let mine: Value = get(&s, "/api/rooms", &bob).await.json().await.unwrap();
    let mine: Vec<&str> = mine["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(mine, ["general", "rustaceans"]);
    assert_eq!(
        post_empty(&s, "/api/rooms/rustaceans/leave", &bob)
            .await
            .status(),
        204
    );

    // The outsider: every door of the private room is a 404 not_found.
    for (method, path, body) in [
        ("GET", "/api/rooms/core-team", None),
        ("GET", "/api/rooms/core-team/messages", None),
        ("GET", "/api/rooms/core-team/members", None),
        (
            "POST",
            "/api/rooms/core-team/members",
            Some(json!({ "username": "eve" })),
        ),
        (
            "POST",
            "/api/rooms/core-team/read",
            Some(json!({ "id": 1 })),
        ),
        ("POST", "/api/rooms/core-team/join", None),
        ("POST", "/api/rooms/core-team/leave", None),
    ] {
        let r = match (method, body) {
            ("GET", _) => get(&s, path, &eve).await,
            (_, Some(b)) => s.post_json(path, b, Some(&eve)).await,
            (_, None) => post_empty(&s, path, &eve).await,
        };
        let (st, c) = status_and_code(r).await;
        assert_eq!(
            (st, c.as_str().unwrap()),
            (404, "not_found"),
            "{method} {path}"
        );
    }

    // A member adds bob; now he reads it.
    let r = s
        .post_json(
            "/api/rooms/core-team/members",
            json!({ "username": "bob" }),
            Some(&ada),
        )
        .await;
    assert_eq!(r.status(), 200);
    let members: Value = r.json().await.unwrap();
    assert_eq!(members["members"].as_array().unwrap().len(), 2);
    assert_eq!(
        get(&s, "/api/rooms/core-team/messages", &bob)
            .await
            .status(),
        200
    );

    // A direct conversation: the same one from either side.
    let a: Value = s
        .post_json("/api/dms", json!({ "username": "bob" }), Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    let b: Value = s
        .post_json("/api/dms", json!({ "username": "ada" }), Some(&bob))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["room"]["name"], b["room"]["name"]);
    assert_eq!(a["room"]["kind"], "direct");
    assert_eq!(a["room"]["peer"]["username"], "bob");
    let dm = a["room"]["name"].as_str().unwrap().to_owned();
    assert_eq!(
        get(&s, &format!("/api/rooms/{dm}/messages"), &eve)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn a_v2_socket_gets_its_rooms_activity_mentions_and_reads_live() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (bob, _) = s.user("bob").await;

    let (mut tab1, ready) = ws_v2(&s, &bob).await;
    assert_eq!(ready["rooms"], json!(["general"]));
    assert_eq!(ready["room_info"][0]["name"], "general");
    assert_eq!(ready["room_info"][0]["unread"], 0);
    let (mut tab2, _) = ws_v2(&s, &bob).await;

    // Ada (a v1 socket) talks in general; bob's tabs have not joined it:
    // they hear of activity, and of the mention.
    let mut a = s.ws(&ada).await;
    a.join(None).await;
    a.say("hello room", "a1").await;
    let act = tab1.until("activity").await;
    assert_eq!(
        (act["room"].clone(), act["last_id"].clone()),
        (json!("general"), json!(1))
    );
    a.say("@bob are you there?", "a2").await;
    let mention = tab1.until("mention").await;
    assert_eq!(mention["room"], "general");
    assert_eq!(mention["message"]["body"], "@bob are you there?");
    tab2.until("mention").await;
    let info: Value = get(&s, "/api/rooms/general", &bob)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            info["room"]["unread"].clone(),
            info["room"]["mentions"].clone()
        ),
        (json!(2), json!(1))
    );

    // Reading on one tab clears it on the other, live.
    tab1.send(json!({ "type": "join", "room": "general" }))
        .await;
    tab1.until("presence").await;
    tab1.send(json!({ "type": "read", "room": "general", "id": 2 }))
        .await;
    let read = tab2.until("read").await;
    assert_eq!(
        read,
        json!({ "type": "read", "room": "general", "last_read": 2, "mentions": 0 })
    );

    // A private room bob is added to appears on his tabs.
    let r = s
        .post_json(
            "/api/rooms",
            json!({ "name": "plans", "title": "Plans", "private": true }),
            Some(&ada),
        )
        .await;
    assert_eq!(r.status(), 201);
    a.send(
        json!({ "type": "add_member", "room": "plans", "username": "bob", "client_id": "add-1" }),
    )
    .await;
    let members = a.until("members").await;
    assert_eq!(members["client_id"], "add-1");
    let added = tab2.until("room").await;
    assert_eq!(added["room"]["name"], "plans");
    assert_eq!(added["room"]["kind"], "private");
    // ... and is watched for activity from then on.
    a.send(json!({ "type": "send", "room": "plans", "body": "step one", "client_id": "p1" }))
        .await;
    let act = tab2.until("activity").await;
    assert_eq!(act["room"], "plans");

    // Requests over the socket: browse, enter, members, open a DM, create.
    tab2.send(json!({ "type": "browse", "client_id": "b" }))
        .await;
    let dir = tab2.until("directory").await;
    assert_eq!(dir["client_id"], "b");
    assert!(
        dir["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["kind"] == "public")
    );
    tab2.send(json!({ "type": "open_dm", "username": "ada" }))
        .await;
    let dm = tab2.until("room").await;
    assert_eq!(dm["room"]["kind"], "direct");
    assert_eq!(dm["room"]["peer"]["username"], "ada");
    tab2.send(json!({ "type": "create_room", "name": "bobs", "title": "Bob's", "client_id": "c" }))
        .await;
    // `room` frames are upserts: the answer, and the news of the membership.
    let made = loop {
        let f = tab2.until("room").await;
        if f["client_id"] == "c" {
            break f;
        }
    };
    assert_eq!(
        (made["room"]["name"].clone(), made["client_id"].clone()),
        (json!("bobs"), json!("c"))
    );
    tab2.send(json!({ "type": "exit", "room": "bobs", "client_id": "x" }))
        .await;
    let gone = tab2.until("room_removed").await;
    assert_eq!(
        (gone["room"].clone(), gone["client_id"].clone()),
        (json!("bobs"), json!("x"))
    );
}

#[tokio::test]
async fn an_outsider_socket_gets_not_found_at_every_door_of_a_private_room() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (eve, _) = s.user("eve").await;
    let r = s
        .post_json(
            "/api/rooms",
            json!({ "name": "vault", "title": "Vault", "private": true }),
            Some(&ada),
        )
        .await;
    assert_eq!(r.status(), 201);
    let (mut ws, ready) = ws_v2(&s, &eve).await;
    assert!(!ready.to_string().contains("vault"));
    for frame in [
        json!({ "type": "join", "room": "vault" }),
        json!({ "type": "send", "room": "vault", "body": "hi", "client_id": "e1" }),
        json!({ "type": "typing", "room": "vault" }),
        json!({ "type": "history", "room": "vault" }),
        json!({ "type": "leave", "room": "vault" }),
        json!({ "type": "members", "room": "vault" }),
        json!({ "type": "add_member", "room": "vault", "username": "eve" }),
        json!({ "type": "remove_member", "room": "vault", "username": "ada" }),
        json!({ "type": "set_room", "room": "vault", "title": "Mine" }),
        json!({ "type": "archive_room", "room": "vault", "archived": true }),
        json!({ "type": "delete_room", "room": "vault" }),
        json!({ "type": "create_invite", "room": "vault" }),
        json!({ "type": "invites", "room": "vault" }),
        json!({ "type": "revoke_invite", "room": "vault", "id": 1 }),
        json!({ "type": "enter", "room": "vault" }),
        json!({ "type": "exit", "room": "vault" }),
        json!({ "type": "read", "room": "vault", "id": 1 }),
    ] {
        ws.send(frame.clone()).await;
        let e = ws.until("error").await;
        assert_eq!(e["code"], "not_found", "{frame}");
        assert_eq!(e["message"], "no room named 'vault'", "{frame}");
    }
    ws.send(json!({ "type": "browse" })).await;
    assert!(!ws.until("directory").await.to_string().contains("vault"));
}

#[tokio::test]
async fn a_v1_socket_sees_no_new_frames() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (bob, _) = s.user("bob").await;
    // A plain /ws socket (v1, docs/protocol.md), not joined to anything.
    let mut v1 = s.ws(&bob).await;
    let mut a = s.ws(&ada).await;
    a.join(None).await;
    a.say("@bob hello", "m1").await;
    a.until("message").await;
    let r = s
        .post_json("/api/dms", json!({ "username": "bob" }), Some(&ada))
        .await;
    assert_eq!(r.status(), 200);
    // Nothing arrives before a join: no activity, mention or room frames.
    assert_eq!(
        v1.next_within(std::time::Duration::from_millis(300)).await,
        None
    );
    let (history, presence) = v1.join(None).await;
    assert_eq!(history["messages"][0]["body"], "@bob hello");
    assert_eq!(presence["type"], "presence");
}

#[tokio::test]
async fn the_owner_removes_a_member_whose_socket_loses_the_room_at_once() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (bob, _) = s.user("bob").await;
    let (cy, _) = s.user("cyd").await;
    let r = s
        .post_json(
            "/api/rooms",
            json!({ "name": "crew", "title": "Crew", "private": true }),
            Some(&ada),
        )
        .await;
    assert_eq!(r.status(), 201);
    for who in ["bob", "cyd"] {
        let r = s
            .post_json(
                "/api/rooms/crew/members",
                json!({ "username": who }),
                Some(&ada),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let (mut bobs, _) = ws_v2(&s, &bob).await;
    bobs.send(json!({ "type": "join", "room": "crew" })).await;
    bobs.until("history").await;

    // A member who does not own the room cannot remove anyone.
    let (mut cys, _) = ws_v2(&s, &cy).await;
    cys.send(
        json!({ "type": "remove_member", "room": "crew", "username": "bob", "client_id": "x" }),
    )
    .await;
    let e = cys.until("error").await;
    assert_eq!(
        (e["code"].as_str(), e["client_id"].as_str()),
        (Some("forbidden"), Some("x"))
    );

    // The owner does, over the socket: bob's socket drops the room now.
    let (mut adas, _) = ws_v2(&s, &ada).await;
    adas.send(
        json!({ "type": "remove_member", "room": "crew", "username": "bob", "client_id": "rm" }),
    )
    .await;
    let members = adas.until("members").await;
    assert_eq!(members["client_id"], "rm");
    assert!(!members.to_string().contains("\"bob\""), "{members}");
    let removed = bobs.until("room_removed").await;
    assert_eq!(removed["room"], "crew");
    bobs.send(json!({ "type": "history", "room": "crew" }))
        .await;
    assert_eq!(bobs.until("error").await["code"], "not_found");

    // And over HTTP.
    let r = s
        .http
        .delete(s.url("/api/rooms/crew/members/cyd"))
        .bearer_auth(&ada)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = get(&s, "/api/rooms/crew/messages", &cy).await;
    assert_eq!(status_and_code(r).await, (404, json!("not_found")));
}

#[tokio::test]
async fn the_owner_renames_a_room_and_members_sockets_get_it_again() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (bob, _) = s.user("bob").await;
    let r = s
        .post_json(
            "/api/rooms",
            json!({ "name": "deck", "title": "Deck", "private": true }),
            Some(&ada),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = s
        .post_json(
            "/api/rooms/deck/members",
            json!({ "username": "bob" }),
            Some(&ada),
        )
        .await;
    assert_eq!(r.status(), 200);
    let (mut bobs, _) = ws_v2(&s, &bob).await;
    let patch = |token: &str, body: Value| {
        s.http
            .patch(s.url("/api/rooms/deck"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let r = patch(&bob, json!({ "title": "Bob's" })).await.unwrap();
    assert_eq!(status_and_code(r).await, (403, json!("forbidden")));
    let r = patch(&ada, json!({ "title": "Upper deck", "topic": "Sundays" }))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.json::<Value>().await.unwrap();
    assert_eq!(body["room"]["title"], "Upper deck");
    let room = bobs.until("room").await;
    assert_eq!(
        (
            room["room"]["title"].as_str(),
            room["room"]["topic"].as_str()
        ),
        (Some("Upper deck"), Some("Sundays"))
    );
    let r = patch(&ada, json!({ "title": "  " })).await.unwrap();
    assert_eq!(status_and_code(r).await, (400, json!("invalid")));
}

#[tokio::test]
async fn blocks_over_http_and_the_socket() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (eve, _) = s.user("eve").await;
    let r = s
        .post_json("/api/blocks", json!({ "username": "eve" }), Some(&ada))
        .await;
    assert_eq!(r.status(), 200);
    let body = r.json::<Value>().await.unwrap();
    assert_eq!(body["blocked"][0]["username"], "eve");
    let r = s
        .post_json("/api/dms", json!({ "username": "ada" }), Some(&eve))
        .await;
    assert_eq!(status_and_code(r).await, (403, json!("forbidden")));
    let r = get(&s, "/api/blocks", &ada).await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["blocked"][0]["username"],
        "eve"
    );
    let r = s
        .http
        .delete(s.url("/api/blocks/eve"))
        .bearer_auth(&ada)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["blocked"], json!([]));

    let (mut ws, _) = ws_v2(&s, &ada).await;
    ws.send(json!({ "type": "block", "username": "eve", "client_id": "b1" }))
        .await;
    let f = ws.until("blocked").await;
    assert_eq!(
        (f["client_id"].as_str(), f["users"][0]["username"].as_str()),
        (Some("b1"), Some("eve"))
    );
    ws.send(json!({ "type": "unblock", "username": "eve" }))
        .await;
    assert_eq!(ws.until("blocked").await["users"], json!([]));
    ws.send(json!({ "type": "block", "username": "nobody_here" }))
        .await;
    assert_eq!(ws.until("error").await["code"], "not_found");
}

async fn make_moderator(s: &Server, name: &str) {
    use messenger_core::{Actor, Reason, Role, Username};
    let m = s.web.messenger();
    let name = Username::parse(name, &m.config().limits).unwrap();
    m.set_role(Actor::Operator, &name, Role::Moderator, Reason::default())
        .await
        .unwrap();
}

async fn private_room(s: &Server, owner: &str, name: &str, members: &[&str]) {
    let r = s
        .post_json(
            "/api/rooms",
            json!({ "name": name, "title": "A room", "private": true }),
            Some(owner),
        )
        .await;
    assert_eq!(r.status(), 201);
    for who in members {
        let r = s
            .post_json(
                &format!("/api/rooms/{name}/members"),
                json!({ "username": who }),
                Some(owner),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
}

#[tokio::test]
async fn an_outsider_gets_not_found_at_every_http_door_of_archive_delete_and_invites() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (eve, _) = s.user("eve").await;
    make_moderator(&s, "eve").await;
    private_room(&s, &ada, "vault", &[]).await;
    let r = s
        .post_json("/api/rooms/vault/invites", json!({}), Some(&ada))
        .await;
    assert_eq!(r.status(), 201);
    // Even a moderator outside the room: it does not exist for them.
    let tries = [
        s.http
            .post(s.url("/api/rooms/vault/archive"))
            .json(&json!({ "archived": true })),
        s.http.delete(s.url("/api/rooms/vault")),
        s.http.get(s.url("/api/rooms/vault/invites")),
        s.http
            .post(s.url("/api/rooms/vault/invites"))
            .json(&json!({})),
        s.http.delete(s.url("/api/rooms/vault/invites/1")),
    ];
    for req in tries {
        let r = req.bearer_auth(&eve).send().await.unwrap();
        assert_eq!(status_and_code(r).await, (404, json!("not_found")));
    }
    let r = get(&s, "/api/rooms/vault", &ada).await;
    let room: Value = r.json().await.unwrap();
    assert!(room["room"].get("archived_at").is_none(), "{room}");
}

#[tokio::test]
async fn an_archived_room_is_read_only_on_every_door_until_opened_again() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (bob, _) = s.user("bob").await;
    private_room(&s, &ada, "club", &["bob"]).await;
    let (mut bobs, _) = ws_v2(&s, &bob).await;
    bobs.send(json!({ "type": "join", "room": "club" })).await;
    bobs.until("history").await;
    bobs.send(json!({ "type": "send", "room": "club", "body": "before", "client_id": "b1" }))
        .await;
    let mine = bobs.until("message").await;
    let id = mine["message"]["id"].as_u64().unwrap();

    // A member who does not own it cannot archive it.
    let archive = |token: &str, archived: bool| {
        s.http
            .post(s.url("/api/rooms/club/archive"))
            .bearer_auth(token)
            .json(&json!({ "archived": archived, "reason": "done" }))
            .send()
    };
    let r = archive(&bob, true).await.unwrap();
    assert_eq!(status_and_code(r).await, (403, json!("forbidden")));
    let r = archive(&ada, true).await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert!(body["room"]["archived_at"].is_string(), "{body}");
    // Bob's socket gets the room again, archived.
    let again = loop {
        let f = bobs.until("room").await;
        if f["room"]["name"] == "club" {
            break f;
        }
    };
    assert!(again["room"]["archived_at"].is_string(), "{again}");

    for (frame, code) in [
        (
            json!({ "type": "send", "room": "club", "body": "after", "client_id": "b2" }),
            "forbidden",
        ),
        (
            json!({ "type": "edit", "room": "club", "id": id, "body": "changed", "client_id": "e" }),
            "forbidden",
        ),
        (
            json!({ "type": "delete", "room": "club", "id": id, "client_id": "d" }),
            "forbidden",
        ),
        (
            json!({ "type": "add_member", "room": "club", "username": "ada", "client_id": "a" }),
            "forbidden",
        ),
        (
            json!({ "type": "create_invite", "room": "club", "client_id": "i" }),
            "forbidden",
        ),
    ] {
        bobs.send(frame.clone()).await;
        let e = bobs.until("error").await;
        assert_eq!(e["code"], code, "{frame}");
        assert_eq!(
            e["message"], "#club is archived: it is read-only",
            "{frame}"
        );
    }
    // History is still there to read.
    let r = get(&s, "/api/rooms/club/messages", &bob).await;
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["messages"][0]["body"], "before");

    // Open again: posting works, ids go on.
    let r = archive(&ada, false).await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert!(body["room"].get("archived_at").is_none(), "{body}");
    bobs.send(json!({ "type": "send", "room": "club", "body": "after", "client_id": "b3" }))
        .await;
    let next = bobs.until("message").await;
    assert_eq!(next["message"]["id"].as_u64(), Some(id + 1));

    // Both are in the moderation log, with no target.
    let log = admin_log(&s).await;
    let actions: Vec<_> = log
        .iter()
        .map(|e| (e["action"].clone(), e["room"].clone(), e["target"].clone()))
        .filter(|(action, _, _)| action != "role")
        .collect();
    assert_eq!(
        &actions[..2],
        &[
            (json!("unarchive_room"), json!("club"), Value::Null),
            (json!("archive_room"), json!("club"), Value::Null)
        ]
    );
}

/// The moderation log as an admin reads it, newest first.
async fn admin_log(s: &Server) -> Vec<Value> {
    use messenger_core::{Actor, Reason, Role, Username};
    let (root, _) = s.user("root").await;
    let m = s.web.messenger();
    let name = Username::parse("root", &m.config().limits).unwrap();
    m.set_role(Actor::Operator, &name, Role::Admin, Reason::default())
        .await
        .unwrap();
    let r = get(s, "/api/moderation/log", &root).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["entries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_moderator_deletes_a_room_and_it_is_gone_for_everyone() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (bob, _) = s.user("bob").await;
    let (mo, _) = s.user("mod").await;
    make_moderator(&s, "mod").await;
    let r = s
        .post_json(
            "/api/rooms",
            json!({ "name": "bazaar", "title": "Bazaar" }),
            Some(&ada),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = post_empty(&s, "/api/rooms/bazaar/join", &bob).await;
    assert_eq!(r.status(), 200);
    let (mut bobs, _) = ws_v2(&s, &bob).await;
    bobs.send(json!({ "type": "join", "room": "bazaar" })).await;
    bobs.until("history").await;
    bobs.send(json!({ "type": "send", "room": "bazaar", "body": "quokka sale", "client_id": "q" }))
        .await;
    bobs.until("message").await;

    // Not the owner, not a configured room, not a member.
    let delete = |token: &str, path: &str| s.http.delete(s.url(path)).bearer_auth(token).send();
    let r = delete(&ada, "/api/rooms/bazaar").await.unwrap();
    assert_eq!(status_and_code(r).await, (403, json!("forbidden")));
    let r = delete(&mo, "/api/rooms/general").await.unwrap();
    assert_eq!(status_and_code(r).await, (400, json!("invalid")));

    let (mut mods, _) = ws_v2(&s, &mo).await;
    mods.send(
        json!({ "type": "delete_room", "room": "bazaar", "reason": "spam", "client_id": "del" }),
    )
    .await;
    let gone = mods.until("room_removed").await;
    assert_eq!(
        (gone["room"].as_str(), gone["client_id"].as_str()),
        (Some("bazaar"), Some("del"))
    );
    // Bob's socket drops it; everything about it is now not_found.
    assert_eq!(bobs.until("room_removed").await["room"], "bazaar");
    bobs.send(json!({ "type": "send", "room": "bazaar", "body": "still?", "client_id": "q2" }))
        .await;
    assert_eq!(bobs.until("error").await["code"], "not_found");
    for path in ["/api/rooms/bazaar", "/api/rooms/bazaar/messages"] {
        let r = get(&s, path, &bob).await;
        assert_eq!(
            status_and_code(r).await,
            (404, json!("not_found")),
            "{path}"
        );
    }
    let r = get(&s, "/api/directory", &bob).await;
    assert!(!r.text().await.unwrap().contains("bazaar"));
    let r = get(&s, "/api/search?q=quokka", &bob).await;
    assert!(!r.text().await.unwrap().contains("quokka"));
    // The name stays taken.
    let r = s
        .post_json(
            "/api/rooms",
            json!({ "name": "bazaar", "title": "Again" }),
            Some(&ada),
        )
        .await;
    assert_eq!(status_and_code(r).await, (409, json!("conflict")));
    // The moderation log says who, what and why.
    let log = admin_log(&s).await;
    let newest = log
        .iter()
        .find(|e| e["action"] == "delete_room")
        .expect("logged");
    assert_eq!(
        (
            newest["room"].as_str(),
            newest["actor"]["username"].as_str(),
            newest["reason"].as_str(),
            newest["target"].is_null()
        ),
        (Some("bazaar"), Some("mod"), Some("spam"), true)
    );
}

#[tokio::test]
async fn invite_links_make_members_until_used_up_expired_or_revoked() {
    let s = Server::start().await;
    let (ada, _) = s.user("ada").await;
    let (bob, _) = s.user("bob").await;
    let (cyd, _) = s.user("cyd").await;
    let (dan, _) = s.user("dan").await;
    private_room(&s, &ada, "den", &["bob"]).await;

    // Bad terms, public rooms: invalid.
    let r = s
        .post_json(
            "/api/rooms/den/invites",
            json!({ "expires_in": 10 }),
            Some(&ada),
        )
        .await;
    assert_eq!(status_and_code(r).await, (400, json!("invalid")));
    let r = s
        .post_json("/api/rooms/general/invites", json!({}), Some(&ada))
        .await;
    assert_eq!(status_and_code(r).await, (400, json!("invalid")));

    // A single-use invite from bob, a plain member.
    let r = s
        .post_json(
            "/api/rooms/den/invites",
            json!({ "max_uses": 1 }),
            Some(&bob),
        )
        .await;
    assert_eq!(r.status(), 201);
    let made: Value = r.json().await.unwrap();
    let code = made["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 22);
    assert_eq!(made["invite"]["uses"], 0);
    assert!(
        made["invite"]["expires_at"].is_string(),
        "a week by default"
    );

    // What it opens, then cyd joins by it; dan finds it used up.
    let r = get(&s, &format!("/api/invites/{code}"), &cyd).await;
    let peek: Value = r.json().await.unwrap();
    assert_eq!(peek["room"]["name"], "den");
    assert_eq!(peek["invite"]["created_by"]["username"], "bob");
    assert_eq!(peek["member"], false);
    let r = post_empty(&s, &format!("/api/invites/{code}"), &cyd).await;
    assert_eq!(r.status(), 200);
    let joined: Value = r.json().await.unwrap();
    assert_eq!(joined["room"]["name"], "den");
    let r = get(&s, "/api/rooms/den/messages", &cyd).await;
    assert_eq!(r.status(), 200);
    // Again by a member uses nothing and answers the room; reading it
    // still answers them, used up as it is.
    let r = post_empty(&s, &format!("/api/invites/{code}"), &cyd).await;
    assert_eq!(r.status(), 200);
    let r = get(&s, &format!("/api/invites/{code}"), &cyd).await;
    let peek: Value = r.json().await.unwrap();
    assert_eq!(peek["member"], true);
    let r = post_empty(&s, &format!("/api/invites/{code}"), &dan).await;
    let (status, body) = (r.status().as_u16(), r.json::<Value>().await.unwrap());
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (404, Some("this invite has been used up"))
    );
    let r = get(&s, &format!("/api/invites/{code}"), &dan).await;
    assert_eq!(status_and_code(r).await, (404, json!("not_found")));
    // A used-up invite is not listed.
    let r = get(&s, "/api/rooms/den/invites", &ada).await;
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["invites"], json!([]));

    // A many-use invite over the socket, revoked by the owner: dead at once.
    let (mut adas, _) = ws_v2(&s, &ada).await;
    adas.send(json!({ "type": "create_invite", "room": "den", "expires_in": 0, "client_id": "i" }))
        .await;
    let made = adas.until("invite").await;
    assert_eq!(made["client_id"], "i");
    assert!(made["invite"]["expires_at"].is_null());
    let code = made["code"].as_str().unwrap().to_owned();
    let id = made["invite"]["id"].as_u64().unwrap();
    // Cyd (not its maker, not the owner) cannot revoke it.
    let r = s
        .http
        .delete(s.url(&format!("/api/rooms/den/invites/{id}")))
        .bearer_auth(&cyd)
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_code(r).await, (403, json!("forbidden")));
    adas.send(json!({ "type": "revoke_invite", "room": "den", "id": id, "client_id": "r" }))
        .await;
    let after = adas.until("invites").await;
    assert_eq!(
        (after["client_id"].clone(), after["invites"].clone()),
        (json!("r"), json!([]))
    );
    let (mut dans, _) = ws_v2(&s, &dan).await;
    dans.send(json!({ "type": "accept_invite", "code": code, "client_id": "a" }))
        .await;
    let e = dans.until("error").await;
    assert_eq!(
        (e["code"].as_str(), e["message"].as_str()),
        (
            Some("not_found"),
            Some("no such invite: the link is wrong or was revoked")
        )
    );
    dans.send(json!({ "type": "accept_invite", "code": "not a code", "client_id": "b" }))
        .await;
    assert_eq!(dans.until("error").await["code"], "invalid");
    // Nothing about the room leaked to dan.
    let r = get(&s, "/api/rooms/den", &dan).await;
    assert_eq!(status_and_code(r).await, (404, json!("not_found")));
}
