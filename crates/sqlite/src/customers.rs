//! `CustomerStore` on SQLite: a customer's whole record, search by phone or external
//! id, and direct variable writes (one `BEGIN IMMEDIATE` transaction each).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::SqliteConnection;
use stickycalls_domain::customers::{CustomerLookup, CustomerRecord, ExternalIdLink, PhoneLink};
use stickycalls_domain::identity::{CustomerRef, PhoneNumber};
use stickycalls_domain::ports::{CustomerStore, WriteVariablesError};
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::variables::{VariableWrite, check_live_limit};
use stickycalls_domain::{StoreError, Timestamp};

use crate::errors::from_diesel;
use crate::pool::SqliteStore;
use crate::rows::{CALL_COLUMNS, CallRow, at, line_type_of};
use crate::{calls, tenant_key};

#[derive(QueryableByName)]
struct Created {
    #[diesel(sql_type = BigInt)]
    created_at: i64,
}

#[derive(QueryableByName)]
struct PhoneRow {
    #[diesel(sql_type = Text)]
    e164: String,
    #[diesel(sql_type = Nullable<Text>)]
    line_type: Option<String>,
    #[diesel(sql_type = BigInt)]
    linked_at: i64,
}

#[derive(QueryableByName)]
struct ExternalRow {
    #[diesel(sql_type = Text)]
    namespace: String,
    #[diesel(sql_type = Text)]
    value: String,
    #[diesel(sql_type = BigInt)]
    linked_at: i64,
}

#[derive(QueryableByName)]
struct RefRow {
    #[diesel(sql_type = Text)]
    customer_ref: String,
}

fn record(
    c: &mut SqliteConnection,
    tenant: &str,
    customer: &CustomerRef,
) -> QueryResult<Option<CustomerRecord>> {
    let who = customer.as_str();
    let Some(created) = diesel::sql_query(
        "SELECT created_at FROM customers WHERE tenant_id = ? AND customer_ref = ?",
    )
    .bind::<Text, _>(tenant)
    .bind::<Text, _>(who)
    .get_result::<Created>(c)
    .optional()?
    else {
        return Ok(None);
    };
    let phones: Vec<PhoneRow> = diesel::sql_query(
        "SELECT e164, line_type, linked_at FROM customer_phones
          WHERE tenant_id = ? AND customer_ref = ? ORDER BY linked_at",
    )
    .bind::<Text, _>(tenant)
    .bind::<Text, _>(who)
    .load(c)?;
    let ids: Vec<ExternalRow> = diesel::sql_query(
        "SELECT namespace, value, linked_at FROM customer_external_ids
          WHERE tenant_id = ? AND customer_ref = ? ORDER BY linked_at",
    )
    .bind::<Text, _>(tenant)
    .bind::<Text, _>(who)
    .load(c)?;
    // The context as of the epoch: every variable and intent row, expired or not.
    let held = calls::customer_context(c, tenant, customer, at(0))?;
    let history: Vec<CallRow> = diesel::sql_query(format!(
        "SELECT {CALL_COLUMNS} FROM calls WHERE tenant_id = ? AND customer_ref = ?
          ORDER BY started_at, call_id"
    ))
    .bind::<Text, _>(tenant)
    .bind::<Text, _>(who)
    .load(c)?;
    Ok(Some(CustomerRecord {
        customer_ref: customer.clone(),
        created_at: at(created.created_at),
        phones: phones
            .into_iter()
            .map(|p| PhoneLink {
                e164: PhoneNumber::from_e164(p.e164),
                line_type: line_type_of(p.line_type.as_deref()),
                linked_at: at(p.linked_at),
            })
            .collect(),
        external_ids: ids
            .into_iter()
            .map(|x| ExternalIdLink {
                namespace: x.namespace,
                value: x.value,
                linked_at: at(x.linked_at),
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
        &self,
        tenant: &TenantId,
        customers: &[CustomerRef],
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
        &self,
        tenant: &TenantId,
        lookup: &CustomerLookup,
        limit: usize,
    ) -> Result<Vec<CustomerRef>, StoreError> {
        let (key, lookup) = (tenant_key(tenant), lookup.clone());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |c| {
            let rows: Vec<RefRow> = match &lookup {
                CustomerLookup::Ani(phone) => diesel::sql_query(
                    "SELECT customer_ref FROM customer_phones WHERE tenant_id = ? AND e164 = ?
                      ORDER BY linked_at DESC, customer_ref LIMIT ?",
                )
                .bind::<Text, _>(&key)
                .bind::<Text, _>(phone.as_e164())
                .bind::<BigInt, _>(limit)
                .load(c),
                CustomerLookup::ExternalId { namespace, value } => diesel::sql_query(
                    "SELECT customer_ref FROM customer_external_ids
                      WHERE tenant_id = ? AND namespace = ? AND value = ?
                      ORDER BY linked_at DESC, customer_ref LIMIT ?",
                )
                .bind::<Text, _>(&key)
                .bind::<Text, _>(namespace)
                .bind::<Text, _>(value)
                .bind::<BigInt, _>(limit)
                .load(c),
            }
            .map_err(from_diesel)?;
            Ok(rows
                .into_iter()
                .map(|r| CustomerRef::from_trusted(r.customer_ref))
                .collect())
        })
        .await
    }

    async fn write_variables(
        &self,
        tenant: &TenantId,
        customer: &CustomerRef,
        writes: Vec<VariableWrite>,
        at_time: Timestamp,
    ) -> Result<usize, WriteVariablesError> {
        let (key, customer) = (tenant_key(tenant), customer.clone());
        self.run(move |c| {
            c.immediate_transaction(|c| -> Result<usize, Abort> {
                let exists = diesel::sql_query(
                    "SELECT created_at FROM customers WHERE tenant_id = ? AND customer_ref = ?",
                )
                .bind::<Text, _>(&key)
                .bind::<Text, _>(customer.as_str())
                .get_result::<Created>(c)
                .optional()?;
                if exists.is_none() {
                    return Err(Abort::NotFound);
                }
                let live = calls::live_keys(c, &key, &customer, at_time)?;
                check_live_limit(live.iter().map(String::as_str), &writes)
                    .map_err(Abort::Refused)?;
                Ok(calls::write_variables(
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
        &self,
        tenant: &TenantId,
        customer: &CustomerRef,
    ) -> Result<bool, StoreError> {
        let (key, customer) = (tenant_key(tenant), customer.clone());
        self.run(move |c| {
            c.immediate_transaction(|c| calls::erase_customer(c, &key, &customer))
                .map_err(from_diesel)
        })
        .await
    }
}
