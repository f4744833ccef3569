//! Rows written before encryption: what the background migration finds still in clear,
//! and how it puts each row's sealed form in place without losing a write made since.

use std::future::Future;

use crate::calls::CallRecord;
use crate::error::StoreError;
use crate::identity::CustomerRef;
use crate::tenant::TenantId;

/// A variable whose value (and source) were stored in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsealedVariable {
    /// Whose it is.
    pub customer: CustomerRef,
    /// Its key.
    pub key: String,
    /// Its value, in clear.
    pub value: String,
    /// Its source, in clear.
    pub source: Option<String>,
}

/// A variable's sealed value and source, to store if its value is still `was`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedVariable {
    /// Whose it is.
    pub customer: CustomerRef,
    /// Its key.
    pub key: String,
    /// The value in clear that was read (compare-and-set: an end that replaced it since
    /// wrote a sealed value, which stays).
    pub was: String,
    /// The sealed value.
    pub value: String,
    /// The sealed source.
    pub source: Option<String>,
}

/// What the migration of rows written before encryption reads and writes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait UnsealedStore: Send + Sync + 'static {
    /// Up to `limit` of the tenant's variables whose value is in clear (does not start
    /// with `sc1.`), in customer and key order.
    fn unsealed_variables(
        &self, tenant: &TenantId, limit: usize,
    ) -> impl Future<Output = Result<Vec<UnsealedVariable>, StoreError>> + Send;

    /// Stores each sealed variable whose value is still its `was`, in one transaction;
    /// how many were replaced.
    fn seal_variables(
        &self, tenant: &TenantId, sealed: Vec<SealedVariable>,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// Up to `limit` of the tenant's calls whose number, dialled number or an external
    /// id is stored in clear (not as a `bi1.` index), in call id order.
    fn unsealed_calls(
        &self, tenant: &TenantId, limit: usize,
    ) -> impl Future<Output = Result<Vec<CallRecord>, StoreError>> + Send;

    /// Stores each call's indexed hints and sealed copy (`now`) where its stored hints
    /// are still those read (`was`), in one transaction; how many were replaced.
    fn seal_calls(
        &self, tenant: &TenantId, sealed: Vec<SealedCall>,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
}

/// A call's hints as read in clear and as they are to be stored.
#[derive(Debug, Clone)]
pub struct SealedCall {
    /// The call as read.
    pub was: CallRecord,
    /// The call with its hints indexed and `sealed_hints` set.
    pub now: CallRecord,
}
