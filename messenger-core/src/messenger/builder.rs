//! Assembling a [`Messenger`] from stores, engines and configuration.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use super::{Inner, Messenger};
use crate::accounts::Accounts;
use crate::broadcast::{LocalBroadcast, RoomBroadcast};
use crate::clock::{Clock, SystemClock};
use crate::config::MessengerConfig;
use crate::holds::{HoldCounter, LocalHolds};
use crate::moderation::Moderation;
use crate::password::PasswordHasher;
use crate::presence::{LocalPresence, Presence};
use crate::presence_feed::PresenceFeed;
use crate::ratelimit::{FailureCounter, LocalFailures, LocalRates, RateCounter};
use crate::room::RoomName;
use crate::rooms::Rooms;
use crate::store::{MessageStore, ModerationStore, RoomStore, SessionStore, UserStore};

/// Why [`MessengerBuilder::build`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    moderation: Option<Arc<dyn ModerationStore>>,
    broadcast: Option<Arc<dyn RoomBroadcast>>,
    presence: Option<Arc<dyn Presence>>,
    clock: Option<Arc<dyn Clock>>,
    failures: Option<Arc<dyn FailureCounter>>,
    rates: Option<Arc<dyn RateCounter>>,
    holds: Option<Arc<dyn HoldCounter>>,
}

impl MessengerBuilder {
    /// Uses `config` instead of the defaults.
    pub fn config(mut self, config: MessengerConfig) -> Self {
        self.config = config;
        self
    }

    /// Uses one object as user, session, message, room and moderation store.
    pub fn store<S>(self, store: Arc<S>) -> Self
    where
        S: UserStore + SessionStore + MessageStore + RoomStore + ModerationStore,
    {
        self.users(store.clone())
            .sessions(store.clone())
            .messages(store.clone())
            .rooms(store.clone())
            .moderation(store)
    }

    /// The moderation store (roles, mutes, bans, the moderation log).
    pub fn moderation(mut self, moderation: Arc<dyn ModerationStore>) -> Self {
        self.moderation = Some(moderation);
        self
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

    /// Where failed logins are counted (default: [`LocalFailures`], this
    /// process's memory; a cluster shares one, e.g. on Redis).
    pub fn failures(mut self, failures: Arc<dyn FailureCounter>) -> Self {
        self.failures = Some(failures);
        self
    }

    /// Where rate limits are counted: messages per user, typing events, and
    /// whatever the web layer limits through [`Messenger::rates`] (default:
    /// [`LocalRates`], this process's memory; a cluster shares one).
    pub fn rates(mut self, rates: Arc<dyn RateCounter>) -> Self {
        self.rates = Some(rates);
        self
    }

    /// Where concurrent holds are counted: the web layer's open sockets per
    /// user, through [`Messenger::holds`] (default: [`LocalHolds`], this
    /// process's memory; a cluster shares one, so the cap holds across
    /// nodes).
    pub fn holds(mut self, holds: Arc<dyn HoldCounter>) -> Self {
        self.holds = Some(holds);
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
        let presence_shared = self.presence.is_some();
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
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let failures = self
            .failures
            .unwrap_or_else(|| Arc::new(LocalFailures::new()));
        let moderation = Arc::new(Moderation::new(
            self.moderation
                .ok_or(BuildError::MissingStore("moderation"))?,
            users.clone(),
            clock.clone(),
        ));
        let accounts = Accounts::new(
            users,
            self.sessions.ok_or(BuildError::MissingStore("session"))?,
            clock.clone(),
            hasher,
            config.sessions.clone(),
            failures.clone(),
            config.login_failures_per_user,
            moderation.clone(),
            broadcast.clone(),
        );
        let inner = Arc::new(Inner {
            presence_feed: Arc::new(PresenceFeed::new(
                config.presence_interval,
                presence.clone(),
                broadcast.clone(),
            )),
            presence_shared,
            failures,
            accounts,
            moderation,
            messages,
            broadcast,
            presence,
            clock,
            sequencers: Mutex::new(HashMap::new()),
            rates: self.rates.unwrap_or_else(|| Arc::new(LocalRates::new())),
            holds: self.holds.unwrap_or_else(|| Arc::new(LocalHolds::new())),
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
