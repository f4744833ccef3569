//! Credits on PostgreSQL: each tenant's billing state (one row, locked while it
//! changes) and the ledger every grant and debit is written to. The rules (periods,
//! allowance first) are `stickycalls-billing`'s; this module only stores them.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_billing::{CreditAccount, PlanId, Spent};
use stickycalls_domain::Timestamp;
use stickycalls_domain::calls::CallId;
use stickycalls_domain::credits::{Charge, InsufficientCredits};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::schema::{credit_balances, credit_ledger};

/// A tenant's billing row.
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

fn to_account(row: Row) -> CreditAccount {
    CreditAccount {
        plan: row.plan.parse().unwrap_or(PlanId::Free),
        allowance: row.allowance.max(0) as u64,
        anchor: Timestamp::new(row.anchor),
        period_start: Timestamp::new(row.period_start),
        allowance_left: row.allowance_left.max(0) as u64,
        top_up: row.top_up.max(0) as u64,
    }
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The tenant's billing state, locked until the transaction ends when `lock`.
pub(crate) async fn load(
    conn: &mut AsyncPgConnection,
    tenant: Uuid,
    lock: bool,
) -> QueryResult<Option<CreditAccount>> {
    let query = credit_balances::table
        .filter(credit_balances::tenant_id.eq(tenant))
        .select(Row::as_select());
    let row: Option<Row> = if lock {
        query.for_update().first(conn).await.optional()?
    } else {
        query.first(conn).await.optional()?
    };
    Ok(row.map(to_account))
}

/// Credits left at `now` (after any period reset), read without a lock so it can be
/// pipelined with other queries.
pub(crate) async fn remaining(
    mut conn: &AsyncPgConnection,
    tenant: Uuid,
    now: Timestamp,
) -> QueryResult<u64> {
    let row: Option<Row> = credit_balances::table
        .filter(credit_balances::tenant_id.eq(tenant))
        .select(Row::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    Ok(row
        .map(|r| to_account(r).at(now).0.balance().total())
        .unwrap_or(0))
}

/// Writes the tenant's billing state (creating it if needed).
pub(crate) async fn save(
    mut conn: &AsyncPgConnection,
    tenant: Uuid,
    a: &CreditAccount,
) -> QueryResult<()> {
    let values = (
        credit_balances::tenant_id.eq(tenant),
        credit_balances::plan.eq(a.plan.as_str()),
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

/// A ledger entry.
pub(crate) struct Entry<'a> {
    pub kind: &'static str,
    pub credits: u64,
    pub spent: Spent,
    pub period_start: Timestamp,
    pub call_id: Option<&'a CallId>,
    pub note: Option<&'a str>,
}

pub(crate) async fn record(
    mut conn: &AsyncPgConnection,
    tenant: Uuid,
    at: Timestamp,
    e: Entry<'_>,
) -> QueryResult<()> {
    diesel::insert_into(credit_ledger::table)
        .values((
            credit_ledger::tenant_id.eq(tenant),
            credit_ledger::at.eq(at.get()),
            credit_ledger::kind.eq(e.kind),
            credit_ledger::credits.eq(int(e.credits)),
            credit_ledger::from_allowance.eq(int(e.spent.from_allowance)),
            credit_ledger::from_top_up.eq(int(e.spent.from_top_up)),
            credit_ledger::period_start.eq(e.period_start.get()),
            credit_ledger::call_id.eq(e.call_id.map(CallId::as_str)),
            credit_ledger::note.eq(e.note),
        ))
        .execute(&mut conn)
        .await
        .map(|_| ())
}

const NOTHING: Spent = Spent {
    from_allowance: 0,
    from_top_up: 0,
};

/// Records the fresh allowance of a period that has just begun.
async fn record_renewal(
    conn: &mut AsyncPgConnection,
    tenant: Uuid,
    account: &CreditAccount,
    at: Timestamp,
) -> QueryResult<()> {
    record(
        conn,
        tenant,
        at,
        Entry {
            kind: "allowance",
            credits: account.allowance,
            spent: NOTHING,
            period_start: account.period_start,
            call_id: None,
            note: Some("period start"),
        },
    )
    .await
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

/// Spends a start's charge inside its transaction; returns the credits left.
pub(crate) async fn debit(
    conn: &mut AsyncPgConnection,
    tenant: Uuid,
    charge: Charge,
    call_id: &CallId,
    now: Timestamp,
) -> Result<u64, DebitError> {
    let Some(account) = load(conn, tenant, true).await? else {
        return Err(DebitError::Insufficient(InsufficientCredits {
            needed: charge.credits,
            available: 0,
        }));
    };
    let (after, spent, renewed) = match account.debit(charge.credits, now) {
        Ok(done) => done,
        Err(e) => return Err(DebitError::Insufficient(e)),
    };
    if renewed {
        record_renewal(conn, tenant, &after, now).await?;
    }
    // The row stays locked until the commit: the new balance and its ledger entry
    // travel together (pipelined), one round trip instead of two.
    let shared: &AsyncPgConnection = conn;
    futures_util::try_join!(
        save(shared, tenant, &after),
        record(
            shared,
            tenant,
            now,
            Entry {
                kind: "debit",
                credits: charge.credits,
                spent,
                period_start: after.period_start,
                call_id: Some(call_id),
                note: None,
            },
        )
    )?;
    Ok(after.balance().total())
}

/// Opens the billing state of a new tenant on `plan`.
pub(crate) async fn open(
    conn: &mut AsyncPgConnection,
    tenant: Uuid,
    plan: PlanId,
    allowance: u64,
    now: Timestamp,
) -> QueryResult<()> {
    let account = CreditAccount::open(plan, allowance, now);
    save(conn, tenant, &account).await?;
    record_renewal(conn, tenant, &account, now).await
}

/// Adds purchased credits (an operator action), creating an allowance-less state for a
/// tenant that has none.
pub(crate) async fn top_up(
    conn: &mut AsyncPgConnection,
    tenant: Uuid,
    credits: u64,
    note: &str,
    now: Timestamp,
) -> QueryResult<CreditAccount> {
    let account = match load(conn, tenant, true).await? {
        Some(a) => a,
        None => CreditAccount::open(PlanId::Free, 0, now),
    };
    let (mut account, renewed) = account.at(now);
    if renewed {
        record_renewal(conn, tenant, &account, now).await?;
    }
    account.top_up = account.top_up.saturating_add(credits);
    save(conn, tenant, &account).await?;
    record(
        conn,
        tenant,
        now,
        Entry {
            kind: "top_up",
            credits,
            spent: NOTHING,
            period_start: account.period_start,
            call_id: None,
            note: Some(note),
        },
    )
    .await?;
    Ok(account)
}

/// Moves a tenant to another plan (the current period's use is kept).
pub(crate) async fn change_plan(
    conn: &mut AsyncPgConnection,
    tenant: Uuid,
    plan: PlanId,
    allowance: u64,
    now: Timestamp,
) -> QueryResult<CreditAccount> {
    let account = match load(conn, tenant, true).await? {
        Some(a) => a.change_plan(plan, allowance, now),
        None => CreditAccount::open(plan, allowance, now),
    };
    save(conn, tenant, &account).await?;
    record(
        conn,
        tenant,
        now,
        Entry {
            kind: "allowance",
            credits: account.allowance,
            spent: NOTHING,
            period_start: account.period_start,
            call_id: None,
            note: Some("plan change"),
        },
    )
    .await?;
    Ok(account)
}
