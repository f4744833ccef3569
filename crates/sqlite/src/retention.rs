//! Retention: each tenant's periods, and the bounded deletions that enforce them (each
//! its own short write transaction, so starts queue behind at most one batch).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::upsert::excluded;
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::ports::RetentionStore;
use stickycalls_domain::retention::{Idle, RetentionSettings};
use stickycalls_domain::tenant::{AccountId, TenantId};
use stickycalls_domain::{StoreError, Timestamp};

use crate::errors::from_diesel;
use crate::pool::SqliteStore;
use crate::rows::{corrupt, ms};
use crate::schema::retention_settings;
use crate::tenant_key;

/// The tenant's customers idle since `?2` (created by then, no call started and no
/// intent seen after it) with no variable live after `?3`: the PostgreSQL statement,
/// for this schema.
const IDLE: &str = "SELECT c.customer_ref FROM customers c
    WHERE c.tenant_id = ?1 AND c.created_at <= ?2
      AND NOT EXISTS (SELECT 1 FROM calls k WHERE k.tenant_id = c.tenant_id
                      AND k.customer_ref = c.customer_ref AND k.started_at > ?2)
      AND NOT EXISTS (SELECT 1 FROM intents i WHERE i.tenant_id = c.tenant_id
                      AND i.customer_ref = c.customer_ref AND i.last_seen > ?2)
      AND NOT EXISTS (SELECT 1 FROM variables v WHERE v.tenant_id = c.tenant_id
                      AND v.customer_ref = c.customer_ref AND v.expires_at > ?3)";

/// A batch of the tenant's calls started before `?2`, found by `calls_by_start`.
const OLD_CALLS: &str = "DELETE FROM calls WHERE tenant_id = ?1 AND call_id IN (
    SELECT call_id FROM calls WHERE tenant_id = ?1 AND started_at < ?2 LIMIT ?3)";

/// A batch of webhook events written before `?1` with no delivery pending (their
/// delivery records go by cascade).
const SETTLED_EVENTS: &str = "DELETE FROM webhook_events WHERE id IN (
    SELECT e.id FROM webhook_events e WHERE e.created_at < ?1
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
                      WHERE d.event_id = e.id AND d.status = 'pending')
    LIMIT ?2)";

/// A batch of the tenant's customers (their links, calls, intents and variables by
/// cascade).
const SOME_CUSTOMERS: &str = "DELETE FROM customers WHERE tenant_id = ?1 AND customer_ref IN (
    SELECT customer_ref FROM customers WHERE tenant_id = ?1 LIMIT ?2)";

/// What a closed tenant keeps once its customers are gone, but for its ledger (the
/// deliveries go with their events).
const REMAINS: [&str; 7] = [
    "DELETE FROM webhook_events WHERE tenant_id = ?1",
    "DELETE FROM webhook_endpoints WHERE tenant_id = ?1",
    "DELETE FROM idempotency_keys WHERE tenant_id = ?1",
    "DELETE FROM identity_settings WHERE tenant_id = ?1",
    "DELETE FROM retention_settings WHERE tenant_id = ?1",
    "DELETE FROM credit_balances WHERE tenant_id = ?1",
    "DELETE FROM rolled_days WHERE tenant_id = ?1",
];

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Text)]
    customer_ref: String,
}

/// Whether the customer is still idle (inside the erasure's write transaction, which
/// no start can interleave with).
pub(crate) fn still_idle(
    c: &mut SqliteConnection, tenant: &str, customer: &CustomerRef, idle: Idle,
) -> QueryResult<bool> {
    let found: Vec<Found> = diesel::sql_query(format!("{IDLE} AND c.customer_ref = ?4"))
        .bind::<Text, _>(tenant)
        .bind::<BigInt, _>(ms(idle.since))
        .bind::<BigInt, _>(ms(idle.now))
        .bind::<Text, _>(customer.as_str())
        .load(c)?;
    Ok(!found.is_empty())
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn days(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn settings_of(
    key: &str, calls_days: i32, customers_days: Option<i32>,
) -> QueryResult<RetentionSettings> {
    RetentionSettings::parse(Some(calls_days.into()), customers_days.map(i64::from))
        .map_err(|e| corrupt("retention_settings", key, e))
}

impl RetentionStore for SqliteStore {
    async fn retention_settings(
        &self, tenant: &TenantId,
    ) -> Result<Option<RetentionSettings>, StoreError> {
        let key = tenant_key(tenant);
        self.run(move |c| {
            let row: Option<(i32, Option<i32>)> = retention_settings::table
                .find(&key)
                .select((
                    retention_settings::calls_days,
                    retention_settings::customers_days,
                ))
                .first(c)
                .optional()
                .map_err(from_diesel)?;
            row.map(|(calls, customers)| settings_of(&key, calls, customers))
                .transpose()
                .map_err(from_diesel)
        })
        .await
    }

    async fn save_retention_settings(
        &self, tenant: &TenantId, settings: RetentionSettings, at: Timestamp,
    ) -> Result<(), StoreError> {
        let (key, tenant) = (tenant_key(tenant), *tenant);
        self.write(move |c| {
            diesel::insert_into(retention_settings::table)
                .values((
                    retention_settings::tenant_id.eq(&key),
                    retention_settings::account_id.eq(tenant.account.0.to_string()),
                    retention_settings::environment.eq(tenant.environment.as_str()),
                    retention_settings::calls_days.eq(days(settings.calls_days)),
                    retention_settings::customers_days.eq(settings.customers_days.map(days)),
                    retention_settings::updated_at.eq(ms(at)),
                ))
                .on_conflict(retention_settings::tenant_id)
                .do_update()
                .set((
                    retention_settings::calls_days.eq(excluded(retention_settings::calls_days)),
                    retention_settings::customers_days
                        .eq(excluded(retention_settings::customers_days)),
                    retention_settings::updated_at.eq(excluded(retention_settings::updated_at)),
                ))
                .execute(c)
                .map(|_| ())
                .map_err(from_diesel)
        })
        .await
    }

    async fn all_retention_settings(
        &self,
    ) -> Result<Vec<(TenantId, RetentionSettings)>, StoreError> {
        self.run(move |c| {
            let rows: Vec<(String, String, String, i32, Option<i32>)> = retention_settings::table
                .select((
                    retention_settings::tenant_id,
                    retention_settings::account_id,
                    retention_settings::environment,
                    retention_settings::calls_days,
                    retention_settings::customers_days,
                ))
                .load(c)
                .map_err(from_diesel)?;
            rows.into_iter()
                .map(|(key, account, environment, calls, customers)| {
                    let tenant = TenantId {
                        account: AccountId(
                            account
                                .parse()
                                .map_err(|e| from_diesel(corrupt("account_id", &key, e)))?,
                        ),
                        environment: environment
                            .parse()
                            .map_err(|e| from_diesel(corrupt("environment", &key, e)))?,
                    };
                    Ok((
                        tenant,
                        settings_of(&key, calls, customers).map_err(from_diesel)?,
                    ))
                })
                .collect()
        })
        .await
    }

    async fn delete_calls_started_before(
        &self, tenant: &TenantId, before: Timestamp, n: usize,
    ) -> Result<usize, StoreError> {
        let key = tenant_key(tenant);
        self.write(move |c| {
            diesel::sql_query(OLD_CALLS)
                .bind::<Text, _>(&key)
                .bind::<BigInt, _>(ms(before))
                .bind::<BigInt, _>(limit(n))
                .execute(c)
                .map_err(from_diesel)
        })
        .await
    }

    async fn idle_customers(
        &self, tenant: &TenantId, idle: Idle, n: usize,
    ) -> Result<Vec<CustomerRef>, StoreError> {
        let key = tenant_key(tenant);
        self.run(move |c| {
            let found: Vec<Found> =
                diesel::sql_query(format!("{IDLE} ORDER BY c.customer_ref LIMIT ?4"))
                    .bind::<Text, _>(&key)
                    .bind::<BigInt, _>(ms(idle.since))
                    .bind::<BigInt, _>(ms(idle.now))
                    .bind::<BigInt, _>(limit(n))
                    .load(c)
                    .map_err(from_diesel)?;
            Ok(found
                .into_iter()
                .map(|f| CustomerRef::from_trusted(f.customer_ref))
                .collect())
        })
        .await
    }

    async fn delete_customers(&self, tenant: &TenantId, n: usize) -> Result<usize, StoreError> {
        let key = tenant_key(tenant);
        self.write(move |c| {
            diesel::sql_query(SOME_CUSTOMERS)
                .bind::<Text, _>(&key)
                .bind::<BigInt, _>(limit(n))
                .execute(c)
                .map_err(from_diesel)
        })
        .await
    }

    async fn delete_tenant_remains(&self, tenant: &TenantId) -> Result<usize, StoreError> {
        let key = tenant_key(tenant);
        self.write(move |c| {
            c.immediate_transaction(|c| {
                REMAINS.iter().try_fold(0, |n, statement| {
                    Ok(n + diesel::sql_query(*statement)
                        .bind::<Text, _>(&key)
                        .execute(c)?)
                })
            })
            .map_err(from_diesel)
        })
        .await
    }

    async fn delete_settled_webhook_events(
        &self, before: Timestamp, n: usize,
    ) -> Result<usize, StoreError> {
        self.write(move |c| {
            diesel::sql_query(SETTLED_EVENTS)
                .bind::<BigInt, _>(ms(before))
                .bind::<BigInt, _>(limit(n))
                .execute(c)
                .map_err(from_diesel)
        })
        .await
    }
}
