//! A connection's part in rooms as data: the `ready` list, the user's own
//! events, and (v2) activity in member rooms the socket has not joined.
//! Requests about rooms go through the request layer (`requests.rs`).

use messenger_core::{Delivery, EventKind, MessageId, RoomName, UserEvent};

use futures_util::future::BoxFuture;

use super::{Conn, Step};
use crate::frames::{ServerFrame, encode_event};

impl Conn {
    /// [`Conn::ready`], its future's type ending here (see [`Step`]).
    pub(super) fn on_ready(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(self.ready())
    }

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
        let role = if self.dialect.tracks_rooms() {
            m.standing(self.authed.user.id).await.ok().map(|s| s.role)
        } else {
            None
        };
        let frame = ServerFrame::Ready {
            user: &self.authed.user,
            rooms: &names,
            room_info: self.dialect.tracks_rooms().then_some(&mine[..]),
            role,
        }
        .encode();
        self.push(frame);
        if self.dialect.tracks_rooms() {
            for r in &mine {
                self.watch(&r.room.name).await;
            }
        }
    }

    /// v2: watches a member room this socket has not joined.
    pub(super) async fn watch(&mut self, room: &RoomName) {
        if !self.dialect.tracks_rooms()
            || self.rooms.contains_key(room)
            || self.watched.contains_key(room)
        {
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

    /// [`Conn::user_event`], its future's type ending here (see [`Step`]).
    pub(super) fn on_user_event(&mut self, delivery: Delivery) -> Step<'_> {
        Box::pin(self.user_event(delivery))
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
                if self.dialect.tracks_rooms() {
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
                if self.dialect.tracks_rooms() {
                    let frame = ServerFrame::RoomRemoved {
                        room,
                        client_id: None,
                    }
                    .encode();
                    self.push(frame);
                }
            }
            UserEvent::Read { .. } | UserEvent::Mention(_) => {
                if self.dialect.tracks_rooms() {
                    self.socket.get_mut().text(event.encoded(encode_event));
                }
            }
        }
        None
    }
}
