//! A socket's share of the metrics (names in [`messenger_core::metrics`]).
//!
//! Deliveries are counted in the socket and added to the shared counter
//! once per flush, so the fan-out's hot path touches no shared cache line
//! per message.

use messenger_core::metrics::{
    MESSAGES_DELIVERED, RESYNCS, ROOMS_SUBSCRIBED, SLOW_CLIENT_CLOSES, SOCKETS_OPEN,
};
use metrics::{Counter, Gauge, counter, gauge};

/// Counts one open socket while it lives, and what it does.
pub(crate) struct SocketMetrics {
    sockets: Gauge,
    rooms: Gauge,
    delivered: Counter,
    unflushed: u64,
    joined: usize,
}

impl SocketMetrics {
    pub(crate) fn open() -> Self {
        let sockets = gauge!(SOCKETS_OPEN);
        sockets.increment(1.0);
        Self {
            sockets,
            rooms: gauge!(ROOMS_SUBSCRIBED),
            delivered: counter!(MESSAGES_DELIVERED),
            unflushed: 0,
            joined: 0,
        }
    }

    pub(crate) fn joined(&mut self) {
        self.joined += 1;
        self.rooms.increment(1.0);
    }

    pub(crate) fn left(&mut self) {
        self.joined -= 1;
        self.rooms.decrement(1.0);
    }

    pub(crate) fn delivered(&mut self, messages: usize) {
        self.unflushed += messages as u64;
    }

    pub(crate) fn flush(&mut self) {
        if self.unflushed > 0 {
            self.delivered.increment(self.unflushed);
            self.unflushed = 0;
        }
    }

    pub(crate) fn resynced() {
        counter!(RESYNCS).increment(1);
    }

    pub(crate) fn closed_slow() {
        counter!(SLOW_CLIENT_CLOSES).increment(1);
    }
}

impl Drop for SocketMetrics {
    fn drop(&mut self) {
        self.flush();
        self.sockets.decrement(1.0);
        self.rooms.decrement(self.joined as f64);
    }
}

/// Connections closed at accept because a cap was reached.
pub(crate) const CONNECTIONS_REFUSED: &str = "messenger_connections_refused_total";

pub(crate) fn connection_refused() {
    counter!(CONNECTIONS_REFUSED).increment(1);
}
