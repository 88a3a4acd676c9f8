//! Rooms as data: creation, the directory, membership, private rooms,
//! direct conversations, read positions and mentions, and the one access
//! rule every entry point goes through ([`Rooms::readable`]).
//!
//! A room the asking user may not read answers exactly like a room that
//! does not exist (`not_found`), so names of private rooms do not leak.
//!
//! The service is one struct with an `impl Rooms` block per concern: this
//! file holds the struct and the helpers they share; `access` the access
//! rule and the kind cache, `directory` creation, details and the
//! directory, `membership` who is in a room, `direct` direct conversations
//! and blocks, `unread` room lists, read positions and mentions, `invites`
//! invite links, `closing` archiving and deleting. The data lives in
//! `model`, which lower layers (the store seams) import from directly.

mod access;
mod closing;
mod direct;
mod directory;
mod invites;
mod membership;
mod mentions;
pub(crate) mod model;
mod unread;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tokio::sync::OnceCell;

pub(crate) use mentions::mentioned;
pub use model::{
    CreatedInvite, DirectoryEntry, Invite, InviteCode, InviteTerms, Membership, MyRoom, NewInvite,
    NewRoom, ReadState, Room, RoomKind, RoomTitle, RoomTopic,
};

use crate::broadcast::{EventKind, RoomBroadcast, RoomEvent, UserEvent};
use crate::config::{Limits, RoomCreation};
use crate::error::{Error, Result};
use crate::message::MessageId;
use crate::metrics::store_call;
use crate::room::RoomName;
use crate::store::{MessageStore, RoomStore, UserStore};
use crate::user::{User, UserId, Username};

/// The rooms service. [`Messenger`](crate::Messenger) delegates to it.
pub(crate) struct Rooms {
    store: Arc<dyn RoomStore>,
    users: Arc<dyn UserStore>,
    messages: Arc<dyn MessageStore>,
    broadcast: Arc<dyn RoomBroadcast>,
    configured: Vec<RoomName>,
    creation: RoomCreation,
    limits: Limits,
    /// Rooms never change kind, so a found room's kind is cached: the
    /// access check of a post to a public room costs no I/O. A deleted
    /// room's entry goes when this node deletes it; another node's stays
    /// until it restarts, harmless: the name is never reused, the message
    /// store refuses posts to the room and holds none of its messages, and
    /// a members-only room's access check asks the store.
    kinds: RwLock<HashMap<RoomName, RoomKind>>,
    seeded: OnceCell<()>,
}

impl Rooms {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        store: Arc<dyn RoomStore>,
        users: Arc<dyn UserStore>,
        messages: Arc<dyn MessageStore>,
        broadcast: Arc<dyn RoomBroadcast>,
        configured: Vec<RoomName>,
        creation: RoomCreation,
        limits: Limits,
    ) -> Self {
        Self {
            store,
            users,
            messages,
            broadcast,
            configured,
            creation,
            limits,
            kinds: RwLock::default(),
            seeded: OnceCell::new(),
        }
    }

    /// The configured rooms, `general` first.
    pub(crate) fn configured(&self) -> &[RoomName] {
        &self.configured
    }

    /// Publishes `event` on `user`'s channel. Best effort: a missed event
    /// costs a stale badge until the next list, never data.
    async fn tell(&self, user: UserId, event: UserEvent) {
        let channel = RoomName::user_channel(user);
        if let Err(e) = self
            .broadcast
            .publish(&channel, RoomEvent::new(EventKind::User(event)))
            .await
        {
            tracing::warn!(user = %user, error = %e, "publishing a user event failed");
        }
    }

    async fn heads(&self, rooms: &[RoomName]) -> Result<Vec<Option<crate::store::RoomHead>>> {
        Ok(store_call("room_heads", self.messages.room_heads(rooms)).await?)
    }

    async fn last_id(&self, room: &RoomName) -> Result<MessageId> {
        Ok(self
            .heads(std::slice::from_ref(room))
            .await?
            .pop()
            .flatten()
            .map_or(MessageId(0), |h| h.last_id))
    }

    async fn user_named(&self, username: &Username) -> Result<User> {
        self.users
            .find_user_by_name(username)
            .await?
            .map(|r| r.user)
            .ok_or_else(|| Error::NotFound(format!("no user named '{username}'")))
    }
}
