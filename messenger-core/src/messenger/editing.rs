//! The message lifecycle after posting: edits, deletes, the changes a
//! returning client missed, history around a message, and search.

use super::Messenger;
use crate::error::{Error, Result};
use crate::message::{ChangeKind, HistoryQuery, Message, MessageBody, MessageChange, MessageId};
use crate::metrics::store_call;
use crate::moderation::{ModActionKind, NewModAction, Reason};
use crate::room::RoomName;
use crate::search::{SEARCH_PAGE_MAX, SearchHit, SearchPage, SearchQuery};
use crate::user::User;

/// Most changes answered per [`Messenger::changes`] call.
pub const CHANGES_PAGE_MAX: usize = 500;

impl Messenger {
    pub(super) async fn live_message(&self, room: &RoomName, id: MessageId) -> Result<Message> {
        store_call("find_message", self.inner.messages.find_message(room, id))
            .await?
            .filter(|m| !m.is_deleted())
            .ok_or_else(|| Error::NotFound(format!("no message {id} in '{room}'")))
    }

    /// Replaces the body of `user`'s own message `id` in `room`. Everyone
    /// in the room is told at once (a [`Changed`](crate::EventKind::Changed)
    /// event); search and mentions follow the new body. A muted or banned
    /// user cannot edit; a deleted message cannot be edited.
    pub async fn edit_message(
        &self,
        user: &User,
        room: &RoomName,
        id: MessageId,
        body: MessageBody,
    ) -> Result<Message> {
        self.inner.rooms.readable(room, user).await?;
        self.inner.moderation.may_send(user).await?;
        self.inner.rooms.writable(room).await?;
        let message = self.live_message(room, id).await?;
        if message.author.id != user.id {
            return Err(Error::Forbidden(
                "you can only edit your own messages".into(),
            ));
        }
        self.limit("edit", user, self.inner.config.actions.edit)
            .await?;
        Ok(self
            .change(room, id, ChangeKind::Edit(body))
            .await?
            .seen_by(Some(user.id)))
    }

    /// Deletes message `id` of `room`: its author may, and so may any
    /// moderator (recorded in the moderation log with `reason`). The body
    /// is erased from the store; a tombstone keeps the id.
    pub async fn delete_message(
        &self,
        user: &User,
        room: &RoomName,
        id: MessageId,
        reason: Reason,
    ) -> Result<Message> {
        self.inner.rooms.readable(room, user).await?;
        let message = self.live_message(room, id).await?;
        let by_moderator = message.author.id != user.id;
        let moderates = self.inner.moderation.moderates(user).await?;
        if by_moderator && !moderates {
            return Err(Error::Forbidden(
                "you can only delete your own messages".into(),
            ));
        }
        // An archived room stays as it was, but for moderators' deletes.
        if !moderates {
            self.inner.rooms.writable(room).await?;
        }
        self.limit("delete", user, self.inner.config.actions.delete)
            .await?;
        let deleted = self.change(room, id, ChangeKind::Delete).await?;
        if by_moderator {
            self.inner
                .moderation
                .log(NewModAction {
                    at: self.inner.clock.now(),
                    actor: Some(user.id),
                    target: Some(message.author.id),
                    kind: ModActionKind::DeleteMessage {
                        room: room.clone(),
                        message_id: id,
                    },
                    reason,
                })
                .await?;
        }
        Ok(deleted.seen_by(Some(user.id)))
    }

    pub(super) async fn change(
        &self,
        room: &RoomName,
        id: MessageId,
        kind: ChangeKind,
    ) -> Result<Message> {
        let change = MessageChange {
            room: room.clone(),
            id,
            kind,
            at: self.inner.clock.now(),
        };
        self.sequencer(room)
            .change(change)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no message {id} in '{room}'")))
    }

    /// The messages of `room` edited or deleted after change number
    /// `after_rev`, in change order, at most `limit` (1 to
    /// [`CHANGES_PAGE_MAX`]): what a client that was away missed of
    /// messages it already had.
    pub async fn changes(
        &self,
        user: &User,
        room: &RoomName,
        after_rev: u64,
        limit: usize,
    ) -> Result<Vec<Message>> {
        self.inner.rooms.readable(room, user).await?;
        let limit = limit.clamp(1, CHANGES_PAGE_MAX);
        let changed = store_call(
            "changes",
            self.inner.messages.changes(room, after_rev, limit),
        )
        .await?;
        Ok(super::posting::seen_by(changed, user))
    }

    /// The room's newest message id and change number (0, 0 when empty).
    pub async fn room_head(&self, user: &User, room: &RoomName) -> Result<(MessageId, u64)> {
        self.inner.rooms.readable(room, user).await?;
        let head = store_call(
            "room_heads",
            self.inner.messages.room_heads(std::slice::from_ref(room)),
        )
        .await?
        .pop()
        .flatten();
        Ok(head.map_or((MessageId(0), 0), |h| (h.last_id, h.rev)))
    }

    /// About `limit` messages of `room` around `id`, oldest first: for
    /// opening a search result in its room. `limit` as for
    /// [`history`](Self::history).
    pub async fn history_around(
        &self,
        user: &User,
        room: &RoomName,
        id: MessageId,
        limit: usize,
    ) -> Result<Vec<Message>> {
        let (before, after) = HistoryQuery::around(id, limit);
        let mut page = self.history(user, room, before).await?;
        page.extend(self.history(user, room, after).await?);
        Ok(page)
    }

    /// Messages `user` may read that match `query`, newest first, `limit`
    /// (1 to [`SEARCH_PAGE_MAX`]) per page; pass the page's `next` as
    /// `before` for the next one. Never a message of a room they cannot
    /// read; never a deleted one.
    pub async fn search(
        &self,
        user: &User,
        query: &SearchQuery,
        before: Option<u64>,
        limit: usize,
    ) -> Result<SearchPage> {
        if limit == 0 || limit > SEARCH_PAGE_MAX {
            return Err(Error::Invalid(crate::ValidationError::new(
                "limit",
                format!("must be 1 to {SEARCH_PAGE_MAX}"),
            )));
        }
        let rooms = self.inner.rooms.readable_names(user).await?;
        let found = store_call(
            "search",
            self.inner
                .messages
                .search(&rooms, query.terms(), before, limit),
        )
        .await?;
        let next = (found.len() == limit)
            .then(|| found.last().map(|(c, _)| *c))
            .flatten();
        let hits = found
            .into_iter()
            .map(|(_, message)| SearchHit {
                highlights: query.highlights(message.body.as_str()),
                message: message.seen_by(Some(user.id)),
            })
            .collect();
        Ok(SearchPage { hits, next })
    }
}
