//! Rooms as data: what a room is, what one user sees of it, and invites
//! to it.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::message::MessageId;
use crate::room::RoomName;
use crate::session::TokenHash;
use crate::user::{User, UserId};
use crate::validation::ValidationError;

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

/// An invite's secret: 128 random bits, base64url (22 characters). Never
/// printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct InviteCode(String);

impl InviteCode {
    const LEN: usize = 22;

    /// A fresh random code from the OS generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Validates a code from a link.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok = raw.len() == Self::LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(ValidationError::new("code", "is not an invite code"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The code, to put in the link.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash stores keep instead of the code.
    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

impl std::fmt::Debug for InviteCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InviteCode(<redacted>)")
    }
}

/// How long an invite lasts and how often it may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InviteTerms {
    /// It expires this long after it was made; `None`: never.
    pub expires_in: Option<Duration>,
    /// It may make this many members; `None`: any number.
    pub max_uses: Option<u32>,
}

impl InviteTerms {
    /// Shortest lifetime: 5 minutes.
    pub const MIN_LIFETIME: Duration = Duration::from_secs(5 * 60);
    /// Longest lifetime with an expiry: 30 days.
    pub const MAX_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
    /// Most uses an invite with a limit may have.
    pub const MAX_USES: u32 = 1000;

    /// The default lifetime: a week.
    pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

    /// Validates terms from a client: a lifetime in seconds (absent: the
    /// default week; 0: never expires) and a use count (absent: any).
    pub fn parse(
        expires_in_secs: Option<u64>,
        max_uses: Option<u32>,
    ) -> Result<Self, ValidationError> {
        let expires_in = match expires_in_secs {
            None => Some(Self::DEFAULT_LIFETIME),
            Some(0) => None,
            Some(secs) => Some(Duration::from_secs(secs)),
        };
        if expires_in.is_some_and(|d| !(Self::MIN_LIFETIME..=Self::MAX_LIFETIME).contains(&d)) {
            return Err(ValidationError::new(
                "expires_in",
                "must be from 300 seconds (5 minutes) to 2592000 (30 days), or 0 for never",
            ));
        }
        if max_uses.is_some_and(|n| !(1..=Self::MAX_USES).contains(&n)) {
            return Err(ValidationError::new(
                "max_uses",
                "must be from 1 to 1000, or absent for any number",
            ));
        }
        Ok(Self {
            expires_in,
            max_uses,
        })
    }
}

impl Default for InviteTerms {
    /// A week, any number of uses.
    fn default() -> Self {
        Self {
            expires_in: Some(Self::DEFAULT_LIFETIME),
            max_uses: None,
        }
    }
}

/// An invite to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvite {
    /// The room it opens.
    pub room: RoomName,
    /// The hash of its code.
    pub hash: TokenHash,
    /// Who made it.
    pub created_by: UserId,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// How many members it may make, if limited.
    pub max_uses: Option<u32>,
}

/// An invite as stored and listed (never with its code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invite {
    /// Its id, to revoke it by.
    pub id: u64,
    /// The room it opens.
    pub room: RoomName,
    /// Who made it.
    pub created_by: User,
    /// When.
    #[serde(with = "crate::clock::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When it stops working; `null`: never.
    #[serde(with = "crate::clock::rfc3339_opt")]
    pub expires_at: Option<DateTime<Utc>>,
    /// How many members it may make; `null`: any number.
    pub max_uses: Option<u32>,
    /// How many it has made.
    pub uses: u32,
}

impl Invite {
    /// Why it cannot be used at `now`, if it cannot.
    pub(super) fn unusable_at(&self, now: DateTime<Utc>) -> Option<&'static str> {
        if self.expires_at.is_some_and(|at| at <= now) {
            Some("this invite has expired")
        } else if self.max_uses.is_some_and(|n| self.uses >= n) {
            Some("this invite has been used up")
        } else {
            None
        }
    }
}

/// A fresh invite with the code for its link (shown this once).
#[derive(Debug, Clone)]
pub struct CreatedInvite {
    /// The invite.
    pub invite: Invite,
    /// Its code.
    pub code: InviteCode,
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

    #[test]
    fn codes_and_terms() {
        let code = InviteCode::generate();
        assert_eq!(code.expose().len(), 22);
        assert_eq!(InviteCode::parse(code.expose()).unwrap(), code);
        assert!(InviteCode::parse("short").is_err());
        assert!(InviteCode::parse(&"a".repeat(21).replace('a', "%")).is_err());
        assert!(!format!("{code:?}").contains(code.expose()));
        assert!(InviteTerms::parse(Some(299), None).is_err());
        assert!(InviteTerms::parse(Some(2_592_001), None).is_err());
        assert!(InviteTerms::parse(Some(300), Some(0)).is_err());
        assert!(InviteTerms::parse(None, Some(1001)).is_err());
        let t = InviteTerms::parse(Some(3600), Some(1)).unwrap();
        assert_eq!(t.expires_in, Some(Duration::from_secs(3600)));
        assert_eq!(t.max_uses, Some(1));
        assert_eq!(
            InviteTerms::parse(None, None).unwrap(),
            InviteTerms::default()
        );
        assert_eq!(InviteTerms::parse(Some(0), None).unwrap().expires_in, None);
    }
}
