//! Time: an injectable clock, and the wire format of timestamps.

use std::time::Duration;

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

/// Where the service reads the time from. Tests swap in a manual clock to
/// exercise expiry.
pub trait Clock: Send + Sync + 'static {
    /// The current time, truncated to milliseconds so it survives every store.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(3)
    }
}

/// Serde for RFC 3339 UTC timestamps with milliseconds, e.g. `2026-11-24T09:30:00.123Z`.
pub mod rfc3339 {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::Serializer;

    /// Serializes `t`.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

/// Serde for optional RFC 3339 timestamps (`null` when absent).
pub mod rfc3339_opt {
    use chrono::{DateTime, Utc};
    use serde::Serializer;

    /// Serializes `t`.
    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::rfc3339::serialize(t, s),
            None => s.serialize_none(),
        }
    }
}

/// `t` as an RFC 3339 UTC string with milliseconds, as on the wire.
pub fn rfc3339_string(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}
