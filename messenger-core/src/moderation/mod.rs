//! Moderation: roles, mutes, bans and the log of every action.
//! [`Messenger`](crate::Messenger) delegates to it; the rules of who may
//! act on whom live here.

pub(crate) mod model;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

pub use model::{
    Ban, MAX_REASON_CHARS, ModAction, ModActionKind, NewModAction, Reason, Role, Standing,
    StandingChange,
};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::metrics::store_call;
use crate::store::{ModerationStore, UserStore};
use crate::user::{User, UserId, Username};

/// How long a user's standing is trusted from memory before it is read
/// again: it bounds how late a mute or a role set by another process (the
/// command line, another node) takes effect here. Changes made through this
/// process apply at once.
const STANDING_TTL: Duration = Duration::from_secs(5);

/// Longest mute.
pub const MAX_MUTE: Duration = Duration::from_secs(365 * 24 * 3600);

/// Most entries of the moderation log per page.
pub const LOG_PAGE_MAX: usize = 200;

/// Who is acting: a user, or the operator at the command line (who may do
/// anything).
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// A signed-in user, subject to the role rules.
    User(&'a User),
    /// The operator (`community-messenger user role|ban|unban`).
    Operator,
}

impl Actor<'_> {
    fn id(&self) -> Option<UserId> {
        match self {
            Self::User(u) => Some(u.id),
            Self::Operator => None,
        }
    }
}

/// The moderation service.
pub(crate) struct Moderation {
    store: Arc<dyn ModerationStore>,
    users: Arc<dyn UserStore>,
    clock: Arc<dyn Clock>,
    cache: Mutex<HashMap<UserId, (Instant, Standing)>>,
}

impl Moderation {
    pub(crate) fn new(
        store: Arc<dyn ModerationStore>,
        users: Arc<dyn UserStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            users,
            clock,
            cache: Mutex::default(),
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, (Instant, Standing)>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `user`'s standing as the store has it now.
    pub(crate) async fn fresh(&self, user: UserId) -> Result<Standing> {
        let standing = store_call("standing", self.store.standing(user))
            .await?
            .unwrap_or_default();
        let mut cache = self.cache();
        // Bounded by the number of users who post; entries are small.
        if cache.len() > 100_000 {
            cache.clear();
        }
        cache.insert(user, (Instant::now(), standing.clone()));
        Ok(standing)
    }

    /// `user`'s standing, at most [`STANDING_TTL`] old.
    pub(crate) async fn standing(&self, user: UserId) -> Result<Standing> {
        if let Some((at, s)) = self.cache().get(&user)
            && at.elapsed() < STANDING_TTL
        {
            return Ok(s.clone());
        }
        self.fresh(user).await
    }

    /// Refuses a muted or banned user's send.
    pub(crate) async fn may_send(&self, user: &User) -> Result<()> {
        let standing = self.standing(user.id).await?;
        if let Some(ban) = standing.ban {
            return Err(Error::Banned {
                reason: ban.reason.as_str().to_owned(),
            });
        }
        let now = self.clock.now();
        if let Some(until) = standing.muted_at(now) {
            return Err(Error::Muted {
                until,
                left: (until - now).to_std().unwrap_or_default(),
            });
        }
        Ok(())
    }

    /// Refuses a banned user (at login, and for host users).
    pub(crate) async fn not_banned(&self, user: UserId) -> Result<()> {
        match self.fresh(user).await?.ban {
            Some(ban) => Err(Error::Banned {
                reason: ban.reason.as_str().to_owned(),
            }),
            None => Ok(()),
        }
    }

    /// [`not_banned`](Self::not_banned) from the cache: for the host's
    /// users, checked on every request.
    pub(crate) async fn not_banned_cached(&self, user: UserId) -> Result<()> {
        match self.standing(user).await?.ban {
            Some(ban) => Err(Error::Banned {
                reason: ban.reason.as_str().to_owned(),
            }),
            None => Ok(()),
        }
    }

    /// `actor`'s role; the operator counts as an admin.
    async fn role_of(&self, actor: Actor<'_>) -> Result<Role> {
        match actor {
            Actor::User(u) => Ok(self.fresh(u.id).await?.role),
            Actor::Operator => Ok(Role::Admin),
        }
    }

    /// Checks that `actor` moderates and outranks `target`, and answers the
    /// target's standing. Moderators act on members; admins on moderators
    /// too; nobody acts on themselves or on an admin but the operator.
    async fn may_act_on(&self, actor: Actor<'_>, target: &User) -> Result<Standing> {
        let role = self.role_of(actor).await?;
        if !role.moderates() {
            return Err(Error::Forbidden("only moderators can do that".into()));
        }
        let standing = self.fresh(target.id).await?;
        if let Actor::User(me) = actor {
            if me.id == target.id {
                return Err(Error::Forbidden("you cannot moderate yourself".into()));
            }
            if standing.role >= role {
                return Err(Error::Forbidden(format!(
                    "{} is a {} and you are a {role}",
                    target.username, standing.role
                )));
            }
        }
        Ok(standing)
    }

    /// The user named `username`, or `not_found`.
    pub(crate) async fn user_named(&self, username: &Username) -> Result<User> {
        Ok(self
            .users
            .find_user_by_name(username)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no user named '{username}'")))?
            .user)
    }

    async fn apply(
        &self,
        actor: Actor<'_>,
        target: &User,
        change: StandingChange,
        kind: ModActionKind,
        reason: Reason,
    ) -> Result<Standing> {
        let entry = NewModAction {
            at: self.clock.now(),
            actor: actor.id(),
            target: Some(target.id),
            kind,
            reason,
        };
        if !self.store.moderate(target.id, &change, &entry).await? {
            return Err(Error::NotFound(format!(
                "no user named '{}'",
                target.username
            )));
        }
        tracing::info!(target = %target.username, actor = ?actor.id(), action = ?entry.kind, "moderation");
        self.fresh(target.id).await
    }

    /// Gives `target` a role. Admins (and the operator) only; an admin
    /// cannot change their own role, so there is always one left.
    pub(crate) async fn set_role(
        &self,
        actor: Actor<'_>,
        target: &User,
        role: Role,
        reason: Reason,
    ) -> Result<Standing> {
        if self.role_of(actor).await? != Role::Admin {
            return Err(Error::Forbidden("only admins can grant roles".into()));
        }
        if let Actor::User(me) = actor
            && me.id == target.id
        {
            return Err(Error::Forbidden("you cannot change your own role".into()));
        }
        // Admins are equals: none can demote another over the API, only
        // the operator at the command line can.
        if let Actor::User(_) = actor
            && self.fresh(target.id).await?.role == Role::Admin
        {
            return Err(Error::Forbidden(
                "an admin's role can only be changed from the command line".into(),
            ));
        }
        self.apply(
            actor,
            target,
            StandingChange::Role(role),
            ModActionKind::Role { role },
            reason,
        )
        .await
    }

    /// Mutes `target` for `duration` (at most [`MAX_MUTE`]).
    pub(crate) async fn mute(
        &self,
        actor: Actor<'_>,
        target: &User,
        duration: Duration,
        reason: Reason,
    ) -> Result<Standing> {
        if duration.is_zero() || duration > MAX_MUTE {
            return Err(Error::Invalid(crate::ValidationError::new(
                "minutes",
                "must be from 1 minute to 365 days",
            )));
        }
        self.may_act_on(actor, target).await?;
        let until = self.clock.now() + crate::clock::delta(duration);
        self.apply(
            actor,
            target,
            StandingChange::Mute(Some(until)),
            ModActionKind::Mute { until },
            reason,
        )
        .await
    }

    /// Lifts a mute.
    pub(crate) async fn unmute(
        &self,
        actor: Actor<'_>,
        target: &User,
        reason: Reason,
    ) -> Result<Standing> {
        self.may_act_on(actor, target).await?;
        self.apply(
            actor,
            target,
            StandingChange::Mute(None),
            ModActionKind::Unmute,
            reason,
        )
        .await
    }

    /// Bans `target`. The caller revokes their sessions.
    pub(crate) async fn ban(
        &self,
        actor: Actor<'_>,
        target: &User,
        reason: Reason,
    ) -> Result<Standing> {
        self.may_act_on(actor, target).await?;
        let ban = Ban {
            reason: reason.clone(),
            at: self.clock.now(),
        };
        self.apply(
            actor,
            target,
            StandingChange::Ban(Some(ban)),
            ModActionKind::Ban,
            reason,
        )
        .await
    }

    /// Lifts a ban.
    pub(crate) async fn unban(
        &self,
        actor: Actor<'_>,
        target: &User,
        reason: Reason,
    ) -> Result<Standing> {
        self.may_act_on(actor, target).await?;
        self.apply(
            actor,
            target,
            StandingChange::Ban(None),
            ModActionKind::Unban,
            reason,
        )
        .await
    }

    /// Whether `user` may delete other people's messages.
    pub(crate) async fn moderates(&self, user: &User) -> Result<bool> {
        Ok(self.fresh(user.id).await?.role.moderates())
    }

    /// Records that a moderator deleted someone else's message.
    pub(crate) async fn log(&self, entry: NewModAction) -> Result<()> {
        Ok(self.store.log_action(&entry).await?)
    }

    /// One page of the log, newest first, entries before `before`. Admins only.
    pub(crate) async fn read_log(
        &self,
        reader: &User,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ModAction>> {
        if self.fresh(reader.id).await?.role != Role::Admin {
            return Err(Error::Forbidden(
                "only admins can read the moderation log".into(),
            ));
        }
        if limit == 0 || limit > LOG_PAGE_MAX {
            return Err(Error::Invalid(crate::ValidationError::new(
                "limit",
                format!("must be 1 to {LOG_PAGE_MAX}"),
            )));
        }
        Ok(self.store.mod_log(before, limit).await?)
    }
}
