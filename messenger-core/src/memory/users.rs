//! Users (and blocks) in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{MemoryStore, State};
use crate::external::ExternalId;
use crate::store::{StoreError, UserRecord, UserStore};
use crate::user::{User, UserId, Username};

impl State {
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
