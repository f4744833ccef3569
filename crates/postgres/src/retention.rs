//! Retention: each tenant's periods, and the bounded deletions that enforce them (each
//! one short statement of at most a batch, so no start waits on a long lock).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz, Uuid as SqlUuid};
use diesel::upsert::excluded;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::ports::RetentionStore;
use stickycalls_domain::retention::{Idle, RetentionSettings};
use stickycalls_domain::tenant::{AccountId, TenantId};
use stickycalls_domain::{StoreError, Timestamp};

use crate::errors::from_diesel;
use crate::pool::PgStore;
use crate::schema::retention_settings;
use crate::tenant_key::tenant_key;

/// The tenant's customers idle since `$2` (created by then, no call started and no
/// intent seen after it) with no variable live after `$3`, in reference order. Each
/// `NOT EXISTS` is a probe of the customer's own rows by primary key or
/// `calls_by_customer`.
const IDLE: &str = "SELECT c.customer_ref FROM customers c
    WHERE c.tenant_id = $1 AND c.created_at <= $2
      AND NOT EXISTS (SELECT 1 FROM calls k WHERE k.tenant_id = c.tenant_id
                      AND k.customer_ref = c.customer_ref AND k.started_at > $2)
      AND NOT EXISTS (SELECT 1 FROM intents i WHERE i.tenant_id = c.tenant_id
                      AND i.customer_ref = c.customer_ref AND i.last_seen > $2)
      AND NOT EXISTS (SELECT 1 FROM variables v WHERE v.tenant_id = c.tenant_id
                      AND v.customer_ref = c.customer_ref AND v.expires_at > $3)";

/// A batch of the tenant's calls started before `$2`, found by `calls_by_start`.
const OLD_CALLS: &str = "DELETE FROM calls WHERE tenant_id = $1 AND call_id IN (
    SELECT call_id FROM calls WHERE tenant_id = $1 AND started_at < $2 LIMIT $3)";

/// A batch of webhook events written before `$1` with no delivery pending (their
/// delivery records go by cascade), found by `webhook_events_by_time`.
const SETTLED_EVENTS: &str = "DELETE FROM webhook_events WHERE (tenant_id, id) IN (
    SELECT e.tenant_id, e.id FROM webhook_events e WHERE e.created_at < $1
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.tenant_id = e.tenant_id
                      AND d.event_id = e.id AND d.status = 'pending')
    LIMIT $2)";

/// A batch of the tenant's customers (their links, calls, intents and variables by
/// cascade).
const SOME_CUSTOMERS: &str = "DELETE FROM customers WHERE tenant_id = $1 AND customer_ref IN (
    SELECT customer_ref FROM customers WHERE tenant_id = $1 LIMIT $2)";

/// What a closed tenant keeps once its customers are gone, but for its ledger.
const REMAINS: [&str; 8] = [
    "DELETE FROM webhook_events WHERE tenant_id = $1",
    "DELETE FROM webhook_endpoints WHERE tenant_id = $1",
    "DELETE FROM idempotency_keys WHERE tenant_id = $1",
    "DELETE FROM identity_settings WHERE tenant_id = $1",
    "DELETE FROM retention_settings WHERE tenant_id = $1",
    "DELETE FROM credit_stripes WHERE tenant_id = $1",
    "DELETE FROM credit_balances WHERE tenant_id = $1",
    "DELETE FROM rolled_days WHERE tenant_id = $1",
];

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Text)]
    customer_ref: String,
}

/// Whether the (locked) customer is still idle: [`IDLE`] for that one reference.
pub(crate) async fn still_idle(
    conn: &mut AsyncPgConnection, tenant: uuid::Uuid, customer: &CustomerRef, idle: Idle,
) -> QueryResult<bool> {
    let found: Vec<Found> = diesel::sql_query(format!("{IDLE} AND c.customer_ref = $4"))
        .bind::<SqlUuid, _>(tenant)
        .bind::<Timestamptz, _>(idle.since.get())
        .bind::<Timestamptz, _>(idle.now.get())
        .bind::<Text, _>(customer.as_str())
        .load(conn)
        .await?;
    Ok(!found.is_empty())
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unknown(anyhow::anyhow!("retention_settings: {e}"))
}

fn settings_of(
    calls_days: i32, customers_days: Option<i32>,
) -> Result<RetentionSettings, StoreError> {
    RetentionSettings::parse(Some(calls_days.into()), customers_days.map(i64::from))
        .map_err(corrupt)
}

fn days(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl RetentionStore for PgStore {
    async fn retention_settings(
        &self, tenant: &TenantId,
    ) -> Result<Option<RetentionSettings>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<(i32, Option<i32>)> = retention_settings::table
            .find(tenant_key(tenant))
            .select((
                retention_settings::calls_days,
                retention_settings::customers_days,
            ))
            .first(&mut conn)
            .await
            .optional()
            .map_err(from_diesel)?;
        row.map(|(calls, customers)| settings_of(calls, customers))
            .transpose()
    }

    async fn save_retention_settings(
        &self, tenant: &TenantId, settings: RetentionSettings, at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::insert_into(retention_settings::table)
            .values((
                retention_settings::tenant_id.eq(tenant_key(tenant)),
                retention_settings::account_id.eq(tenant.account.0),
                retention_settings::environment.eq(tenant.environment.as_str()),
                retention_settings::calls_days.eq(days(settings.calls_days)),
                retention_settings::customers_days.eq(settings.customers_days.map(days)),
                retention_settings::updated_at.eq(at.get()),
            ))
            .on_conflict(retention_settings::tenant_id)
            .do_update()
            .set((
                retention_settings::calls_days.eq(excluded(retention_settings::calls_days)),
                retention_settings::customers_days.eq(excluded(retention_settings::customers_days)),
                retention_settings::updated_at.eq(excluded(retention_settings::updated_at)),
            ))
            .execute(&mut conn)
            .await
            .map_err(from_diesel)?;
        Ok(())
    }

    async fn all_retention_settings(
        &self,
    ) -> Result<Vec<(TenantId, RetentionSettings)>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(uuid::Uuid, String, i32, Option<i32>)> = retention_settings::table
            .select((
                retention_settings::account_id,
                retention_settings::environment,
                retention_settings::calls_days,
                retention_settings::customers_days,
            ))
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        rows.into_iter()
            .map(|(account, environment, calls, customers)| {
                let tenant = TenantId {
                    account: AccountId(account),
                    environment: environment.parse().map_err(corrupt)?,
                };
                Ok((tenant, settings_of(calls, customers)?))
            })
            .collect()
    }

    async fn delete_calls_started_before(
        &self, tenant: &TenantId, before: Timestamp, n: usize,
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn().await?;
        diesel::sql_query(OLD_CALLS)
            .bind::<SqlUuid, _>(tenant_key(tenant))
            .bind::<Timestamptz, _>(before.get())
            .bind::<BigInt, _>(limit(n))
            .execute(&mut conn)
            .await
            .map_err(from_diesel)
    }

    async fn idle_customers(
        &self, tenant: &TenantId, idle: Idle, n: usize,
    ) -> Result<Vec<CustomerRef>, StoreError> {
        let mut conn = self.conn().await?;
        let found: Vec<Found> =
            diesel::sql_query(format!("{IDLE} ORDER BY c.customer_ref LIMIT $4"))
                .bind::<SqlUuid, _>(tenant_key(tenant))
                .bind::<Timestamptz, _>(idle.since.get())
                .bind::<Timestamptz, _>(idle.now.get())
                .bind::<BigInt, _>(limit(n))
                .load(&mut conn)
                .await
                .map_err(from_diesel)?;
        Ok(found
            .into_iter()
            .map(|f| CustomerRef::from_trusted(f.customer_ref))
            .collect())
    }

    async fn delete_customers(&self, tenant: &TenantId, n: usize) -> Result<usize, StoreError> {
        let mut conn = self.conn().await?;
        diesel::sql_query(SOME_CUSTOMERS)
            .bind::<SqlUuid, _>(tenant_key(tenant))
            .bind::<BigInt, _>(limit(n))
            .execute(&mut conn)
            .await
            .map_err(from_diesel)
    }

    async fn delete_tenant_remains(&self, tenant: &TenantId) -> Result<usize, StoreError> {
        let key = tenant_key(tenant);
        let mut conn = self.conn().await?;
        conn.transaction(async move |conn| -> QueryResult<usize> {
            let mut n = 0;
            for statement in REMAINS {
                n += diesel::sql_query(statement)
                    .bind::<SqlUuid, _>(key)
                    .execute(conn)
                    .await?;
            }
            Ok(n)
        })
        .await
        .map_err(from_diesel)
    }

    async fn delete_settled_webhook_events(
        &self, before: Timestamp, n: usize,
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn().await?;
        diesel::sql_query(SETTLED_EVENTS)
            .bind::<Timestamptz, _>(before.get())
            .bind::<BigInt, _>(limit(n))
            .execute(&mut conn)
            .await
            .map_err(from_diesel)
    }
}
