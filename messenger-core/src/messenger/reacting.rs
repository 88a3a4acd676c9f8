//! Reactions: adding and removing one's own, and who reacted.

use super::Messenger;
use crate::error::{Error, Result};
use crate::message::{ChangeKind, Message, MessageId};
use crate::reaction::ReactionKey;
use crate::room::RoomName;
use crate::user::User;

/// Who reacted with one key to a message, from [`Messenger::reactions`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reactors {
    /// The emoji or `:name:`.
    pub key: ReactionKey,
    /// How many.
    pub count: u64,
    /// Whether the asker is among them.
    pub me: bool,
    /// Who, in the order they reacted.
    pub users: Vec<User>,
}

impl Messenger {
    /// `user` adds (`on`) or removes their reaction `key` on message `id`
    /// of `room`, and answers the message as they see it. Everyone in the
    /// room is told (a [`Changed`](crate::EventKind::Changed) event with the
    /// reaction). Adding one already there, or removing one that is not,
    /// changes nothing and tells nobody. Muted and banned users cannot
    /// react; a deleted message has no reactions; a message holds at most
    /// [`Limits::reaction_keys`](crate::Limits::reaction_keys) different
    /// keys.
    pub async fn react(
        &self,
        user: &User,
        room: &RoomName,
        id: MessageId,
        key: ReactionKey,
        on: bool,
    ) -> Result<Message> {
        self.inner.rooms.readable(room, user).await?;
        self.inner.moderation.may_send(user).await?;
        self.inner.rooms.writable(room).await?;
        let message = self.live_message(room, id).await?;
        let existing = message.reactions.iter().find(|r| r.key == key);
        let mine = existing.is_some_and(|r| r.users.iter().any(|u| u.id == user.id));
        if mine == on {
            return Ok(message.seen_by(Some(user.id)));
        }
        if on && existing.is_none() {
            let max = self.inner.config.limits.reaction_keys;
            if message.reactions.len() >= max {
                return Err(Error::Invalid(crate::ValidationError::too_large(
                    "key",
                    format!("a message holds at most {max} different reactions"),
                )));
            }
        }
        self.limit("react", user, self.inner.config.actions.react)
            .await?;
        let kind = ChangeKind::React {
            user: user.clone(),
            key,
            on,
        };
        Ok(self.change(room, id, kind).await?.seen_by(Some(user.id)))
    }

    /// Who reacted to message `id` of `room`, key by key, in the order of
    /// [`Message::reactions`]. Read access needed; a deleted message has none.
    pub async fn reactions(
        &self,
        user: &User,
        room: &RoomName,
        id: MessageId,
    ) -> Result<Vec<Reactors>> {
        self.inner.rooms.readable(room, user).await?;
        let message = self.live_message(room, id).await?;
        Ok(message
            .reactions
            .into_iter()
            .map(|r| Reactors {
                me: r.users.iter().any(|u| u.id == user.id),
                key: r.key,
                count: r.count,
                users: r.users,
            })
            .collect())
    }
}
