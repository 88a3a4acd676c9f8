//! The command connection every part of this crate uses.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::error::RedisError;

/// How long a command (or connecting) may wait on Redis: a hung Redis must
/// not hold a post's answer, a join or a login for longer.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(1);

/// A connection that reconnects by itself (backing off up to a second)
/// whenever Redis goes away; every command gives up after [`TIMEOUT`].
pub(crate) async fn managed(client: &redis::Client) -> Result<ConnectionManager, RedisError> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(TIMEOUT))
        .set_response_timeout(Some(TIMEOUT))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_secs(1));
    Ok(client.get_connection_manager_with_config(config).await?)
}
