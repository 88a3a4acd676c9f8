//! Concurrent holds per key, behind a seam a cluster shares: how many of a
//! user's sockets are open, counted against one cap on every node at once.
//!
//! A token bucket ([`RateCounter`](crate::RateCounter)) bounds how fast
//! something happens; a hold bounds how many are open together, so it needs
//! giving back. A node that dies cannot give its holds back: the shared
//! counter keeps each hold only for a lease its node renews, so a dead
//! node's holds lapse within the lease.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;

/// Concurrent holds per key: this process ([`LocalHolds`]) or every node
/// of a cluster (Redis).
#[async_trait]
pub trait HoldCounter: Send + Sync + 'static {
    /// Takes a hold of `key` for `holder` (unique per hold) if fewer than
    /// `max` are held; `false` if all are taken.
    async fn hold(&self, key: &str, holder: &str, max: usize) -> bool;

    /// Gives `holder`'s hold of `key` back (nothing if it had none).
    async fn release(&self, key: &str, holder: &str);
}

/// [`HoldCounter`] in this process's memory (the default).
#[derive(Debug, Default)]
pub struct LocalHolds {
    held: Mutex<HashMap<String, HashSet<String>>>,
}

impl LocalHolds {
    /// Nothing held.
    pub fn new() -> Self {
        Self::default()
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashSet<String>>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a hold without waiting (the same as [`HoldCounter::hold`]).
    pub fn hold_now(&self, key: &str, holder: &str, max: usize) -> bool {
        let mut held = self.held();
        let holders = held.entry(key.to_owned()).or_default();
        if holders.contains(holder) {
            return true;
        }
        if holders.len() >= max {
            if holders.is_empty() {
                held.remove(key);
            }
            return false;
        }
        holders.insert(holder.to_owned());
        true
    }

    /// Gives a hold back without waiting.
    pub fn release_now(&self, key: &str, holder: &str) {
        let mut held = self.held();
        if let Some(holders) = held.get_mut(key) {
            holders.remove(holder);
            if holders.is_empty() {
                held.remove(key);
            }
        }
    }
}

#[async_trait]
impl HoldCounter for LocalHolds {
    async fn hold(&self, key: &str, holder: &str, max: usize) -> bool {
        self.hold_now(key, holder, max)
    }

    async fn release(&self, key: &str, holder: &str) {
        self.release_now(key, holder);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn holds_are_capped_per_key_and_given_back() {
        let h = LocalHolds::new();
        assert!(h.hold("u1", "a", 2).await);
        assert!(h.hold("u1", "a", 2).await, "the same holder again");
        assert!(h.hold("u1", "b", 2).await);
        assert!(!h.hold("u1", "c", 2).await);
        assert!(h.hold("u2", "c", 2).await, "another key");
        h.release("u1", "a").await;
        assert!(h.hold("u1", "c", 2).await);
        h.release("u1", "b").await;
        h.release("u1", "c").await;
        h.release("u2", "c").await;
        assert!(h.held().is_empty(), "nothing left behind");
    }
}
