//! Calls, customers, their links, intents and variables, per tenant: the start's and the
//! end's reads and commits.

use crate::calls::commit::{
    CommitEndError, CommitStartError, EndCommit, EndReceipt, EndSnapshot, StartCommit,
    StartReceipt, StartSnapshot,
};
use crate::customers::CustomerContext;
use crate::intents::IntentName;
use std::future::Future;

use crate::calls::{CallId, CallRecord};
use crate::error::StoreError;
use crate::identity::{CustomerRef, Evidence, IdentityHints};
use crate::tenant::TenantId;
use crate::timestamp::Timestamp;

/// Calls, customers, their links, intents and variables, per tenant.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock(type StartTx = ();))]
pub trait CallStore: Send + Sync + 'static {
    /// What a start holds between its read and its commit. On PostgreSQL: the
    /// connection (the writes open the transaction they commit in). Dropped without a
    /// commit, whatever it began rolls back.
    type StartTx: Send + 'static;

    /// The call under `call_id`, if any, and the evidence for `hints`, in as few round
    /// trips as the store can manage (this is the hot path of every call); with what
    /// [`CallStore::commit_start`] continues from.
    fn load_start(
        &self, tenant: &TenantId, call_id: &CallId, hints: &IdentityHints,
    ) -> impl Future<Output = Result<(StartSnapshot, Self::StartTx), StoreError>> + Send;

    /// The call under `call_id`, if any.
    fn find_call(
        &self, tenant: &TenantId, call_id: &CallId,
    ) -> impl Future<Output = Result<Option<CallRecord>, StoreError>> + Send;

    /// An end's read: the call under `call_id`, if any, and, when the store can read
    /// it in the same go, the customer the end will write to (`customer`, else the
    /// call's) as it is at `at` with its intent `intent` ([`EndSnapshot`]). A store
    /// that does not decide ends on what it read answers the call only (this default).
    fn load_end(
        &self, tenant: &TenantId, call_id: &CallId, customer: Option<CustomerRef>,
        intent: Option<IntentName>, at: Timestamp,
    ) -> impl Future<Output = Result<EndSnapshot, StoreError>> + Send {
        let _ = (customer, intent, at);
        async move {
            Ok(EndSnapshot {
                call: self.find_call(tenant, call_id).await?,
                customer: None,
            })
        }
    }

    /// The evidence for `hints` (customers on the ANI, external id matches, the named
    /// customer, their activity).
    fn gather_evidence(
        &self, tenant: &TenantId, hints: &IdentityHints,
    ) -> impl Future<Output = Result<Evidence, StoreError>> + Send;

    /// A customer's open intents and variables live at `now` (empty if unknown).
    fn customer_context(
        &self, tenant: &TenantId, customer: &CustomerRef, now: Timestamp,
    ) -> impl Future<Output = Result<CustomerContext, StoreError>> + Send;

    /// Applies a start's writes atomically, continuing from `load_start`'s `tx`.
    fn commit_start(
        &self, tenant: &TenantId, tx: Self::StartTx, commit: StartCommit,
    ) -> impl Future<Output = Result<StartReceipt, CommitStartError>> + Send;

    /// Applies an end's writes atomically.
    fn commit_end(
        &self, tenant: &TenantId, commit: EndCommit,
    ) -> impl Future<Output = Result<EndReceipt, CommitEndError>> + Send;
}
