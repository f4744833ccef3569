//! `CustomerStore` for PostgreSQL: a customer's whole record, search by phone or
//! external id, and direct variable writes under the customer's lock.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use stickycalls_domain::customers::{CustomerLookup, CustomerRecord, ExternalIdLink, PhoneLink};
use stickycalls_domain::identity::{CustomerRef, PhoneNumber};
use stickycalls_domain::ports::{CustomerStore, WriteVariablesError};
use stickycalls_domain::retention::Erasure;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::variables::VariableWrite;
use stickycalls_domain::webhooks::Event;
use stickycalls_domain::{StoreError, Timestamp};
use time::OffsetDateTime;

use crate::end::{Abort, apply_variables, lock_customer};
use crate::errors::from_diesel;
use crate::pool::PgStore;
use crate::rows::{CallRow, IntentRow, VariableRow, confirmed_of, line_type_of};
use crate::schema::{calls, customer_external_ids, customer_phones, customers, intents, variables};
use crate::tenant_key::tenant_key;

impl CustomerStore for PgStore {
    /// One snapshot (read only, repeatable read) and one query per table, however
    /// many customers are asked for.
    async fn customer_records(
        &self, tenant: &TenantId, customers: &[CustomerRef],
    ) -> Result<Vec<CustomerRecord>, StoreError> {
        if customers.is_empty() {
            return Ok(Vec::new());
        }
        let tenant = tenant_key(tenant);
        let mut conn = self.conn().await?;
        let who: Vec<&str> = customers.iter().map(CustomerRef::as_str).collect();
        conn.build_transaction()
            .read_only()
            .repeatable_read()
            .run(async move |conn| -> QueryResult<Vec<CustomerRecord>> {
                let found: Vec<(String, OffsetDateTime)> = customers::table
                    .filter(customers::tenant_id.eq(tenant))
                    .filter(customers::customer_ref.eq_any(&who))
                    .select((customers::customer_ref, customers::created_at))
                    .load(conn)
                    .await?;
                let mut records: BTreeMap<String, CustomerRecord> = found
                    .into_iter()
                    .map(|(r, created)| {
                        let record = CustomerRecord::empty(
                            CustomerRef::from_trusted(r.clone()),
                            Timestamp::new(created),
                        );
                        (r, record)
                    })
                    .collect();
                if records.is_empty() {
                    return Ok(Vec::new());
                }
                type PhoneRow = (
                    String,
                    String,
                    Option<String>,
                    OffsetDateTime,
                    Option<OffsetDateTime>,
                    Option<OffsetDateTime>,
                    Option<String>,
                    Option<OffsetDateTime>,
                    i32,
                    Option<String>,
                );
                let phones: Vec<PhoneRow> = customer_phones::table
                    .filter(customer_phones::tenant_id.eq(tenant))
                    .filter(customer_phones::customer_ref.eq_any(&who))
                    .order(customer_phones::linked_at.asc())
                    .select((
                        customer_phones::customer_ref,
                        customer_phones::e164,
                        customer_phones::line_type,
                        customer_phones::linked_at,
                        customer_phones::first_confirmed_at,
                        customer_phones::last_confirmed_at,
                        customer_phones::last_attestation,
                        customer_phones::last_unattested_at,
                        customer_phones::attested_run,
                        customer_phones::sealed,
                    ))
                    .load(conn)
                    .await?;
                for (r, e164, line_type, at, first, last, attestation, unattested, run, sealed) in
                    phones
                {
                    let confirmed =
                        confirmed_of(first, last, attestation.as_deref(), unattested, run)?;
                    if let Some(record) = records.get_mut(&r) {
                        record.phones.push(PhoneLink {
                            e164: PhoneNumber::from_e164(e164),
                            line_type: line_type_of(line_type.as_deref()),
                            linked_at: Timestamp::new(at),
                            confirmed,
                            sealed,
                        });
                    }
                }
                type IdRow = (String, String, String, OffsetDateTime, Option<String>);
                let ids: Vec<IdRow> = customer_external_ids::table
                    .filter(customer_external_ids::tenant_id.eq(tenant))
                    .filter(customer_external_ids::customer_ref.eq_any(&who))
                    .order(customer_external_ids::linked_at.asc())
                    .select((
                        customer_external_ids::customer_ref,
                        customer_external_ids::namespace,
                        customer_external_ids::value,
                        customer_external_ids::linked_at,
                        customer_external_ids::sealed,
                    ))
                    .load(conn)
                    .await?;
                for (r, namespace, value, at, sealed) in ids {
                    if let Some(record) = records.get_mut(&r) {
                        record.external_ids.push(ExternalIdLink {
                            namespace,
                            value,
                            linked_at: Timestamp::new(at),
                            sealed,
                        });
                    }
                }
                let vars: Vec<(String, VariableRow)> = variables::table
                    .filter(variables::tenant_id.eq(tenant))
                    .filter(variables::customer_ref.eq_any(&who))
                    .select((variables::customer_ref, VariableRow::as_select()))
                    .load(conn)
                    .await?;
                for (r, row) in vars {
                    if let Some(record) = records.get_mut(&r) {
                        let (key, variable) = row.into_domain();
                        record.variables.insert(key, variable);
                    }
                }
                let open: Vec<(String, IntentRow)> = intents::table
                    .filter(intents::tenant_id.eq(tenant))
                    .filter(intents::customer_ref.eq_any(&who))
                    .order(intents::last_seen.desc())
                    .select((intents::customer_ref, IntentRow::as_select()))
                    .load(conn)
                    .await?;
                for (r, row) in open {
                    if let Some(record) = records.get_mut(&r) {
                        record.intents.push(row.into_domain());
                    }
                }
                let history: Vec<CallRow> = calls::table
                    .filter(calls::tenant_id.eq(tenant))
                    .filter(calls::customer_ref.eq_any(&who))
                    .order((calls::started_at.asc(), calls::call_id.asc()))
                    .select(CallRow::as_select())
                    .load(conn)
                    .await?;
                for row in history {
                    if let Some(record) = records.get_mut(&row.customer_ref) {
                        record.calls.push(row.into_record()?);
                    }
                }
                // In the order asked for.
                Ok(who.iter().filter_map(|r| records.remove(*r)).collect())
            })
            .await
            .map_err(from_diesel)
    }

    async fn find_customers(
        &self, tenant: &TenantId, lookup: &CustomerLookup, limit: usize,
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
        &self, tenant: &TenantId, customer: &CustomerRef, writes: Vec<VariableWrite>, at: Timestamp,
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
            Err(Abort::AlreadyEnded | Abort::CallIdTaken | Abort::Insufficient(_)) => {
                Err(WriteVariablesError::Store(StoreError::Unknown(
                    anyhow::anyhow!("unexpected abort writing variables"),
                )))
            }
        }
    }

    async fn erase_customer(
        &self, tenant: &TenantId, customer: &CustomerRef, erasure: Erasure,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let erased = Event::customer_erased(*tenant, customer, &erasure);
        let idle = erasure.only_if_idle();
        crate::context::erase_customer(&mut conn, tenant_key(tenant), customer, erased, idle)
            .await
            .map_err(from_diesel)
    }
}
