//! An in-memory implementation of every store trait: for tests, examples and
//! embedders who need no persistence.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::external::ExternalId;
use crate::message::{
    Appended, ChangeKind, ClientId, HistoryQuery, Message, MessageBody, MessageChange, MessageId,
    NewMessage,
};
use crate::moderation::{ModAction, NewModAction, Standing, StandingChange};
use crate::room::RoomName;
use crate::rooms::{
    Invite, Membership, NewInvite, ReadState, Room, RoomKind, RoomTitle, RoomTopic,
};
use crate::search::SearchQuery;
use crate::session::{SessionRecord, TokenHash};
use crate::store::{
    MessageStore, ModerationStore, RoomHead, RoomStore, SessionStore, StoreError, UserRecord,
    UserStore,
};
use crate::user::{User, UserId, Username};

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
    fn read_state(&self, room: &RoomName, user: UserId) -> Option<ReadState> {
        let last_read = *self.members.get(room)?.get(&user)?;
        let mentions = self.mentions.get(&(user, room.clone())).map_or(0, |ids| {
            ids.range(MessageId(last_read.0 + 1)..).count() as u64
        });
        Some(ReadState {
            last_read,
            mentions,
        })
    }

    fn user(&self, id: UserId) -> Option<&User> {
        self.users
            .get((id.0.checked_sub(1)?) as usize)
            .map(|r| &r.user)
    }

    /// `m` with its author's name as it is now (users from the host can be
    /// renamed), as a store that joins on the users table answers.
    fn current(&self, m: &Message) -> Message {
        let mut m = m.clone();
        if let Some(r) = self.users.get((m.author.id.0 - 1) as usize) {
            m.author.username = r.user.username.clone();
        }
        m
    }

    fn insert_user(
        &mut self,
        username: &Username,
        password_hash: Option<String>,
        created_at: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        let canonical = username.canonical();
        if self.by_canonical.contains_key(&canonical) {
            return Err(StoreError::Conflict("username is taken".into()));
        }
        let user = User {
            id: UserId(self.users.len() as u64 + 1),
            username: username.clone(),
        };
        self.by_canonical.insert(canonical, user.id);
        self.users.push(UserRecord {
            user: user.clone(),
            password_hash,
            created_at,
        });
        Ok(user)
    }

    fn message(&self, room: &RoomName, id: MessageId) -> Option<&Message> {
        self.rooms.get(room)?.get((id.0 - 1) as usize)
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn set_block(
        &self,
        user: UserId,
        other: UserId,
        blocked: bool,
        _at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut s = self.state();
        Ok(if blocked {
            s.blocks.insert((user, other))
        } else {
            s.blocks.remove(&(user, other))
        })
    }

    async fn find_user_by_skeleton(&self, skeleton: &str) -> Result<Option<User>, StoreError> {
        Ok(self
            .state()
            .users
            .iter()
            .find(|r| r.user.username.skeleton() == skeleton)
            .map(|r| r.user.clone()))
    }

    async fn blocks(&self, user: UserId, other: UserId) -> Result<bool, StoreError> {
        Ok(self.state().blocks.contains(&(user, other)))
    }

    async fn blocked_users(&self, user: UserId) -> Result<Vec<User>, StoreError> {
        let s = self.state();
        let mut users: Vec<User> = s
            .blocks
            .iter()
            .filter(|(by, _)| *by == user)
            .filter_map(|(_, other)| s.user(*other).cloned())
            .collect();
        users.sort_by_key(|u| u.username.canonical());
        Ok(users)
    }

    async fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
        created_at: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        self.state()
            .insert_user(username, Some(password_hash.to_owned()), created_at)
    }

    async fn find_user_by_name(
        &self,
        username: &Username,
    ) -> Result<Option<UserRecord>, StoreError> {
        let s = self.state();
        Ok(s.by_canonical
            .get(&username.canonical())
            .map(|id| s.users[(id.0 - 1) as usize].clone()))
    }

    async fn find_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let s = self.state();
        Ok(id
            .0
            .checked_sub(1)
            .and_then(|i| s.users.get(i as usize))
            .map(|r| r.user.clone()))
    }

    async fn list_users(&self, after: UserId, limit: usize) -> Result<Vec<UserRecord>, StoreError> {
        let s = self.state();
        Ok(s.users
            .iter()
            .skip(after.0 as usize)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn set_password_hash(
        &self,
        user: UserId,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        let mut s = self.state();
        let Some(r) = user
            .0
            .checked_sub(1)
            .and_then(|i| s.users.get_mut(i as usize))
        else {
            return Ok(false);
        };
        r.password_hash = Some(password_hash.to_owned());
        Ok(true)
    }

    async fn find_user_by_external_id(
        &self,
        external: &ExternalId,
    ) -> Result<Option<User>, StoreError> {
        let s = self.state();
        Ok(s.by_external
            .get(external)
            .map(|id| s.users[(id.0 - 1) as usize].user.clone()))
    }

    async fn upsert_external_user(
        &self,
        external: &ExternalId,
        username: &Username,
        now: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        let mut s = self.state();
        let Some(&id) = s.by_external.get(external) else {
            let user = s.insert_user(username, None, now)?;
            s.by_external.insert(external.clone(), user.id);
            return Ok(user);
        };
        let old = s.users[(id.0 - 1) as usize].user.username.clone();
        if old != *username {
            let canonical = username.canonical();
            if s.by_canonical
                .get(&canonical)
                .is_some_and(|holder| *holder != id)
            {
                return Err(StoreError::Conflict("username is taken".into()));
            }
            s.by_canonical.remove(&old.canonical());
            s.by_canonical.insert(canonical, id);
            s.users[(id.0 - 1) as usize].user.username = username.clone();
        }
        Ok(s.users[(id.0 - 1) as usize].user.clone())
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        self.state()
            .sessions
            .insert(session.token_hash, session.clone());
        Ok(())
    }

    async fn find_session(&self, hash: &TokenHash) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self.state().sessions.get(hash).cloned())
    }

    async fn touch_session(&self, hash: &TokenHash, at: DateTime<Utc>) -> Result<(), StoreError> {
        if let Some(s) = self.state().sessions.get_mut(hash) {
            s.last_seen_at = s.last_seen_at.max(at);
        }
        Ok(())
    }

    async fn delete_session(&self, hash: &TokenHash) -> Result<bool, StoreError> {
        Ok(self.state().sessions.remove(hash).is_some())
    }

    async fn user_sessions(&self, user: UserId) -> Result<Vec<SessionRecord>, StoreError> {
        let mut out: Vec<SessionRecord> = self
            .state()
            .sessions
            .values()
            .filter(|r| r.user_id == user)
            .cloned()
            .collect();
        out.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        Ok(out)
    }

    async fn delete_user_sessions(&self, user: UserId) -> Result<u64, StoreError> {
        let mut s = self.state();
        let before = s.sessions.len();
        s.sessions.retain(|_, r| r.user_id != user);
        Ok((before - s.sessions.len()) as u64)
    }

    async fn delete_expired_sessions(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut s = self.state();
        let before = s.sessions.len();
        s.sessions
            .retain(|_, r| r.expires_at > now && r.last_seen_at >= idle_before);
        Ok((before - s.sessions.len()) as u64)
    }
}

#[async_trait]
impl MessageStore for MemoryStore {
    async fn append(&self, batch: Vec<NewMessage>) -> Result<Vec<Appended>, StoreError> {
        let mut s = self.state();
        if let Some(new) = batch.iter().find(|n| s.closed.contains_key(&n.room)) {
            return Err(StoreError::Closed {
                room: new.room.clone(),
                erased: s.closed[&new.room],
            });
        }
        let mut out = Vec::with_capacity(batch.len());
        for new in batch {
            let key = (new.author.id, new.client_id.clone());
            if let Some((room, id)) = s.by_client_id.get(&key) {
                let message = s
                    .message(room, *id)
                    .cloned()
                    .ok_or_else(|| StoreError::backend("client id index points nowhere"))?;
                out.push(Appended {
                    message,
                    created: false,
                });
                continue;
            }
            let list = s.rooms.entry(new.room.clone()).or_default();
            let id = MessageId(list.len() as u64 + 1);
            let message = Message::posted(new, id);
            list.push(message.clone());
            s.order.push((message.room.clone(), id));
            s.by_client_id
                .insert(key, (message.room.clone(), message.id));
            out.push(Appended {
                message,
                created: true,
            });
        }
        Ok(out)
    }

    async fn close_room(&self, room: &RoomName, closed: bool) -> Result<(), StoreError> {
        let mut s = self.state();
        match (closed, s.closed.get(room)) {
            (_, Some(true)) => {}
            (true, _) => {
                s.closed.insert(room.clone(), false);
            }
            (false, _) => {
                s.closed.remove(room);
            }
        }
        Ok(())
    }

    async fn erase_room(&self, room: &RoomName) -> Result<u64, StoreError> {
        let mut s = self.state();
        s.closed.insert(room.clone(), true);
        s.revs.remove(room);
        s.by_client_id.retain(|_, (r, _)| r != room);
        // `order` keeps its places (search cursors are indexes into it);
        // search skips what no longer resolves.
        Ok(s.rooms.remove(room).map_or(0, |list| list.len() as u64))
    }

    async fn history(
        &self,
        room: &RoomName,
        query: HistoryQuery,
    ) -> Result<Vec<Message>, StoreError> {
        let s = self.state();
        let Some(list) = s.rooms.get(room) else {
            return Ok(Vec::new());
        };
        // Ids are dense from 1, so an id is its index plus one.
        let lo = query.after.map_or(0, |a| (a.0 as usize).min(list.len()));
        let hi = query.before.map_or(list.len(), |b| {
            (b.0.saturating_sub(1) as usize).min(list.len())
        });
        if lo >= hi {
            return Ok(Vec::new());
        }
        let range = if query.after.is_some() {
            lo..hi.min(lo + query.limit)
        } else {
            hi.saturating_sub(query.limit).max(lo)..hi
        };
        Ok(list[range].iter().map(|m| s.current(m)).collect())
    }

    async fn room_heads(&self, rooms: &[RoomName]) -> Result<Vec<Option<RoomHead>>, StoreError> {
        let s = self.state();
        Ok(rooms
            .iter()
            .map(|r| {
                s.rooms
                    .get(r)
                    .and_then(|list| list.last())
                    .map(|m| RoomHead {
                        last_id: m.id,
                        sent_at: m.sent_at,
                        rev: s.revs.get(r).copied().unwrap_or(0),
                    })
            })
            .collect())
    }

    async fn find_by_client_id(
        &self,
        author: UserId,
        client_id: &ClientId,
    ) -> Result<Option<Message>, StoreError> {
        let s = self.state();
        Ok(s.by_client_id
            .get(&(author, client_id.clone()))
            .and_then(|(room, id)| s.message(room, *id))
            .map(|m| s.current(m)))
    }

    async fn find_message(
        &self,
        room: &RoomName,
        id: MessageId,
    ) -> Result<Option<Message>, StoreError> {
        let s = self.state();
        Ok(s.message(room, id).map(|m| s.current(m)))
    }

    async fn change(&self, change: &MessageChange) -> Result<Option<Message>, StoreError> {
        let mut s = self.state();
        let live = s
            .message(&change.room, change.id)
            .is_some_and(|m| !m.is_deleted());
        if !live {
            return Ok(None);
        }
        let rev = s.revs.entry(change.room.clone()).or_default();
        *rev += 1;
        let rev = *rev;
        let list = s.rooms.get_mut(&change.room).expect("checked above");
        let m = &mut list[(change.id.0 - 1) as usize];
        match &change.kind {
            ChangeKind::Edit(body) => {
                m.body = body.clone();
                m.edited_at = Some(change.at);
            }
            ChangeKind::Delete => {
                m.body = MessageBody::erased();
                m.deleted_at = Some(change.at);
            }
        }
        m.rev = rev;
        let m = m.clone();
        Ok(Some(s.current(&m)))
    }

    async fn changes(
        &self,
        room: &RoomName,
        after_rev: u64,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        let s = self.state();
        let mut out: Vec<Message> = s
            .rooms
            .get(room)
            .map(|list| list.iter().filter(|m| m.rev > after_rev).cloned().collect())
            .unwrap_or_default();
        out.sort_by_key(|m| m.rev);
        out.truncate(limit);
        Ok(out.iter().map(|m| s.current(m)).collect())
    }

    async fn deleted_after(&self, rooms: &[(RoomName, MessageId)]) -> Result<Vec<u64>, StoreError> {
        let s = self.state();
        Ok(rooms
            .iter()
            .map(|(room, after)| {
                s.rooms.get(room).map_or(0, |list| {
                    list.iter()
                        .skip(after.0 as usize)
                        .filter(|m| m.is_deleted())
                        .count() as u64
                })
            })
            .collect())
    }

    async fn search(
        &self,
        rooms: &[RoomName],
        terms: &[String],
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, Message)>, StoreError> {
        let s = self.state();
        let Ok(query) = SearchQuery::parse(&terms.join(" ")) else {
            return Ok(Vec::new());
        };
        let rooms: std::collections::HashSet<&RoomName> = rooms.iter().collect();
        let end = before.map_or(s.order.len(), |b| {
            (b.saturating_sub(1) as usize).min(s.order.len())
        });
        Ok(s.order[..end]
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, (room, _))| rooms.contains(room))
            .filter_map(|(i, (room, id))| {
                let m = s.message(room, *id)?;
                (!m.is_deleted() && query.matches(m.body.as_str()))
                    .then(|| (i as u64 + 1, s.current(m)))
            })
            .take(limit)
            .collect())
    }
}

impl State {
    fn user_of(&self, id: UserId) -> Option<User> {
        self.user(id).cloned()
    }

    fn invite(&self, id: u64, (_, invite, uses): &(TokenHash, NewInvite, u32)) -> Option<Invite> {
        Some(Invite {
            id,
            room: invite.room.clone(),
            created_by: self.user_of(invite.created_by)?,
            created_at: invite.created_at,
            expires_at: invite.expires_at,
            max_uses: invite.max_uses,
            uses: *uses,
        })
    }
}

#[async_trait]
impl ModerationStore for MemoryStore {
    async fn standing(&self, user: UserId) -> Result<Option<Standing>, StoreError> {
        let s = self.state();
        Ok(s.user(user)
            .map(|_| s.standings.get(&user).cloned().unwrap_or_default()))
    }

    async fn moderate(
        &self,
        user: UserId,
        change: &StandingChange,
        entry: &NewModAction,
    ) -> Result<bool, StoreError> {
        let mut s = self.state();
        if s.user(user).is_none() {
            return Ok(false);
        }
        let standing = s.standings.entry(user).or_default();
        match change {
            StandingChange::Role(role) => standing.role = *role,
            StandingChange::Mute(until) => standing.muted_until = *until,
            StandingChange::Ban(ban) => standing.ban = ban.clone(),
        }
        s.mod_log.push(entry.clone());
        Ok(true)
    }

    async fn log_action(&self, entry: &NewModAction) -> Result<(), StoreError> {
        self.state().mod_log.push(entry.clone());
        Ok(())
    }

    async fn mod_log(
        &self,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ModAction>, StoreError> {
        let s = self.state();
        let end = before.map_or(s.mod_log.len(), |b| {
            (b.saturating_sub(1) as usize).min(s.mod_log.len())
        });
        Ok(s.mod_log[..end]
            .iter()
            .enumerate()
            .rev()
            .take(limit)
            .filter_map(|(i, e)| {
                Some(ModAction {
                    id: i as u64 + 1,
                    at: e.at,
                    actor: e.actor.and_then(|a| s.user_of(a)),
                    target: match e.target {
                        Some(t) => Some(s.user_of(t)?),
                        None => None,
                    },
                    kind: e.kind.clone(),
                    reason: e.reason.clone(),
                })
            })
            .collect())
    }
}

#[async_trait]
impl RoomStore for MemoryStore {
    async fn create_room(
        &self,
        room: &Room,
        members: &[UserId],
        last_read: MessageId,
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        if s.room_defs.contains_key(&room.name) || s.deleted_rooms.contains(&room.name) {
            return Err(StoreError::Conflict("room name is taken".into()));
        }
        s.room_defs.insert(room.name.clone(), room.clone());
        s.members.insert(
            room.name.clone(),
            members.iter().map(|m| (*m, last_read)).collect(),
        );
        Ok(())
    }

    async fn find_room(&self, name: &RoomName) -> Result<Option<Room>, StoreError> {
        Ok(self.state().room_defs.get(name).cloned())
    }

    async fn set_room_details(
        &self,
        name: &RoomName,
        title: &RoomTitle,
        topic: &RoomTopic,
    ) -> Result<bool, StoreError> {
        Ok(match self.state().room_defs.get_mut(name) {
            Some(room) => {
                room.title = title.clone();
                room.topic = topic.clone();
                true
            }
            None => false,
        })
    }

    async fn public_rooms(&self, limit: usize) -> Result<Vec<(Room, u64)>, StoreError> {
        let s = self.state();
        let mut out: Vec<(Room, u64)> = s
            .room_defs
            .values()
            .filter(|r| r.kind == RoomKind::Public)
            .map(|r| {
                let n = s.members.get(&r.name).map_or(0, |m| m.len() as u64);
                (r.clone(), n)
            })
            .collect();
        out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        out.truncate(limit);
        Ok(out)
    }

    async fn add_member(
        &self,
        room: &RoomName,
        user: UserId,
        last_read: MessageId,
        _at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut s = self.state();
        if !s.room_defs.contains_key(room) {
            return Err(StoreError::backend(format!("no room {room}")));
        }
        let members = s.members.entry(room.clone()).or_default();
        if members.contains_key(&user) {
            return Ok(false);
        }
        members.insert(user, last_read);
        Ok(true)
    }

    async fn remove_member(&self, room: &RoomName, user: UserId) -> Result<bool, StoreError> {
        Ok(self
            .state()
            .members
            .get_mut(room)
            .is_some_and(|m| m.remove(&user).is_some()))
    }

    async fn members(&self, room: &RoomName) -> Result<Vec<User>, StoreError> {
        let s = self.state();
        let mut users: Vec<User> = s
            .members
            .get(room)
            .into_iter()
            .flat_map(|m| m.keys())
            .filter_map(|id| s.user(*id).cloned())
            .collect();
        users.sort_by_key(|u| u.username.canonical());
        Ok(users)
    }

    async fn memberships(&self, user: UserId) -> Result<Vec<Membership>, StoreError> {
        let s = self.state();
        let mut out: Vec<Membership> = s
            .members
            .iter()
            .filter(|(_, m)| m.contains_key(&user))
            .filter_map(|(name, _)| {
                Some(Membership {
                    room: s.room_defs.get(name)?.clone(),
                    read: s.read_state(name, user)?,
                })
            })
            .collect();
        out.sort_by(|a, b| a.room.name.cmp(&b.room.name));
        Ok(out)
    }

    async fn read_state(
        &self,
        room: &RoomName,
        user: UserId,
    ) -> Result<Option<ReadState>, StoreError> {
        Ok(self.state().read_state(room, user))
    }

    async fn mark_read(
        &self,
        room: &RoomName,
        user: UserId,
        id: MessageId,
    ) -> Result<Option<ReadState>, StoreError> {
        let mut s = self.state();
        let Some(pos) = s.members.get_mut(room).and_then(|m| m.get_mut(&user)) else {
            return Ok(None);
        };
        *pos = (*pos).max(id);
        Ok(s.read_state(room, user))
    }

    async fn clear_mentions(
        &self,
        room: &RoomName,
        id: MessageId,
    ) -> Result<Vec<UserId>, StoreError> {
        let mut s = self.state();
        let mut out = Vec::new();
        for ((user, r), ids) in s.mentions.iter_mut() {
            if r == room && ids.remove(&id) {
                out.push(*user);
            }
        }
        out.sort();
        Ok(out)
    }

    async fn add_mentions(
        &self,
        room: &RoomName,
        id: MessageId,
        users: &[UserId],
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        for u in users {
            s.mentions.entry((*u, room.clone())).or_default().insert(id);
        }
        Ok(())
    }

    async fn set_archived(
        &self,
        name: &RoomName,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        Ok(match self.state().room_defs.get_mut(name) {
            Some(room) => {
                room.archived_at = at;
                true
            }
            None => false,
        })
    }

    async fn delete_room(&self, name: &RoomName) -> Result<bool, StoreError> {
        let mut s = self.state();
        if s.room_defs.remove(name).is_none() {
            return Ok(false);
        }
        s.deleted_rooms.insert(name.clone());
        s.members.remove(name);
        s.mentions.retain(|(_, room), _| room != name);
        s.invites.retain(|_, (_, invite, _)| invite.room != *name);
        Ok(true)
    }

    async fn create_invite(&self, invite: &NewInvite) -> Result<u64, StoreError> {
        let mut s = self.state();
        let id = s.invites.keys().next_back().map_or(1, |last| last + 1);
        s.invites.insert(id, (invite.hash, invite.clone(), 0));
        Ok(id)
    }

    async fn invites(&self, room: &RoomName) -> Result<Vec<Invite>, StoreError> {
        let s = self.state();
        Ok(s.invites
            .iter()
            .rev()
            .filter(|(_, (_, invite, _))| invite.room == *room)
            .filter_map(|(id, record)| s.invite(*id, record))
            .collect())
    }

    async fn find_invite(&self, hash: &TokenHash) -> Result<Option<Invite>, StoreError> {
        let s = self.state();
        Ok(s.invites
            .iter()
            .find(|(_, (h, _, _))| h == hash)
            .and_then(|(id, record)| s.invite(*id, record)))
    }

    async fn use_invite(
        &self,
        id: u64,
        user: UserId,
        last_read: MessageId,
        _at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut s = self.state();
        let Some((_, invite, uses)) = s.invites.get_mut(&id) else {
            return Ok(false);
        };
        if invite.max_uses.is_some_and(|max| *uses >= max) {
            return Ok(false);
        }
        *uses += 1;
        let room = invite.room.clone();
        s.members
            .entry(room)
            .or_default()
            .entry(user)
            .or_insert(last_read);
        Ok(true)
    }

    async fn delete_invite(&self, room: &RoomName, id: u64) -> Result<bool, StoreError> {
        let mut s = self.state();
        if s.invites.get(&id).is_none_or(|(_, i, _)| i.room != *room) {
            return Ok(false);
        }
        s.invites.remove(&id);
        Ok(true)
    }
}
