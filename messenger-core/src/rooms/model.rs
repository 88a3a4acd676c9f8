//! Rooms as data: what a room is, and what one user sees of it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::ValidationError;
use crate::message::MessageId;
use crate::room::RoomName;
use crate::user::{User, UserId};

/// Who may read a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    /// Anyone may read, join and post; listed in the directory.
    Public,
    /// Members only; to everyone else it does not exist.
    Private,
    /// A conversation of exactly two users; to everyone else it does not exist.
    Direct,
}

impl RoomKind {
    /// The kind's name on the wire and in stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
            Self::Direct => "direct",
        }
    }

    /// The kind named `s` by [`as_str`](Self::as_str).
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Self::Public),
            "private" => Some(Self::Private),
            "direct" => Some(Self::Direct),
            _ => None,
        }
    }

    /// Whether only members may read the room.
    pub fn members_only(self) -> bool {
        !matches!(self, Self::Public)
    }
}

/// A room's display title: 1-80 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RoomTitle(String);

impl RoomTitle {
    /// Longest title, in characters.
    pub const MAX_CHARS: usize = 80;

    /// Validates `raw` (trimmed).
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let t = raw.trim();
        crate::text::check("title", t, 1..=Self::MAX_CHARS, false)?;
        Ok(Self(t.to_owned()))
    }

    /// Rebuilds a title read back from a trusted store, without checks.
    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    /// The title.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A room's topic: 0-500 characters, no control characters but `\n`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct RoomTopic(String);

impl RoomTopic {
    /// Longest topic, in characters.
    pub const MAX_CHARS: usize = 500;

    /// Validates `raw` (trimmed; empty is allowed).
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let t = raw.trim();
        crate::text::check("topic", t, 0..=Self::MAX_CHARS, true)?;
        Ok(Self(t.to_owned()))
    }

    /// Rebuilds a topic read back from a trusted store, without checks.
    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    /// The topic.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A room as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Room {
    /// Its unique name (the v1 room grammar), in URLs and frames.
    pub name: RoomName,
    /// What people see.
    pub title: RoomTitle,
    /// What it is about.
    pub topic: RoomTopic,
    /// Who may read it.
    pub kind: RoomKind,
    /// Who created it (`None` for rooms the server or host code made).
    pub created_by: Option<UserId>,
    /// When.
    #[serde(with = "crate::clock::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When it was archived: since then it is read-only. `None` (and absent
    /// on the wire) while it is open.
    #[serde(
        with = "crate::clock::rfc3339_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub archived_at: Option<DateTime<Utc>>,
}

/// A room to create, for [`Messenger::create_room`](crate::Messenger::create_room).
#[derive(Debug, Clone)]
pub struct NewRoom {
    /// Its name (not starting with `dm-`, which direct conversations own).
    pub name: RoomName,
    /// Its title.
    pub title: RoomTitle,
    /// Its topic.
    pub topic: RoomTopic,
    /// Public or private (not direct: see [`Messenger::open_direct`](crate::Messenger::open_direct)).
    pub private: bool,
}

/// One room of a user's list, with that user's unread state. Ids are dense
/// per room, so `unread` is `last_id - last_read`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MyRoom {
    /// The room.
    #[serde(flatten)]
    pub room: Room,
    /// The newest message id (0 for an empty room).
    pub last_id: MessageId,
    /// The newest id this user has read.
    pub last_read: MessageId,
    /// Messages after `last_read`.
    pub unread: u64,
    /// Messages after `last_read` that mention this user.
    pub mentions: u64,
    /// For a direct conversation, the other user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<User>,
}

/// A public room as the directory lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectoryEntry {
    /// The room.
    #[serde(flatten)]
    pub room: Room,
    /// How many members it has.
    pub member_count: u64,
    /// When its newest message was sent, if it has any.
    #[serde(with = "crate::clock::rfc3339_opt")]
    pub last_activity: Option<DateTime<Utc>>,
}

/// A member's read state as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadState {
    /// The newest id the member has read.
    pub last_read: MessageId,
    /// Mentions of the member after `last_read`.
    pub mentions: u64,
}

/// A room of a member's list as the store answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The room.
    pub room: Room,
    /// The member's read state in it.
    pub read: ReadState,
}

/// Who may create rooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoomCreation {
    /// Every user (the default).
    #[default]
    Anyone,
    /// Moderators and admins (and host code); other users get `forbidden`.
    Moderators,
    /// Only host code through [`Messenger::create_room`](crate::Messenger::create_room)
    /// with no creator; users get `forbidden`.
    Nobody,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_topics() {
        assert_eq!(
            RoomTitle::parse("  Rust fans ").unwrap().as_str(),
            "Rust fans"
        );
        assert!(RoomTitle::parse("").is_err());
        assert!(RoomTitle::parse("   ").is_err());
        assert!(RoomTitle::parse(&"t".repeat(81)).is_err());
        assert!(RoomTitle::parse("a\u{7}").is_err());
        assert!(RoomTopic::parse("").is_ok());
        assert!(RoomTopic::parse("line one\nline two").is_ok());
        assert!(RoomTopic::parse(&"t".repeat(501)).is_err());
        assert!(RoomTopic::parse("bell\u{7}").is_err());
    }
}
