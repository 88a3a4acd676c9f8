//! The storage-agnostic heart of Community Messenger.
//!
//! `messenger-core` holds every chat rule — registration, login and
//! sessions, posting, history, rooms, edits and deletes, search,
//! moderation, presence and typing — in one [`Messenger`] facade over one
//! service per concern, and over seams that other crates fill:
//!
//! - [`store`]: storage, one trait per concern ([`UserStore`](store::UserStore),
//!   [`SessionStore`](store::SessionStore), [`MessageStore`](store::MessageStore),
//!   [`RoomStore`](store::RoomStore), [`ModerationStore`](store::ModerationStore)),
//!   with the types only a store's writer needs (`messenger-sqlite` and
//!   `messenger-postgres` implement them; [`MemoryStore`] in memory; the
//!   `testing` feature adds the conformance suite every store runs);
//! - [`RoomBroadcast`]: fan-out of room events ([`LocalBroadcast`] in-process);
//! - [`Presence`]: who is online ([`LocalPresence`] in-process);
//! - [`RateCounter`], [`FailureCounter`], [`HoldCounter`]: limits a cluster
//!   shares (token buckets, failed logins, open sockets; the `Local` ones
//!   in-process).
//!
//! What it does is measured through the `metrics` facade ([`metrics`] lists
//! the names); nothing is recorded until the host installs a recorder.
//!
//! Input is validated at the edge into newtypes ([`Username`], [`Password`],
//! [`RoomName`], [`MessageBody`], [`ClientId`]) so invalid values cannot
//! exist past it. Every refusal is an [`Error`] whose [`ErrorCode`] is the
//! wire protocol's.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use futures_util::StreamExt;
//! use messenger_core::{
//!     ClientId, Delivery, EventKind, HashingCost, MemoryStore, MessageBody, Messenger,
//!     MessengerConfig, Password, RoomName, Username,
//! };
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = MessengerConfig {
//!     hashing: HashingCost::INSECURE_FAST, // keep the doctest fast; the default is OWASP's
//!     ..MessengerConfig::default()
//! };
//! let limits = config.limits.clone();
//! let messenger = Messenger::builder()
//!     .config(config)
//!     .store(Arc::new(MemoryStore::new()))
//!     .build()?;
//!
//! let name = Username::parse("ada", &limits)?;
//! let password = Password::parse("correct horse battery", &limits)?;
//! messenger.register(name.clone(), password.clone()).await?;
//! let login = messenger.login(&name, &password, false).await?;
//! let session = messenger.authenticate(&login.token).await?;
//!
//! let general = RoomName::general();
//! let mut joined = messenger.join(&general, session.user()).await?;
//! let body = MessageBody::parse("Hello, community!", &limits)?;
//! let posted = messenger
//!     .post(session.user(), &general, body, ClientId::parse("c-1", &limits)?)
//!     .await?;
//! assert_eq!(posted.message.id.0, 1);
//!
//! // Subscribers see the stored message.
//! loop {
//!     if let Some(Delivery::Event(event)) = joined.subscription.next().await {
//!         if let EventKind::Message(m) = event.kind() {
//!             assert_eq!(m.body.as_str(), "Hello, community!");
//!             break;
//!         }
//!     }
//! }
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod accounts;
mod broadcast;
mod clock;
mod config;
mod device;
mod error;
mod external;
mod holds;
mod memory;
mod message;
mod messenger;
pub mod metrics;
mod moderation;
mod password;
mod presence;
mod presence_feed;
mod priority;
mod ratelimit;
mod reaction;
mod room;
mod rooms;
mod search;
mod sequencer;
mod session;
pub mod store;
mod text;
mod user;
mod validation;

#[cfg(feature = "testing")]
pub mod testing;

// The embedder's face: everything a host application uses, at the root,
// one path each. What only a store's writer needs is under [`store`].
pub use broadcast::{
    BroadcastError, Delivery, EventKind, LocalBroadcast, RoomBroadcast, RoomEvent, Subscription,
    UserEvent,
};
pub use clock::{Clock, SystemClock, rfc3339_string};
pub use config::{
    ActionLimits, FailureLimit, HashingCost, Limits, MessengerConfig, Rate, RateQuota,
    RoomCreation, SessionPolicy,
};
pub use device::DeviceToken;
pub use error::{Error, ErrorCode, Result};
pub use external::{ExternalId, HostIdentity};
pub use holds::{HoldCounter, LocalHolds};
pub use memory::MemoryStore;
pub use message::{
    ClientId, EXCERPT_CHARS, HistoryQuery, Message, MessageBody, MessageId, Pinned, Posted, ReplyTo,
};
pub use messenger::CHANGES_PAGE_MAX;
pub use messenger::{BuildError, Joined, Messenger, MessengerBuilder, PresenceGuard, Reactors};
pub use moderation::{
    Actor, Ban, LOG_PAGE_MAX, MAX_MUTE, MAX_REASON_CHARS, ModAction, ModActionKind, Reason, Role,
    Standing,
};
pub use password::PasswordHasher;
pub use presence::{LocalPresence, Presence};
pub use ratelimit::{FailureCounter, LocalFailures, LocalRates, RateCounter};
pub use reaction::{Reaction, ReactionChange, ReactionKey};
pub use room::RoomName;
pub use rooms::{
    CreatedInvite, DirectoryEntry, Invite, InviteCode, InviteTerms, MyRoom, NewRoom, ReadState,
    Room, RoomKind, RoomTitle, RoomTopic,
};
pub use search::{MAX_QUERY_CHARS, MAX_TERMS, SEARCH_PAGE_MAX, SearchHit, SearchPage, SearchQuery};
pub use sequencer::PendingPost;
pub use session::{
    LoginOutcome, Revocation, Session, SessionInfo, SessionOptions, SessionToken, UserAgent,
};
pub use user::{Password, User, UserId, Username};
pub use validation::ValidationError;

// The README's example is compiled too, so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
