//! The start's evidence read on SQLite: every link the caller's hints reach, with each
//! candidate's last call and latest open intent, in one statement.

use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use diesel::sqlite::{Sqlite, SqliteConnection};
use stickycalls_domain::identity::{Activity, CustomerRef, Evidence, EvidenceKind, IdentityHints};

use crate::rows::{at, confirmed_of, line_type_of};

/// Raw SQL, the one place: diesel's DSL has no `json_each` (the hints' external ids as
/// a table) and no `UNION ALL` of differently shaped selects with literal kinds.
///
/// `CROSS JOIN` keeps the hints' ids as the outer loop (SQLite never reorders it): each
/// is then one primary-key probe. Left to the planner, a database without `ANALYZE`
/// statistics (every one the server creates) walked all the tenant's external ids for
/// each start instead (`make bench`: 21 starts/s at 100,000 customers).
const EVIDENCE_SQL: &str = "
WITH candidates AS (
    SELECT 'ani' AS kind, p.customer_ref AS customer_ref, NULL AS namespace, p.line_type AS line_type, p.linked_at AS linked_at,
           p.first_confirmed_at AS first_confirmed_at, p.last_confirmed_at AS last_confirmed_at,
           p.last_attestation AS last_attestation, p.last_unattested_at AS last_unattested_at,
           p.attested_run AS attested_run
      FROM customer_phones p
     WHERE p.tenant_id = {tenant} AND p.e164 = {e164}
    UNION ALL
    SELECT 'external', x.customer_ref, x.namespace, NULL, x.linked_at, NULL, NULL, NULL, NULL, 0
      FROM json_each({pairs}) h
      CROSS JOIN customer_external_ids x
     WHERE x.tenant_id = {tenant}
       AND x.namespace = json_extract(h.value, '$[0]') AND x.value = json_extract(h.value, '$[1]')
    UNION ALL
    -- The namespaces of the hints in which the number's people hold an id (no activity
    -- is read for these rows: the person's `ani` row carries it).
    SELECT 'holds', x.customer_ref, x.namespace, NULL, x.linked_at, NULL, NULL, NULL, NULL, 0
      FROM customer_phones p
      CROSS JOIN customer_external_ids x
     WHERE p.tenant_id = {tenant} AND p.e164 = {e164}
       AND x.tenant_id = p.tenant_id AND x.customer_ref = p.customer_ref
       AND x.namespace IN (SELECT json_extract(h.value, '$[0]') FROM json_each({pairs}) h)
    UNION ALL
    SELECT 'named', c.customer_ref, NULL, NULL, c.created_at, NULL, NULL, NULL, NULL, 0
      FROM customers c
     WHERE c.tenant_id = {tenant} AND c.customer_ref = {customer_ref}
)
SELECT k.kind AS kind, k.customer_ref AS customer_ref, k.namespace AS namespace, k.line_type AS line_type,
       k.linked_at AS linked_at, k.first_confirmed_at AS first_confirmed_at,
       k.last_confirmed_at AS last_confirmed_at, k.last_attestation AS last_attestation,
       k.last_unattested_at AS last_unattested_at, k.attested_run AS attested_run,
       CASE WHEN k.kind <> 'holds' THEN
       (SELECT max(started_at) FROM calls WHERE tenant_id = {tenant} AND customer_ref = k.customer_ref) END AS last_call_at,
       CASE WHEN k.kind <> 'holds' THEN
       (SELECT max(last_seen) FROM intents WHERE tenant_id = {tenant} AND customer_ref = k.customer_ref) END AS last_open_intent_at,
       CASE WHEN k.kind <> 'holds' THEN
       (SELECT name FROM intents WHERE tenant_id = {tenant} AND customer_ref = k.customer_ref
         ORDER BY last_seen DESC, name LIMIT 1) END AS last_open_intent
  FROM candidates k";

/// [`EVIDENCE_SQL`] with its parameters. Unlike `sql_query`, which diesel never caches
/// (so every start paid SQLite's parse and plan: a quarter of the server's CPU per
/// start in a profile), this query has a static id: each connection prepares it once.
#[derive(Debug)]
struct EvidenceQuery {
    tenant: String,
    e164: Option<String>,
    pairs: String,
    customer_ref: Option<String>,
}

impl QueryId for EvidenceQuery {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for EvidenceQuery {
    type SqlType = diesel::sql_types::Untyped;
}

impl QueryFragment<Sqlite> for EvidenceQuery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        let mut rest = EVIDENCE_SQL;
        while let Some(open) = rest.find('{') {
            out.push_sql(&rest[..open]);
            let close = open + rest[open..].find('}').unwrap_or(0);
            match &rest[open + 1..close] {
                "tenant" => out.push_bind_param::<Text, _>(&self.tenant)?,
                "e164" => out.push_bind_param::<Nullable<Text>, _>(&self.e164)?,
                "pairs" => out.push_bind_param::<Text, _>(&self.pairs)?,
                "customer_ref" => out.push_bind_param::<Nullable<Text>, _>(&self.customer_ref)?,
                other => {
                    return Err(diesel::result::Error::QueryBuilderError(
                        format!("unknown parameter `{other}` in EVIDENCE_SQL").into(),
                    ));
                }
            }
            rest = &rest[close + 1..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

impl RunQueryDsl<SqliteConnection> for EvidenceQuery {}

#[derive(QueryableByName)]
struct EvidenceRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    customer_ref: String,
    #[diesel(sql_type = Nullable<Text>)]
    namespace: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    line_type: Option<String>,
    #[diesel(sql_type = BigInt)]
    linked_at: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    first_confirmed_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    last_confirmed_at: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    last_attestation: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    last_unattested_at: Option<i64>,
    #[diesel(sql_type = Integer)]
    attested_run: i32,
    #[diesel(sql_type = Nullable<BigInt>)]
    last_call_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    last_open_intent_at: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    last_open_intent: Option<String>,
}

pub(crate) fn evidence(
    c: &mut SqliteConnection, tenant: &str, hints: &IdentityHints,
) -> QueryResult<Evidence> {
    let pairs: Vec<[&str; 2]> = hints
        .external_ids
        .iter()
        .map(|(k, v)| [k.as_str(), v.as_str()])
        .collect();
    let query = EvidenceQuery {
        tenant: tenant.to_owned(),
        e164: hints.phone().map(|p| p.as_e164().to_owned()),
        pairs: serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".into()),
        customer_ref: hints.customer_ref.as_ref().map(|r| r.as_str().to_owned()),
    };
    let rows: Vec<EvidenceRow> = query.load(c)?;
    let mut evidence = Evidence::default();
    for row in rows {
        let line_type = line_type_of(row.line_type.as_deref());
        let confirmed = confirmed_of(
            row.first_confirmed_at,
            row.last_confirmed_at,
            row.last_attestation.as_deref(),
            row.last_unattested_at,
            row.attested_run,
        )?;
        evidence.add(
            CustomerRef::from_trusted(row.customer_ref),
            EvidenceKind::from_row(&row.kind, row.namespace, line_type, confirmed),
            at(row.linked_at),
            Activity {
                last_call_at: row.last_call_at.map(at),
                last_open_intent_at: row.last_open_intent_at.map(at),
                last_open_intent: row.last_open_intent,
            },
        );
    }
    Ok(evidence)
}
