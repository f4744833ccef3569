//! Customers as their tenant manages them.

use std::future::Future;

use crate::customers::{CustomerLookup, CustomerRecord};
use crate::error::{StoreError, ValidationError};
use crate::identity::CustomerRef;
use crate::retention::Erasure;
use crate::tenant::TenantId;
use crate::timestamp::Timestamp;
use crate::variables::VariableWrite;

/// Why a variable write wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum WriteVariablesError {
    /// No such customer in the tenant.
    #[error("customer not found")]
    CustomerNotFound,
    /// The writes would break the live-variable limit.
    #[error(transparent)]
    Refused(#[from] ValidationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Customers as their tenant manages them: search, read, export, direct variable writes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait CustomerStore: Send + Sync + 'static {
    /// Everything held on each of `customers` that the tenant has, in the order asked
    /// (unknown ones are left out), read as one consistent snapshot.
    fn customer_records(
        &self, tenant: &TenantId, customers: &[CustomerRef],
    ) -> impl Future<Output = Result<Vec<CustomerRecord>, StoreError>> + Send;

    /// The tenant's customers linked to a phone number or an external id, most
    /// recently linked first, at most `limit`.
    fn find_customers(
        &self, tenant: &TenantId, lookup: &CustomerLookup, limit: usize,
    ) -> impl Future<Output = Result<Vec<CustomerRef>, StoreError>> + Send;

    /// Applies variable writes to an existing customer atomically, re-checking the
    /// live-variable limit under the customer's lock (as an end does). Returned:
    /// how many rows changed (a delete of nothing changes 0).
    fn write_variables(
        &self, tenant: &TenantId, customer: &CustomerRef, writes: Vec<VariableWrite>, at: Timestamp,
    ) -> impl Future<Output = Result<usize, WriteVariablesError>> + Send;

    /// Erases a customer and everything held on them (links, calls, intents,
    /// variables, stored idempotent responses and webhook events about them)
    /// atomically, and writes the `customer.erased` event
    /// ([`Event::customer_erased`](crate::webhooks::Event::customer_erased)) in the same
    /// transaction. A retention erasure first locks the customer and erases only if it
    /// is still idle ([`Erasure::only_if_idle`]). `false` when nothing was erased (no
    /// such customer, or no longer idle).
    fn erase_customer(
        &self, tenant: &TenantId, customer: &CustomerRef, erasure: Erasure,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
