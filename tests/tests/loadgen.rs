//! Keeps the load generator working against the real server (and its own
//! floor): a small fan-out must arrive exactly once, in order. Not timed.

use std::time::Duration;

use loadgen::fanout::{self, FanoutOptions};
use loadgen::{connect, crowd, login, users};
use messenger_e2e::App;

fn small(base: &str) -> FanoutOptions {
    FanoutOptions {
        base: base.to_owned(),
        clients: 6,
        senders: 3,
        messages: 40,
        rate: None,
        window: 8,
        room: "general".into(),
        idle_timeout: Duration::from_secs(10),
        react_percent: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanout_against_the_server_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("lg.db")).await;
    let file = dir.path().join("users.json");

    let users = users::ensure(&app.base, 6, Some(&file)).await.unwrap();
    let opts = small(&app.base);
    let r = fanout::run(&opts, &users).await.unwrap();
    assert_eq!(r.expected, 6 * 3 * 40);
    assert_eq!(r.delivered, r.expected, "{r:?}");
    assert_eq!(
        (r.lost, r.duplicated, r.out_of_order, r.errors),
        (0, 0, 0, 0),
        "{r:?}"
    );
    assert!(r.latency.max_ms > 0.0);

    // The users file is reused: the same users come back, still logged in.
    let again = users::ensure(&app.base, 6, Some(&file)).await.unwrap();
    assert_eq!(
        again.iter().map(|u| &u.username).collect::<Vec<_>>(),
        users.iter().map(|u| &u.username).collect::<Vec<_>>()
    );

    // Paced sending works too.
    let paced = FanoutOptions {
        rate: Some(200.0),
        messages: 10,
        ..opts
    };
    let r = fanout::run(&paced, &again).await.unwrap();
    assert_eq!((r.delivered, r.lost), (6 * 3 * 10, 0), "{r:?}");

    // A tenth of the items reactions (v2 sockets): each reaches every
    // client once, in change order, beside the messages.
    let mixed = FanoutOptions {
        react_percent: 10,
        ..small(&app.base)
    };
    let r = fanout::run(&mixed, &again).await.unwrap();
    assert_eq!(r.reactions, 4);
    assert_eq!(r.expected, 6 * 3 * 40);
    assert_eq!(
        (r.delivered, r.lost, r.duplicated, r.out_of_order, r.errors),
        (r.expected, 0, 0, 0, 0),
        "{r:?}"
    );

    let c = connect::run(
        &app.base,
        &users,
        12,
        "general",
        Duration::ZERO,
        Some(app.child.id()),
    )
    .await
    .unwrap();
    assert_eq!((c.connected, c.failures), (12, 0), "{c:?}");
    assert!(c.rss_after_kib.is_some());

    // A small login storm beside a paced chat: every login succeeds, and
    // both chat runs are measured.
    let storm = users::ensure(&app.base, 9, Some(&file)).await.unwrap();
    let (chat_users, storm_users) = storm.split_at(6);
    let r = login::run(&paced, chat_users, storm_users, 12, 3)
        .await
        .unwrap();
    assert_eq!((r.logins, r.failed), (12, 0), "{r:?}");
    assert!(r.logins_per_sec > 0.0 && r.latency.max_ms > 0.0, "{r:?}");
    assert!(
        r.chat_p99_alone_ms > 0.0 && r.chat_p99_during_ms > 0.0,
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowd_over_several_loadgen_processes_gets_its_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(&dir.path().join("crowd.db")).await;
    let file = dir.path().join("users.json");
    let users = users::ensure(&app.base, 10, Some(&file)).await.unwrap();
    // 130 sockets, 50 a process: three loadgen processes.
    let r = crowd::run(
        messenger_e2e::binary::loadgen(),
        std::slice::from_ref(&app.base),
        &file,
        &users,
        130,
        50,
        "general",
        &[app.child.id()],
    )
    .await
    .unwrap();
    assert_eq!(r.processes, 3, "{r:?}");
    assert_eq!((r.connected, r.failures), (130, 0), "{r:?}");
    assert_eq!((r.delivered, r.lost), (130, 0), "{r:?}");
    assert!(r.rss_after_kib > r.rss_before_kib, "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanout_against_the_floor_is_exact() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(loadgen::bare::serve(listener, std::future::pending()));

    let users = users::ensure(&base, 6, None).await.unwrap();
    let r = fanout::run(&small(&base), &users).await.unwrap();
    assert_eq!(r.delivered, r.expected, "{r:?}");
    assert_eq!((r.lost, r.duplicated, r.out_of_order), (0, 0, 0), "{r:?}");
    server.abort();
}
