//! `MemoryStore` passes the store conformance suite.

use std::sync::Arc;

use messenger_core::MemoryStore;
use messenger_core::testing::{Stores, run_conformance};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_conforms() {
    run_conformance(|| async { Stores::from_one(Arc::new(MemoryStore::new())) }).await;
}
