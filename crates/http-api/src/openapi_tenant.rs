//! OpenAPI descriptions of what a tenant manages itself: signup, keys, customers, and
//! the operator's metrics. Collected by `openapi::ApiDoc`.

#![allow(dead_code)]

use crate::key_routes::{CreateKeyRequest, CreatedKey, KeyList};
use crate::openapi_failures::{BodyFailures, KeyedFailures};
use crate::signup::{SignupRequest, SignupResponse};
use stickycalls_inbound::customer_dto::{
    CustomerDto, CustomerExport, CustomerSearchResponse, VariableWritten,
};
use stickycalls_inbound::error::ErrorBody;
use stickycalls_inbound::field_schema::{
    CustomerLookupQuery, CustomerRefText, VariableBody, VariableKeyText,
};

/// Open an account by API (no human needed): Free plan, one test and one prod key,
/// each shown only in this answer. Rate-limited per client address; the operator can
/// turn it off.
#[utoipa::path(post, path = "/v1/accounts", security(()), request_body = SignupRequest, responses(
    (status = 201, description = "The account and its two keys, shown once", body = SignupResponse),
    (status = 400, description = "Bad name or email", body = ErrorBody),
    (status = 403, description = "`signup_disabled`", body = ErrorBody),
    (status = 429, description = "Too many signups from this address (`Retry-After`)", body = ErrorBody),
    (status = 503, description = "The store is unavailable, or the server is still starting", body = ErrorBody),
    BodyFailures,
))]
pub(crate) fn signup_doc() {}

/// The live keys of the calling key's environment (never their secrets).
#[utoipa::path(get, path = "/v1/keys", responses(
    (status = 200, description = "Live keys, oldest first", body = KeyList),
    KeyedFailures,
))]
pub(crate) fn list_keys_doc() {}

/// A new key in the calling key's environment, shown once. Several keys live at once:
/// rotate by creating, moving clients, then revoking the old key.
#[utoipa::path(post, path = "/v1/keys", request_body = CreateKeyRequest, responses(
    (status = 201, description = "The new key in full, shown once", body = CreatedKey),
    (status = 400, description = "Bad name or environment", body = ErrorBody),
    (status = 403, description = "`environment_forbidden`: a key of the other environment", body = ErrorBody),
    (status = 409, description = "`too_many_keys` (20 live per environment)", body = ErrorBody),
    KeyedFailures, BodyFailures,
))]
pub(crate) fn create_key_doc() {}

/// Revoke a key: refused at once by the server that revoked it, and by every other
/// server process within its key cache lifetime (60 s by default).
#[utoipa::path(delete, path = "/v1/keys/{id}", params(("id" = String, Path, description = "`key_...` from the listing")), responses(
    (status = 204, description = "Revoked"),
    (status = 404, description = "`key_not_found` (unknown, revoked, or another tenant's)", body = ErrorBody),
    (status = 409, description = "`last_key`: the environment's last live key", body = ErrorBody),
    KeyedFailures,
))]
pub(crate) fn revoke_key_doc() {}

/// Find customers by phone number or external id. Free; no call is recorded.
#[utoipa::path(get, path = "/v1/customers", params(
    ("lookup" = CustomerLookupQuery, Query, style = Form, explode, description = "Exactly one of `ani` (a phone number) or `external_id` (`namespace:value`, e.g. `crm:C-1042`)"),
), responses(
    (status = 200, description = "Matching customers (at most 20)", body = CustomerSearchResponse),
    (status = 400, description = "Neither or both parameters, or a bad value", body = ErrorBody),
    KeyedFailures,
))]
pub(crate) fn search_customers_doc() {}

/// A customer's links and live context. Free; no call is recorded.
#[utoipa::path(get, path = "/v1/customers/{customer_ref}", params(("customer_ref" = CustomerRefText, Path)), responses(
    (status = 200, description = "The customer", body = CustomerDto),
    (status = 400, description = "A malformed customer reference", body = ErrorBody),
    (status = 404, description = "`customer_not_found`", body = ErrorBody),
    KeyedFailures,
))]
pub(crate) fn read_customer_doc() {}

/// Everything held on a customer (GDPR access): links, every variable and intent,
/// every call.
#[utoipa::path(get, path = "/v1/customers/{customer_ref}/export", params(("customer_ref" = CustomerRefText, Path)), responses(
    (status = 200, description = "The export", body = CustomerExport),
    (status = 400, description = "A malformed customer reference", body = ErrorBody),
    (status = 404, description = "`customer_not_found`", body = ErrorBody),
    KeyedFailures,
))]
pub(crate) fn export_customer_doc() {}

/// Erase a customer (GDPR erasure): phones, external ids, variables, intents, call
/// records and stored idempotent responses about them. The next call from their
/// number is a new caller.
#[utoipa::path(delete, path = "/v1/customers/{customer_ref}", params(("customer_ref" = CustomerRefText, Path)), responses(
    (status = 204, description = "Erased"),
    (status = 400, description = "A malformed customer reference", body = ErrorBody),
    (status = 404, description = "`customer_not_found`", body = ErrorBody),
    KeyedFailures,
))]
pub(crate) fn erase_customer_doc() {}

/// Set one variable: body `{"value": ..., "ttl_seconds": N, "source": "..."}` or a
/// bare value. Same limits as variables sent with `calls/end`.
#[utoipa::path(put, path = "/v1/customers/{customer_ref}/variables/{key}", request_body = VariableBody, params(("customer_ref" = CustomerRefText, Path), ("key" = VariableKeyText, Path)), responses(
    (status = 200, description = "The variable as stored", body = VariableWritten),
    (status = 400, description = "Bad value, limits, or `sensitive_data_rejected`", body = ErrorBody),
    (status = 400, description = "A malformed customer reference", body = ErrorBody),
    (status = 404, description = "`customer_not_found`", body = ErrorBody),
    KeyedFailures,
))]
pub(crate) fn put_variable_doc() {}

/// Remove one variable.
#[utoipa::path(delete, path = "/v1/customers/{customer_ref}/variables/{key}", params(("customer_ref" = CustomerRefText, Path), ("key" = VariableKeyText, Path)), responses(
    (status = 204, description = "Removed"),
    (status = 400, description = "A malformed customer reference", body = ErrorBody),
    (status = 404, description = "`customer_not_found` or `variable_not_found`", body = ErrorBody),
    KeyedFailures,
))]
pub(crate) fn delete_variable_doc() {}

/// Prometheus metrics (OpenMetrics text): requests by route and status, latency,
/// starts by recommendation, billable starts, credits spent, pool use. No key needed;
/// no tenant data.
#[utoipa::path(get, path = "/metrics", security(()), responses(
    (status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text"),
))]
pub(crate) fn metrics_doc() {}
