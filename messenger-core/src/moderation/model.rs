//! What moderation knows about a user, and the log of what moderators did.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::message::MessageId;
use crate::room::RoomName;
use crate::user::{User, UserId};
use crate::validation::ValidationError;

/// What a user may do beyond chatting. Ordered: `Member < Moderator < Admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everyone.
    #[default]
    Member,
    /// Deletes any message; mutes, bans and unbans members.
    Moderator,
    /// A moderator who also grants and revokes roles and reads the moderation log.
    Admin,
}

impl Role {
    /// The role's name on the wire and in stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Moderator => "moderator",
            Self::Admin => "admin",
        }
    }

    /// Whether this role moderates (moderator or admin).
    pub fn moderates(self) -> bool {
        self >= Self::Moderator
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "member" => Ok(Self::Member),
            "moderator" => Ok(Self::Moderator),
            "admin" => Ok(Self::Admin),
            _ => Err(ValidationError::new(
                "role",
                "must be one of member, moderator, admin",
            )),
        }
    }
}

/// The longest [`Reason`], in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// A moderator's stated reason: trimmed, at most [`MAX_REASON_CHARS`]
/// characters, no control characters; may be empty.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct Reason(String);

impl Reason {
    /// Validates `raw`.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let raw = raw.trim();
        crate::text::check("reason", raw, 0..=MAX_REASON_CHARS, false)?;
        Ok(Self(raw.to_owned()))
    }

    /// Rebuilds a reason read back from a trusted store, without checks.
    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A ban in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ban {
    /// Why.
    pub reason: Reason,
    /// Since when.
    #[serde(with = "crate::clock::rfc3339")]
    pub at: DateTime<Utc>,
}

/// A user's standing: role, mute and ban.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Standing {
    /// Their role.
    pub role: Role,
    /// Their sends are refused until then (it may lie in the past).
    #[serde(with = "crate::clock::rfc3339_opt")]
    pub muted_until: Option<DateTime<Utc>>,
    /// The ban in force, if any.
    pub ban: Option<Ban>,
}

impl Standing {
    /// The end of a mute still in force at `now`.
    pub fn muted_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.muted_until.filter(|until| *until > now)
    }
}

/// One change to a user's standing, applied by
/// [`ModerationStore::moderate`](crate::store::ModerationStore::moderate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StandingChange {
    /// Sets the role.
    Role(Role),
    /// Sets (or with `None` lifts) a mute.
    Mute(Option<DateTime<Utc>>),
    /// Sets (or with `None` lifts) a ban.
    Ban(Option<Ban>),
}

/// What a moderation action did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ModActionKind {
    /// Gave the target a role.
    Role {
        /// The new role.
        role: Role,
    },
    /// Muted the target.
    Mute {
        /// Until when.
        #[serde(with = "crate::clock::rfc3339")]
        until: DateTime<Utc>,
    },
    /// Lifted a mute.
    Unmute,
    /// Banned the target.
    Ban,
    /// Lifted a ban.
    Unban,
    /// Deleted a message of the target's.
    DeleteMessage {
        /// Its room.
        room: RoomName,
        /// Its id.
        message_id: MessageId,
    },
    /// Archived a room (no target).
    ArchiveRoom {
        /// The room.
        room: RoomName,
    },
    /// Opened an archived room again (no target).
    UnarchiveRoom {
        /// The room.
        room: RoomName,
    },
    /// Deleted a room and erased its messages (no target).
    DeleteRoom {
        /// The room.
        room: RoomName,
    },
    /// Pinned a message of the target's to its room.
    PinMessage {
        /// Its room.
        room: RoomName,
        /// Its id.
        message_id: MessageId,
    },
    /// Unpinned a message of the target's.
    UnpinMessage {
        /// Its room.
        room: RoomName,
        /// Its id.
        message_id: MessageId,
    },
}

/// A [`ModActionKind`] as the columns stores keep it in, so that every
/// store maps it the same way (and a new kind is added here once).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModActionColumns {
    /// The kind's name: `role`, `mute`, `unmute`, `ban`, `unban`,
    /// `delete_message`, `archive_room`, `unarchive_room`, `delete_room`,
    /// `pin_message`, `unpin_message`.
    pub action: &'static str,
    /// A role's name, for `role`.
    pub role: Option<&'static str>,
    /// The end of a mute.
    pub until: Option<DateTime<Utc>>,
    /// The room, for the kinds about a room or a message.
    pub room: Option<RoomName>,
    /// The message, for `delete_message`, `pin_message`, `unpin_message`.
    pub message_id: Option<MessageId>,
}

impl ModActionKind {
    /// The columns to store.
    pub fn to_columns(&self) -> ModActionColumns {
        let (action, room) = match self {
            Self::Role { role } => {
                return ModActionColumns {
                    action: "role",
                    role: Some(role.as_str()),
                    ..Default::default()
                };
            }
            Self::Mute { until } => {
                return ModActionColumns {
                    action: "mute",
                    until: Some(*until),
                    ..Default::default()
                };
            }
            Self::Unmute => ("unmute", None),
            Self::Ban => ("ban", None),
            Self::Unban => ("unban", None),
            Self::DeleteMessage { room, message_id }
            | Self::PinMessage { room, message_id }
            | Self::UnpinMessage { room, message_id } => {
                let action = match self {
                    Self::PinMessage { .. } => "pin_message",
                    Self::UnpinMessage { .. } => "unpin_message",
                    _ => "delete_message",
                };
                return ModActionColumns {
                    action,
                    room: Some(room.clone()),
                    message_id: Some(*message_id),
                    ..Default::default()
                };
            }
            Self::ArchiveRoom { room } => ("archive_room", Some(room.clone())),
            Self::UnarchiveRoom { room } => ("unarchive_room", Some(room.clone())),
            Self::DeleteRoom { room } => ("delete_room", Some(room.clone())),
        };
        ModActionColumns {
            action,
            room,
            ..Default::default()
        }
    }

    /// The kind stored as `action` with its columns; `None` for columns no
    /// version of [`to_columns`](Self::to_columns) wrote.
    pub fn from_columns(
        action: &str,
        role: Option<&str>,
        until: Option<DateTime<Utc>>,
        room: Option<String>,
        message_id: Option<MessageId>,
    ) -> Option<Self> {
        let room = room.map(RoomName::from_trusted);
        Some(match action {
            "role" => Self::Role {
                role: role?.parse().ok()?,
            },
            "mute" => Self::Mute { until: until? },
            "unmute" => Self::Unmute,
            "ban" => Self::Ban,
            "unban" => Self::Unban,
            "delete_message" => Self::DeleteMessage {
                room: room?,
                message_id: message_id?,
            },
            "pin_message" => Self::PinMessage {
                room: room?,
                message_id: message_id?,
            },
            "unpin_message" => Self::UnpinMessage {
                room: room?,
                message_id: message_id?,
            },
            "archive_room" => Self::ArchiveRoom { room: room? },
            "unarchive_room" => Self::UnarchiveRoom { room: room? },
            "delete_room" => Self::DeleteRoom { room: room? },
            _ => return None,
        })
    }
}

/// An action to record in the moderation log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewModAction {
    /// When.
    pub at: DateTime<Utc>,
    /// Who did it; `None` for the command line.
    pub actor: Option<UserId>,
    /// To whom; `None` for an action on a room.
    pub target: Option<UserId>,
    /// What.
    pub kind: ModActionKind,
    /// Why.
    pub reason: Reason,
}

/// A recorded moderation action, as admins read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModAction {
    /// Its place in the log (grows with time).
    pub id: u64,
    /// When.
    #[serde(with = "crate::clock::rfc3339")]
    pub at: DateTime<Utc>,
    /// Who did it; `None` for the command line.
    pub actor: Option<User>,
    /// To whom; `None` for an action on a room.
    pub target: Option<User>,
    /// What.
    #[serde(flatten)]
    pub kind: ModActionKind,
    /// Why.
    pub reason: Reason,
}
