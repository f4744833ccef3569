//! The customer use cases: search, read, export, erase (GDPR), and direct variable
//! writes with the same rules as `calls/end` (TTL, 100 live, cards refused).

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::customers::{CustomerLookup, CustomerRecord, CustomerView};
use crate::error::{Issue, RefusalKind, StoreError, ValidationError};
use crate::identity::CustomerRef;
use crate::ports::{Clock, CustomerStore, LinkTouch, SharedVault, WriteVariablesError};
use crate::protection::Sealer;
use crate::retention::Erasure;
use crate::tenant::{Tenant, TenantId};
use crate::timestamp::Timestamp;
use crate::variables::{StoredVariable, VariableWrite, parse_variables};

/// Most customers a search returns.
pub const MAX_SEARCH_RESULTS: usize = 20;

/// Why a customer use case did nothing.
#[derive(Debug, thiserror::Error)]
pub enum CustomerError {
    /// Malformed input (reference, search, variable).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The tenant has no such customer.
    #[error("customer not found")]
    NotFound,
    /// The customer has no such variable.
    #[error("variable not found")]
    VariableNotFound,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<WriteVariablesError> for CustomerError {
    fn from(e: WriteVariablesError) -> Self {
        match e {
            WriteVariablesError::CustomerNotFound => CustomerError::NotFound,
            WriteVariablesError::Refused(e) => CustomerError::Invalid(e),
            WriteVariablesError::Store(e) => CustomerError::Store(e),
        }
    }
}

fn reference(text: &str) -> Result<CustomerRef, CustomerError> {
    Ok(CustomerRef::parse(text, "customer_ref")?)
}

/// The customer use cases, generic over their ports.
#[derive(Debug, Clone)]
pub struct CustomerService<S, C> {
    store: S,
    clock: C,
    sealer: Sealer,
}

impl<S: CustomerStore, C: Clock> CustomerService<S, C> {
    /// Wires the service; variables are sealed and opened through `vault`.
    pub fn new(store: S, clock: C, vault: SharedVault) -> Self {
        Self {
            store,
            clock,
            sealer: Sealer::new(vault),
        }
    }

    /// The same, moving links stored in clear before a search compares indexes.
    pub fn touching(self, touch: Arc<dyn LinkTouch>) -> Self {
        Self {
            sealer: self.sealer.touching(touch),
            ..self
        }
    }

    /// Customers on a number (read in the tenant's region) or with an external id
    /// (`namespace:value`), most recently linked first, at most
    /// [`MAX_SEARCH_RESULTS`]; exactly one of the two must be given. The hits are read
    /// in one snapshot, not one query each.
    pub async fn search(
        &self, tenant: &Tenant, ani: Option<&str>, external_id: Option<&str>,
    ) -> Result<Vec<CustomerView>, CustomerError> {
        let lookup = match (ani, external_id) {
            (Some(ani), None) => CustomerLookup::ani(ani, &tenant.policy.ani)?,
            (None, Some(id)) => CustomerLookup::external_id(id)?,
            _ => {
                return Err(ValidationError::single(
                    RefusalKind::InvalidRequest,
                    Issue::at_segments(
                        &[],
                        "give exactly one of `ani` or `external_id` (`namespace:value`)",
                    ),
                )
                .into());
            }
        };
        let lookup = self.sealer.index_lookup(&tenant.id, &lookup).await?;
        let found = self
            .store
            .find_customers(&tenant.id, &lookup, MAX_SEARCH_RESULTS)
            .await?;
        let records = self.store.customer_records(&tenant.id, &found).await?;
        let records = self.sealer.open_records(&tenant.id, records).await?;
        let now = self.clock.now();
        Ok(records.into_iter().map(|r| r.view(now)).collect())
    }

    async fn record(
        &self, tenant: &TenantId, customer: &CustomerRef,
    ) -> Result<CustomerRecord, CustomerError> {
        let records = self
            .store
            .customer_records(tenant, std::slice::from_ref(customer))
            .await?;
        self.sealer
            .open_records(tenant, records)
            .await?
            .pop()
            .ok_or(CustomerError::NotFound)
    }

    /// What a read shows: links, call count and the live context. Free; no call is
    /// recorded.
    pub async fn get(
        &self, tenant: &TenantId, customer: &str,
    ) -> Result<CustomerView, CustomerError> {
        let record = self.record(tenant, &reference(customer)?).await?;
        Ok(record.view(self.clock.now()))
    }

    /// Everything held on the customer (GDPR access), and when it was read.
    pub async fn export(
        &self, tenant: &TenantId, customer: &str,
    ) -> Result<(CustomerRecord, Timestamp), CustomerError> {
        let record = self.record(tenant, &reference(customer)?).await?;
        Ok((record, self.clock.now()))
    }

    /// Erases the customer and everything held on them, atomically, then destroys their
    /// key (also when they were already gone, so a retry finishes an erasure whose key
    /// outlived its rows).
    pub async fn erase(
        &self, tenant: &TenantId, customer: &str,
    ) -> Result<CustomerRef, CustomerError> {
        let who = reference(customer)?;
        let erased = self
            .store
            .erase_customer(
                tenant,
                &who,
                Erasure::Requested {
                    at: self.clock.now(),
                },
            )
            .await?;
        self.sealer.shred(tenant, &who).await?;
        if !erased {
            return Err(CustomerError::NotFound);
        }
        Ok(who)
    }

    /// Sets one variable from a `PUT` body (`{"value", "ttl_seconds", "source"}` or a
    /// bare value), under the same rules as `calls/end`; the live limit is re-checked
    /// under the customer's lock. Returns the variable as stored.
    pub async fn set_variable(
        &self, tenant: &TenantId, customer: &str, key: &str, body: Value,
    ) -> Result<StoredVariable, CustomerError> {
        let who = reference(customer)?;
        let value_is_null = match &body {
            Value::Object(o) => o.get("value").is_none_or(Value::is_null),
            other => other.is_null(),
        };
        if value_is_null {
            return Err(ValidationError::invalid(
                "value",
                "a value is required (to remove a variable, DELETE it)",
            )
            .into());
        }
        let now = self.clock.now();
        let writes = parse_variables(&Map::from_iter([(key.to_owned(), body)]), now)?;
        let Some(VariableWrite::Set { variable, .. }) = writes.first().cloned() else {
            return Err(ValidationError::invalid("value", "a value is required").into());
        };
        let sealed = self.sealer.seal(tenant, &who, writes).await?;
        self.store
            .write_variables(tenant, &who, sealed, now)
            .await?;
        Ok(variable)
    }

    /// Removes one variable; [`CustomerError::VariableNotFound`] when there was none.
    pub async fn remove_variable(
        &self, tenant: &TenantId, customer: &str, key: &str,
    ) -> Result<(), CustomerError> {
        let who = reference(customer)?;
        let now = self.clock.now();
        let removed = self
            .store
            .write_variables(
                tenant,
                &who,
                vec![VariableWrite::Delete {
                    key: key.to_owned(),
                }],
                now,
            )
            .await?;
        if removed == 0 {
            return Err(CustomerError::VariableNotFound);
        }
        Ok(())
    }
}
