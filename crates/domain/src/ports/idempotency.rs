//! Stored responses of requests sent with an `Idempotency-Key`.

use std::future::Future;

use crate::error::StoreError;
use crate::idempotency::claim::{ClaimCutoffs, KeyClaim, StoredResponse};
use crate::tenant::TenantId;
use crate::timestamp::Timestamp;

/// Stored responses of requests sent with an `Idempotency-Key` (shared by every
/// server process, so a retry may land on any of them).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Claims `key` for a request whose fingerprint is `fingerprint` (route and body),
    /// or returns the record that holds it (the domain judges it:
    /// [`KeyClaim::judge`]). A key created before `cutoffs.expired_before` is
    /// forgotten, and one still without a response created before
    /// `cutoffs.abandoned_before` is given up (its request crashed): either is claimed
    /// afresh, atomically.
    fn claim(
        &self, tenant: &TenantId, key: &str, fingerprint: &str, now: Timestamp,
        cutoffs: ClaimCutoffs,
    ) -> impl Future<Output = Result<KeyClaim, StoreError>> + Send;

    /// Stores the response of a claimed key, atomically with the existence of its
    /// customer ([`StoredResponse::customer`]): about someone erased meanwhile, the
    /// claim is dropped instead.
    fn complete(
        &self, tenant: &TenantId, key: &str, response: StoredResponse,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Releases a claimed key without a response (the request failed on our side), so a
    /// retry can run.
    fn release(
        &self, tenant: &TenantId, key: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
