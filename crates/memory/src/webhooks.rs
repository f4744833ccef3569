//! `WebhookStore` in memory: each tenant's endpoints, its outbox of events and their
//! deliveries, under the store's one lock (which makes a claim atomic).

use std::collections::BTreeMap;

use stickycalls_domain::ports::WebhookStore;
use stickycalls_domain::secret::Secret;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::webhooks::{
    Attempt, DeliveryInfo, DeliveryStatus, DueDelivery, Endpoint, Event, Outcome,
};
use stickycalls_domain::{StoreError, Timestamp};

use crate::MemoryStore;
use crate::state::Tenant;

/// An endpoint with its secrets.
#[derive(Debug, Clone)]
pub(crate) struct StoredEndpoint {
    pub endpoint: Endpoint,
    pub secret: Secret,
    pub previous: Option<(Secret, Timestamp)>,
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: Option<Timestamp>,
    pub last_attempt_at: Option<Timestamp>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
}

/// A tenant's webhooks.
#[derive(Debug, Default)]
pub(crate) struct Webhooks {
    pub endpoints: Vec<StoredEndpoint>,
    /// id -> event
    pub events: BTreeMap<String, Event>,
    /// (event id, endpoint id)
    pub deliveries: BTreeMap<(String, String), Delivery>,
}

impl Webhooks {
    /// Writes `events` to the outbox with a delivery per subscribed, enabled endpoint
    /// (none: nothing is kept).
    pub fn write(&mut self, events: Vec<Event>) {
        for event in events {
            let subscribed: Vec<String> = self
                .endpoints
                .iter()
                .filter(|e| {
                    e.endpoint.disabled_at.is_none() && e.endpoint.events.contains(&event.kind)
                })
                .map(|e| e.endpoint.id.clone())
                .collect();
            if subscribed.is_empty() || self.events.contains_key(&event.id) {
                continue;
            }
            for endpoint in subscribed {
                self.deliveries.insert(
                    (event.id.clone(), endpoint),
                    Delivery {
                        status: DeliveryStatus::Pending,
                        attempts: 0,
                        next_attempt_at: Some(event.at),
                        last_attempt_at: None,
                        last_status: None,
                        last_error: None,
                    },
                );
            }
            self.events.insert(event.id.clone(), event);
        }
    }

    /// Forgets the events about `customer` and their deliveries.
    pub fn erase(&mut self, customer: &str) {
        let gone: Vec<String> = self
            .events
            .iter()
            .filter(|(_, e)| e.customer.as_ref().is_some_and(|c| c.as_str() == customer))
            .map(|(id, _)| id.clone())
            .collect();
        for id in &gone {
            self.events.remove(id);
        }
        self.deliveries
            .retain(|(event, _), _| !gone.contains(event));
    }

    fn endpoint_mut(&mut self, id: &str) -> Option<&mut StoredEndpoint> {
        self.endpoints.iter_mut().find(|e| e.endpoint.id == id)
    }

    fn claim(
        &mut self, now: Timestamp, lease_until: Timestamp, room: usize, out: &mut Vec<DueDelivery>,
    ) {
        let mut due: Vec<(Timestamp, (String, String))> = self
            .deliveries
            .iter()
            .filter(|(_, d)| d.status == DeliveryStatus::Pending)
            .filter_map(|(k, d)| {
                d.next_attempt_at
                    .filter(|t| *t <= now)
                    .map(|t| (t, k.clone()))
            })
            .collect();
        due.sort();
        for (_, key) in due.into_iter() {
            if out.len() >= room {
                return;
            }
            let Some(endpoint) = self
                .endpoints
                .iter()
                .find(|e| e.endpoint.id == key.1 && e.endpoint.disabled_at.is_none())
                .cloned()
            else {
                continue;
            };
            let (Some(event), Some(delivery)) = (
                self.events.get(&key.0).cloned(),
                self.deliveries.get_mut(&key),
            ) else {
                continue;
            };
            delivery.attempts += 1;
            delivery.next_attempt_at = Some(lease_until);
            out.push(DueDelivery {
                // One map: one partition.
                partition: String::new(),
                event_id: key.0.clone(),
                endpoint_id: key.1.clone(),
                url: endpoint.endpoint.url,
                secret: endpoint.secret,
                previous: endpoint.previous,
                body: event.body,
                at: event.at,
                attempt: delivery.attempts,
            });
        }
    }

    fn record(&mut self, attempt: &Attempt) -> bool {
        let key = (attempt.event_id.clone(), attempt.endpoint_id.clone());
        let Some(delivery) = self.deliveries.get_mut(&key) else {
            return false;
        };
        delivery.status = DeliveryStatus::after(&attempt.outcome);
        delivery.next_attempt_at = match attempt.outcome {
            Outcome::Retry { at } => Some(at),
            _ => None,
        };
        delivery.last_attempt_at = Some(attempt.at);
        delivery.last_status = attempt.status_code();
        delivery.last_error = attempt.error().map(str::to_owned);
        if attempt.outcome == Outcome::Gone {
            if let Some(endpoint) = self.endpoint_mut(&attempt.endpoint_id) {
                endpoint.endpoint.disabled_at = Some(attempt.at);
            }
            for ((_, endpoint), d) in &mut self.deliveries {
                if *endpoint == attempt.endpoint_id && d.status == DeliveryStatus::Pending {
                    d.status = DeliveryStatus::Cancelled;
                    d.next_attempt_at = None;
                }
            }
        }
        true
    }
}

fn webhooks(t: &mut Tenant) -> &mut Webhooks {
    &mut t.webhooks
}

impl WebhookStore for MemoryStore {
    async fn add_endpoint(&self, endpoint: Endpoint, secret: Secret) -> Result<(), StoreError> {
        let mut state = self.lock();
        let t = state.tenant(&endpoint.tenant);
        webhooks(t).endpoints.push(StoredEndpoint {
            endpoint,
            secret,
            previous: None,
        });
        Ok(())
    }

    async fn endpoints(&self, tenant: &TenantId) -> Result<Vec<Endpoint>, StoreError> {
        let mut state = self.lock();
        let mut all: Vec<Endpoint> = webhooks(state.tenant(tenant))
            .endpoints
            .iter()
            .map(|e| e.endpoint.clone())
            .collect();
        all.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(all)
    }

    async fn remove_endpoint(&self, tenant: &TenantId, id: &str) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let w = webhooks(state.tenant(tenant));
        let before = w.endpoints.len();
        w.endpoints.retain(|e| e.endpoint.id != id);
        w.deliveries.retain(|(_, endpoint), _| endpoint != id);
        Ok(w.endpoints.len() < before)
    }

    async fn rotate_secret(
        &self, tenant: &TenantId, id: &str, secret: Secret, previous_until: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let Some(endpoint) = webhooks(state.tenant(tenant)).endpoint_mut(id) else {
            return Ok(false);
        };
        let old = std::mem::replace(&mut endpoint.secret, secret);
        endpoint.previous = Some((old, previous_until));
        Ok(true)
    }

    async fn deliveries(
        &self, tenant: &TenantId, id: &str, limit: usize,
    ) -> Result<Vec<DeliveryInfo>, StoreError> {
        let mut state = self.lock();
        let w = webhooks(state.tenant(tenant));
        let mut listed: Vec<DeliveryInfo> = w
            .deliveries
            .iter()
            .filter(|((_, endpoint), _)| endpoint == id)
            .filter_map(|((event, _), d)| {
                let e = w.events.get(event)?;
                Some(DeliveryInfo {
                    event_id: e.id.clone(),
                    event_type: e.kind,
                    status: d.status,
                    attempts: d.attempts,
                    last_response_code: d.last_status,
                    last_error: d.last_error.clone(),
                    last_attempt_at: d.last_attempt_at,
                    next_attempt_at: d
                        .next_attempt_at
                        .filter(|_| d.status == DeliveryStatus::Pending),
                    created_at: e.at,
                })
            })
            .collect();
        listed.sort_by(|a, b| (b.created_at, &b.event_id).cmp(&(a.created_at, &a.event_id)));
        listed.truncate(limit);
        Ok(listed)
    }

    async fn claim_due(
        &self, now: Timestamp, lease_until: Timestamp, limit: usize,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let mut state = self.lock();
        let mut due = Vec::new();
        for t in state.tenants.values_mut() {
            t.webhooks.claim(now, lease_until, limit, &mut due);
        }
        due.sort_by_key(|d| d.at);
        Ok(due)
    }

    async fn record_attempt(&self, attempt: Attempt) -> Result<(), StoreError> {
        let mut state = self.lock();
        for t in state.tenants.values_mut() {
            if t.webhooks.record(&attempt) {
                break;
            }
        }
        Ok(())
    }
}
