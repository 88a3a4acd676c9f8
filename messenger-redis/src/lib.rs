//! Redis engine for Community Messenger: the room events of every node on
//! one Redis, so that any number of nodes are one service.
//!
//! [`RedisBroadcast`] is a [`RoomBroadcast`](messenger_core::RoomBroadcast)
//! over Redis pub/sub (the `redis` crate: its tokio connection manager for
//! publishing, a dedicated pub/sub connection for listening, both
//! reconnecting by themselves). A node delivers its own events to its
//! subscribers directly and every other node's from the channel. Nothing
//! about order or completeness rests on Redis: subscribers fill gaps in
//! message ids and change numbers from the store, and when Redis comes back
//! after an outage every subscriber of the node is told it lagged, so every
//! joined socket catches up from the store, once, in order. Users' own
//! channels travel the same way, and with them session revocations: a
//! logout on one node closes that session's sockets on every node.
//!
//! [`RedisPresence`] counts who is online across nodes, each node's share
//! under a lease, so a killed node's users leave within 30 seconds.
//! [`RedisFailures`] counts failed logins across nodes, [`RedisRates`]
//! the token buckets of sends, registrations and typing events, and
//! [`RedisHolds`] each user's open sockets against one cap for the whole
//! cluster (each hold under its node's lease).
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use messenger_core::{MemoryStore, Messenger};
//! use messenger_redis::RedisBroadcast;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let events = RedisBroadcast::connect("redis://127.0.0.1:6379/0").await?;
//! let messenger = Messenger::builder()
//!     .store(Arc::new(MemoryStore::new()))
//!     .broadcast(Arc::new(events))
//!     .build()?;
//! # let _ = messenger;
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod broadcast;
mod connection;
mod error;
mod failures;
mod holds;
mod presence;
mod rates;
#[cfg(feature = "testing")]
pub mod testing;
mod wire;

pub use broadcast::RedisBroadcast;
pub use error::RedisError;
pub use failures::RedisFailures;
pub use holds::{HOLD_LEASE, RedisHolds};
pub use presence::{HEARTBEAT, LEASE, RedisPresence};
pub use rates::RedisRates;

// The README's example is compiled too, so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
