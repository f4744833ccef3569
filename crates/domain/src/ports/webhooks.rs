//! Webhook endpoints and deliveries, and name resolution for their URLs.

use std::future::Future;

use crate::error::StoreError;
use crate::secret::Secret;
use crate::tenant::TenantId;
use crate::timestamp::Timestamp;
use crate::webhooks::{Attempt, DeliveryInfo, DueDelivery, Endpoint};

/// Webhook endpoints, and the outbox's deliveries. Events themselves are written by the
/// stores inside the commits of the changes they report ([`crate::webhooks::Event`]).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait WebhookStore: Send + Sync + 'static {
    /// Registers an endpoint with its signing secret.
    fn add_endpoint(
        &self, endpoint: Endpoint, secret: Secret,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The tenant's endpoints, oldest first.
    fn endpoints(
        &self, tenant: &TenantId,
    ) -> impl Future<Output = Result<Vec<Endpoint>, StoreError>> + Send;

    /// Deletes an endpoint and its deliveries; `false` when the tenant has no such one.
    fn remove_endpoint(
        &self, tenant: &TenantId, id: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Replaces the endpoint's secret; the one it replaces still signs until
    /// `previous_until`. `false` when the tenant has no such endpoint.
    fn rotate_secret(
        &self, tenant: &TenantId, id: &str, secret: Secret, previous_until: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The endpoint's latest deliveries, newest first, at most `limit`.
    fn deliveries(
        &self, tenant: &TenantId, id: &str, limit: usize,
    ) -> impl Future<Output = Result<Vec<DeliveryInfo>, StoreError>> + Send;

    /// Claims up to `limit` deliveries due at `now` (pending, next attempt at or before
    /// `now`, endpoint enabled), oldest first, in every tenant: each is leased until
    /// `lease_until` so that no other worker, in this process or another, claims it
    /// meanwhile (`FOR UPDATE SKIP LOCKED` where the database has it).
    fn claim_due(
        &self, now: Timestamp, lease_until: Timestamp, limit: usize,
    ) -> impl Future<Output = Result<Vec<DueDelivery>, StoreError>> + Send;

    /// Records an attempt and its outcome; a [`crate::webhooks::Outcome::Gone`] disables
    /// the endpoint and cancels its pending deliveries.
    fn record_attempt(
        &self, attempt: Attempt,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Name resolution for webhook URLs (checked before an endpoint is registered).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait HostResolver: Send + Sync + 'static {
    /// The addresses `host` resolves to (empty when it does not).
    fn resolve(&self, host: &str, port: u16) -> impl Future<Output = Vec<std::net::IpAddr>> + Send;
}
