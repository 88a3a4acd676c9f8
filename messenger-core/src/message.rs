//! Messages: ids, bodies, client ids and history queries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::config::Limits;
use crate::reaction::{Reaction, ReactionKey};
use crate::room::RoomName;
use crate::user::User;
use crate::validation::ValidationError;

/// A message id. Ids are dense and grow strictly within a room: 1, 2, 3, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub u64);

impl MessageId {
    /// The id after this one.
    pub fn next(self) -> Self {
        Self(self.0 + 1)
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A message body: trimmed, 1 to `limits.body_chars` scalar values, no
/// control characters but `\n` and `\t`. `\r\n` is taken as `\n`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MessageBody(String);

impl MessageBody {
    /// Normalises and validates `raw`.
    pub fn parse(raw: &str, limits: &Limits) -> Result<Self, ValidationError> {
        let normalised = raw.replace("\r\n", "\n");
        let body = normalised.trim();
        if body.is_empty() {
            return Err(ValidationError::new("body", "must not be empty"));
        }
        let len = body.chars().count();
        if len > limits.body_chars {
            return Err(ValidationError::too_large(
                "body",
                format!("must be at most {} characters", limits.body_chars),
            ));
        }
        if let Some(bad) = body
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
        {
            return Err(ValidationError::new(
                "body",
                format!("must not contain control character U+{:04X}", bad as u32),
            ));
        }
        crate::text::check_bidi("body", body)?;
        Ok(Self(body.to_owned()))
    }

    /// Rebuilds a body read back from a trusted store, without checks.
    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    /// The empty body of a deleted message.
    pub fn erased() -> Self {
        Self(String::new())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The sender's own id for a message, 1 to `limits.client_id_chars`
/// characters without control characters. A repeated `(author, client_id)`
/// is a retry of the same message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ClientId(String);

impl ClientId {
    /// Validates `raw` against `limits`.
    pub fn parse(raw: &str, limits: &Limits) -> Result<Self, ValidationError> {
        crate::text::check("client_id", raw, 1..=limits.client_id_chars, false)?;
        Ok(Self(raw.to_owned()))
    }

    /// Rebuilds a client id read back from a trusted store, without checks.
    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// Id within its room.
    pub id: MessageId,
    /// The room it was posted to.
    pub room: RoomName,
    /// Who posted it.
    pub author: User,
    /// The text.
    pub body: MessageBody,
    /// When the server accepted it (millisecond precision).
    #[serde(with = "crate::clock::rfc3339")]
    pub sent_at: DateTime<Utc>,
    /// The sender's id for it.
    pub client_id: ClientId,
    /// When its author last edited it (absent if never).
    #[serde(
        with = "crate::clock::rfc3339_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub edited_at: Option<DateTime<Utc>>,
    /// When it was deleted (absent if it was not). A deleted message keeps
    /// its id, author and time as a tombstone; its body is gone (empty).
    #[serde(
        with = "crate::clock::rfc3339_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted_at: Option<DateTime<Utc>>,
    /// The room's change number of its last edit or delete (0 if none): see
    /// [`MessageStore::change`](crate::store::MessageStore::change).
    #[serde(skip_serializing_if = "is_zero")]
    pub rev: u64,
    /// Its reactions, keys in the order of their earliest reaction (absent
    /// when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// The message it answers, as that one is now (absent when it answers
    /// none).
    /// (Boxed: most messages answer none, and a message travels by value
    /// through every queue.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Box<ReplyTo>>,
    /// When and by whom it was pinned to its room (absent when it is not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<Box<Pinned>>,
}

/// A message's pin: see [`Messenger::pin`](crate::Messenger::pin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pinned {
    /// When.
    #[serde(with = "crate::clock::rfc3339")]
    pub at: DateTime<Utc>,
    /// By whom.
    pub by: User,
}

/// Most characters of a message shown in a reply to it ([`ReplyTo::excerpt`]).
pub const EXCERPT_CHARS: usize = 100;

/// What a reply shows of the message it answers. Stores compute it when
/// they read the reply, from the answered message as it is then, so it
/// follows that message's edits and delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplyTo {
    /// The answered message's id (same room).
    pub id: MessageId,
    /// Its author.
    pub author: User,
    /// The start of its body: at most [`EXCERPT_CHARS`] characters; empty
    /// when it was deleted.
    pub excerpt: String,
    /// Whether it was deleted since.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

impl ReplyTo {
    /// What a reply to `m` shows of it.
    pub fn of(m: &Message) -> Self {
        Self::from_parts(m.id, m.author.clone(), m.body.as_str(), m.is_deleted())
    }

    /// Built by a store from the answered message's columns.
    pub fn from_parts(id: MessageId, author: User, body: &str, deleted: bool) -> Self {
        Self {
            id,
            author,
            excerpt: if deleted {
                String::new()
            } else {
                body.chars().take(EXCERPT_CHARS).collect()
            },
            deleted,
        }
    }
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl Message {
    /// A message as it was just posted: never edited, not deleted.
    pub fn posted(new: NewMessage, id: MessageId) -> Self {
        Self {
            id,
            room: new.room,
            author: new.author,
            body: new.body,
            sent_at: new.sent_at,
            client_id: new.client_id,
            edited_at: None,
            deleted_at: None,
            rev: 0,
            reactions: Vec::new(),
            reply_to: new.reply_to,
            pinned: None,
        }
    }

    /// Whether it was deleted (a tombstone without a body).
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// The message as `viewer` sees it ([`Reaction::me`] theirs), or as a
    /// room's stream carries it (`None`): who reacted is left out.
    pub fn seen_by(mut self, viewer: Option<crate::UserId>) -> Self {
        crate::reaction::seen_by(&mut self.reactions, viewer);
        self
    }
}

/// What happens to a stored message: see [`MessageStore::change`](crate::store::MessageStore::change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// Its body is replaced.
    Edit(MessageBody),
    /// Its body is erased and it becomes a tombstone; its reactions and
    /// its pin go.
    Delete,
    /// `by` pins it to its room (`pinned`) or unpins it.
    Pin {
        /// Who.
        by: User,
        /// Pinned or unpinned.
        pinned: bool,
    },
    /// `user` adds (`on`) or removes their reaction `key`. Adding one
    /// already there or removing one that is not changes nothing, but
    /// still takes a change number.
    React {
        /// Who.
        user: User,
        /// The emoji or `:name:`.
        key: ReactionKey,
        /// Added or removed.
        on: bool,
    },
}

/// A change to message `id` of `room`, made at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageChange {
    /// The room.
    pub room: RoomName,
    /// The message.
    pub id: MessageId,
    /// Edit or delete.
    pub kind: ChangeKind,
    /// When.
    pub at: DateTime<Utc>,
}

/// A message to be stored; the store assigns its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// Target room.
    pub room: RoomName,
    /// Author.
    pub author: User,
    /// Text.
    pub body: MessageBody,
    /// Sender's id, for idempotent retries.
    pub client_id: ClientId,
    /// Acceptance time.
    pub sent_at: DateTime<Utc>,
    /// The message of the same room it answers, as it was when this was
    /// accepted (stores keep its id; they read it back as it is then).
    pub reply_to: Option<Box<ReplyTo>>,
}

/// What storing a [`NewMessage`] gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The stored message (the earlier one for a retry).
    pub message: Message,
    /// `false` when `(author, client_id)` was already stored and nothing new was written.
    pub created: bool,
}

/// The result of [`Messenger::post`](crate::Messenger::post).
#[derive(Debug, Clone)]
pub struct Posted {
    /// The stored message.
    pub message: Message,
    /// `false` for a retry of an already stored message.
    pub created: bool,
}

/// Which page of a room's history to read. Pages are always returned
/// oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryQuery {
    /// Only messages with a smaller id.
    pub before: Option<MessageId>,
    /// Only messages with a larger id. When set, the page starts right after
    /// it (catching up); otherwise the page is the newest that matches.
    pub after: Option<MessageId>,
    /// Page size; the service bounds it by [`Limits::history_max`].
    pub limit: usize,
}

impl HistoryQuery {
    /// The newest `limit` messages.
    pub fn latest(limit: usize) -> Self {
        Self {
            before: None,
            after: None,
            limit,
        }
    }

    /// The `limit` messages right before `id`.
    pub fn before(id: MessageId, limit: usize) -> Self {
        Self {
            before: Some(id),
            after: None,
            limit,
        }
    }

    /// About `limit` messages around `id`: up to half of them before it,
    /// and it with the rest after. Served as two queries by
    /// [`Messenger::history_around`](crate::Messenger::history_around).
    pub fn around(id: MessageId, limit: usize) -> (Self, Self) {
        let before = limit / 2;
        (
            Self::before(id, before.max(1)),
            Self::after(MessageId(id.0.saturating_sub(1)), (limit - before).max(1)),
        )
    }

    /// The `limit` messages right after `id`.
    pub fn after(id: MessageId, limit: usize) -> Self {
        Self {
            before: None,
            after: Some(id),
            limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_trimmed_and_crlf_normalised() {
        let l = Limits::default();
        assert_eq!(
            MessageBody::parse("  hi\r\nthere \n", &l).unwrap().as_str(),
            "hi\nthere"
        );
    }

    #[test]
    fn body_must_not_be_blank() {
        let l = Limits::default();
        for blank in ["", "   ", "\n\t "] {
            assert!(MessageBody::parse(blank, &l).is_err(), "{blank:?}");
        }
    }

    #[test]
    fn body_limit_counts_scalar_values_after_trimming() {
        let l = Limits::default();
        assert!(MessageBody::parse(&"é".repeat(4000), &l).is_ok());
        let padded = format!("  {}  ", "x".repeat(4000));
        assert!(MessageBody::parse(&padded, &l).is_ok());
        let err = MessageBody::parse(&"😀".repeat(4001), &l).unwrap_err();
        assert!(err.too_large);
    }

    #[test]
    fn body_control_characters() {
        let l = Limits::default();
        assert!(MessageBody::parse("tab\there\nnewline", &l).is_ok());
        for bad in [
            "bell\u{7}",
            "nul\0",
            "esc\u{1b}[31m",
            "cr\ronly",
            "del\u{7f}",
        ] {
            let err = MessageBody::parse(bad, &l).unwrap_err();
            assert!(!err.too_large, "{bad:?}");
        }
    }

    #[test]
    fn client_id_rules() {
        let l = Limits::default();
        assert!(ClientId::parse("a", &l).is_ok());
        assert!(ClientId::parse(&"c".repeat(64), &l).is_ok());
        assert!(ClientId::parse("", &l).is_err());
        assert!(ClientId::parse(&"c".repeat(65), &l).is_err());
        assert!(ClientId::parse("a\nb", &l).is_err());
    }
}
