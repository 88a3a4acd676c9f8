//! The warp 0.4 web layer of Community Messenger.
//!
//! [`Web`] wraps a [`messenger_core::Messenger`] and makes the filters of the
//! wire contract (the repository's `docs/protocol.md`):
//!
//! - [`Web::api`]: the JSON API under `/api` and `/healthz`;
//! - [`Web::ws`]: the WebSocket endpoint `/ws`;
//! - [`Web::pages`]: login, register, chat and logout pages rendered with
//!   Handlebars [`Templates`] (plain built-in ones, or yours);
//! - [`Web::assets`]: static files under `/static/` ([`Assets`]);
//! - [`Web::routes`]: all of them, with an HTML 404 page.
//!
//! Each filter can be mounted under a prefix of an existing warp app. The
//! layer holds no chat rules: it validates input at the edge, calls the
//! service, and answers every refusal in the protocol's envelope
//! (`{"error":{"code","message"}}`) or as an `error` frame.
//!
//! # Example: chat inside an existing warp app
//!
//! ```no_run
//! use std::sync::Arc;
//! use messenger_core::{MemoryStore, Messenger};
//! use messenger_warp::Web;
//! use warp::Filter;
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let messenger = Messenger::builder().store(Arc::new(MemoryStore::new())).build()?;
//! let web = Web::new(messenger);
//!
//! // The host app's own routes, with chat's API and socket under /chat.
//! let hello = warp::path!("hello").map(|| "hello from the host app");
//! let chat = warp::path("chat").and(web.api().or(web.ws()));
//! let app = hello.or(chat);
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3030").await?;
//! warp::serve(app)
//!     .incoming(listener)
//!     .graceful(async move {
//!         let _ = tokio::signal::ctrl_c().await;
//!         web.shutdown().await; // close sockets with 1001
//!     })
//!     .run()
//!     .await;
//! # Ok(())
//! # }
//! ```
//!
//! On a public address, serve with [`serve`] instead of `warp::serve`: it
//! adds what warp's server lacks (a header-read timeout, which also ends
//! silent and slow connections, and caps on open connections in all and
//! per client address, from [`WebConfig`]) and closes chat's sockets when
//! it stops. It takes routes that never reject, such as `host.or(web.routes())`.
#![warn(missing_docs)]

mod account_api;
mod account_pages;
mod api;
mod assets;
mod auth;
mod authenticator;
mod config;
mod connection;
mod cookies;
mod error;
mod frames;
mod handler;
mod http_requests;
mod ids;
mod invite_pages;
mod login;
mod metrics;
mod moderation_api;
mod pages;
mod requests;
mod routes;
mod server;
mod sockets;
mod templates;
mod web;
mod wire;
mod ws;

pub use assets::Assets;
/// Re-exported for implementing [`Authenticator`].
pub use async_trait::async_trait;
pub use authenticator::Authenticator;
pub use config::WebConfig;
pub use connection::close;
pub use error::{ApiError, status_of};
pub use server::serve;
pub use templates::{TemplateError, Templates};
pub use web::{Web, WebBuilder};

// The README's example is compiled too, so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
