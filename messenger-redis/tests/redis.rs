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
