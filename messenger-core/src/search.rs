//! Full-text search: the query people type, and the hits they get back.

use serde::Serialize;

use crate::message::Message;
use crate::validation::ValidationError;

/// Most characters of a search query.
pub const MAX_QUERY_CHARS: usize = 200;

/// Most words of a search query that count.
pub const MAX_TERMS: usize = 8;

/// Most hits per page.
pub const SEARCH_PAGE_MAX: usize = 50;

/// A search query: the words of what was typed (letters and digits,
/// lower-cased), each matching the start of a word of a message; a message
/// matches when it has all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<String>,
}

impl SearchQuery {
    /// Parses what was typed. It must hold at least one letter or digit.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err(ValidationError::new(
                "q",
                format!("must be at most {MAX_QUERY_CHARS} characters long"),
            ));
        }
        let mut terms: Vec<String> = Vec::new();
        for w in words(raw) {
            let w = w.1.to_lowercase();
            if !terms.contains(&w) {
                terms.push(w);
            }
        }
        terms.truncate(MAX_TERMS);
        if terms.is_empty() {
            return Err(ValidationError::new(
                "q",
                "must contain a letter or a digit",
            ));
        }
        Ok(Self { terms })
    }

    /// The words searched for, lower-cased.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// Whether `text` matches: each term starts some word of it.
    pub fn matches(&self, text: &str) -> bool {
        let lowered: Vec<String> = words(text).map(|w| w.1.to_lowercase()).collect();
        self.terms
            .iter()
            .all(|t| lowered.iter().any(|w| w.starts_with(t.as_str())))
    }

    /// The words of `text` that a term starts, as `[start, end)` offsets in
    /// characters (Unicode scalar values), in order.
    pub fn highlights(&self, text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (start, w) in words(text) {
            let lower = w.to_lowercase();
            if self.terms.iter().any(|t| lower.starts_with(t.as_str())) {
                out.push((start, start + w.chars().count()));
            }
        }
        out
    }
}

/// The words of `text` (runs of letters and digits) with their start, in
/// characters: the same split the SQLite store's FTS5 `unicode61`
/// tokenizer makes.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut chars = text.char_indices().enumerate().peekable();
    std::iter::from_fn(move || {
        while let Some((_, (_, c))) = chars.peek() {
            if c.is_alphanumeric() {
                break;
            }
            chars.next();
        }
        let (start_char, (start_byte, _)) = chars.next()?;
        let mut end_byte = text.len();
        while let Some((_, (b, c))) = chars.peek() {
            if !c.is_alphanumeric() {
                end_byte = *b;
                break;
            }
            chars.next();
        }
        Some((start_char, &text[start_byte..end_byte]))
    })
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    /// The message.
    pub message: Message,
    /// The words that matched, as `[start, end)` character offsets into its body.
    pub highlights: Vec<(usize, usize)>,
}

/// A page of search results, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchPage {
    /// The hits.
    pub hits: Vec<SearchHit>,
    /// The cursor for the next (older) page, if there may be one.
    pub next: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_words_lowercased_once() {
        let q = SearchQuery::parse("  Rust, rust! async-trait ").unwrap();
        assert_eq!(q.terms(), ["rust", "async", "trait"]);
        assert!(SearchQuery::parse(" -- !! ").is_err());
        assert!(SearchQuery::parse(&"a".repeat(201)).is_err());
    }

    #[test]
    fn matching_is_by_word_prefix() {
        let q = SearchQuery::parse("deploy frid").unwrap();
        assert!(q.matches("We deployed on Friday."));
        assert!(!q.matches("We redeployed on Friday."));
        assert!(!q.matches("deploy on monday"));
    }

    #[test]
    fn highlights_are_character_offsets() {
        let q = SearchQuery::parse("café").unwrap();
        assert_eq!(q.highlights("le Café, cafés"), vec![(3, 7), (9, 14)]);
    }
}
