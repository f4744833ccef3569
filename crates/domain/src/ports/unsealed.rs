//! Rows written before encryption: what the background migration finds still in clear,
//! and how it puts each row's sealed form in place without losing a write made since.

use std::future::Future;

use crate::calls::CallRecord;
use crate::error::StoreError;
use crate::identity::{CustomerRef, IdentityHints};
use crate::ports::KeyFuture;
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

/// What the migration of rows written before encryption reads and writes. Variables
/// and calls are sealed row by row; a link's value is its key, so a link moves to its
/// index instead (lookups move the links they would have found before comparing
/// indexes, the background migration moves the rest).
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

    /// Up to `limit` of the tenant's links whose value is in clear (not a `bi1.`
    /// index): numbers first, then external ids, each in key order.
    fn links_in_clear(
        &self, tenant: &TenantId, limit: usize,
    ) -> impl Future<Output = Result<Vec<ClearLink>, StoreError>> + Send;

    /// The tenant's links, in clear, to the number or an external id of `hints` (values
    /// in clear): what a lookup by them would have found before encryption.
    fn clear_links_to(
        &self, tenant: &TenantId, hints: &IdentityHints,
    ) -> impl Future<Output = Result<Vec<ClearLink>, StoreError>> + Send;

    /// Moves each link still at `from` to `to`, in one transaction; how many moved. When
    /// the customer is already linked at `to` (a write made by index since), the two rows
    /// become one: the earliest `linked_at` and first confirmation, the rest as the
    /// row at `to` has it.
    fn move_links(
        &self, tenant: &TenantId, moves: Vec<MovedLink>,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// Replaces each link's sealed copy by `sealed` where the link is still at `index`
    /// with the copy `was` (compare-and-set: a link moved or re-linked since keeps what
    /// it has), in one transaction; how many were replaced. A data key rotation re-seals
    /// the copies with it.
    fn reseal_links(
        &self, tenant: &TenantId, links: Vec<ResealedLink>,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
}

/// A link's sealed copy re-sealed under another key of its customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResealedLink {
    /// Whose link it is.
    pub customer: CustomerRef,
    /// A number or an external id.
    pub of: LinkOf,
    /// The value the row holds (its blind index).
    pub index: String,
    /// The sealed copy read.
    pub was: String,
    /// The copy to store.
    pub sealed: String,
}

/// A call's hints as read in clear and as they are to be stored.
#[derive(Debug, Clone)]
pub struct SealedCall {
    /// The call as read.
    pub was: CallRecord,
    /// The call with its hints indexed and `sealed_hints` set.
    pub now: CallRecord,
}

/// What a customer's link holds: a number, or an external id of a namespace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkOf {
    /// A phone number (`customer_phones.e164`).
    Phone,
    /// An external id of this namespace (`customer_external_ids.value`).
    External(String),
}

/// A customer's link whose value is stored in clear, as a version before encryption
/// stored it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClearLink {
    /// Whose link it is.
    pub customer: CustomerRef,
    /// A number or an external id.
    pub of: LinkOf,
    /// The value in clear (an E.164 number, or the id without its namespace).
    pub value: String,
}

/// A link's row moved from the value `from` to the value `to` (its blind index), with
/// the sealed copy `to` stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedLink {
    /// Whose link it is.
    pub customer: CustomerRef,
    /// A number or an external id.
    pub of: LinkOf,
    /// The value the row holds now.
    pub from: String,
    /// The value it is to hold.
    pub to: String,
    /// The sealed copy stored beside `to` (`None` only where `to` is a value in clear).
    pub sealed: Option<String>,
}

/// Moves a lookup's links in clear to their indexes before the lookup compares
/// indexes (object-safe, so the services hold it without a type parameter).
pub trait LinkTouch: Send + Sync + 'static {
    /// Moves the tenant's links in clear to the number and external ids of `hints`
    /// (values in clear) to their indexes; nothing once no link in clear remains.
    fn touch<'a>(&'a self, tenant: &'a TenantId, hints: &'a IdentityHints) -> KeyFuture<'a, ()>;
}
