//! Links a version before encryption wrote in clear, on PostgreSQL: found through the
//! partial indexes `customer_phones_in_clear` and `customer_external_ids_in_clear`, and
//! moved to their blind indexes one statement per table: the rows deleted at their old
//! value and inserted at the new one in a data-modifying `WITH`, so a link is at one
//! value or the other, never at both and never at neither. The sub-statements of a `WITH`
//! run on one snapshot and cannot see one another's effects (PostgreSQL documentation,
//! 7.8.4 "Data-Modifying Statements in WITH"): the `DELETE` and the `INSERT` touch
//! different rows (an index is never a value in clear), so nothing here relies on that.

use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::identity::{CustomerRef, IdentityHints};
use stickycalls_domain::ports::{ClearLink, LinkOf, MovedLink};
use uuid::Uuid;

use crate::schema::{customer_external_ids, customer_phones};

/// A customer linked already at the moved number's index (linked by a lookup since)
/// keeps one row: the earliest `linked_at` and first confirmation; the rest as the row
/// at the index has it (its confirmations if it has any, else the moved row's).
const MOVE_PHONES: &str = "
WITH m AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
        AS m(customer_ref, from_value, to_value, sealed)
), moved AS (
    DELETE FROM customer_phones p USING m
     WHERE p.tenant_id = $1 AND p.customer_ref = m.customer_ref AND p.e164 = m.from_value
    RETURNING p.*, m.to_value, m.sealed AS moved_sealed
)
INSERT INTO customer_phones AS p (tenant_id, e164, customer_ref, line_type, linked_at,
       first_confirmed_at, last_confirmed_at, last_attestation, last_unattested_at,
       attested_run, sealed)
SELECT tenant_id, to_value, customer_ref, line_type, linked_at, first_confirmed_at,
       last_confirmed_at, last_attestation, last_unattested_at, attested_run, moved_sealed
  FROM moved
ON CONFLICT (tenant_id, e164, customer_ref) DO UPDATE SET
    linked_at = LEAST(p.linked_at, EXCLUDED.linked_at),
    line_type = COALESCE(p.line_type, EXCLUDED.line_type),
    first_confirmed_at = CASE WHEN p.last_confirmed_at IS NULL THEN EXCLUDED.first_confirmed_at
                              ELSE LEAST(p.first_confirmed_at, EXCLUDED.first_confirmed_at) END,
    last_confirmed_at = COALESCE(p.last_confirmed_at, EXCLUDED.last_confirmed_at),
    last_attestation = CASE WHEN p.last_confirmed_at IS NULL THEN EXCLUDED.last_attestation
                            ELSE p.last_attestation END,
    last_unattested_at = CASE WHEN p.last_confirmed_at IS NULL THEN EXCLUDED.last_unattested_at
                              ELSE p.last_unattested_at END,
    attested_run = CASE WHEN p.last_confirmed_at IS NULL THEN EXCLUDED.attested_run
                        ELSE p.attested_run END,
    sealed = COALESCE(p.sealed, EXCLUDED.sealed)";

/// The same for external ids: the earliest `linked_at`, the sealed copy already there.
const MOVE_EXTERNAL_IDS: &str = "
WITH m AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
        AS m(customer_ref, namespace, from_value, to_value, sealed)
), moved AS (
    DELETE FROM customer_external_ids x USING m
     WHERE x.tenant_id = $1 AND x.namespace = m.namespace AND x.value = m.from_value
       AND x.customer_ref = m.customer_ref
    RETURNING x.tenant_id, x.namespace, x.customer_ref, x.linked_at, m.to_value,
              m.sealed AS moved_sealed
)
INSERT INTO customer_external_ids AS x (tenant_id, namespace, value, customer_ref, linked_at, sealed)
SELECT tenant_id, namespace, to_value, customer_ref, linked_at, moved_sealed FROM moved
ON CONFLICT (tenant_id, namespace, value, customer_ref) DO UPDATE SET
    linked_at = LEAST(x.linked_at, EXCLUDED.linked_at),
    sealed = COALESCE(x.sealed, EXCLUDED.sealed)";

/// The links to the hints' number and external ids, whatever their value's form (the
/// caller keeps those in clear).
const LINKS_TO: &str = "
SELECT NULL::text AS namespace, e164 AS value, customer_ref FROM customer_phones
 WHERE tenant_id = $1 AND e164 = $2
UNION ALL
SELECT x.namespace, x.value, x.customer_ref FROM customer_external_ids x
  JOIN unnest($3::text[], $4::text[]) AS h(namespace, value)
    ON x.namespace = h.namespace AND x.value = h.value
 WHERE x.tenant_id = $1";

#[derive(QueryableByName)]
struct LinkRow {
    #[diesel(sql_type = Nullable<Text>)]
    namespace: Option<String>,
    #[diesel(sql_type = Text)]
    value: String,
    #[diesel(sql_type = Text)]
    customer_ref: String,
}

fn link(customer: String, of: LinkOf, value: String) -> ClearLink {
    ClearLink {
        customer: CustomerRef::from_trusted(customer),
        of,
        value,
    }
}

/// Up to `limit` links in clear: numbers first, then external ids.
pub(crate) async fn links_in_clear(
    mut conn: &AsyncPgConnection, tenant: Uuid, limit: usize,
) -> QueryResult<Vec<ClearLink>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    // Literals, as the partial indexes say them (a bound pattern would not use them).
    let phones: Vec<(String, String)> = customer_phones::table
        .filter(customer_phones::tenant_id.eq(tenant))
        .filter(diesel::dsl::sql::<Bool>("e164 NOT LIKE 'bi1.%'"))
        .order((customer_phones::e164, customer_phones::customer_ref))
        .limit(limit)
        .select((customer_phones::customer_ref, customer_phones::e164))
        .load(&mut conn)
        .await?;
    let mut found: Vec<ClearLink> = phones
        .into_iter()
        .map(|(customer, e164)| link(customer, LinkOf::Phone, e164))
        .collect();
    let rest = limit - i64::try_from(found.len()).unwrap_or(limit);
    if rest > 0 {
        let ids: Vec<(String, String, String)> = customer_external_ids::table
            .filter(customer_external_ids::tenant_id.eq(tenant))
            .filter(diesel::dsl::sql::<Bool>("value NOT LIKE 'bi1.%'"))
            .order((
                customer_external_ids::namespace,
                customer_external_ids::value,
                customer_external_ids::customer_ref,
            ))
            .limit(rest)
            .select((
                customer_external_ids::customer_ref,
                customer_external_ids::namespace,
                customer_external_ids::value,
            ))
            .load(&mut conn)
            .await?;
        found.extend(
            ids.into_iter()
                .map(|(customer, ns, value)| link(customer, LinkOf::External(ns), value)),
        );
    }
    Ok(found)
}

/// The links to the number and external ids of `hints` whose value is in clear.
pub(crate) async fn clear_links_to(
    mut conn: &AsyncPgConnection, tenant: Uuid, hints: &IdentityHints,
) -> QueryResult<Vec<ClearLink>> {
    let (namespaces, values): (Vec<String>, Vec<String>) = hints
        .external_ids
        .iter()
        .map(|(ns, v)| (ns.clone(), v.clone()))
        .unzip();
    let rows: Vec<LinkRow> = diesel::sql_query(LINKS_TO)
        .bind::<SqlUuid, _>(tenant)
        .bind::<Nullable<Text>, _>(hints.phone().map(|p| p.as_e164().to_owned()))
        .bind::<Array<Text>, _>(namespaces)
        .bind::<Array<Text>, _>(values)
        .load(&mut conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|row| !stickycalls_domain::protection::is_index(&row.value))
        .map(|row| {
            let of = row.namespace.map_or(LinkOf::Phone, LinkOf::External);
            link(row.customer_ref, of, row.value)
        })
        .collect())
}

/// Moves each link still at its `from` to its `to`, both tables in one transaction.
pub(crate) async fn move_links(
    conn: &mut AsyncPgConnection, tenant: Uuid, moves: Vec<MovedLink>,
) -> QueryResult<usize> {
    let mut phones: [Vec<Option<String>>; 4] = Default::default();
    let mut ids: [Vec<Option<String>>; 5] = Default::default();
    for m in moves {
        let customer = Some(m.customer.as_str().to_owned());
        match m.of {
            LinkOf::Phone => {
                for (column, value) in
                    phones
                        .iter_mut()
                        .zip([customer, Some(m.from), Some(m.to), m.sealed])
                {
                    column.push(value);
                }
            }
            LinkOf::External(ns) => {
                for (column, value) in
                    ids.iter_mut()
                        .zip([customer, Some(ns), Some(m.from), Some(m.to), m.sealed])
                {
                    column.push(value);
                }
            }
        }
    }
    conn.transaction(async move |conn| -> QueryResult<usize> {
        let mut moved = 0;
        if !phones[0].is_empty() {
            let [customer, from, to, sealed] = phones;
            moved += diesel::sql_query(MOVE_PHONES)
                .bind::<SqlUuid, _>(tenant)
                .bind::<Array<Nullable<Text>>, _>(customer)
                .bind::<Array<Nullable<Text>>, _>(from)
                .bind::<Array<Nullable<Text>>, _>(to)
                .bind::<Array<Nullable<Text>>, _>(sealed)
                .execute(conn)
                .await?;
        }
        if !ids[0].is_empty() {
            let [customer, namespace, from, to, sealed] = ids;
            moved += diesel::sql_query(MOVE_EXTERNAL_IDS)
                .bind::<SqlUuid, _>(tenant)
                .bind::<Array<Nullable<Text>>, _>(customer)
                .bind::<Array<Nullable<Text>>, _>(namespace)
                .bind::<Array<Nullable<Text>>, _>(from)
                .bind::<Array<Nullable<Text>>, _>(to)
                .bind::<Array<Nullable<Text>>, _>(sealed)
                .execute(conn)
                .await?;
        }
        Ok(moved)
    })
    .await
}
