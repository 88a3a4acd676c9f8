//! Room names.

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};

use crate::config::{GENERAL_ROOM, Limits};
use crate::validation::ValidationError;

/// A valid room name: `a-z 0-9 _ -`. Cheap to clone: every message,
/// event and subscription carries one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomName(Arc<str>);

impl RoomName {
    /// The community room; it always exists.
    pub const GENERAL: &'static str = GENERAL_ROOM;

    /// Validates `raw` against `limits`.
    pub fn parse(raw: &str, limits: &Limits) -> Result<Self, ValidationError> {
        let len = raw.chars().count();
        if !limits.room_chars.contains(&len) {
            return Err(ValidationError::new(
                "room",
                format!(
                    "must be {} to {} characters long",
                    limits.room_chars.start(),
                    limits.room_chars.end()
                ),
            ));
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'))
        {
            return Err(ValidationError::new(
                "room",
                "may only contain a-z, 0-9, '_' and '-'",
            ));
        }
        Ok(Self(raw.into()))
    }

    /// The channel of one user's own events ([`UserEvent`](crate::UserEvent)s),
    /// published and subscribed like a room's. Its name is outside the room
    /// grammar, so no room can take it.
    pub fn user_channel(user: crate::UserId) -> Self {
        Self(format!("~user-{}", user.0).into())
    }

    /// Whether this is a [`user_channel`](Self::user_channel).
    pub fn is_user_channel(&self) -> bool {
        self.0.starts_with("~user-")
    }

    /// Whether a name of this form belongs to a direct conversation: they
    /// are named `dm-{lower id}-{higher id}`, and no other room may take the
    /// `dm-` prefix.
    pub fn is_direct(&self) -> bool {
        self.0.starts_with(Self::DIRECT_PREFIX)
    }

    /// The name of the direct conversation of two users.
    pub fn direct(a: crate::UserId, b: crate::UserId) -> Self {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        Self(format!("{}{}-{}", Self::DIRECT_PREFIX, lo.0, hi.0).into())
    }

    /// The two people of a direct conversation's name, lower id first.
    pub fn direct_pair(&self) -> Option<(crate::UserId, crate::UserId)> {
        let (lo, hi) = self.0.strip_prefix(Self::DIRECT_PREFIX)?.split_once('-')?;
        Some((
            crate::UserId(lo.parse().ok()?),
            crate::UserId(hi.parse().ok()?),
        ))
    }

    const DIRECT_PREFIX: &'static str = "dm-";

    /// The community room.
    pub fn general() -> Self {
        Self(Self::GENERAL.into())
    }

    /// Rebuilds a name read back from a trusted store, without checks.
    pub fn from_trusted(raw: String) -> Self {
        Self(raw.into())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for RoomName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl fmt::Display for RoomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_rules() {
        let l = Limits::default();
        assert!(RoomName::parse("general", &l).is_ok());
        assert!(RoomName::parse("a", &l).is_ok());
        assert!(RoomName::parse("rust_2024-fans", &l).is_ok());
        assert!(RoomName::parse("", &l).is_err());
        assert!(RoomName::parse(&"a".repeat(64), &l).is_ok());
        assert!(RoomName::parse(&"a".repeat(65), &l).is_err());
        for bad in ["General", "a b", "café", "a/b"] {
            assert!(RoomName::parse(bad, &l).is_err(), "{bad}");
        }
    }
}
