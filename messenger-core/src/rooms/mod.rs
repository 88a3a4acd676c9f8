//! Rooms as data: creation, the directory, membership, private rooms,
//! direct conversations, read positions and mentions, and the one access
//! rule every entry point goes through ([`Rooms::readable`]).
//!
//! A room the asking user may not read answers exactly like a room that
//! does not exist (`not_found`), so names of private rooms do not leak.

mod closing;
mod invites;
mod mentions;
mod model;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use tokio::sync::OnceCell;

pub use invites::{CreatedInvite, Invite, InviteCode, InviteTerms, NewInvite};
pub use mentions::{MAX_MENTIONS, mentioned};
pub use model::{
    DirectoryEntry, Membership, MyRoom, ReadState, Room, RoomCreation, RoomKind, RoomTitle,
    RoomTopic,
};

use crate::broadcast::{EventKind, RoomBroadcast, RoomEvent, UserEvent};
use crate::config::Limits;
use crate::error::{Error, Result};
use crate::message::{Message, MessageId};
use crate::metrics::store_call;
use crate::moderation::Role;
use crate::room::RoomName;
use crate::store::{MessageStore, RoomStore, StoreError, UserStore};
use crate::user::{User, UserId, Username};

/// Most rooms the directory lists.
const DIRECTORY_MAX: usize = 500;

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

/// A room to create, for [`Messenger::create_room`](crate::Messenger::create_room).
#[derive(Debug, Clone)]
pub struct NewRoom {
    /// Its name (not starting with `dm-`, which direct conversations own).
    pub name: RoomName,
    /// Its title.
    pub title: RoomTitle,
    /// Its topic.
    pub topic: RoomTopic,
    /// Public or private (not direct: see [`Messenger::open_direct`](crate::Messenger::open_direct)).
    pub private: bool,
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

    /// Creates the configured rooms once per process (public, made by no
    /// one); existing ones are kept as they are.
    async fn seed(&self) -> Result<()> {
        self.seeded
            .get_or_try_init(|| async {
                for name in &self.configured {
                    if self.store.find_room(name).await?.is_some() {
                        continue;
                    }
                    let room = Room {
                        name: name.clone(),
                        title: RoomTitle::from_trusted(name.to_string()),
                        topic: RoomTopic::from_trusted(if name.as_str() == RoomName::GENERAL {
                            "The community room. Be kind.".into()
                        } else {
                            String::new()
                        }),
                        kind: RoomKind::Public,
                        created_by: None,
                        created_at: Utc::now(),
                        archived_at: None,
                    };
                    match self.store.create_room(&room, &[], MessageId(0)).await {
                        Ok(()) | Err(StoreError::Conflict(_)) => {}
                        Err(e) => return Err(Error::from(e)),
                    }
                }
                Ok::<(), Error>(())
            })
            .await?;
        Ok(())
    }

    async fn find(&self, name: &RoomName) -> Result<Option<Room>> {
        self.seed().await?;
        let found = store_call("find_room", self.store.find_room(name)).await?;
        if let Some(room) = &found {
            self.kinds
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(name.clone(), room.kind);
        }
        Ok(found)
    }

    async fn kind(&self, name: &RoomName) -> Result<Option<RoomKind>> {
        let cached = self
            .kinds
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .copied();
        match cached {
            Some(kind) => Ok(Some(kind)),
            None => Ok(self.find(name).await?.map(|r| r.kind)),
        }
    }

    /// Drops a room from the kind cache: it was deleted.
    fn forget(&self, name: &RoomName) {
        self.kinds
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
    }

    fn not_found(name: &RoomName) -> Error {
        Error::NotFound(format!("no room named '{name}'"))
    }

    /// The room, if `user` may read it: public rooms to everyone, the others
    /// to their members. Anything else is `not_found`, whether the room
    /// exists or not.
    pub(crate) async fn readable(&self, name: &RoomName, user: &User) -> Result<RoomKind> {
        let kind = self
            .kind(name)
            .await?
            .ok_or_else(|| Self::not_found(name))?;
        if kind.members_only()
            && store_call("read_state", self.store.read_state(name, user.id))
                .await?
                .is_none()
        {
            return Err(Self::not_found(name));
        }
        Ok(kind)
    }

    /// Parses a client's room name and checks that `user` may read it.
    pub(crate) async fn parse_readable(&self, raw: &str, user: &User) -> Result<RoomName> {
        // A name outside the grammar is `invalid` (as in v1): it cannot
        // name any room, so saying so tells nothing.
        let name = RoomName::parse(raw, &self.limits)?;
        self.readable(&name, user).await?;
        Ok(name)
    }

    /// Creates a room. With a `creator`, the room creation setting applies
    /// and the creator is its first member; host code passes `None` and the
    /// members it wants.
    pub(crate) async fn create(
        &self,
        creator: Option<(&User, Role)>,
        new: NewRoom,
        members: &[UserId],
        now: DateTime<Utc>,
    ) -> Result<Room> {
        if let Some((_, role)) = creator {
            match self.creation {
                RoomCreation::Anyone => {}
                RoomCreation::Moderators if role.moderates() => {}
                RoomCreation::Moderators => {
                    return Err(Error::Forbidden(
                        "only moderators can create rooms here".into(),
                    ));
                }
                RoomCreation::Nobody => {
                    return Err(Error::Forbidden("creating rooms is turned off here".into()));
                }
            }
        }
        let creator = creator.map(|(u, _)| u);
        if new.name.is_direct() {
            return Err(Error::Invalid(crate::ValidationError::new(
                "room",
                "names starting with 'dm-' belong to direct conversations",
            )));
        }
        self.seed().await?;
        let room = Room {
            name: new.name,
            title: new.title,
            topic: new.topic,
            kind: if new.private {
                RoomKind::Private
            } else {
                RoomKind::Public
            },
            created_by: creator.map(|c| c.id),
            created_at: now,
            archived_at: None,
        };
        let mut all: Vec<UserId> = creator.map(|c| c.id).into_iter().collect();
        for m in members {
            if !all.contains(m) {
                all.push(*m);
            }
        }
        self.store
            .create_room(&room, &all, MessageId(0))
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => Error::Conflict("that room name is taken".into()),
                other => other.into(),
            })?;
        for member in &all {
            self.tell(*member, UserEvent::RoomAdded(room.name.clone()))
                .await;
        }
        Ok(room)
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

    /// The rooms `user` is a member of (`general` always among them, first),
    /// with unread and mention counts.
    pub(crate) async fn mine(&self, user: &User) -> Result<Vec<MyRoom>> {
        self.seed().await?;
        let mut list = store_call("memberships", self.store.memberships(user.id)).await?;
        let general = RoomName::general();
        if !list.iter().any(|m| m.room.name == general) {
            // Everyone is in the community room; the row keeps their place.
            let last = self.last_id(&general).await?;
            self.store
                .add_member(&general, user.id, last, Utc::now())
                .await?;
            if let Some(room) = self.find(&general).await? {
                list.push(Membership {
                    room,
                    read: ReadState {
                        last_read: last,
                        mentions: 0,
                    },
                });
            }
        }
        list.sort_by(|a, b| {
            (a.room.name != general, &a.room.name).cmp(&(b.room.name != general, &b.room.name))
        });
        let names: Vec<RoomName> = list.iter().map(|m| m.room.name.clone()).collect();
        let heads = self.heads(&names).await?;
        let deleted = self.deleted(&list, &heads).await?;
        let mut out = Vec::with_capacity(list.len());
        for ((m, head), deleted) in list.into_iter().zip(heads).zip(deleted) {
            out.push(self.my_room(user, m.room, m.read, head, deleted).await?);
        }
        Ok(out)
    }

    /// Per membership, the deleted messages past its read position (read
    /// only for rooms with something unread and something ever deleted).
    async fn deleted(
        &self,
        list: &[Membership],
        heads: &[Option<crate::store::RoomHead>],
    ) -> Result<Vec<u64>> {
        let ask: Vec<(usize, (RoomName, MessageId))> = list
            .iter()
            .zip(heads)
            .enumerate()
            .filter_map(|(i, (m, h))| {
                h.filter(|h| h.rev > 0 && h.last_id > m.read.last_read)
                    .map(|_| (i, (m.room.name.clone(), m.read.last_read)))
            })
            .collect();
        let mut out = vec![0; list.len()];
        if ask.is_empty() {
            return Ok(out);
        }
        let (at, pairs): (Vec<usize>, Vec<_>) = ask.into_iter().unzip();
        let counts = store_call("deleted_after", self.messages.deleted_after(&pairs)).await?;
        for (i, n) in at.into_iter().zip(counts) {
            out[i] = n;
        }
        Ok(out)
    }

    async fn my_room(
        &self,
        user: &User,
        room: Room,
        read: ReadState,
        head: Option<crate::store::RoomHead>,
        deleted: u64,
    ) -> Result<MyRoom> {
        let last_id = head.map_or(MessageId(0), |h| h.last_id);
        let last_read = read.last_read.min(last_id);
        let peer = if room.kind == RoomKind::Direct {
            self.store
                .members(&room.name)
                .await?
                .into_iter()
                .find(|m| m.id != user.id)
        } else {
            None
        };
        Ok(MyRoom {
            last_id,
            last_read,
            unread: (last_id.0 - last_read.0).saturating_sub(deleted),
            mentions: read.mentions,
            peer,
            room,
        })
    }

    /// One room as `user` sees it (read access needed). A public room they
    /// are not a member of shows nothing unread.
    pub(crate) async fn info(&self, user: &User, name: &RoomName) -> Result<MyRoom> {
        self.readable(name, user).await?;
        let room = self
            .find(name)
            .await?
            .ok_or_else(|| Self::not_found(name))?;
        let head = self
            .heads(std::slice::from_ref(name))
            .await?
            .pop()
            .flatten();
        let read = match self.store.read_state(name, user.id).await? {
            Some(r) => r,
            None => ReadState {
                last_read: head.map_or(MessageId(0), |h| h.last_id),
                mentions: 0,
            },
        };
        let deleted = match head {
            Some(h) if h.rev > 0 && h.last_id > read.last_read => self
                .messages
                .deleted_after(&[(name.clone(), read.last_read)])
                .await?
                .pop()
                .unwrap_or(0),
            _ => 0,
        };
        self.my_room(user, room, read, head, deleted).await
    }

    /// Public rooms with member counts and last activity, most recently
    /// active first.
    pub(crate) async fn directory(&self) -> Result<Vec<DirectoryEntry>> {
        self.seed().await?;
        let rooms = store_call("public_rooms", self.store.public_rooms(DIRECTORY_MAX)).await?;
        let names: Vec<RoomName> = rooms.iter().map(|(r, _)| r.name.clone()).collect();
        let heads = self.heads(&names).await?;
        let mut out: Vec<DirectoryEntry> = rooms
            .into_iter()
            .zip(heads)
            .map(|((room, member_count), head)| DirectoryEntry {
                room,
                member_count,
                last_activity: head.map(|h| h.sent_at),
            })
            .collect();
        out.sort_by(|a, b| {
            b.last_activity
                .cmp(&a.last_activity)
                .then_with(|| a.room.name.cmp(&b.room.name))
        });
        Ok(out)
    }

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

    async fn user_named(&self, username: &Username) -> Result<User> {
        self.users
            .find_user_by_name(username)
            .await?
            .map(|r| r.user)
            .ok_or_else(|| Error::NotFound(format!("no user named '{username}'")))
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

    /// The room `by` manages: one they may read (else `not_found`), not a
    /// direct conversation (its two people own it alike: `invalid`), and
    /// created by them or `by_role` a moderator's (else `forbidden`, saying
    /// that only they may `what`).
    async fn managed(&self, by: &User, by_role: Role, name: &RoomName, what: &str) -> Result<Room> {
        if self.readable(name, by).await? == RoomKind::Direct {
            return Err(Error::Invalid(crate::ValidationError::new(
                "room",
                "a direct conversation belongs to its two people alike",
            )));
        }
        let room = self
            .find(name)
            .await?
            .ok_or_else(|| Self::not_found(name))?;
        if room.created_by != Some(by.id) && !by_role.moderates() {
            return Err(Error::Forbidden(format!(
                "only the room's owner and moderators {what}"
            )));
        }
        Ok(room)
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

    /// `by` sets a room's title and topic: its creator (owner) or a
    /// moderator, in any room but direct conversations. Every member's
    /// sockets are told (a `RoomAdded` event makes them fetch the room
    /// again). Answers the room after.
    pub(crate) async fn set_details(
        &self,
        by: &User,
        by_role: Role,
        name: &RoomName,
        title: RoomTitle,
        topic: RoomTopic,
    ) -> Result<Room> {
        let room = self
            .managed(by, by_role, name, "change its title and topic")
            .await?;
        self.store.set_room_details(name, &title, &topic).await?;
        for member in self.store.members(name).await? {
            self.tell(member.id, UserEvent::RoomAdded(name.clone()))
                .await;
        }
        Ok(Room {
            title,
            topic,
            ..room
        })
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

    /// Moves `user`'s read position in a room forward to `id` (clamped to
    /// the newest message); tells their other connections.
    pub(crate) async fn mark_read(
        &self,
        user: &User,
        name: &RoomName,
        id: MessageId,
    ) -> Result<ReadState> {
        self.readable(name, user).await?;
        let id = id.min(self.last_id(name).await?);
        let state = match self.store.mark_read(name, user.id, id).await? {
            Some(s) => s,
            None => {
                // Reading a public room one is not a member of joins it.
                self.store.add_member(name, user.id, id, Utc::now()).await?;
                self.tell(user.id, UserEvent::RoomAdded(name.clone())).await;
                ReadState {
                    last_read: id,
                    mentions: 0,
                }
            }
        };
        self.tell(
            user.id,
            UserEvent::Read {
                room: name.clone(),
                last_read: state.last_read,
                mentions: state.mentions,
            },
        )
        .await;
        Ok(state)
    }

    /// Records and signals the mentions of a stored message: to every
    /// named user who may read the room, but its author.
    pub(crate) async fn mentions(&self, message: &Message) -> Result<()> {
        let users = self.mentioned_users(message).await?;
        if users.is_empty() {
            return Ok(());
        }
        self.store
            .add_mentions(&message.room, message.id, &users)
            .await?;
        for u in users {
            self.tell(u, UserEvent::Mention(message.clone())).await;
        }
        Ok(())
    }

    /// Brings the mentions of an edited or deleted message in step: users
    /// no longer mentioned lose the mention (and their badges are told),
    /// users newly mentioned are told as for a new message.
    pub(crate) async fn remention(&self, message: &Message) -> Result<()> {
        let room = &message.room;
        let before = self.store.clear_mentions(room, message.id).await?;
        let now = if message.is_deleted() {
            Vec::new()
        } else {
            self.mentioned_users(message).await?
        };
        if !now.is_empty() {
            self.store.add_mentions(room, message.id, &now).await?;
        }
        for u in &now {
            if !before.contains(u) {
                self.tell(*u, UserEvent::Mention(message.clone())).await;
            }
        }
        for u in before.into_iter().filter(|u| !now.contains(u)) {
            if let Some(state) = self.store.read_state(room, u).await? {
                self.tell(
                    u,
                    UserEvent::Read {
                        room: room.clone(),
                        last_read: state.last_read,
                        mentions: state.mentions,
                    },
                )
                .await;
            }
        }
        Ok(())
    }

    /// Who a message mentions that may read its room, but its author.
    async fn mentioned_users(&self, message: &Message) -> Result<Vec<UserId>> {
        let names = mentioned(message.body.as_str(), &self.limits);
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let room = &message.room;
        let kind = self
            .kind(room)
            .await?
            .ok_or_else(|| Self::not_found(room))?;
        let mut users = Vec::new();
        for name in names {
            let Some(record) = self.users.find_user_by_name(&name).await? else {
                continue;
            };
            let u = record.user;
            if u.id == message.author.id {
                continue;
            }
            if kind.members_only() && self.store.read_state(room, u.id).await?.is_none() {
                continue;
            }
            users.push(u.id);
        }
        Ok(users)
    }

    /// The names of the rooms `user` may read: their rooms and every public one.
    pub(crate) async fn readable_names(&self, user: &User) -> Result<Vec<RoomName>> {
        self.seed().await?;
        let mut names: std::collections::BTreeSet<RoomName> = self
            .store
            .memberships(user.id)
            .await?
            .into_iter()
            .map(|m| m.room.name)
            .collect();
        // Public rooms are readable by all; searching them all is the point.
        let public = self.store.public_rooms(1_000_000).await?;
        names.extend(public.into_iter().map(|(room, _)| room.name));
        Ok(names.into_iter().collect())
    }

    /// A room's name if `user` is a member of it (for their connections).
    pub(crate) async fn is_member(&self, user: &User, name: &RoomName) -> Result<bool> {
        Ok(self.store.read_state(name, user.id).await?.is_some())
    }
}
