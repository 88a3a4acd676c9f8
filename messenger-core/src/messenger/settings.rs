//! A user's own settings: their sessions and password, and their
//! standing (the settings page's calls; `crate::accounts` does the work).

use super::Messenger;
use crate::error::Result;
use crate::moderation::Standing;
use crate::session::{Session, SessionInfo};
use crate::user::{Password, UserId};

impl Messenger {
    /// The sessions of `session`'s user that are still valid, newest
    /// first, the asking one marked `current`.
    pub async fn sessions(&self, session: &Session) -> Result<Vec<SessionInfo>> {
        self.inner.accounts.sessions(session).await
    }

    /// Logs out the session of `session`'s user with the public id `id`
    /// ([`TokenHash::public_id`](crate::store::TokenHash::public_id)); its open
    /// connections close. An id that is not theirs is `not_found`.
    pub async fn logout_session(&self, session: &Session, id: &str) -> Result<()> {
        self.inner.accounts.logout_session(session, id).await
    }

    /// Changes the password of `session`'s user. The current password is
    /// required (a wrong one is `invalid` on `current_password` and counts
    /// as a failed login); every other session of theirs is revoked and
    /// its connections close, this one stays.
    pub async fn change_password(
        &self,
        session: &Session,
        current: &Password,
        new: &Password,
    ) -> Result<()> {
        self.inner
            .accounts
            .change_password(session, current, new)
            .await
    }

    /// `user`'s role, mute and ban as the store has them now.
    pub async fn standing(&self, user: UserId) -> Result<Standing> {
        self.inner.moderation.fresh(user).await
    }
}
