//! The one error type of the service, and its wire codes.

use std::fmt;
use std::time::Duration;

use crate::store::StoreError;

/// The protocol's error codes. Every [`Error`] maps to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
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

/// Why a value was refused at the edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ValidationError {
    /// Which input was wrong (`username`, `body`, ...).
    pub field: &'static str,
    /// What was wrong, for a human.
    pub reason: String,
    /// Whether the value was refused for its size alone (maps to `too_large`).
    pub too_large: bool,
}

impl ValidationError {
    pub(crate) fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
            too_large: false,
        }
    }

    pub(crate) fn too_large(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
            too_large: true,
        }
    }
}

/// Everything the [`Messenger`](crate::Messenger) can refuse or fail with.
#[derive(Debug, thiserror::Error)]
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
    #[error("you are muted for {} more (until {} UTC)", crate::moderation::left(*.left), until.format("%Y-%m-%d %H:%M"))]
    Muted {
        /// When the mute ends.
        until: chrono::DateTime<chrono::Utc>,
        /// How long that is from now.
        left: Duration,
    },
    /// A moderator banned the user.
    #[error("this account is banned{}", crate::moderation::because(reason))]
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
