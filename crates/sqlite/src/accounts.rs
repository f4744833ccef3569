//! Accounts, keys, idempotent responses, health, usage and the ledger port on SQLite.

use diesel::prelude::*;
use stickycalls_domain::accounts::{AccountInfo, NewAccount};
use stickycalls_domain::credits::{CreditAccount, DailyUsage, EntryKind, LedgerDay, SharedPolicy};
use stickycalls_domain::idempotency::{ClaimCutoffs, HeldKey, KeyClaim, StoredResponse};
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::ports::{
    AccountStore, CreditDecision, CreditLedger, Health, IdempotencyStore, PoolUse, UsageStore,
};
use stickycalls_domain::tenant::{AccountId, Environment, TenantId};
use stickycalls_domain::{StoreError, Timestamp};
use time::OffsetDateTime;

use crate::errors::from_diesel;
use crate::pool::{SqliteLedger, SqliteStore};
use crate::rows::{CallRow, at, corrupt, ms};
use crate::schema::{
    accounts, api_keys, calls, console_sessions, credit_ledger, customers, idempotency_keys,
};
use crate::{credits, keys, tenant_key};

impl AccountStore for SqliteStore {
    async fn create_account(&self, account: NewAccount) -> Result<(), StoreError> {
        let at = account.created_at;
        self.write(move |c| {
            c.immediate_transaction(|c| {
                let id = account.id.to_string();
                diesel::insert_into(accounts::table)
                    .values((
                        accounts::account_id.eq(&id),
                        accounts::name.eq(&account.name),
                        accounts::email.eq(&account.email),
                        accounts::created_at.eq(ms(at)),
                    ))
                    .execute(c)?;
                for key in &account.keys {
                    keys::insert(c, &id, key, at)?;
                }
                let opened = CreditAccount::open(&account.plan, at);
                for environment in [Environment::Test, Environment::Prod] {
                    let tenant = TenantId {
                        account: account.id,
                        environment,
                    };
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
            diesel::select(diesel::dsl::exists(
                accounts::table.select(accounts::account_id),
            ))
            .get_result(c)
            .map_err(from_diesel)
        })
        .await
    }

    async fn list_accounts(&self) -> Result<Vec<AccountInfo>, StoreError> {
        self.run(|c| {
            type Row = (Option<String>, String, Option<String>, i64, Option<i64>);
            let rows: Vec<Row> = accounts::table
                .select((
                    accounts::account_id,
                    accounts::name,
                    accounts::email,
                    accounts::created_at,
                    accounts::closed_at,
                ))
                .order((accounts::created_at, accounts::account_id))
                .load(c)
                .map_err(from_diesel)?;
            rows.into_iter()
                .map(|(id, name, email, created_at, closed_at)| {
                    let id = id.unwrap_or_default();
                    let parsed = uuid::Uuid::parse_str(&id)
                        .map_err(|e| from_diesel(corrupt("accounts.account_id", &id, e)))?;
                    Ok(AccountInfo {
                        id: AccountId(parsed),
                        name,
                        email,
                        created_at: at(created_at),
                        closed_at: closed_at.map(at),
                    })
                })
                .collect()
        })
        .await
    }

    async fn close_account(
        &self, account: AccountId, when: Timestamp,
    ) -> Result<Option<Vec<String>>, StoreError> {
        let id = account.0.to_string();
        self.write(move |c| {
            c.immediate_transaction(|c| -> QueryResult<Option<Vec<String>>> {
                let closed = diesel::update(
                    accounts::table
                        .filter(accounts::account_id.eq(&id))
                        .filter(accounts::closed_at.is_null()),
                )
                .set((
                    accounts::closed_at.eq(ms(when)),
                    accounts::email.eq(None::<String>),
                ))
                .execute(c)?;
                if closed == 0 {
                    return Ok(None);
                }
                let live = api_keys::table
                    .filter(api_keys::account_id.eq(&id))
                    .filter(api_keys::revoked_at.is_null());
                let revoked: Vec<String> =
                    live.select(api_keys::lookup_id.assume_not_null()).load(c)?;
                diesel::update(live)
                    .set(api_keys::revoked_at.eq(ms(when)))
                    .execute(c)?;
                let keys = api_keys::table
                    .filter(api_keys::account_id.eq(&id))
                    .select(api_keys::lookup_id.assume_not_null());
                diesel::delete(
                    console_sessions::table.filter(console_sessions::key_lookup_id.eq_any(keys)),
                )
                .execute(c)?;
                Ok(Some(revoked))
            })
            .map_err(from_diesel)
        })
        .await
    }
}

/// What holds an idempotency key: its request's fingerprint and, once complete, the
/// response.
type Held = (String, Option<i32>, Option<String>, Option<String>);

impl IdempotencyStore for SqliteStore {
    async fn claim(
        &self, tenant: &TenantId, key: &str, fingerprint: &str, now: Timestamp,
        cutoffs: ClaimCutoffs,
    ) -> Result<KeyClaim, StoreError> {
        let (tenant, key, fingerprint) =
            (tenant_key(tenant), key.to_owned(), fingerprint.to_owned());
        self.write(move |c| {
            c.immediate_transaction(|c| {
                let this = idempotency_keys::table.find((&tenant, &key));
                let abandoned = idempotency_keys::response_status
                    .is_null()
                    .and(idempotency_keys::created_at.lt(ms(cutoffs.abandoned_before)));
                let expired = idempotency_keys::created_at.lt(ms(cutoffs.expired_before));
                diesel::delete(this.filter(expired.or(abandoned))).execute(c)?;
                let claimed = diesel::insert_into(idempotency_keys::table)
                    .values((
                        idempotency_keys::tenant_id.eq(&tenant),
                        idempotency_keys::key.eq(&key),
                        idempotency_keys::fingerprint.eq(&fingerprint),
                        idempotency_keys::created_at.eq(ms(now)),
                    ))
                    .on_conflict_do_nothing()
                    .execute(c)?;
                if claimed == 1 {
                    return Ok(KeyClaim::Claimed);
                }
                let (held, status, body, customer): Held = this
                    .select((
                        idempotency_keys::fingerprint,
                        idempotency_keys::response_status,
                        idempotency_keys::response_body,
                        idempotency_keys::customer_ref,
                    ))
                    .first(c)?;
                let response = match (status, body) {
                    (Some(status), Some(body)) => Some(StoredResponse {
                        status: u16::try_from(status)
                            .map_err(|e| corrupt("idempotency_keys.response_status", &key, e))?,
                        body,
                        customer: customer.map(CustomerRef::from_trusted),
                    }),
                    _ => None,
                };
                Ok(KeyClaim::Held(HeldKey {
                    fingerprint: held,
                    response,
                }))
            })
            .map_err(from_diesel)
        })
        .await
    }

    /// Stores the response, unless it is about a customer erased since the request
    /// began: then the claim is dropped instead, so their data is not kept and a retry
    /// runs anew (one writer at a time, so an erasure is wholly before or after).
    async fn complete(
        &self, tenant: &TenantId, key: &str, response: StoredResponse,
    ) -> Result<(), StoreError> {
        let (tenant, key) = (tenant_key(tenant), key.to_owned());
        self.write(move |c| {
            c.immediate_transaction(|c| {
                if let Some(who) = &response.customer {
                    let alive: bool = diesel::select(diesel::dsl::exists(
                        customers::table.find((&tenant, who.as_str())),
                    ))
                    .get_result(c)?;
                    if !alive {
                        return release_claim(c, &tenant, &key);
                    }
                }
                diesel::update(idempotency_keys::table.find((&tenant, &key)))
                    .set((
                        idempotency_keys::response_status.eq(i32::from(response.status)),
                        idempotency_keys::response_body.eq(&response.body),
                        idempotency_keys::customer_ref
                            .eq(response.customer.as_ref().map(|c| c.as_str())),
                    ))
                    .execute(c)
                    .map(|_| ())
            })
            .map_err(from_diesel)
        })
        .await
    }

    async fn release(&self, tenant: &TenantId, key: &str) -> Result<(), StoreError> {
        let (tenant, key) = (tenant_key(tenant), key.to_owned());
        self.write(move |c| release_claim(c, &tenant, &key).map_err(from_diesel))
            .await
    }
}

/// Drops a claim that holds no response yet.
fn release_claim(c: &mut diesel::SqliteConnection, tenant: &str, key: &str) -> QueryResult<()> {
    diesel::delete(
        idempotency_keys::table
            .find((tenant, key))
            .filter(idempotency_keys::response_status.is_null()),
    )
    .execute(c)
    .map(|_| ())
}

impl Health for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.run(|c| {
            diesel::select(1.into_sql::<diesel::sql_types::Integer>())
                .get_result::<i32>(c)
                .map(|_| ())
                .map_err(from_diesel)
        })
        .await
    }

    fn pool_use(&self) -> PoolUse {
        self.pool_status()
    }
}

/// The stored instants (milliseconds) from `from`'s first moment to the end of `to`.
fn day_bounds(from: time::Date, to: time::Date) -> (i64, i64) {
    let start = OffsetDateTime::new_utc(from, time::Time::MIDNIGHT);
    let end = OffsetDateTime::new_utc(to.next_day().unwrap_or(to), time::Time::MIDNIGHT);
    (ms(Timestamp::new(start)), ms(Timestamp::new(end)))
}

impl UsageStore for SqliteStore {
    /// The window's calls and debits, tallied by the domain's rule
    /// (`DailyUsage::tally`): in process, so no second copy of the rule in SQL.
    async fn usage(
        &self, tenant: &TenantId, from: time::Date, to: time::Date,
    ) -> Result<Vec<DailyUsage>, StoreError> {
        let key = tenant_key(tenant);
        let (start, end) = day_bounds(from, to);
        self.run(move |c| {
            c.transaction(|c| {
                let rows: Vec<CallRow> = calls::table
                    .filter(calls::tenant_id.eq(&key))
                    .filter(calls::started_at.ge(start))
                    .filter(calls::started_at.lt(end))
                    .select(CallRow::as_select())
                    .load(c)?;
                let records = rows
                    .into_iter()
                    .map(CallRow::into_record)
                    .collect::<QueryResult<Vec<_>>>()?;
                let debits: Vec<(i64, i64)> = credit_ledger::table
                    .filter(credit_ledger::tenant_id.eq(&key))
                    .filter(credit_ledger::kind.eq(EntryKind::Debit.as_str()))
                    .filter(credit_ledger::at.ge(start))
                    .filter(credit_ledger::at.lt(end))
                    .select((credit_ledger::at, credit_ledger::credits))
                    .load(c)?;
                let debits = debits
                    .into_iter()
                    .map(|(when, credits)| (at(when), u64::try_from(credits).unwrap_or(0)));
                Ok(DailyUsage::tally(&records, debits, from, to))
            })
            .map_err(from_diesel)
        })
        .await
    }

    async fn ledger_days(
        &self, tenant: &TenantId, from: time::Date, to: time::Date,
    ) -> Result<Vec<LedgerDay>, StoreError> {
        let key = tenant_key(tenant);
        let (start, end) = day_bounds(from, to);
        self.run(move |c| {
            let lines: Vec<(i64, String, i64)> = credit_ledger::table
                .filter(credit_ledger::tenant_id.eq(&key))
                .filter(credit_ledger::at.ge(start))
                .filter(credit_ledger::at.lt(end))
                .select((
                    credit_ledger::at,
                    credit_ledger::kind,
                    credit_ledger::credits,
                ))
                .load(c)
                .map_err(from_diesel)?;
            let rows = lines
                .into_iter()
                .map(|(when, kind, credits)| {
                    let day = at(when).get().date();
                    let kind = EntryKind::from_stored(&kind)
                        .ok_or_else(|| corrupt("kind", "credit_ledger", kind))
                        .map_err(from_diesel)?;
                    Ok((day, kind, u64::try_from(credits).unwrap_or(0), 1))
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok(LedgerDay::tally(rows))
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
    async fn update_credits<D: CreditDecision>(
        &self, tenant: &TenantId, decide: D,
    ) -> Result<CreditAccount, StoreError> {
        let key = tenant_key(tenant);
        self.store
            .write(move |c| {
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
