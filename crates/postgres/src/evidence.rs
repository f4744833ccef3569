//! The hot read of every start: the call under its id, and the evidence for its hints,
//! sent together (pipelined) in one round trip.

use diesel::prelude::*;
use diesel::sql_types::{Array, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::Timestamp;
use stickycalls_domain::calls::{CallId, CallRecord};
use stickycalls_domain::identity::{Activity, AniLink, CustomerRef, Evidence, IdentityHints};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::rows::{CallRow, line_type_of};
use crate::schema::calls;

/// Every stored fact bearing on a set of hints, with each candidate's activity.
const EVIDENCE_SQL: &str = "
WITH candidates AS (
    SELECT 'ani'::text AS kind, p.customer_ref, NULL::text AS namespace, p.line_type, p.linked_at
      FROM customer_phones p
     WHERE p.tenant_id = $1 AND p.e164 = $2
    UNION ALL
    SELECT 'external', x.customer_ref, x.namespace, NULL, x.linked_at
      FROM customer_external_ids x
      JOIN unnest($3::text[], $4::text[]) AS h(namespace, value)
        ON x.namespace = h.namespace AND x.value = h.value
     WHERE x.tenant_id = $1
    UNION ALL
    SELECT 'named', c.customer_ref, NULL, NULL, c.created_at
      FROM customers c
     WHERE c.tenant_id = $1 AND c.customer_ref = $5
)
SELECT k.kind, k.customer_ref, k.namespace, k.line_type, k.linked_at,
       (SELECT max(started_at) FROM calls
         WHERE tenant_id = $1 AND customer_ref = k.customer_ref) AS last_call_at,
       (SELECT max(last_seen) FROM intents
         WHERE tenant_id = $1 AND customer_ref = k.customer_ref) AS last_open_intent_at
  FROM candidates k";

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
    #[diesel(sql_type = Timestamptz)]
    linked_at: OffsetDateTime,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_call_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_open_intent_at: Option<OffsetDateTime>,
}

pub(crate) async fn evidence(
    mut conn: &AsyncPgConnection,
    tenant: Uuid,
    hints: &IdentityHints,
) -> QueryResult<Evidence> {
    let (namespaces, values): (Vec<String>, Vec<String>) = hints
        .external_ids
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .unzip();
    let rows: Vec<EvidenceRow> = diesel::sql_query(EVIDENCE_SQL)
        .bind::<SqlUuid, _>(tenant)
        .bind::<Nullable<Text>, _>(hints.phone().map(|p| p.as_e164().to_owned()))
        .bind::<Array<Text>, _>(namespaces)
        .bind::<Array<Text>, _>(values)
        .bind::<Nullable<Text>, _>(hints.customer_ref.as_ref().map(|c| c.as_str().to_owned()))
        .load(&mut conn)
        .await?;
    Ok(assemble(rows))
}

fn assemble(rows: Vec<EvidenceRow>) -> Evidence {
    let mut evidence = Evidence::default();
    for row in rows {
        let customer = CustomerRef::from_trusted(row.customer_ref);
        evidence.activity.insert(
            customer.clone(),
            Activity {
                last_call_at: row.last_call_at.map(Timestamp::new),
                last_open_intent_at: row.last_open_intent_at.map(Timestamp::new),
            },
        );
        match row.kind.as_str() {
            "ani" => evidence.ani_links.push(AniLink {
                customer,
                line_type: line_type_of(row.line_type.as_deref()),
                linked_at: Timestamp::new(row.linked_at),
            }),
            "external" => evidence
                .external_matches
                .push((row.namespace.unwrap_or_default(), customer)),
            _ => evidence.named_customer = Some(customer),
        }
    }
    evidence
}

pub(crate) async fn find_call(
    mut conn: &AsyncPgConnection,
    tenant: Uuid,
    call_id: &CallId,
) -> QueryResult<Option<CallRecord>> {
    calls::table
        .filter(calls::tenant_id.eq(tenant))
        .filter(calls::call_id.eq(call_id.as_str()))
        .select(CallRow::as_select())
        .first(&mut conn)
        .await
        .optional()
        .map(|row| row.map(CallRow::into_record))
}
