//! An in-memory implementation of every store trait: for tests, examples and
//! embedders who need no persistence.

mod messages;
mod moderation;
mod rooms;
mod sessions;
mod users;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};

use crate::external::ExternalId;
use crate::message::{ClientId, Message, MessageId};
use crate::moderation::model::{NewModAction, Standing};
use crate::room::RoomName;
use crate::rooms::model::{NewInvite, Room};
use crate::session::{SessionRecord, TokenHash};
use crate::store::UserRecord;
use crate::user::{User, UserId};

/// Users, sessions and messages held in memory; lost when dropped.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    users: Vec<UserRecord>,
    by_canonical: HashMap<String, UserId>,
    by_external: HashMap<ExternalId, UserId>,
    sessions: HashMap<TokenHash, SessionRecord>,
    rooms: HashMap<RoomName, Vec<Message>>,
    by_client_id: HashMap<(UserId, ClientId), (RoomName, MessageId)>,
    room_defs: HashMap<RoomName, Room>,
    /// Per room: member and read position.
    members: HashMap<RoomName, HashMap<UserId, MessageId>>,
    mentions: HashMap<(UserId, RoomName), BTreeSet<MessageId>>,
    /// Every message in posting order: a search cursor is an index + 1.
    order: Vec<(RoomName, MessageId)>,
    /// Per room, its newest change number.
    revs: HashMap<RoomName, u64>,
    /// Per message, its reactions as `(key, user)` rows in the order added,
    /// grouped when read, as a table-backed store does.
    reactions: HashMap<(RoomName, MessageId), Vec<(crate::ReactionKey, UserId)>>,
    standings: HashMap<UserId, Standing>,
    mod_log: Vec<NewModAction>,
    /// (who blocks, whom).
    blocks: BTreeSet<(UserId, UserId)>,
    /// Rooms closed to posts: `true` once erased (for good).
    closed: HashMap<RoomName, bool>,
    /// Deleted rooms, whose names stay taken.
    deleted_rooms: BTreeSet<RoomName>,
    /// Invites by id (ids from 1), with their code hashes.
    invites: BTreeMap<u64, (TokenHash, NewInvite, u32)>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave State half-written in
        // a way that matters more than losing the whole store would.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl State {
    fn user(&self, id: UserId) -> Option<&User> {
        self.users
            .get((id.0.checked_sub(1)?) as usize)
            .map(|r| &r.user)
    }

    fn user_of(&self, id: UserId) -> Option<User> {
        self.user(id).cloned()
    }
}
