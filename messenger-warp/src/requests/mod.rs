//! The request layer: every operation a client can ask for, once.
//!
//! The JSON API and the WebSocket carry the same operations. Each
//! transport only decodes its input (a route's path and body, a frame)
//! into a typed [`Request`], and renders the transport-neutral [`Answer`]
//! that [`apply`] returns (a status and JSON, a frame). Parsing into
//! newtypes happens here, once, before anything is asked of the service;
//! the access rules are the service's (`Messenger`), which every request
//! goes through. Like mini-redis's one file per command with `parse` and
//! `apply`, each concern is a file: [`rooms`] and [`messages`].
//!
//! Nothing here knows warp: the layer can serve any transport.

pub(crate) mod http;
pub(crate) mod messages;
pub(crate) mod rooms;

use messenger_core::{
    CreatedInvite, DirectoryEntry, Error, Invite, Message, MessageId, Messenger, MyRoom, Reactors,
    ReadState, Room, RoomName, SearchPage, User,
};

pub(crate) use messages::MessageRequest;
pub(crate) use rooms::RoomRequest;

/// A parsed request, ready to apply.
pub(crate) enum Request {
    Room(RoomRequest),
    Message(MessageRequest),
}

impl From<RoomRequest> for Request {
    fn from(r: RoomRequest) -> Self {
        Request::Room(r)
    }
}

impl From<MessageRequest> for Request {
    fn from(r: MessageRequest) -> Self {
        Request::Message(r)
    }
}

/// What a request came to, for a transport to render.
pub(crate) enum Answer {
    /// The user's rooms.
    Rooms(Vec<MyRoom>),
    /// A room as the user sees it (`created`: it was made by the request).
    Room { room: MyRoom, created: bool },
    /// The public rooms.
    Directory(Vec<DirectoryEntry>),
    /// A room's members.
    Members { room: RoomName, members: Vec<User> },
    /// The user is no longer in the room (left it, or it was deleted).
    RoomGone(RoomName),
    /// The users the user blocks.
    Blocked(Vec<User>),
    /// A new invite: the one time its code is shown.
    Invite(CreatedInvite),
    /// A room's open invites (`revoked`: after revoking one).
    Invites {
        room: RoomName,
        invites: Vec<Invite>,
        revoked: bool,
    },
    /// What an invite leads to, before accepting it.
    InvitePeek {
        invite: Invite,
        room: Room,
        member: bool,
    },
    /// A read position was moved (every connection of the user hears it).
    Read { room: RoomName, state: ReadState },
    /// A message as it is after an edit, a delete or a reaction.
    Changed(Message),
    /// A room's pinned messages, the latest pinned first.
    Pins {
        room: RoomName,
        messages: Vec<Message>,
    },
    /// Who reacted to a message, key by key.
    Reactions {
        room: RoomName,
        id: MessageId,
        reactions: Vec<Reactors>,
    },
    /// A room's changes after a change number, and its head.
    Changes {
        messages: Vec<Message>,
        last_id: MessageId,
        rev: u64,
    },
    /// A page of search hits.
    Search(SearchPage),
}

/// A request being applied.
pub(crate) type Applied<'a> = futures_util::future::BoxFuture<'a, Result<Answer, Error>>;

/// Applies `request` for `user`.
pub(crate) async fn apply(m: &Messenger, user: &User, request: Request) -> Result<Answer, Error> {
    match request {
        Request::Room(r) => r.apply(m, user).await,
        Request::Message(r) => r.apply(m, user).await,
    }
}

/// The text a client is told for `e`. Backend details never reach a
/// client: they are logged here instead, once for both transports.
pub(crate) fn public_message(e: &Error) -> String {
    match e {
        Error::Storage(_) | Error::Internal(_) => {
            tracing::error!(error = ?e, "request failed");
            "internal error".to_owned()
        }
        other => other.to_string(),
    }
}
