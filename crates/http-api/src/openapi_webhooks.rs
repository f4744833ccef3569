//! OpenAPI descriptions of `/v1/webhooks`. Collected by `openapi::ApiDoc`.

#![allow(dead_code)]

use crate::openapi_failures::{BodyFailures, KeyedFailures};
use crate::webhook_routes::{
    CreateWebhookRequest, DeliveryList, WebhookDto, WebhookList, WebhookWithSecret,
};
use stickycalls_inbound::error::ErrorBody;

/// Register an endpoint for events (docs/WEBHOOKS.md): deliveries are signed the
/// Standard Webhooks way with the secret in this answer, shown once. Supports
/// `Idempotency-Key` (the replay is sealed under it).
#[utoipa::path(post, path = "/v1/webhooks", request_body = CreateWebhookRequest, responses(
    (status = 201, description = "The endpoint and its secret, shown once", body = WebhookWithSecret),
    (status = 400, description = "A URL that is not http(s) or reaches a private address, an unknown event type, a long description", body = ErrorBody),
    KeyedFailures, BodyFailures,
))]
pub(crate) fn create_webhook_doc() {}

/// The environment's endpoints, oldest first (never their secrets).
#[utoipa::path(get, path = "/v1/webhooks", responses(
    (status = 200, description = "The endpoints", body = WebhookList),
    KeyedFailures,
))]
pub(crate) fn list_webhooks_doc() {}

/// One endpoint.
#[utoipa::path(get, path = "/v1/webhooks/{id}", params(("id" = String, Path, description = "`wh_...`")), responses(
    (status = 200, description = "The endpoint", body = WebhookDto),
    (status = 404, description = "`webhook_not_found`", body = ErrorBody),
    KeyedFailures,
))]
pub(crate) fn read_webhook_doc() {}

/// Delete an endpoint and its deliveries: nothing more is sent to it.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", params(("id" = String, Path, description = "`wh_...`")), responses(
    (status = 204, description = "Deleted"),
    (status = 404, description = "`webhook_not_found`", body = ErrorBody),
    KeyedFailures,
))]
pub(crate) fn delete_webhook_doc() {}

/// A new signing secret, shown once. For 24 hours deliveries carry a signature by
/// the old secret too, so receivers can switch without missing one.
#[utoipa::path(post, path = "/v1/webhooks/{id}/rotate-secret", params(("id" = String, Path, description = "`wh_...`")), responses(
    (status = 200, description = "The endpoint and its new secret, shown once", body = WebhookWithSecret),
    (status = 404, description = "`webhook_not_found`", body = ErrorBody),
    KeyedFailures,
))]
pub(crate) fn rotate_webhook_doc() {}

/// The endpoint's latest 100 deliveries, newest first: status, attempts, last response
/// code, next try.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", params(("id" = String, Path, description = "`wh_...`")), responses(
    (status = 200, description = "Deliveries", body = DeliveryList),
    (status = 404, description = "`webhook_not_found`", body = ErrorBody),
    KeyedFailures,
))]
pub(crate) fn webhook_deliveries_doc() {}
