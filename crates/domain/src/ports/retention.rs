//! A tenant's retention settings and the deletions that enforce them.

use std::future::Future;

use crate::error::StoreError;
use crate::identity::CustomerRef;
use crate::retention::{Idle, RetentionSettings};
use crate::tenant::TenantId;
use crate::timestamp::Timestamp;

/// Retention settings, and the bounded deletions the periodic enforcement asks for.
/// Each deletion is one short transaction of at most `limit` rows; the enforcement
/// repeats it until fewer come back.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait RetentionStore: Send + Sync + 'static {
    /// The tenant's settings, if it ever saved any.
    fn retention_settings(
        &self, tenant: &TenantId,
    ) -> impl Future<Output = Result<Option<RetentionSettings>, StoreError>> + Send;

    /// Replaces the tenant's settings.
    fn save_retention_settings(
        &self, tenant: &TenantId, settings: RetentionSettings, at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every tenant's saved settings (tenants without are at the defaults).
    fn all_retention_settings(
        &self,
    ) -> impl Future<Output = Result<Vec<(TenantId, RetentionSettings)>, StoreError>> + Send;

    /// Deletes up to `limit` of the tenant's calls started before `before`; how many.
    fn delete_calls_started_before(
        &self, tenant: &TenantId, before: Timestamp, limit: usize,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// Up to `limit` of the tenant's customers idle as `idle` says, in reference order.
    fn idle_customers(
        &self, tenant: &TenantId, idle: Idle, limit: usize,
    ) -> impl Future<Output = Result<Vec<CustomerRef>, StoreError>> + Send;

    /// Deletes up to `limit` of the tenant's customers with everything held on them
    /// (links, calls, intents, variables, stored responses and webhook events about
    /// them); how many customers.
    fn delete_customers(
        &self, tenant: &TenantId, limit: usize,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// Deletes what remains of the tenant once its customers are gone, in one
    /// transaction: webhook endpoints, events and deliveries, stored responses, identity
    /// and retention settings, credit balances. The credit ledger stays. How many rows.
    fn delete_tenant_remains(
        &self, tenant: &TenantId,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// Deletes up to `limit` webhook events (any tenant) written before `before` with no
    /// delivery still pending, with their delivery records; how many.
    fn delete_settled_webhook_events(
        &self, before: Timestamp, limit: usize,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
}
