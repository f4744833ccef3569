//! Closing an account (`DELETE /v1/account`): a typed confirmation, then the account is
//! marked closed and every key revoked in one step, and both environments' data deleted
//! in bounded batches. A closure cut short (a crash, a lost database) is finished by the
//! periodic enforcement, which deletes the data of every closed account it finds.

use crate::error::{StoreError, ValidationError};
use crate::ports::{AccountStore, Clock, RetentionStore, SharedVault};
use crate::protection::Sealer;
use crate::tenant::{AccountId, Environment, TenantId};
use crate::timestamp::Timestamp;

use super::{BATCH, drain};

/// Why an account was not closed.
#[derive(Debug, thiserror::Error)]
pub enum ClosureError {
    /// Only a prod key may close an account (a test key's holder may not delete prod data).
    #[error("only a prod key may close the account")]
    ProdKeyNeeded,
    /// The confirmation is not the account's id.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// No such account, or closed already.
    #[error("account not found")]
    NotFound,
    /// The store failed (what was deleted stays deleted; the enforcement finishes it).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a closure did: its receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// The account.
    pub account: AccountId,
    /// When.
    pub closed_at: Timestamp,
    /// Keys revoked (their lookup ids, for the key caches).
    pub revoked_keys: Vec<String>,
    /// Customers deleted, both environments.
    pub customers: usize,
    /// Other rows deleted (endpoints, events, settings, balances...).
    pub other_rows: usize,
}

/// The tenant's data, deleted in batches: its customers, then the rest; how many
/// customers and other rows.
pub(super) async fn wipe<S: RetentionStore>(
    store: &S, tenant: &TenantId,
) -> Result<(usize, usize), StoreError> {
    let customers = drain(|| store.delete_customers(tenant, BATCH)).await?;
    let rest = store.delete_tenant_remains(tenant).await?;
    Ok((customers, rest))
}

/// The closure use case, generic over its store and clock.
#[derive(Debug, Clone)]
pub struct ClosureService<S, C> {
    store: S,
    clock: C,
    sealer: Sealer,
}

impl<S: AccountStore + RetentionStore, C: Clock> ClosureService<S, C> {
    /// Wires the service; keys are destroyed through `vault`.
    pub fn new(store: S, clock: C, vault: SharedVault) -> Self {
        Self {
            store,
            clock,
            sealer: Sealer::new(vault),
        }
    }

    /// Closes the account `caller` belongs to, if `confirm` is its id typed out.
    pub async fn close(&self, caller: &TenantId, confirm: &str) -> Result<Closed, ClosureError> {
        if caller.environment != Environment::Prod {
            return Err(ClosureError::ProdKeyNeeded);
        }
        if confirm.trim() != caller.account.to_string() {
            return Err(ValidationError::invalid(
                "confirm",
                "type the account's id (GET /v1/account answers it) to close the account",
            )
            .into());
        }
        let closed_at = self.clock.now();
        let revoked_keys = self
            .store
            .close_account(caller.account, closed_at)
            .await?
            .ok_or(ClosureError::NotFound)?;
        let mut closed = Closed {
            account: caller.account,
            closed_at,
            revoked_keys,
            customers: 0,
            other_rows: 0,
        };
        for tenant in TenantId::both(caller.account) {
            // The keys go first: from here on no copy of the tenant's rows, in the store
            // or in a backup, can be read.
            self.sealer.shred_tenant(&tenant).await?;
            let (customers, rest) = wipe(&self.store, &tenant).await?;
            closed.customers += customers;
            closed.other_rows += rest;
        }
        Ok(closed)
    }
}
