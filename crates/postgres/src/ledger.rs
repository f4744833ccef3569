//! The credit ledger port on PostgreSQL, plus the operator's grants and plan changes.
//! The debit itself runs inside the start's transaction (`credits::debit`).

use diesel_async::AsyncConnection;
use stickycalls_billing::{CreditAccount, LedgerView, PlanId};
use stickycalls_domain::credits::{Charge, CreditState, CreditSummary};
use stickycalls_domain::ports::CreditLedger;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::{StoreError, Timestamp};

use crate::credits;
use crate::errors::from_diesel;
use crate::pool::PgStore;
use crate::tenant_key::tenant_key;

/// The credit ledger on the store's database.
#[derive(Debug, Clone)]
pub struct PgLedger {
    store: PgStore,
    billing_enabled: bool,
}

impl PgLedger {
    /// A ledger; with `billing_enabled` false (operator switch) nothing is charged.
    pub fn new(store: PgStore, billing_enabled: bool) -> Self {
        Self {
            store,
            billing_enabled,
        }
    }

    /// Adds purchased credits to a tenant (operator action); they never expire.
    pub async fn grant_top_up(
        &self,
        tenant: &TenantId,
        credits: u64,
        now: Timestamp,
    ) -> Result<CreditAccount, StoreError> {
        let key = tenant_key(tenant);
        let mut conn = self.store.conn().await?;
        conn.transaction(async move |conn| {
            credits::top_up(conn, key, credits, "operator grant", now).await
        })
        .await
        .map_err(from_diesel)
    }

    /// Moves both environments of an account to `plan` (Enterprise takes a custom
    /// allowance).
    pub async fn set_plan(
        &self,
        tenant: &TenantId,
        plan: PlanId,
        allowance: u64,
        now: Timestamp,
    ) -> Result<CreditAccount, StoreError> {
        let key = tenant_key(tenant);
        let mut conn = self.store.conn().await?;
        conn.transaction(async move |conn| {
            credits::change_plan(conn, key, plan, allowance, now).await
        })
        .await
        .map_err(from_diesel)
    }

    async fn stored(&self, tenant: &TenantId) -> Result<Option<CreditAccount>, StoreError> {
        let mut conn = self.store.conn().await?;
        credits::load(&mut conn, tenant_key(tenant), false)
            .await
            .map_err(from_diesel)
    }

    fn view(&self) -> LedgerView {
        LedgerView {
            billing_enabled: self.billing_enabled,
        }
    }
}

impl CreditLedger for PgLedger {
    async fn start_charge(&self, _tenant: &TenantId) -> Result<Option<Charge>, StoreError> {
        Ok(self.view().start_charge())
    }

    async fn balance(&self, tenant: &TenantId, now: Timestamp) -> Result<CreditState, StoreError> {
        if !self.billing_enabled {
            return Ok(CreditState::Unlimited);
        }
        Ok(self.view().balance(self.stored(tenant).await?, now))
    }

    async fn summary(
        &self,
        tenant: &TenantId,
        now: Timestamp,
    ) -> Result<Option<CreditSummary>, StoreError> {
        Ok(self.view().summary(self.stored(tenant).await?, now))
    }
}
