//! The storage-agnostic heart of Community Messenger.
//!
//! `messenger-core` holds every chat rule — registration, login and
//! sessions, posting, history, rooms, edits and deletes, search,
//! moderation, presence and typing — in one [`Messenger`] facade over one
//! service per concern, and over seams that other crates fill:
//!
//! - [`UserStore`], [`SessionStore`], [`MessageStore`], [`RoomStore`],
//!   [`ModerationStore`]: storage, one trait per concern
//!   (`messenger-sqlite` implements them on SQLite; [`MemoryStore`] in
//!   memory; the `testing` feature adds the conformance suite every store
//!   runs);
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
pub mod moderation;
mod password;
mod presence;
mod presence_feed;
mod priority;
mod ratelimit;
mod room;
mod rooms;
pub mod search;
mod sequencer;
mod session;
mod store;
mod text;
mod user;
mod validation;

#[cfg(feature = "testing")]
pub mod testing;

pub use broadcast::{
    BroadcastError, Delivery, EventKind, LocalBroadcast, RoomBroadcast, RoomEvent, Subscription,
    UserEvent,
};
pub use clock::{Clock, SystemClock, rfc3339, rfc3339_string};
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
    Appended, ChangeKind, ClientId, HistoryQuery, Message, MessageBody, MessageChange, MessageId,
    NewMessage, Posted,
};
pub use messenger::CHANGES_PAGE_MAX;
pub use messenger::{BuildError, Joined, Messenger, MessengerBuilder, PresenceGuard};
pub use moderation::{Actor, ModAction, ModActionKind, Reason, Role, Standing};
pub use password::PasswordHasher;
pub use presence::{LocalPresence, Presence};
pub use ratelimit::{FailureCounter, LocalFailures, LocalRates, RateCounter};
pub use room::RoomName;
pub use rooms::{
    CreatedInvite, DirectoryEntry, Invite, InviteCode, InviteTerms, MAX_MENTIONS, Membership,
    MyRoom, NewInvite, NewRoom, ReadState, Room, RoomKind, RoomTitle, RoomTopic, mentioned,
};
pub use search::{SearchHit, SearchPage, SearchQuery};
pub use sequencer::PendingPost;
pub use session::{
    LoginOutcome, Revocation, Session, SessionInfo, SessionOptions, SessionRecord, SessionToken,
    TokenHash, UserAgent,
};
pub use store::{
    BoxError, MessageStore, ModerationStore, RoomHead, RoomStore, SessionStore, StoreError,
    UserRecord, UserStore,
};
pub use user::{Password, User, UserId, Username};
pub use validation::ValidationError;

// The README's example is compiled too, so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
