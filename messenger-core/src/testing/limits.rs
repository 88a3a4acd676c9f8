//! The limits conformance suite: what every [`RateCounter`] and
//! [`FailureCounter`] keeps, whether one process (the `Local` ones) or
//! several nodes counting together (Redis). Real time, short periods: a
//! shared counter keeps its own clock.

use std::num::NonZeroU32;
use std::time::Duration;

use super::*;
use crate::config::{FailureLimit, RateQuota};
use crate::ratelimit::{FailureCounter, RateCounter};

/// Two handles on one rate counter: two nodes, or one counter twice.
pub type RateNodes = (Arc<dyn RateCounter>, Arc<dyn RateCounter>);

/// Two handles on one failure counter: two nodes, or one counter twice.
pub type FailureNodes = (Arc<dyn FailureCounter>, Arc<dyn FailureCounter>);

/// Two handles on one hold counter: two nodes, or one counter twice.
pub type HoldNodes = (Arc<dyn crate::HoldCounter>, Arc<dyn crate::HoldCounter>);

/// Runs every case of [`HoldCounter`](crate::HoldCounter) against fresh
/// counters from `fresh`.
pub async fn run_holds_conformance<H, HFut>(mut fresh: H)
where
    H: FnMut() -> HFut,
    HFut: Future<Output = HoldNodes>,
{
    holds_share_one_cap(fresh().await).await;
}

async fn holds_share_one_cap((a, b): HoldNodes) {
    // Two on one node and one on the other fill a cap of three.
    assert!(a.hold("sockets:1", "a-1", 3).await);
    assert!(a.hold("sockets:1", "a-2", 3).await);
    assert!(b.hold("sockets:1", "b-1", 3).await);
    assert!(!b.hold("sockets:1", "b-2", 3).await);
    assert!(!a.hold("sockets:1", "a-3", 3).await);
    // Taking one's own hold again takes no second place.
    assert!(a.hold("sockets:1", "a-1", 3).await);
    // Another key has its own cap.
    assert!(b.hold("sockets:2", "b-2", 3).await);
    // A place given back on one node is free on the other.
    a.release("sockets:1", "a-2").await;
    assert!(b.hold("sockets:1", "b-3", 3).await);
    assert!(!a.hold("sockets:1", "a-4", 3).await);
    // Giving back what is not held changes nothing.
    b.release("sockets:1", "nobody").await;
    assert!(!a.hold("sockets:1", "a-4", 3).await);
}

/// Runs every case of both seams against fresh counters.
pub async fn run_limits_conformance<R, RFut, F, FFut>(mut rates: R, mut failures: F)
where
    R: FnMut() -> RFut,
    RFut: Future<Output = RateNodes>,
    F: FnMut() -> FFut,
    FFut: Future<Output = FailureNodes>,
{
    a_bucket_is_shared_and_refills(rates().await).await;
    once_per_lets_one_through(rates().await).await;
    failures_are_shared_and_the_window_ends(failures().await).await;
}

async fn a_bucket_is_shared_and_refills((a, b): RateNodes) {
    let q = RateQuota {
        burst: NonZeroU32::new(3).unwrap(),
        period: Duration::from_millis(400),
    };
    // The burst, taken on both nodes, is one burst.
    a.take("send", "u1", q).await.unwrap();
    b.take("send", "u1", q).await.unwrap();
    a.take("send", "u1", q).await.unwrap();
    let wait = b.take("send", "u1", q).await.unwrap_err();
    assert!(
        wait > Duration::ZERO && wait <= q.period,
        "waits for one token: {wait:?}"
    );
    // Other keys and scopes have their own buckets.
    b.take("send", "u2", q).await.unwrap();
    b.take("register", "u1", q).await.unwrap();
    // Refused takes cost nothing: after the wait, one more passes.
    tokio::time::sleep(wait + Duration::from_millis(30)).await;
    a.take("send", "u1", q).await.unwrap();
    assert!(b.take("send", "u1", q).await.is_err());
}

async fn once_per_lets_one_through((a, b): RateNodes) {
    let q = RateQuota::once_per(Duration::from_millis(500));
    a.take("typing", "7/general", q).await.unwrap();
    assert!(b.take("typing", "7/general", q).await.is_err());
    assert!(a.take("typing", "7/general", q).await.is_err());
    b.take("typing", "7/random", q).await.unwrap();
    tokio::time::sleep(Duration::from_millis(550)).await;
    b.take("typing", "7/general", q).await.unwrap();
}

async fn failures_are_shared_and_the_window_ends((a, b): FailureNodes) {
    let limit = FailureLimit {
        max: 3,
        window: Duration::from_millis(800),
    };
    a.check("login", "ann", limit).await.unwrap();
    a.record_failure("login", "ann", limit).await;
    b.record_failure("login", "ann", limit).await;
    b.check("login", "ann", limit).await.unwrap();
    a.record_failure("login", "ann", limit).await;
    for node in [&a, &b] {
        let wait = node.check("login", "ann", limit).await.unwrap_err();
        assert!(wait > Duration::ZERO && wait <= limit.window, "{wait:?}");
    }
    b.check("login", "bob", limit).await.unwrap();
    b.check("address", "ann", limit).await.unwrap();
    tokio::time::sleep(limit.window + Duration::from_millis(50)).await;
    a.check("login", "ann", limit).await.unwrap();
    b.check("login", "ann", limit).await.unwrap();
}
