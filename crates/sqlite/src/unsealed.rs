//! `UnsealedStore` on SQLite: variables and calls' hints in clear, read in key order,
//! and replaced by their sealed form in one short write transaction per batch, each
//! row only if it is still as it was read. No partial index finds them (as PostgreSQL's
//! do): SQLite's may not hold a table-valued function such as `json_each` in its WHERE
//! clause (SQLite documentation, "Partial Indexes", 1.1), so the tenant's rows are
//! scanned, which an embedded store can afford.

use diesel::prelude::*;
use diesel::sql_types::Bool;
use stickycalls_domain::StoreError;
use stickycalls_domain::calls::CallRecord;
use stickycalls_domain::identity::{CustomerRef, IdentityHints};
use stickycalls_domain::ports::{
    ClearLink, MovedLink, ResealedLink, SealedCall, SealedVariable, UnsealedStore, UnsealedVariable,
};
use stickycalls_domain::tenant::TenantId;

use crate::errors::from_diesel;
use crate::pool::SqliteStore;
use crate::rows::CallRow;
use crate::schema::{calls, variables};

/// A call whose number, dialled number or an external id is in clear.
const HINTS_IN_CLEAR: &str = "(dnis IS NOT NULL OR (ani IS NOT NULL AND ani NOT LIKE 'bi1.%') \
     OR EXISTS (SELECT 1 FROM json_each(external_ids) AS id WHERE id.value NOT LIKE 'bi1.%'))";
use crate::tenant_key;

impl UnsealedStore for SqliteStore {
    async fn unsealed_variables(
        &self, tenant: &TenantId, limit: usize,
    ) -> Result<Vec<UnsealedVariable>, StoreError> {
        let tenant = tenant_key(tenant);
        let rows: Vec<(String, String, String, Option<String>)> = self
            .run(move |c| {
                variables::table
                    .filter(variables::tenant_id.eq(tenant))
                    .filter(variables::value.not_like("sc1.%"))
                    .order((variables::customer_ref, variables::key))
                    .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                    .select((
                        variables::customer_ref,
                        variables::key,
                        variables::value,
                        variables::source,
                    ))
                    .load(c)
                    .map_err(from_diesel)
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|(customer, key, value, source)| UnsealedVariable {
                customer: CustomerRef::from_trusted(customer),
                key,
                value,
                source,
            })
            .collect())
    }

    async fn seal_variables(
        &self, tenant: &TenantId, sealed: Vec<SealedVariable>,
    ) -> Result<usize, StoreError> {
        let tenant = tenant_key(tenant);
        self.write(move |c| {
            c.immediate_transaction(|c| {
                sealed.iter().try_fold(0, |n, row| {
                    Ok(n + diesel::update(
                        variables::table
                            .filter(variables::tenant_id.eq(&tenant))
                            .filter(variables::customer_ref.eq(row.customer.as_str()))
                            .filter(variables::key.eq(&row.key))
                            .filter(variables::value.eq(&row.was)),
                    )
                    .set((
                        variables::value.eq(&row.value),
                        variables::source.eq(&row.source),
                    ))
                    .execute(c)?)
                })
            })
            .map_err(from_diesel)
        })
        .await
    }

    async fn unsealed_calls(
        &self, tenant: &TenantId, limit: usize,
    ) -> Result<Vec<CallRecord>, StoreError> {
        let tenant = tenant_key(tenant);
        self.run(move |c| {
            let rows: Vec<CallRow> = calls::table
                .filter(calls::tenant_id.eq(tenant))
                .filter(diesel::dsl::sql::<Bool>(HINTS_IN_CLEAR))
                .order(calls::call_id)
                .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                .select(CallRow::as_select())
                .load(c)
                .map_err(from_diesel)?;
            rows.into_iter()
                .map(CallRow::into_record)
                .collect::<diesel::QueryResult<_>>()
                .map_err(from_diesel)
        })
        .await
    }

    async fn seal_calls(
        &self, tenant: &TenantId, sealed: Vec<SealedCall>,
    ) -> Result<usize, StoreError> {
        let tenant = tenant_key(tenant);
        self.write(move |c| {
            c.immediate_transaction(|c| {
                sealed.iter().try_fold(0, |n, SealedCall { was, now }| {
                    let (was, now) = (CallRow::new(was), CallRow::new(now));
                    Ok(n + diesel::update(
                        calls::table
                            .filter(calls::tenant_id.eq(&tenant))
                            .filter(calls::call_id.eq(&was.call_id))
                            .filter(calls::ani.is(&was.ani))
                            .filter(calls::dnis.is(&was.dnis))
                            .filter(calls::external_ids.eq(&was.external_ids))
                            .filter(calls::hints_sealed.is(&was.hints_sealed)),
                    )
                    .set((
                        calls::ani.eq(&now.ani),
                        calls::dnis.eq(&now.dnis),
                        calls::external_ids.eq(&now.external_ids),
                        calls::hints_sealed.eq(&now.hints_sealed),
                    ))
                    .execute(c)?)
                })
            })
            .map_err(from_diesel)
        })
        .await
    }

    async fn links_in_clear(
        &self, tenant: &TenantId, limit: usize,
    ) -> Result<Vec<ClearLink>, StoreError> {
        let tenant = tenant_key(tenant);
        self.run(move |c| {
            crate::clear_links::links_in_clear(c, &tenant, limit).map_err(from_diesel)
        })
        .await
    }

    async fn clear_links_to(
        &self, tenant: &TenantId, hints: &IdentityHints,
    ) -> Result<Vec<ClearLink>, StoreError> {
        let (tenant, hints) = (tenant_key(tenant), hints.clone());
        self.run(move |c| {
            crate::clear_links::clear_links_to(c, &tenant, &hints).map_err(from_diesel)
        })
        .await
    }

    async fn move_links(
        &self, tenant: &TenantId, moves: Vec<MovedLink>,
    ) -> Result<usize, StoreError> {
        let tenant = tenant_key(tenant);
        self.write(move |c| crate::clear_links::move_links(c, &tenant, &moves).map_err(from_diesel))
            .await
    }

    async fn reseal_links(
        &self, tenant: &TenantId, links: Vec<ResealedLink>,
    ) -> Result<usize, StoreError> {
        let tenant = tenant_key(tenant);
        self.write(move |c| {
            crate::reseal_links::reseal_links(c, &tenant, &links).map_err(from_diesel)
        })
        .await
    }
}
