//! `CustomerStore` for PostgreSQL: a customer's whole record, search by phone or
//! external id, and direct variable writes under the customer's lock.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use stickycalls_domain::customers::{CustomerLookup, CustomerRecord, ExternalIdLink, PhoneLink};
use stickycalls_domain::identity::{CustomerRef, PhoneNumber};
use stickycalls_domain::ports::{CustomerStore, WriteVariablesError};
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::variables::VariableWrite;
use stickycalls_domain::{StoreError, Timestamp};
use time::OffsetDateTime;

use crate::end::{Abort, apply_variables, lock_customer};
use crate::errors::from_diesel;
use crate::pool::PgStore;
use crate::rows::{CallRow, IntentRow, VariableRow, line_type_of};
use crate::schema::{calls, customer_external_ids, customer_phones, customers, intents, variables};
use crate::tenant_key::tenant_key;

impl CustomerStore for PgStore {
    async fn customer_record(
        &self,
        tenant: &TenantId,
        customer: &CustomerRef,
    ) -> Result<Option<CustomerRecord>, StoreError> {
        let tenant = tenant_key(tenant);
        let mut conn = self.conn().await?;
        let who = customer.as_str();
        // One snapshot: the record is consistent even while calls are recorded.
        conn.build_transaction()
            .read_only()
            .repeatable_read()
            .run(async move |conn| -> QueryResult<Option<CustomerRecord>> {
                let Some(created) = customers::table
                    .filter(customers::tenant_id.eq(tenant))
                    .filter(customers::customer_ref.eq(who))
                    .select(customers::created_at)
                    .first::<OffsetDateTime>(conn)
                    .await
                    .optional()?
                else {
                    return Ok(None);
                };
                let phones: Vec<(String, Option<String>, OffsetDateTime)> = customer_phones::table
                    .filter(customer_phones::tenant_id.eq(tenant))
                    .filter(customer_phones::customer_ref.eq(who))
                    .order(customer_phones::linked_at.asc())
                    .select((
                        customer_phones::e164,
                        customer_phones::line_type,
                        customer_phones::linked_at,
                    ))
                    .load(conn)
                    .await?;
                let ids: Vec<(String, String, OffsetDateTime)> = customer_external_ids::table
                    .filter(customer_external_ids::tenant_id.eq(tenant))
                    .filter(customer_external_ids::customer_ref.eq(who))
                    .order(customer_external_ids::linked_at.asc())
                    .select((
                        customer_external_ids::namespace,
                        customer_external_ids::value,
                        customer_external_ids::linked_at,
                    ))
                    .load(conn)
                    .await?;
                let vars: Vec<VariableRow> = variables::table
                    .filter(variables::tenant_id.eq(tenant))
                    .filter(variables::customer_ref.eq(who))
                    .select(VariableRow::as_select())
                    .load(conn)
                    .await?;
                let open: Vec<IntentRow> = intents::table
                    .filter(intents::tenant_id.eq(tenant))
                    .filter(intents::customer_ref.eq(who))
                    .order(intents::last_seen.desc())
                    .select(IntentRow::as_select())
                    .load(conn)
                    .await?;
                let history: Vec<CallRow> = calls::table
                    .filter(calls::tenant_id.eq(tenant))
                    .filter(calls::customer_ref.eq(who))
                    .order((calls::started_at.asc(), calls::call_id.asc()))
                    .select(CallRow::as_select())
                    .load(conn)
                    .await?;
                Ok(Some(CustomerRecord {
                    customer_ref: CustomerRef::from_trusted(who),
                    created_at: Timestamp::new(created),
                    phones: phones
                        .into_iter()
                        .map(|(e164, line_type, at)| PhoneLink {
                            e164: PhoneNumber::from_e164(e164),
                            line_type: line_type_of(line_type.as_deref()),
                            linked_at: Timestamp::new(at),
                        })
                        .collect(),
                    external_ids: ids
                        .into_iter()
                        .map(|(namespace, value, at)| ExternalIdLink {
                            namespace,
                            value,
                            linked_at: Timestamp::new(at),
                        })
                        .collect(),
                    variables: vars.into_iter().map(VariableRow::into_domain).collect(),
                    intents: open.into_iter().map(IntentRow::into_domain).collect(),
                    calls: history.into_iter().map(CallRow::into_record).collect(),
                }))
            })
            .await
            .map_err(from_diesel)
    }

    async fn find_customers(
        &self,
        tenant: &TenantId,
        lookup: &CustomerLookup,
        limit: usize,
    ) -> Result<Vec<CustomerRef>, StoreError> {
        let tenant = tenant_key(tenant);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut conn = self.conn().await?;
        let found: Vec<String> = match lookup {
            CustomerLookup::Ani(phone) => {
                customer_phones::table
                    .filter(customer_phones::tenant_id.eq(tenant))
                    .filter(customer_phones::e164.eq(phone.as_e164()))
                    .order((
                        customer_phones::linked_at.desc(),
                        customer_phones::customer_ref.asc(),
                    ))
                    .select(customer_phones::customer_ref)
                    .limit(limit)
                    .load(&mut conn)
                    .await
            }
            CustomerLookup::ExternalId { namespace, value } => {
                customer_external_ids::table
                    .filter(customer_external_ids::tenant_id.eq(tenant))
                    .filter(customer_external_ids::namespace.eq(namespace))
                    .filter(customer_external_ids::value.eq(value))
                    .order((
                        customer_external_ids::linked_at.desc(),
                        customer_external_ids::customer_ref.asc(),
                    ))
                    .select(customer_external_ids::customer_ref)
                    .limit(limit)
                    .load(&mut conn)
                    .await
            }
        }
        .map_err(from_diesel)?;
        Ok(found.into_iter().map(CustomerRef::from_trusted).collect())
    }

    async fn write_variables(
        &self,
        tenant: &TenantId,
        customer: &CustomerRef,
        writes: Vec<VariableWrite>,
        at: Timestamp,
    ) -> Result<usize, WriteVariablesError> {
        let tenant = tenant_key(tenant);
        let mut conn = self.conn().await?;
        let result = conn
            .transaction(async move |conn| -> Result<Option<usize>, Abort> {
                if !lock_customer(conn, tenant, customer).await? {
                    return Ok(None);
                }
                apply_variables(conn, tenant, customer, &writes, at)
                    .await
                    .map(Some)
            })
            .await;
        match result {
            Ok(Some(changed)) => Ok(changed),
            Ok(None) => Err(WriteVariablesError::CustomerNotFound),
            Err(Abort::Refused(e)) => Err(WriteVariablesError::Refused(e)),
            Err(Abort::Query(e)) => Err(WriteVariablesError::Store(from_diesel(e))),
            Err(Abort::AlreadyEnded | Abort::CallIdTaken) => Err(WriteVariablesError::Store(
                StoreError::Unknown(anyhow::anyhow!("unexpected abort writing variables")),
            )),
        }
    }
}
