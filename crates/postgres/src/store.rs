//! `CallStore` for PostgreSQL: each port method takes a pooled connection and hands it
//! to the module that owns the SQL.

use stickycalls_domain::accounts::Purged;
use stickycalls_domain::calls::{CallId, CallRecord};
use stickycalls_domain::identity::{CustomerRef, Evidence, IdentityHints};
use stickycalls_domain::ports::{
    CallStore, CommitEndError, CommitStartError, CustomerContext, EndCommit, EndReceipt, Purge,
    StartCommit, StartReceipt, StartSnapshot,
};
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::{StoreError, Timestamp};

use crate::errors::from_diesel;
use crate::pool::PgStore;
use crate::tenant_key::tenant_key;
use crate::{context, end, evidence, start};

impl CallStore for PgStore {
    async fn load_start(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
        hints: &IdentityHints,
    ) -> Result<StartSnapshot, StoreError> {
        let key = tenant_key(tenant);
        let conn = self.conn().await?;
        let conn: &diesel_async::AsyncPgConnection = &conn;
        // Both queries go out before either answer comes back: one round trip.
        let call = evidence::find_call(conn, key, call_id);
        let (call, evidence) = futures_util::try_join!(call, evidence::evidence(conn, key, hints))
            .map_err(from_diesel)?;
        Ok(StartSnapshot { call, evidence })
    }

    async fn find_call(
        &self,
        tenant: &TenantId,
        call_id: &CallId,
    ) -> Result<Option<CallRecord>, StoreError> {
        let conn = self.conn().await?;
        evidence::find_call(&conn, tenant_key(tenant), call_id)
            .await
            .map_err(from_diesel)
    }

    async fn gather_evidence(
        &self,
        tenant: &TenantId,
        hints: &IdentityHints,
    ) -> Result<Evidence, StoreError> {
        let conn = self.conn().await?;
        evidence::evidence(&conn, tenant_key(tenant), hints)
            .await
            .map_err(from_diesel)
    }

    async fn customer_context(
        &self,
        tenant: &TenantId,
        customer: &CustomerRef,
        now: Timestamp,
    ) -> Result<CustomerContext, StoreError> {
        let conn = self.conn().await?;
        context::customer_context(&conn, tenant_key(tenant), customer, now)
            .await
            .map_err(from_diesel)
    }

    async fn commit_start(
        &self,
        tenant: &TenantId,
        commit: StartCommit,
    ) -> Result<StartReceipt, CommitStartError> {
        let mut conn = self.conn().await?;
        start::commit_start(&mut conn, tenant_key(tenant), commit, self.policy.as_ref()).await
    }

    async fn commit_end(
        &self,
        tenant: &TenantId,
        commit: EndCommit,
    ) -> Result<EndReceipt, CommitEndError> {
        let mut conn = self.conn().await?;
        end::commit_end(&mut conn, tenant_key(tenant), commit).await
    }
}

impl Purge for PgStore {
    async fn purge_expired(
        &self,
        variables_expired_at: Timestamp,
        intents_seen_before: Timestamp,
    ) -> Result<Purged, StoreError> {
        let mut conn = self.conn().await?;
        context::purge_expired(&mut conn, variables_expired_at, intents_seen_before)
            .await
            .map_err(from_diesel)
    }
}
