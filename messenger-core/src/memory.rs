//! An in-memory implementation of every store trait: for tests, examples and
//! embedders who need no persistence.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::external::ExternalId;
use crate::message::{Appended, ClientId, HistoryQuery, Message, MessageId, NewMessage};
use crate::room::RoomName;
use crate::session::{SessionRecord, TokenHash};
use crate::store::{MessageStore, SessionStore, StoreError, UserRecord, UserStore};
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
            let message = Message {
                id: MessageId(list.len() as u64 + 1),
                room: new.room,
                author: new.author,
                body: new.body,
                sent_at: new.sent_at,
                client_id: new.client_id,
            };
            list.push(message.clone());
            s.by_client_id
                .insert(key, (message.room.clone(), message.id));
            out.push(Appended {
                message,
                created: true,
            });
        }
        Ok(out)
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
}
