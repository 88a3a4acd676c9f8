//! The `Messenger` facade: the one door that checks who may do what,
//! delegating to one service per concern: accounts (`crate::accounts`),
//! rooms (`crate::rooms`), posting and history (`posting`), and the live
//! state of rooms, joins, presence and typing (`live`).

mod builder;
mod editing;
mod live;
mod managing;
mod moderating;
mod pinning;
mod posting;
mod reacting;
mod settings;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

pub use builder::{BuildError, MessengerBuilder};
pub use editing::CHANGES_PAGE_MAX;
pub use live::{Joined, PresenceGuard};
pub use reacting::Reactors;

use crate::accounts::Accounts;
use crate::broadcast::{RoomBroadcast, Subscription};
use crate::clock::Clock;
use crate::config::MessengerConfig;
use crate::error::{Error, Result};
use crate::external::HostIdentity;
use crate::message::MessageId;
use crate::moderation::Moderation;
use crate::presence::Presence;
use crate::presence_feed::PresenceFeed;
use crate::room::RoomName;
use crate::rooms::{DirectoryEntry, MyRoom, NewRoom, ReadState, Room, RoomTitle, RoomTopic, Rooms};
use crate::sequencer::RoomSequencer;
use crate::session::{LoginOutcome, Revocation, Session, SessionOptions, SessionToken};
use crate::store::{MessageStore, UserRecord};
use crate::user::{Password, User, UserId, Username};

/// The chat service. Cheap to clone: clones share one state.
///
/// Build it with [`Messenger::builder`]. It must be used inside a Tokio
/// runtime (it spawns its per-room sequencers and housekeeping there).
#[derive(Clone)]
pub struct Messenger {
    inner: Arc<Inner>,
}

/// One service per concern, and what posting and live state share.
struct Inner {
    config: MessengerConfig,
    accounts: Accounts,
    moderation: Arc<Moderation>,
    rooms: Arc<Rooms>,
    messages: Arc<dyn MessageStore>,
    broadcast: Arc<dyn RoomBroadcast>,
    presence: Arc<dyn Presence>,
    presence_feed: Arc<PresenceFeed>,
    /// Whether the presence registry is shared with other nodes (given to
    /// the builder) rather than this process's own.
    presence_shared: bool,
    failures: Arc<dyn crate::ratelimit::FailureCounter>,
    clock: Arc<dyn Clock>,
    sequencers: Mutex<HashMap<RoomName, RoomSequencer>>,
    rates: Arc<dyn crate::ratelimit::RateCounter>,
    holds: Arc<dyn crate::holds::HoldCounter>,
}

impl Messenger {
    /// Starts a [`MessengerBuilder`].
    pub fn builder() -> MessengerBuilder {
        MessengerBuilder::default()
    }

    /// The configuration in force.
    pub fn config(&self) -> &MessengerConfig {
        &self.inner.config
    }

    /// The rooms of the configuration (created at first use), `general` first.
    pub fn configured_rooms(&self) -> &[RoomName] {
        self.inner.rooms.configured()
    }

    /// Parses a client's room name and checks that `user` may read the
    /// room: a public room, or one they are a member of. Anything else,
    /// existing or not, is [`Error::NotFound`].
    pub async fn room_for(&self, raw: &str, user: &User) -> Result<RoomName> {
        self.inner.rooms.parse_readable(raw, user).await
    }

    /// The events of `user`'s own channel ([`UserEvent`](crate::UserEvent)s:
    /// rooms added and removed, read positions, mentions), for their
    /// connections.
    pub async fn user_events(&self, user: &User) -> Result<Subscription> {
        self.inner
            .broadcast
            .subscribe(&RoomName::user_channel(user.id))
            .await
            .map_err(|e| Error::Internal(format!("subscribing failed: {e}")))
    }

    /// Subscribes to a room's events without joining it (no presence, no
    /// history): how a connection watches its other rooms for activity.
    /// Read access needed.
    pub async fn watch(&self, room: &RoomName, user: &User) -> Result<Subscription> {
        self.inner.rooms.readable(room, user).await?;
        self.inner
            .broadcast
            .subscribe(room)
            .await
            .map_err(|e| Error::Internal(format!("subscribing failed: {e}")))
    }

    /// Creates a room. A `creator` (a user asking) is subject to
    /// [`MessengerConfig::room_creation`] and becomes its first member;
    /// host code passes `None` and sets the members itself (one private
    /// room per order, with its buyer and seller). Each member is told.
    pub async fn create_room(
        &self,
        creator: Option<&User>,
        room: NewRoom,
        members: &[UserId],
    ) -> Result<Room> {
        let creator = match creator {
            Some(u) => {
                // A new room lands in every member's list: muted users
                // cannot, and nobody can at a script's pace.
                self.inner.moderation.may_send(u).await?;
                self.limit("create_room", u, self.inner.config.actions.create_room)
                    .await?;
                Some((u, self.inner.moderation.fresh(u.id).await?.role))
            }
            None => None,
        };
        self.inner
            .rooms
            .create(creator, room, members, self.inner.clock.now())
            .await
    }

    /// The rooms `user` is a member of (`general` first), with unread and
    /// mention counts.
    pub async fn my_rooms(&self, user: &User) -> Result<Vec<MyRoom>> {
        self.inner.rooms.mine(user).await
    }

    /// One room as `user` sees it (read access needed).
    pub async fn room_info(&self, user: &User, room: &RoomName) -> Result<MyRoom> {
        self.inner.rooms.info(user, room).await
    }

    /// Public rooms, most recently active first, with member counts.
    pub async fn directory(&self) -> Result<Vec<DirectoryEntry>> {
        self.inner.rooms.directory().await
    }

    /// Makes `user` a member of a public room (remembered across sessions
    /// and devices).
    pub async fn enter_room(&self, user: &User, room: &RoomName) -> Result<MyRoom> {
        self.inner.rooms.enter(user, room).await
    }

    /// Ends `user`'s membership of a room (not `general`).
    pub async fn exit_room(&self, user: &User, room: &RoomName) -> Result<()> {
        self.inner.rooms.exit(user, room).await
    }

    /// The members of a room `user` may read.
    pub async fn members(&self, user: &User, room: &RoomName) -> Result<Vec<User>> {
        self.inner.rooms.members(user, room).await
    }

    /// `by`, who may read the room, adds the user named `username` to it;
    /// answers the members after. Muted users cannot add anyone.
    pub async fn add_member(
        &self,
        by: &User,
        room: &RoomName,
        username: &Username,
    ) -> Result<Vec<User>> {
        self.inner.rooms.readable(room, by).await?;
        self.inner.moderation.may_send(by).await?;
        self.limit("add_member", by, self.inner.config.actions.add_member)
            .await?;
        self.inner.rooms.add_member(by, room, username).await
    }

    /// `by` removes the user named `username` from `room`: the room's
    /// creator or a moderator may (not in `general` or a direct
    /// conversation). The removed user's sockets drop the room at once and
    /// a members-only room's history is closed to them. Answers the members
    /// after.
    pub async fn remove_member(
        &self,
        by: &User,
        room: &RoomName,
        username: &Username,
    ) -> Result<Vec<User>> {
        let role = self.inner.moderation.fresh(by.id).await?.role;
        self.inner
            .rooms
            .remove_member(by, role, room, username)
            .await
    }

    /// `by` sets `room`'s title and topic: the room's creator or a
    /// moderator may (not in a direct conversation). Members' v2 sockets
    /// get the room again. Answers the room after.
    pub async fn set_room_details(
        &self,
        by: &User,
        room: &RoomName,
        title: RoomTitle,
        topic: RoomTopic,
    ) -> Result<Room> {
        let role = self.inner.moderation.fresh(by.id).await?.role;
        self.inner
            .rooms
            .set_details(by, role, room, title, topic)
            .await
    }

    /// Adds users to a room from host code, without any access check (the
    /// host decides who belongs): answers how many were new.
    pub async fn set_members(&self, room: &RoomName, users: &[UserId]) -> Result<usize> {
        self.inner.rooms.add_members_as_host(room, users).await
    }

    /// `user` blocks the user named `username` (`blocked: true`) or
    /// unblocks them. A blocked user cannot open a direct conversation with
    /// `user`, write in one (a conversation `user` left stays hidden), or
    /// add `user` to a room; `user` sees nothing else change. Answers whom
    /// `user` blocks after.
    pub async fn block(
        &self,
        user: &User,
        username: &Username,
        blocked: bool,
    ) -> Result<Vec<User>> {
        self.inner.rooms.block(user, username, blocked).await
    }

    /// The users `user` blocks, by name.
    pub async fn blocked(&self, user: &User) -> Result<Vec<User>> {
        self.inner.rooms.blocked(user).await
    }

    /// The direct conversation of `user` with the user named `with`, if
    /// there is one and `user` is in it. Changes nothing.
    pub async fn find_direct(&self, user: &User, with: &Username) -> Result<Option<MyRoom>> {
        self.inner.rooms.find_direct(user, with).await
    }

    /// The direct conversation of `user` with the user named `with`,
    /// opened (created on first use) for both. Muted users cannot open one.
    pub async fn open_direct(&self, user: &User, with: &Username) -> Result<MyRoom> {
        self.inner.moderation.may_send(user).await?;
        self.limit("open_direct", user, self.inner.config.actions.open_direct)
            .await?;
        self.inner
            .rooms
            .open_direct(user, with, self.inner.clock.now())
            .await
    }

    /// Marks a room read up to `id` for `user`, on all their devices.
    pub async fn mark_read(
        &self,
        user: &User,
        room: &RoomName,
        id: MessageId,
    ) -> Result<ReadState> {
        self.inner.rooms.mark_read(user, room, id).await
    }

    /// Whether `user` is a member of `room`.
    pub async fn is_member(&self, user: &User, room: &RoomName) -> Result<bool> {
        self.inner.rooms.is_member(user, room).await
    }

    /// Registers a user. A name taken in any letter case is [`Error::Conflict`].
    pub async fn register(&self, username: Username, password: Password) -> Result<User> {
        self.inner.accounts.register(username, password).await
    }

    /// Checks credentials and opens a new session. Unknown user and wrong
    /// password answer the same [`Error::Unauthorized`] after the same work.
    /// Failed attempts per username are limited.
    pub async fn login(
        &self,
        username: &Username,
        password: &Password,
        remember: bool,
    ) -> Result<LoginOutcome> {
        let options = SessionOptions {
            remember,
            ..SessionOptions::default()
        };
        self.login_with(username, password, options).await
    }

    /// [`login`](Self::login) with the client's `User-Agent` kept with the
    /// session, for the account settings' list of sessions. A banned user
    /// with the right password gets [`Error::Banned`] with the reason.
    pub async fn login_with(
        &self,
        username: &Username,
        password: &Password,
        options: SessionOptions,
    ) -> Result<LoginOutcome> {
        self.inner.accounts.login(username, password, options).await
    }

    /// Opens a new session for `user` without any credential check: for a
    /// host application that authenticated the person itself and hands the
    /// token to its client (as a bearer token or the chat's cookie).
    pub async fn open_session(&self, user: User, remember: bool) -> Result<LoginOutcome> {
        let options = SessionOptions {
            remember,
            ..SessionOptions::default()
        };
        self.inner.accounts.open_session(user, options).await
    }

    /// [`open_session`](Self::open_session) with [`SessionOptions`].
    pub async fn open_session_with(
        &self,
        user: User,
        options: SessionOptions,
    ) -> Result<LoginOutcome> {
        self.inner.accounts.open_session(user, options).await
    }

    /// The chat user of a person the host application authenticated:
    /// created (without a password) on first sight, renamed when the host's
    /// name for them changed. A name another user holds is
    /// [`Error::Conflict`]. Costs one read when nothing changed.
    pub async fn host_user(&self, identity: &HostIdentity) -> Result<User> {
        self.inner.accounts.host_user(identity).await
    }

    /// The session `token` opens, if it is valid: known, within its absolute
    /// lifetime and not idle too long.
    pub async fn authenticate(&self, token: &SessionToken) -> Result<Session> {
        self.inner.accounts.authenticate(token).await
    }

    /// Revokes one session, server-side; its open connections are told.
    pub async fn logout(&self, session: &Session) -> Result<()> {
        self.inner.accounts.logout(session).await
    }

    /// Revokes every session of `user`; returns how many there were.
    pub async fn logout_everywhere(&self, user: UserId) -> Result<u64> {
        self.inner.accounts.logout_everywhere(user).await
    }

    /// Revocations from now on (this node's). Connections listen here and
    /// close when theirs is revoked.
    pub fn revocations(&self) -> broadcast::Receiver<Revocation> {
        self.inner.accounts.revocations()
    }

    /// Users in id order after `after`, at most `limit`: for administration
    /// tools, never for other users.
    pub async fn list_users(&self, after: UserId, limit: usize) -> Result<Vec<UserRecord>> {
        self.inner.accounts.list_users(after, limit).await
    }

    /// Gives the user named `username` a new password and revokes every
    /// session of theirs, so their open connections close.
    pub async fn reset_password(&self, username: &Username, password: &Password) -> Result<User> {
        self.inner.accounts.reset_password(username, password).await
    }

    /// Where failed attempts are counted (this node's memory, or the
    /// cluster's): for limits of the web layer (failed logins per address).
    pub fn failures(&self) -> &Arc<dyn crate::ratelimit::FailureCounter> {
        &self.inner.failures
    }

    /// Where rate limits are counted, for limits of the layers above (the
    /// web layer's registrations per address).
    pub fn rates(&self) -> &Arc<dyn crate::ratelimit::RateCounter> {
        &self.inner.rates
    }

    /// Where concurrent holds are counted, for caps of the layers above (the
    /// web layer's open sockets per user).
    pub fn holds(&self) -> &Arc<dyn crate::holds::HoldCounter> {
        &self.inner.holds
    }

    /// Deletes expired sessions from the store; returns how many.
    pub async fn purge_expired_sessions(&self) -> Result<u64> {
        self.inner.accounts.purge_expired_sessions().await
    }

    /// Whether every store answers.
    pub async fn health(&self) -> Result<()> {
        self.inner.accounts.health().await?;
        self.inner.messages.health().await?;
        Ok(())
    }
}

impl std::fmt::Debug for Messenger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messenger")
            .field("rooms", &self.inner.rooms.configured())
            .finish_non_exhaustive()
    }
}
