//! Moderation through the facade: roles, mutes, bans and the log.

use std::time::Duration;

use super::Messenger;
use crate::error::Result;
use crate::moderation::{Actor, ModAction, Reason, Role, Standing};
use crate::user::{User, Username};

impl Messenger {
    /// Gives the user named `username` a role. Only admins (and the
    /// operator) grant roles; an admin cannot change their own.
    pub async fn set_role(
        &self,
        actor: Actor<'_>,
        username: &Username,
        role: Role,
        reason: Reason,
    ) -> Result<(User, Standing)> {
        let m = &self.inner.moderation;
        let target = m.user_named(username).await?;
        let standing = m.set_role(actor, &target, role, reason).await?;
        Ok((target, standing))
    }

    /// Mutes the user named `username` for `duration` (1 minute to 365
    /// days): their sends and edits get [`Error::Muted`](crate::Error::Muted)
    /// with the time left. Moderators act on members, admins on moderators
    /// too.
    pub async fn mute(
        &self,
        actor: Actor<'_>,
        username: &Username,
        duration: Duration,
        reason: Reason,
    ) -> Result<(User, Standing)> {
        let m = &self.inner.moderation;
        let target = m.user_named(username).await?;
        let standing = m.mute(actor, &target, duration, reason).await?;
        Ok((target, standing))
    }

    /// Lifts a mute.
    pub async fn unmute(
        &self,
        actor: Actor<'_>,
        username: &Username,
        reason: Reason,
    ) -> Result<(User, Standing)> {
        let m = &self.inner.moderation;
        let target = m.user_named(username).await?;
        let standing = m.unmute(actor, &target, reason).await?;
        Ok((target, standing))
    }

    /// Bans the user named `username`: every session of theirs is revoked
    /// (open connections close, telling the reason) and login is refused
    /// with [`Error::Banned`](crate::Error::Banned).
    pub async fn ban(
        &self,
        actor: Actor<'_>,
        username: &Username,
        reason: Reason,
    ) -> Result<(User, Standing)> {
        let m = &self.inner.moderation;
        let target = m.user_named(username).await?;
        let standing = m.ban(actor, &target, reason).await?;
        self.inner.accounts.logout_everywhere(target.id).await?;
        Ok((target, standing))
    }

    /// Lifts a ban: the user can log in again.
    pub async fn unban(
        &self,
        actor: Actor<'_>,
        username: &Username,
        reason: Reason,
    ) -> Result<(User, Standing)> {
        let m = &self.inner.moderation;
        let target = m.user_named(username).await?;
        let standing = m.unban(actor, &target, reason).await?;
        Ok((target, standing))
    }

    /// One page of the moderation log, newest first: entries older than
    /// `before` (an entry id), at most `limit` (1 to
    /// [`LOG_PAGE_MAX`](crate::moderation::LOG_PAGE_MAX)). Admins only.
    pub async fn moderation_log(
        &self,
        reader: &User,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ModAction>> {
        self.inner.moderation.read_log(reader, before, limit).await
    }
}
