//! Sessions: bearer tokens and what stores keep of them.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::user::{User, UserId};

/// A session's secret: 256 random bits, base64url. Only the client holds it;
/// stores keep its [`TokenHash`]. Never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    /// A fresh random token from the OS generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Wraps a token presented by a client. Anything that is not the shape of
    /// a token cannot match a session, so no further check is needed here.
    pub fn from_client(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    /// The token, to hand to the client.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash stores keep instead of the token.
    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// SHA-256 of a [`SessionToken`]: the key sessions are stored under. A leaked
/// database does not leak usable tokens.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A prefix is enough to tell sessions apart in logs.
        write!(
            f,
            "TokenHash({:02x}{:02x}{:02x}{:02x}…)",
            self.0[0], self.0[1], self.0[2], self.0[3]
        )
    }
}

/// What a [`SessionStore`](crate::store::SessionStore) keeps of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Key.
    pub token_hash: TokenHash,
    /// Owner.
    pub user_id: UserId,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last time it authenticated a request (written back at most every
    /// [`SessionPolicy::touch_interval`](crate::SessionPolicy::touch_interval)).
    pub last_seen_at: DateTime<Utc>,
    /// Absolute expiry.
    pub expires_at: DateTime<Utc>,
    /// Whether it was created with "remember me".
    pub remember: bool,
    /// The `User-Agent` of the client that logged in, cleaned (see
    /// [`UserAgent`]), to tell sessions apart in the account settings.
    pub user_agent: Option<String>,
}

/// Most characters of a `User-Agent` kept with a session.
const USER_AGENT_CHARS: usize = 256;

/// A client's `User-Agent`, as kept with its session: control characters
/// dropped, at most 256 characters; `None` when empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAgent(String);

impl UserAgent {
    /// Cleans `raw` (any bytes a client sent, decoded lossily).
    pub fn clean(raw: &str) -> Option<Self> {
        let s: String = raw
            .chars()
            .filter(|c| !c.is_control())
            .take(USER_AGENT_CHARS)
            .collect();
        let s = s.trim();
        (!s.is_empty()).then(|| Self(s.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a session is opened: [`Messenger::login_with`](crate::Messenger::login_with).
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// "Remember me": the long lifetime.
    pub remember: bool,
    /// The client's `User-Agent`.
    pub user_agent: Option<UserAgent>,
    /// The device token the client presented (its device cookie), if any:
    /// a valid one counts failed logins on its own lockout, so strangers'
    /// failures never lock this browser out.
    pub device: Option<crate::DeviceToken>,
}

impl TokenHash {
    /// A short public name of the session (16 hex digits of the hash), as
    /// the account settings list it: enough to pick one of a user's
    /// sessions, useless to log in with.
    pub fn public_id(&self) -> String {
        self.0[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// One of a user's sessions, as their account settings show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionInfo {
    /// [`TokenHash::public_id`].
    pub id: String,
    /// When it was opened.
    #[serde(with = "crate::clock::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the session policy's touch interval).
    #[serde(with = "crate::clock::rfc3339")]
    pub last_seen_at: DateTime<Utc>,
    /// When it ends at the latest.
    #[serde(with = "crate::clock::rfc3339")]
    pub expires_at: DateTime<Utc>,
    /// The client that opened it.
    pub user_agent: Option<String>,
    /// Whether it is the session asking.
    pub current: bool,
}

/// An authenticated session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The stored record.
    pub record: SessionRecord,
    /// Its user.
    pub user: User,
}

impl Session {
    /// The session's user.
    pub fn user(&self) -> &User {
        &self.user
    }
}

/// A session or all of a user's sessions were revoked; open connections of
/// theirs must close. See [`Messenger::revocations`](crate::Messenger::revocations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// One session logged out.
    Session(TokenHash),
    /// Every session of a user logged out.
    User(UserId),
}

impl Revocation {
    /// Whether this revocation ends `session`.
    pub fn applies_to(&self, session: &Session) -> bool {
        match self {
            Self::Session(hash) => *hash == session.record.token_hash,
            Self::User(id) => *id == session.user.id,
        }
    }
}

/// A successful login: the token for the client and the new session.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// The secret to hand to the client (cookie or bearer).
    pub token: SessionToken,
    /// The session it opens.
    pub session: Session,
    /// A device token to keep for the next login (a password login gives
    /// one; a host's session none).
    pub device: Option<crate::DeviceToken>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_and_unique() {
        let a = SessionToken::generate();
        let b = SessionToken::generate();
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(a.expose()).unwrap().len(), 32);
        assert_ne!(a.hash(), b.hash());
        assert_eq!(a.hash(), SessionToken::from_client(a.expose()).hash());
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}
