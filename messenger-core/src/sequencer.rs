//! The per-room sequencer: one task per room stores posts in batches and
//! publishes them in id order, so every subscriber sees the room in the
//! same order and a batch costs one store round-trip (group commit).
//! Edits and deletes pass through the same queue, so they are published in
//! the order of their change numbers too.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::{mpsc, oneshot};

use crate::broadcast::{EventKind, RoomBroadcast, RoomEvent};
use crate::error::Error;
use crate::message::{Appended, ChangeKind, Message, MessageChange, NewMessage, Posted};
use crate::reaction::ReactionChange;
use crate::room::RoomName;
use crate::store::{MessageStore, StoreError};

/// Called with each new, edited or deleted message once it is stored and
/// published (`true` for a change).
pub(crate) type OnStored = Arc<dyn Fn(&Message, bool) + Send + Sync>;

enum Job {
    Post {
        new: NewMessage,
        reply: oneshot::Sender<Result<Appended, Error>>,
    },
    Change {
        change: MessageChange,
        reply: oneshot::Sender<Result<Option<Message>, Error>>,
    },
}

/// The queue into one room's sequencer task.
#[derive(Clone)]
pub(crate) struct RoomSequencer {
    tx: mpsc::Sender<Job>,
}

impl RoomSequencer {
    /// Starts the room's task. It ends when the last sender is dropped.
    pub(crate) fn spawn(
        room: RoomName,
        store: Arc<dyn MessageStore>,
        broadcast: Arc<dyn RoomBroadcast>,
        max_batch: usize,
        stored: OnStored,
    ) -> Self {
        // Bounded: under overload posters wait here instead of piling up memory.
        let (tx, rx) = mpsc::channel(max_batch.max(1) * 4);
        tokio::spawn(run(room, rx, store, broadcast, max_batch.max(1), stored));
        Self { tx }
    }

    /// Queues `new`; returns once the room's queue took it. Posts queued
    /// one after another get ids in that order.
    pub(crate) async fn enqueue(&self, new: NewMessage) -> Result<PendingPost, Error> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job::Post { new, reply })
            .await
            .map_err(|_| Error::Internal("room sequencer stopped".into()))?;
        Ok(PendingPost(answer))
    }

    /// Applies an edit or delete in the room's order; answers the message
    /// after it (`None`: no such live message).
    pub(crate) async fn change(&self, change: MessageChange) -> Result<Option<Message>, Error> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job::Change { change, reply })
            .await
            .map_err(|_| Error::Internal("room sequencer stopped".into()))?;
        answer
            .await
            .map_err(|_| Error::Internal("room sequencer dropped the change".into()))?
    }
}

/// A queued post: resolves once the message is durable and published (or
/// refused). Returned by [`Messenger::enqueue_post`](crate::Messenger::enqueue_post).
///
/// Dropping it does not withdraw the post.
#[derive(Debug)]
#[must_use = "the post's outcome is only known by awaiting it"]
pub struct PendingPost(oneshot::Receiver<Result<Appended, Error>>);

impl Future for PendingPost {
    type Output = Result<Posted, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|answer| match answer {
            Ok(Ok(appended)) => Ok(Posted {
                // A retry answers the stored message, reactions and all.
                message: {
                    let author = appended.message.author.id;
                    appended.message.seen_by(Some(author))
                },
                created: appended.created,
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(Error::Internal("room sequencer dropped the post".into())),
        })
    }
}

async fn run(
    room: RoomName,
    mut rx: mpsc::Receiver<Job>,
    store: Arc<dyn MessageStore>,
    broadcast: Arc<dyn RoomBroadcast>,
    max_batch: usize,
    stored: OnStored,
) {
    let mut jobs = Vec::with_capacity(max_batch);
    let mut posts = Vec::with_capacity(max_batch);
    while rx.recv_many(&mut jobs, max_batch).await > 0 {
        for job in jobs.drain(..) {
            match job {
                Job::Post { new, reply } => posts.push((new, reply)),
                Job::Change { change, reply } => {
                    // Posts queued before the change are stored before it.
                    append(&room, &mut posts, &*store, &*broadcast, &stored).await;
                    let _ = reply.send(apply(&room, change, &*store, &*broadcast, &stored).await);
                }
            }
        }
        append(&room, &mut posts, &*store, &*broadcast, &stored).await;
    }
}

async fn apply(
    room: &RoomName,
    change: MessageChange,
    store: &dyn MessageStore,
    broadcast: &dyn RoomBroadcast,
    stored: &OnStored,
) -> Result<Option<Message>, Error> {
    let Some(message) = crate::metrics::store_call("change", store.change(&change)).await? else {
        return Ok(None);
    };
    let reaction = match change.kind {
        ChangeKind::React { user, key, on } => Some(ReactionChange { key, user, on }),
        ChangeKind::Edit(_) | ChangeKind::Delete => None,
    };
    let event = RoomEvent::new(EventKind::Changed {
        message: message.clone().seen_by(None),
        reaction: reaction.clone(),
    });
    // Durable already; a subscriber that misses this finds the gap in
    // change numbers on the next one and reads the changes from the store.
    if let Err(e) = broadcast.publish(room, event).await {
        tracing::warn!(room = %room, error = %e, "publishing a change failed");
    }
    // A reaction leaves the body, so mentions, as they were.
    if reaction.is_none() {
        stored(&message, true);
    }
    Ok(Some(message))
}

type PostReply = oneshot::Sender<Result<Appended, Error>>;

async fn append(
    room: &RoomName,
    posts: &mut Vec<(NewMessage, PostReply)>,
    store: &dyn MessageStore,
    broadcast: &dyn RoomBroadcast,
    stored: &OnStored,
) {
    if posts.is_empty() {
        return;
    }
    let (news, replies): (Vec<_>, Vec<_>) = posts.drain(..).unzip();
    {
        match crate::metrics::store_call("append", store.append(news)).await {
            Ok(results) => {
                let events: Vec<RoomEvent> = results
                    .iter()
                    .filter(|a| a.created)
                    .map(|a| RoomEvent::new(EventKind::Message(a.message.clone())))
                    .collect();
                ::metrics::counter!(crate::metrics::MESSAGES_POSTED).increment(events.len() as u64);
                // The messages are durable; subscribers that miss these
                // events find the gap on the next one and fill it. One call
                // for the batch, so a remote engine sends it as one unit.
                if !events.is_empty()
                    && let Err(e) = broadcast.publish_many(room, events).await
                {
                    tracing::warn!(room = %room, error = %e, "publishing stored messages failed");
                }
                for (appended, reply) in results.into_iter().zip(replies) {
                    if appended.created {
                        stored(&appended.message, false);
                    }
                    let _ = reply.send(Ok(appended));
                }
            }
            // Archived or deleted: a refusal, not a failure.
            Err(StoreError::Closed { room, erased }) => {
                for reply in replies {
                    let closed = StoreError::Closed {
                        room: room.clone(),
                        erased,
                    };
                    let _ = reply.send(Err(Error::from(closed)));
                }
            }
            Err(e) => {
                tracing::error!(room = %room, error = ?e, "storing a batch of messages failed");
                let shared = Arc::new(e);
                for reply in replies {
                    let source = StoreError::Backend(Box::new(SharedStoreError(shared.clone())));
                    let _ = reply.send(Err(Error::Storage(source)));
                }
            }
        }
    }
}

/// One store failure reported to every post of the batch it sank.
struct SharedStoreError(Arc<StoreError>);

impl fmt::Debug for SharedStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for SharedStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SharedStoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}
