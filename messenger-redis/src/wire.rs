//! Room events as JSON between nodes. Nodes trust each other: what comes
//! back is rebuilt with the core types' `from_trusted`, unchecked.

use messenger_core::store::TokenHash;
use messenger_core::{
    ClientId, EventKind, Message, MessageBody, MessageId, Pinned, Reaction, ReactionChange,
    ReactionKey, ReplyTo, Revocation, RoomName, User, UserEvent, UserId, Username,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct WireUser {
    id: u64,
    name: String,
}

impl From<&User> for WireUser {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.0,
            name: u.username.as_str().to_owned(),
        }
    }
}

impl From<WireUser> for User {
    fn from(u: WireUser) -> Self {
        User {
            id: UserId(u.id),
            username: Username::from_trusted(u.name),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct WireMessage {
    id: u64,
    room: String,
    author: WireUser,
    body: String,
    sent_at: i64,
    client_id: String,
    edited_at: Option<i64>,
    deleted_at: Option<i64>,
    rev: u64,
    /// `(key, count)`: what a room's stream carries of reactions (nobody's
    /// `me`, not who). Absent from nodes of before reactions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    reactions: Vec<(String, u64)>,
    /// What a reply shows of the message it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reply_to: Option<WireReply>,
    /// Its pin: when (ms), by whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pinned: Option<(i64, WireUser)>,
}

#[derive(Serialize, Deserialize)]
struct WireReply {
    id: u64,
    author: WireUser,
    excerpt: String,
    deleted: bool,
}

#[derive(Serialize, Deserialize)]
struct WireReaction {
    key: String,
    user: WireUser,
    on: bool,
}

fn from_ms(v: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(v).unwrap_or_default()
}

impl From<&Message> for WireMessage {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.0,
            room: m.room.as_str().to_owned(),
            author: (&m.author).into(),
            body: m.body.as_str().to_owned(),
            sent_at: m.sent_at.timestamp_millis(),
            client_id: m.client_id.as_str().to_owned(),
            edited_at: m.edited_at.map(|t| t.timestamp_millis()),
            deleted_at: m.deleted_at.map(|t| t.timestamp_millis()),
            rev: m.rev,
            reactions: m
                .reactions
                .iter()
                .map(|r| (r.key.as_str().to_owned(), r.count))
                .collect(),
            reply_to: m.reply_to.as_ref().map(|r| WireReply {
                id: r.id.0,
                author: (&r.author).into(),
                excerpt: r.excerpt.clone(),
                deleted: r.deleted,
            }),
            pinned: m
                .pinned
                .as_ref()
                .map(|p| (p.at.timestamp_millis(), (&p.by).into())),
        }
    }
}

impl From<WireMessage> for Message {
    fn from(m: WireMessage) -> Self {
        Message {
            id: MessageId(m.id),
            room: RoomName::from_trusted(m.room),
            author: m.author.into(),
            body: MessageBody::from_trusted(m.body),
            sent_at: from_ms(m.sent_at),
            client_id: ClientId::from_trusted(m.client_id),
            edited_at: m.edited_at.map(from_ms),
            deleted_at: m.deleted_at.map(from_ms),
            rev: m.rev,
            reactions: m
                .reactions
                .into_iter()
                .map(|(key, count)| Reaction {
                    key: ReactionKey::from_trusted(key),
                    count,
                    me: false,
                    users: Vec::new(),
                })
                .collect(),
            reply_to: m.reply_to.map(|r| {
                Box::new(ReplyTo {
                    id: MessageId(r.id),
                    author: r.author.into(),
                    excerpt: r.excerpt,
                    deleted: r.deleted,
                })
            }),
            pinned: m.pinned.map(|(at, by)| {
                Box::new(Pinned {
                    at: from_ms(at),
                    by: by.into(),
                })
            }),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum WireEvent {
    Message {
        m: WireMessage,
    },
    Changed {
        m: WireMessage,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        r: Option<WireReaction>,
    },
    Presence {
        room: String,
        joined: Vec<WireUser>,
        left: Vec<WireUser>,
    },
    Typing {
        room: String,
        user: WireUser,
    },
    RoomAdded {
        room: String,
    },
    RoomRemoved {
        room: String,
    },
    Read {
        room: String,
        last_read: u64,
        mentions: u64,
    },
    Mention {
        m: WireMessage,
    },
    RevokedSession {
        hash: String,
    },
    RevokedUser {
        user: u64,
    },
}

/// What travels on the channel: the sender node, the room, and one event
/// or, for a batch of posts stored together, several in order.
#[derive(Serialize, Deserialize)]
struct Envelope {
    node: u64,
    room: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event: Option<WireEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    events: Vec<WireEvent>,
}

/// A decoded envelope.
pub(crate) struct Decoded {
    pub(crate) node: u64,
    pub(crate) room: String,
    pub(crate) events: Vec<EventKind>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if s.len() != 64 {
        return None;
    }
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn users(list: &[User]) -> Vec<WireUser> {
    list.iter().map(WireUser::from).collect()
}

/// Encodes an event of `room` sent by `node`.
pub(crate) fn encode(node: u64, room: &RoomName, kind: &EventKind) -> String {
    serialize(Envelope {
        node,
        room: room.as_str().to_owned(),
        event: Some(to_wire(kind)),
        events: Vec::new(),
    })
}

/// Encodes several events of `room` sent by `node`, to be delivered in order.
pub(crate) fn encode_many<'a>(
    node: u64,
    room: &RoomName,
    kinds: impl IntoIterator<Item = &'a EventKind>,
) -> String {
    serialize(Envelope {
        node,
        room: room.as_str().to_owned(),
        event: None,
        events: kinds.into_iter().map(to_wire).collect(),
    })
}

fn serialize(envelope: Envelope) -> String {
    serde_json::to_string(&envelope).expect("events serialize")
}

fn to_wire(kind: &EventKind) -> WireEvent {
    match kind {
        EventKind::Message(m) => WireEvent::Message { m: m.into() },
        EventKind::Changed { message, reaction } => WireEvent::Changed {
            m: message.into(),
            r: reaction.as_ref().map(|r| WireReaction {
                key: r.key.as_str().to_owned(),
                user: (&r.user).into(),
                on: r.on,
            }),
        },
        EventKind::PresenceDiff { room, joined, left } => WireEvent::Presence {
            room: room.as_str().to_owned(),
            joined: users(joined),
            left: users(left),
        },
        EventKind::Typing { room, user } => WireEvent::Typing {
            room: room.as_str().to_owned(),
            user: user.into(),
        },
        EventKind::User(u) => match u {
            UserEvent::RoomAdded(r) => WireEvent::RoomAdded {
                room: r.as_str().to_owned(),
            },
            UserEvent::RoomRemoved(r) => WireEvent::RoomRemoved {
                room: r.as_str().to_owned(),
            },
            UserEvent::Read {
                room,
                last_read,
                mentions,
            } => WireEvent::Read {
                room: room.as_str().to_owned(),
                last_read: last_read.0,
                mentions: *mentions,
            },
            UserEvent::Mention(m) => WireEvent::Mention { m: m.into() },
            UserEvent::Revoked(Revocation::Session(h)) => WireEvent::RevokedSession {
                hash: hex(h.as_bytes()),
            },
            UserEvent::Revoked(Revocation::User(u)) => WireEvent::RevokedUser { user: u.0 },
        },
    }
}

/// Decodes an envelope; `None` for anything this build does not know.
pub(crate) fn decode(raw: &[u8]) -> Option<Decoded> {
    let env: Envelope = serde_json::from_slice(raw).ok()?;
    let events = env
        .event
        .into_iter()
        .chain(env.events)
        .map(from_wire)
        .collect::<Option<Vec<_>>>()?;
    Some(Decoded {
        node: env.node,
        room: env.room,
        events,
    })
}

fn from_wire(event: WireEvent) -> Option<EventKind> {
    let kind = match event {
        WireEvent::Message { m } => EventKind::Message(m.into()),
        WireEvent::Changed { m, r } => EventKind::Changed {
            message: m.into(),
            reaction: r.map(|r| ReactionChange {
                key: ReactionKey::from_trusted(r.key),
                user: r.user.into(),
                on: r.on,
            }),
        },
        WireEvent::Presence { room, joined, left } => EventKind::PresenceDiff {
            room: RoomName::from_trusted(room),
            joined: joined.into_iter().map(User::from).collect(),
            left: left.into_iter().map(User::from).collect(),
        },
        WireEvent::Typing { room, user } => EventKind::Typing {
            room: RoomName::from_trusted(room),
            user: user.into(),
        },
        WireEvent::RoomAdded { room } => {
            EventKind::User(UserEvent::RoomAdded(RoomName::from_trusted(room)))
        }
        WireEvent::RoomRemoved { room } => {
            EventKind::User(UserEvent::RoomRemoved(RoomName::from_trusted(room)))
        }
        WireEvent::Read {
            room,
            last_read,
            mentions,
        } => EventKind::User(UserEvent::Read {
            room: RoomName::from_trusted(room),
            last_read: MessageId(last_read),
            mentions,
        }),
        WireEvent::Mention { m } => EventKind::User(UserEvent::Mention(m.into())),
        WireEvent::RevokedSession { hash } => EventKind::User(UserEvent::Revoked(
            Revocation::Session(TokenHash(unhex(&hash)?)),
        )),
        WireEvent::RevokedUser { user } => {
            EventKind::User(UserEvent::Revoked(Revocation::User(UserId(user))))
        }
    };
    Some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use messenger_core::SessionToken;

    #[test]
    fn events_round_trip() {
        let user = User {
            id: UserId(7),
            username: Username::from_trusted("Ada_L".into()),
        };
        let m = Message {
            id: MessageId(42),
            room: RoomName::from_trusted("rust".into()),
            author: user.clone(),
            body: MessageBody::from_trusted("hé \"quoted\"\nline".into()),
            sent_at: from_ms(1_790_000_000_123),
            client_id: ClientId::from_trusted("c-1".into()),
            edited_at: Some(from_ms(1_790_000_001_000)),
            deleted_at: None,
            rev: 3,
            reactions: Vec::new(),
            reply_to: Some(Box::new(ReplyTo {
                id: MessageId(40),
                author: user.clone(),
                excerpt: "what \"it\" answers".into(),
                deleted: false,
            })),
            pinned: Some(Box::new(Pinned {
                at: from_ms(1_790_000_002_000),
                by: user.clone(),
            })),
        };
        let mut reacted = m.clone();
        reacted.reactions = vec![Reaction {
            key: ReactionKey::from_trusted("👍🏽".into()),
            count: 2,
            me: false,
            users: Vec::new(),
        }];
        let hash = SessionToken::generate().hash();
        let room = RoomName::from_trusted("rust".into());
        for kind in [
            EventKind::Message(m.clone()),
            EventKind::Changed {
                message: m.clone(),
                reaction: None,
            },
            EventKind::Changed {
                message: reacted,
                reaction: Some(ReactionChange {
                    key: ReactionKey::from_trusted("👍🏽".into()),
                    user: user.clone(),
                    on: false,
                }),
            },
            EventKind::PresenceDiff {
                room: room.clone(),
                joined: vec![user.clone()],
                left: vec![],
            },
            EventKind::Typing {
                room: room.clone(),
                user: user.clone(),
            },
            EventKind::User(UserEvent::Read {
                room: room.clone(),
                last_read: MessageId(9),
                mentions: 2,
            }),
            EventKind::User(UserEvent::Mention(m.clone())),
            EventKind::User(UserEvent::Revoked(Revocation::Session(hash))),
            EventKind::User(UserEvent::Revoked(Revocation::User(UserId(7)))),
        ] {
            let raw = encode(5, &room, &kind);
            let back = decode(raw.as_bytes()).unwrap();
            assert_eq!((back.node, back.room.as_str()), (5, "rust"));
            assert_eq!(back.events, [kind]);
        }
        assert!(decode(b"{\"nonsense\":1}").is_none());
    }

    #[test]
    fn a_batch_round_trips_in_order() {
        let room = RoomName::from_trusted("rust".into());
        let kinds: Vec<EventKind> = (1..=3)
            .map(|id| {
                EventKind::Message(Message {
                    id: MessageId(id),
                    room: room.clone(),
                    author: User {
                        id: UserId(1),
                        username: Username::from_trusted("ada".into()),
                    },
                    body: MessageBody::from_trusted(format!("m{id}")),
                    sent_at: from_ms(1_790_000_000_000),
                    client_id: ClientId::from_trusted(format!("c{id}")),
                    edited_at: None,
                    deleted_at: None,
                    rev: 0,
                    reactions: Vec::new(),
                    reply_to: None,
                    pinned: None,
                })
            })
            .collect();
        let back = decode(encode_many(9, &room, &kinds).as_bytes()).unwrap();
        assert_eq!(back.node, 9);
        assert_eq!(back.events, kinds);
        // A batch with an event this build does not know is not half-read.
        let raw =
            r#"{"node":1,"room":"rust","events":[{"t":"room_added","room":"a"},{"t":"future"}]}"#;
        assert!(decode(raw.as_bytes()).is_none());
    }
}
