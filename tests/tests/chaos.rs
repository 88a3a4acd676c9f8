//! The chaos test (bounded, about a minute of chaos): a paced chat over
//! three nodes of the real binary on PostgreSQL and Redis while a driver
//! SIGKILLs and restarts nodes and restarts Redis at random. Clients
//! reconnect to any live node with `join since` and resend what was not
//! acknowledged with the same `client_id`. At the end every client's view
//! of the room must equal the store's history: nothing acknowledged lost,
//! no duplicate, no disorder. It prints what it did and what it checked.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use messenger_e2e::{App, Ws};
use messenger_postgres::testing::PgServer;
use messenger_redis::testing::RedisServer;
use serde_json::json;

/// The nodes' base URLs as they are now (a restarted node has a new port).
type Live = Arc<Mutex<Vec<Option<String>>>>;

const CLIENTS: usize = 6;
const CHAOS: Duration = Duration::from_secs(45);
const PACE: Duration = Duration::from_millis(150);

/// A tiny deterministic generator, seeded from the clock and printed, so a
/// failing run can be read back.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A socket on a live node, its `ready` still to be read (and ignored);
/// `None` if there is none or it fails: the caller tries again.
async fn connect(live: &Live, token: &str, rng: &mut Rng) -> Option<(Ws, String)> {
    let urls: Vec<String> = live.lock().unwrap().iter().flatten().cloned().collect();
    if urls.is_empty() {
        return None;
    }
    let base = &urls[rng.next(urls.len() as u64) as usize];
    // Three seconds for the upgrade, five for each frame after it.
    let upgrade = Ws::builder(messenger_testkit::ws_url(base))
        .token(token)
        .timeout(Duration::from_secs(5))
        .open();
    let ws = tokio::time::timeout(Duration::from_secs(3), upgrade)
        .await
        .ok()?
        .ok()?;
    Some((ws, base.clone()))
}

#[derive(Default, Debug)]
struct ClientReport {
    view: Vec<(u64, String)>,
    acked: BTreeSet<String>,
    reconnects: u32,
    resent: u32,
    problems: Vec<String>,
}

/// One chatting client until `stop`, then until everything it sent is
/// acknowledged and it has seen the room up to `final_head` (set by the
/// test once the store is quiet).
async fn client(
    i: usize,
    token: String,
    live: Live,
    stop: Arc<std::sync::atomic::AtomicBool>,
    final_head: Arc<Mutex<Option<u64>>>,
    seed: u64,
) -> ClientReport {
    let mut rng = Rng(seed);
    let mut r = ClientReport::default();
    let mut pending: BTreeMap<String, String> = BTreeMap::new(); // client_id -> body
    let mut next_k = 0u64;
    let mut last = 0u64;
    'session: loop {
        let Some((mut ws, _)) = connect(&live, &token, &mut rng).await else {
            tokio::time::sleep(Duration::from_millis(300)).await;
            continue;
        };
        let mut join = json!({ "type": "join", "room": "general" });
        if last > 0 {
            join["since"] = json!(last);
        }
        if ws.try_send(join).await.is_err() {
            continue;
        }
        // Resend everything not acknowledged, with the same client ids.
        for (cid, body) in &pending {
            r.resent += 1;
            let f = json!({ "type": "send", "room": "general", "body": body, "client_id": cid });
            if ws.try_send(f).await.is_err() {
                r.reconnects += 1;
                continue 'session;
            }
        }
        let mut tick = tokio::time::interval(PACE);
        loop {
            let done = stop.load(std::sync::atomic::Ordering::Relaxed);
            let head = *final_head.lock().unwrap();
            if done && pending.is_empty() && head.is_some_and(|h| last >= h) {
                ws.close().await;
                return r;
            }
            tokio::select! {
                _ = tick.tick(), if !done => {
                    let cid = format!("c{i}-{next_k}");
                    let body = format!("from {i}: {next_k}");
                    next_k += 1;
                    pending.insert(cid.clone(), body.clone());
                    let f = json!({ "type": "send", "room": "general", "body": body, "client_id": cid });
                    if ws.try_send(f).await.is_err() {
                        r.reconnects += 1;
                        continue 'session;
                    }
                }
                _ = tokio::time::sleep(Duration::from_secs(2)), if done => {
                    // Quiet: resend what is still pending on a fresh socket.
                    if !pending.is_empty() {
                        r.reconnects += 1;
                        continue 'session;
                    }
                }
                // A frame within 5 s (the client's patience), or reconnect.
                frame = ws.try_next() => {
                    let f = match frame {
                        Ok(f) => f,
                        Err(messenger_testkit::Error::NotJson(t)) => panic!("not JSON: {t}"),
                        Err(_) => {
                            r.reconnects += 1;
                            continue 'session;
                        }
                    };
                    match f["type"].as_str() {
                        Some("message") => {
                            let id = f["message"]["id"].as_u64().unwrap();
                            let cid = f["message"]["client_id"].as_str().unwrap().to_owned();
                            if id == last + 1 {
                                last = id;
                                r.view.push((id, cid.clone()));
                            } else if id > last + 1 {
                                r.problems.push(format!("gap: {id} after {last}"));
                                last = id;
                                r.view.push((id, cid.clone()));
                            } else if !(cid.starts_with(&format!("c{i}-")) && pending.contains_key(&cid)) {
                                // An answer to a resend repeats an old id on
                                // purpose; anything else is a duplicate.
                                if r.view.iter().all(|(_, c)| *c != cid) || !cid.starts_with(&format!("c{i}-")) {
                                    r.problems.push(format!("duplicate or disorder: {id} after {last}"));
                                }
                            }
                            if pending.remove(&cid).is_some() {
                                r.acked.insert(cid);
                            }
                        }
                        Some("history") => {
                            for m in f["messages"].as_array().unwrap() {
                                let id = m["id"].as_u64().unwrap();
                                let cid = m["client_id"].as_str().unwrap().to_owned();
                                if id == last + 1 {
                                    last = id;
                                    r.view.push((id, cid.clone()));
                                } else if id > last + 1 {
                                    r.problems.push(format!("gap in history: {id} after {last}"));
                                    last = id;
                                    r.view.push((id, cid.clone()));
                                }
                                if pending.remove(&cid).is_some() {
                                    r.acked.insert(cid);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn chaos_over_three_nodes_loses_nothing_and_repeats_nothing() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("chaos: seed {seed}");
    let pg = PgServer::start();
    let redis = RedisServer::start();
    let url = pg.fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let unused = dir.path().join("unused.db");
    let redis_url = redis.url();
    let flags = [
        "--database-url",
        url.as_str(),
        "--redis-url",
        redis_url.as_str(),
    ];
    let mut nodes: Vec<Option<App>> = Vec::new();
    for _ in 0..3 {
        nodes.push(Some(App::start_with(&unused, &flags).await));
    }
    let live: Live = Arc::new(Mutex::new(
        nodes
            .iter()
            .map(|n| n.as_ref().map(|a| a.url("")))
            .collect(),
    ));
    let mut tokens = Vec::new();
    for i in 0..CLIENTS {
        let app = nodes[i % 3].as_ref().unwrap();
        tokens.push(
            app.register_and_login(&format!("chaos{i}"), "chaos-password")
                .await,
        );
    }
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let final_head = Arc::new(Mutex::new(None));
    let mut tasks = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        tasks.push(tokio::spawn(client(
            i,
            token.clone(),
            live.clone(),
            stop.clone(),
            final_head.clone(),
            seed.wrapping_add(i as u64 * 7919),
        )));
    }

    // The driver.
    let mut rng = Rng(seed);
    let mut actions = Vec::new();
    let started = Instant::now();
    while started.elapsed() < CHAOS {
        tokio::time::sleep(Duration::from_millis(3000 + rng.next(4000))).await;
        match rng.next(3) {
            0 | 1 => {
                let n = rng.next(3) as usize;
                if let Some(mut app) = nodes[n].take() {
                    live.lock().unwrap()[n] = None;
                    app.kill();
                    actions.push(format!(
                        "{:>5.1}s SIGKILL node {n}",
                        started.elapsed().as_secs_f64()
                    ));
                    tokio::time::sleep(Duration::from_millis(500 + rng.next(1500))).await;
                    let app = App::start_with(&unused, &flags).await;
                    live.lock().unwrap()[n] = Some(app.url(""));
                    nodes[n] = Some(app);
                    actions.push(format!(
                        "{:>5.1}s restarted node {n}",
                        started.elapsed().as_secs_f64()
                    ));
                }
            }
            _ => {
                redis.stop();
                actions.push(format!(
                    "{:>5.1}s Redis down",
                    started.elapsed().as_secs_f64()
                ));
                tokio::time::sleep(Duration::from_millis(500 + rng.next(2000))).await;
                redis.start_again();
                actions.push(format!(
                    "{:>5.1}s Redis up",
                    started.elapsed().as_secs_f64()
                ));
            }
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for a in &actions {
        println!("chaos: {a}");
    }

    // Quiet: wait for the clients' pending sends to settle, then read the
    // store's history and let every client catch up to its head.
    let any = nodes.iter().flatten().next().unwrap();
    let history: Vec<(u64, String)>;
    let mut head = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let (status, page) = any
                .get(
                    &format!("/api/rooms/general/messages?after={after}&limit=200"),
                    &tokens[0],
                )
                .await;
            assert_eq!(status, 200, "{page}");
            let ms = page["messages"].as_array().unwrap();
            for m in ms {
                all.push((
                    m["id"].as_u64().unwrap(),
                    m["client_id"].as_str().unwrap().to_owned(),
                ));
            }
            if ms.len() < 200 {
                break;
            }
            after = all.last().unwrap().0;
        }
        let now = all.last().map_or(0, |m| m.0);
        if now == head && now > 0 {
            history = all;
            break;
        }
        head = now;
        assert!(Instant::now() < deadline, "the store never went quiet");
    }
    *final_head.lock().unwrap() = Some(head);
    let mut reports = Vec::new();
    for t in tasks {
        reports.push(
            tokio::time::timeout(Duration::from_secs(60), t)
                .await
                .expect("every client settles")
                .unwrap(),
        );
    }

    // The checks.
    let ids: Vec<u64> = history.iter().map(|m| m.0).collect();
    assert_eq!(
        ids,
        (1..=head).collect::<Vec<_>>(),
        "the store's ids are dense"
    );
    let stored: BTreeSet<&String> = history.iter().map(|m| &m.1).collect();
    assert_eq!(stored.len(), history.len(), "no client id stored twice");
    let mut acked_total = 0;
    for (i, r) in reports.iter().enumerate() {
        assert!(r.problems.is_empty(), "client {i}: {:?}", r.problems);
        assert_eq!(
            r.view, history,
            "client {i}'s view equals the store's history"
        );
        for cid in &r.acked {
            assert!(
                stored.contains(cid),
                "client {i}: acknowledged {cid} is stored"
            );
        }
        acked_total += r.acked.len();
        println!(
            "chaos: client {i}: {} messages seen, {} of its own acknowledged, {} reconnects, {} resends",
            r.view.len(),
            r.acked.len(),
            r.reconnects,
            r.resent
        );
    }
    println!(
        "chaos: checked {} stored messages, {acked_total} acknowledged sends, against {CLIENTS} clients' views: nothing lost, no duplicate, no disorder",
        history.len()
    );
}
