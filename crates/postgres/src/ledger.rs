//! Credits on PostgreSQL: the price of a start and the balance. The debit itself runs
//! inside the start's transaction (see `start.rs`).

use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use stickycalls_domain::credits::{Balance, Charge, CreditState, START_PRICE};
use stickycalls_domain::ports::CreditLedger;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::{StoreError, Timestamp};

use crate::errors::from_diesel;
use crate::pool::PgStore;
use crate::schema::credit_balances;
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

    /// Adds purchased credits to a tenant (operator action).
    pub async fn grant_top_up(&self, tenant: &TenantId, credits: u64) -> Result<(), StoreError> {
        let credits = i64::try_from(credits).map_err(|e| StoreError::Unknown(e.into()))?;
        let mut conn = self.store.conn().await?;
        diesel::insert_into(credit_balances::table)
            .values((
                credit_balances::tenant_id.eq(tenant_key(tenant)),
                credit_balances::allowance_left.eq(0),
                credit_balances::top_up.eq(credits),
            ))
            .on_conflict(credit_balances::tenant_id)
            .do_update()
            .set(
                credit_balances::top_up
                    .eq(credit_balances::top_up + excluded(credit_balances::top_up)),
            )
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(from_diesel)
    }
}

impl CreditLedger for PgLedger {
    async fn start_charge(&self, _tenant: &TenantId) -> Result<Option<Charge>, StoreError> {
        Ok(self.billing_enabled.then_some(Charge {
            credits: START_PRICE,
        }))
    }

    async fn balance(&self, tenant: &TenantId, _now: Timestamp) -> Result<CreditState, StoreError> {
        if !self.billing_enabled {
            return Ok(CreditState::Unlimited);
        }
        let mut conn = self.store.conn().await?;
        let row: Option<(i64, i64)> = credit_balances::table
            .filter(credit_balances::tenant_id.eq(tenant_key(tenant)))
            .select((credit_balances::allowance_left, credit_balances::top_up))
            .first(&mut conn)
            .await
            .optional()
            .map_err(from_diesel)?;
        let (allowance_left, top_up) = row.unwrap_or_default();
        Ok(CreditState::Metered(Balance {
            allowance_left: allowance_left.max(0) as u64,
            top_up: top_up.max(0) as u64,
        }))
    }
}
