//! A link's sealed copy replaced by the copy a data key rotation re-sealed, where the
//! link still holds the copy it read (compare-and-set), every link in one write
//! transaction. The same statements as PostgreSQL's, for this schema.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use stickycalls_domain::ports::{LinkOf, ResealedLink};

use crate::schema::{customer_external_ids, customer_phones};

/// Replaces each link's copy still at its `was`; how many were replaced.
pub(crate) fn reseal_links(
    c: &mut SqliteConnection, tenant: &str, links: &[ResealedLink],
) -> QueryResult<usize> {
    c.immediate_transaction(|c| {
        let mut replaced = 0;
        for link in links {
            let customer = link.customer.as_str();
            replaced += match &link.of {
                LinkOf::Phone => diesel::update(
                    customer_phones::table
                        .filter(customer_phones::tenant_id.eq(tenant))
                        .filter(customer_phones::customer_ref.eq(customer))
                        .filter(customer_phones::e164.eq(&link.index))
                        .filter(customer_phones::sealed.eq(&link.was)),
                )
                .set(customer_phones::sealed.eq(&link.sealed))
                .execute(c)?,
                LinkOf::External(ns) => diesel::update(
                    customer_external_ids::table
                        .filter(customer_external_ids::tenant_id.eq(tenant))
                        .filter(customer_external_ids::customer_ref.eq(customer))
                        .filter(customer_external_ids::namespace.eq(ns))
                        .filter(customer_external_ids::value.eq(&link.index))
                        .filter(customer_external_ids::sealed.eq(&link.was)),
                )
                .set(customer_external_ids::sealed.eq(&link.sealed))
                .execute(c)?,
            };
        }
        Ok(replaced)
    })
}
