//! What a start's one writing statement returns beside its writes: whether its call
//! row went in (and which credit stripe paid, when one did), the customer's open
//! intents and live variables, and the tenant's credit state when asked. The reads are
//! a `UNION ALL` of rows tagged by `kind`, each kind filling the columns it needs (its
//! rows' order does not matter: intents are sorted here). The statement that uses them
//! defines `outcome` (one row: `n` calls inserted, `stripe` that paid or NULL) among
//! its CTEs; all parts of a statement share one snapshot (PostgreSQL's documentation,
//! "Data-Modifying Statements in WITH"), so the reads see the tables as they were
//! before the statement: the call a start inserts is not part of its own context.

use std::collections::BTreeMap;

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::AstPass;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use stickycalls_domain::Timestamp;
use stickycalls_domain::credits::CreditAccount;
use stickycalls_domain::intents::INTENT_EXPIRY;
use stickycalls_domain::ports::CustomerContext;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::credits;
use crate::rows::{IntentRow, VariableRow};
use crate::stripes::{self, Stripe};

/// The read-back, after the statement's CTEs. The `{name}` markers are bound by
/// [`Params::bind`].
pub(crate) const READ_BACK_SQL: &str = "
SELECT 'call'::text AS kind, o.n AS n,
       NULL::text AS t1, NULL::text AS t2, NULL::text AS t3,
       o.stripe::int8 AS i1, NULL::int8 AS i2, NULL::int8 AS i3,
       NULL::timestamptz AS ts1, NULL::timestamptz AS ts2
  FROM outcome o
UNION ALL
SELECT 'intent', NULL, name, NULL, NULL, attempt_count::int8, NULL, NULL, first_seen, last_seen
  FROM intents
 WHERE {context} AND tenant_id = {tenant} AND customer_ref = {customer}
   AND last_seen > {seen_after}
UNION ALL
SELECT 'variable', NULL, key, value, source, ttl_seconds::int8, NULL, NULL, expires_at, NULL
  FROM variables
 WHERE {context} AND tenant_id = {tenant} AND customer_ref = {customer} AND expires_at > {now}
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

/// The read-back's parameters.
pub(crate) struct Params {
    pub tenant: Uuid,
    pub customer: String,
    pub now: OffsetDateTime,
    pub seen_after: OffsetDateTime,
    /// Read the customer's intents and variables.
    pub context: bool,
    /// Read the tenant's account and stripes.
    pub balance: bool,
}

impl Params {
    /// The parameters of a start for `customer` at `now`.
    pub(crate) fn new(
        tenant: Uuid, customer: &str, now: Timestamp, context: bool, balance: bool,
    ) -> Self {
        Self {
            tenant,
            customer: customer.to_owned(),
            now: now.get(),
            seen_after: (now - INTENT_EXPIRY).get(),
            context,
            balance,
        }
    }

    /// Binds the marker `name` if it is one of the read-back's.
    pub(crate) fn bind<'b>(
        &'b self, name: &str, mut out: AstPass<'_, 'b, Pg>,
    ) -> QueryResult<bool> {
        match name {
            "tenant" => out.push_bind_param::<SqlUuid, _>(&self.tenant)?,
            "customer" => out.push_bind_param::<Text, _>(&self.customer)?,
            "now" => out.push_bind_param::<Timestamptz, _>(&self.now)?,
            "seen_after" => out.push_bind_param::<Timestamptz, _>(&self.seen_after)?,
            "context" => out.push_bind_param::<Bool, _>(&self.context)?,
            "balance" => out.push_bind_param::<Bool, _>(&self.balance)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// A row of the read-back (see [`READ_BACK_SQL`] for which columns each kind fills).
#[derive(QueryableByName)]
pub(crate) struct Row {
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

/// What the statement returned.
pub(crate) struct Written {
    /// Calls inserted (0: the `call_id` was taken, or nothing was written).
    pub inserted: usize,
    /// The credit stripe that paid, if one did.
    pub paid_from: Option<i16>,
    /// The customer's context (empty unless asked).
    pub context: CustomerContext,
    /// The account, when the balance was asked for.
    pub account: Option<CreditAccount>,
    /// The stripes, when the balance was asked for.
    pub stripes: Vec<Stripe>,
}

/// The rows, assembled.
pub(crate) fn assemble(rows: Vec<Row>, what: &str) -> QueryResult<Written> {
    fn need<T>(value: Option<T>, what: &str) -> QueryResult<T> {
        value.ok_or_else(|| corrupt(what))
    }
    let mut written = Written {
        inserted: 0,
        paid_from: None,
        context: CustomerContext::default(),
        account: None,
        stripes: Vec::new(),
    };
    let mut intents = Vec::new();
    let mut variables = BTreeMap::new();
    for row in rows {
        match row.kind.as_str() {
            "call" => {
                written.inserted = usize::try_from(need(row.n, what)?).unwrap_or(0);
                written.paid_from = row.i1.map(|s| i16::try_from(s).unwrap_or(i16::MAX));
            }
            "intent" => intents.push(IntentRow {
                name: need(row.t1, what)?,
                attempt_count: i32::try_from(need(row.i1, what)?).unwrap_or(i32::MAX),
                first_seen: need(row.ts1, what)?,
                last_seen: need(row.ts2, what)?,
            }),
            "variable" => {
                let (key, variable) = VariableRow {
                    key: need(row.t1, what)?,
                    value: need(row.t2, what)?,
                    source: row.t3,
                    ttl_seconds: i32::try_from(need(row.i1, what)?).unwrap_or(i32::MAX),
                    expires_at: need(row.ts1, what)?,
                }
                .into_domain();
                variables.insert(key, variable);
            }
            "account" => {
                written.account = Some(credits::account_of(
                    need(row.t1, what)?,
                    need(row.i1, what)?,
                    need(row.ts1, what)?,
                    need(row.ts2, what)?,
                    need(row.i2, what)?,
                    need(row.i3, what)?,
                )?);
            }
            "stripe" => written.stripes.push(stripes::stripe_of(
                i16::try_from(need(row.i1, what)?).unwrap_or(i16::MAX),
                need(row.ts1, what)?,
                need(row.i2, what)?,
                need(row.i3, what)?,
            )?),
            other => {
                return Err(diesel::result::Error::DeserializationError(
                    format!("a read-back row of kind {other:?} ({what})").into(),
                ));
            }
        }
    }
    // Newest first, as the context's own read orders them.
    intents.sort_by_key(|i| std::cmp::Reverse(i.last_seen));
    written.stripes.sort_by_key(|(stripe, _)| *stripe);
    written.context = CustomerContext {
        open_intents: intents.into_iter().map(IntentRow::into_domain).collect(),
        variables,
    };
    Ok(written)
}

fn corrupt(what: &str) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(
        format!("a read-back row without a column its kind fills ({what})").into(),
    )
}
