//! Customers and the hints linked to them.

use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::Timestamp;
use stickycalls_domain::identity::{Attestation, Confirmed, CustomerRef, IdentityHints, LineType};
use stickycalls_domain::protection::SealedLinks;
use uuid::Uuid;

use crate::rows::line_type_text;
use crate::schema::{customer_external_ids, customer_phones, customers};

diesel::define_sql_function! {
    /// SQL's `coalesce` of two values: the first unless it is null.
    fn coalesce<T: diesel::sql_types::SingleValue>(
        first: diesel::sql_types::Nullable<T>, second: diesel::sql_types::Nullable<T>,
    ) -> diesel::sql_types::Nullable<T>;
}

/// Creates the customer unless it exists.
pub(crate) async fn ensure_customer(
    mut conn: &AsyncPgConnection, tenant: Uuid, customer: &CustomerRef, at: Timestamp,
) -> QueryResult<()> {
    diesel::insert_into(customers::table)
        .values((
            customers::tenant_id.eq(tenant),
            customers::customer_ref.eq(customer.as_str()),
            customers::created_at.eq(at.get()),
        ))
        .on_conflict_do_nothing()
        .execute(&mut conn)
        .await
        .map(|_| ())
}

/// Records an agent's confirmation on the ANI's link to the customer (made by
/// [`link_hints`] just before): the latest time replaces what is stored, the
/// attestation and the unattested call's time only where the confirmation has them,
/// the first time only where none is stored, the run of vouching confirmations one
/// longer or ended ([`Confirmed::after`]).
pub(crate) async fn confirm_link(
    mut conn: &AsyncPgConnection, tenant: Uuid, customer: &CustomerRef, hints: &IdentityHints,
    confirmed: Confirmed,
) -> QueryResult<()> {
    let Some(phone) = hints.phone() else {
        return Ok(());
    };
    let link = customer_phones::table
        .filter(customer_phones::tenant_id.eq(tenant))
        .filter(customer_phones::e164.eq(phone.as_e164()))
        .filter(customer_phones::customer_ref.eq(customer.as_str()));
    diesel::update(link)
        .set((
            customer_phones::last_confirmed_at.eq(confirmed.last_at.get()),
            customer_phones::last_attestation.eq(coalesce(
                confirmed.attestation.map(Attestation::as_str),
                customer_phones::last_attestation,
            )),
            customer_phones::last_unattested_at.eq(coalesce(
                confirmed.unattested_at.map(Timestamp::get),
                customer_phones::last_unattested_at,
            )),
            // The plan's run is 1 (a vouching call: one more) or 0 (the run ends).
            customer_phones::attested_run
                .eq((customer_phones::attested_run + 1) * i32::from(confirmed.attested_run > 0)),
        ))
        .execute(&mut conn)
        .await?;
    diesel::update(link.filter(customer_phones::first_confirmed_at.is_null()))
        .set(customer_phones::first_confirmed_at.eq(confirmed.first_at.get()))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// Links the hints' ANI and external ids (their blind indexes) to the customer
/// (idempotent), with their `sealed` copies, which replace any stored. A known line
/// type is remembered for the number; `unknown` never overwrites one. Both inserts go
/// out together (pipelined: one round trip).
pub(crate) async fn link_hints(
    conn: &AsyncPgConnection, tenant: Uuid, customer: &CustomerRef, hints: &IdentityHints,
    sealed: &SealedLinks, line_type: Option<LineType>, at: Timestamp,
) -> QueryResult<()> {
    let (mut phone_conn, mut ids_conn) = (conn, conn);
    let phone = async {
        let Some(phone) = hints.phone() else {
            return Ok(0);
        };
        let known = LineType::to_remember(line_type);
        let insert = diesel::insert_into(customer_phones::table).values((
            customer_phones::tenant_id.eq(tenant),
            customer_phones::e164.eq(phone.as_e164()),
            customer_phones::customer_ref.eq(customer.as_str()),
            customer_phones::line_type.eq(line_type_text(known)),
            customer_phones::linked_at.eq(at.get()),
            customer_phones::sealed.eq(sealed.phone.as_deref()),
        ));
        if known.is_some() || sealed.phone.is_some() {
            insert
                .on_conflict(customer_phones::table.primary_key())
                .do_update()
                .set((
                    customer_phones::line_type.eq(coalesce(
                        excluded(customer_phones::line_type),
                        customer_phones::line_type,
                    )),
                    customer_phones::sealed.eq(coalesce(
                        excluded(customer_phones::sealed),
                        customer_phones::sealed,
                    )),
                ))
                .execute(&mut phone_conn)
                .await
        } else {
            insert
                .on_conflict_do_nothing()
                .execute(&mut phone_conn)
                .await
        }
    };
    let rows: Vec<_> = hints
        .external_ids
        .iter()
        .map(|(namespace, value)| {
            (
                customer_external_ids::tenant_id.eq(tenant),
                customer_external_ids::namespace.eq(namespace.as_str()),
                customer_external_ids::value.eq(value.as_str()),
                customer_external_ids::customer_ref.eq(customer.as_str()),
                customer_external_ids::linked_at.eq(at.get()),
                customer_external_ids::sealed.eq(sealed.external_ids.get(namespace).cloned()),
            )
        })
        .collect();
    let ids = async {
        if rows.is_empty() {
            return Ok(0);
        }
        diesel::insert_into(customer_external_ids::table)
            .values(rows)
            .on_conflict(customer_external_ids::table.primary_key())
            .do_update()
            .set(customer_external_ids::sealed.eq(coalesce(
                excluded(customer_external_ids::sealed),
                customer_external_ids::sealed,
            )))
            .execute(&mut ids_conn)
            .await
    };
    futures_util::try_join!(phone, ids).map(|_| ())
}
