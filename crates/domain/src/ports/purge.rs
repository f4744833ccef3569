//! Deleting what has expired.

use std::future::Future;

use crate::accounts::Purged;
use crate::error::StoreError;
use crate::timestamp::Timestamp;

/// Deleting what has expired (the operator's periodic purge).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Purge: Send + Sync + 'static {
    /// Deletes, in every tenant, what [`PurgeCutoffs`] says has expired.
    fn purge_expired(
        &self, cutoffs: PurgeCutoffs,
    ) -> impl Future<Output = Result<Purged, StoreError>> + Send;
}

/// What the periodic purge deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeCutoffs {
    /// Variables whose expiry is at or before this.
    pub variables_expired_at: Timestamp,
    /// Intents last seen at or before this.
    pub intents_seen_before: Timestamp,
    /// `Idempotency-Key` records (and the responses they keep) created before this.
    pub responses_created_before: Timestamp,
    /// Console sessions last seen at or before this (idle too long)...
    pub sessions_seen_before: Timestamp,
    /// ...or signed in at or before this (too old), or whose key is revoked.
    pub sessions_created_before: Timestamp,
}
