//! The credit ledger.

use std::future::Future;

use crate::credits::{
    Charge, CreditAccount, CreditChange, CreditState, CreditSummary, SharedPolicy,
};
use crate::error::StoreError;
use crate::tenant::TenantId;
use crate::timestamp::Timestamp;

/// How a credit update is decided: the stored state (`None` for a tenant without one)
/// in, the new state and its ledger lines out. Any such closure is one; stores name it
/// in their `update_credits`.
pub trait CreditDecision: FnOnce(Option<CreditAccount>) -> CreditChange + Send + 'static {}

impl<F> CreditDecision for F where F: FnOnce(Option<CreditAccount>) -> CreditChange + Send + 'static {}

/// The credit ledger: each tenant's stored credit state and its ledger lines. The rules
/// are the domain's ([`CreditAccount`], under the [`BillingPolicy`](crate::credits::BillingPolicy)); a store reads the
/// state and applies a [`CreditChange`] atomically. A start's debit travels in
/// [`StartCommit::charge`], so money and the call it pays for commit together.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait CreditLedger: Send + Sync + 'static {
    /// The billing policy the ledger's state is read under.
    fn policy(&self) -> SharedPolicy;

    /// The tenant's stored credit state, `None` for a tenant without one.
    fn credit_account(
        &self, tenant: &TenantId,
    ) -> impl Future<Output = Result<Option<CreditAccount>, StoreError>> + Send;

    /// Reads the tenant's credit state under its lock, hands it to `decide`, and writes
    /// the decided state and ledger lines in the same transaction. Returns the new state.
    fn update_credits<D>(
        &self, tenant: &TenantId, decide: D,
    ) -> impl Future<Output = Result<CreditAccount, StoreError>> + Send
    where
        D: FnOnce(Option<CreditAccount>) -> CreditChange + Send + 'static;

    /// The charge for one billable start, or `None` when billing is off (operator
    /// switch). Answered without a round trip.
    fn start_charge(
        &self, _tenant: &TenantId,
    ) -> impl Future<Output = Result<Option<Charge>, StoreError>> + Send {
        let charge = self.policy().start_charge();
        async move { Ok(charge) }
    }

    /// The tenant's credits at `now` (allowance for the current period, top-ups).
    fn balance(
        &self, tenant: &TenantId, now: Timestamp,
    ) -> impl Future<Output = Result<CreditState, StoreError>> + Send {
        async move {
            let policy = self.policy();
            if policy.start_charge().is_none() {
                return Ok(CreditState::Unlimited);
            }
            let stored = self.credit_account(tenant).await?;
            Ok(CreditState::of(stored.as_ref(), policy.as_ref(), now))
        }
    }

    /// Plan, period and balance at `now`; `None` for a tenant without credits.
    fn summary(
        &self, tenant: &TenantId, now: Timestamp,
    ) -> impl Future<Output = Result<Option<CreditSummary>, StoreError>> + Send {
        async move {
            let stored = self.credit_account(tenant).await?;
            let policy = self.policy();
            Ok(stored.map(|a| CreditSummary::of(&a, policy.as_ref(), now)))
        }
    }
}
