//! `CustomerStore` on SQLite: a customer's whole record, search by phone or external
//! id, and direct variable writes (one `BEGIN IMMEDIATE` transaction each).

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use stickycalls_domain::customers::{CustomerLookup, CustomerRecord, ExternalIdLink, PhoneLink};
use stickycalls_domain::identity::{CustomerRef, PhoneNumber};
use stickycalls_domain::ports::{CustomerStore, WriteVariablesError};
use stickycalls_domain::retention::Erasure;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::variables::{VariableWrite, check_live_limit};
use stickycalls_domain::webhooks::Event;
use stickycalls_domain::{StoreError, Timestamp};

use crate::errors::from_diesel;
use crate::pool::SqliteStore;
use crate::rows::{CallRow, at, confirmed_of, line_type_of};
use crate::schema::{calls, customer_external_ids, customer_phones, customers};
use crate::{calls as queries, tenant_key};

fn record(
    c: &mut SqliteConnection, tenant: &str, customer: &CustomerRef,
) -> QueryResult<Option<CustomerRecord>> {
    let who = customer.as_str();
    let Some(created) = customers::table
        .find((tenant, who))
        .select(customers::created_at)
        .first::<i64>(c)
        .optional()?
    else {
        return Ok(None);
    };
    type PhoneRow = (
        String,
        Option<String>,
        i64,
        Option<i64>,
        Option<i64>,
        Option<String>,
        Option<i64>,
        i32,
        Option<String>,
    );
    let phones: Vec<PhoneRow> = customer_phones::table
        .filter(customer_phones::tenant_id.eq(tenant))
        .filter(customer_phones::customer_ref.eq(who))
        .order(customer_phones::linked_at.asc())
        .select((
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
        .load(c)?;
    let phones = phones
        .into_iter()
        .map(
            |(e164, line_type, linked_at, first, last, attestation, unattested, run, sealed)| {
                let confirmed = confirmed_of(first, last, attestation.as_deref(), unattested, run)?;
                Ok(PhoneLink {
                    e164: PhoneNumber::from_e164(e164),
                    line_type: line_type_of(line_type.as_deref()),
                    linked_at: at(linked_at),
                    confirmed,
                    sealed,
                })
            },
        )
        .collect::<QueryResult<Vec<PhoneLink>>>()?;
    let ids: Vec<(String, String, i64, Option<String>)> = customer_external_ids::table
        .filter(customer_external_ids::tenant_id.eq(tenant))
        .filter(customer_external_ids::customer_ref.eq(who))
        .order(customer_external_ids::linked_at.asc())
        .select((
            customer_external_ids::namespace,
            customer_external_ids::value,
            customer_external_ids::linked_at,
            customer_external_ids::sealed,
        ))
        .load(c)?;
    // The context as of the epoch: every variable and intent row, expired or not.
    let held = queries::customer_context(c, tenant, customer, at(0))?;
    let history = calls::table
        .filter(calls::tenant_id.eq(tenant))
        .filter(calls::customer_ref.eq(who))
        .order((calls::started_at.asc(), calls::call_id.asc()))
        .select(CallRow::as_select())
        .load::<CallRow>(c)?;
    Ok(Some(CustomerRecord {
        customer_ref: customer.clone(),
        created_at: at(created),
        phones,
        external_ids: ids
            .into_iter()
            .map(|(namespace, value, linked_at, sealed)| ExternalIdLink {
                namespace,
                value,
                linked_at: at(linked_at),
                sealed,
            })
            .collect(),
        variables: held.variables,
        intents: held.open_intents,
        calls: history
            .into_iter()
            .map(CallRow::into_record)
            .collect::<QueryResult<_>>()?,
    }))
}

/// Why a variable write rolled back.
enum Abort {
    Query(diesel::result::Error),
    NotFound,
    Refused(stickycalls_domain::ValidationError),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Query(e)
    }
}

impl CustomerStore for SqliteStore {
    /// One read transaction (a consistent snapshot) in one blocking task: the
    /// queries are in-process calls, not round trips.
    async fn customer_records(
        &self, tenant: &TenantId, customers: &[CustomerRef],
    ) -> Result<Vec<CustomerRecord>, StoreError> {
        let (key, customers) = (tenant_key(tenant), customers.to_vec());
        self.run(move |c| {
            c.transaction(|c| {
                let mut found = Vec::with_capacity(customers.len());
                for customer in &customers {
                    found.extend(record(c, &key, customer)?);
                }
                Ok(found)
            })
            .map_err(from_diesel)
        })
        .await
    }

    async fn find_customers(
        &self, tenant: &TenantId, lookup: &CustomerLookup, limit: usize,
    ) -> Result<Vec<CustomerRef>, StoreError> {
        let (key, lookup) = (tenant_key(tenant), lookup.clone());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |c| {
            let found: Vec<String> = match &lookup {
                CustomerLookup::Ani(phone) => customer_phones::table
                    .filter(customer_phones::tenant_id.eq(&key))
                    .filter(customer_phones::e164.eq(phone.as_e164()))
                    .order((
                        customer_phones::linked_at.desc(),
                        customer_phones::customer_ref.asc(),
                    ))
                    .select(customer_phones::customer_ref)
                    .limit(limit)
                    .load(c),
                CustomerLookup::ExternalId { namespace, value } => customer_external_ids::table
                    .filter(customer_external_ids::tenant_id.eq(&key))
                    .filter(customer_external_ids::namespace.eq(namespace))
                    .filter(customer_external_ids::value.eq(value))
                    .order((
                        customer_external_ids::linked_at.desc(),
                        customer_external_ids::customer_ref.asc(),
                    ))
                    .select(customer_external_ids::customer_ref)
                    .limit(limit)
                    .load(c),
            }
            .map_err(from_diesel)?;
            Ok(found.into_iter().map(CustomerRef::from_trusted).collect())
        })
        .await
    }

    async fn write_variables(
        &self, tenant: &TenantId, customer: &CustomerRef, writes: Vec<VariableWrite>,
        at_time: Timestamp,
    ) -> Result<usize, WriteVariablesError> {
        let (key, customer) = (tenant_key(tenant), customer.clone());
        self.write(move |c| {
            c.immediate_transaction(|c| -> Result<usize, Abort> {
                let exists: bool = diesel::select(diesel::dsl::exists(
                    customers::table.find((&key, customer.as_str())),
                ))
                .get_result(c)?;
                if !exists {
                    return Err(Abort::NotFound);
                }
                let live = queries::live_keys(c, &key, &customer, at_time)?;
                check_live_limit(live.iter().map(String::as_str), &writes)
                    .map_err(Abort::Refused)?;
                Ok(queries::write_variables(
                    c, &key, &customer, &writes, at_time,
                )?)
            })
            .map_err(|abort| match abort {
                Abort::Query(e) => WriteVariablesError::Store(from_diesel(e)),
                Abort::NotFound => WriteVariablesError::CustomerNotFound,
                Abort::Refused(e) => WriteVariablesError::Refused(e),
            })
        })
        .await
    }

    async fn erase_customer(
        &self, tenant: &TenantId, customer: &CustomerRef, erasure: Erasure,
    ) -> Result<bool, StoreError> {
        let erased = Event::customer_erased(*tenant, customer, &erasure);
        let (key, customer) = (tenant_key(tenant), customer.clone());
        self.write(move |c| {
            c.immediate_transaction(|c| {
                if let Some(idle) = erasure.only_if_idle()
                    && !crate::retention::still_idle(c, &key, &customer, idle)?
                {
                    return Ok(false);
                }
                queries::erase_customer(c, &key, &customer, &erased)
            })
            .map_err(from_diesel)
        })
        .await
    }
}
