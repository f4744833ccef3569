//! `CustomerStore` in memory: records, search, direct variable writes, erasure.

use stickycalls_domain::customers::{CustomerLookup, CustomerRecord, ExternalIdLink, PhoneLink};
use stickycalls_domain::identity::{CustomerRef, PhoneNumber};
use stickycalls_domain::ports::{CustomerStore, WriteVariablesError};
use stickycalls_domain::retention::Erasure;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::variables::VariableWrite;
use stickycalls_domain::webhooks::Event;
use stickycalls_domain::{StoreError, Timestamp};

use crate::MemoryStore;
use crate::state::Tenant;

impl Tenant {
    fn record(&self, customer: &CustomerRef) -> Option<CustomerRecord> {
        let who = customer.as_str();
        let created = *self.customers.get(who)?;
        let mut record = CustomerRecord::empty(customer.clone(), created);
        let mut phones: Vec<PhoneLink> = self
            .phones
            .iter()
            .filter(|((_, c), _)| c == who)
            .map(|((e164, _), row)| PhoneLink {
                e164: PhoneNumber::from_e164(e164.clone()),
                line_type: row.line_type,
                linked_at: row.linked_at,
                confirmed: row.confirmed,
                sealed: row.sealed.clone(),
            })
            .collect();
        phones.sort_by_key(|p| p.linked_at);
        record.phones = phones;
        let mut ids: Vec<ExternalIdLink> = self
            .external_ids
            .iter()
            .filter(|((_, _, c), _)| c == who)
            .map(|(key @ (namespace, value, _), at)| ExternalIdLink {
                namespace: namespace.clone(),
                value: value.clone(),
                linked_at: *at,
                sealed: self.external_id_copies.get(key).cloned(),
            })
            .collect();
        ids.sort_by_key(|x| x.linked_at);
        record.external_ids = ids;
        record.variables = self
            .variables
            .iter()
            .filter(|((c, _), _)| c == who)
            .map(|((_, key), v)| (key.clone(), v.clone()))
            .collect();
        let mut intents: Vec<_> = self
            .intents
            .iter()
            .filter(|((c, _), _)| c == who)
            .map(|(_, i)| i.clone())
            .collect();
        intents.sort_by_key(|i| std::cmp::Reverse(i.last_seen));
        record.intents = intents;
        let mut calls: Vec<_> = self
            .calls
            .values()
            .filter(|c| c.customer.as_str() == who)
            .cloned()
            .collect();
        calls.sort_by(|a, b| (a.started_at, &a.call_id).cmp(&(b.started_at, &b.call_id)));
        record.calls = calls;
        Some(record)
    }

    /// Deletes the customer and everything held on them; `false` if there was none.
    pub(crate) fn erase(&mut self, customer: &CustomerRef) -> bool {
        let who = customer.as_str();
        if self.customers.remove(who).is_none() {
            return false;
        }
        self.phones.retain(|(_, c), _| c != who);
        self.external_ids.retain(|(_, _, c), _| c != who);
        self.external_id_copies.retain(|(_, _, c), _| c != who);
        self.variables.retain(|(c, _), _| c != who);
        self.intents.retain(|(c, _), _| c != who);
        self.calls.retain(|_, call| call.customer.as_str() != who);
        self.claims.retain(|_, claim| {
            claim
                .response
                .as_ref()
                .is_none_or(|r| r.customer.as_ref() != Some(customer))
        });
        true
    }
}

impl CustomerStore for MemoryStore {
    async fn customer_records(
        &self, tenant: &TenantId, customers: &[CustomerRef],
    ) -> Result<Vec<CustomerRecord>, StoreError> {
        let mut state = self.lock();
        let t = state.tenant(tenant);
        Ok(customers.iter().filter_map(|c| t.record(c)).collect())
    }

    async fn find_customers(
        &self, tenant: &TenantId, lookup: &CustomerLookup, limit: usize,
    ) -> Result<Vec<CustomerRef>, StoreError> {
        let mut state = self.lock();
        let t = state.tenant(tenant);
        let mut found: Vec<(Timestamp, String)> = match lookup {
            CustomerLookup::Ani(phone) => t
                .phones
                .iter()
                .filter(|((e164, _), _)| e164 == phone.as_e164())
                .map(|((_, c), row)| (row.linked_at, c.clone()))
                .collect(),
            CustomerLookup::ExternalId { namespace, value } => t
                .external_ids
                .iter()
                .filter(|((ns, v, _), _)| ns == namespace && v == value)
                .map(|((_, _, c), at)| (*at, c.clone()))
                .collect(),
        };
        // Most recently linked first, then by reference.
        found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        Ok(found
            .into_iter()
            .take(limit)
            .map(|(_, c)| CustomerRef::from_trusted(c))
            .collect())
    }

    async fn write_variables(
        &self, tenant: &TenantId, customer: &CustomerRef, writes: Vec<VariableWrite>, at: Timestamp,
    ) -> Result<usize, WriteVariablesError> {
        let mut state = self.lock();
        let t = state.tenant(tenant);
        if !t.has_customer(customer.as_str()) {
            return Err(WriteVariablesError::CustomerNotFound);
        }
        t.check_variables(customer.as_str(), &writes, at)?;
        Ok(t.apply_variables(customer.as_str(), &writes))
    }

    async fn erase_customer(
        &self, tenant: &TenantId, customer: &CustomerRef, erasure: Erasure,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let t = state.tenant(tenant);
        if erasure
            .only_if_idle()
            .is_some_and(|idle| !t.is_idle(customer.as_str(), idle))
            || !t.erase(customer)
        {
            return Ok(false);
        }
        // Webhook events about them go with them; the erasure's own event names them.
        t.webhooks.erase(customer.as_str());
        t.webhooks
            .write(vec![Event::customer_erased(*tenant, customer, &erasure)]);
        Ok(true)
    }
}
