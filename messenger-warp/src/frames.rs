//! The WebSocket frames of the wire contract.

use messenger_core::{ErrorCode, EventKind, Message, RoomName, User};
use serde::{Deserialize, Serialize};

/// A frame from the client.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum ClientFrame {
    Join {
        room: String,
        since: Option<u64>,
    },
    Send {
        room: String,
        body: String,
        client_id: String,
    },
    Typing {
        room: String,
    },
    History {
        room: String,
        before: Option<u64>,
        limit: Option<usize>,
    },
    Leave {
        room: String,
    },
}

/// A frame to the client.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ServerFrame<'a> {
    Ready {
        user: &'a User,
        rooms: &'a [RoomName],
    },
    Message {
        message: &'a Message,
    },
    History {
        room: &'a RoomName,
        messages: &'a [Message],
        has_more: bool,
    },
    Presence {
        room: &'a RoomName,
        online: &'a [User],
    },
    PresenceDiff {
        room: &'a RoomName,
        joined: &'a [User],
        left: &'a [User],
    },
    Typing {
        room: &'a RoomName,
        user: &'a User,
    },
    Error {
        code: ErrorCode,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<&'a str>,
    },
}

impl ServerFrame<'_> {
    pub(crate) fn encode(&self) -> String {
        serde_json::to_string(self).expect("frames always serialize")
    }
}

/// The wire encoding of a room event (computed once per event).
pub(crate) fn encode_event(kind: &EventKind) -> String {
    match kind {
        EventKind::Message(message) => ServerFrame::Message { message },
        EventKind::PresenceDiff { room, joined, left } => {
            ServerFrame::PresenceDiff { room, joined, left }
        }
        EventKind::Typing { room, user } => ServerFrame::Typing { room, user },
    }
    .encode()
}

/// Reads the frame's `client_id`, if it has a string one, to echo in errors.
pub(crate) fn client_id_of(raw: &serde_json::Value) -> Option<String> {
    raw.get("client_id")?
        .as_str()
        .map(|s| s.chars().take(64).collect())
}
