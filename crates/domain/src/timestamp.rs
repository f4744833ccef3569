//! Instants at millisecond precision, written as RFC 3339 UTC with a `Z` suffix.

use std::fmt;
use std::ops::{Add, Sub};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, UtcOffset};

/// A UTC instant truncated to the millisecond, so what is stored, returned and
/// replayed is always the same value (`2026-02-06T15:30:00.000Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Truncates to milliseconds and converts to UTC.
    pub fn new(at: OffsetDateTime) -> Self {
        let at = at.to_offset(UtcOffset::UTC);
        let millis = at.millisecond();
        let at = at
            .replace_millisecond(millis)
            .expect("a millisecond read from a valid instant is valid");
        Self(at)
    }

    /// Milliseconds since the Unix epoch.
    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        let nanos = i128::from(millis) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .map(Self)
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1_000_000) as i64
    }

    /// The underlying instant.
    pub fn get(self) -> OffsetDateTime {
        self.0
    }

    /// Parses RFC 3339 (any offset) and truncates to milliseconds.
    pub fn parse(text: &str) -> Result<Self, time::error::Parse> {
        OffsetDateTime::parse(text, &Rfc3339).map(Self::new)
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(at: OffsetDateTime) -> Self {
        Self::new(at)
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, rhs: Duration) -> Timestamp {
        Timestamp::new(self.0 + rhs)
    }
}

impl Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, rhs: Duration) -> Timestamp {
        Timestamp::new(self.0 - rhs)
    }
}

impl Sub for Timestamp {
    type Output = Duration;
    fn sub(self, rhs: Timestamp) -> Duration {
        self.0 - rhs.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let format = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        let text = self.0.format(&format).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_rfc3339_utc_millis_with_z() {
        let at = Timestamp::new(datetime!(2026-02-06 16:30:00.123456 +01:00));
        assert_eq!(at.to_string(), "2026-02-06T15:30:00.123Z");
    }

    #[test]
    fn round_trips_through_text_and_millis() {
        let at = Timestamp::parse("2026-02-06T15:30:00.000Z").unwrap();
        assert_eq!(at.to_string(), "2026-02-06T15:30:00.000Z");
        assert_eq!(Timestamp::from_unix_millis(at.unix_millis()), Some(at));
    }
}
