//! Credits on SQLite: the credit row and the ledger. The rules are the domain's
//! (`CreditAccount`, under the billing policy); every write runs inside
//! `BEGIN IMMEDIATE`, so SQLite's single writer serialises them.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use stickycalls_domain::Timestamp;
use stickycalls_domain::calls::CallId;
use stickycalls_domain::credits::{
    BillingPolicy, Charge, CreditAccount, CreditChange, InsufficientCredits,
};
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::webhooks::{Event, debit_events};

use crate::rows::{at, corrupt, ms};
use crate::schema::{credit_balances, credit_ledger};

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A stored count below zero is corruption: say so rather than read it as zero.
fn count(n: i64, column: &str, tenant: &str) -> QueryResult<u64> {
    u64::try_from(n).map_err(|e| corrupt(&format!("credit_balances.{column}"), tenant, e))
}

type Row = (String, i64, i64, i64, i64, i64);

pub(crate) fn load(c: &mut SqliteConnection, tenant: &str) -> QueryResult<Option<CreditAccount>> {
    let query = credit_balances::table
        .filter(credit_balances::tenant_id.eq(tenant))
        .select((
            credit_balances::plan,
            credit_balances::allowance,
            credit_balances::anchor,
            credit_balances::period_start,
            credit_balances::allowance_left,
            credit_balances::top_up,
        ));
    let row: Option<Row> = crate::rows::unique(query, c)?;
    row.map(
        |(plan, allowance, anchor, period_start, allowance_left, top_up)| {
            Ok(CreditAccount {
                plan,
                allowance: count(allowance, "allowance", tenant)?,
                anchor: at(anchor),
                period_start: at(period_start),
                allowance_left: count(allowance_left, "allowance_left", tenant)?,
                top_up: count(top_up, "top_up", tenant)?,
            })
        },
    )
    .transpose()
}

/// Writes a decided change: the state and its ledger lines.
pub(crate) fn save(
    c: &mut SqliteConnection, tenant: &str, change: &CreditChange,
) -> QueryResult<()> {
    let a = &change.account;
    let state = (
        credit_balances::plan.eq(&a.plan),
        credit_balances::allowance.eq(int(a.allowance)),
        credit_balances::anchor.eq(ms(a.anchor)),
        credit_balances::period_start.eq(ms(a.period_start)),
        credit_balances::allowance_left.eq(int(a.allowance_left)),
        credit_balances::top_up.eq(int(a.top_up)),
    );
    diesel::insert_into(credit_balances::table)
        .values((credit_balances::tenant_id.eq(tenant), state))
        .on_conflict(credit_balances::tenant_id)
        .do_update()
        .set(state)
        .execute(c)?;
    let lines: Vec<_> = change
        .entries
        .iter()
        .map(|e| {
            (
                credit_ledger::tenant_id.eq(tenant),
                credit_ledger::at.eq(ms(e.at)),
                credit_ledger::kind.eq(e.kind.as_str()),
                credit_ledger::credits.eq(int(e.credits)),
                credit_ledger::from_allowance.eq(int(e.spent.from_allowance)),
                credit_ledger::from_top_up.eq(int(e.spent.from_top_up)),
                credit_ledger::period_start.eq(ms(e.period_start)),
                credit_ledger::call_id.eq(e.call_id.as_ref().map(CallId::as_str)),
                credit_ledger::note.eq(e.note.as_deref()),
            )
        })
        .collect();
    if !lines.is_empty() {
        diesel::insert_into(credit_ledger::table)
            .values(lines)
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

/// Spends a start's (or end's) charge inside its (immediate) transaction: every credit
/// of the tenant is in its one row, so the debit's credit events are exact. Returns
/// what is left and those events.
pub(crate) fn debit(
    c: &mut SqliteConnection, tenant: (&str, TenantId), charge: Charge, call_id: &CallId,
    policy: &dyn BillingPolicy, now: Timestamp,
) -> Result<(u64, Vec<Event>), DebitError> {
    let (key, tenant) = tenant;
    let stored = load(c, key)?;
    let change = CreditAccount::debit_stored(stored.clone(), charge, call_id, policy, now)
        .map_err(DebitError::Insufficient)?;
    save(c, key, &change)?;
    let events = debit_events(tenant, stored.as_ref(), &change, call_id, policy, now);
    Ok((change.account.balance().total(), events))
}

/// Credits left at `now`.
pub(crate) fn remaining(
    c: &mut SqliteConnection, tenant: &str, policy: &dyn BillingPolicy, now: Timestamp,
) -> QueryResult<u64> {
    Ok(load(c, tenant)?
        .map(|a| a.at(policy, now).0.balance().total())
        .unwrap_or(0))
}
