//! Reactions: a user's emoji on a message.
//!
//! A reaction is a change of its message, like an edit: adding or removing
//! one gives the message the room's next change number
//! ([`Message::rev`](crate::Message::rev)), so a client that was away
//! catches up on reactions exactly as on edits, and the room's stream
//! carries them in change order.

use serde::{Serialize, Serializer};
use std::fmt;

use crate::config::Limits;
use crate::user::{User, UserId};
use crate::validation::ValidationError;

/// What a reaction is: one emoji (an emoji sequence, skin tones and ZWJ
/// sequences included, kept in its fully-qualified form, so `❤` and `❤️`
/// are one reaction), or `:name:` from [`Limits::reaction_names`].
///
/// A `:shortcode:` that names a standard emoji (`:thumbsup:`, `:tada:`) is
/// that emoji.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReactionKey(String);

impl ReactionKey {
    /// Validates `raw`: one emoji, or a known `:name:`.
    pub fn parse(raw: &str, limits: &Limits) -> Result<Self, ValidationError> {
        if let Some(emoji) = emojis::get(raw) {
            return Ok(Self(emoji.as_str().to_owned()));
        }
        if let Some(name) = raw.strip_prefix(':').and_then(|r| r.strip_suffix(':')) {
            if limits.reaction_names.iter().any(|n| n == name) {
                return Ok(Self(raw.to_owned()));
            }
            if let Some(emoji) = emojis::get_by_shortcode(name) {
                return Ok(Self(emoji.as_str().to_owned()));
            }
        }
        Err(ValidationError::new(
            "key",
            "must be one emoji or a known :name:",
        ))
    }

    /// Rebuilds a key read back from a trusted store, without checks.
    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    /// The key as stored and sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReactionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for ReactionKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// One key's reactions on a message.
///
/// Stores fill [`users`](Self::users); what the [`Messenger`](crate::Messenger)
/// hands out is seen by someone: [`me`](Self::me) set for them and `users`
/// emptied, so that a message fanned out to a room costs the same whoever
/// reacted (who reacted is asked for on its own:
/// [`Messenger::reactions`](crate::Messenger::reactions)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reaction {
    /// The emoji or `:name:`.
    pub key: ReactionKey,
    /// How many users reacted with it (at least 1).
    pub count: u64,
    /// Whether the user the message was read for is among them. Never set
    /// on a message fanned out to a room.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub me: bool,
    /// Who, in the order they reacted, as stores answer; empty in what
    /// the messenger hands out.
    #[serde(skip)]
    pub users: Vec<User>,
}

/// The reaction a change added or removed, carried with the room's
/// [`Changed`](crate::EventKind::Changed) event so that each client can
/// keep its own [`Reaction::me`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReactionChange {
    /// The emoji or `:name:`.
    pub key: ReactionKey,
    /// Who reacted or took it back.
    pub user: User,
    /// `true`: added; `false`: removed.
    pub on: bool,
}

/// `reactions` as `viewer` sees them: [`Reaction::me`] set, `users` gone.
pub(crate) fn seen_by(reactions: &mut [Reaction], viewer: Option<UserId>) {
    for r in reactions {
        r.me = viewer.is_some_and(|v| r.users.iter().any(|u| u.id == v));
        r.users = Vec::new();
    }
}

/// Applies `user`'s reaction `key` (`on`: added, else removed) to
/// `reactions`; `false` when that changed nothing.
fn apply_reaction(reactions: &mut Vec<Reaction>, key: &ReactionKey, user: &User, on: bool) -> bool {
    let at = reactions.iter().position(|r| &r.key == key);
    match (at, on) {
        (Some(i), true) => {
            let r = &mut reactions[i];
            if r.users.iter().any(|u| u.id == user.id) {
                return false;
            }
            r.users.push(user.clone());
            r.count += 1;
        }
        (None, true) => reactions.push(Reaction {
            key: key.clone(),
            count: 1,
            me: false,
            users: vec![user.clone()],
        }),
        (Some(i), false) => {
            let r = &mut reactions[i];
            let Some(p) = r.users.iter().position(|u| u.id == user.id) else {
                return false;
            };
            r.users.remove(p);
            r.count -= 1;
            if r.count == 0 {
                reactions.remove(i);
            }
        }
        (None, false) => return false,
    }
    true
}

/// Groups `(key, user)` rows, in the order they were added, into
/// reactions: keys in the order of their earliest row, users in the order
/// they came. How every store answers [`Message::reactions`](crate::Message::reactions).
pub fn group_reactions<I: IntoIterator<Item = (ReactionKey, User)>>(rows: I) -> Vec<Reaction> {
    let mut out: Vec<Reaction> = Vec::new();
    for (key, user) in rows {
        apply_reaction(&mut out, &key, &user, true);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            reaction_names: vec!["shipit".into()],
            ..Limits::default()
        }
    }

    #[test]
    fn emoji_and_names() {
        let l = limits();
        for ok in ["👍", "👍🏽", "🇫🇷", "👩‍👩‍👧", "🏳️‍🌈"] {
            assert_eq!(ReactionKey::parse(ok, &l).unwrap().as_str(), ok, "{ok}");
        }
        // One reaction whatever the form it is typed in.
        assert_eq!(ReactionKey::parse("❤", &l).unwrap().as_str(), "❤️");
        assert_eq!(ReactionKey::parse(":thumbsup:", &l).unwrap().as_str(), "👍");
        assert_eq!(
            ReactionKey::parse(":shipit:", &l).unwrap().as_str(),
            ":shipit:"
        );
        for bad in [
            "",
            "a",
            "👍👍",
            " 👍",
            "👍 ",
            ":nope:",
            "shipit",
            "<b>",
            "\u{202e}👍",
            "1",
        ] {
            assert!(ReactionKey::parse(bad, &l).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn grouping_keeps_first_use_order_and_counts() {
        let k = |s: &str| ReactionKey::from_trusted(s.into());
        let u = |id: u64| User {
            id: UserId(id),
            username: crate::Username::from_trusted(format!("u{id}")),
        };
        let mut r = group_reactions([(k("👍"), u(1)), (k("🎉"), u(2)), (k("👍"), u(2))]);
        assert_eq!(
            r.iter()
                .map(|r| (r.key.as_str(), r.count))
                .collect::<Vec<_>>(),
            [("👍", 2), ("🎉", 1)]
        );
        assert!(
            !apply_reaction(&mut r, &k("👍"), &u(1), true),
            "again is no change"
        );
        assert!(apply_reaction(&mut r, &k("🎉"), &u(2), false));
        assert!(!apply_reaction(&mut r, &k("🎉"), &u(2), false));
        assert_eq!(r.len(), 1, "a key nobody holds is gone");
        seen_by(&mut r, Some(UserId(2)));
        assert!(r[0].me && r[0].users.is_empty());
    }
}
