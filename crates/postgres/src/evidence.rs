//! The hot read of every start, one statement: whether a call is stored under its id,
//! the evidence for its hints, and (billing on) the tenant's credits and stripes as
//! last committed, from which the domain decides a billed start's payment before its
//! write. A start whose id is taken (a retry, rare) reads the stored call with a
//! second one.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::sql_types::{
    Array, BigInt, Bool, Integer, Nullable, SmallInt, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::Timestamp;
use stickycalls_domain::calls::{CallId, CallRecord};
use stickycalls_domain::credits::CreditAccount;
use stickycalls_domain::identity::{Activity, CustomerRef, Evidence, EvidenceKind, IdentityHints};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::credits;
use crate::rows::{CallRow, confirmed_of, line_type_of};
use crate::schema::calls;
use crate::stripes::{self, Stripe};

/// Every stored fact bearing on a set of hints, with each candidate's activity. The
/// `{name}` markers are where [`EvidenceQuery`] binds its parameters.
const EVIDENCE_SQL: &str = "
WITH candidates AS (
    SELECT 'ani'::text AS kind, p.customer_ref, NULL::text AS namespace, p.line_type, p.linked_at,
           p.first_confirmed_at, p.last_confirmed_at, p.last_attestation, p.last_unattested_at,
           p.attested_run
      FROM customer_phones p
     WHERE p.tenant_id = {tenant} AND p.e164 = {e164}
    UNION ALL
    SELECT 'external', x.customer_ref, x.namespace, NULL, x.linked_at, NULL, NULL, NULL, NULL, 0
      FROM customer_external_ids x
      JOIN unnest({namespaces}::text[], {values}::text[]) AS h(namespace, value)
        ON x.namespace = h.namespace AND x.value = h.value
     WHERE x.tenant_id = {tenant}
    UNION ALL
    -- The namespaces of the hints in which the number's people hold an id (no activity
    -- is read for these rows: the person's `ani` row carries it).
    SELECT 'holds', x.customer_ref, x.namespace, NULL, x.linked_at, NULL, NULL, NULL, NULL, 0
      FROM customer_phones p
      JOIN customer_external_ids x
        ON x.tenant_id = p.tenant_id AND x.customer_ref = p.customer_ref
     WHERE p.tenant_id = {tenant} AND p.e164 = {e164} AND x.namespace = ANY({namespaces}::text[])
    UNION ALL
    SELECT 'named', c.customer_ref, NULL, NULL, c.created_at, NULL, NULL, NULL, NULL, 0
      FROM customers c
     WHERE c.tenant_id = {tenant} AND c.customer_ref = {customer_ref}
)
-- One row at least: the call id's row (with the credits when asked) joined to each
-- piece of evidence (none: NULLs).
SELECT t.*, e.*
  FROM (SELECT EXISTS (SELECT 1 FROM calls WHERE tenant_id = {tenant} AND call_id = {call_id})
                 AS taken,
               a.plan AS credit_plan, a.allowance AS credit_allowance,
               a.anchor AS credit_anchor, a.period_start AS credit_period_start,
               a.allowance_left AS credit_allowance_left, a.top_up AS credit_top_up,
               s.stripes, s.stripe_periods, s.stripe_allowances, s.stripe_top_ups
          FROM (SELECT 1) one
          LEFT JOIN credit_balances a ON {credits} AND a.tenant_id = {tenant}
          LEFT JOIN LATERAL (
                SELECT array_agg(stripe ORDER BY stripe) AS stripes,
                       array_agg(period_start ORDER BY stripe) AS stripe_periods,
                       array_agg(allowance_left ORDER BY stripe) AS stripe_allowances,
                       array_agg(top_up ORDER BY stripe) AS stripe_top_ups
                  FROM credit_stripes
                 WHERE {credits} AND tenant_id = {tenant}) s ON true) t
  LEFT JOIN (
    SELECT k.kind, k.customer_ref, k.namespace, k.line_type, k.linked_at,
           k.first_confirmed_at, k.last_confirmed_at, k.last_attestation,
           k.last_unattested_at, k.attested_run,
           (SELECT max(started_at) FROM calls
             WHERE k.kind <> 'holds' AND tenant_id = {tenant} AND customer_ref = k.customer_ref)
             AS last_call_at,
           i.last_seen AS last_open_intent_at, i.name AS last_open_intent
      FROM candidates k
      LEFT JOIN LATERAL (
            SELECT last_seen, name FROM intents
             WHERE k.kind <> 'holds' AND tenant_id = {tenant} AND customer_ref = k.customer_ref
             ORDER BY last_seen DESC, name LIMIT 1) i ON true
  ) e ON true";

/// [`EVIDENCE_SQL`] with its parameters. Unlike `sql_query`, which diesel never caches
/// (so every start paid a Parse and a plan), this query has a static id: it is prepared
/// once per connection and reused, like the DSL queries.
#[derive(Debug)]
struct EvidenceQuery {
    tenant: Uuid,
    e164: Option<String>,
    namespaces: Vec<String>,
    values: Vec<String>,
    customer_ref: Option<String>,
    /// The start's call id (`None`: evidence only, `taken` is false).
    call_id: Option<String>,
    /// Whether to read the tenant's credits and stripes.
    credits: bool,
}

crate::template::prepared!(EvidenceQuery);

impl QueryFragment<Pg> for EvidenceQuery {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        crate::template::walk(EVIDENCE_SQL, "EVIDENCE_SQL", out, |name, mut out| {
            match name {
                "tenant" => out.push_bind_param::<SqlUuid, _>(&self.tenant)?,
                "e164" => out.push_bind_param::<Nullable<Text>, _>(&self.e164)?,
                "namespaces" => out.push_bind_param::<Array<Text>, _>(&self.namespaces)?,
                "values" => out.push_bind_param::<Array<Text>, _>(&self.values)?,
                "customer_ref" => out.push_bind_param::<Nullable<Text>, _>(&self.customer_ref)?,
                "call_id" => out.push_bind_param::<Nullable<Text>, _>(&self.call_id)?,
                "credits" => out.push_bind_param::<Bool, _>(&self.credits)?,
                _ => return Ok(false),
            }
            Ok(true)
        })
    }
}

/// A row of [`EVIDENCE_SQL`]: `taken` and the credits (the same on every row), and a
/// piece of evidence unless `kind` is NULL.
#[derive(QueryableByName)]
struct EvidenceRow {
    #[diesel(sql_type = Bool)]
    taken: bool,
    #[diesel(sql_type = Nullable<Text>)]
    credit_plan: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    credit_allowance: Option<i64>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    credit_anchor: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    credit_period_start: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<BigInt>)]
    credit_allowance_left: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    credit_top_up: Option<i64>,
    #[diesel(sql_type = Nullable<Array<SmallInt>>)]
    stripes: Option<Vec<i16>>,
    #[diesel(sql_type = Nullable<Array<Timestamptz>>)]
    stripe_periods: Option<Vec<OffsetDateTime>>,
    #[diesel(sql_type = Nullable<Array<BigInt>>)]
    stripe_allowances: Option<Vec<i64>>,
    #[diesel(sql_type = Nullable<Array<BigInt>>)]
    stripe_top_ups: Option<Vec<i64>>,
    #[diesel(sql_type = Nullable<Text>)]
    kind: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    customer_ref: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    namespace: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    line_type: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    linked_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    first_confirmed_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_confirmed_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    last_attestation: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_unattested_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Integer>)]
    attested_run: Option<i32>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_call_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_open_intent_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    last_open_intent: Option<String>,
}

/// The tenant's credits as a start's read found them (no lock held).
#[derive(Debug, Clone)]
pub(crate) struct CreditRead {
    /// The account (`None`: the tenant has none).
    pub account: Option<CreditAccount>,
    /// Its stripes, in stripe order.
    pub stripes: Vec<Stripe>,
}

/// What a start's read found.
pub(crate) struct StartRead {
    /// Whether a call is stored under the start's id.
    pub taken: bool,
    /// The evidence for its hints.
    pub evidence: Evidence,
    /// The credits, when asked for.
    pub credits: Option<CreditRead>,
}

/// The evidence for `hints`.
pub(crate) async fn evidence(
    conn: &AsyncPgConnection, tenant: Uuid, hints: &IdentityHints,
) -> QueryResult<Evidence> {
    Ok(read(conn, tenant, None, hints, false).await?.evidence)
}

/// Whether a call is stored under `call_id`, the evidence for `hints`, and with
/// `credits` the tenant's credits: one statement.
pub(crate) async fn start_read(
    conn: &AsyncPgConnection, tenant: Uuid, call_id: &CallId, hints: &IdentityHints, credits: bool,
) -> QueryResult<StartRead> {
    read(conn, tenant, Some(call_id), hints, credits).await
}

async fn read(
    mut conn: &AsyncPgConnection, tenant: Uuid, call_id: Option<&CallId>, hints: &IdentityHints,
    credits: bool,
) -> QueryResult<StartRead> {
    let (namespaces, values): (Vec<String>, Vec<String>) = hints
        .external_ids
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .unzip();
    let query = EvidenceQuery {
        tenant,
        e164: hints.phone().map(|p| p.as_e164().to_owned()),
        namespaces,
        values,
        customer_ref: hints.customer_ref.as_ref().map(|c| c.as_str().to_owned()),
        call_id: call_id.map(|c| c.as_str().to_owned()),
        credits,
    };
    let mut rows: Vec<EvidenceRow> = query.load(&mut conn).await?;
    let taken = <[EvidenceRow]>::first(&rows).is_some_and(|r| r.taken);
    let credits = match rows.first_mut() {
        Some(first) if credits => Some(credit_read(first)?),
        _ => None,
    };
    Ok(StartRead {
        taken,
        evidence: assemble(rows)?,
        credits,
    })
}

/// The credits the first row carries (taken out of it).
fn credit_read(row: &mut EvidenceRow) -> QueryResult<CreditRead> {
    let account = match (
        row.credit_plan.take(),
        row.credit_allowance,
        row.credit_anchor,
        row.credit_period_start,
        row.credit_allowance_left,
        row.credit_top_up,
    ) {
        (Some(plan), Some(allowance), Some(anchor), Some(period), Some(left), Some(top_up)) => {
            Some(credits::account_of(
                plan, allowance, anchor, period, left, top_up,
            )?)
        }
        _ => None,
    };
    let numbers = row.stripes.take().unwrap_or_default();
    let periods = row.stripe_periods.take().unwrap_or_default();
    let allowances = row.stripe_allowances.take().unwrap_or_default();
    let top_ups = row.stripe_top_ups.take().unwrap_or_default();
    let stripes = numbers
        .into_iter()
        .zip(periods)
        .zip(allowances.into_iter().zip(top_ups))
        .map(|((stripe, period), (allowance, top_up))| {
            stripes::stripe_of(stripe, period, allowance, top_up)
        })
        .collect::<QueryResult<_>>()?;
    Ok(CreditRead { account, stripes })
}

fn assemble(rows: Vec<EvidenceRow>) -> QueryResult<Evidence> {
    let mut evidence = Evidence::default();
    for row in rows {
        // The row of a read that found no evidence: NULLs beside `taken`.
        let (Some(kind), Some(customer_ref), Some(linked_at)) =
            (row.kind, row.customer_ref, row.linked_at)
        else {
            continue;
        };
        let line_type = line_type_of(row.line_type.as_deref());
        let confirmed = confirmed_of(
            row.first_confirmed_at,
            row.last_confirmed_at,
            row.last_attestation.as_deref(),
            row.last_unattested_at,
            row.attested_run.unwrap_or(0),
        )?;
        evidence.add(
            CustomerRef::from_trusted(customer_ref),
            EvidenceKind::from_row(&kind, row.namespace, line_type, confirmed),
            Timestamp::new(linked_at),
            Activity {
                last_call_at: row.last_call_at.map(Timestamp::new),
                last_open_intent_at: row.last_open_intent_at.map(Timestamp::new),
                last_open_intent: row.last_open_intent,
            },
        );
    }
    Ok(evidence)
}

pub(crate) async fn find_call(
    mut conn: &AsyncPgConnection, tenant: Uuid, call_id: &CallId,
) -> QueryResult<Option<CallRecord>> {
    calls::table
        .filter(calls::tenant_id.eq(tenant))
        .filter(calls::call_id.eq(call_id.as_str()))
        .select(CallRow::as_select())
        .first(&mut conn)
        .await
        .optional()
        .and_then(|row| row.map(CallRow::into_record).transpose())
}
