//! The one error type of the service, and its wire codes; and what a store
//! can fail with, which it wraps.

use std::fmt;
use std::time::Duration;

use crate::room::RoomName;
use crate::validation::ValidationError;

/// The protocol's error codes. Every [`Error`] maps to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// Malformed or out-of-bounds input.
    Invalid,
    /// No valid session, or wrong credentials.
    Unauthorized,
    /// Authenticated, but not allowed.
    Forbidden,
    /// No such resource.
    NotFound,
    /// Clashes with existing state (a taken username).
    Conflict,
    /// Input over a size limit.
    TooLarge,
    /// Too many requests; try later.
    RateLimited,
    /// The server failed.
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invalid => "invalid",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::TooLarge => "too_large",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A boxed error from a backend.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a store can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A uniqueness rule refused the write (a taken username).
    #[error("{0}")]
    Conflict(String),
    /// The backend cannot be reached or refused to work.
    #[error("store unavailable")]
    Unavailable(#[source] BoxError),
    /// Any other backend failure.
    #[error("store failed")]
    Backend(#[source] BoxError),
    /// The room takes no new messages
    /// ([`MessageStore::close_room`](crate::store::MessageStore::close_room)): it
    /// was archived, or (`erased`) deleted.
    #[error("room {room} is closed")]
    Closed {
        /// The room.
        room: RoomName,
        /// Whether it was deleted ([`MessageStore::erase_room`](crate::store::MessageStore::erase_room)).
        erased: bool,
    },
}

impl StoreError {
    /// Wraps any backend error.
    pub fn backend(e: impl Into<BoxError>) -> Self {
        Self::Backend(e.into())
    }
}

/// Everything the [`Messenger`](crate::Messenger) can refuse or fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input that breaks a rule.
    #[error(transparent)]
    Invalid(ValidationError),
    /// Input over a size limit.
    #[error("{0}")]
    TooLarge(String),
    /// Missing or expired session, or wrong credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// No such thing.
    #[error("{0}")]
    NotFound(String),
    /// Clashes with existing state.
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; `retry_after` says when to try again.
    #[error("too many requests, retry in {}s", retry_after.as_secs().max(1))]
    RateLimited {
        /// How long until a retry can succeed.
        retry_after: Duration,
    },
    /// A moderator muted the user: nothing they send is accepted until `until`.
    #[error("you are muted for {} more (until {} UTC)", crate::error::left(*.left), until.format("%Y-%m-%d %H:%M"))]
    Muted {
        /// When the mute ends.
        until: chrono::DateTime<chrono::Utc>,
        /// How long that is from now.
        left: Duration,
    },
    /// A moderator banned the user.
    #[error("this account is banned{}", crate::error::because(reason))]
    Banned {
        /// The moderator's reason (may be empty).
        reason: String,
    },
    /// A store failed.
    #[error("storage failed")]
    Storage(#[source] StoreError),
    /// Something else inside the server failed.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The wire code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(e) if e.too_large => ErrorCode::TooLarge,
            Self::Invalid(_) => ErrorCode::Invalid,
            Self::TooLarge(_) => ErrorCode::TooLarge,
            Self::Unauthorized(_) => ErrorCode::Unauthorized,
            Self::Forbidden(_) | Self::Muted { .. } | Self::Banned { .. } => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Storage(_) | Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<ValidationError> for Error {
    fn from(e: ValidationError) -> Self {
        Self::Invalid(e)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => Self::Conflict(what),
            StoreError::Closed { room, erased: true } => {
                Self::NotFound(format!("no room named '{room}'"))
            }
            StoreError::Closed { room, .. } => {
                Self::Forbidden(format!("#{room} is archived: it is read-only"))
            }
            other => Self::Storage(other),
        }
    }
}

/// Result with the service's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `d` for people: "3 minutes", "2 hours", "1 day".
pub(crate) fn left(d: Duration) -> String {
    let s = d.as_secs().max(1);
    let (n, unit) = match s {
        0..120 => (s, "second"),
        120..7200 => (s.div_ceil(60), "minute"),
        7200..172_800 => (s.div_ceil(3600), "hour"),
        _ => (s.div_ceil(86_400), "day"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// ": reason", or nothing for an empty reason.
pub(crate) fn because(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(": {reason}")
    }
}
