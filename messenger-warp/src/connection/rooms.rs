//! A connection's part in rooms as data: the `ready` list, requests about
//! rooms (create, browse, enter, exit, members, direct conversations, read
//! markers), the user's own events, and (v2) activity in member rooms the
//! socket has not joined.

use messenger_core::{
    Delivery, Error, EventKind, InviteCode, InviteTerms, MessageId, NewRoom, Reason, RoomName,
    RoomTitle, RoomTopic, UserEvent, Username,
};

use super::Conn;
use crate::frames::{ClientFrame, ServerFrame, encode_event};
use crate::wire::fragments;

impl Conn {
    /// The first frame: who you are and your rooms (v2: with unread state).
    /// A v2 socket then watches each of them for activity.
    pub(super) async fn ready(&mut self) {
        let m = self.web.messenger().clone();
        let mine = match m.my_rooms(&self.authed.user).await {
            Ok(mine) => mine,
            Err(e) => {
                tracing::warn!(error = %e, "listing a user's rooms failed");
                Vec::new()
            }
        };
        let mut names: Vec<&RoomName> = mine.iter().map(|r| &r.room.name).collect();
        if names.is_empty() {
            names.extend(m.configured_rooms());
        }
        let role = if self.v2 {
            m.standing(self.authed.user.id).await.ok().map(|s| s.role)
        } else {
            None
        };
        let frame = ServerFrame::Ready {
            user: &self.authed.user,
            rooms: &names,
            room_info: self.v2.then_some(&mine[..]),
            role,
        }
        .encode();
        self.push(frame);
        if self.v2 {
            for r in &mine {
                self.watch(&r.room.name).await;
            }
        }
    }

    /// v2: watches a member room this socket has not joined.
    pub(super) async fn watch(&mut self, room: &RoomName) {
        if !self.v2 || self.rooms.contains_key(room) || self.watched.contains_key(room) {
            return;
        }
        let m = self.web.messenger().clone();
        if !m.is_member(&self.authed.user, room).await.unwrap_or(false) {
            return;
        }
        match m.watch(room, &self.authed.user).await {
            Ok(sub) => {
                self.watched.insert(room.clone(), sub);
            }
            Err(e) => tracing::debug!(room = %room, error = %e, "cannot watch a room"),
        }
    }

    /// v2: a watched room's event becomes an `activity` frame when it
    /// brings a newer message; everything else there is not for this socket.
    pub(super) fn watched_event(&mut self, room: RoomName, delivery: Delivery) {
        let Delivery::Event(event) = delivery else {
            return;
        };
        let EventKind::Message(message) = event.kind() else {
            return;
        };
        let seen = self.activity.entry(room.clone()).or_insert(MessageId(0));
        if message.id > *seen {
            *seen = message.id;
            let frame = ServerFrame::Activity {
                room: &room,
                last_id: message.id,
            }
            .encode();
            self.push(frame);
        }
    }

    /// One of the user's own events, from any of their connections or nodes.
    pub(super) async fn user_event(&mut self, delivery: Delivery) -> Option<super::End> {
        let Delivery::Event(event) = delivery else {
            return None; // missed some: badges catch up at the next list
        };
        let EventKind::User(user_event) = event.kind() else {
            return None;
        };
        match user_event {
            // From another node (this node's own arrive on the revocation
            // channel first; either one closes the socket).
            UserEvent::Revoked(r) => {
                if self.authed.revoked_by(r) {
                    return Some(self.logged_out().await);
                }
            }
            UserEvent::RoomAdded(room) => {
                if self.v2 {
                    if let Ok(info) = self
                        .web
                        .messenger()
                        .room_info(&self.authed.user, room)
                        .await
                    {
                        let frame = ServerFrame::Room {
                            room: &info,
                            client_id: None,
                        }
                        .encode();
                        self.push(frame);
                    }
                    self.watch(room).await;
                }
            }
            UserEvent::RoomRemoved(room) => {
                self.watched.remove(room);
                self.activity.remove(room);
                // Access to a members-only room ends with the membership.
                if self.rooms.contains_key(room)
                    && self
                        .web
                        .messenger()
                        .room_for(room.as_str(), &self.authed.user)
                        .await
                        .is_err()
                {
                    let _ = self.unjoin(room).await;
                }
                if self.v2 {
                    let frame = ServerFrame::RoomRemoved {
                        room,
                        client_id: None,
                    }
                    .encode();
                    self.push(frame);
                }
            }
            UserEvent::Read { .. } | UserEvent::Mention(_) => {
                if self.v2 {
                    self.out.extend(fragments(event.encoded(encode_event)));
                }
            }
        }
        None
    }

    /// The room requests (any socket may send them; the answers are new
    /// frame types a v1 client never asks for).
    pub(super) async fn room_request(&mut self, frame: ClientFrame) -> Result<(), Error> {
        let m = self.web.messenger().clone();
        let user = self.authed.user.clone();
        let limits = m.config().limits.clone();
        match frame {
            ClientFrame::CreateRoom {
                name,
                title,
                topic,
                private,
                client_id,
            } => {
                let room = m
                    .create_room(
                        Some(&user),
                        NewRoom {
                            name: RoomName::parse(&name, &limits)?,
                            title: RoomTitle::parse(&title)?,
                            topic: RoomTopic::parse(&topic)?,
                            private,
                        },
                        &[],
                    )
                    .await?;
                let info = m.room_info(&user, &room.name).await?;
                self.answer_room(&info, client_id.as_deref());
            }
            ClientFrame::Browse { client_id } => {
                let rooms = m.directory().await?;
                let frame = ServerFrame::Directory {
                    rooms: &rooms,
                    client_id: client_id.as_deref(),
                }
                .encode();
                self.push(frame);
            }
            ClientFrame::Enter { room, client_id } => {
                let room = self.room(&room).await?;
                let info = m.enter_room(&user, &room).await?;
                self.answer_room(&info, client_id.as_deref());
            }
            ClientFrame::Exit { room, client_id } => {
                let room = self.room(&room).await?;
                m.exit_room(&user, &room).await?;
                let frame = ServerFrame::RoomRemoved {
                    room: &room,
                    client_id: client_id.as_deref(),
                }
                .encode();
                self.push(frame);
            }
            ClientFrame::Members { room, client_id } => {
                let room = self.room(&room).await?;
                let members = m.members(&user, &room).await?;
                self.answer_members(&room, &members, client_id.as_deref());
            }
            ClientFrame::AddMember {
                room,
                username,
                client_id,
            } => {
                let room = self.room(&room).await?;
                let username = Username::parse(&username, &limits)?;
                let members = m.add_member(&user, &room, &username).await?;
                self.answer_members(&room, &members, client_id.as_deref());
            }
            ClientFrame::RemoveMember {
                room,
                username,
                client_id,
            } => {
                let room = self.room(&room).await?;
                let username = Username::parse(&username, &limits)?;
                let members = m.remove_member(&user, &room, &username).await?;
                self.answer_members(&room, &members, client_id.as_deref());
            }
            ClientFrame::SetRoom {
                room,
                title,
                topic,
                client_id,
            } => {
                let room = self.room(&room).await?;
                let (title, topic) = (RoomTitle::parse(&title)?, RoomTopic::parse(&topic)?);
                m.set_room_details(&user, &room, title, topic).await?;
                let info = m.room_info(&user, &room).await?;
                self.answer_room(&info, client_id.as_deref());
            }
            ClientFrame::ArchiveRoom {
                room,
                archived,
                reason,
                client_id,
            } => {
                let room = self.room(&room).await?;
                m.archive_room(&user, &room, archived, Reason::parse(&reason)?)
                    .await?;
                let info = m.room_info(&user, &room).await?;
                self.answer_room(&info, client_id.as_deref());
            }
            ClientFrame::DeleteRoom {
                room,
                reason,
                client_id,
            } => {
                let room = self.room(&room).await?;
                m.delete_room(&user, &room, Reason::parse(&reason)?).await?;
                let frame = ServerFrame::RoomRemoved {
                    room: &room,
                    client_id: client_id.as_deref(),
                }
                .encode();
                self.push(frame);
            }
            ClientFrame::CreateInvite {
                room,
                expires_in,
                max_uses,
                client_id,
            } => {
                let room = self.room(&room).await?;
                let terms = InviteTerms::parse(expires_in, max_uses)?;
                let made = m.create_invite(&user, &room, terms).await?;
                let frame = ServerFrame::Invite {
                    invite: &made.invite,
                    code: made.code.expose(),
                    client_id: client_id.as_deref(),
                }
                .encode();
                self.push(frame);
            }
            ClientFrame::Invites { room, client_id } => {
                let room = self.room(&room).await?;
                let invites = m.invites(&user, &room).await?;
                self.answer_invites(&room, &invites, client_id.as_deref());
            }
            ClientFrame::RevokeInvite {
                room,
                id,
                client_id,
            } => {
                let room = self.room(&room).await?;
                m.revoke_invite(&user, &room, id).await?;
                let invites = m.invites(&user, &room).await?;
                self.answer_invites(&room, &invites, client_id.as_deref());
            }
            ClientFrame::AcceptInvite { code, client_id } => {
                let info = m.accept_invite(&user, &InviteCode::parse(&code)?).await?;
                self.answer_room(&info, client_id.as_deref());
            }
            ClientFrame::OpenDm {
                username,
                client_id,
            } => {
                let username = Username::parse(&username, &limits)?;
                let info = m.open_direct(&user, &username).await?;
                self.answer_room(&info, client_id.as_deref());
            }
            ClientFrame::Block {
                username,
                client_id,
            } => self.block(&username, true, client_id).await?,
            ClientFrame::Unblock {
                username,
                client_id,
            } => self.block(&username, false, client_id).await?,
            ClientFrame::Blocked { client_id } => {
                let users = m.blocked(&user).await?;
                self.answer_blocked(&users, client_id.as_deref());
            }
            ClientFrame::Read { room, id } => {
                let room = self.room(&room).await?;
                // Every connection of the user hears of it as a `read` frame.
                m.mark_read(&user, &room, MessageId(id)).await?;
            }
            ClientFrame::Join { .. }
            | ClientFrame::Send { .. }
            | ClientFrame::Typing { .. }
            | ClientFrame::History { .. }
            | ClientFrame::Leave { .. }
            | ClientFrame::Edit { .. }
            | ClientFrame::Delete { .. }
            | ClientFrame::Search { .. } => unreachable!("handled by the caller"),
        }
        Ok(())
    }

    fn answer_room(&mut self, info: &messenger_core::MyRoom, client_id: Option<&str>) {
        let frame = ServerFrame::Room {
            room: info,
            client_id,
        }
        .encode();
        self.push(frame);
    }

    async fn block(
        &mut self,
        username: &str,
        blocked: bool,
        client_id: Option<String>,
    ) -> Result<(), Error> {
        let m = self.web.messenger().clone();
        let username = Username::parse(username, &m.config().limits)?;
        let users = m.block(&self.authed.user, &username, blocked).await?;
        self.answer_blocked(&users, client_id.as_deref());
        Ok(())
    }

    fn answer_invites(
        &mut self,
        room: &RoomName,
        invites: &[messenger_core::Invite],
        client_id: Option<&str>,
    ) {
        let frame = ServerFrame::Invites {
            room,
            invites,
            client_id,
        }
        .encode();
        self.push(frame);
    }

    fn answer_blocked(&mut self, users: &[messenger_core::User], client_id: Option<&str>) {
        let frame = ServerFrame::Blocked { users, client_id }.encode();
        self.push(frame);
    }

    fn answer_members(
        &mut self,
        room: &RoomName,
        members: &[messenger_core::User],
        client_id: Option<&str>,
    ) {
        let frame = ServerFrame::Members {
            room,
            members,
            client_id,
        }
        .encode();
        self.push(frame);
    }
}
