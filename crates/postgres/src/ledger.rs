//! The credit ledger port on PostgreSQL. The debit itself runs inside the start's
//! transaction (`credits::debit`); grants and plan changes go through
//! `update_credits`, whose decision is the domain's.

use diesel_async::AsyncConnection;
use stickycalls_domain::StoreError;
use stickycalls_domain::credits::{CreditAccount, SharedPolicy};
use stickycalls_domain::ports::{CreditDecision, CreditLedger};
use stickycalls_domain::tenant::TenantId;

use crate::credits;
use crate::errors::from_diesel;
use crate::pool::PgStore;
use crate::tenant_key::tenant_key;

/// The credit ledger on the store's database.
#[derive(Debug, Clone)]
pub struct PgLedger {
    store: PgStore,
}

impl PgLedger {
    /// The ledger of `store`, under the store's billing policy.
    pub fn new(store: PgStore) -> Self {
        Self { store }
    }
}

impl CreditLedger for PgLedger {
    fn policy(&self) -> SharedPolicy {
        self.store.policy.clone()
    }

    async fn credit_account(&self, tenant: &TenantId) -> Result<Option<CreditAccount>, StoreError> {
        let conn = self.store.conn().await?;
        credits::gathered(&conn, tenant_key(tenant))
            .await
            .map_err(from_diesel)
    }

    async fn update_credits<D: CreditDecision>(
        &self, tenant: &TenantId, decide: D,
    ) -> Result<CreditAccount, StoreError> {
        let key = tenant_key(tenant);
        let mut conn = self.store.conn().await?;
        conn.transaction(async move |conn| credits::update(conn, key, decide).await)
            .await
            .map_err(from_diesel)
    }
}
