//! The hot read of every start, one statement: whether a call is stored under its id,
//! and the evidence for its hints. A start whose id is taken (a retry, rare) reads the
//! stored call with a second one.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::Timestamp;
use stickycalls_domain::calls::{CallId, CallRecord};
use stickycalls_domain::identity::{Activity, CustomerRef, Evidence, EvidenceKind, IdentityHints};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::rows::{CallRow, confirmed_of, line_type_of};
use crate::schema::calls;

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
-- One row at least: the call id's row joined to each piece of evidence (none: NULLs).
SELECT t.taken, e.*
  FROM (SELECT EXISTS (SELECT 1 FROM calls WHERE tenant_id = {tenant} AND call_id = {call_id})
          AS taken) t
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
}

impl QueryId for EvidenceQuery {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for EvidenceQuery {
    type SqlType = diesel::sql_types::Untyped;
}

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
                _ => return Ok(false),
            }
            Ok(true)
        })
    }
}

/// A row of [`EVIDENCE_SQL`]: `taken`, and a piece of evidence unless `kind` is NULL.
#[derive(QueryableByName)]
struct EvidenceRow {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    taken: bool,
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

/// The evidence for `hints`.
pub(crate) async fn evidence(
    conn: &AsyncPgConnection, tenant: Uuid, hints: &IdentityHints,
) -> QueryResult<Evidence> {
    Ok(read(conn, tenant, None, hints).await?.1)
}

/// Whether a call is stored under `call_id`, and the evidence for `hints`: one
/// statement.
pub(crate) async fn taken_and_evidence(
    conn: &AsyncPgConnection, tenant: Uuid, call_id: &CallId, hints: &IdentityHints,
) -> QueryResult<(bool, Evidence)> {
    read(conn, tenant, Some(call_id), hints).await
}

async fn read(
    mut conn: &AsyncPgConnection, tenant: Uuid, call_id: Option<&CallId>, hints: &IdentityHints,
) -> QueryResult<(bool, Evidence)> {
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
    };
    let rows: Vec<EvidenceRow> = query.load(&mut conn).await?;
    let taken = <[EvidenceRow]>::first(&rows).is_some_and(|r| r.taken);
    Ok((taken, assemble(rows)?))
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
