//! Credits on SQLite: the credit row and the ledger. The rules are the domain's
//! (`CreditAccount`, under the billing policy); every write runs inside
//! `BEGIN IMMEDIATE`, so SQLite's single writer serialises them.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::SqliteConnection;
use stickycalls_domain::Timestamp;
use stickycalls_domain::calls::CallId;
use stickycalls_domain::credits::{
    BillingPolicy, Charge, CreditAccount, CreditChange, InsufficientCredits,
};

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

/// A stored count below zero is corrupt: say so rather than read it as zero.
fn count(n: i64, column: &str) -> QueryResult<u64> {
    u64::try_from(n).map_err(|_| {
        diesel::result::Error::DeserializationError(
            format!("credit_balances.{column} is negative ({n})").into(),
        )
    })
}

pub(crate) fn load(c: &mut SqliteConnection, tenant: &str) -> QueryResult<Option<CreditAccount>> {
    let row: Option<Row> = diesel::sql_query(
        "SELECT plan, allowance, anchor, period_start, allowance_left, top_up FROM credit_balances WHERE tenant_id = ?",
    )
    .bind::<Text, _>(tenant)
    .get_result(c)
    .optional()?;
    row.map(|r| {
        Ok(CreditAccount {
            plan: r.plan,
            allowance: count(r.allowance, "allowance")?,
            anchor: at(r.anchor),
            period_start: at(r.period_start),
            allowance_left: count(r.allowance_left, "allowance_left")?,
            top_up: count(r.top_up, "top_up")?,
        })
    })
    .transpose()
}

/// Writes a decided change: the state and its ledger lines.
pub(crate) fn save(
    c: &mut SqliteConnection,
    tenant: &str,
    change: &CreditChange,
) -> QueryResult<()> {
    let a = &change.account;
    diesel::sql_query(
        "INSERT INTO credit_balances (tenant_id, plan, allowance, anchor, period_start, allowance_left, top_up)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (tenant_id) DO UPDATE SET plan = ?2, allowance = ?3, anchor = ?4, period_start = ?5,
           allowance_left = ?6, top_up = ?7",
    )
    .bind::<Text, _>(tenant)
    .bind::<Text, _>(&a.plan)
    .bind::<BigInt, _>(int(a.allowance))
    .bind::<BigInt, _>(ms(a.anchor))
    .bind::<BigInt, _>(ms(a.period_start))
    .bind::<BigInt, _>(int(a.allowance_left))
    .bind::<BigInt, _>(int(a.top_up))
    .execute(c)?;
    for e in &change.entries {
        diesel::sql_query(
            "INSERT INTO credit_ledger (tenant_id, at, kind, credits, from_allowance, from_top_up, period_start, call_id, note)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind::<Text, _>(tenant)
        .bind::<BigInt, _>(ms(e.at))
        .bind::<Text, _>(e.kind.as_str())
        .bind::<BigInt, _>(int(e.credits))
        .bind::<BigInt, _>(int(e.spent.from_allowance))
        .bind::<BigInt, _>(int(e.spent.from_top_up))
        .bind::<BigInt, _>(ms(e.period_start))
        .bind::<Nullable<Text>, _>(e.call_id.as_ref().map(CallId::as_str))
        .bind::<Nullable<Text>, _>(e.note.as_deref())
        .execute(c)?;
    }
    Ok(())
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

/// Spends a start's charge inside its (immediate) transaction; returns what is left.
pub(crate) fn debit(
    c: &mut SqliteConnection,
    tenant: &str,
    charge: Charge,
    call_id: &CallId,
    policy: &dyn BillingPolicy,
    now: Timestamp,
) -> Result<u64, DebitError> {
    let Some(account) = load(c, tenant)? else {
        return Err(DebitError::Insufficient(InsufficientCredits {
            needed: charge.credits,
            available: 0,
        }));
    };
    let change = account
        .debit(charge, call_id, policy, now)
        .map_err(DebitError::Insufficient)?;
    save(c, tenant, &change)?;
    Ok(change.account.balance().total())
}

/// Credits left at `now`.
pub(crate) fn remaining(
    c: &mut SqliteConnection,
    tenant: &str,
    policy: &dyn BillingPolicy,
    now: Timestamp,
) -> QueryResult<u64> {
    Ok(load(c, tenant)?
        .map(|a| a.at(policy, now).0.balance().total())
        .unwrap_or(0))
}
