//! `MemoryStore`, `LocalBroadcast` and `LocalPresence` pass the conformance suites.

use std::sync::Arc;

use messenger_core::MemoryStore;
use messenger_core::testing::Stores;

/// One test per store conformance case, each on a fresh `MemoryStore`.
mod memory_store {
    use super::*;
    messenger_core::store_conformance_tests!(|| async {
        Stores::from_one(Arc::new(MemoryStore::new()))
    });
}

/// `LocalBroadcast` passes the broadcast conformance suite (one process:
/// both "nodes" are the same engine).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_broadcast_conforms() {
    use messenger_core::{LocalBroadcast, RoomBroadcast};
    messenger_core::testing::run_broadcast_conformance(|| async {
        let b: Arc<dyn RoomBroadcast> = Arc::new(LocalBroadcast::new(1024));
        (b.clone(), b)
    })
    .await;
}

/// `LocalPresence` passes the presence conformance suite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_presence_conforms() {
    use messenger_core::{LocalPresence, Presence};
    messenger_core::testing::run_presence_conformance(|| async {
        let p: Arc<dyn Presence> = Arc::new(LocalPresence::new());
        (p.clone(), p)
    })
    .await;
}

/// `LocalRates` and `LocalFailures` pass the limits conformance suite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_limits_conform() {
    use messenger_core::{FailureCounter, LocalFailures, LocalRates, RateCounter};
    messenger_core::testing::run_limits_conformance(
        || async {
            let r: Arc<dyn RateCounter> = Arc::new(LocalRates::new());
            (r.clone(), r)
        },
        || async {
            let f: Arc<dyn FailureCounter> = Arc::new(LocalFailures::new());
            (f.clone(), f)
        },
    )
    .await;
}

/// `LocalHolds` passes the holds conformance suite.
#[tokio::test]
async fn local_holds_conform() {
    use messenger_core::{HoldCounter, LocalHolds};
    messenger_core::testing::run_holds_conformance(|| async {
        let h: Arc<dyn HoldCounter> = Arc::new(LocalHolds::new());
        (h.clone(), h)
    })
    .await;
}
