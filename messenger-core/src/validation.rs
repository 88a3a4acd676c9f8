//! Why a value was refused at the edge: the error of every newtype's
//! `parse`, below everything else so that every value type can name it.

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
