//! `CallStore` for PostgreSQL: each port method takes a pooled connection and hands it
//! to the module that owns the SQL.

use stickycalls_domain::accounts::Purged;
use stickycalls_domain::calls::{CallId, CallRecord};
use stickycalls_domain::identity::{CustomerRef, Evidence, IdentityHints};
use stickycalls_domain::intents::IntentName;
use stickycalls_domain::ports::PurgeCutoffs;
use stickycalls_domain::ports::{
    CallStore, CommitEndError, CommitStartError, CustomerContext, EndCommit, EndReceipt,
    EndSnapshot, Purge, StartCommit, StartReceipt, StartSnapshot,
};
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::{StoreError, Timestamp};

use crate::errors::from_diesel;
use crate::pool::PgStore;
use crate::tenant_key::tenant_key;
use crate::tx::StartTx;
use crate::{context, end, end_read, evidence, start};

impl CallStore for PgStore {
    type StartTx = StartTx;

    /// One statement: whether the call id is taken, the evidence and (billing on) the
    /// credits (a retry reads its stored call with a second). The connection stays with the start until its
    /// writes, which open a transaction when they are more than one statement.
    async fn load_start(
        &self, tenant: &TenantId, call_id: &CallId, hints: &IdentityHints,
    ) -> Result<(StartSnapshot, StartTx), StoreError> {
        let key = tenant_key(tenant);
        let mut tx = StartTx::new(self.conn().await?);
        let conn = tx.conn();
        // Billing on, the credits too: a billed start's payment is decided on them.
        let billing = self.policy.start_charge().is_some();
        let read = evidence::start_read(conn, key, call_id, hints, billing)
            .await
            .map_err(from_diesel)?;
        let (taken, evidence) = (read.taken, read.evidence);
        // A retry (rare): the stored call it replays, read whole.
        let call = match taken {
            true => evidence::find_call(conn, key, call_id)
                .await
                .map_err(from_diesel)?,
            false => None,
        };
        tx.credits = read.credits;
        Ok((StartSnapshot { call, evidence }, tx))
    }

    async fn load_end(
        &self, tenant: &TenantId, call_id: &CallId, customer: Option<CustomerRef>,
        intent: Option<IntentName>, at: Timestamp,
    ) -> Result<EndSnapshot, StoreError> {
        let conn = self.conn().await?;
        end_read::load_end(&conn, tenant_key(tenant), call_id, customer, intent, at)
            .await
            .map_err(from_diesel)
    }

    async fn find_call(
        &self, tenant: &TenantId, call_id: &CallId,
    ) -> Result<Option<CallRecord>, StoreError> {
        let conn = self.conn().await?;
        evidence::find_call(&conn, tenant_key(tenant), call_id)
            .await
            .map_err(from_diesel)
    }

    async fn gather_evidence(
        &self, tenant: &TenantId, hints: &IdentityHints,
    ) -> Result<Evidence, StoreError> {
        let conn = self.conn().await?;
        evidence::evidence(&conn, tenant_key(tenant), hints)
            .await
            .map_err(from_diesel)
    }

    async fn customer_context(
        &self, tenant: &TenantId, customer: &CustomerRef, now: Timestamp,
    ) -> Result<CustomerContext, StoreError> {
        let conn = self.conn().await?;
        context::customer_context(&conn, tenant_key(tenant), customer, now)
            .await
            .map_err(from_diesel)
    }

    async fn commit_start(
        &self, tenant: &TenantId, tx: StartTx, commit: StartCommit,
    ) -> Result<StartReceipt, CommitStartError> {
        start::commit_start(tx, *tenant, commit, self.policy.as_ref()).await
    }

    async fn commit_end(
        &self, tenant: &TenantId, commit: EndCommit,
    ) -> Result<EndReceipt, CommitEndError> {
        let mut conn = self.conn().await?;
        end::commit_end(&mut conn, *tenant, commit, self.policy.as_ref()).await
    }
}

impl Purge for PgStore {
    async fn purge_expired(&self, cutoffs: PurgeCutoffs) -> Result<Purged, StoreError> {
        let mut conn = self.conn().await?;
        context::purge_expired(&mut conn, cutoffs)
            .await
            .map_err(from_diesel)
    }
}
