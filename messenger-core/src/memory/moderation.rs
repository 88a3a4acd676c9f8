//! Roles, mutes, bans and the moderation log in memory.

use async_trait::async_trait;

use super::MemoryStore;
use crate::moderation::model::{ModAction, NewModAction, Standing, StandingChange};
use crate::store::{ModerationStore, StoreError};
use crate::user::UserId;

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
