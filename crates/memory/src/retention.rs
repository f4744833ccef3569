//! `RetentionStore` in memory: each tenant's settings beside its data; a deletion takes
//! at most a batch, as the SQL stores' do.

use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::ports::RetentionStore;
use stickycalls_domain::retention::{Idle, RetentionSettings};
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::webhooks::DeliveryStatus;
use stickycalls_domain::{StoreError, Timestamp};

use crate::MemoryStore;
use crate::state::Tenant;

impl Tenant {
    /// Whether the customer is idle as `idle` says, by the domain's rule.
    pub fn is_idle(&self, customer: &str, idle: Idle) -> bool {
        let Some(created) = self.customers.get(customer) else {
            return false;
        };
        let last_call = (self.calls.values())
            .filter(|c| c.customer.as_str() == customer)
            .map(|c| c.started_at)
            .max();
        let last_intent = (self.intents.iter())
            .filter(|((who, _), _)| who == customer)
            .map(|(_, i)| i.last_seen)
            .max();
        let last_expiry = (self.variables.iter())
            .filter(|((who, _), _)| who == customer)
            .map(|(_, v)| v.expires_at)
            .max();
        idle.holds(*created, last_call, last_intent, last_expiry)
    }
}

impl RetentionStore for MemoryStore {
    async fn retention_settings(
        &self, tenant: &TenantId,
    ) -> Result<Option<RetentionSettings>, StoreError> {
        Ok(self.lock().tenant(tenant).retention)
    }

    async fn save_retention_settings(
        &self, tenant: &TenantId, settings: RetentionSettings, _at: Timestamp,
    ) -> Result<(), StoreError> {
        self.lock().tenant(tenant).retention = Some(settings);
        Ok(())
    }

    async fn all_retention_settings(
        &self,
    ) -> Result<Vec<(TenantId, RetentionSettings)>, StoreError> {
        Ok(self
            .lock()
            .tenants
            .iter()
            .filter_map(|(id, t)| t.retention.map(|s| (*id, s)))
            .collect())
    }

    async fn delete_calls_started_before(
        &self, tenant: &TenantId, before: Timestamp, limit: usize,
    ) -> Result<usize, StoreError> {
        let mut state = self.lock();
        let t = state.tenant(tenant);
        let old: Vec<String> = t
            .calls
            .iter()
            .filter(|(_, c)| c.started_at < before)
            .map(|(id, _)| id.clone())
            .take(limit)
            .collect();
        for id in &old {
            t.calls.remove(id);
        }
        Ok(old.len())
    }

    async fn idle_customers(
        &self, tenant: &TenantId, idle: Idle, limit: usize,
    ) -> Result<Vec<CustomerRef>, StoreError> {
        let mut state = self.lock();
        let t = state.tenant(tenant);
        Ok(t.customers
            .keys()
            .filter(|c| t.is_idle(c, idle))
            .take(limit)
            .map(|c| CustomerRef::from_trusted(c.clone()))
            .collect())
    }

    async fn delete_customers(&self, tenant: &TenantId, limit: usize) -> Result<usize, StoreError> {
        let mut state = self.lock();
        let t = state.tenant(tenant);
        let some: Vec<String> = t.customers.keys().take(limit).cloned().collect();
        for who in &some {
            t.erase(&CustomerRef::from_trusted(who.clone()));
        }
        Ok(some.len())
    }

    async fn delete_tenant_remains(&self, tenant: &TenantId) -> Result<usize, StoreError> {
        let mut state = self.lock();
        let t = state.tenant(tenant);
        let w = &mut t.webhooks;
        let n = w.events.len()
            + w.endpoints.len()
            + t.claims.len()
            + usize::from(t.identity_settings.is_some())
            + usize::from(t.retention.is_some())
            + usize::from(t.credits.is_some())
            + t.rolled.len();
        w.events.clear();
        w.deliveries.clear();
        w.endpoints.clear();
        t.claims.clear();
        t.identity_settings = None;
        t.retention = None;
        t.credits = None;
        t.rolled.clear();
        Ok(n)
    }

    async fn delete_settled_webhook_events(
        &self, before: Timestamp, limit: usize,
    ) -> Result<usize, StoreError> {
        let mut state = self.lock();
        let mut left = limit;
        for t in state.tenants.values_mut() {
            let w = &mut t.webhooks;
            let settled: Vec<String> = w
                .events
                .iter()
                .filter(|(id, e)| {
                    e.at < before
                        && !w.deliveries.iter().any(|((event, _), d)| {
                            event == *id && d.status == DeliveryStatus::Pending
                        })
                })
                .map(|(id, _)| id.clone())
                .take(left)
                .collect();
            for id in &settled {
                w.events.remove(id);
            }
            w.deliveries
                .retain(|(event, _), _| !settled.contains(event));
            left -= settled.len();
        }
        Ok(limit - left)
    }
}
