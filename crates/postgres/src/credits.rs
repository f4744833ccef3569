//! Credits on PostgreSQL: each tenant's credit state (its account row, plus the blocks
//! set aside in its stripes: `stripes.rs`) and the ledger every grant, renewal and
//! debit is written to. The rules are the domain's (`CreditAccount`, its stripes,
//! under the billing policy); this module loads the state, hands it to them, and
//! writes the `CreditChange` they return.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::Timestamp;
use stickycalls_domain::calls::CallId;
use stickycalls_domain::credits::{BillingPolicy, CreditAccount, CreditChange, LedgerEntry};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::schema::{credit_balances, credit_ledger};
use crate::stripes;

/// A tenant's credit row.
#[derive(Queryable, Selectable)]
#[diesel(table_name = credit_balances, check_for_backend(diesel::pg::Pg))]
struct Row {
    plan: String,
    allowance: i64,
    anchor: OffsetDateTime,
    period_start: OffsetDateTime,
    allowance_left: i64,
    top_up: i64,
}

/// A stored count that does not fit a `u64` (negative) is corrupt: say so rather than
/// read it as zero. `column` is `table.column`.
pub(crate) fn count(n: i64, column: &str) -> QueryResult<u64> {
    u64::try_from(n).map_err(|_| {
        diesel::result::Error::DeserializationError(format!("{column} is negative ({n})").into())
    })
}

fn to_account(row: Row) -> QueryResult<CreditAccount> {
    Ok(CreditAccount {
        plan: row.plan,
        allowance: count(row.allowance, "credit_balances.allowance")?,
        anchor: Timestamp::new(row.anchor),
        period_start: Timestamp::new(row.period_start),
        allowance_left: count(row.allowance_left, "credit_balances.allowance_left")?,
        top_up: count(row.top_up, "credit_balances.top_up")?,
    })
}

/// An account from its columns read by another statement (a start's read-back).
pub(crate) fn account_of(
    plan: String, allowance: i64, anchor: OffsetDateTime, period_start: OffsetDateTime,
    allowance_left: i64, top_up: i64,
) -> QueryResult<CreditAccount> {
    to_account(Row {
        plan,
        allowance,
        anchor,
        period_start,
        allowance_left,
        top_up,
    })
}

/// A count as PostgreSQL's `bigint` (saturating).
pub(crate) fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The tenant's credit state, locked until the transaction ends when `lock`.
pub(crate) async fn load(
    mut conn: &AsyncPgConnection, tenant: Uuid, lock: bool,
) -> QueryResult<Option<CreditAccount>> {
    let query = credit_balances::table
        .filter(credit_balances::tenant_id.eq(tenant))
        .select(Row::as_select());
    let row: Option<Row> = if lock {
        query.for_update().first(&mut conn).await.optional()?
    } else {
        query.first(&mut conn).await.optional()?
    };
    row.map(to_account).transpose()
}

/// The tenant's credit state with its stripes' blocks folded in, as last committed
/// (no lock: pipelined with other queries).
pub(crate) async fn gathered(
    conn: &AsyncPgConnection, tenant: Uuid,
) -> QueryResult<Option<CreditAccount>> {
    let (account, stripes) =
        futures_util::try_join!(load(conn, tenant, false), stripes::read_all(conn, tenant))?;
    Ok(folded(account, &stripes))
}

/// `account` with `stripes`' blocks folded in.
fn folded(account: Option<CreditAccount>, stripes: &[stripes::Stripe]) -> Option<CreditAccount> {
    account.map(|a| a.gather(&stripes::blocks(stripes)))
}

/// Credits left at `now` (after any period reset), read without a lock so it can be
/// pipelined with other queries.
pub(crate) async fn remaining(
    conn: &AsyncPgConnection, tenant: Uuid, policy: &dyn BillingPolicy, now: Timestamp,
) -> QueryResult<u64> {
    Ok(left_at(gathered(conn, tenant).await?, policy, now))
}

/// Credits left at `now` of `account` (none: 0) with `stripes`' blocks folded in.
pub(crate) fn balance_of(
    account: Option<CreditAccount>, stripes: &[stripes::Stripe], policy: &dyn BillingPolicy,
    now: Timestamp,
) -> u64 {
    left_at(folded(account, stripes), policy, now)
}

fn left_at(account: Option<CreditAccount>, policy: &dyn BillingPolicy, now: Timestamp) -> u64 {
    account
        .map(|a| a.at(policy, now).0.balance().total())
        .unwrap_or(0)
}

/// Locks every stripe, then the account (the order every lock taker keeps), and
/// returns the account with every block folded in, and the stripes held.
pub(crate) async fn lock_gathered(
    conn: &AsyncPgConnection, tenant: Uuid,
) -> QueryResult<(Option<CreditAccount>, Vec<stripes::Stripe>)> {
    let (held, stored) =
        futures_util::try_join!(stripes::lock_all(conn, tenant), load(conn, tenant, true))?;
    let stored = stored.map(|a| a.gather(&stripes::blocks(&held)));
    Ok((stored, held))
}

/// Writes a change decided on [`lock_gathered`]'s account: the account, its ledger
/// lines, and every held stripe emptied (their credits are in the account now).
pub(crate) async fn save_gathered(
    conn: &AsyncPgConnection, tenant: Uuid, change: &CreditChange, held: &[stripes::Stripe],
    create_stripes: bool,
) -> QueryResult<()> {
    futures_util::try_join!(
        save(conn, tenant, change),
        stripes::empty_all(
            conn,
            tenant,
            held,
            change.account.period_start,
            create_stripes
        )
    )
    .map(|_| ())
}

async fn save_state(
    mut conn: &AsyncPgConnection, tenant: Uuid, a: &CreditAccount,
) -> QueryResult<()> {
    let values = (
        credit_balances::tenant_id.eq(tenant),
        credit_balances::plan.eq(&a.plan),
        credit_balances::allowance.eq(int(a.allowance)),
        credit_balances::anchor.eq(a.anchor.get()),
        credit_balances::period_start.eq(a.period_start.get()),
        credit_balances::allowance_left.eq(int(a.allowance_left)),
        credit_balances::top_up.eq(int(a.top_up)),
    );
    diesel::insert_into(credit_balances::table)
        .values(values)
        .on_conflict(credit_balances::tenant_id)
        .do_update()
        .set(values)
        .execute(&mut conn)
        .await
        .map(|_| ())
}

pub(crate) async fn append(
    mut conn: &AsyncPgConnection, tenant: Uuid, entries: &[LedgerEntry],
) -> QueryResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = entries
        .iter()
        .map(|e| {
            (
                credit_ledger::tenant_id.eq(tenant),
                credit_ledger::at.eq(e.at.get()),
                credit_ledger::kind.eq(e.kind.as_str()),
                credit_ledger::credits.eq(int(e.credits)),
                credit_ledger::from_allowance.eq(int(e.spent.from_allowance)),
                credit_ledger::from_top_up.eq(int(e.spent.from_top_up)),
                credit_ledger::period_start.eq(e.period_start.get()),
                credit_ledger::call_id.eq(e.call_id.as_ref().map(CallId::as_str)),
                credit_ledger::note.eq(e.note.as_deref()),
            )
        })
        .collect();
    diesel::insert_into(credit_ledger::table)
        .values(rows)
        .execute(&mut conn)
        .await
        .map(|_| ())
}

/// Writes a decided change: the new state and its ledger lines, pipelined (one round
/// trip; the caller's transaction makes them atomic).
pub(crate) async fn save(
    conn: &AsyncPgConnection, tenant: Uuid, change: &CreditChange,
) -> QueryResult<()> {
    futures_util::try_join!(
        save_state(conn, tenant, &change.account),
        append(conn, tenant, &change.entries)
    )
    .map(|_| ())
}

/// Reads the tenant's state under every lock (stripes folded in), lets the domain
/// decide, writes the change (inside the caller's transaction).
pub(crate) async fn update(
    conn: &mut AsyncPgConnection, tenant: Uuid,
    decide: impl FnOnce(Option<CreditAccount>) -> CreditChange,
) -> QueryResult<CreditAccount> {
    let (stored, held) = lock_gathered(conn, tenant).await?;
    let change = decide(stored);
    save_gathered(conn, tenant, &change, &held, false).await?;
    Ok(change.account)
}
