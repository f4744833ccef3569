//! `/v1/webhooks`: a tenant's endpoints (register, list, read, delete, rotate the
//! secret) and each endpoint's deliveries. Per tenant and environment: another tenant's
//! endpoint answers 404. A secret is shown once, when made or rotated.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use stickycalls_domain::webhooks::{DeliveryInfo, NewEndpointRequest};
use utoipa::{PartialSchema, ToSchema};

use stickycalls_inbound::field_schema::{
    WebhookDescriptionText, WebhookEventsList, WebhookUrlText,
};

use crate::idempotency::{Scope, idempotent};
use crate::reply::Reply;
use stickycalls_inbound::auth::Auth;
use stickycalls_inbound::body::typed;
use stickycalls_inbound::error::ApiError;
use stickycalls_inbound::{AppState, Backend};

/// `POST /v1/webhooks`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateWebhookRequest {
    /// Where to deliver.
    #[schema(schema_with = WebhookUrlText::schema, example = "https://crm.example.com/hooks/stickycalls")]
    pub url: String,
    /// The event types to send: `call.ended`, `intent.opened`, `intent.resolved`,
    /// `customer.erased`, `credits.low`, `credits.exhausted`.
    #[schema(schema_with = WebhookEventsList::schema, example = json!(["call.ended", "intent.opened"]))]
    pub events: Vec<String>,
    /// A note.
    #[schema(schema_with = WebhookDescriptionText::schema)]
    pub description: Option<String>,
}

pub use stickycalls_inbound::webhook_dto::WebhookDto;

/// An endpoint with its signing secret, shown once (`POST /v1/webhooks`, 201, and
/// `POST /v1/webhooks/{id}/rotate-secret`).
#[derive(Serialize, ToSchema)]
pub struct WebhookWithSecret {
    /// `whsec_` and base64: verify each delivery's `webhook-signature` with it
    /// (Standard Webhooks). Store it now: it is never shown again.
    pub secret: String,
    /// The endpoint.
    #[serde(flatten)]
    pub webhook: WebhookDto,
}

stickycalls_inbound::redact::opaque_debug!(WebhookWithSecret);

/// `GET /v1/webhooks`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    /// The environment's endpoints, oldest first.
    pub webhooks: Vec<WebhookDto>,
}

/// One event's delivery to the endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDto {
    /// The event's id (the `webhook-id` header).
    pub event_id: String,
    /// Its type.
    pub event_type: &'static str,
    /// `pending`, `delivered`, `failed` (retries spent) or `cancelled` (endpoint gone).
    pub status: &'static str,
    /// Attempts made.
    pub attempts: u32,
    /// The last attempt's HTTP status, or null.
    pub last_response_code: Option<u16>,
    /// Why the last attempt got no status (a time-out, a refused address...), or null.
    pub last_error: Option<String>,
    /// When the last attempt was made, or null.
    pub last_attempt_at: Option<String>,
    /// When the next attempt is due (pending only), or null.
    pub next_attempt_at: Option<String>,
    /// When the event happened.
    pub created_at: String,
}

impl From<DeliveryInfo> for DeliveryDto {
    fn from(d: DeliveryInfo) -> Self {
        Self {
            event_id: d.event_id,
            event_type: d.event_type.as_str(),
            status: d.status.as_str(),
            attempts: d.attempts,
            last_response_code: d.last_response_code,
            last_error: d.last_error,
            last_attempt_at: d.last_attempt_at.map(|t| t.to_string()),
            next_attempt_at: d.next_attempt_at.map(|t| t.to_string()),
            created_at: d.created_at.to_string(),
        }
    }
}

/// `GET /v1/webhooks/{id}/deliveries`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    /// The latest 100, newest first.
    pub deliveries: Vec<DeliveryDto>,
}

pub(crate) async fn create<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, auth: Auth<B>, body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.0.0.id;
    let body = body.into_inner();
    idempotent(
        &req,
        &state,
        &tenant,
        Scope::sealed("webhooks", ""),
        &body,
        || async {
            let request: CreateWebhookRequest = typed(&body)?;
            let (endpoint, secret) = state
                .webhooks
                .create(
                    &tenant,
                    NewEndpointRequest {
                        url: request.url,
                        events: request.events,
                        description: request.description,
                    },
                )
                .await?;
            tracing::info!(webhook = %endpoint.id, "webhook endpoint created");
            let answer = WebhookWithSecret {
                secret: secret.into_exposed(),
                webhook: endpoint.into(),
            };
            Reply::json(StatusCode::CREATED, &answer, None)
        },
    )
    .await
}

pub(crate) async fn list<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>,
) -> Result<HttpResponse, ApiError> {
    let all = state.webhooks.list(&auth.0.0.id).await?;
    Ok(HttpResponse::Ok().json(WebhookList {
        webhooks: all.into_iter().map(WebhookDto::from).collect(),
    }))
}

pub(crate) async fn read<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>, id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let endpoint = state.webhooks.get(&auth.0.0.id, &id).await?;
    Ok(HttpResponse::Ok().json(WebhookDto::from(endpoint)))
}

pub(crate) async fn delete<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>, id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.webhooks.delete(&auth.0.0.id, &id).await?;
    tracing::info!(webhook = %id.as_str(), "webhook endpoint deleted");
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn rotate<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>, id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (endpoint, secret) = state.webhooks.rotate_secret(&auth.0.0.id, &id).await?;
    tracing::info!(webhook = %endpoint.id, "webhook secret rotated");
    Ok(HttpResponse::Ok().json(WebhookWithSecret {
        secret: secret.into_exposed(),
        webhook: endpoint.into(),
    }))
}

pub(crate) async fn deliveries<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>, id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let listed = state.webhooks.deliveries(&auth.0.0.id, &id).await?;
    Ok(HttpResponse::Ok().json(DeliveryList {
        deliveries: listed.into_iter().map(DeliveryDto::from).collect(),
    }))
}
