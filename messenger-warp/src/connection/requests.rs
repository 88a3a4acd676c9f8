//! A socket's side of the request layer: the frames that are requests
//! (rooms as data, the message lifecycle) decoded into a [`Request`],
//! applied, and the [`Answer`] rendered as a frame with the request's
//! `client_id`. What needs the socket's own state (join, send, history,
//! typing, leave) stays with the connection.

use messenger_core::{Error, Limits, MessageId};

use super::Conn;
use crate::frames::{ClientFrame, ServerFrame};
use crate::requests::rooms::NewRoomFields;
use crate::requests::{self, Answer, MessageRequest, Request, RoomRequest};

impl Conn {
    pub(super) async fn request(&mut self, frame: ClientFrame) -> Result<(), Error> {
        let m = self.web.messenger().clone();
        let (request, client_id) = decode(frame, &m.config().limits)?;
        let answer = requests::apply(&m, &self.authed.user, request).await?;
        if let Some(frame) = render(&answer, client_id.as_deref()) {
            self.push(frame);
        }
        Ok(())
    }
}

/// The request a frame asks for, and the `client_id` its answer echoes.
fn decode(frame: ClientFrame, l: &Limits) -> Result<(Request, Option<String>), Error> {
    use ClientFrame as F;
    Ok(match frame {
        F::CreateRoom {
            name,
            title,
            topic,
            private,
            client_id,
        } => {
            let fields = NewRoomFields {
                name: &name,
                title: &title,
                topic: &topic,
                private,
            };
            (RoomRequest::create(fields, l)?.into(), client_id)
        }
        F::Browse { client_id } => (RoomRequest::Directory.into(), client_id),
        F::Enter { room, client_id } => (
            RoomRequest::about(&room, l, RoomRequest::Enter)?.into(),
            client_id,
        ),
        F::Exit { room, client_id } => (
            RoomRequest::about(&room, l, RoomRequest::Exit)?.into(),
            client_id,
        ),
        F::Members { room, client_id } => (
            RoomRequest::about(&room, l, RoomRequest::Members)?.into(),
            client_id,
        ),
        F::AddMember {
            room,
            username,
            client_id,
        } => (
            RoomRequest::member(&room, &username, true, l)?.into(),
            client_id,
        ),
        F::RemoveMember {
            room,
            username,
            client_id,
        } => (
            RoomRequest::member(&room, &username, false, l)?.into(),
            client_id,
        ),
        F::SetRoom {
            room,
            title,
            topic,
            client_id,
        } => (
            RoomRequest::set_details(&room, &title, &topic, l)?.into(),
            client_id,
        ),
        F::ArchiveRoom {
            room,
            archived,
            reason,
            client_id,
        } => (
            RoomRequest::archive(&room, archived, &reason, l)?.into(),
            client_id,
        ),
        F::DeleteRoom {
            room,
            reason,
            client_id,
        } => (RoomRequest::delete(&room, &reason, l)?.into(), client_id),
        F::CreateInvite {
            room,
            expires_in,
            max_uses,
            client_id,
        } => (
            RoomRequest::create_invite(&room, expires_in, max_uses, l)?.into(),
            client_id,
        ),
        F::Invites { room, client_id } => (
            RoomRequest::about(&room, l, RoomRequest::Invites)?.into(),
            client_id,
        ),
        F::RevokeInvite {
            room,
            id,
            client_id,
        } => (
            RoomRequest::about(&room, l, |r| RoomRequest::RevokeInvite(r, id))?.into(),
            client_id,
        ),
        F::AcceptInvite { code, client_id } => {
            (RoomRequest::invite(&code, true)?.into(), client_id)
        }
        F::OpenDm {
            username,
            client_id,
        } => (
            RoomRequest::user(&username, l, RoomRequest::OpenDm)?.into(),
            client_id,
        ),
        F::Block {
            username,
            client_id,
        } => (
            RoomRequest::user(&username, l, |u| RoomRequest::Block(u, true))?.into(),
            client_id,
        ),
        F::Unblock {
            username,
            client_id,
        } => (
            RoomRequest::user(&username, l, |u| RoomRequest::Block(u, false))?.into(),
            client_id,
        ),
        F::Blocked { client_id } => (RoomRequest::Blocked.into(), client_id),
        F::Read { room, id } => (
            RoomRequest::about(&room, l, |r| RoomRequest::Read(r, MessageId(id)))?.into(),
            None,
        ),
        F::Edit {
            room,
            id,
            body,
            client_id,
        } => (MessageRequest::edit(&room, id, &body, l)?.into(), client_id),
        F::Delete {
            room,
            id,
            reason,
            client_id,
        } => (
            MessageRequest::delete(&room, id, &reason, l)?.into(),
            client_id,
        ),
        F::React {
            room,
            id,
            key,
            on,
            client_id,
        } => (
            MessageRequest::react(&room, id, &key, on, l)?.into(),
            client_id,
        ),
        F::Reactions {
            room,
            id,
            client_id,
        } => (MessageRequest::reactions(&room, id, l)?.into(), client_id),
        F::Pin {
            room,
            id,
            pinned,
            client_id,
        } => (MessageRequest::pin(&room, id, pinned, l)?.into(), client_id),
        F::Pins { room, client_id } => (MessageRequest::pins(&room, l)?.into(), client_id),
        F::Search {
            q,
            before,
            limit,
            client_id,
        } => (MessageRequest::search(&q, before, limit)?.into(), client_id),
        F::Join { .. }
        | F::Send { .. }
        | F::Typing { .. }
        | F::History { .. }
        | F::Leave { .. } => {
            unreachable!("the connection handles these itself")
        }
    })
}

/// The frame that answers `answer` (docs/protocol.md); none for a read
/// marker, which every connection of the user hears of as a `read` frame.
fn render(answer: &Answer, client_id: Option<&str>) -> Option<String> {
    let frame = match answer {
        Answer::Room { room, .. } => ServerFrame::Room { room, client_id },
        Answer::Directory(rooms) => ServerFrame::Directory { rooms, client_id },
        Answer::Members { room, members } => ServerFrame::Members {
            room,
            members,
            client_id,
        },
        Answer::RoomGone(room) => ServerFrame::RoomRemoved { room, client_id },
        Answer::Blocked(users) => ServerFrame::Blocked { users, client_id },
        Answer::Invite(made) => ServerFrame::Invite {
            invite: &made.invite,
            code: made.code.expose(),
            client_id,
        },
        Answer::Invites { room, invites, .. } => ServerFrame::Invites {
            room,
            invites,
            client_id,
        },
        Answer::Changed(message) => ServerFrame::Changed {
            message,
            reaction: None,
            client_id,
        },
        Answer::Pins { room, messages } => ServerFrame::Pins {
            room,
            messages,
            client_id,
        },
        Answer::Reactions {
            room,
            id,
            reactions,
        } => ServerFrame::Reactions {
            room,
            id: *id,
            reactions,
            client_id,
        },
        Answer::Search(page) => ServerFrame::SearchResults {
            hits: &page.hits,
            next: page.next,
            client_id,
        },
        // Not asked for over a socket: `ready` and `room` frames carry
        // rooms, a join catches up on changes, invites open on a page.
        Answer::Read { .. }
        | Answer::Rooms(_)
        | Answer::InvitePeek { .. }
        | Answer::Changes { .. } => return None,
    };
    Some(frame.encode())
}
