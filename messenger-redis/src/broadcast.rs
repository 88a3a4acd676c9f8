//! Room events across nodes over Redis pub/sub.
//!
//! Every node publishes its rooms' events on one channel and receives every
//! other node's there; it delivers its own events to its subscribers
//! directly, so a node's own rooms never wait on Redis. Order and
//! once-only do not depend on Redis: subscribers fill gaps in ids from the
//! store, and after Redis comes back every subscriber is told it lagged
//! and catches up from the store.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use messenger_core::{BroadcastError, Delivery, RoomBroadcast, RoomEvent, RoomName, Subscription};
use redis::aio::ConnectionManager;
use tokio::sync::broadcast;

use crate::connection::TIMEOUT;
use crate::error::RedisError;
use crate::wire;

/// The one channel every node publishes on and listens to.
const CHANNEL: &str = "messenger:events";

/// Ring size of a room's local fan-out, and of a user's own channel.
const ROOM_CAPACITY: usize = 1024;
const USER_CAPACITY: usize = 32;

/// How often the listening connection checks that Redis still answers.
const PING_EVERY: Duration = Duration::from_secs(2);

/// Room events on Redis pub/sub. See the module docs.
#[derive(Clone)]
pub struct RedisBroadcast {
    inner: Arc<Inner>,
}

struct Inner {
    node: u64,
    publisher: ConnectionManager,
    rooms: RwLock<HashMap<RoomName, broadcast::Sender<Delivery>>>,
    /// Per room, messages that arrived ahead of a missing id.
    reorder: std::sync::Mutex<HashMap<RoomName, Reorder>>,
}

/// Messages of several nodes reach a node out of id order (each node
/// publishes its own posts). Putting them back in order here, once per
/// node, spares every socket a read from the store per gap; what is still
/// missing after [`REORDER_WAIT`] is passed on, and sockets fill that gap
/// from the store as before.
#[derive(Default)]
struct Reorder {
    next: Option<u64>,
    held: std::collections::BTreeMap<u64, RoomEvent>,
    flush_scheduled: bool,
}

/// Longest a message is held for the ones before it.
const REORDER_WAIT: Duration = Duration::from_millis(40);

impl std::fmt::Debug for RedisBroadcast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBroadcast")
            .field("node", &self.inner.node)
            .finish_non_exhaustive()
    }
}

impl RedisBroadcast {
    /// Connects to `url` (`redis://host:port/N`) and starts listening. It
    /// reconnects by itself whenever Redis goes away.
    pub async fn connect(url: &str) -> Result<Self, RedisError> {
        let client = redis::Client::open(url)?;
        let publisher = crate::connection::managed(&client).await?;
        let inner = Arc::new(Inner {
            node: rand::random(),
            publisher,
            rooms: RwLock::new(HashMap::new()),
            reorder: std::sync::Mutex::new(HashMap::new()),
        });
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(listen(client, Arc::downgrade(&inner), ready_tx));
        // Subscribed before the first publish can be missed by this node.
        let _ = tokio::time::timeout(Duration::from_secs(5), ready_rx).await;
        Ok(Self { inner })
    }

    /// Sends one payload on the channel, giving up after [`TIMEOUT`]:
    /// a hung Redis must not hold a post's answer.
    async fn send(&self, payload: String) -> Result<(), BroadcastError> {
        let mut conn = self.inner.publisher.clone();
        let publish = |conn: &mut ConnectionManager, payload: &str| {
            let mut conn = conn.clone();
            let cmd = redis::cmd("PUBLISH").arg(CHANNEL).arg(payload).clone();
            async move { cmd.query_async::<i64>(&mut conn).await }
        };
        let sent = tokio::time::timeout(TIMEOUT, async {
            match publish(&mut conn, &payload).await {
                // After Redis restarts, the manager answers the first
                // command on the dead connection with an I/O error and only
                // then reconnects: once the other nodes have caught up from
                // the store, a message lost that way would wait for the
                // next one. Once more on the fresh connection; a duplicate
                // is harmless (receivers drop ids they have).
                Err(e) if e.is_io_error() || e.is_unrecoverable_error() => {
                    publish(&mut conn, &payload).await
                }
                other => other,
            }
        })
        .await;
        match sent {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(BroadcastError(Box::new(e))),
            Err(_) => Err(BroadcastError("publishing to Redis timed out".into())),
        }
    }

    /// This node's id on the channel.
    pub fn node(&self) -> u64 {
        self.inner.node
    }
}

impl Inner {
    fn deliver(&self, room: &RoomName, delivery: Delivery) {
        let tx = self
            .rooms
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(room)
            .cloned();
        if let Some(tx) = tx {
            let _ = tx.send(delivery);
        }
    }

    /// Delivers a room event, messages in id order where it can (see [`Reorder`]).
    fn deliver_ordered(self: &Arc<Self>, room: &RoomName, event: RoomEvent) {
        let messenger_core::EventKind::Message(m) = event.kind() else {
            self.deliver(room, Delivery::Event(event));
            return;
        };
        let id = m.id.0;
        let (ready, schedule) = {
            let mut all = self.reorder.lock().unwrap_or_else(|p| p.into_inner());
            let r = all.entry(room.clone()).or_default();
            let next = *r.next.get_or_insert(id);
            if id < next {
                // Late (or a repeat): sockets drop what they already have.
                (vec![event], false)
            } else {
                r.held.insert(id, event);
                let mut ready = Vec::new();
                let mut next = next;
                while let Some(e) = r.held.remove(&next) {
                    ready.push(e);
                    next += 1;
                }
                r.next = Some(next);
                let schedule = !r.held.is_empty() && !r.flush_scheduled;
                if schedule {
                    r.flush_scheduled = true;
                }
                (ready, schedule)
            }
        };
        for e in ready {
            self.deliver(room, Delivery::Event(e));
        }
        if schedule {
            let (inner, room) = (Arc::downgrade(self), room.clone());
            tokio::spawn(async move {
                tokio::time::sleep(REORDER_WAIT).await;
                if let Some(inner) = inner.upgrade() {
                    inner.flush_held(&room);
                }
            });
        }
    }

    /// Passes on what is still held, in order, past the gap.
    fn flush_held(&self, room: &RoomName) {
        let ready: Vec<RoomEvent> = {
            let mut all = self.reorder.lock().unwrap_or_else(|p| p.into_inner());
            let Some(r) = all.get_mut(room) else { return };
            r.flush_scheduled = false;
            let held = std::mem::take(&mut r.held);
            if let Some((last, _)) = held.last_key_value() {
                r.next = Some(last + 1);
            }
            held.into_values().collect()
        };
        for e in ready {
            self.deliver(room, Delivery::Event(e));
        }
    }

    /// Every subscriber of this node may have missed events: they resync
    /// from the store.
    fn lag_everyone(&self) {
        let rooms = self.rooms.read().unwrap_or_else(|p| p.into_inner());
        for tx in rooms.values() {
            let _ = tx.send(Delivery::Lagged { missed: 0 });
        }
    }

    fn sender(&self, room: &RoomName) -> broadcast::Sender<Delivery> {
        if let Some(tx) = self
            .rooms
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(room)
        {
            return tx.clone();
        }
        let mut rooms = self.rooms.write().unwrap_or_else(|p| p.into_inner());
        // Channels nobody listens to any more go, so memory follows use.
        if rooms.len() > 4096 {
            rooms.retain(|_, tx| tx.receiver_count() > 0);
        }
        rooms
            .entry(room.clone())
            .or_insert_with(|| {
                let capacity = if room.is_user_channel() {
                    USER_CAPACITY
                } else {
                    ROOM_CAPACITY
                };
                broadcast::channel(capacity).0
            })
            .clone()
    }
}

/// Listens on the channel for as long as the broadcast lives, reconnecting
/// after every failure (with a resync of every local subscriber once back).
async fn listen(
    client: redis::Client,
    inner: std::sync::Weak<Inner>,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    let mut lost = false;
    loop {
        let Some(node) = inner.upgrade().map(|i| i.node) else {
            return;
        };
        match subscribe(&client).await {
            Ok(pubsub) => {
                if let Some(r) = ready.take() {
                    let _ = r.send(());
                }
                if lost {
                    tracing::info!("Redis is back: resyncing every subscriber from the store");
                    match inner.upgrade() {
                        Some(i) => i.lag_everyone(),
                        None => return,
                    }
                }
                // A hung Redis keeps the connection open and says nothing:
                // a ping that goes unanswered counts as a lost connection,
                // so the node reconnects and resyncs once Redis answers.
                let (mut sink, mut messages) = pubsub.split();
                let mut ping = tokio::time::interval(PING_EVERY);
                ping.tick().await;
                loop {
                    tokio::select! {
                        msg = messages.next() => {
                            let Some(msg) = msg else { break };
                            let Some(inner) = inner.upgrade() else { return };
                                                        match wire::decode(msg.get_payload_bytes()) {
                                Some(d) if d.node == node => {}
                                Some(d) => {
                                    let room = RoomName::from_trusted(d.room);
                                    for kind in d.events {
                                        inner.deliver_ordered(&room, RoomEvent::new(kind));
                                    }
                                }
                                None => tracing::warn!("an event on the channel could not be read"),
                            }
                        }
                        _ = ping.tick() => {
                            let answered = tokio::time::timeout(TIMEOUT, sink.ping::<redis::Value>()).await;
                            if !matches!(answered, Ok(Ok(_))) {
                                break;
                            }
                            if inner.upgrade().is_none() {
                                return;
                            }
                        }
                    }
                }
                tracing::warn!("lost the Redis subscription; reconnecting");
            }
            Err(e) => {
                tracing::warn!(error = %e, "subscribing to Redis failed; retrying");
            }
        }
        lost = true;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn subscribe(client: &redis::Client) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = tokio::time::timeout(Duration::from_secs(2), client.get_async_pubsub())
        .await
        .map_err(|_| redis::RedisError::from((redis::ErrorKind::Io, "connect timed out")))??;
    pubsub.subscribe(CHANNEL).await?;
    Ok(pubsub)
}

#[async_trait]
impl RoomBroadcast for RedisBroadcast {
    async fn publish(&self, room: &RoomName, event: RoomEvent) -> Result<(), BroadcastError> {
        let payload = wire::encode(self.inner.node, room, event.kind());
        // This node's subscribers first, whatever Redis does.
        self.inner.deliver_ordered(room, event);
        self.send(payload).await
    }

    async fn publish_many(
        &self,
        room: &RoomName,
        events: Vec<RoomEvent>,
    ) -> Result<(), BroadcastError> {
        if events.is_empty() {
            return Ok(());
        }
        // One PUBLISH for the batch: one round trip here, and every other
        // node receives the batch in one piece and fans it out as a burst.
        let payload = wire::encode_many(self.inner.node, room, events.iter().map(|e| e.kind()));
        for event in events {
            self.inner.deliver_ordered(room, event);
        }
        self.send(payload).await
    }

    async fn subscribe(&self, room: &RoomName) -> Result<Subscription, BroadcastError> {
        Ok(Subscription::from_channel(
            self.inner.sender(room).subscribe(),
        ))
    }
}
