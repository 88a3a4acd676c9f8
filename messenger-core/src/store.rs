//! The storage seams: one trait per concern, so each can live in its own
//! backend, and the types only a store's writer needs (what goes in and
//! comes out of the traits beyond the embedder's types at the crate root).
//! A store proves itself with the conformance suite (`testing` feature).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use crate::error::{BoxError, StoreError};
use crate::external::ExternalId;
pub use crate::message::{Appended, ChangeKind, MessageChange, NewMessage};
use crate::message::{ClientId, HistoryQuery, Message, MessageId};
use crate::moderation::model::{ModAction, Standing};
pub use crate::moderation::model::{ModActionColumns, NewModAction, StandingChange};
pub use crate::reaction::group_reactions;
use crate::room::RoomName;
use crate::rooms::model::{Invite, ReadState, Room, RoomTitle, RoomTopic};
pub use crate::rooms::model::{Membership, NewInvite};
pub use crate::session::{SessionRecord, TokenHash};
use crate::user::{User, UserId, Username};

/// A user with the password hash, as only the service sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The public part.
    pub user: User,
    /// Argon2id PHC string; `None` for a user from the host application,
    /// who cannot log in with a password.
    pub password_hash: Option<String>,
    /// Registration time.
    pub created_at: DateTime<Utc>,
}

/// Registered users. Usernames are unique case-insensitively
/// ([`Username::canonical`]).
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// Stores a new user. A name taken in any letter case is [`StoreError::Conflict`].
    async fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
        created_at: DateTime<Utc>,
    ) -> Result<User, StoreError>;

    /// Finds a user by name, in any letter case.
    async fn find_user_by_name(
        &self,
        username: &Username,
    ) -> Result<Option<UserRecord>, StoreError>;

    /// Finds a user by id.
    async fn find_user(&self, id: UserId) -> Result<Option<User>, StoreError>;

    /// A user whose name has this confusable skeleton
    /// ([`Username::skeleton`]), if any. Stores keep every user's skeleton
    /// (computed with [`Username::skeleton`] when a name is written).
    async fn find_user_by_skeleton(&self, skeleton: &str) -> Result<Option<User>, StoreError>;

    /// Users in id order, those after `after`, at most `limit`.
    async fn list_users(&self, after: UserId, limit: usize) -> Result<Vec<UserRecord>, StoreError>;

    /// Replaces a user's password hash; `false` if there is no such user.
    async fn set_password_hash(
        &self,
        user: UserId,
        password_hash: &str,
    ) -> Result<bool, StoreError>;

    /// Finds the user the host application knows as `external`.
    async fn find_user_by_external_id(
        &self,
        external: &ExternalId,
    ) -> Result<Option<User>, StoreError>;

    /// Makes the user the host knows as `external` exist with `username`,
    /// atomically: creates it (without a password) on first sight, renames
    /// it when the name changed, else leaves it be. A name held by another
    /// user in any letter case is [`StoreError::Conflict`] and changes nothing.
    async fn upsert_external_user(
        &self,
        external: &ExternalId,
        username: &Username,
        now: DateTime<Utc>,
    ) -> Result<User, StoreError>;

    /// `user` blocks (`blocked: true`) or unblocks `other`; `false` (nothing
    /// changed) if that was already so.
    async fn set_block(
        &self,
        user: UserId,
        other: UserId,
        blocked: bool,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Whether `user` blocks `other`.
    async fn blocks(&self, user: UserId, other: UserId) -> Result<bool, StoreError>;

    /// The users `user` blocks, by name.
    async fn blocked_users(&self, user: UserId) -> Result<Vec<User>, StoreError>;

    /// Whether the backend answers. Used by health checks.
    async fn health(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Server-side sessions, keyed by the hash of their token.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Stores a new session.
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError>;

    /// Finds a session by token hash.
    async fn find_session(&self, hash: &TokenHash) -> Result<Option<SessionRecord>, StoreError>;

    /// Records that the session was used at `at`.
    async fn touch_session(&self, hash: &TokenHash, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Deletes one session; `false` if there was none.
    async fn delete_session(&self, hash: &TokenHash) -> Result<bool, StoreError>;

    /// Deletes every session of a user; returns how many.
    async fn delete_user_sessions(&self, user: UserId) -> Result<u64, StoreError>;

    /// Every session of a user, newest first.
    async fn user_sessions(&self, user: UserId) -> Result<Vec<SessionRecord>, StoreError>;

    /// Deletes sessions past their absolute expiry at `now` or unused since
    /// `idle_before`; returns how many.
    async fn delete_expired_sessions(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Whether the backend answers. Used by health checks.
    async fn health(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Room histories.
///
/// Ids are assigned by the store, per room, densely: the first message of a
/// room is 1 and each next one is the previous plus one. That density is
/// what lets subscribers detect a gap and fill it from here.
#[async_trait]
pub trait MessageStore: Send + Sync + 'static {
    /// Stores a batch atomically-or-not-at-all per item, in order, and
    /// answers one [`Appended`] per item in the same order. An item whose
    /// `(author, client_id)` is already stored (also earlier in the same
    /// batch) stores nothing and answers the stored message with
    /// `created: false`. Returning `Ok` means every created message is durable.
    async fn append(&self, batch: Vec<NewMessage>) -> Result<Vec<Appended>, StoreError>;

    /// One page of a room's history, oldest first (see [`HistoryQuery`]).
    async fn history(
        &self,
        room: &RoomName,
        query: HistoryQuery,
    ) -> Result<Vec<Message>, StoreError>;

    /// The message `author` stored with `client_id`, if any.
    async fn find_by_client_id(
        &self,
        author: UserId,
        client_id: &ClientId,
    ) -> Result<Option<Message>, StoreError>;

    /// The newest message of each of `rooms` (in the same order): its id,
    /// when it was sent and the room's change number, or `None` for a room
    /// without messages.
    async fn room_heads(&self, rooms: &[RoomName]) -> Result<Vec<Option<RoomHead>>, StoreError>;

    /// One message, tombstone or not.
    async fn find_message(
        &self,
        room: &RoomName,
        id: MessageId,
    ) -> Result<Option<Message>, StoreError>;

    /// Edits or deletes a message, atomically with giving it the room's
    /// next change number ([`Message::rev`]): change numbers are dense per
    /// room (1, 2, 3, ...) like ids, so a subscriber that sees a gap in them
    /// fills it with [`changes`](Self::changes). A delete erases the body
    /// (from the search index too). Answers the message after the change,
    /// or `None` (and changes nothing) when there is no such message or it
    /// is already deleted.
    async fn change(&self, change: &MessageChange) -> Result<Option<Message>, StoreError>;

    /// Applies `writes` in order, as one unit where the backend can (one
    /// transaction, one commit): what a room's sequencer stored in one
    /// turn, posts and changes mixed, so that edits and reactions among
    /// posts do not cost a commit each. Each write answers as
    /// [`append`](Self::append) or [`change`](Self::change) would; an
    /// append refused with [`StoreError::Closed`] is that write's answer
    /// and the others go on. Any other failure fails the call (a backend
    /// that cannot make it one unit may have applied the writes before it;
    /// retries of posts are safe by their client ids). The default applies
    /// them one by one.
    async fn write(&self, writes: Vec<Write>) -> Result<Vec<Written>, StoreError> {
        let mut out = Vec::with_capacity(writes.len());
        for w in writes {
            out.push(match w {
                Write::Append(batch) => match self.append(batch).await {
                    Ok(done) => Written::Appended(Ok(done)),
                    Err(e @ StoreError::Closed { .. }) => Written::Appended(Err(e)),
                    Err(e) => return Err(e),
                },
                Write::Change(change) => Written::Changed(self.change(&change).await?),
            });
        }
        Ok(out)
    }

    /// The messages of `room` changed after change number `after_rev`, in
    /// change order, at most `limit`; each as it is now (a message changed
    /// twice appears once, at its latest change).
    async fn changes(
        &self,
        room: &RoomName,
        after_rev: u64,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError>;

    /// For each `(room, after)`, how many messages of the room with an id
    /// above `after` are deleted: unread counts leave them out.
    async fn deleted_after(&self, rooms: &[(RoomName, MessageId)]) -> Result<Vec<u64>, StoreError>;

    /// Messages of `rooms` whose body has every one of `terms` as the start
    /// of a word (case-insensitive), newest first, strictly older than the
    /// `before` cursor, at most `limit`. Each comes with its cursor: a
    /// position in the store's global order of posting. Deleted messages
    /// never match.
    async fn search(
        &self,
        rooms: &[RoomName],
        terms: &[String],
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, Message)>, StoreError>;

    /// The pinned messages of `room`, the latest pinned first.
    async fn pins(&self, room: &RoomName) -> Result<Vec<Message>, StoreError>;

    /// Closes a room to new messages (`closed`) or opens it again. While
    /// it is closed, [`append`](Self::append) of a batch for it fails with
    /// [`StoreError::Closed`] and stores nothing: the rule holds in the
    /// store, so every node keeps it whatever it last knew of the room.
    async fn close_room(&self, room: &RoomName, closed: bool) -> Result<(), StoreError>;

    /// Erases every message of a room, their text from the search index
    /// included, and closes the room for good (opening it again does
    /// nothing). Answers how many messages it erased.
    async fn erase_room(&self, room: &RoomName) -> Result<u64, StoreError>;

    /// Whether the backend answers. Used by health checks.
    async fn health(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// One write of a room's turn, for [`MessageStore::write`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Posts, as [`MessageStore::append`] stores them.
    Append(Vec<NewMessage>),
    /// An edit, delete or reaction, as [`MessageStore::change`] makes it.
    Change(MessageChange),
}

/// What a [`Write`] came to.
#[derive(Debug)]
pub enum Written {
    /// An append's answer, or its refusal ([`StoreError::Closed`]).
    Appended(Result<Vec<Appended>, StoreError>),
    /// A change's answer.
    Changed(Option<Message>),
}

/// A room's newest message, from [`MessageStore::room_heads`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomHead {
    /// Its id: the room's message count, since ids are dense.
    pub last_id: MessageId,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
    /// The room's newest change number (0 when nothing was ever edited or
    /// deleted there).
    pub rev: u64,
}

/// Roles, mutes and bans, and the moderation log.
#[async_trait]
pub trait ModerationStore: Send + Sync + 'static {
    /// `user`'s standing; `None` for an unknown user. A user never
    /// moderated has the default standing.
    async fn standing(&self, user: UserId) -> Result<Option<Standing>, StoreError>;

    /// Applies `change` to `user`'s standing and records `entry` in the
    /// log, atomically; `false` (and nothing done) for an unknown user.
    async fn moderate(
        &self,
        user: UserId,
        change: &StandingChange,
        entry: &NewModAction,
    ) -> Result<bool, StoreError>;

    /// Records an action that changed no standing (a deleted message).
    async fn log_action(&self, entry: &NewModAction) -> Result<(), StoreError>;

    /// The log, newest first: entries with an id below `before`, at most `limit`.
    async fn mod_log(
        &self,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ModAction>, StoreError>;
}

/// Rooms, their members, read positions and mentions.
///
/// Message ids are the message store's; this store only keeps positions
/// in them, so the two can live in different backends.
#[async_trait]
pub trait RoomStore: Send + Sync + 'static {
    /// Stores a new room with its first members, each with read position
    /// `last_read`. A taken name is [`StoreError::Conflict`] and stores nothing.
    async fn create_room(
        &self,
        room: &Room,
        members: &[UserId],
        last_read: MessageId,
    ) -> Result<(), StoreError>;

    /// A room by name.
    async fn find_room(&self, name: &RoomName) -> Result<Option<Room>, StoreError>;

    /// Replaces a room's title and topic; `false` (nothing changed) if there
    /// is no such room.
    async fn set_room_details(
        &self,
        name: &RoomName,
        title: &RoomTitle,
        topic: &RoomTopic,
    ) -> Result<bool, StoreError>;

    /// Public rooms with their member counts, in name order, at most `limit`.
    async fn public_rooms(&self, limit: usize) -> Result<Vec<(Room, u64)>, StoreError>;

    /// Makes `user` a member with read position `last_read`; `false` (and
    /// nothing changed) if they already were.
    async fn add_member(
        &self,
        room: &RoomName,
        user: UserId,
        last_read: MessageId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Ends a membership; `false` if there was none.
    async fn remove_member(&self, room: &RoomName, user: UserId) -> Result<bool, StoreError>;

    /// The members of a room, in name order.
    async fn members(&self, room: &RoomName) -> Result<Vec<User>, StoreError>;

    /// Every room `user` is a member of, in name order, with their read state.
    async fn memberships(&self, user: UserId) -> Result<Vec<Membership>, StoreError>;

    /// `user`'s read state in `room`; `None` if not a member.
    async fn read_state(
        &self,
        room: &RoomName,
        user: UserId,
    ) -> Result<Option<ReadState>, StoreError>;

    /// Moves `user`'s read position in `room` forward to `id` (never back)
    /// and answers the state after; `None` if not a member.
    async fn mark_read(
        &self,
        room: &RoomName,
        user: UserId,
        id: MessageId,
    ) -> Result<Option<ReadState>, StoreError>;

    /// Forgets every mention by message `id` of `room` (it was edited or
    /// deleted); answers who was mentioned.
    async fn clear_mentions(
        &self,
        room: &RoomName,
        id: MessageId,
    ) -> Result<Vec<UserId>, StoreError>;

    /// Records that message `id` of `room` mentions each of `users`
    /// (again is harmless).
    async fn add_mentions(
        &self,
        room: &RoomName,
        id: MessageId,
        users: &[UserId],
    ) -> Result<(), StoreError>;

    /// Sets (`Some`) or clears when a room was archived; `false` if there
    /// is no such room.
    async fn set_archived(
        &self,
        name: &RoomName,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError>;

    /// Deletes a room: its members, read states, mentions and invites go,
    /// its title and topic are erased, and [`find_room`](Self::find_room)
    /// no longer finds it. The name stays taken, so that no later room
    /// answers to the links made for this one. `false` if there was no
    /// such room.
    async fn delete_room(&self, name: &RoomName) -> Result<bool, StoreError>;

    /// Stores an invite and answers its id.
    async fn create_invite(&self, invite: &NewInvite) -> Result<u64, StoreError>;

    /// A room's invites, newest first, used up and expired ones included.
    async fn invites(&self, room: &RoomName) -> Result<Vec<Invite>, StoreError>;

    /// The invite whose code hashes to `hash`.
    async fn find_invite(&self, hash: &TokenHash) -> Result<Option<Invite>, StoreError>;

    /// In one step: counts a use of invite `id`, if it has uses left, and
    /// makes `user` a member of its room with read position `last_read`.
    /// `false` (and nothing changed) if the invite is gone or used up.
    async fn use_invite(
        &self,
        id: u64,
        user: UserId,
        last_read: MessageId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Revokes invite `id` of `room`; `false` if there was none.
    async fn delete_invite(&self, room: &RoomName, id: u64) -> Result<bool, StoreError>;
}
