//! Direct conversations of two people, and blocks: whom a user does not
//! take direct messages or room invitations from.

use chrono::{DateTime, Utc};

use super::{MyRoom, Room, RoomKind, RoomTitle, RoomTopic, Rooms};
use crate::broadcast::UserEvent;
use crate::error::{Error, Result};
use crate::message::MessageId;
use crate::room::RoomName;
use crate::store::StoreError;
use crate::user::{User, Username};

impl Rooms {
    /// What a message in a direct conversation needs: the other person
    /// does not block its author, and if they left the conversation it
    /// comes back to their list (leaving hides it until a new message).
    pub(crate) async fn before_direct_message(&self, name: &RoomName, author: &User) -> Result<()> {
        let Some((a, b)) = name.direct_pair() else {
            return Ok(());
        };
        let peer = if a == author.id { b } else { a };
        if self.users.blocks(peer, author.id).await? {
            return Err(Error::Forbidden(
                "this person does not take direct messages from you".into(),
            ));
        }
        if self.store.read_state(name, peer).await?.is_none() {
            let last = self.last_id(name).await?;
            if self.store.add_member(name, peer, last, Utc::now()).await? {
                self.tell(peer, UserEvent::RoomAdded(name.clone())).await;
            }
        }
        Ok(())
    }

    /// `user` blocks (`blocked`) or unblocks the user named `username`: a
    /// blocked user cannot open a direct conversation with them, write in
    /// one, or add them to a room. Answers whom `user` blocks after.
    pub(crate) async fn block(
        &self,
        user: &User,
        username: &Username,
        blocked: bool,
    ) -> Result<Vec<User>> {
        let other = self.user_named(username).await?;
        if other.id == user.id {
            return Err(Error::Invalid(crate::ValidationError::new(
                "username",
                "you cannot block yourself",
            )));
        }
        self.users
            .set_block(user.id, other.id, blocked, Utc::now())
            .await?;
        Ok(self.users.blocked_users(user.id).await?)
    }

    /// The users `user` blocks.
    pub(crate) async fn blocked(&self, user: &User) -> Result<Vec<User>> {
        Ok(self.users.blocked_users(user.id).await?)
    }

    /// The direct conversation of `user` and `with` if it exists and `user`
    /// is in it; opens nothing.
    pub(crate) async fn find_direct(&self, user: &User, with: &Username) -> Result<Option<MyRoom>> {
        let peer = self.user_named(with).await?;
        let name = RoomName::direct(user.id, peer.id);
        if peer.id == user.id || self.find(&name).await?.is_none() {
            return Ok(None);
        }
        match self.info(user, &name).await {
            Ok(info) => Ok(Some(info)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The direct conversation of `user` and `with`: the same one however
    /// often and by whichever of the two it is opened.
    pub(crate) async fn open_direct(
        &self,
        user: &User,
        with: &Username,
        now: DateTime<Utc>,
    ) -> Result<MyRoom> {
        let peer = self.user_named(with).await?;
        if peer.id == user.id {
            return Err(Error::Invalid(crate::ValidationError::new(
                "username",
                "a direct conversation needs someone else",
            )));
        }
        if self.users.blocks(peer.id, user.id).await? {
            return Err(Error::Forbidden(
                "this person does not take direct messages from you".into(),
            ));
        }
        if self.users.blocks(user.id, peer.id).await? {
            return Err(Error::Forbidden(format!(
                "you blocked {}: unblock them first",
                peer.username
            )));
        }
        let name = RoomName::direct(user.id, peer.id);
        if self.find(&name).await?.is_none() {
            let room = Room {
                name: name.clone(),
                title: RoomTitle::from_trusted(format!("{} and {}", user.username, peer.username)),
                topic: RoomTopic::default(),
                kind: RoomKind::Direct,
                created_by: Some(user.id),
                created_at: now,
                archived_at: None,
            };
            match self
                .store
                .create_room(&room, &[user.id, peer.id], MessageId(0))
                .await
            {
                Ok(()) => {
                    self.tell(user.id, UserEvent::RoomAdded(name.clone())).await;
                    self.tell(peer.id, UserEvent::RoomAdded(name.clone())).await;
                }
                // Both opened it at once: the other one made it.
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        } else {
            // One of them may have left it; opening it brings them back.
            let last = self.last_id(&name).await?;
            for who in [user, &peer] {
                if self.store.add_member(&name, who.id, last, now).await? {
                    self.tell(who.id, UserEvent::RoomAdded(name.clone())).await;
                }
            }
        }
        self.info(user, &name).await
    }
}
