//! Sessions in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::session::{SessionRecord, TokenHash};
use crate::store::{SessionStore, StoreError};
use crate::user::UserId;

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
