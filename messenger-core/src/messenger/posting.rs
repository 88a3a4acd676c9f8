//! Posting and history: each room's sequencer stores posts in batches
//! and publishes them in id order.

use std::sync::Arc;

use super::Messenger;
use crate::error::{Error, Result};
use crate::message::{
    ClientId, HistoryQuery, Message, MessageBody, MessageId, NewMessage, Posted, ReplyTo,
};
use crate::metrics::{self, store_call};
use crate::room::RoomName;
use crate::sequencer::{PendingPost, RoomSequencer};
use crate::user::{User, UserId};

impl Messenger {
    /// Stores a message and then broadcasts it to the room. Posting the same
    /// `client_id` again returns the stored message with `created: false`
    /// and stores and broadcasts nothing.
    pub async fn post(
        &self,
        author: &User,
        room: &RoomName,
        body: MessageBody,
        client_id: ClientId,
    ) -> Result<Posted> {
        self.enqueue_post(author, room, body, client_id)
            .await?
            .await
    }

    /// [`post`](Self::post) in two steps, for a caller that keeps several
    /// posts in flight (a WebSocket connection pipelining a client's
    /// sends): this returns as soon as the room's queue took the post, and
    /// posts enqueued one after another get ids in that order. Awaiting the
    /// [`PendingPost`] gives what `post` would have returned.
    pub async fn enqueue_post(
        &self,
        author: &User,
        room: &RoomName,
        body: MessageBody,
        client_id: ClientId,
    ) -> Result<PendingPost> {
        self.enqueue(author, room, body, client_id, None).await
    }

    /// [`post`](Self::post) of a reply to message `to` of the same room:
    /// the reply carries what it answers ([`Message::reply_to`]). `to`
    /// must be there and not deleted (else [`Error::NotFound`]).
    pub async fn reply(
        &self,
        author: &User,
        room: &RoomName,
        body: MessageBody,
        client_id: ClientId,
        to: MessageId,
    ) -> Result<Posted> {
        self.enqueue_reply(author, room, body, client_id, to)
            .await?
            .await
    }

    /// [`reply`](Self::reply) in two steps, as [`enqueue_post`](Self::enqueue_post).
    pub async fn enqueue_reply(
        &self,
        author: &User,
        room: &RoomName,
        body: MessageBody,
        client_id: ClientId,
        to: MessageId,
    ) -> Result<PendingPost> {
        self.enqueue(author, room, body, client_id, Some(to)).await
    }

    async fn enqueue(
        &self,
        author: &User,
        room: &RoomName,
        body: MessageBody,
        client_id: ClientId,
        reply_to: Option<MessageId>,
    ) -> Result<PendingPost> {
        let kind = self.inner.rooms.readable(room, author).await?;
        self.inner.moderation.may_send(author).await?;
        if kind == crate::RoomKind::Direct {
            self.inner.rooms.before_direct_message(room, author).await?;
        }
        self.limit("send", author, self.inner.config.send_rate.map(Into::into))
            .await?;
        let reply_to = match reply_to {
            Some(id) => Some(Box::new(ReplyTo::of(&self.live_message(room, id).await?))),
            None => None,
        };
        self.sequencer(room)
            .enqueue(NewMessage {
                room: room.clone(),
                author: author.clone(),
                body,
                client_id,
                sent_at: self.inner.clock.now(),
                reply_to,
            })
            .await
    }

    /// Takes one of `user`'s tokens for `scope`, or refuses with how long to
    /// wait. Counted by the shared [`RateCounter`](crate::RateCounter), so
    /// the limit holds across a cluster's nodes.
    pub(super) async fn limit(
        &self,
        scope: &'static str,
        user: &User,
        quota: Option<crate::RateQuota>,
    ) -> Result<()> {
        let Some(quota) = quota else {
            return Ok(());
        };
        self.inner
            .rates
            .take(scope, &user.id.0.to_string(), quota)
            .await
            .map_err(|retry_after| {
                metrics::rate_limited(scope);
                Error::RateLimited { retry_after }
            })
    }

    pub(super) fn sequencer(&self, room: &RoomName) -> RoomSequencer {
        let mut sequencers = self
            .inner
            .sequencers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        sequencers
            .entry(room.clone())
            .or_insert_with(|| {
                let rooms = self.inner.rooms.clone();
                RoomSequencer::spawn(
                    room.clone(),
                    self.inner.messages.clone(),
                    self.inner.broadcast.clone(),
                    self.inner.config.max_batch,
                                        // Only a body with an '@' can mention anyone: the rest
                    // cost one byte scan. An edit or delete may also take
                    // mentions away, so changes always go through.
                    Arc::new(move |m: &Message, changed: bool| {
                        if changed || m.body.as_str().contains('@') {
                            let (rooms, m) = (rooms.clone(), m.clone());
                            tokio::spawn(async move {
                                let done = if changed {
                                    rooms.remention(&m).await
                                } else {
                                    rooms.mentions(&m).await
                                };
                                if let Err(e) = done {
                                    tracing::warn!(room = %m.room, error = %e, "recording mentions failed");
                                }
                            });
                        }
                    }),
                )
            })
            .clone()
    }

    /// One page of a room's history, oldest first. `query.limit` must be
    /// within 1 and [`Limits::history_max`](crate::Limits::history_max).
    pub async fn history(
        &self,
        user: &User,
        room: &RoomName,
        query: HistoryQuery,
    ) -> Result<Vec<Message>> {
        self.inner.rooms.readable(room, user).await?;
        let max = self.inner.config.limits.history_max;
        if query.limit == 0 || query.limit > max {
            return Err(Error::Invalid(crate::ValidationError::new(
                "limit",
                format!("must be 1 to {max}"),
            )));
        }
        let page = store_call("history", self.inner.messages.history(room, query)).await?;
        Ok(seen_by(page, user))
    }

    /// The message `author` posted with `client_id`, if any.
    pub async fn find_posted(
        &self,
        author: UserId,
        client_id: &ClientId,
    ) -> Result<Option<Message>> {
        Ok(self
            .inner
            .messages
            .find_by_client_id(author, client_id)
            .await?
            .map(|m| m.seen_by(Some(author))))
    }
}

/// `messages` as `user` sees them (their reactions marked, who reacted left
/// out); the common page has no reactions and costs one pass.
pub(super) fn seen_by(mut messages: Vec<Message>, user: &User) -> Vec<Message> {
    for m in messages.iter_mut().filter(|m| !m.reactions.is_empty()) {
        crate::reaction::seen_by(&mut m.reactions, Some(user.id));
    }
    messages
}
