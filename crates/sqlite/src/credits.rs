//! Credits on SQLite: the billing row and the ledger (rules from `stickycalls-billing`).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::SqliteConnection;
use stickycalls_billing::{CreditAccount, PlanId, Spent};
use stickycalls_domain::Timestamp;
use stickycalls_domain::calls::CallId;
use stickycalls_domain::credits::{Charge, InsufficientCredits};

use crate::rows::{at, ms};

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    plan: String,
    #[diesel(sql_type = BigInt)]
    allowance: i64,
    #[diesel(sql_type = BigInt)]
    anchor: i64,
    #[diesel(sql_type = BigInt)]
    period_start: i64,
    #[diesel(sql_type = BigInt)]
    allowance_left: i64,
    #[diesel(sql_type = BigInt)]
    top_up: i64,
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn load(c: &mut SqliteConnection, tenant: &str) -> QueryResult<Option<CreditAccount>> {
    let row: Option<Row> = diesel::sql_query(
        "SELECT plan, allowance, anchor, period_start, allowance_left, top_up FROM credit_balances WHERE tenant_id = ?",
    )
    .bind::<Text, _>(tenant)
    .get_result(c)
    .optional()?;
    Ok(row.map(|r| CreditAccount {
        plan: r.plan.parse().unwrap_or(PlanId::Free),
        allowance: r.allowance.max(0) as u64,
        anchor: at(r.anchor),
        period_start: at(r.period_start),
        allowance_left: r.allowance_left.max(0) as u64,
        top_up: r.top_up.max(0) as u64,
    }))
}

fn save(c: &mut SqliteConnection, tenant: &str, a: &CreditAccount) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO credit_balances (tenant_id, plan, allowance, anchor, period_start, allowance_left, top_up)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (tenant_id) DO UPDATE SET plan = ?2, allowance = ?3, anchor = ?4, period_start = ?5,
           allowance_left = ?6, top_up = ?7",
    )
    .bind::<Text, _>(tenant)
    .bind::<Text, _>(a.plan.as_str())
    .bind::<BigInt, _>(int(a.allowance))
    .bind::<BigInt, _>(ms(a.anchor))
    .bind::<BigInt, _>(ms(a.period_start))
    .bind::<BigInt, _>(int(a.allowance_left))
    .bind::<BigInt, _>(int(a.top_up))
    .execute(c)
    .map(|_| ())
}

const NOTHING: Spent = Spent {
    from_allowance: 0,
    from_top_up: 0,
};

#[allow(clippy::too_many_arguments)]
fn record(
    c: &mut SqliteConnection,
    tenant: &str,
    now: Timestamp,
    kind: &str,
    credits: u64,
    spent: Spent,
    period_start: Timestamp,
    call_id: Option<&CallId>,
    note: Option<&str>,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO credit_ledger (tenant_id, at, kind, credits, from_allowance, from_top_up, period_start, call_id, note)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind::<Text, _>(tenant)
    .bind::<BigInt, _>(ms(now))
    .bind::<Text, _>(kind)
    .bind::<BigInt, _>(int(credits))
    .bind::<BigInt, _>(int(spent.from_allowance))
    .bind::<BigInt, _>(int(spent.from_top_up))
    .bind::<BigInt, _>(ms(period_start))
    .bind::<Nullable<Text>, _>(call_id.map(CallId::as_str))
    .bind::<Nullable<Text>, _>(note)
    .execute(c)
    .map(|_| ())
}

fn renewal(
    c: &mut SqliteConnection,
    tenant: &str,
    a: &CreditAccount,
    now: Timestamp,
) -> QueryResult<()> {
    record(
        c,
        tenant,
        now,
        "allowance",
        a.allowance,
        NOTHING,
        a.period_start,
        None,
        Some("period start"),
    )
}

/// Why a debit failed.
pub(crate) enum DebitError {
    Query(diesel::result::Error),
    Insufficient(InsufficientCredits),
}

impl From<diesel::result::Error> for DebitError {
    fn from(e: diesel::result::Error) -> Self {
        DebitError::Query(e)
    }
}

/// Spends a start's charge inside its (immediate) transaction.
pub(crate) fn debit(
    c: &mut SqliteConnection,
    tenant: &str,
    charge: Charge,
    call_id: &CallId,
    now: Timestamp,
) -> Result<u64, DebitError> {
    let Some(account) = load(c, tenant)? else {
        return Err(DebitError::Insufficient(InsufficientCredits {
            needed: charge.credits,
            available: 0,
        }));
    };
    let (after, spent, renewed) = account
        .debit(charge.credits, now)
        .map_err(DebitError::Insufficient)?;
    if renewed {
        renewal(c, tenant, &after, now)?;
    }
    save(c, tenant, &after)?;
    record(
        c,
        tenant,
        now,
        "debit",
        charge.credits,
        spent,
        after.period_start,
        Some(call_id),
        None,
    )?;
    Ok(after.balance().total())
}

/// Credits left at `now`.
pub(crate) fn remaining(
    c: &mut SqliteConnection,
    tenant: &str,
    now: Timestamp,
) -> QueryResult<u64> {
    Ok(load(c, tenant)?
        .map(|a| a.at(now).0.balance().total())
        .unwrap_or(0))
}

pub(crate) fn open(
    c: &mut SqliteConnection,
    tenant: &str,
    plan: PlanId,
    allowance: u64,
    now: Timestamp,
) -> QueryResult<()> {
    let account = CreditAccount::open(plan, allowance, now);
    save(c, tenant, &account)?;
    renewal(c, tenant, &account, now)
}

pub(crate) fn top_up(
    c: &mut SqliteConnection,
    tenant: &str,
    credits: u64,
    now: Timestamp,
) -> QueryResult<CreditAccount> {
    let account = load(c, tenant)?.unwrap_or_else(|| CreditAccount::open(PlanId::Free, 0, now));
    let (mut account, renewed) = account.at(now);
    if renewed {
        renewal(c, tenant, &account, now)?;
    }
    account.top_up = account.top_up.saturating_add(credits);
    save(c, tenant, &account)?;
    record(
        c,
        tenant,
        now,
        "top_up",
        credits,
        NOTHING,
        account.period_start,
        None,
        Some("operator grant"),
    )?;
    Ok(account)
}

pub(crate) fn change_plan(
    c: &mut SqliteConnection,
    tenant: &str,
    plan: PlanId,
    allowance: u64,
    now: Timestamp,
) -> QueryResult<CreditAccount> {
    let account = match load(c, tenant)? {
        Some(a) => a.change_plan(plan, allowance, now),
        None => CreditAccount::open(plan, allowance, now),
    };
    save(c, tenant, &account)?;
    record(
        c,
        tenant,
        now,
        "allowance",
        account.allowance,
        NOTHING,
        account.period_start,
        None,
        Some("plan change"),
    )?;
    Ok(account)
}
