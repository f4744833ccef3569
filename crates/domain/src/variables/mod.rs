//! Variables: what the contact center saves about a customer, each with a TTL.

mod parse;
mod sensitive;

use std::collections::BTreeMap;

use time::Duration;

pub use parse::parse_variables;
pub use sensitive::looks_like_card_number;

use crate::error::{Issue, RefusalKind, ValidationError};
use crate::timestamp::Timestamp;

/// Most live variables one customer may hold.
pub const MAX_LIVE_PER_CUSTOMER: usize = 100;
/// Longest key, in characters.
pub const MAX_KEY_LEN: usize = 128;
/// Longest value, in characters.
pub const MAX_VALUE_LEN: usize = 1024;
/// Longest `source`, in characters.
pub const MAX_SOURCE_LEN: usize = 128;

/// A variable's time to live: 60 s to 90 days, 30 days by default.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ttl(u32);

/// `Ttl(30d)`, `Ttl(1h30m)`: days, hours, minutes and seconds, as `time` writes them.
impl std::fmt::Debug for Ttl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ttl({})", time::Duration::seconds(i64::from(self.0)))
    }
}

impl Ttl {
    /// Shortest TTL, seconds.
    pub const MIN_SECONDS: u32 = 60;
    /// Longest TTL, seconds (90 days).
    pub const MAX_SECONDS: u32 = 90 * 86_400;
    /// TTL when none is given (30 days).
    pub const DEFAULT: Ttl = Ttl(30 * 86_400);

    /// Validates a TTL in seconds.
    pub fn from_seconds(seconds: u64) -> Option<Ttl> {
        let seconds = u32::try_from(seconds).ok()?;
        (Self::MIN_SECONDS..=Self::MAX_SECONDS)
            .contains(&seconds)
            .then_some(Ttl(seconds))
    }

    /// Seconds.
    pub fn seconds(self) -> u32 {
        self.0
    }

    /// When a variable written at `at` expires.
    pub fn expires_at(self, at: Timestamp) -> Timestamp {
        at + Duration::seconds(i64::from(self.0))
    }
}

/// A variable as stored and returned. `Debug` shows the value's size only.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredVariable {
    /// Its value, as text.
    pub value: String,
    /// Who wrote it (free text, optional).
    pub source: Option<String>,
    /// The TTL it was written with.
    pub ttl: Ttl,
    /// When it stops being returned.
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for StoredVariable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredVariable")
            .field("value", &crate::redact::Redacted(&self.value))
            .field("source", &crate::redact::opt(&self.source))
            .field("ttl", &self.ttl)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl StoredVariable {
    /// Whether it is still returned at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.expires_at > now
    }
}

/// A change to one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariableWrite {
    /// Create or replace it.
    Set {
        /// The key.
        key: String,
        /// Value, TTL and expiry.
        variable: StoredVariable,
    },
    /// Remove it (`null` in a request).
    Delete {
        /// The key.
        key: String,
    },
}

impl VariableWrite {
    /// The key written.
    pub fn key(&self) -> &str {
        match self {
            VariableWrite::Set { key, .. } | VariableWrite::Delete { key } => key,
        }
    }
}

/// The variables visible at `now`: expired ones are never returned.
pub fn live_at(
    variables: BTreeMap<String, StoredVariable>, now: Timestamp,
) -> BTreeMap<String, StoredVariable> {
    variables
        .into_iter()
        .filter(|(_, v)| v.is_live(now))
        .collect()
}

/// Refuses `writes` whole if, applied to a customer whose live keys are `live_keys`,
/// they would leave more than [`MAX_LIVE_PER_CUSTOMER`] live variables. The first key
/// past the limit is named.
pub fn check_live_limit<'a>(
    live_keys: impl IntoIterator<Item = &'a str>, writes: &[VariableWrite],
) -> Result<(), ValidationError> {
    let mut keys: std::collections::BTreeSet<&str> = live_keys.into_iter().collect();
    let mut first_over = None;
    for write in writes {
        match write {
            VariableWrite::Delete { key } => {
                keys.remove(key.as_str());
            }
            VariableWrite::Set { key, .. } => {
                keys.insert(key);
                if keys.len() > MAX_LIVE_PER_CUSTOMER && first_over.is_none() {
                    first_over = Some(key.as_str());
                }
            }
        }
    }
    match first_over {
        Some(key) if keys.len() > MAX_LIVE_PER_CUSTOMER => Err(ValidationError::single(
            RefusalKind::InvalidRequest,
            Issue::at_segments(
                &["variables", key],
                format!("a customer holds at most {MAX_LIVE_PER_CUSTOMER} live variables"),
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
