//! The WebSocket frames of the wire contract.

use messenger_core::{
    DirectoryEntry, ErrorCode, EventKind, Invite, Message, MessageBody, MessageId, MyRoom,
    ReactionChange, Reactors, RoomName, SearchHit, User, UserEvent,
};
use serde::{Deserialize, Serialize};

/// A frame from the client.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum ClientFrame {
    Join {
        room: String,
        #[serde(default, deserialize_with = "crate::ids::opt_store_id")]
        since: Option<u64>,
        /// The room's change number the client has seen (with `since`).
        #[serde(default, deserialize_with = "crate::ids::opt_store_id")]
        rev: Option<u64>,
    },
    Send {
        room: String,
        body: String,
        client_id: String,
        /// The id of the message (same room) this one answers.
        #[serde(default, deserialize_with = "crate::ids::opt_store_id")]
        reply_to: Option<u64>,
    },
    Typing {
        room: String,
    },
    History {
        room: String,
        #[serde(default, deserialize_with = "crate::ids::opt_store_id")]
        before: Option<u64>,
        limit: Option<usize>,
        #[serde(default, deserialize_with = "crate::ids::opt_store_id")]
        around: Option<u64>,
    },
    Leave {
        room: String,
    },
    // Rooms as data (docs/protocol.md, "Rooms"); `client_id` is optional on
    // each and echoed in the answer or error.
    CreateRoom {
        name: String,
        title: String,
        #[serde(default)]
        topic: String,
        #[serde(default)]
        private: bool,
        client_id: Option<String>,
    },
    Browse {
        client_id: Option<String>,
    },
    Enter {
        room: String,
        client_id: Option<String>,
    },
    Exit {
        room: String,
        client_id: Option<String>,
    },
    Members {
        room: String,
        client_id: Option<String>,
    },
    AddMember {
        room: String,
        username: String,
        client_id: Option<String>,
    },
    RemoveMember {
        room: String,
        username: String,
        client_id: Option<String>,
    },
    SetRoom {
        room: String,
        title: String,
        #[serde(default)]
        topic: String,
        client_id: Option<String>,
    },
    ArchiveRoom {
        room: String,
        archived: bool,
        #[serde(default)]
        reason: String,
        client_id: Option<String>,
    },
    DeleteRoom {
        room: String,
        #[serde(default)]
        reason: String,
        client_id: Option<String>,
    },
    CreateInvite {
        room: String,
        /// Seconds; absent or null: the default (a week); 0: never expires.
        #[serde(default)]
        expires_in: Option<u64>,
        #[serde(default)]
        max_uses: Option<u32>,
        client_id: Option<String>,
    },
    Invites {
        room: String,
        client_id: Option<String>,
    },
    RevokeInvite {
        room: String,
        id: u64,
        client_id: Option<String>,
    },
    AcceptInvite {
        code: String,
        client_id: Option<String>,
    },
    OpenDm {
        username: String,
        client_id: Option<String>,
    },
    Block {
        username: String,
        client_id: Option<String>,
    },
    Unblock {
        username: String,
        client_id: Option<String>,
    },
    Blocked {
        client_id: Option<String>,
    },
    Read {
        room: String,
        #[serde(deserialize_with = "crate::ids::store_id")]
        id: u64,
    },
    // The message lifecycle (docs/protocol.md, "Editing, deleting, searching").
    Edit {
        room: String,
        #[serde(deserialize_with = "crate::ids::store_id")]
        id: u64,
        body: String,
        client_id: Option<String>,
    },
    Delete {
        room: String,
        #[serde(deserialize_with = "crate::ids::store_id")]
        id: u64,
        #[serde(default)]
        reason: String,
        client_id: Option<String>,
    },
    React {
        room: String,
        #[serde(deserialize_with = "crate::ids::store_id")]
        id: u64,
        key: String,
        /// Absent: add.
        #[serde(default = "yes")]
        on: bool,
        client_id: Option<String>,
    },
    Reactions {
        room: String,
        #[serde(deserialize_with = "crate::ids::store_id")]
        id: u64,
        client_id: Option<String>,
    },
    Pin {
        room: String,
        #[serde(deserialize_with = "crate::ids::store_id")]
        id: u64,
        /// Absent: pin.
        #[serde(default = "yes")]
        pinned: bool,
        client_id: Option<String>,
    },
    Pins {
        room: String,
        client_id: Option<String>,
    },
    Search {
        q: String,
        #[serde(default, deserialize_with = "crate::ids::opt_store_id")]
        before: Option<u64>,
        limit: Option<usize>,
        client_id: Option<String>,
    },
}

/// A frame to the client.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ServerFrame<'a> {
    Ready {
        user: &'a User,
        rooms: &'a [&'a RoomName],
        /// v2 only: the same rooms with unread state.
        #[serde(skip_serializing_if = "Option::is_none")]
        room_info: Option<&'a [MyRoom]>,
        /// v2 only: the user's role (member, moderator, admin).
        #[serde(skip_serializing_if = "Option::is_none")]
        role: Option<messenger_core::Role>,
    },
    Room {
        room: &'a MyRoom,
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<&'a str>,
    },
    RoomRemoved {
        room: &'a RoomName,
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<&'a str>,
    },
    Directory {
        rooms: &'a [DirectoryEntry],
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<&'a str>,
    },
    Members {
        room: &'a RoomName,
        members: &'a [User],
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<&'a str>,
    },
    Blocked {
        users: &'a [User],
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<&'a str>,
    },
    /// Answers `create_invite`: the one time the code is shown.
    Invite {
        invite: &'a Invite,
        code: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<&'a str>,
    },
    Invites {
        room: &'a RoomName,
        invites: &'a [Invite],
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<&'a str>,
    },
    Activity {
        room: &'a RoomName,
        last_id: MessageId,
    },
    Mention {
        room: &'a RoomName,
        message: &'a Message,
    },
    Read {
        room: &'a RoomName,
        last_read: MessageId,
        mentions: u64,
    },
    Message {
        message: &'a Message,
    },
    History {
        room: &'a RoomName,
        messages: &'a [Message],
        has_more: bool,
        /// Answers `history` with `around`: the message asked about.
        #[serde(skip_serializing_if = "Option::is_none")]
        around: Option<MessageId>,
        /// With `around`: whether newer messages follow the page.
        #[serde(skip_serializing_if = "Option::is_none")]
        has_newer: Option<bool>,
    },
    Changed {
        message: &'a Message,
        /// From a room's stream: the reaction that was the change.
        #[serde(skip_serializing_if = "Option::is_none")]
        reaction: Option<&'a ReactionChange>,
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<&'a str>,
    },
    Pins {
        room: &'a RoomName,
        messages: &'a [Message],
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<&'a str>,
    },
    Reactions {
        room: &'a RoomName,
        id: MessageId,
        reactions: &'a [Reactors],
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<&'a str>,
    },
    Synced {
        room: &'a RoomName,
        last_id: MessageId,
        rev: u64,
    },
    SearchResults {
        hits: &'a [SearchHit],
        next: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<&'a str>,
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
        EventKind::Changed { message, reaction } => ServerFrame::Changed {
            message,
            reaction: reaction.as_ref(),
            client_id: None,
        },
        EventKind::PresenceDiff { room, joined, left } => {
            ServerFrame::PresenceDiff { room, joined, left }
        }
        EventKind::Typing { room, user } => ServerFrame::Typing { room, user },
        EventKind::User(event) => match event {
            UserEvent::Read {
                room,
                last_read,
                mentions,
            } => ServerFrame::Read {
                room,
                last_read: *last_read,
                mentions: *mentions,
            },
            UserEvent::Mention(message) => ServerFrame::Mention {
                room: &message.room,
                message,
            },
            // Answered per connection (they need the user's room state).
            UserEvent::RoomAdded(room) | UserEvent::RoomRemoved(room) => ServerFrame::RoomRemoved {
                room,
                client_id: None,
            },
            // Acted on per connection (it closes the sessions it ends).
            UserEvent::Revoked(_) => ServerFrame::Error {
                code: ErrorCode::Unauthorized,
                message: "logged out",
                client_id: None,
            },
        },
    }
    .encode()
}

/// What a v1 client is shown for a deleted message's body.
pub(crate) const DELETED_V1: &str = "(message deleted)";

/// `m` as v1 (docs/protocol.md) has messages: no edit or delete marks, no
/// reactions, no reply, no pin, and a deleted message's (erased) body shown as
/// [`DELETED_V1`].
pub(crate) fn v1_view(m: &Message) -> Message {
    let mut m = m.clone();
    if m.is_deleted() {
        m.body = MessageBody::from_trusted(DELETED_V1.to_owned());
    }
    m.edited_at = None;
    m.deleted_at = None;
    m.rev = 0;
    m.reactions = Vec::new();
    m.reply_to = None;
    m.pinned = None;
    m
}

/// `messages` as v1 has them; borrowed unchanged when none was changed or
/// is a reply.
pub(crate) fn v1_page(messages: &[Message]) -> std::borrow::Cow<'_, [Message]> {
    if messages.iter().all(|m| m.rev == 0 && m.reply_to.is_none()) {
        std::borrow::Cow::Borrowed(messages)
    } else {
        std::borrow::Cow::Owned(messages.iter().map(v1_view).collect())
    }
}

fn yes() -> bool {
    true
}

/// Reads the frame's `client_id`, if it has a string one, to echo in errors.
pub(crate) fn client_id_of(raw: &serde_json::Value) -> Option<String> {
    raw.get("client_id")?
        .as_str()
        .map(|s| s.chars().take(64).collect())
}
