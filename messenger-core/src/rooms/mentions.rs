//! `@username` mentions in a message body.

use crate::config::Limits;
use crate::user::Username;

/// Most distinct names one message can mention (the rest are plain text).
pub const MAX_MENTIONS: usize = 20;

/// The distinct valid usernames written as `@name` in `body`, in order of
/// first appearance. `@` must start the text or follow a character that
/// cannot be part of a name (so `mail@example.org` mentions nobody).
pub fn mentioned(body: &str, limits: &Limits) -> Vec<Username> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    let mut found: Vec<Username> = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in body.char_indices() {
        if c == '@' && !prev.is_some_and(is_name) {
            let rest = &body[i + 1..];
            let end = rest.find(|c: char| !is_name(c)).unwrap_or(rest.len());
            // A sentence's full stop is not part of the name.
            let name = rest[..end].trim_end_matches('.');
            if let Ok(u) = Username::parse(name, limits)
                && !found.iter().any(|f| f.canonical() == u.canonical())
            {
                found.push(u);
                if found.len() == MAX_MENTIONS {
                    break;
                }
            }
        }
        prev = Some(c);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(body: &str) -> Vec<String> {
        mentioned(body, &Limits::default())
            .into_iter()
            .map(|u| u.as_str().to_owned())
            .collect()
    }

    #[test]
    fn finds_mentions() {
        assert_eq!(names("hi @ada and @bob_2."), ["ada", "bob_2"]);
        assert_eq!(names("@Ada @ada @ADA"), ["Ada"]);
        assert_eq!(names("(@grace) @x"), ["grace"]);
        assert!(names("mail me at ada@example.org").is_empty());
        assert!(names("@ alone, @@").is_empty());
        assert_eq!(names("@a.b-c"), ["a.b-c"]);
        let many: String = (0..30).map(|i| format!("@user{i} ")).collect();
        assert_eq!(names(&many).len(), MAX_MENTIONS);
    }
}
