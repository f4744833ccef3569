//! `UnsealedStore` on SQLite: variables whose value is in clear, read in key order, and
//! replaced by their sealed form in one short write transaction per batch, each row
//! only if its value is still the one read.

use diesel::prelude::*;
use stickycalls_domain::StoreError;
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::ports::{SealedVariable, UnsealedStore, UnsealedVariable};
use stickycalls_domain::tenant::TenantId;

use crate::errors::from_diesel;
use crate::pool::SqliteStore;
use crate::schema::variables;
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
}
