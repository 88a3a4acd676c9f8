//! Who is in a room: joining and leaving, members added and removed by
//! others or by the host.

use chrono::Utc;

use super::{MyRoom, RoomKind, Rooms};
use crate::broadcast::UserEvent;
use crate::error::{Error, Result};
use crate::moderation::model::Role;
use crate::room::RoomName;
use crate::user::{User, UserId, Username};

impl Rooms {
    /// Makes `user` a member of a room they may read (a public room, or
    /// one they already belong to). Their read position starts at the
    /// newest message.
    pub(crate) async fn enter(&self, user: &User, name: &RoomName) -> Result<MyRoom> {
        self.readable(name, user).await?;
        // The kind cache cannot know of a delete on another node; joining
        // is rare enough to ask the store, so a tombstone gets no members.
        if self.find(name).await?.is_none() {
            self.forget(name);
            return Err(Self::not_found(name));
        }
        let last = self.last_id(name).await?;
        if self
            .store
            .add_member(name, user.id, last, Utc::now())
            .await?
        {
            self.tell(user.id, UserEvent::RoomAdded(name.clone())).await;
        }
        self.info(user, name).await
    }

    /// Ends `user`'s membership. Everyone stays in `general`.
    pub(crate) async fn exit(&self, user: &User, name: &RoomName) -> Result<()> {
        self.readable(name, user).await?;
        if *name == RoomName::general() {
            return Err(Error::Invalid(crate::ValidationError::new(
                "room",
                "everyone is a member of the community room",
            )));
        }
        if self.store.remove_member(name, user.id).await? {
            self.tell(user.id, UserEvent::RoomRemoved(name.clone()))
                .await;
        }
        Ok(())
    }

    /// The members of a room `user` may read.
    pub(crate) async fn members(&self, user: &User, name: &RoomName) -> Result<Vec<User>> {
        self.readable(name, user).await?;
        Ok(self.store.members(name).await?)
    }

    /// `by` (who may read the room) adds `username` to it. Direct
    /// conversations keep their two.
    pub(crate) async fn add_member(
        &self,
        by: &User,
        name: &RoomName,
        username: &Username,
    ) -> Result<Vec<User>> {
        if self.readable(name, by).await? == RoomKind::Direct {
            return Err(Error::Invalid(crate::ValidationError::new(
                "room",
                "a direct conversation has exactly two people",
            )));
        }
        self.writable(name).await?;
        let added = self.user_named(username).await?;
        if self.users.blocks(added.id, by.id).await? {
            return Err(Error::Forbidden(
                "this person does not accept being added by you".into(),
            ));
        }
        let last = self.last_id(name).await?;
        if self
            .store
            .add_member(name, added.id, last, Utc::now())
            .await?
        {
            self.tell(added.id, UserEvent::RoomAdded(name.clone()))
                .await;
        }
        Ok(self.store.members(name).await?)
    }

    /// `by` removes `username` from a room: the room's creator (owner) or a
    /// moderator may, in any room but the community room and direct
    /// conversations. The removed user is told at once (their sockets drop
    /// the room) and, in a members-only room, loses its history. Answers
    /// the members after.
    pub(crate) async fn remove_member(
        &self,
        by: &User,
        by_role: Role,
        name: &RoomName,
        username: &Username,
    ) -> Result<Vec<User>> {
        let room = self.managed(by, by_role, name, "remove members").await?;
        if room.name == RoomName::general() {
            return Err(Error::Invalid(crate::ValidationError::new(
                "room",
                "nobody is removed from the community room",
            )));
        }
        let removed = self.user_named(username).await?;
        if self.store.remove_member(name, removed.id).await? {
            self.tell(removed.id, UserEvent::RoomRemoved(name.clone()))
                .await;
        }
        Ok(self.store.members(name).await?)
    }

    /// Adds users to a room on the host's word (no access check); answers
    /// how many were new.
    pub(crate) async fn add_members_as_host(
        &self,
        name: &RoomName,
        users: &[UserId],
    ) -> Result<usize> {
        self.find(name)
            .await?
            .ok_or_else(|| Self::not_found(name))?;
        let last = self.last_id(name).await?;
        let mut added = 0;
        for u in users {
            if self.store.add_member(name, *u, last, Utc::now()).await? {
                added += 1;
                self.tell(*u, UserEvent::RoomAdded(name.clone())).await;
            }
        }
        Ok(added)
    }

    /// A room's name if `user` is a member of it (for their connections).
    pub(crate) async fn is_member(&self, user: &User, name: &RoomName) -> Result<bool> {
        Ok(self.store.read_state(name, user.id).await?.is_some())
    }
}
