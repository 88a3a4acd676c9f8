//! Users: ids, usernames and passwords.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::config::Limits;
use crate::validation::ValidationError;

/// A user's id, assigned by the [`UserStore`](crate::store::UserStore).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub u64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A valid username: `A-Z a-z 0-9 _ . -`, shown as typed, unique
/// case-insensitively (compare [`Username::canonical`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Validates `raw` against `limits`.
    pub fn parse(raw: &str, limits: &Limits) -> Result<Self, ValidationError> {
        let len = raw.chars().count();
        if !limits.username_chars.contains(&len) {
            return Err(ValidationError::new(
                "username",
                format!(
                    "must be {} to {} characters long",
                    limits.username_chars.start(),
                    limits.username_chars.end()
                ),
            ));
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        {
            return Err(ValidationError::new(
                "username",
                format!("may only contain letters, digits, '_', '.' and '-' (found {bad:?})"),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Rebuilds a username read back from a trusted store, without checks.
    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    /// The name as typed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form that uniqueness is decided on (ASCII lowercase).
    pub fn canonical(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    /// The name's confusable skeleton (Unicode TR39): names that look
    /// alike share it (`aIice` and `alice`, `rnallory` and `mallory`,
    /// `PAUL0` and `paulo`). Taken before and after lowercasing, so that a
    /// capital that looks like another letter (`I` like `l`) counts, and
    /// case alone never separates two names.
    pub fn skeleton(&self) -> String {
        let first: String = unicode_security::skeleton(&self.0).collect();
        unicode_security::skeleton(&first.to_lowercase()).collect()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A registered user as others see them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct User {
    /// Store-assigned id.
    pub id: UserId,
    /// Name as typed at registration.
    pub username: Username,
}

/// A password within the size limits. Never printed by `Debug`.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Validates the length of `raw` (in bytes) against `limits`.
    pub fn parse(raw: &str, limits: &Limits) -> Result<Self, ValidationError> {
        let len = raw.len();
        if len > *limits.password_bytes.end() {
            // A field out of bounds, not an oversized request: `invalid`.
            return Err(ValidationError::new(
                "password",
                format!("must be at most {} bytes", limits.password_bytes.end()),
            ));
        }
        if len < *limits.password_bytes.start() {
            return Err(ValidationError::new(
                "password",
                format!("must be at least {} bytes", limits.password_bytes.start()),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookalike_names_share_a_skeleton() {
        let limits = Limits::default();
        let sk = |s: &str| Username::parse(s, &limits).unwrap().skeleton();
        assert_eq!(sk("aIice"), sk("alice"));
        assert_eq!(sk("AIice"), sk("alice"));
        assert_eq!(sk("rnallory"), sk("mallory"));
        assert_eq!(sk("Mallory"), sk("rnallory"));
        assert_eq!(sk("paul0"), sk("PAULO"));
        assert_ne!(sk("alice"), sk("alina"));
        assert_ne!(sk("bob"), sk("rob"));
    }

    fn limits() -> Limits {
        Limits::default()
    }

    #[test]
    fn username_length_bounds() {
        assert!(Username::parse("ab", &limits()).is_err());
        assert!(Username::parse("abc", &limits()).is_ok());
        assert!(Username::parse(&"a".repeat(32), &limits()).is_ok());
        assert!(Username::parse(&"a".repeat(33), &limits()).is_err());
    }

    #[test]
    fn username_charset() {
        assert!(Username::parse("Al_ice.B-9", &limits()).is_ok());
        for bad in ["al ice", "alice!", "älice", "al\nice", "<script>"] {
            let err = Username::parse(bad, &limits()).unwrap_err();
            assert_eq!(err.field, "username", "{bad}");
        }
    }

    #[test]
    fn username_is_kept_as_typed_and_compared_case_insensitively() {
        let a = Username::parse("Alice", &limits()).unwrap();
        let b = Username::parse("aLICE", &limits()).unwrap();
        assert_eq!(a.as_str(), "Alice");
        assert_ne!(a, b);
        assert_eq!(a.canonical(), b.canonical());
    }

    #[test]
    fn username_limits_are_configurable() {
        let l = Limits {
            username_chars: 1..=4,
            ..Limits::default()
        };
        assert!(Username::parse("a", &l).is_ok());
        assert!(Username::parse("abcde", &l).is_err());
    }

    #[test]
    fn password_bounds_in_bytes() {
        assert!(Password::parse("1234567", &limits()).is_err());
        assert!(Password::parse("12345678", &limits()).is_ok());
        // 4 chars, 8 bytes: the limit counts bytes.
        assert!(Password::parse("éééé", &limits()).is_ok());
        let too_long = Password::parse(&"x".repeat(1025), &limits()).unwrap_err();
        assert!(!too_long.too_large, "a bad field is invalid, not too_large");
        assert!(Password::parse(&"x".repeat(1024), &limits()).is_ok());
    }

    #[test]
    fn password_debug_is_redacted() {
        let p = Password::parse("hunter2hunter2", &limits()).unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }
}
