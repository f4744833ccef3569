//! A known caller's start with nothing to pay, written as one statement: the call row
//! inserted (or the `call_id` found taken), and read back with it the customer's open
//! intents and live variables and the tenant's credit state. One statement is one
//! transaction: there is nothing else to commit with it. The insert runs whether or not
//! the read-back looks at it, and the read-back sees the tables as they were before it
//! (PostgreSQL's documentation, "Data-Modifying Statements in WITH": such a statement
//! is executed exactly once, and all parts of the statement share one snapshot), which
//! is what a start wants: the call it inserts is not part of its own context.
//!
//! The insert ([`CallInsert`], every column bound) is wrapped in a data-modifying
//! CTE; the reads are a `UNION ALL` of rows tagged by `kind`, each kind filling the
//! columns it needs (its rows' order does not matter: intents are sorted here).

use std::collections::BTreeMap;

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::credits::BillingPolicy;
use stickycalls_domain::intents::INTENT_EXPIRY;
use stickycalls_domain::ports::{CustomerContext, StartCommit};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::call_insert::CallInsert;
use crate::credits;
use crate::rows::{CallRow, IntentRow, VariableRow};
use crate::stripes;

/// What follows the insert (`WITH inserted AS (<insert> RETURNING 1)`). The `{name}`
/// markers are where [`KnownStart`] binds its parameters.
const READ_BACK_SQL: &str = "
SELECT 'call'::text AS kind, (SELECT count(*) FROM inserted) AS n,
       NULL::text AS t1, NULL::text AS t2, NULL::text AS t3,
       NULL::int8 AS i1, NULL::int8 AS i2, NULL::int8 AS i3,
       NULL::timestamptz AS ts1, NULL::timestamptz AS ts2
UNION ALL
SELECT 'intent', NULL, name, NULL, NULL, attempt_count::int8, NULL, NULL, first_seen, last_seen
  FROM intents
 WHERE tenant_id = {tenant} AND customer_ref = {customer} AND last_seen > {seen_after}
UNION ALL
SELECT 'variable', NULL, key, value, source, ttl_seconds::int8, NULL, NULL, expires_at, NULL
  FROM variables
 WHERE tenant_id = {tenant} AND customer_ref = {customer} AND expires_at > {now}
UNION ALL
SELECT 'account', NULL, plan, NULL, NULL, allowance, allowance_left, top_up, anchor,
       period_start
  FROM credit_balances
 WHERE {balance} AND tenant_id = {tenant}
UNION ALL
SELECT 'stripe', NULL, NULL, NULL, NULL, stripe::int8, allowance_left, top_up, period_start,
       NULL
  FROM credit_stripes
 WHERE {balance} AND tenant_id = {tenant}";

/// The statement: the insert and the read-back, prepared once per connection.
struct KnownStart {
    insert: CallInsert,
    tenant: Uuid,
    customer: String,
    now: OffsetDateTime,
    seen_after: OffsetDateTime,
    balance: bool,
}

impl QueryId for KnownStart {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for KnownStart {
    type SqlType = diesel::sql_types::Untyped;
}

impl QueryFragment<Pg> for KnownStart {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH inserted AS (");
        self.insert.walk_ast(out.reborrow())?;
        out.push_sql(" RETURNING 1)");
        crate::template::walk(READ_BACK_SQL, "READ_BACK_SQL", out, |name, mut out| {
            match name {
                "tenant" => out.push_bind_param::<SqlUuid, _>(&self.tenant)?,
                "customer" => out.push_bind_param::<Text, _>(&self.customer)?,
                "now" => out.push_bind_param::<Timestamptz, _>(&self.now)?,
                "seen_after" => out.push_bind_param::<Timestamptz, _>(&self.seen_after)?,
                "balance" => out.push_bind_param::<Bool, _>(&self.balance)?,
                _ => return Ok(false),
            }
            Ok(true)
        })
    }
}

/// A row of the read-back (see [`READ_BACK_SQL`] for which columns each kind fills).
#[derive(QueryableByName)]
struct ReadBack {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    n: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    t1: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    t2: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    t3: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    i1: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    i2: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    i3: Option<i64>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    ts1: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    ts2: Option<OffsetDateTime>,
}

/// What the statement returned: calls inserted (0: the `call_id` was taken), the
/// customer's context, and the credits left when asked.
pub(crate) struct Written {
    pub inserted: usize,
    pub context: CustomerContext,
    pub credits_remaining: Option<u64>,
}

/// Writes `commit`'s call row and reads the rest back, in one statement.
pub(crate) async fn write(
    mut conn: &AsyncPgConnection, tenant: Uuid, commit: &StartCommit, policy: &dyn BillingPolicy,
) -> QueryResult<Written> {
    let call = &commit.call;
    let now = call.started_at;
    let query = KnownStart {
        insert: CallInsert(CallRow::new(tenant, call)),
        tenant,
        customer: call.customer.as_str().to_owned(),
        now: now.get(),
        seen_after: (now - INTENT_EXPIRY).get(),
        balance: commit.report_balance,
    };
    let rows: Vec<ReadBack> = query.load(&mut conn).await?;
    let mut inserted = 0;
    let mut intents = Vec::new();
    let mut variables = BTreeMap::new();
    let (mut account, mut stripes) = (None, Vec::new());
    for row in rows {
        match row.kind.as_str() {
            "call" => inserted = usize::try_from(need(row.n)?).unwrap_or(0),
            "intent" => intents.push(IntentRow {
                name: need(row.t1)?,
                attempt_count: i32::try_from(need(row.i1)?).unwrap_or(i32::MAX),
                first_seen: need(row.ts1)?,
                last_seen: need(row.ts2)?,
            }),
            "variable" => {
                let (key, variable) = VariableRow {
                    key: need(row.t1)?,
                    value: need(row.t2)?,
                    source: row.t3,
                    ttl_seconds: i32::try_from(need(row.i1)?).unwrap_or(i32::MAX),
                    expires_at: need(row.ts1)?,
                }
                .into_domain();
                variables.insert(key, variable);
            }
            "account" => {
                account = Some(credits::account_of(
                    need(row.t1)?,
                    need(row.i1)?,
                    need(row.ts1)?,
                    need(row.ts2)?,
                    need(row.i2)?,
                    need(row.i3)?,
                )?);
            }
            "stripe" => stripes.push(stripes::stripe_of(
                i16::try_from(need(row.i1)?).unwrap_or(i16::MAX),
                need(row.ts1)?,
                need(row.i2)?,
                need(row.i3)?,
            )?),
            other => return Err(corrupt(&format!("a read-back row of kind {other:?}"))),
        }
    }
    // Newest first, as the context's own read orders them.
    intents.sort_by_key(|i| std::cmp::Reverse(i.last_seen));
    stripes.sort_by_key(|(stripe, _)| *stripe);
    Ok(Written {
        inserted,
        context: CustomerContext {
            open_intents: intents.into_iter().map(IntentRow::into_domain).collect(),
            variables,
        },
        credits_remaining: commit
            .report_balance
            .then(|| credits::balance_of(account, &stripes, policy, now)),
    })
}

fn need<T>(value: Option<T>) -> QueryResult<T> {
    value.ok_or_else(|| corrupt("a read-back row without a column its kind fills"))
}

fn corrupt(what: &str) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(format!("{what} (known start)").into())
}
