//! What connecting can fail with.

/// Why [`RedisBroadcast::connect`](crate::RedisBroadcast::connect) failed.
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    /// The URL is wrong or Redis refused.
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
}
