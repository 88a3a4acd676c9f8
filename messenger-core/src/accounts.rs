//! Accounts: registration, login, sessions, and users from the host
//! application. [`Messenger`](crate::Messenger) delegates to it.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::broadcast::{EventKind, RoomBroadcast, RoomEvent, UserEvent};
use crate::clock::{Clock, delta};
use crate::config::FailureLimit;
use crate::config::SessionPolicy;
use crate::error::{Error, Result};
use crate::external::HostIdentity;
use crate::metrics::{self, store_call};
use crate::moderation::Moderation;
use crate::password::PasswordHasher;
use crate::ratelimit::FailureCounter;

/// The scope of failed logins per username in the [`FailureCounter`]: the
/// lockout of every client without a valid device token for the user.
const USER_SCOPE: &str = "login-user";
/// The scope of failed logins per device token: each browser that logged
/// in before has a lockout of its own.
const DEVICE_SCOPE: &str = "login-device";
use crate::room::RoomName;
use crate::session::{
    LoginOutcome, Revocation, Session, SessionInfo, SessionOptions, SessionRecord, SessionToken,
};
use crate::store::{SessionStore, StoreError, UserRecord, UserStore};
use crate::user::{Password, User, UserId, Username};

/// The accounts service.
pub(crate) struct Accounts {
    users: Arc<dyn UserStore>,
    sessions: Arc<dyn SessionStore>,
    clock: Arc<dyn Clock>,
    hasher: PasswordHasher,
    policy: SessionPolicy,
    failures: Arc<dyn FailureCounter>,
    failure_limit: FailureLimit,
    revocations: broadcast::Sender<Revocation>,
    moderation: Arc<Moderation>,
    broadcast: Arc<dyn RoomBroadcast>,
}

impl Accounts {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        users: Arc<dyn UserStore>,
        sessions: Arc<dyn SessionStore>,
        clock: Arc<dyn Clock>,
        hasher: PasswordHasher,
        policy: SessionPolicy,
        failures: Arc<dyn FailureCounter>,
        failure_limit: FailureLimit,
        moderation: Arc<Moderation>,
        broadcast: Arc<dyn RoomBroadcast>,
    ) -> Self {
        Self {
            users,
            sessions,
            clock,
            hasher,
            policy,
            failures,
            failure_limit,

            revocations: broadcast::channel(256).0,
            moderation,
            broadcast,
        }
    }

    /// Tells this node's connections at once, and every node's through the
    /// user's channel on the broadcast engine.
    async fn revoke(&self, user: UserId, revocation: Revocation) {
        let _ = self.revocations.send(revocation);
        let event = RoomEvent::new(EventKind::User(UserEvent::Revoked(revocation)));
        if let Err(e) = self
            .broadcast
            .publish(&RoomName::user_channel(user), event)
            .await
        {
            // The other nodes' sockets find out at their next session check.
            tracing::warn!(error = %e, "publishing a revocation failed");
        }
    }

    /// Registers a user. A name taken in any letter case, or one that looks
    /// like a taken one (the same [`Username::skeleton`]), is
    /// [`Error::Conflict`].
    pub(crate) async fn register(&self, username: Username, password: Password) -> Result<User> {
        if self.users.find_user_by_name(&username).await?.is_some() {
            return Err(Error::Conflict("username is taken".into()));
        }
        // A lookalike of a taken name (`aIice` beside `alice`) would let
        // one person pass for another.
        if let Some(other) = self
            .users
            .find_user_by_skeleton(&username.skeleton())
            .await?
        {
            return Err(Error::Conflict(format!(
                "username is too much like '{}', who is already here",
                other.username
            )));
        }
        let hash = self.hasher.hash(&password).await?;
        let user = self
            .users
            .create_user(&username, &hash, self.clock.now())
            .await?;
        tracing::info!(user = %user.username, id = %user.id, "registered");
        Ok(user)
    }

    /// Checks credentials and opens a new session. Unknown user and wrong
    /// password answer the same [`Error::Unauthorized`] after the same work.
    ///
    /// Failed attempts are limited per username for clients without a
    /// device token of that user, and per device token for those with one
    /// (see [`DeviceToken`](crate::DeviceToken)): strangers guessing lock
    /// out strangers, while the user's own browsers still get in.
    pub(crate) async fn login(
        &self,
        username: &Username,
        password: &Password,
        mut options: SessionOptions,
    ) -> Result<LoginOutcome> {
        let record =
            store_call("find_user_by_name", self.users.find_user_by_name(username)).await?;
        let hash = record.as_ref().and_then(|r| r.password_hash.as_deref());
        let (scope, key) = match (options.device.take(), hash) {
            (Some(device), Some(hash)) => match device.verify(hash) {
                Some(nonce) => (DEVICE_SCOPE, nonce),
                None => (USER_SCOPE, username.canonical()),
            },
            _ => (USER_SCOPE, username.canonical()),
        };
        self.failures
            .check(scope, &key, self.failure_limit)
            .await
            .map_err(|retry_after| {
                metrics::rate_limited("login");
                Error::RateLimited { retry_after }
            })?;
        let ok = self.hasher.verify(password, hash).await?;
        // A user from the host app has no password: it verified against
        // the dummy and is refused like an unknown name.
        let Some(record) = record.filter(|_| ok) else {
            self.failures
                .record_failure(scope, &key, self.failure_limit)
                .await;
            ::metrics::counter!(metrics::LOGIN_FAILURES).increment(1);
            return Err(Error::Unauthorized("invalid username or password"));
        };
        // Only after the password proved who is asking: a ban is not
        // something to tell a stranger.
        self.moderation.not_banned(record.user.id).await?;
        let device = record
            .password_hash
            .as_deref()
            .map(crate::DeviceToken::issue);
        let mut outcome = self.open_session(record.user, options).await?;
        outcome.device = device;
        Ok(outcome)
    }

    /// Opens a new session for `user` without any credential check: for a
    /// host application that authenticated the person itself and hands the
    /// token to its client (as a bearer token or the chat's cookie).
    pub(crate) async fn open_session(
        &self,
        user: User,
        options: SessionOptions,
    ) -> Result<LoginOutcome> {
        let remember = options.remember;
        let now = self.clock.now();
        let policy = &self.policy;
        let lifetime = if remember {
            policy.remember_lifetime
        } else {
            policy.short_lifetime
        };
        let token = SessionToken::generate();
        let record = SessionRecord {
            token_hash: token.hash(),
            user_id: user.id,
            created_at: now,
            last_seen_at: now,
            expires_at: now + delta(lifetime),
            remember,
            user_agent: options.user_agent.map(|a| a.as_str().to_owned()),
        };
        self.sessions.create_session(&record).await?;
        Ok(LoginOutcome {
            token,
            session: Session { record, user },
            device: None,
        })
    }

    /// The chat user of a person the host application authenticated:
    /// created (without a password) on first sight, renamed when the host's
    /// name for them changed. A name another user holds is
    /// [`Error::Conflict`]. Costs one read when nothing changed.
    pub(crate) async fn host_user(&self, identity: &HostIdentity) -> Result<User> {
        let users = &self.users;
        let known = store_call(
            "find_user_by_external_id",
            users.find_user_by_external_id(&identity.external_id),
        )
        .await?;
        if let Some(user) = known.filter(|u| u.username == identity.username) {
            self.moderation.not_banned_cached(user.id).await?;
            return Ok(user);
        }
        let user = users
            .upsert_external_user(&identity.external_id, &identity.username, self.clock.now())
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => Error::Conflict(format!(
                    "the name '{}' belongs to another user",
                    identity.username
                )),
                other => other.into(),
            })?;
        self.moderation.not_banned_cached(user.id).await?;
        Ok(user)
    }

    /// The session `token` opens, if it is valid: known, within its absolute
    /// lifetime and not idle too long.
    pub(crate) async fn authenticate(&self, token: &SessionToken) -> Result<Session> {
        let hash = token.hash();
        let Some(mut record) =
            store_call("find_session", self.sessions.find_session(&hash)).await?
        else {
            return Err(Error::Unauthorized("not logged in"));
        };
        let now = self.clock.now();
        let policy = &self.policy;
        if record.expires_at <= now || record.last_seen_at + delta(policy.idle_timeout) <= now {
            self.sessions.delete_session(&hash).await?;
            return Err(Error::Unauthorized("session expired"));
        }
        let Some(user) = self.users.find_user(record.user_id).await? else {
            self.sessions.delete_session(&hash).await?;
            return Err(Error::Unauthorized("not logged in"));
        };
        if now - record.last_seen_at >= delta(policy.touch_interval) {
            self.sessions.touch_session(&hash, now).await?;
            record.last_seen_at = now;
        }
        Ok(Session { record, user })
    }

    /// Revokes one session, server-side; its open connections are told.
    pub(crate) async fn logout(&self, session: &Session) -> Result<()> {
        let hash = session.record.token_hash;
        self.sessions.delete_session(&hash).await?;
        self.revoke(session.user.id, Revocation::Session(hash))
            .await;
        Ok(())
    }

    /// Revokes every session of `user`; returns how many there were.
    pub(crate) async fn logout_everywhere(&self, user: UserId) -> Result<u64> {
        let n = self.sessions.delete_user_sessions(user).await?;
        self.revoke(user, Revocation::User(user)).await;
        Ok(n)
    }

    /// Revocations from now on (this node's). Connections listen here and
    /// close when theirs is revoked.
    pub(crate) fn revocations(&self) -> broadcast::Receiver<Revocation> {
        self.revocations.subscribe()
    }

    /// The sessions of `session`'s user, newest first, the asking one marked.
    pub(crate) async fn sessions(&self, session: &Session) -> Result<Vec<SessionInfo>> {
        let now = self.clock.now();
        let idle = delta(self.policy.idle_timeout);
        Ok(self
            .sessions
            .user_sessions(session.user.id)
            .await?
            .into_iter()
            .filter(|r| r.expires_at > now && r.last_seen_at + idle > now)
            .map(|r| SessionInfo {
                id: r.token_hash.public_id(),
                created_at: r.created_at,
                last_seen_at: r.last_seen_at,
                expires_at: r.expires_at,
                user_agent: r.user_agent,
                current: r.token_hash == session.record.token_hash,
            })
            .collect())
    }

    /// Revokes the session of `session`'s user whose public id is `id`
    /// (possibly `session` itself).
    pub(crate) async fn logout_session(&self, session: &Session, id: &str) -> Result<()> {
        let found = self
            .sessions
            .user_sessions(session.user.id)
            .await?
            .into_iter()
            .find(|r| r.token_hash.public_id() == id)
            .ok_or_else(|| Error::NotFound("no such session".into()))?;
        self.sessions.delete_session(&found.token_hash).await?;
        self.revoke(session.user.id, Revocation::Session(found.token_hash))
            .await;
        Ok(())
    }

    /// Changes the password of `session`'s user, given the current one,
    /// and revokes every other session of theirs (their sockets close).
    pub(crate) async fn change_password(
        &self,
        session: &Session,
        current: &Password,
        new: &Password,
    ) -> Result<()> {
        let user = &session.user;
        let key = user.username.canonical();
        self.failures
            .check(USER_SCOPE, &key, self.failure_limit)
            .await
            .map_err(|retry_after| {
                metrics::rate_limited("login");
                Error::RateLimited { retry_after }
            })?;
        let record = self.users.find_user_by_name(&user.username).await?;
        let hash = record.as_ref().and_then(|r| r.password_hash.as_deref());
        if hash.is_none() {
            return Err(Error::Forbidden(
                "this account signs in through the host application".into(),
            ));
        }
        if !self.hasher.verify(current, hash).await? {
            self.failures
                .record_failure(USER_SCOPE, &key, self.failure_limit)
                .await;
            return Err(Error::Invalid(crate::ValidationError::new(
                "current_password",
                "is not your current password",
            )));
        }
        let hash = self.hasher.hash(new).await?;
        self.users.set_password_hash(user.id, &hash).await?;
        for other in self.sessions.user_sessions(user.id).await? {
            if other.token_hash != session.record.token_hash {
                self.sessions.delete_session(&other.token_hash).await?;
                self.revoke(user.id, Revocation::Session(other.token_hash))
                    .await;
            }
        }
        tracing::info!(user = %user.username, "password changed");
        Ok(())
    }

    /// Deletes expired sessions from the store; returns how many.
    pub(crate) async fn purge_expired_sessions(&self) -> Result<u64> {
        let now = self.clock.now();
        let idle_before = now - delta(self.policy.idle_timeout);
        Ok(self
            .sessions
            .delete_expired_sessions(now, idle_before)
            .await?)
    }

    /// Users in id order after `after`, at most `limit` (for administration).
    pub(crate) async fn list_users(&self, after: UserId, limit: usize) -> Result<Vec<UserRecord>> {
        Ok(self.users.list_users(after, limit).await?)
    }

    /// Gives the user named `username` a new password and revokes every
    /// session of theirs (their open connections close).
    pub(crate) async fn reset_password(
        &self,
        username: &Username,
        password: &Password,
    ) -> Result<User> {
        let record = self
            .users
            .find_user_by_name(username)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no user named '{username}'")))?;
        let hash = self.hasher.hash(password).await?;
        self.users.set_password_hash(record.user.id, &hash).await?;
        self.logout_everywhere(record.user.id).await?;
        tracing::info!(user = %record.user.username, "password reset");
        Ok(record.user)
    }

    /// Whether the user and session stores answer.
    pub(crate) async fn health(&self) -> Result<()> {
        self.users.health().await?;
        self.sessions.health().await?;
        Ok(())
    }
}
