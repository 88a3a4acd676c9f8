//! Several nodes of the real binary on one PostgreSQL and one Redis
//! (docs/operations.md, "Several nodes"): fan-out across nodes under concurrent
//! posting, idempotent resend across nodes, logout on one node closing
//! sockets on another, and a Redis restart in the middle of the traffic.

use std::time::{Duration, Instant};

use messenger_e2e::App;
use messenger_e2e::app::Ws;
use messenger_postgres::testing::PgServer;
use messenger_redis::testing::RedisServer;
use serde_json::{Value, json};

struct Cluster {
    nodes: Vec<App>,
    _dir: tempfile::TempDir,
}

async fn cluster(pg: &PgServer, redis: &RedisServer, n: usize) -> Cluster {
    cluster_with(pg, redis, n, &[]).await
}

async fn cluster_with(pg: &PgServer, redis: &RedisServer, n: usize, extra: &[&str]) -> Cluster {
    let url = pg.fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let unused = dir.path().join("unused.db");
    let redis_url = redis.url();
    let mut flags = vec![
        "--database-url",
        url.as_str(),
        "--redis-url",
        redis_url.as_str(),
    ];
    flags.extend_from_slice(extra);
    let mut nodes = Vec::new();
    for _ in 0..n {
        nodes.push(App::start_with(&unused, &flags).await);
    }
    Cluster { nodes, _dir: dir }
}

/// Reads `message` frames until ids 1..=n have all arrived within 30 s;
/// asserts each arrived once and in id order.
async fn receive_all(ws: &mut Ws, n: u64, who: &str) {
    receive_ids(ws, 1..=n, Duration::from_secs(30), who).await;
}

/// Reads `message` frames until `ids` have all arrived within `within`;
/// asserts each arrived once and in id order.
async fn receive_ids(ws: &mut Ws, ids: std::ops::RangeInclusive<u64>, within: Duration, who: &str) {
    let (mut next, last) = ids.into_inner();
    let deadline = Instant::now() + within;
    while next <= last {
        assert!(Instant::now() < deadline, "{who} stalled at id {next}");
        let f = ws.next().await;
        if f["type"] == "message" {
            let id = f["message"]["id"].as_u64().unwrap();
            assert_eq!(id, next, "{who}: once, in order");
            next += 1;
        }
    }
}

/// The first JSON frame for which `wanted` holds, within `within`
/// (docs/operations.md's time bounds are asserted with their own deadline, not
/// the client's per-frame patience).
async fn frame_within(
    ws: &mut Ws,
    within: Duration,
    what: &str,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(f) = ws.next_within(left).await else {
            panic!("{what}: not within {within:?}");
        };
        if wanted(&f) {
            return f;
        }
    }
}

/// Whether `f` is a `presence_diff` naming `name` in its list `side`
/// (`joined` or `left`).
fn in_diff(f: &Value, side: &str, name: &str) -> bool {
    f["type"] == "presence_diff"
        && f[side]
            .as_array()
            .is_some_and(|l| l.iter().any(|u| u["username"] == name))
}

async fn joined(app: &App, token: &str) -> Ws {
    let mut ws = app.ws(token).await;
    ws.send(json!({ "type": "join", "room": "general" })).await;
    ws.until("presence").await;
    ws
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn three_nodes_fan_out_resend_and_log_out_as_one_service() {
    let pg = PgServer::start();
    let redis = RedisServer::start();
    let c = cluster(&pg, &redis, 3).await;
    let mut tokens = Vec::new();
    for (i, node) in c.nodes.iter().enumerate() {
        tokens.push(
            node.register_and_login(&format!("user{i}"), "cluster-password")
                .await,
        );
    }
    // Each user on a node of their own; all post at once.
    let mut sockets = Vec::new();
    for (i, node) in c.nodes.iter().enumerate() {
        sockets.push(joined(node, &tokens[i]).await);
    }
    const EACH: u64 = 60;
    for (i, ws) in sockets.iter_mut().enumerate() {
        for k in 0..EACH {
            ws.send(json!({ "type": "send", "room": "general", "body": format!("{i}:{k}"), "client_id": format!("u{i}-{k}") }))
                .await;
        }
    }
    let total = EACH * 3;
    let mut tasks = Vec::new();
    for (i, mut ws) in sockets.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            receive_all(&mut ws, total, &format!("user{i}")).await;
            ws
        }));
    }
    let mut sockets = Vec::new();
    for t in tasks {
        sockets.push(t.await.unwrap());
    }

    // A resend on another node stores nothing and answers the original.
    let mut elsewhere = joined(&c.nodes[2], &tokens[0]).await;
    elsewhere
        .send(json!({ "type": "send", "room": "general", "body": "again", "client_id": "u0-5" }))
        .await;
    let again = loop {
        let f = elsewhere.next().await;
        if f["type"] == "message" && f["message"]["client_id"] == "u0-5" {
            break f;
        }
    };
    assert_eq!(again["message"]["body"], "0:5");
    let (status, page) = c.nodes[1]
        .get("/api/rooms/general/messages?limit=1", &tokens[1])
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        page["messages"][0]["id"].as_u64(),
        Some(total),
        "nothing new was stored"
    );

    // A reaction and a pin made on node 0 reach a v2 socket on node 2 as
    // changes, in change order, with who reacted.
    let mut watcher = c.nodes[2].ws_v2(&tokens[2]).await;
    watcher
        .send(json!({ "type": "join", "room": "general" }))
        .await;
    watcher.until("synced").await;
    let (status, v) = c.nodes[0]
        .post(
            "/api/rooms/general/messages/1/reactions",
            json!({ "key": "🎉" }),
            &tokens[1],
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let live = watcher.until("changed").await;
    assert_eq!(live["reaction"]["user"]["username"], "user1");
    assert_eq!(live["message"]["reactions"][0]["count"], 1);
    let rev = live["message"]["rev"].as_u64().unwrap();
    let (status, v) = c.nodes[1]
        .post(
            "/api/rooms/general/messages/2/reactions",
            json!({ "key": "👀" }),
            &tokens[0],
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let next = watcher.until("changed").await;
    assert_eq!(next["message"]["rev"].as_u64(), Some(rev + 1));
    drop(watcher);

    // Logout on node 0 closes user0's socket on node 2 within 2 s.
    let started = Instant::now();
    let r = reqwest::Client::new()
        .post(c.nodes[0].url("/api/logout"))
        .bearer_auth(&tokens[0])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let closed = elsewhere.until("__close").await;
    assert_eq!(closed["code"], 1008);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    drop(sockets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn after_redis_restarts_every_joined_client_has_what_was_stored_meanwhile() {
    let pg = PgServer::start();
    let redis = RedisServer::start();
    let c = cluster(&pg, &redis, 3).await;
    let ada = c.nodes[0]
        .register_and_login("ada", "cluster-password")
        .await;
    let bob = c.nodes[1]
        .register_and_login("bob", "cluster-password")
        .await;
    let cyd = c.nodes[2]
        .register_and_login("cyd", "cluster-password")
        .await;
    let mut a = joined(&c.nodes[0], &ada).await;
    let mut b = joined(&c.nodes[1], &bob).await;
    let mut cy = joined(&c.nodes[2], &cyd).await;
    for k in 0..10 {
        a.send(json!({ "type": "send", "room": "general", "body": format!("before {k}"), "client_id": format!("b{k}") }))
            .await;
    }
    receive_all(&mut b, 10, "bob before").await;
    receive_all(&mut cy, 10, "cyd before").await;

    redis.stop();
    // Sends keep being stored and answered while Redis is down.
    for k in 0..20 {
        let started = Instant::now();
        a.send(json!({ "type": "send", "room": "general", "body": format!("during {k}"), "client_id": format!("d{k}") }))
            .await;
        loop {
            let f = a.next().await;
            if f["type"] == "message" && f["message"]["client_id"] == format!("d{k}") {
                break;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    let health = reqwest::get(c.nodes[1].url("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200, "the store is what health reports");

    redis.start_again();
    // Within 10 s bob has every message stored meanwhile, once, in order,
    // and live delivery goes on.
    receive_ids(&mut b, 11..=30, Duration::from_secs(10), "bob").await;
    receive_ids(&mut cy, 11..=30, Duration::from_secs(10), "cyd").await;
    // The next message reaches every node's clients within 5 s (the first
    // publish after a restart used to die on the dead connection).
    a.send(json!({ "type": "send", "room": "general", "body": "after", "client_id": "after" }))
        .await;
    for (ws, who) in [(&mut b, "bob"), (&mut cy, "cyd")] {
        let f = frame_within(ws, Duration::from_secs(5), who, |f| f["type"] == "message").await;
        assert_eq!(
            (f["message"]["id"].as_u64(), f["message"]["body"].as_str()),
            (Some(31), Some("after")),
            "{who}"
        );
    }

    // A restart with nothing posted meanwhile: the first message after it
    // is live on every node within 5 s too.
    redis.stop();
    redis.start_again();
    tokio::time::sleep(Duration::from_secs(3)).await;
    a.send(json!({ "type": "send", "room": "general", "body": "again", "client_id": "again" }))
        .await;
    for (ws, who) in [(&mut b, "bob"), (&mut cy, "cyd")] {
        let f = frame_within(ws, Duration::from_secs(5), who, |f| f["type"] == "message").await;
        assert_eq!(f["message"]["id"].as_u64(), Some(32), "{who}");
    }
}

/// A user's last tab closing, wherever their first one opened, reaches
/// every node's presence within 5 s (docs/operations.md, "Several nodes").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn a_users_last_tab_closing_reaches_every_node_within_5_s() {
    let pg = PgServer::start();
    let redis = RedisServer::start();
    let c = cluster(&pg, &redis, 3).await;
    let wes = c.nodes[1]
        .register_and_login("wes", "cluster-password")
        .await;
    let xia = c.nodes[0]
        .register_and_login("xia", "cluster-password")
        .await;
    let mut w = joined(&c.nodes[1], &wes).await;
    for round in 0..2 {
        // First tab on node 2, second on node 0; then close them in order.
        let first = joined(&c.nodes[2], &xia).await;
        frame_within(&mut w, Duration::from_secs(5), "xia joined", |f| {
            in_diff(f, "joined", "xia")
        })
        .await;
        let second = joined(&c.nodes[0], &xia).await;
        drop(first);
        // Still online: one tab is left.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        drop(second);
        frame_within(
            &mut w,
            Duration::from_secs(5),
            &format!("xia left, round {round}"),
            |f| {
                assert!(!in_diff(f, "left", "wes"), "{f}");
                in_diff(f, "left", "xia")
            },
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn presence_counts_users_across_nodes_and_a_killed_nodes_users_leave() {
    let pg = PgServer::start();
    let redis = RedisServer::start();
    let mut c = cluster(&pg, &redis, 3).await;
    let ann = c.nodes[0]
        .register_and_login("ann", "cluster-password")
        .await;
    let ben = c.nodes[1]
        .register_and_login("ben", "cluster-password")
        .await;
    let cat = c.nodes[2]
        .register_and_login("cat", "cluster-password")
        .await;
    let mut a = joined(&c.nodes[0], &ann).await;
    // Ben in two tabs on two nodes is one user online.
    let _b1 = joined(&c.nodes[1], &ben).await;
    let _b2 = joined(&c.nodes[2], &ben).await;
    let mut cat_ws = c.nodes[2].ws(&cat).await;
    cat_ws
        .send(json!({ "type": "join", "room": "general" }))
        .await;
    let snapshot = cat_ws.until("presence").await;
    let mut names: Vec<&str> = snapshot["online"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["ann", "ben", "cat"],
        "the joiner on node 2 sees node 0's and node 1's users"
    );

    // Node 2 dies: cat leaves for everyone within 30 s; ben stays (node 1).
    c.nodes[2].kill();
    let started = Instant::now();
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "cat never left"
        );
        // Quiet for up to 20 s while the lease runs out: read with patience.
        let Some(f) = a.next_within(Duration::from_secs(31)).await else {
            panic!("the socket ended");
        };
        if f["type"] == "presence_diff" {
            let left: Vec<&str> = f["left"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["username"].as_str().unwrap())
                .collect();
            assert!(!left.contains(&"ben"), "ben is still online on node 1");
            if left.contains(&"cat") {
                break;
            }
        }
    }
    let (status, online) = c.nodes[0].get("/api/rooms/general", &ann).await;
    assert_eq!(status, 200, "{online}");
    assert_eq!(online["room"]["name"], "general");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn failed_logins_are_counted_across_nodes() {
    let pg = PgServer::start();
    let redis = RedisServer::start();
    let c = cluster(&pg, &redis, 3).await;
    c.nodes[0]
        .register_and_login("target", "right-password")
        .await;
    let http = reqwest::Client::new();
    let attempt = |node: usize, password: &'static str| {
        http.post(c.nodes[node].url("/api/login"))
            .json(&json!({ "username": "target", "password": password }))
            .send()
    };
    // Ten failures per username (the default), spread over the nodes...
    for i in 0..10 {
        let r = attempt(i % 3, "wrong-password").await.unwrap();
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    // ...and every node refuses the next, even with the right password.
    for node in 0..3 {
        let r = attempt(node, "right-password").await.unwrap();
        assert_eq!(r.status(), 429, "node {node}");
        assert!(r.headers().contains_key("retry-after"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn sends_registrations_reactions_and_typing_are_limited_across_nodes() {
    let pg = PgServer::start();
    let redis = RedisServer::start();
    // One send a second, a burst of three; two registrations an hour.
    let c = cluster_with(
        &pg,
        &redis,
        3,
        &[
            "--send-limit",
            "1",
            "--register-limit",
            "2",
            "--react-limit",
            "1",
        ],
    )
    .await;

    // Registrations per address: two, on two nodes, and the third node refuses.
    let ada = c.nodes[0]
        .register_and_login("ada", "cluster-password")
        .await;
    let bob = c.nodes[1]
        .register_and_login("bob", "cluster-password")
        .await;
    let (status, body) = c.nodes[2]
        .post(
            "/api/register",
            json!({ "username": "cyd", "password": "cluster-password" }),
            "",
        )
        .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");

    // Sends per user: the burst of three spread over three nodes is spent...
    let mut sockets = Vec::new();
    for node in &c.nodes {
        sockets.push(joined(node, &ada).await);
    }
    for (i, ws) in sockets.iter_mut().enumerate() {
        ws.send(json!({ "type": "send", "room": "general", "body": format!("m{i}"), "client_id": format!("ok{i}") }))
            .await;
        // Every socket is in the room: skip the others' messages.
        loop {
            let f = ws.next().await;
            assert_ne!(f["type"], "error", "send {i}: {f}");
            if f["type"] == "message" && f["message"]["client_id"] == format!("ok{i}") {
                break;
            }
        }
    }
    // ...so the next is refused on every node.
    for (i, ws) in sockets.iter_mut().enumerate() {
        ws.send(json!({ "type": "send", "room": "general", "body": "more", "client_id": format!("over{i}") }))
            .await;
        let e = ws.until("error").await;
        assert_eq!(e["code"], "rate_limited", "node {i}: {e}");
        assert_eq!(e["client_id"], format!("over{i}"));
    }

    // Reactions per user (a burst of 15): toggled on and off through the
    // three nodes in turn, the burst is spent (it ends on), and the next
    // change is refused on whichever node it comes to.
    for i in 0..15 {
        let (status, body) = c.nodes[i % 3]
            .post(
                "/api/rooms/general/messages/1/reactions",
                json!({ "key": "👍", "on": i % 2 == 0 }),
                &bob,
            )
            .await;
        assert_eq!(status, 200, "reaction {i}: {body}");
    }
    for node in &c.nodes {
        let (status, body) = node
            .post(
                "/api/rooms/general/messages/1/reactions",
                json!({ "key": "👍", "on": false }),
                &bob,
            )
            .await;
        assert_eq!(status, 429, "{body}");
        assert_eq!(body["error"]["code"], "rate_limited");
    }

    // Typing: one event per user and room per 2 s, whichever node it comes through.
    let mut watcher = joined(&c.nodes[2], &bob).await;
    sockets[0]
        .send(json!({ "type": "typing", "room": "general" }))
        .await;
    let t = watcher.until("typing").await;
    assert_eq!(t["user"]["username"], "ada");
    sockets[1]
        .send(json!({ "type": "typing", "room": "general" }))
        .await;
    let again = tokio::time::timeout(Duration::from_millis(800), watcher.until("typing")).await;
    assert!(
        again.is_err(),
        "a second typing event within 2 s passed: {again:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn a_postgres_restart_mid_traffic_loses_nothing_acknowledged() {
    let pg = PgServer::start();
    let redis = RedisServer::start();
    let c = cluster(&pg, &redis, 2).await;
    let ada = c.nodes[0]
        .register_and_login("ada", "cluster-password")
        .await;
    let bob = c.nodes[1]
        .register_and_login("bob", "cluster-password")
        .await;
    let mut a = joined(&c.nodes[0], &ada).await;
    let mut b = joined(&c.nodes[1], &bob).await;
    let mut acked = Vec::new();
    for k in 0..5 {
        a.send(json!({ "type": "send", "room": "general", "body": format!("m{k}"), "client_id": format!("c{k}") }))
            .await;
        let f = a.until("message").await;
        acked.push(f["message"]["client_id"].as_str().unwrap().to_owned());
    }

    pg.stop();
    // Health says so within 5 s.
    let started = Instant::now();
    loop {
        let r = reqwest::get(c.nodes[0].url("/healthz")).await.unwrap();
        if r.status() == 503 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "healthz stayed 200"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A send gets an error with its client_id within 10 s; the socket stays.
    let started = Instant::now();
    a.send(json!({ "type": "send", "room": "general", "body": "during", "client_id": "during" }))
        .await;
    let err = loop {
        let f = a.next().await;
        if f["type"] == "error" {
            break f;
        }
        assert_ne!(f["type"], "__close", "the socket stays open");
    };
    assert_eq!(
        (err["code"].as_str(), err["client_id"].as_str()),
        (Some("internal"), Some("during"))
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    pg.start_again();
    // Within 15 s everything works again on the same sockets.
    let started = Instant::now();
    let mut k = 0;
    loop {
        assert!(started.elapsed() < Duration::from_secs(15), "no recovery");
        k += 1;
        let cid = format!("after{k}");
        a.send(json!({ "type": "send", "room": "general", "body": "after", "client_id": cid }))
            .await;
        let f = loop {
            let f = a.next().await;
            if f["type"] == "error"
                || (f["type"] == "message" && f["message"]["client_id"] == cid.as_str())
            {
                break f;
            }
        };
        if f["type"] == "message" {
            acked.push(cid);
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Nothing acknowledged was lost, and bob has all of it, in order.
    let (status, page) = c.nodes[1]
        .get("/api/rooms/general/messages?limit=100", &bob)
        .await;
    assert_eq!(status, 200, "{page}");
    let stored: Vec<String> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["client_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(stored, acked);
    let mut seen = Vec::new();
    while seen.len() < acked.len() {
        let f = b.next().await;
        if f["type"] == "message" {
            seen.push(f["message"]["client_id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(seen, acked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn a_hung_redis_hangs_nothing_and_clients_catch_up_once_it_answers() {
    let pg = PgServer::start();
    let redis = RedisServer::start();
    let c = cluster(&pg, &redis, 2).await;
    let ada = c.nodes[0]
        .register_and_login("ada", "cluster-password")
        .await;
    let bob = c.nodes[1]
        .register_and_login("bob", "cluster-password")
        .await;
    let mut a = joined(&c.nodes[0], &ada).await;
    let mut b = joined(&c.nodes[1], &bob).await;
    a.send(json!({ "type": "send", "room": "general", "body": "before", "client_id": "before" }))
        .await;
    receive_all(&mut b, 1, "bob before").await;

    redis.freeze();
    // Each send is answered within 5 s with its stored message.
    for k in 0..5 {
        let started = Instant::now();
        let cid = format!("hung{k}");
        a.send(
            json!({ "type": "send", "room": "general", "body": "while hung", "client_id": cid }),
        )
        .await;
        loop {
            let f = a.next().await;
            if f["type"] == "message" && f["message"]["client_id"] == cid.as_str() {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "send {k} took {:?}",
            started.elapsed()
        );
    }
    redis.thaw();
    // Within 10 s bob has everything stored meanwhile, once, in order.
    receive_ids(&mut b, 2..=6, Duration::from_secs(10), "bob").await;
}

/// The first frame a new socket of `token` on `app` gets: `ready`, or a
/// close (`{"type":"__close","code"}`) when the server refuses it.
async fn first_frame(app: &App, token: &str) -> (Ws, Value) {
    let mut ws = Ws::builder(app.ws_url()).token(token).open().await.unwrap();
    let first = ws.next().await;
    (ws, first)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn a_users_sockets_are_capped_across_nodes() {
    let pg = PgServer::start();
    let redis = RedisServer::start();
    let c = cluster_with(&pg, &redis, 2, &["--max-sockets-per-user", "3"]).await;
    let ada = c.nodes[0]
        .register_and_login("ada", "cluster-password")
        .await;
    // Two on one node and one on the other fill the cap of three...
    let mut open = Vec::new();
    for node in [0, 0, 1] {
        let (ws, first) = first_frame(&c.nodes[node], &ada).await;
        assert_eq!(first["type"], "ready", "socket on node {node}: {first}");
        open.push(ws);
    }
    // ...so a fourth is refused on either node.
    for node in [1, 0] {
        let (_, first) = first_frame(&c.nodes[node], &ada).await;
        assert_eq!(
            (first["type"].as_str(), first["code"].as_u64()),
            (Some("__close"), Some(4029)),
            "node {node}: {first}"
        );
    }
    // Another user is not affected.
    let bob = c.nodes[1]
        .register_and_login("bob", "cluster-password")
        .await;
    let (_bobs, first) = first_frame(&c.nodes[1], &bob).await;
    assert_eq!(first["type"], "ready");
    // Closing one on node 0 frees a place on node 1.
    let mut closed = open.remove(0);
    closed.close().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (ws, first) = first_frame(&c.nodes[1], &ada).await;
        if first["type"] == "ready" {
            open.push(ws);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the place was not given back: {first}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
