//! Accounts, keys, idempotent responses, health, usage and the ledger port on SQLite.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text};
use stickycalls_domain::accounts::{IdempotencyClaim, NewAccount, StoredResponse};
use stickycalls_domain::credits::{CreditAccount, CreditChange, DailyUsage, SharedPolicy};
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::ports::{
    AccountStore, CreditLedger, Health, IdempotencyStore, PoolUse, UsageStore,
};
use stickycalls_domain::tenant::{Environment, TenantId};
use stickycalls_domain::{StoreError, Timestamp};
use time::OffsetDateTime;

use crate::errors::from_diesel;
use crate::pool::{SqliteLedger, SqliteStore};
use crate::rows::{Count, ms};
use crate::{credits, keys, tenant_key};

impl AccountStore for SqliteStore {
    async fn create_account(&self, account: NewAccount) -> Result<(), StoreError> {
        let at = account.created_at;
        self.run(move |c| {
            c.immediate_transaction(|c| {
                diesel::sql_query("INSERT INTO accounts (account_id, name, email, created_at) VALUES (?, ?, ?, ?)")
                    .bind::<Text, _>(account.id.to_string())
                    .bind::<Text, _>(&account.name)
                    .bind::<Nullable<Text>, _>(&account.email)
                    .bind::<BigInt, _>(ms(at))
                    .execute(c)?;
                for key in &account.keys {
                    keys::insert(c, &account.id.to_string(), key, at)?;
                }
                let opened = CreditAccount::open(&account.plan, at);
                for environment in [Environment::Test, Environment::Prod] {
                    let tenant = TenantId { account: account.id, environment };
                    credits::save(c, &tenant_key(&tenant), &opened)?;
                }
                Ok(())
            })
            .map_err(from_diesel)
        })
        .await
    }

    async fn has_accounts(&self) -> Result<bool, StoreError> {
        self.run(|c| {
            diesel::sql_query("SELECT count(*) AS n FROM accounts")
                .get_result::<Count>(c)
                .map(|r| r.n > 0)
                .map_err(from_diesel)
        })
        .await
    }
}

impl IdempotencyStore for SqliteStore {
    async fn claim(
        &self,
        tenant: &TenantId,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        expires_before: Timestamp,
    ) -> Result<IdempotencyClaim, StoreError> {
        #[derive(QueryableByName)]
        struct Held {
            #[diesel(sql_type = Text)]
            fingerprint: String,
            #[diesel(sql_type = Nullable<Integer>)]
            response_status: Option<i32>,
            #[diesel(sql_type = Nullable<Text>)]
            response_body: Option<String>,
            #[diesel(sql_type = Nullable<Text>)]
            customer_ref: Option<String>,
        }
        let (tenant, key, fingerprint) =
            (tenant_key(tenant), key.to_owned(), fingerprint.to_owned());
        self.run(move |c| {
            c.immediate_transaction(|c| {
                diesel::sql_query("DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ? AND created_at < ?")
                    .bind::<Text, _>(&tenant)
                    .bind::<Text, _>(&key)
                    .bind::<BigInt, _>(ms(expires_before))
                    .execute(c)?;
                let claimed = diesel::sql_query(
                    "INSERT INTO idempotency_keys (tenant_id, key, fingerprint, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                )
                .bind::<Text, _>(&tenant)
                .bind::<Text, _>(&key)
                .bind::<Text, _>(&fingerprint)
                .bind::<BigInt, _>(ms(now))
                .execute(c)?;
                if claimed == 1 {
                    return Ok(IdempotencyClaim::Claimed);
                }
                let held: Held = diesel::sql_query(
                    "SELECT fingerprint, response_status, response_body, customer_ref FROM idempotency_keys WHERE tenant_id = ? AND key = ?",
                )
                .bind::<Text, _>(&tenant)
                .bind::<Text, _>(&key)
                .get_result(c)?;
                Ok(match (held.fingerprint == fingerprint, held.response_status, held.response_body) {
                    (false, _, _) => IdempotencyClaim::Mismatch,
                    (true, Some(status), Some(body)) => IdempotencyClaim::Replay(StoredResponse {
                        status: status as u16,
                        body,
                        customer: held.customer_ref.map(CustomerRef::from_trusted),
                    }),
                    (true, _, _) => IdempotencyClaim::InFlight,
                })
            })
            .map_err(from_diesel)
        })
        .await
    }

    /// Stores the response, unless it is about a customer erased since the request
    /// began: then the claim is dropped instead, so their data is not kept and a retry
    /// runs anew (one writer at a time, so an erasure is wholly before or after).
    async fn complete(
        &self,
        tenant: &TenantId,
        key: &str,
        response: StoredResponse,
    ) -> Result<(), StoreError> {
        let (tenant, key) = (tenant_key(tenant), key.to_owned());
        self.run(move |c| {
            c.immediate_transaction(|c| {
                if let Some(who) = &response.customer {
                    let alive = diesel::sql_query("SELECT count(*) AS n FROM customers WHERE tenant_id = ? AND customer_ref = ?")
                        .bind::<Text, _>(&tenant)
                        .bind::<Text, _>(who.as_str())
                        .get_result::<Count>(c)?;
                    if alive.n == 0 {
                        return release_claim(c, &tenant, &key);
                    }
                }
                diesel::sql_query("UPDATE idempotency_keys SET response_status = ?, response_body = ?, customer_ref = ? WHERE tenant_id = ? AND key = ?")
                    .bind::<Integer, _>(i32::from(response.status))
                    .bind::<Text, _>(&response.body)
                    .bind::<Nullable<Text>, _>(response.customer.as_ref().map(|c| c.as_str()))
                    .bind::<Text, _>(&tenant)
                    .bind::<Text, _>(&key)
                    .execute(c)
                    .map(|_| ())
            })
            .map_err(from_diesel)
        })
        .await
    }

    async fn release(&self, tenant: &TenantId, key: &str) -> Result<(), StoreError> {
        let (tenant, key) = (tenant_key(tenant), key.to_owned());
        self.run(move |c| release_claim(c, &tenant, &key).map_err(from_diesel))
            .await
    }
}

/// Drops a claim that holds no response yet.
fn release_claim(c: &mut diesel::SqliteConnection, tenant: &str, key: &str) -> QueryResult<()> {
    diesel::sql_query(
        "DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ? AND response_status IS NULL",
    )
    .bind::<Text, _>(tenant)
    .bind::<Text, _>(key)
    .execute(c)
    .map(|_| ())
}

impl Health for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.run(|c| {
            diesel::sql_query("SELECT 1 AS n")
                .get_result::<Count>(c)
                .map(|_| ())
                .map_err(from_diesel)
        })
        .await
    }

    fn pool_use(&self) -> PoolUse {
        self.pool_status()
    }
}

impl UsageStore for SqliteStore {
    async fn usage(
        &self,
        tenant: &TenantId,
        from: time::Date,
        to: time::Date,
    ) -> Result<Vec<DailyUsage>, StoreError> {
        #[derive(QueryableByName)]
        struct Day {
            #[diesel(sql_type = Text)]
            day: String,
            #[diesel(sql_type = BigInt)]
            calls_started: i64,
            #[diesel(sql_type = BigInt)]
            matches: i64,
            #[diesel(sql_type = BigInt)]
            billable: i64,
            #[diesel(sql_type = Double)]
            average_confidence: f64,
            #[diesel(sql_type = BigInt)]
            intents_opened: i64,
            #[diesel(sql_type = BigInt)]
            intents_resolved: i64,
        }
        #[derive(QueryableByName)]
        struct Spent {
            #[diesel(sql_type = Text)]
            day: String,
            #[diesel(sql_type = BigInt)]
            credits: i64,
        }
        let key = tenant_key(tenant);
        let start = OffsetDateTime::new_utc(from, time::Time::MIDNIGHT);
        let end = OffsetDateTime::new_utc(to.next_day().unwrap_or(to), time::Time::MIDNIGHT);
        let (start, end) = (ms(Timestamp::new(start)), ms(Timestamp::new(end)));
        self.run(move |c| {
            let days: Vec<Day> = diesel::sql_query(
                "SELECT date(started_at / 1000, 'unixepoch') AS day, count(*) AS calls_started,
                        sum(confidence >= 50) AS matches, sum(billable) AS billable,
                        coalesce(avg(confidence), 0) / 100.0 AS average_confidence,
                        sum(coalesce(intent_status IN ('open', 'abandoned'), 0)) AS intents_opened,
                        sum(coalesce(intent_status IN ('resolved', 'closed'), 0)) AS intents_resolved
                   FROM calls WHERE tenant_id = ? AND started_at >= ? AND started_at < ? GROUP BY 1",
            )
            .bind::<Text, _>(&key)
            .bind::<BigInt, _>(start)
            .bind::<BigInt, _>(end)
            .load(c)
            .map_err(from_diesel)?;
            let spent: Vec<Spent> = diesel::sql_query(
                "SELECT date(at / 1000, 'unixepoch') AS day, sum(credits) AS credits FROM credit_ledger
                  WHERE tenant_id = ? AND kind = 'debit' AND at >= ? AND at < ? GROUP BY 1",
            )
            .bind::<Text, _>(&key)
            .bind::<BigInt, _>(start)
            .bind::<BigInt, _>(end)
            .load(c)
            .map_err(from_diesel)?;
            let format = time::macros::format_description!("[year]-[month]-[day]");
            let parse = |d: &str| time::Date::parse(d, format).ok();
            let calls = days.into_iter().filter_map(|d| {
                Some(DailyUsage {
                    calls_started: d.calls_started.max(0) as u64,
                    matches: d.matches.max(0) as u64,
                    billable: d.billable.max(0) as u64,
                    average_confidence: d.average_confidence,
                    intents_opened: d.intents_opened.max(0) as u64,
                    intents_resolved: d.intents_resolved.max(0) as u64,
                    ..DailyUsage::quiet(parse(&d.day)?)
                })
            });
            let spent = spent.into_iter().filter_map(|s| Some((parse(&s.day)?, s.credits.max(0) as u64)));
            Ok(DailyUsage::merge(calls, spent))
        })
        .await
    }
}

impl CreditLedger for SqliteLedger {
    fn policy(&self) -> SharedPolicy {
        self.store.policy.clone()
    }

    async fn credit_account(&self, tenant: &TenantId) -> Result<Option<CreditAccount>, StoreError> {
        let key = tenant_key(tenant);
        self.store
            .run(move |c| credits::load(c, &key).map_err(from_diesel))
            .await
    }

    /// Inside `BEGIN IMMEDIATE`: the read, the decision and the write are one step.
    async fn update_credits<F>(
        &self,
        tenant: &TenantId,
        decide: F,
    ) -> Result<CreditAccount, StoreError>
    where
        F: FnOnce(Option<CreditAccount>) -> CreditChange + Send + 'static,
    {
        let key = tenant_key(tenant);
        self.store
            .run(move |c| {
                c.immediate_transaction(|c| {
                    let change = decide(credits::load(c, &key)?);
                    credits::save(c, &key, &change)?;
                    Ok(change.account)
                })
                .map_err(from_diesel)
            })
            .await
    }
}
