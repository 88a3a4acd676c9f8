//! SQLite stores for Community Messenger: the embedded default.
//!
//! [`SqliteStore`] implements every store trait of [`messenger_core`] over
//! one database file (with the SQLite library compiled in, so nothing needs
//! installing):
//!
//! - the file and its folder are created on first open, and numbered
//!   migrations bring the schema up to date (a newer schema is refused);
//! - WAL mode: reader threads read without waiting on writes;
//! - one writer thread commits writes in batches (group commit): under load
//!   many posts share one transaction, and each is acknowledged only after
//!   its transaction committed;
//! - every acknowledged write survives a crash of the process; choose
//!   [`Durability::PowerLoss`] to survive power loss too;
//! - usernames are unique case-insensitively, `(author, client_id)` is
//!   unique (idempotent retries), and message ids grow densely per room.
//!
//! No SQLite call ever runs on an async worker thread.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use messenger_core::{HashingCost, Messenger, MessengerConfig, Password, Username};
//! use messenger_sqlite::{SqliteOptions, SqliteStore};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let store = SqliteStore::open(dir.path().join("instance/messenger.db"), SqliteOptions::default()).await?;
//! let config = MessengerConfig { hashing: HashingCost::INSECURE_FAST, ..Default::default() };
//! let limits = config.limits.clone();
//! let messenger = Messenger::builder().config(config).store(Arc::new(store)).build()?;
//!
//! let user = messenger
//!     .register(Username::parse("grace", &limits)?, Password::parse("hopper1906", &limits)?)
//!     .await?;
//! assert_eq!(user.username.as_str(), "grace");
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod error;
mod maintenance;
mod messages;
mod moderation;
mod options;
mod readers;
mod rooms;
mod schema;
mod sessions;
mod store;
mod users;
mod writer;

pub use error::SqliteError;
pub use maintenance::{backup, check};
pub use options::{Durability, SqliteOptions};
pub use schema::SCHEMA_VERSION;
pub use store::SqliteStore;

// The README's example is compiled too, so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
