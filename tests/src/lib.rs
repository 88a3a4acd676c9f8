//! End-to-end tests of Community Messenger that span crates and processes:
//! the real `community-messenger` binary on a real SQLite file, real HTTP
//! and WebSocket clients, the load generator, and headless Chromium.
//!
//! The harness lives here; the tests are in `tests/`. Browser tests are
//! `#[ignore = "needs chromium"]` (Debian's `chromium` and `chromium-driver`,
//! plus axe-core: `npm install --prefix tests/axe`).

pub mod app;
pub mod binary;
pub mod chromium;

pub use app::{App, Ws};
