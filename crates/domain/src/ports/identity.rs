//! A tenant's identity settings and its judged calls.

use std::future::Future;

use crate::error::StoreError;
use crate::identity::{IdentitySettings, JudgedCalls};
use crate::tenant::TenantId;
use crate::timestamp::Timestamp;

/// A tenant's identity settings, and what its ends said about its starts.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdentityStore: Send + Sync + 'static {
    /// The tenant's settings, if it ever saved any.
    fn identity_settings(
        &self, tenant: &TenantId,
    ) -> impl Future<Output = Result<Option<IdentitySettings>, StoreError>> + Send;

    /// Replaces the tenant's settings.
    fn save_identity_settings(
        &self, tenant: &TenantId, settings: &IdentitySettings, at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The tenant's calls started at or after `from` and before `to` (no end: up to
    /// now), standalone ends excluded, counted by start confidence, start sources and
    /// end verdict.
    fn judged_calls(
        &self, tenant: &TenantId, from: Timestamp, to: Option<Timestamp>,
    ) -> impl Future<Output = Result<Vec<JudgedCalls>, StoreError>> + Send;
}
