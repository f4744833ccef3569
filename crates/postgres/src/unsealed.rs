//! `UnsealedStore` on PostgreSQL: variables and calls' hints in clear, found through
//! partial indexes that hold only such rows (empty once the sealing is done, so a run
//! that finds nothing reads nothing), and replaced by their sealed form in one
//! transaction per batch, each row only if it is still as it was read.

use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::{AsyncConnection, RunQueryDsl};
use stickycalls_domain::StoreError;
use stickycalls_domain::calls::CallRecord;
use stickycalls_domain::identity::{CustomerRef, IdentityHints};
use stickycalls_domain::ports::{
    ClearLink, MovedLink, ResealedLink, SealedCall, SealedVariable, UnsealedStore, UnsealedVariable,
};
use stickycalls_domain::tenant::TenantId;

use crate::errors::from_diesel;
use crate::pool::PgStore;
use crate::rows::CallRow;
use crate::schema::{calls, variables};
use crate::tenant_key::tenant_key;

/// A call whose number, dialled number or an external id is in clear: the predicate of
/// the partial index `calls_hints_in_clear`, word for word.
const HINTS_IN_CLEAR: &str = "(dnis IS NOT NULL \
       OR (ani IS NOT NULL AND ani NOT LIKE 'bi1.%') \
       OR jsonb_path_exists(external_ids, '$.* ? (!(@ starts with \"bi1.\"))'))";

impl UnsealedStore for PgStore {
    async fn unsealed_variables(
        &self, tenant: &TenantId, limit: usize,
    ) -> Result<Vec<UnsealedVariable>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(String, String, String, Option<String>)> = variables::table
            .filter(variables::tenant_id.eq(tenant_key(tenant)))
            // A literal, as the partial index `variables_in_clear` says it (a bound
            // pattern would not let the planner use the index).
            .filter(diesel::dsl::sql::<Bool>("value NOT LIKE 'sc1.%'"))
            .order((variables::customer_ref, variables::key))
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .select((
                variables::customer_ref,
                variables::key,
                variables::value,
                variables::source,
            ))
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
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
        let mut conn = self.conn().await?;
        conn.transaction(async move |conn| -> QueryResult<usize> {
            let mut replaced = 0;
            for row in sealed {
                replaced += diesel::update(
                    variables::table
                        .filter(variables::tenant_id.eq(tenant))
                        .filter(variables::customer_ref.eq(row.customer.as_str()))
                        .filter(variables::key.eq(&row.key))
                        .filter(variables::value.eq(&row.was)),
                )
                .set((
                    variables::value.eq(&row.value),
                    variables::source.eq(&row.source),
                ))
                .execute(conn)
                .await?;
            }
            Ok(replaced)
        })
        .await
        .map_err(from_diesel)
    }

    async fn unsealed_calls(
        &self, tenant: &TenantId, limit: usize,
    ) -> Result<Vec<CallRecord>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<CallRow> = calls::table
            .filter(calls::tenant_id.eq(tenant_key(tenant)))
            .filter(diesel::dsl::sql::<Bool>(HINTS_IN_CLEAR))
            .order(calls::call_id)
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .select(CallRow::as_select())
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        rows.into_iter()
            .map(CallRow::into_record)
            .collect::<QueryResult<_>>()
            .map_err(from_diesel)
    }

    async fn seal_calls(
        &self, tenant: &TenantId, sealed: Vec<SealedCall>,
    ) -> Result<usize, StoreError> {
        let tenant = tenant_key(tenant);
        let mut conn = self.conn().await?;
        conn.transaction(async move |conn| -> QueryResult<usize> {
            let mut replaced = 0;
            for SealedCall { was, now } in &sealed {
                let (was, now) = (CallRow::new(tenant, was), CallRow::new(tenant, now));
                replaced += diesel::update(
                    calls::table
                        .filter(calls::tenant_id.eq(tenant))
                        .filter(calls::call_id.eq(&was.call_id))
                        .filter(calls::ani.is_not_distinct_from(&was.ani))
                        .filter(calls::dnis.is_not_distinct_from(&was.dnis))
                        .filter(calls::external_ids.eq(&was.external_ids))
                        .filter(calls::hints_sealed.is_not_distinct_from(&was.hints_sealed)),
                )
                .set((
                    calls::ani.eq(&now.ani),
                    calls::dnis.eq(&now.dnis),
                    calls::external_ids.eq(&now.external_ids),
                    calls::hints_sealed.eq(&now.hints_sealed),
                ))
                .execute(conn)
                .await?;
            }
            Ok(replaced)
        })
        .await
        .map_err(from_diesel)
    }

    async fn links_in_clear(
        &self, tenant: &TenantId, limit: usize,
    ) -> Result<Vec<ClearLink>, StoreError> {
        let conn = self.conn().await?;
        crate::clear_links::links_in_clear(&conn, tenant_key(tenant), limit)
            .await
            .map_err(from_diesel)
    }

    async fn clear_links_to(
        &self, tenant: &TenantId, hints: &IdentityHints,
    ) -> Result<Vec<ClearLink>, StoreError> {
        let conn = self.conn().await?;
        crate::clear_links::clear_links_to(&conn, tenant_key(tenant), hints)
            .await
            .map_err(from_diesel)
    }

    async fn move_links(
        &self, tenant: &TenantId, moves: Vec<MovedLink>,
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn().await?;
        crate::clear_links::move_links(&mut conn, tenant_key(tenant), moves)
            .await
            .map_err(from_diesel)
    }

    async fn reseal_links(
        &self, tenant: &TenantId, links: Vec<ResealedLink>,
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn().await?;
        crate::reseal_links::reseal_links(&mut conn, tenant_key(tenant), links)
            .await
            .map_err(from_diesel)
    }
}
