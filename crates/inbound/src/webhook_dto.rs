//! The wire shape of a webhook endpoint (never its secret): the REST API's answers and
//! a whole-environment export's `webhook_endpoint` lines.

use serde::Serialize;
use stickycalls_domain::webhooks::Endpoint;
use utoipa::ToSchema;

/// An endpoint (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDto {
    /// `wh_` and 32 hex digits.
    pub id: String,
    /// Where deliveries go.
    pub url: String,
    /// The event types it is sent.
    pub events: Vec<&'static str>,
    /// The note.
    pub description: String,
    /// `enabled`, or `disabled` once it answered 410 Gone.
    pub status: &'static str,
    /// When it was registered.
    pub created_at: String,
    /// When a 410 answer disabled it, or null.
    pub disabled_at: Option<String>,
}

impl From<Endpoint> for WebhookDto {
    fn from(e: Endpoint) -> Self {
        Self {
            id: e.id,
            url: e.url,
            events: e.events.iter().map(|t| t.as_str()).collect(),
            description: e.description,
            status: if e.disabled_at.is_some() {
                "disabled"
            } else {
                "enabled"
            },
            created_at: e.created_at.to_string(),
            disabled_at: e.disabled_at.map(|t| t.to_string()),
        }
    }
}
