//! `UnsealedStore` on PostgreSQL: variables whose value is in clear, read in key order
//! from the tenant's primary-key range, and replaced by their sealed form in one
//! transaction per batch, each row only if its value is still the one read.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use stickycalls_domain::StoreError;
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::ports::{SealedVariable, UnsealedStore, UnsealedVariable};
use stickycalls_domain::tenant::TenantId;

use crate::errors::from_diesel;
use crate::pool::PgStore;
use crate::schema::variables;
use crate::tenant_key::tenant_key;

impl UnsealedStore for PgStore {
    async fn unsealed_variables(
        &self, tenant: &TenantId, limit: usize,
    ) -> Result<Vec<UnsealedVariable>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(String, String, String, Option<String>)> = variables::table
            .filter(variables::tenant_id.eq(tenant_key(tenant)))
            .filter(variables::value.not_like("sc1.%"))
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
}
