//! The end of a room's life: archived (read-only, reversible) and deleted
//! (its messages erased, gone for good).
//!
//! Both close the room in the message store ([`MessageStore::close_room`]),
//! not only here: the post path checks access against a per-node cache
//! that never asks the store, and the store's refusal is what holds on
//! every node of a cluster at once.
//!
//! [`MessageStore::close_room`]: crate::MessageStore::close_room

use chrono::{DateTime, Utc};

use super::{Room, RoomKind, Rooms};
use crate::broadcast::UserEvent;
use crate::error::{Error, Result};
use crate::moderation::model::Role;
use crate::room::RoomName;
use crate::store::StoreError;
use crate::user::User;
use crate::validation::ValidationError;

impl Rooms {
    /// The room, if it takes messages: `forbidden` once archived. Asks the
    /// store (not the cache), for the actions that write outside the
    /// message store's own check (edits, members, invites).
    pub(crate) async fn writable(&self, name: &RoomName) -> Result<Room> {
        let room = self
            .find(name)
            .await?
            .ok_or_else(|| Self::not_found(name))?;
        if room.archived_at.is_some() {
            return Err(Error::from(StoreError::Closed {
                room: name.clone(),
                erased: false,
            }));
        }
        Ok(room)
    }

    /// `by` archives a room (`archived`: it becomes read-only: no posts,
    /// edits, new members or invites; moderators may still delete
    /// messages) or opens it again: its owner and moderators may, in any
    /// room but direct conversations. Every member's sockets get the room
    /// again. Answers the room after.
    pub(crate) async fn archive(
        &self,
        by: &User,
        by_role: Role,
        name: &RoomName,
        archived: bool,
        now: DateTime<Utc>,
    ) -> Result<Room> {
        let room = self.managed(by, by_role, name, "archive it").await?;
        let at = archived.then(|| room.archived_at.unwrap_or(now));
        // Closed first: between the two writes the room is already
        // read-only, never writable while it shows as archived.
        if archived {
            self.messages.close_room(name, true).await?;
            self.store.set_archived(name, at).await?;
        } else {
            self.store.set_archived(name, at).await?;
            self.messages.close_room(name, false).await?;
        }
        for member in self.store.members(name).await? {
            self.tell(member.id, UserEvent::RoomAdded(name.clone()))
                .await;
        }
        Ok(Room {
            archived_at: at,
            ..room
        })
    }

    /// `by`, a moderator, deletes a room: its messages are erased (text and
    /// search index, as a deleted message's), its members, invites and
    /// read states go, and its members' sockets drop it. Not the
    /// configured rooms, not direct conversations. The name stays taken.
    /// Answers the room as it was.
    pub(crate) async fn delete(&self, by: &User, by_role: Role, name: &RoomName) -> Result<Room> {
        let kind = self.readable(name, by).await?;
        if kind == RoomKind::Direct {
            return Err(Error::Invalid(ValidationError::new(
                "room",
                "a direct conversation belongs to its two people alike",
            )));
        }
        if !by_role.moderates() {
            return Err(Error::Forbidden("only moderators delete rooms".into()));
        }
        if self.configured.contains(name) {
            return Err(Error::Invalid(ValidationError::new(
                "room",
                "the configured rooms cannot be deleted (archive it instead)",
            )));
        }
        let room = self
            .find(name)
            .await?
            .ok_or_else(|| Self::not_found(name))?;
        let members = self.store.members(name).await?;
        // Erased (and closed for good) before the room goes: a post racing
        // the delete on any node is refused or erased with the rest.
        self.messages.erase_room(name).await?;
        self.store.delete_room(name).await?;
        self.forget(name);
        for member in members {
            self.tell(member.id, UserEvent::RoomRemoved(name.clone()))
                .await;
        }
        Ok(room)
    }
}
