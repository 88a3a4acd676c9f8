//! The broadcast conformance suite on Redis (two nodes on one server), and
//! what only a shared medium has to show: an outage and the resync after.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use messenger_core::{Delivery, EventKind, RoomBroadcast, RoomEvent, RoomName, UserEvent};
use messenger_redis::RedisBroadcast;
use messenger_redis::testing::RedisServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn redis_broadcast_conforms() {
    let server = RedisServer::start();
    messenger_core::testing::run_broadcast_conformance(|| async {
        let a: Arc<dyn RoomBroadcast> =
            Arc::new(RedisBroadcast::connect(&server.url()).await.unwrap());
        let b: Arc<dyn RoomBroadcast> =
            Arc::new(RedisBroadcast::connect(&server.url()).await.unwrap());
        (a, b)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn after_an_outage_every_subscriber_resyncs_and_delivery_resumes() {
    let server = RedisServer::start();
    let a = RedisBroadcast::connect(&server.url()).await.unwrap();
    let b = RedisBroadcast::connect(&server.url()).await.unwrap();
    let room = RoomName::general();
    let mut sub = b.subscribe(&room).await.unwrap();
    let event = |n: u64| {
        RoomEvent::new(EventKind::User(UserEvent::Read {
            room: room.clone(),
            last_read: messenger_core::MessageId(n),
            mentions: 0,
        }))
    };
    a.publish(&room, event(1)).await.unwrap();
    assert!(matches!(sub.next().await, Some(Delivery::Event(_))));

    server.stop();
    // While Redis is down a publish fails fast; nothing hangs.
    let started = std::time::Instant::now();
    assert!(a.publish(&room, event(2)).await.is_err());
    assert!(started.elapsed() < Duration::from_secs(5));
    // A node's own subscribers still get its events.
    let mut on_a = a.subscribe(&room).await.unwrap();
    let _ = a.publish(&room, event(3)).await;
    assert!(matches!(on_a.next().await, Some(Delivery::Event(_))));

    server.start_again();
    // Back within seconds: first a resync signal, then live events again.
    let lagged = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match sub.next().await {
                Some(Delivery::Lagged { .. }) => return,
                Some(_) => {}
                None => panic!("subscription ended"),
            }
        }
    })
    .await;
    assert!(lagged.is_ok(), "subscribers are told to resync");
    let resumed = tokio::time::timeout(Duration::from_secs(10), async {
        let mut n = 10;
        loop {
            n += 1;
            let _ = a.publish(&room, event(n)).await;
            if let Ok(Some(Delivery::Event(_))) =
                tokio::time::timeout(Duration::from_millis(300), sub.next()).await
            {
                return;
            }
        }
    })
    .await;
    assert!(resumed.is_ok(), "live delivery resumes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn redis_limits_conform() {
    use messenger_core::{FailureCounter, RateCounter};
    use messenger_redis::{RedisFailures, RedisRates};
    let server = RedisServer::start();
    // A fresh database per case: Redis numbers them 0-15.
    let n = std::sync::atomic::AtomicU32::new(0);
    let fresh_url = || {
        let n = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        server.url().replace("/0", &format!("/{n}"))
    };
    messenger_core::testing::run_limits_conformance(
        || {
            let url = fresh_url();
            async move {
                let a: Arc<dyn RateCounter> = Arc::new(RedisRates::connect(&url).await.unwrap());
                let b: Arc<dyn RateCounter> = Arc::new(RedisRates::connect(&url).await.unwrap());
                (a, b)
            }
        },
        || {
            let url = fresh_url();
            async move {
                let a: Arc<dyn FailureCounter> =
                    Arc::new(RedisFailures::connect(&url).await.unwrap());
                let b: Arc<dyn FailureCounter> =
                    Arc::new(RedisFailures::connect(&url).await.unwrap());
                (a, b)
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn redis_holds_conform_and_a_dead_nodes_holds_lapse() {
    use messenger_core::HoldCounter;
    use messenger_redis::RedisHolds;
    let server = RedisServer::start();
    let n = std::sync::atomic::AtomicU32::new(0);
    let fresh_url = || {
        let n = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        server.url().replace("/0", &format!("/{n}"))
    };
    messenger_core::testing::run_holds_conformance(|| {
        let url = fresh_url();
        async move {
            let a: Arc<dyn HoldCounter> = Arc::new(RedisHolds::connect(&url).await.unwrap());
            let b: Arc<dyn HoldCounter> = Arc::new(RedisHolds::connect(&url).await.unwrap());
            (a, b)
        }
    })
    .await;

    // A node that lives renews its holds past the lease; one that died
    // (dropped without giving anything back) loses them within it.
    let url = fresh_url();
    let lease = std::time::Duration::from_millis(600);
    let alive = RedisHolds::with_lease(&url, lease).await.unwrap();
    let dead = RedisHolds::with_lease(&url, lease).await.unwrap();
    assert!(alive.hold("sockets:9", "alive", 2).await);
    assert!(dead.hold("sockets:9", "dead", 2).await);
    drop(dead);
    let other = RedisHolds::with_lease(&url, lease).await.unwrap();
    assert!(
        !other.hold("sockets:9", "new", 2).await,
        "both places taken"
    );
    tokio::time::sleep(lease * 2).await;
    assert!(
        other.hold("sockets:9", "new", 2).await,
        "the dead node's place lapsed"
    );
    assert!(
        !other.hold("sockets:9", "newer", 2).await,
        "the living node's hold was renewed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn redis_presence_conforms() {
    use messenger_core::Presence;
    use messenger_redis::RedisPresence;
    let server = RedisServer::start();
    let events: Arc<dyn RoomBroadcast> =
        Arc::new(RedisBroadcast::connect(&server.url()).await.unwrap());
    let mut n = 0;
    messenger_core::testing::run_presence_conformance(|| {
        n += 1;
        let (url, events) = (server.url(), events.clone());
        async move {
            // A fresh database per case: Redis numbers them 0-15.
            let url = url.replace("/0", &format!("/{n}"));
            let a: Arc<dyn Presence> =
                Arc::new(RedisPresence::connect(&url, events.clone()).await.unwrap());
            let b: Arc<dyn Presence> =
                Arc::new(RedisPresence::connect(&url, events).await.unwrap());
            (a, b)
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs postgres and redis"]
async fn a_dead_nodes_users_leave_within_30_seconds_and_a_restarted_redis_relearns() {
    use messenger_core::{Presence, User, UserId, Username};
    use messenger_redis::RedisPresence;
    let server = RedisServer::start();
    let events = Arc::new(RedisBroadcast::connect(&server.url()).await.unwrap());
    let room = RoomName::general();
    let user = |id: u64, n: &str| User {
        id: UserId(id),
        username: Username::from_trusted(n.to_owned()),
    };
    let survivor = RedisPresence::connect(&server.url(), events.clone())
        .await
        .unwrap();
    let doomed = RedisPresence::connect(&server.url(), events.clone())
        .await
        .unwrap();
    survivor.connect(&room, &user(1, "stays")).await.unwrap();
    survivor.connect(&room, &user(2, "both")).await.unwrap();
    doomed.connect(&room, &user(2, "both")).await.unwrap();
    doomed.connect(&room, &user(3, "goes")).await.unwrap();
    assert_eq!(survivor.online(&room).await.unwrap().len(), 3);

    // Redis restarts empty: each node writes its share back at its next beat.
    server.stop();
    server.start_again();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while survivor.online(&room).await.map(|o| o.len()).unwrap_or(0) != 3 {
        assert!(std::time::Instant::now() < deadline, "presence came back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A node that stops beating (killed) loses its users within 30 s;
    // those still connected elsewhere stay, and the others are announced.
    let mut announcements = events.subscribe(&room).await.unwrap();
    drop(doomed);
    let started = std::time::Instant::now();
    let left = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Some(Delivery::Event(e)) = announcements.next().await
                && let EventKind::PresenceDiff { left, .. } = e.kind()
                && !left.is_empty()
            {
                return left.clone();
            }
        }
    })
    .await
    .expect("the dead node's users are announced within 30 s");
    assert_eq!(left, vec![user(3, "goes")]);
    let online: Vec<u64> = survivor
        .online(&room)
        .await
        .unwrap()
        .iter()
        .map(|u| u.id.0)
        .collect();
    assert_eq!(online, [1, 2]);
    assert!(started.elapsed() < Duration::from_secs(30));
}
