//! The webhook use cases: register an endpoint (its URL checked, its secret shown once),
//! list, read, delete, rotate its secret, list its deliveries.

use serde::Deserialize;

use super::signature::new_secret;
use super::target::{REFUSED, all_public, parse_target};
use super::{
    DELIVERIES_LISTED, DeliveryInfo, Endpoint, EventType, MAX_DESCRIPTION, PREVIOUS_SECRET_VALID,
};
use crate::error::{RefusalKind, StoreError, ValidationError};
use crate::ports::{Clock, HostResolver, IdGenerator, WebhookStore};
use crate::secret::Secret;
use crate::tenant::TenantId;

/// `POST /v1/webhooks` as sent.
#[derive(Debug, Clone, Deserialize)]
pub struct NewEndpointRequest {
    /// Where to deliver.
    pub url: String,
    /// Event type names.
    pub events: Vec<String>,
    /// A note for the tenant.
    #[serde(default)]
    pub description: Option<String>,
}

/// Why a webhook use case failed.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Refused input.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// No such endpoint in the tenant.
    #[error("webhook endpoint not found")]
    NotFound,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The webhook use cases over their ports.
#[derive(Debug, Clone)]
pub struct WebhookService<S, R, C, I> {
    store: S,
    resolver: R,
    clock: C,
    ids: I,
    allow_private: bool,
}

fn parse_events(names: &[String]) -> Result<Vec<EventType>, ValidationError> {
    if names.is_empty() {
        return Err(ValidationError::invalid(
            "events",
            "must name at least one event type",
        ));
    }
    let mut events = Vec::new();
    for name in names {
        let kind = EventType::parse(name).ok_or_else(|| {
            let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
            ValidationError::invalid(
                "events",
                format!("unknown event type {name:?}: one of {}", known.join(", ")),
            )
        })?;
        events.push(kind);
    }
    events.sort();
    events.dedup();
    Ok(events)
}

fn parse_description(text: Option<&str>) -> Result<String, ValidationError> {
    let text = text.unwrap_or("");
    if text.chars().count() > MAX_DESCRIPTION || text.chars().any(char::is_control) {
        return Err(ValidationError::invalid(
            "description",
            "must be at most 256 characters, without control characters",
        ));
    }
    Ok(text.trim().to_owned())
}

impl<S: WebhookStore, R: HostResolver, C: Clock, I: IdGenerator> WebhookService<S, R, C, I> {
    /// The use cases; `allow_private` is the operator's switch for private targets.
    pub fn new(store: S, resolver: R, clock: C, ids: I, allow_private: bool) -> Self {
        Self {
            store,
            resolver,
            clock,
            ids,
            allow_private,
        }
    }

    /// Registers an endpoint: its URL must be http(s) and, unless the operator allows
    /// private targets, reach public addresses only. The secret is returned once.
    pub async fn create(
        &self, tenant: &TenantId, request: NewEndpointRequest,
    ) -> Result<(Endpoint, Secret), WebhookError> {
        let target = parse_target(&request.url, self.allow_private);
        let events = parse_events(&request.events);
        let description = parse_description(request.description.as_deref());
        let (target, events, description) = match (target, events, description) {
            (Ok(t), Ok(e), Ok(d)) => (t, e, d),
            (t, e, d) => {
                let issues = [t.err(), e.err(), d.err()]
                    .into_iter()
                    .flatten()
                    .flat_map(|v| v.issues)
                    .collect();
                return Err(ValidationError {
                    kind: RefusalKind::InvalidRequest,
                    issues,
                }
                .into());
            }
        };
        if !self.allow_private && target.address.is_none() {
            let addresses = self.resolver.resolve(&target.host, target.port).await;
            if addresses.is_empty() {
                return Err(ValidationError::invalid("url", "its host does not resolve").into());
            }
            if !all_public(&addresses) {
                return Err(ValidationError::invalid("url", REFUSED).into());
            }
        }
        let id = format!("wh_{}", &hex::encode(self.ids.random_bytes())[..32]);
        let secret = new_secret(self.ids.random_bytes());
        let endpoint = Endpoint {
            id,
            tenant: *tenant,
            url: target.url.to_string(),
            events,
            description,
            created_at: self.clock.now(),
            disabled_at: None,
        };
        self.store
            .add_endpoint(endpoint.clone(), secret.clone())
            .await?;
        Ok((endpoint, secret))
    }

    /// The tenant's endpoints, oldest first.
    pub async fn list(&self, tenant: &TenantId) -> Result<Vec<Endpoint>, WebhookError> {
        Ok(self.store.endpoints(tenant).await?)
    }

    /// One endpoint.
    pub async fn get(&self, tenant: &TenantId, id: &str) -> Result<Endpoint, WebhookError> {
        self.list(tenant)
            .await?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or(WebhookError::NotFound)
    }

    /// Deletes an endpoint and its deliveries.
    pub async fn delete(&self, tenant: &TenantId, id: &str) -> Result<(), WebhookError> {
        if self.store.remove_endpoint(tenant, id).await? {
            Ok(())
        } else {
            Err(WebhookError::NotFound)
        }
    }

    /// A new secret for the endpoint, returned once; the old one still signs for 24 h.
    pub async fn rotate_secret(
        &self, tenant: &TenantId, id: &str,
    ) -> Result<(Endpoint, Secret), WebhookError> {
        let endpoint = self.get(tenant, id).await?;
        let secret = new_secret(self.ids.random_bytes());
        let until = self.clock.now() + PREVIOUS_SECRET_VALID;
        if !self
            .store
            .rotate_secret(tenant, id, secret.clone(), until)
            .await?
        {
            return Err(WebhookError::NotFound);
        }
        Ok((endpoint, secret))
    }

    /// The endpoint's latest deliveries, newest first.
    pub async fn deliveries(
        &self, tenant: &TenantId, id: &str,
    ) -> Result<Vec<DeliveryInfo>, WebhookError> {
        self.get(tenant, id).await?;
        Ok(self.store.deliveries(tenant, id, DELIVERIES_LISTED).await?)
    }
}
