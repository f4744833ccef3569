//! Links a version before encryption wrote in clear, on SQLite: read in key order
//! (scanning the tenant's links, which an embedded store can afford), and moved to
//! their blind indexes in one write transaction per batch: each row copied to its new
//! value (folded into a link already there) and deleted at its old one.

use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use diesel::sqlite::SqliteConnection;
use stickycalls_domain::identity::{CustomerRef, IdentityHints};
use stickycalls_domain::ports::{ClearLink, LinkOf, MovedLink};
use stickycalls_domain::protection::is_index;

use crate::schema::{customer_external_ids, customer_phones};

/// The row at `from` copied to `to`. A customer linked already at `to` keeps one row:
/// the earliest `linked_at` and first confirmation; the rest as the row at `to` has it
/// (its confirmations if it has any, else the moved row's). The same fold as the
/// PostgreSQL store's. In `DO UPDATE SET` a bare column is the row already stored and
/// `excluded.` the row proposed, and an `INSERT ... SELECT` with an upsert needs its
/// `WHERE` to parse (SQLite documentation, "UPSERT", lang_upsert.html).
const COPY_PHONE: &str = "
INSERT INTO customer_phones (tenant_id, e164, customer_ref, line_type, linked_at,
       first_confirmed_at, last_confirmed_at, last_attestation, last_unattested_at,
       attested_run, sealed)
SELECT tenant_id, ?4, customer_ref, line_type, linked_at, first_confirmed_at,
       last_confirmed_at, last_attestation, last_unattested_at, attested_run, ?5
  FROM customer_phones WHERE tenant_id = ?1 AND customer_ref = ?2 AND e164 = ?3
ON CONFLICT (tenant_id, e164, customer_ref) DO UPDATE SET
    linked_at = min(linked_at, excluded.linked_at),
    line_type = coalesce(line_type, excluded.line_type),
    first_confirmed_at = CASE WHEN last_confirmed_at IS NULL THEN excluded.first_confirmed_at
        ELSE min(first_confirmed_at, coalesce(excluded.first_confirmed_at, first_confirmed_at)) END,
    last_attestation = CASE WHEN last_confirmed_at IS NULL THEN excluded.last_attestation
        ELSE last_attestation END,
    last_unattested_at = CASE WHEN last_confirmed_at IS NULL THEN excluded.last_unattested_at
        ELSE last_unattested_at END,
    attested_run = CASE WHEN last_confirmed_at IS NULL THEN excluded.attested_run
        ELSE attested_run END,
    last_confirmed_at = coalesce(last_confirmed_at, excluded.last_confirmed_at),
    sealed = coalesce(sealed, excluded.sealed)";

/// The same for an external id: the earliest `linked_at`, the sealed copy already there.
const COPY_EXTERNAL_ID: &str = "
INSERT INTO customer_external_ids (tenant_id, namespace, value, customer_ref, linked_at, sealed)
SELECT tenant_id, namespace, ?5, customer_ref, linked_at, ?6
  FROM customer_external_ids
 WHERE tenant_id = ?1 AND customer_ref = ?2 AND namespace = ?3 AND value = ?4
ON CONFLICT (tenant_id, namespace, value, customer_ref) DO UPDATE SET
    linked_at = min(linked_at, excluded.linked_at),
    sealed = coalesce(sealed, excluded.sealed)";

fn link(customer: String, of: LinkOf, value: String) -> ClearLink {
    ClearLink {
        customer: CustomerRef::from_trusted(customer),
        of,
        value,
    }
}

/// Up to `limit` links in clear: numbers first, then external ids.
pub(crate) fn links_in_clear(
    c: &mut SqliteConnection, tenant: &str, limit: usize,
) -> QueryResult<Vec<ClearLink>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let phones: Vec<(String, String)> = customer_phones::table
        .filter(customer_phones::tenant_id.eq(tenant))
        .filter(customer_phones::e164.not_like("bi1.%"))
        .order((customer_phones::e164, customer_phones::customer_ref))
        .limit(limit)
        .select((customer_phones::customer_ref, customer_phones::e164))
        .load(c)?;
    let mut found: Vec<ClearLink> = phones
        .into_iter()
        .map(|(customer, e164)| link(customer, LinkOf::Phone, e164))
        .collect();
    let rest = limit - i64::try_from(found.len()).unwrap_or(limit);
    if rest > 0 {
        let ids: Vec<(String, String, String)> = customer_external_ids::table
            .filter(customer_external_ids::tenant_id.eq(tenant))
            .filter(customer_external_ids::value.not_like("bi1.%"))
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
            .load(c)?;
        found.extend(
            ids.into_iter()
                .map(|(customer, ns, value)| link(customer, LinkOf::External(ns), value)),
        );
    }
    Ok(found)
}

/// The links to the number and external ids of `hints` whose value is in clear.
pub(crate) fn clear_links_to(
    c: &mut SqliteConnection, tenant: &str, hints: &IdentityHints,
) -> QueryResult<Vec<ClearLink>> {
    let mut found = Vec::new();
    if let Some(phone) = hints.phone() {
        let customers: Vec<String> = customer_phones::table
            .filter(customer_phones::tenant_id.eq(tenant))
            .filter(customer_phones::e164.eq(phone.as_e164()))
            .select(customer_phones::customer_ref)
            .load(c)?;
        found.extend(
            customers
                .into_iter()
                .map(|customer| link(customer, LinkOf::Phone, phone.as_e164().to_owned())),
        );
    }
    for (ns, value) in &hints.external_ids {
        let customers: Vec<String> = customer_external_ids::table
            .filter(customer_external_ids::tenant_id.eq(tenant))
            .filter(customer_external_ids::namespace.eq(ns))
            .filter(customer_external_ids::value.eq(value))
            .select(customer_external_ids::customer_ref)
            .load(c)?;
        found.extend(
            customers
                .into_iter()
                .map(|customer| link(customer, LinkOf::External(ns.clone()), value.clone())),
        );
    }
    found.retain(|l| !is_index(&l.value));
    Ok(found)
}

/// Moves each link still at its `from` to its `to`, in one write transaction.
pub(crate) fn move_links(
    c: &mut SqliteConnection, tenant: &str, moves: &[MovedLink],
) -> QueryResult<usize> {
    c.immediate_transaction(|c| {
        let mut moved = 0;
        for m in moves {
            let customer = m.customer.as_str();
            moved += match &m.of {
                LinkOf::Phone => {
                    diesel::sql_query(COPY_PHONE)
                        .bind::<Text, _>(tenant)
                        .bind::<Text, _>(customer)
                        .bind::<Text, _>(&m.from)
                        .bind::<Text, _>(&m.to)
                        .bind::<Nullable<Text>, _>(&m.sealed)
                        .execute(c)?;
                    diesel::delete(
                        customer_phones::table
                            .filter(customer_phones::tenant_id.eq(tenant))
                            .filter(customer_phones::customer_ref.eq(customer))
                            .filter(customer_phones::e164.eq(&m.from)),
                    )
                    .execute(c)?
                }
                LinkOf::External(ns) => {
                    diesel::sql_query(COPY_EXTERNAL_ID)
                        .bind::<Text, _>(tenant)
                        .bind::<Text, _>(customer)
                        .bind::<Text, _>(ns)
                        .bind::<Text, _>(&m.from)
                        .bind::<Text, _>(&m.to)
                        .bind::<Nullable<Text>, _>(&m.sealed)
                        .execute(c)?;
                    diesel::delete(
                        customer_external_ids::table
                            .filter(customer_external_ids::tenant_id.eq(tenant))
                            .filter(customer_external_ids::customer_ref.eq(customer))
                            .filter(customer_external_ids::namespace.eq(ns))
                            .filter(customer_external_ids::value.eq(&m.from)),
                    )
                    .execute(c)?
                }
            };
        }
        Ok(moved)
    })
}
