//! The rule several short texts share: a length in characters, no
//! control characters (but newlines where a text may have lines), and no
//! bidirectional overrides.

use std::ops::RangeInclusive;

use crate::validation::ValidationError;

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
    check_bidi(field, raw)
}

/// Whether `c` is a bidirectional embedding, override or isolate control
/// (U+202A-202E, U+2066-2069): the "Trojan Source" set (CVE-2021-42574),
/// which makes text display in an order other than the one it is read in
/// (`https://example.com/\u{202E}gnp.exe` shows as `...exe.png`). The
/// joiners emoji sequences and many scripts need (ZWJ, ZWNJ) and the
/// implicit marks (LRM, RLM) are not among them.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Refuses a text with a bidirectional control in it.
pub(crate) fn check_bidi(field: &'static str, raw: &str) -> Result<(), ValidationError> {
    match raw.chars().find(|c| is_bidi_control(*c)) {
        Some(c) => Err(ValidationError::new(
            field,
            format!(
                "must not contain the bidirectional control U+{:04X} (it can disguise text)",
                c as u32
            ),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_are_refused_but_joiners_and_marks_pass() {
        assert!(
            check(
                "title",
                "https://example.com/\u{202E}gnp.exe",
                1..=100,
                false
            )
            .is_err()
        );
        assert!(check("title", "a\u{2066}b\u{2069}", 1..=100, false).is_err());
        // A family emoji (ZWJ), Persian with ZWNJ, an RLM mark.
        for ok in [
            "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}",
            "\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}\u{0645}",
            "\u{05E9}\u{05DC}\u{05D5}\u{05DD}\u{200F}!",
        ] {
            check("title", ok, 1..=100, false).unwrap();
        }
    }
}
