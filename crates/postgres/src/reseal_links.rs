//! A link's sealed copy replaced by the copy a data key rotation re-sealed, where the
//! link still holds the copy it read (compare-and-set), every link in one transaction.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::ports::{LinkOf, ResealedLink};
use uuid::Uuid;

use crate::schema::{customer_external_ids, customer_phones};

/// Replaces each link's copy still at its `was`; how many were replaced.
pub(crate) async fn reseal_links(
    conn: &mut AsyncPgConnection, tenant: Uuid, links: Vec<ResealedLink>,
) -> QueryResult<usize> {
    conn.transaction(async move |mut conn| -> QueryResult<usize> {
        let mut replaced = 0;
        for link in &links {
            let customer = link.customer.as_str();
            replaced += match &link.of {
                LinkOf::Phone => {
                    diesel::update(
                        customer_phones::table
                            .filter(customer_phones::tenant_id.eq(tenant))
                            .filter(customer_phones::customer_ref.eq(customer))
                            .filter(customer_phones::e164.eq(&link.index))
                            .filter(customer_phones::sealed.eq(&link.was)),
                    )
                    .set(customer_phones::sealed.eq(&link.sealed))
                    .execute(&mut conn)
                    .await?
                }
                LinkOf::External(ns) => {
                    diesel::update(
                        customer_external_ids::table
                            .filter(customer_external_ids::tenant_id.eq(tenant))
                            .filter(customer_external_ids::customer_ref.eq(customer))
                            .filter(customer_external_ids::namespace.eq(ns))
                            .filter(customer_external_ids::value.eq(&link.index))
                            .filter(customer_external_ids::sealed.eq(&link.was)),
                    )
                    .set(customer_external_ids::sealed.eq(&link.sealed))
                    .execute(&mut conn)
                    .await?
                }
            };
        }
        Ok(replaced)
    })
    .await
}
