//! Users that come from the host application: it authenticates them, we
//! only need to know who they are.

use std::fmt;

use crate::user::Username;
use crate::validation::ValidationError;

/// The id a host application knows a user by (its own primary key, an
/// OIDC `sub`, ...): 1-255 characters, no control characters. Opaque to
/// the chat; unique among host users.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalId(String);

impl ExternalId {
    /// Longest accepted id, in characters.
    pub const MAX_CHARS: usize = 255;

    /// Validates `raw`.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        crate::text::check("external_id", raw, 1..=Self::MAX_CHARS, false)?;
        Ok(Self(raw.to_owned()))
    }

    /// Rebuilds an id read back from a trusted store, without checks.
    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who a host application says is asking: its id for the person and the
/// name to show in chat (which follows the username rules and uniqueness).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostIdentity {
    /// The host's id for the person.
    pub external_id: ExternalId,
    /// The name shown in chat. When the host renames the person, the chat
    /// user is renamed on next sight.
    pub username: Username,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_id_rules() {
        assert!(ExternalId::parse("42").is_ok());
        assert!(ExternalId::parse("auth0|5f7c8ec7c33c6c004bbafe82").is_ok());
        assert!(ExternalId::parse(&"x".repeat(255)).is_ok());
        for bad in ["", "a\nb", "nul\0"] {
            assert!(ExternalId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ExternalId::parse(&"x".repeat(256)).is_err());
    }
}
