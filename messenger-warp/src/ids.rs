//! Message ids and change numbers on the wire: the stores keep them as
//! signed 64-bit integers, so a larger number is refused as `invalid` at
//! the edge instead of wrapping around to a negative one (which read as
//! "from the start" and replayed a room's whole history).

use serde::de::{Deserialize, Deserializer, Error};

/// The largest id or change number a store can hold.
pub(crate) const MAX_STORE_ID: u64 = i64::MAX as u64;

fn check<E: Error>(v: u64) -> Result<u64, E> {
    if v > MAX_STORE_ID {
        return Err(E::custom(format!(
            "ids and change numbers are at most {MAX_STORE_ID}"
        )));
    }
    Ok(v)
}

/// `#[serde(deserialize_with = "crate::ids::store_id")]`
pub(crate) fn store_id<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    check(u64::deserialize(d)?)
}

/// `#[serde(default, deserialize_with = "crate::ids::opt_store_id")]`
pub(crate) fn opt_store_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Option::<u64>::deserialize(d)?.map(check).transpose()
}
