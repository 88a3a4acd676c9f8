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
use crate::store::{MessageStore, StoreError, Write, Written};

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
    let mut out = Outbox::default();
    while rx.recv_many(&mut jobs, max_batch).await > 0 {
        // Posts in a row make one append; a change between them keeps its
        // place (posts queued before it are stored before it).
        let mut writes = Vec::new();
        let mut waiting = Vec::new();
        for job in jobs.drain(..) {
            match job {
                Job::Post { new, reply } => {
                    if let Some(Write::Append(batch)) = writes.last_mut()
                        && matches!(waiting.last(), Some(Waiting::Posts(_)))
                    {
                        batch.push(new);
                        if let Some(Waiting::Posts(replies)) = waiting.last_mut() {
                            replies.push(reply);
                        }
                    } else {
                        writes.push(Write::Append(vec![new]));
                        waiting.push(Waiting::Posts(vec![reply]));
                    }
                }
                Job::Change { change, reply } => {
                    let reaction = match &change.kind {
                        ChangeKind::React { user, key, on } => Some(ReactionChange {
                            key: key.clone(),
                            user: user.clone(),
                            on: *on,
                        }),
                        ChangeKind::Edit(_) | ChangeKind::Delete | ChangeKind::Pin { .. } => None,
                    };
                    // Reactions and pins leave the text, so mentions, as they were.
                    let text = matches!(change.kind, ChangeKind::Edit(_) | ChangeKind::Delete);
                    writes.push(Write::Change(change));
                    waiting.push(Waiting::Change(reply, reaction, text));
                }
            }
        }
        match crate::metrics::store_call("write", store.write(writes)).await {
            Ok(written) => {
                for (w, done) in waiting.into_iter().zip(written) {
                    out.take(w, done);
                }
            }
            Err(e) => out.fail(waiting, e),
        }
        out.send(&room, &*broadcast, &stored).await;
    }
}

/// Who waits for a write of the turn.
enum Waiting {
    Posts(Vec<PostReply>),
    /// With the reaction it makes, and whether it changes the text.
    Change(ChangeReply, Option<ReactionChange>, bool),
}

/// What one turn of the queue stored: stored in one call to the store,
/// then published in one call, in store order, and answered. Edits and
/// reactions among posts would otherwise split the turn into a commit and
/// a publish each, and every subscriber would wake (and write) that often.
#[derive(Default)]
struct Outbox {
    events: Vec<RoomEvent>,
    /// For the mentions hook: each new or changed message (`true`: changed).
    stored: Vec<(Message, bool)>,
    replies: Vec<Reply>,
}

enum Reply {
    Post(PostReply, Result<Appended, Error>),
    Change(ChangeReply, Result<Option<Message>, Error>),
}

impl Outbox {
    fn take(&mut self, waiting: Waiting, written: Written) {
        match (waiting, written) {
            (Waiting::Posts(replies), Written::Appended(Ok(results))) => {
                let before = self.events.len();
                for (appended, reply) in results.into_iter().zip(replies) {
                    if appended.created {
                        self.events
                            .push(RoomEvent::new(EventKind::Message(appended.message.clone())));
                        self.stored.push((appended.message.clone(), false));
                    }
                    self.replies.push(Reply::Post(reply, Ok(appended)));
                }
                ::metrics::counter!(crate::metrics::MESSAGES_POSTED)
                    .increment((self.events.len() - before) as u64);
            }
            // Archived or deleted: a refusal, not a failure.
            (Waiting::Posts(replies), Written::Appended(Err(e))) => {
                let shared = Arc::new(e);
                for reply in replies {
                    self.replies
                        .push(Reply::Post(reply, Err(Error::from(same(&shared)))));
                }
            }
            (Waiting::Change(reply, reaction, text), Written::Changed(changed)) => {
                if let Some(message) = &changed {
                    if text {
                        self.stored.push((message.clone(), true));
                    }
                    self.events.push(RoomEvent::new(EventKind::Changed {
                        message: message.clone().seen_by(None),
                        reaction,
                    }));
                }
                self.replies.push(Reply::Change(reply, Ok(changed)));
            }
            (Waiting::Posts(replies), Written::Changed(_)) => {
                for reply in replies {
                    let e = Error::Internal("the store answered a post with a change".into());
                    self.replies.push(Reply::Post(reply, Err(e)));
                }
            }
            (Waiting::Change(reply, ..), Written::Appended(_)) => {
                let e = Error::Internal("the store answered a change with posts".into());
                self.replies.push(Reply::Change(reply, Err(e)));
            }
        }
    }

    fn fail(&mut self, waiting: Vec<Waiting>, e: StoreError) {
        tracing::error!(error = ?e, "storing a turn of a room's queue failed");
        let shared = Arc::new(e);
        for w in waiting {
            match w {
                Waiting::Posts(replies) => {
                    for reply in replies {
                        self.replies
                            .push(Reply::Post(reply, Err(Error::Storage(same(&shared)))));
                    }
                }
                Waiting::Change(reply, ..) => {
                    self.replies
                        .push(Reply::Change(reply, Err(Error::Storage(same(&shared)))));
                }
            }
        }
    }

    async fn send(&mut self, room: &RoomName, broadcast: &dyn RoomBroadcast, stored: &OnStored) {
        // Durable already; subscribers that miss these events find the gap
        // (in ids or change numbers) on the next one and fill it from the
        // store. One call, so a remote engine sends it as one unit.
        if !self.events.is_empty()
            && let Err(e) = broadcast
                .publish_many(room, std::mem::take(&mut self.events))
                .await
        {
            tracing::warn!(room = %room, error = %e, "publishing stored messages failed");
        }
        for (message, changed) in self.stored.drain(..) {
            stored(&message, changed);
        }
        for reply in self.replies.drain(..) {
            match reply {
                Reply::Post(tx, done) => {
                    let _ = tx.send(done);
                }
                Reply::Change(tx, done) => {
                    let _ = tx.send(done);
                }
            }
        }
    }
}

/// One store error, told to each of the several it sank: a refusal
/// (`Closed`) stays itself; anything else is shared.
fn same(e: &Arc<StoreError>) -> StoreError {
    match &**e {
        StoreError::Closed { room, erased } => StoreError::Closed {
            room: room.clone(),
            erased: *erased,
        },
        _ => StoreError::Backend(Box::new(SharedStoreError(e.clone()))),
    }
}

type PostReply = oneshot::Sender<Result<Appended, Error>>;
type ChangeReply = oneshot::Sender<Result<Option<Message>, Error>>;

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
