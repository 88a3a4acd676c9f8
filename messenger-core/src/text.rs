//! The rule several short texts share: a length in characters, and no
//! control characters (but newlines where a text may have lines).

use std::ops::RangeInclusive;

use crate::error::ValidationError;

/// Checks that `raw` has `chars` characters and no control characters
/// (`\n` allowed when `lines`).
pub(crate) fn check(
    field: &'static str,
    raw: &str,
    chars: RangeInclusive<usize>,
    lines: bool,
) -> Result<(), ValidationError> {
    let len = raw.chars().count();
    if !chars.contains(&len) {
        let reason = if *chars.start() == 0 {
            format!("must be at most {} characters long", chars.end())
        } else {
            format!(
                "must be {} to {} characters long",
                chars.start(),
                chars.end()
            )
        };
        return Err(ValidationError::new(field, reason));
    }
    if raw.chars().any(|c| c.is_control() && !(lines && c == '\n')) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}
