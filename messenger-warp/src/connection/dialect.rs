//! The two dialects of the wire contract a socket may speak, and every
//! difference between them in one place. v1 is the first contract; v2 (`/ws?v=2`) adds to it without changing what v1 sees
//! (docs/protocol.md, "Version 2").

use std::borrow::Cow;

use messenger_core::Message;

use crate::frames::{ServerFrame, v1_page, v1_view};

/// What a socket speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    V1,
    V2,
}

impl Dialect {
    /// Edits and deletes reach the client: `changed` frames, live and
    /// caught up after a join (`synced`) or a lag. A v1 client only ever
    /// sees messages as they were posted, a deleted one's body replaced.
    pub(super) fn follows_changes(self) -> bool {
        self == Dialect::V2
    }

    /// The user's rooms with unread state: `ready`'s `room_info` and role,
    /// `room` / `room_removed` frames, `read` and `mention` frames, and
    /// `activity` in member rooms the socket has not joined.
    pub(super) fn tracks_rooms(self) -> bool {
        self == Dialect::V2
    }

    /// A reply shows what it answers (`reply_to`); v1 sees it as a plain
    /// message.
    pub(super) fn shows_replies(self) -> bool {
        self == Dialect::V2
    }

    /// A page of messages as this dialect shows them.
    pub(super) fn page(self, messages: &[Message]) -> Cow<'_, [Message]> {
        match self {
            Dialect::V1 => v1_page(messages),
            Dialect::V2 => Cow::Borrowed(messages),
        }
    }

    /// A `message` frame as this dialect shows it.
    pub(super) fn message_frame(self, message: &Message) -> String {
        match self {
            Dialect::V1 => ServerFrame::Message {
                message: &v1_view(message),
            }
            .encode(),
            Dialect::V2 => ServerFrame::Message { message }.encode(),
        }
    }
}
