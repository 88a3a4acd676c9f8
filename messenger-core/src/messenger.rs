//! The `Messenger` service: every chat rule, over the store and broadcast seams.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::TimeDelta;
use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::broadcast::{EventKind, LocalBroadcast, RoomBroadcast, RoomEvent, Subscription};
use crate::clock::{Clock, SystemClock};
use crate::config::MessengerConfig;
use crate::error::{Error, Result};
use crate::external::HostIdentity;
use crate::message::{ClientId, HistoryQuery, Message, MessageBody, MessageId, NewMessage, Posted};
use crate::metrics::{self, store_call};
use crate::password::PasswordHasher;
use crate::presence::{LocalPresence, Presence};
use crate::presence_feed::PresenceFeed;
use crate::ratelimit::{FailureLimiter, KeyedRate};
use crate::room::RoomName;
use crate::rooms::{DirectoryEntry, MyRoom, NewRoom, ReadState, Room, Rooms};
use crate::sequencer::{PendingPost, RoomSequencer};
use crate::session::{LoginOutcome, Session, SessionRecord, SessionToken, TokenHash};
use crate::store::{MessageStore, RoomStore, SessionStore, StoreError, UserStore};
use crate::user::{Password, User, UserId, Username};

/// A session or all of a user's sessions were revoked; open connections of
/// theirs must close. See [`Messenger::revocations`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// One session logged out.
    Session(TokenHash),
    /// Every session of a user logged out.
    User(UserId),
}

impl Revocation {
    /// Whether this revocation ends `session`.
    pub fn applies_to(&self, session: &Session) -> bool {
        match self {
            Self::Session(hash) => *hash == session.record.token_hash,
            Self::User(id) => *id == session.user.id,
        }
    }
}

/// The chat service. Cheap to clone: clones share one state.
///
/// Build it with [`Messenger::builder`]. It must be used inside a Tokio
/// runtime (it spawns its per-room sequencers and housekeeping there).
#[derive(Clone)]
pub struct Messenger {
    inner: Arc<Inner>,
}

struct Inner {
    config: MessengerConfig,
    rooms: Arc<Rooms>,
    users: Arc<dyn UserStore>,
    sessions: Arc<dyn SessionStore>,
    messages: Arc<dyn MessageStore>,
    broadcast: Arc<dyn RoomBroadcast>,
    presence: Arc<dyn Presence>,
    presence_feed: Arc<PresenceFeed>,
    clock: Arc<dyn Clock>,
    hasher: PasswordHasher,
    sequencers: Mutex<HashMap<RoomName, RoomSequencer>>,
    send_rate: Option<KeyedRate<UserId>>,
    login_failures: FailureLimiter<String>,
    typing: Mutex<HashMap<(RoomName, UserId), Instant>>,
    revocations: broadcast::Sender<Revocation>,
}

/// Why [`MessengerBuilder::build`] failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A required store was not given.
    #[error("no {0} store was given to the builder")]
    MissingStore(&'static str),
    /// The configuration is not usable.
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// Assembles a [`Messenger`] from stores, engines and configuration.
#[derive(Default)]
pub struct MessengerBuilder {
    config: MessengerConfig,
    users: Option<Arc<dyn UserStore>>,
    sessions: Option<Arc<dyn SessionStore>>,
    messages: Option<Arc<dyn MessageStore>>,
    room_store: Option<Arc<dyn RoomStore>>,
    broadcast: Option<Arc<dyn RoomBroadcast>>,
    presence: Option<Arc<dyn Presence>>,
    clock: Option<Arc<dyn Clock>>,
}

impl MessengerBuilder {
    /// Uses `config` instead of the defaults.
    pub fn config(mut self, config: MessengerConfig) -> Self {
        self.config = config;
        self
    }

    /// Uses one object as user, session, message and room store.
    pub fn store<S>(self, store: Arc<S>) -> Self
    where
        S: UserStore + SessionStore + MessageStore + RoomStore,
    {
        self.users(store.clone())
            .sessions(store.clone())
            .messages(store.clone())
            .rooms(store)
    }

    /// The room store (rooms, members, read positions, mentions).
    pub fn rooms(mut self, rooms: Arc<dyn RoomStore>) -> Self {
        self.room_store = Some(rooms);
        self
    }

    /// The user store.
    pub fn users(mut self, users: Arc<dyn UserStore>) -> Self {
        self.users = Some(users);
        self
    }

    /// The session store.
    pub fn sessions(mut self, sessions: Arc<dyn SessionStore>) -> Self {
        self.sessions = Some(sessions);
        self
    }

    /// The message store.
    pub fn messages(mut self, messages: Arc<dyn MessageStore>) -> Self {
        self.messages = Some(messages);
        self
    }

    /// The broadcast engine (default: [`LocalBroadcast`]).
    pub fn broadcast(mut self, broadcast: Arc<dyn RoomBroadcast>) -> Self {
        self.broadcast = Some(broadcast);
        self
    }

    /// The presence registry (default: [`LocalPresence`]).
    pub fn presence(mut self, presence: Arc<dyn Presence>) -> Self {
        self.presence = Some(presence);
        self
    }

    /// The clock (default: [`SystemClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Builds the service. Starts a housekeeping task (expired sessions) when
    /// called inside a Tokio runtime.
    pub fn build(self) -> Result<Messenger, BuildError> {
        let config = self.config;
        let mut rooms = Vec::new();
        for raw in std::iter::once(RoomName::GENERAL).chain(config.rooms.iter().map(String::as_str))
        {
            let room = RoomName::parse(raw, &config.limits)
                .map_err(|e| BuildError::Config(e.to_string()))?;
            if !rooms.contains(&room) {
                rooms.push(room);
            }
        }
        let hasher = PasswordHasher::new(config.hashing, config.hashing_concurrency)
            .map_err(|e| BuildError::Config(e.to_string()))?;
        let broadcast = self
            .broadcast
            .unwrap_or_else(|| Arc::new(LocalBroadcast::new(config.broadcast_capacity)));
        let presence = self
            .presence
            .unwrap_or_else(|| Arc::new(LocalPresence::new()));
        let users = self.users.ok_or(BuildError::MissingStore("user"))?;
        let messages = self.messages.ok_or(BuildError::MissingStore("message"))?;
        let rooms = Arc::new(Rooms::new(
            self.room_store.ok_or(BuildError::MissingStore("room"))?,
            users.clone(),
            messages.clone(),
            broadcast.clone(),
            rooms,
            config.room_creation,
            config.limits.clone(),
        ));
        let inner = Arc::new(Inner {
            presence_feed: Arc::new(PresenceFeed::new(
                config.presence_interval,
                presence.clone(),
                broadcast.clone(),
            )),
            users,
            sessions: self.sessions.ok_or(BuildError::MissingStore("session"))?,
            messages,
            broadcast,
            presence,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            hasher,
            sequencers: Mutex::new(HashMap::new()),
            send_rate: config.send_rate.map(KeyedRate::new),
            login_failures: FailureLimiter::new(config.login_failures_per_user),
            typing: Mutex::new(HashMap::new()),
            revocations: broadcast::channel(256).0,
            rooms,
            config,
        });
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(housekeeping(Arc::downgrade(&inner)));
        }
        Ok(Messenger { inner })
    }
}

async fn housekeeping(inner: Weak<Inner>) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        if let Err(e) = (Messenger { inner }).purge_expired_sessions().await {
            tracing::warn!(error = %e, "purging expired sessions failed");
        }
    }
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

impl Messenger {
    /// Starts a [`MessengerBuilder`].
    pub fn builder() -> MessengerBuilder {
        MessengerBuilder::default()
    }

    /// The configuration in force.
    pub fn config(&self) -> &MessengerConfig {
        &self.inner.config
    }

    /// The rooms of the configuration (created at first use), `general` first.
    pub fn configured_rooms(&self) -> &[RoomName] {
        self.inner.rooms.configured()
    }

    /// Parses a client's room name and checks that `user` may read the
    /// room: a public room, or one they are a member of. Anything else,
    /// existing or not, is [`Error::NotFound`].
    pub async fn room_for(&self, raw: &str, user: &User) -> Result<RoomName> {
        self.inner.rooms.parse_readable(raw, user).await
    }

    /// The events of `user`'s own channel ([`UserEvent`](crate::UserEvent)s:
    /// rooms added and removed, read positions, mentions), for their
    /// connections.
    pub async fn user_events(&self, user: &User) -> Result<Subscription> {
        self.inner
            .broadcast
            .subscribe(&RoomName::user_channel(user.id))
            .await
            .map_err(|e| Error::Internal(format!("subscribing failed: {e}")))
    }

    /// Subscribes to a room's events without joining it (no presence, no
    /// history): how a connection watches its other rooms for activity.
    /// Read access needed.
    pub async fn watch(&self, room: &RoomName, user: &User) -> Result<Subscription> {
        self.inner.rooms.readable(room, user).await?;
        self.inner
            .broadcast
            .subscribe(room)
            .await
            .map_err(|e| Error::Internal(format!("subscribing failed: {e}")))
    }

    /// Creates a room. A `creator` (a user asking) is subject to
    /// [`MessengerConfig::room_creation`] and becomes its first member;
    /// host code passes `None` and sets the members itself (one private
    /// room per order, with its buyer and seller). Each member is told.
    pub async fn create_room(
        &self,
        creator: Option<&User>,
        room: NewRoom,
        members: &[UserId],
    ) -> Result<Room> {
        self.inner
            .rooms
            .create(creator, room, members, self.inner.clock.now())
            .await
    }

    /// The rooms `user` is a member of (`general` first), with unread and
    /// mention counts.
    pub async fn my_rooms(&self, user: &User) -> Result<Vec<MyRoom>> {
        self.inner.rooms.mine(user).await
    }

    /// One room as `user` sees it (read access needed).
    pub async fn room_info(&self, user: &User, room: &RoomName) -> Result<MyRoom> {
        self.inner.rooms.info(user, room).await
    }

    /// Public rooms, most recently active first, with member counts.
    pub async fn directory(&self) -> Result<Vec<DirectoryEntry>> {
        self.inner.rooms.directory().await
    }

    /// Makes `user` a member of a public room (remembered across sessions
    /// and devices).
    pub async fn enter_room(&self, user: &User, room: &RoomName) -> Result<MyRoom> {
        self.inner.rooms.enter(user, room).await
    }

    /// Ends `user`'s membership of a room (not `general`).
    pub async fn exit_room(&self, user: &User, room: &RoomName) -> Result<()> {
        self.inner.rooms.exit(user, room).await
    }

    /// The members of a room `user` may read.
    pub async fn members(&self, user: &User, room: &RoomName) -> Result<Vec<User>> {
        self.inner.rooms.members(user, room).await
    }

    /// `by`, who may read the room, adds the user named `username` to it;
    /// answers the members after.
    pub async fn add_member(
        &self,
        by: &User,
        room: &RoomName,
        username: &Username,
    ) -> Result<Vec<User>> {
        self.inner.rooms.add_member(by, room, username).await
    }

    /// Adds users to a room from host code, without any access check (the
    /// host decides who belongs): answers how many were new.
    pub async fn set_members(&self, room: &RoomName, users: &[UserId]) -> Result<usize> {
        self.inner.rooms.add_members_as_host(room, users).await
    }

    /// The direct conversation of `user` with the user named `with`,
    /// opened (created on first use) for both.
    pub async fn open_direct(&self, user: &User, with: &Username) -> Result<MyRoom> {
        self.inner
            .rooms
            .open_direct(user, with, self.inner.clock.now())
            .await
    }

    /// Marks a room read up to `id` for `user`, on all their devices.
    pub async fn mark_read(
        &self,
        user: &User,
        room: &RoomName,
        id: MessageId,
    ) -> Result<ReadState> {
        self.inner.rooms.mark_read(user, room, id).await
    }

    /// Whether `user` is a member of `room`.
    pub async fn is_member(&self, user: &User, room: &RoomName) -> Result<bool> {
        self.inner.rooms.is_member(user, room).await
    }

    /// Registers a user. A name taken in any letter case is [`Error::Conflict`].
    pub async fn register(&self, username: Username, password: Password) -> Result<User> {
        if self
            .inner
            .users
            .find_user_by_name(&username)
            .await?
            .is_some()
        {
            return Err(Error::Conflict("username is taken".into()));
        }
        let hash = self.inner.hasher.hash(&password).await?;
        let user = self
            .inner
            .users
            .create_user(&username, &hash, self.inner.clock.now())
            .await?;
        tracing::info!(user = %user.username, id = %user.id, "registered");
        Ok(user)
    }

    /// Checks credentials and opens a new session. Unknown user and wrong
    /// password answer the same [`Error::Unauthorized`] after the same work.
    /// Failed attempts per username are limited.
    pub async fn login(
        &self,
        username: &Username,
        password: &Password,
        remember: bool,
    ) -> Result<LoginOutcome> {
        let key = username.canonical();
        self.inner
            .login_failures
            .check(&key)
            .map_err(|retry_after| {
                metrics::rate_limited("login");
                Error::RateLimited { retry_after }
            })?;
        let record = store_call(
            "find_user_by_name",
            self.inner.users.find_user_by_name(username),
        )
        .await?;
        let ok = self
            .inner
            .hasher
            .verify(
                password,
                record.as_ref().and_then(|r| r.password_hash.as_deref()),
            )
            .await?;
        // A user from the host app has no password: it verified against
        // the dummy and is refused like an unknown name.
        let Some(record) = record.filter(|_| ok) else {
            self.inner.login_failures.record_failure(key);
            ::metrics::counter!(metrics::LOGIN_FAILURES).increment(1);
            return Err(Error::Unauthorized("invalid username or password"));
        };
        self.open_session(record.user, remember).await
    }

    /// Opens a new session for `user` without any credential check: for a
    /// host application that authenticated the person itself and hands the
    /// token to its client (as a bearer token or the chat's cookie).
    pub async fn open_session(&self, user: User, remember: bool) -> Result<LoginOutcome> {
        let now = self.inner.clock.now();
        let policy = &self.inner.config.sessions;
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
        };
        self.inner.sessions.create_session(&record).await?;
        Ok(LoginOutcome {
            token,
            session: Session { record, user },
        })
    }

    /// The chat user of a person the host application authenticated:
    /// created (without a password) on first sight, renamed when the host's
    /// name for them changed. A name another user holds is
    /// [`Error::Conflict`]. Costs one read when nothing changed.
    pub async fn host_user(&self, identity: &HostIdentity) -> Result<User> {
        let users = &self.inner.users;
        let known = store_call(
            "find_user_by_external_id",
            users.find_user_by_external_id(&identity.external_id),
        )
        .await?;
        if let Some(user) = known.filter(|u| u.username == identity.username) {
            return Ok(user);
        }
        let user = users
            .upsert_external_user(
                &identity.external_id,
                &identity.username,
                self.inner.clock.now(),
            )
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => Error::Conflict(format!(
                    "the name '{}' belongs to another user",
                    identity.username
                )),
                other => other.into(),
            })?;
        Ok(user)
    }

    /// The session `token` opens, if it is valid: known, within its absolute
    /// lifetime and not idle too long.
    pub async fn authenticate(&self, token: &SessionToken) -> Result<Session> {
        let hash = token.hash();
        let Some(mut record) =
            store_call("find_session", self.inner.sessions.find_session(&hash)).await?
        else {
            return Err(Error::Unauthorized("not logged in"));
        };
        let now = self.inner.clock.now();
        let policy = &self.inner.config.sessions;
        if record.expires_at <= now || record.last_seen_at + delta(policy.idle_timeout) <= now {
            self.inner.sessions.delete_session(&hash).await?;
            return Err(Error::Unauthorized("session expired"));
        }
        let Some(user) = self.inner.users.find_user(record.user_id).await? else {
            self.inner.sessions.delete_session(&hash).await?;
            return Err(Error::Unauthorized("not logged in"));
        };
        if now - record.last_seen_at >= delta(policy.touch_interval) {
            self.inner.sessions.touch_session(&hash, now).await?;
            record.last_seen_at = now;
        }
        Ok(Session { record, user })
    }

    /// Revokes one session, server-side; its open connections are told.
    pub async fn logout(&self, session: &Session) -> Result<()> {
        let hash = session.record.token_hash;
        self.inner.sessions.delete_session(&hash).await?;
        let _ = self.inner.revocations.send(Revocation::Session(hash));
        Ok(())
    }

    /// Revokes every session of `user`; returns how many there were.
    pub async fn logout_everywhere(&self, user: UserId) -> Result<u64> {
        let n = self.inner.sessions.delete_user_sessions(user).await?;
        let _ = self.inner.revocations.send(Revocation::User(user));
        Ok(n)
    }

    /// Revocations from now on (this node's). Connections listen here and
    /// close when theirs is revoked.
    pub fn revocations(&self) -> broadcast::Receiver<Revocation> {
        self.inner.revocations.subscribe()
    }

    /// Deletes expired sessions from the store; returns how many.
    pub async fn purge_expired_sessions(&self) -> Result<u64> {
        let now = self.inner.clock.now();
        let idle_before = now - delta(self.inner.config.sessions.idle_timeout);
        Ok(self
            .inner
            .sessions
            .delete_expired_sessions(now, idle_before)
            .await?)
    }

    /// Stores a message and then broadcasts it to the room. Posting the same
    /// `client_id` again returns the stored message with `created: false`
    /// and stores and broadcasts nothing.
    pub async fn post(
        &self,
        author: &User,
        room: &RoomName,
        body: MessageBody,
        client_id: ClientId,
    ) -> Result<Posted> {
        self.enqueue_post(author, room, body, client_id)
            .await?
            .await
    }

    /// [`post`](Self::post) in two steps, for a caller that keeps several
    /// posts in flight (a WebSocket connection pipelining a client's
    /// sends): this returns as soon as the room's queue took the post, and
    /// posts enqueued one after another get ids in that order. Awaiting the
    /// [`PendingPost`] gives what `post` would have returned.
    pub async fn enqueue_post(
        &self,
        author: &User,
        room: &RoomName,
        body: MessageBody,
        client_id: ClientId,
    ) -> Result<PendingPost> {
        self.inner.rooms.readable(room, author).await?;
        if let Some(rate) = &self.inner.send_rate {
            rate.check(&author.id).map_err(|retry_after| {
                metrics::rate_limited("send");
                Error::RateLimited { retry_after }
            })?;
        }
        self.sequencer(room)
            .enqueue(NewMessage {
                room: room.clone(),
                author: author.clone(),
                body,
                client_id,
                sent_at: self.inner.clock.now(),
            })
            .await
    }

    fn sequencer(&self, room: &RoomName) -> RoomSequencer {
        let mut sequencers = self
            .inner
            .sequencers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        sequencers
            .entry(room.clone())
            .or_insert_with(|| {
                let rooms = self.inner.rooms.clone();
                RoomSequencer::spawn(
                    room.clone(),
                    self.inner.messages.clone(),
                    self.inner.broadcast.clone(),
                    self.inner.config.max_batch,
                    // Only a body with an '@' can mention anyone: the rest
                    // cost one byte scan.
                    Arc::new(move |m: &Message| {
                        if m.body.as_str().contains('@') {
                            let (rooms, m) = (rooms.clone(), m.clone());
                            tokio::spawn(async move {
                                if let Err(e) = rooms.mentions(&m).await {
                                    tracing::warn!(room = %m.room, error = %e, "recording mentions failed");
                                }
                            });
                        }
                    }),
                )
            })
            .clone()
    }

    /// One page of a room's history, oldest first. `query.limit` must be
    /// within 1 and [`Limits::history_max`](crate::Limits::history_max).
    pub async fn history(
        &self,
        user: &User,
        room: &RoomName,
        query: HistoryQuery,
    ) -> Result<Vec<Message>> {
        self.inner.rooms.readable(room, user).await?;
        let max = self.inner.config.limits.history_max;
        if query.limit == 0 || query.limit > max {
            return Err(Error::Invalid(crate::ValidationError::new(
                "limit",
                format!("must be 1 to {max}"),
            )));
        }
        Ok(store_call("history", self.inner.messages.history(room, query)).await?)
    }

    /// The message `author` posted with `client_id`, if any.
    pub async fn find_posted(
        &self,
        author: UserId,
        client_id: &ClientId,
    ) -> Result<Option<Message>> {
        Ok(self
            .inner
            .messages
            .find_by_client_id(author, client_id)
            .await?)
    }

    /// Joins `user` to `room`: subscribes to its events and counts the user
    /// online there until the returned [`Joined::presence`] guard is dropped
    /// or left.
    pub async fn join(&self, room: &RoomName, user: &User) -> Result<Joined> {
        self.inner.rooms.readable(room, user).await?;
        // Subscribe first, so nothing published after the snapshot is missed.
        let subscription = self
            .inner
            .broadcast
            .subscribe(room)
            .await
            .map_err(|e| Error::Internal(format!("subscribing failed: {e}")))?;
        if self.inner.presence.connect(room, user).await? {
            self.inner.presence_feed.changed(room);
        }
        let online = self.inner.presence_feed.snapshot(room, user);
        Ok(Joined {
            subscription,
            online,
            presence: PresenceGuard {
                messenger: Some(self.clone()),
                room: room.clone(),
                user: user.clone(),
            },
        })
    }

    /// Users online in `room` right now.
    pub async fn online(&self, room: &RoomName, user: &User) -> Result<Vec<User>> {
        self.inner.rooms.readable(room, user).await?;
        Ok(self.inner.presence.online(room).await?)
    }

    async fn leave(&self, room: &RoomName, user: &User) -> Result<()> {
        if self.inner.presence.disconnect(room, user).await? {
            self.inner.presence_feed.changed(room);
        }
        Ok(())
    }

    /// Tells the room `user` is typing. Passes on at most one per user per
    /// room per [`MessengerConfig::typing_interval`]; answers whether this one
    /// was passed on.
    pub async fn typing(&self, room: &RoomName, user: &User) -> Result<bool> {
        self.inner.rooms.readable(room, user).await?;
        let interval = self.inner.config.typing_interval;
        {
            let now = Instant::now();
            let mut typing = self.inner.typing.lock().unwrap_or_else(|p| p.into_inner());
            if typing.len() > 10_000 {
                typing.retain(|_, last| *last + interval > now);
            }
            match typing.get_mut(&(room.clone(), user.id)) {
                Some(last) if *last + interval > now => return Ok(false),
                Some(last) => *last = now,
                None => {
                    typing.insert((room.clone(), user.id), now);
                }
            }
        }
        let event = RoomEvent::new(EventKind::Typing {
            room: room.clone(),
            user: user.clone(),
        });
        self.inner
            .broadcast
            .publish(room, event)
            .await
            .map_err(|e| Error::Internal(format!("publishing failed: {e}")))?;
        Ok(true)
    }

    /// Whether every store answers.
    pub async fn health(&self) -> Result<()> {
        self.inner.users.health().await?;
        self.inner.sessions.health().await?;
        self.inner.messages.health().await?;
        Ok(())
    }
}

/// A user's membership of a room, from [`Messenger::join`].
#[derive(Debug)]
pub struct Joined {
    /// The room's events from the moment of joining.
    pub subscription: Subscription,
    /// Who was online as of the last presence diff, plus the joiner. The
    /// `presence_diff` events that follow apply to this list.
    pub online: Vec<User>,
    /// Counts the user online in the room while it lives.
    pub presence: PresenceGuard,
}

/// Keeps a user counted online in a room. Dropping it leaves (in a spawned
/// task); [`PresenceGuard::leave`] leaves and waits.
#[derive(Debug)]
pub struct PresenceGuard {
    messenger: Option<Messenger>,
    room: RoomName,
    user: User,
}

impl PresenceGuard {
    /// The room.
    pub fn room(&self) -> &RoomName {
        &self.room
    }

    /// Leaves the room now.
    pub async fn leave(mut self) -> Result<()> {
        match self.messenger.take() {
            Some(m) => m.leave(&self.room, &self.user).await,
            None => Ok(()),
        }
    }
}

impl Drop for PresenceGuard {
    fn drop(&mut self) {
        if let Some(m) = self.messenger.take() {
            let room = self.room.clone();
            let user = self.user.clone();
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    if let Err(e) = m.leave(&room, &user).await {
                        tracing::warn!(room = %room, error = %e, "leaving a room failed");
                    }
                });
            }
        }
    }
}

impl std::fmt::Debug for Messenger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messenger")
            .field("rooms", &self.inner.rooms.configured())
            .finish_non_exhaustive()
    }
}
