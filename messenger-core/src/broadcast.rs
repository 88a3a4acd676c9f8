//! Room broadcast: the seam between one node's posts and every subscriber.

use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, RwLock};
use std::task::{Context, Poll};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio_util::sync::ReusableBoxFuture;

use crate::error::BoxError;
use crate::message::{Message, MessageId};
use crate::reaction::ReactionChange;
use crate::room::RoomName;
use crate::session::Revocation;
use crate::user::User;

/// What happens in a room.
///
/// Deliberately exhaustive (unlike the error enums): every node and every
/// transport must carry every kind, and a new kind should fail the build
/// of an adapter that would otherwise drop it at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A stored message.
    Message(Message),
    /// A stored message was edited, deleted or reacted to: it as it is
    /// now, with the room's change number in [`Message::rev`], seen by
    /// nobody ([`Message::seen_by`] `None`).
    Changed {
        /// The message.
        message: Message,
        /// The reaction added or removed, when that was the change.
        reaction: Option<ReactionChange>,
    },
    /// Who came online and who went offline since the last diff.
    PresenceDiff {
        /// The room.
        room: RoomName,
        /// Users now online.
        joined: Vec<User>,
        /// Users now offline.
        left: Vec<User>,
    },
    /// Someone is typing.
    Typing {
        /// The room.
        room: RoomName,
        /// Who.
        user: User,
    },
    /// Something for one user's connections, on their
    /// [`RoomName::user_channel`].
    User(UserEvent),
}

/// What a user's connections are told about that user's own state, on
/// whichever node they are. Exhaustive, as [`EventKind`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserEvent {
    /// The user became a member of a room (they created it, joined it, were
    /// added to it, or a direct conversation opened).
    RoomAdded(RoomName),
    /// The user is no longer a member of a room.
    RoomRemoved(RoomName),
    /// The user's read position in a room moved (on some connection of theirs).
    Read {
        /// The room.
        room: RoomName,
        /// The newest id read.
        last_read: MessageId,
        /// Mentions of the user left unread there.
        mentions: u64,
    },
    /// A message that mentions the user was stored.
    Mention(Message),
    /// A session of the user (or all of them) was revoked: logout, a
    /// password change or reset, a ban. Connections it ends close, on
    /// whichever node they are.
    Revoked(Revocation),
}

/// One event, shared by every subscriber (cloning is a reference count).
///
/// It carries a cache for its wire encoding, so a transport serializes each
/// event once however many subscribers it has.
#[derive(Clone)]
pub struct RoomEvent(Arc<Inner>);

struct Inner {
    kind: EventKind,
    encoded: OnceLock<Bytes>,
}

impl RoomEvent {
    /// Wraps `kind`.
    pub fn new(kind: EventKind) -> Self {
        Self(Arc::new(Inner {
            kind,
            encoded: OnceLock::new(),
        }))
    }

    /// What happened.
    pub fn kind(&self) -> &EventKind {
        &self.0.kind
    }

    /// The event's wire encoding (UTF-8 text), computed by `encode` on
    /// first use and shared afterwards, so a frame delivered to thousands of
    /// sockets is serialized once and never copied. A process is expected
    /// to encode events one way.
    pub fn encoded(&self, encode: impl FnOnce(&EventKind) -> String) -> &Bytes {
        self.0.encoded.get_or_init(|| encode(&self.0.kind).into())
    }
}

impl fmt::Debug for RoomEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.kind.fmt(f)
    }
}

/// What a subscription yields.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// The next event.
    Event(RoomEvent),
    /// The subscriber fell behind and `missed` events were dropped for it;
    /// it must resync messages from the store.
    Lagged {
        /// How many events were skipped.
        missed: u64,
    },
}

/// A room's event stream. Bounded: a subscriber that falls behind gets
/// [`Delivery::Lagged`] instead of unbounded buffering.
pub struct Subscription {
    inner: Pin<Box<dyn Stream<Item = Delivery> + Send>>,
}

impl Subscription {
    /// Wraps any stream of deliveries (for other broadcast engines).
    pub fn new(stream: impl Stream<Item = Delivery> + Send + 'static) -> Self {
        Self {
            inner: Box::pin(stream),
        }
    }

    /// Reads a tokio broadcast channel: its items as they are, a lag as
    /// [`Delivery::Lagged`].
    ///
    /// Unlike `tokio_stream`'s `BroadcastStream`, which builds a fresh
    /// receive future for every item, this takes what is already in the
    /// ring with `try_recv` and waits with a future only when the ring is
    /// empty: a socket draining a burst pays for one wait, not one per
    /// event (7 % of the server's CPU in a fan-out).
    pub fn from_channel<T>(rx: broadcast::Receiver<T>) -> Self
    where
        T: Clone + Send + 'static,
        Delivery: From<T>,
    {
        Self::new(Channel {
            rx: Some(rx),
            waiting: None,
        })
    }
}

impl From<RoomEvent> for Delivery {
    fn from(event: RoomEvent) -> Self {
        Delivery::Event(event)
    }
}

/// A receive in progress: it owns the receiver until it completes.
type Waiting<T> = ReusableBoxFuture<'static, (Result<T, RecvError>, broadcast::Receiver<T>)>;

struct Channel<T> {
    /// `None` while `waiting` holds it.
    rx: Option<broadcast::Receiver<T>>,
    waiting: Option<Waiting<T>>,
}

impl<T> Stream for Channel<T>
where
    T: Clone + Send + 'static,
    Delivery: From<T>,
{
    type Item = Delivery;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Delivery>> {
        let this = &mut *self;
        if let Some(mut rx) = this.rx.take() {
            match rx.try_recv() {
                Ok(item) => {
                    this.rx = Some(rx);
                    return Poll::Ready(Some(item.into()));
                }
                Err(TryRecvError::Lagged(missed)) => {
                    this.rx = Some(rx);
                    return Poll::Ready(Some(Delivery::Lagged { missed }));
                }
                Err(TryRecvError::Closed) => {
                    // Ended for good: `waiting` may hold a finished
                    // receive, which must never be polled again.
                    this.waiting = None;
                    return Poll::Ready(None);
                }
                Err(TryRecvError::Empty) => {
                    let wait = async move {
                        let item = rx.recv().await;
                        (item, rx)
                    };
                    match this.waiting.as_mut() {
                        Some(w) => w.set(wait),
                        None => this.waiting = Some(ReusableBoxFuture::new(wait)),
                    }
                }
            }
        }
        let Some(waiting) = this.waiting.as_mut() else {
            return Poll::Ready(None);
        };
        let (item, rx) = std::task::ready!(waiting.poll(cx));
        this.rx = Some(rx);
        Poll::Ready(match item {
            Ok(item) => Some(item.into()),
            Err(RecvError::Lagged(missed)) => Some(Delivery::Lagged { missed }),
            Err(RecvError::Closed) => None,
        })
    }
}

impl Stream for Subscription {
    type Item = Delivery;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Delivery>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Subscription")
    }
}

/// A broadcast engine failed.
#[derive(Debug, thiserror::Error)]
#[error("broadcast failed")]
pub struct BroadcastError(#[source] pub BoxError);

/// Fans room events out to subscribers, possibly across nodes.
///
/// Engines need not keep order across nodes: subscribers detect gaps in
/// message ids and fill them from the store.
#[async_trait]
pub trait RoomBroadcast: Send + Sync + 'static {
    /// Sends `event` to the room's current subscribers.
    async fn publish(&self, room: &RoomName, event: RoomEvent) -> Result<(), BroadcastError>;

    /// Sends several events of one room, in order: a batch of posts stored
    /// together. Engines that cross a network override it to send the batch
    /// as one unit, so other nodes get it in one piece too; the default
    /// publishes one event at a time.
    async fn publish_many(
        &self,
        room: &RoomName,
        events: Vec<RoomEvent>,
    ) -> Result<(), BroadcastError> {
        let mut first_error = None;
        for event in events {
            if let Err(e) = self.publish(room, event).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Subscribes to a room's events from now on.
    async fn subscribe(&self, room: &RoomName) -> Result<Subscription, BroadcastError>;
}

/// Ring size of a user's own channel ([`RoomName::user_channel`]).
const USER_CHANNEL_CAPACITY: usize = 32;

/// In-process broadcast over one bounded tokio ring per room.
#[derive(Debug)]
pub struct LocalBroadcast {
    capacity: usize,
    rooms: RwLock<HashMap<RoomName, broadcast::Sender<RoomEvent>>>,
}

impl LocalBroadcast {
    /// A broadcast whose rooms each buffer at most `capacity` events.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            rooms: RwLock::new(HashMap::new()),
        }
    }

    /// Events currently buffered for a room (at most the capacity).
    pub fn buffered(&self, room: &RoomName) -> usize {
        self.rooms
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(room)
            .map_or(0, |tx| tx.len())
    }

    fn sender(&self, room: &RoomName) -> broadcast::Sender<RoomEvent> {
        if let Some(tx) = self
            .rooms
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(room)
        {
            return tx.clone();
        }
        self.rooms
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(room.clone())
            .or_insert_with(|| {
                // A user's own events are rare: a small ring each.
                let capacity = if room.is_user_channel() {
                    USER_CHANNEL_CAPACITY
                } else {
                    self.capacity
                };
                broadcast::channel(capacity).0
            })
            .clone()
    }
}

impl Default for LocalBroadcast {
    fn default() -> Self {
        Self::new(1024)
    }
}

#[async_trait]
impl RoomBroadcast for LocalBroadcast {
    async fn publish(&self, room: &RoomName, event: RoomEvent) -> Result<(), BroadcastError> {
        // No subscribers is not an error: nobody is listening. A channel
        // nobody ever subscribed to is not created for it either.
        let tx = self
            .rooms
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(room)
            .cloned();
        if let Some(tx) = tx {
            let _ = tx.send(event);
        }
        Ok(())
    }

    async fn subscribe(&self, room: &RoomName) -> Result<Subscription, BroadcastError> {
        Ok(Subscription::from_channel(self.sender(room).subscribe()))
    }
}

#[cfg(test)]
mod tests {
    use futures_util::{FutureExt, StreamExt};

    use super::*;

    fn missed(d: Option<Delivery>) -> u64 {
        match d {
            Some(Delivery::Lagged { missed }) => missed,
            other => panic!("expected a lag, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_channel_subscription_waits_drains_lags_and_ends() {
        let (tx, rx) = broadcast::channel::<Delivery>(2);
        let mut sub = Subscription::from_channel(rx);
        // Empty: pending, and woken by the next send.
        assert!(sub.next().now_or_never().is_none());
        let waiter = tokio::spawn(async move {
            let first = missed(sub.next().await);
            (first, sub)
        });
        tokio::task::yield_now().await;
        tx.send(Delivery::Lagged { missed: 1 }).unwrap();
        let (first, mut sub) = waiter.await.unwrap();
        assert_eq!(first, 1);
        // A burst is drained without waiting; an overrun ring is a lag.
        for n in [10, 20, 30, 40] {
            tx.send(Delivery::Lagged { missed: n }).unwrap();
        }
        assert_eq!(
            missed(sub.next().now_or_never().unwrap()),
            2,
            "10 and 20 were overwritten"
        );
        assert_eq!(missed(sub.next().now_or_never().unwrap()), 30);
        assert_eq!(missed(sub.next().now_or_never().unwrap()), 40);
        drop(tx);
        for _ in 0..3 {
            assert!(sub.next().await.is_none(), "ended, and stays ended");
        }
    }
}
