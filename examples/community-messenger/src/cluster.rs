//! What nodes share live, on Redis: room and user events, session
//! revocations, presence and every limit. Built with the `cluster`
//! feature only; without it, `--redis-url` and `--database-url` say how
//! to get it.

use messenger_core::MessengerBuilder;

/// Why a cluster setting is refused by a binary built without them.
#[cfg(not(feature = "cluster"))]
pub const LEFT_OUT: &str = "this binary was built without PostgreSQL and Redis: \
build it with `cargo build --release -p community-messenger --features cluster` \
(docs/operations.md, \"Several nodes\")";

/// `builder` with every live seam on the Redis at `url`.
#[cfg(feature = "cluster")]
pub async fn shared_live_state(
    builder: MessengerBuilder,
    url: &str,
) -> anyhow::Result<MessengerBuilder> {
    use std::sync::Arc;

    use anyhow::Context;

    let events = messenger_redis::RedisBroadcast::connect(url)
        .await
        .context("connecting to Redis (--redis-url)")?;
    let events = Arc::new(events);
    let presence = messenger_redis::RedisPresence::connect(url, events.clone())
        .await
        .context("connecting to Redis (--redis-url)")?;
    let failures = messenger_redis::RedisFailures::connect(url)
        .await
        .context("connecting to Redis (--redis-url)")?;
    let rates = messenger_redis::RedisRates::connect(url)
        .await
        .context("connecting to Redis (--redis-url)")?;
    let holds = messenger_redis::RedisHolds::connect(url)
        .await
        .context("connecting to Redis (--redis-url)")?;
    Ok(builder
        .broadcast(events)
        .presence(Arc::new(presence))
        .failures(Arc::new(failures))
        .rates(Arc::new(rates))
        .holds(Arc::new(holds)))
}

/// Refused: see [`LEFT_OUT`].
#[cfg(not(feature = "cluster"))]
pub async fn shared_live_state(
    _builder: MessengerBuilder,
    _url: &str,
) -> anyhow::Result<MessengerBuilder> {
    anyhow::bail!(LEFT_OUT)
}
