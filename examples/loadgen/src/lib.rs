//! The Community Messenger load generator, as a library (the `loadgen`
//! binary is a thin CLI over it; tests drive it directly).
//!
//! Scenarios: [`fanout`] (delivery throughput, loss, order, latency),
//! [`connect`] (idle sockets and server memory), [`login`] (a login storm
//! against chat latency), [`stall`] (a reader that stops reading, and what
//! it costs the server) and [`bare`] (the floor: a broadcast server with
//! no auth and no storage).

pub mod bare;
pub mod client;
pub mod connect;
pub mod crowd;
pub mod fanout;
pub mod login;
pub mod process;
pub mod report;
pub mod stall;
pub mod users;
