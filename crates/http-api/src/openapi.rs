//! The OpenAPI 3.1 document, generated from the wire types themselves, served at
//! `GET /v1/openapi.json` and committed as `docs/openapi.json`.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use stickycalls_inbound::dto::{
    AccountResponse, EndRequest, EndResponse, HealthResponse, StartRequest, StartResponse,
    UsageResponse,
};
use stickycalls_inbound::error::ErrorBody;
use stickycalls_inbound::field_schema::DayText;
use stickycalls_inbound::wire_schemas::{EndRules, WireSchemas};

use crate::openapi_failures::{BodyFailures, KeyedFailures};
use crate::openapi_settings as settings;
use crate::openapi_tenant as tenant;
use crate::openapi_webhooks as webhooks;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sticky Calls API",
        description = "Call memory for contact centers: identify callers at call start, save context at call end."
    ),
    paths(
        health_doc, start_doc, end_doc, account_doc, usage_doc,
        tenant::signup_doc, tenant::list_keys_doc, tenant::create_key_doc, tenant::revoke_key_doc,
        tenant::search_customers_doc, tenant::read_customer_doc, tenant::export_customer_doc,
        tenant::erase_customer_doc, tenant::put_variable_doc, tenant::delete_variable_doc,
        tenant::metrics_doc, settings::read_settings_doc, settings::replace_settings_doc,
        settings::calibration_doc, settings::read_retention_doc, settings::replace_retention_doc,
        settings::export_account_doc, settings::close_account_doc,
        webhooks::create_webhook_doc, webhooks::list_webhooks_doc,
        webhooks::read_webhook_doc, webhooks::delete_webhook_doc, webhooks::rotate_webhook_doc,
        webhooks::webhook_deliveries_doc, crate::prompts::prompt_doc
    ),
    modifiers(&BearerKey, &EndRules, &Tags),
    security(("api_key" = []), ("api_key_basic" = []))
)]
struct ApiDoc;

struct BearerKey;

/// The reference's sections, in order: each operation goes to the first that names its
/// path or a parent of it (`/v1/account` is not a parent of `/v1/accounts`); the rest to
/// the last.
const TAGS: [(&str, &[&str], &str); 9] = [
    (
        "Calls",
        &["/v1/calls"],
        "The two calls of every phone call: identify at the start, save at the end.",
    ),
    (
        "Account and usage",
        &["/v1/account", "/v1/usage"],
        "The calling key's account: plan, credits, usage per day, and the whole environment's data exported.",
    ),
    (
        "Keys",
        &["/v1/keys"],
        "The environment's API keys: create, list, revoke.",
    ),
    (
        "Customers",
        &["/v1/customers"],
        "Find, read, export and erase customers; write their variables.",
    ),
    (
        "Data protection",
        &["/v1/settings/retention"],
        "How long the environment keeps calls, idle customers and webhook events.",
    ),
    (
        "Identity",
        &["/v1/settings", "/v1/identity"],
        "How callers are identified: the tenant's settings, and calibration.",
    ),
    (
        "Webhooks",
        &["/v1/webhooks"],
        "Endpoints the service calls when something happens, signed (Standard Webhooks).",
    ),
    ("Signup", &["/v1/accounts"], "Open an account by API."),
    (
        "Service",
        &[],
        "Health, this document, the agents' prompts, metrics.",
    ),
];

struct Tags;

impl Modify for Tags {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::tag::TagBuilder;
        openapi.tags = Some(
            TAGS.iter()
                .map(|(name, _, about)| {
                    TagBuilder::new()
                        .name(*name)
                        .description(Some(*about))
                        .build()
                })
                .collect(),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            let tag = TAGS
                .iter()
                .find(|(_, parents, _)| {
                    parents.iter().any(|p| {
                        path.strip_prefix(p)
                            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                    })
                })
                .map_or("Service", |(name, _, _)| name);
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
                &mut item.options,
                &mut item.trace,
            ]
            .into_iter()
            .flatten()
            {
                operation.tags = Some(vec![tag.to_owned()]);
            }
        }
    }
}

/// The cross-field rules of `calls/end` (see `field_schema::end_request_rules`).
impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "api_key",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("sk_test_... or sk_prod_...")
                        .build(),
                ),
            );
            components.add_security_scheme(
                "api_key_basic",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Basic)
                        .description(Some(
                            "The key as the user name, the password empty (or anything), \
                             for HTTP blocks that only do basic auth",
                        ))
                        .build(),
                ),
            );
        }
    }
}

/// Whether the store is reachable.
#[utoipa::path(get, path = "/v1/health", security(()), responses(
    (status = 200, description = "The store answers", body = HealthResponse),
    (status = 503, description = "The store does not answer", body = HealthResponse),
))]
#[allow(dead_code)]
fn health_doc() {}

/// Identify a caller at the start of a call. New callers cost one credit; returning
/// callers (recommendation `reuse`) are free. Supports `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/calls/start", request_body = StartRequest, responses(
    (status = 200, description = "The identity decision and the caller's context", body = StartResponse),
    (status = 400, description = "Bad input; `details.issues` names the fields", body = ErrorBody),
    (status = 402, description = "A new caller and no credits left", body = ErrorBody),
    (status = 409, description = "`call_id_reused` or an Idempotency-Key conflict", body = ErrorBody),
    KeyedFailures, BodyFailures,
))]
#[allow(dead_code)]
fn start_doc() {}

/// Save what happened at the end of a call. Free, except an end without a start that
/// identifies a new caller: it is recorded whole and costs what a start does. Supports
/// `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/calls/end", request_body = EndRequest, responses(
    (status = 200, description = "The call is ended", body = EndResponse),
    (status = 400, description = "Bad input, limits, or `sensitive_data_rejected`", body = ErrorBody),
    (status = 402, description = "A standalone end of a new caller and no credits left", body = ErrorBody),
    (status = 404, description = "`call_not_found`", body = ErrorBody),
    (status = 409, description = "`call_already_ended` or an Idempotency-Key conflict", body = ErrorBody),
    KeyedFailures, BodyFailures,
))]
#[allow(dead_code)]
fn end_doc() {}

/// The key's account and environment: plan, billing period, credits left. Free.
#[utoipa::path(get, path = "/v1/account", responses(
    (status = 200, description = "Plan, period and credits", body = AccountResponse),
    KeyedFailures,
))]
#[allow(dead_code)]
fn account_doc() {}

/// Per-day activity of the key's environment (UTC days). The answer names the window
/// it covers: at most the 366 days ending at `to`, and no day when `from` is after
/// `to`. Free.
#[utoipa::path(get, path = "/v1/usage", params(
    ("from" = Option<DayText>, Query, description = "First day, YYYY-MM-DD (default: 29 days before `to`)"),
    ("to" = Option<DayText>, Query, description = "Last day, YYYY-MM-DD (default: today)"),
), responses(
    (status = 200, description = "Days with activity", body = UsageResponse),
    (status = 400, description = "A date that is not YYYY-MM-DD", body = ErrorBody),
    KeyedFailures,
))]
#[allow(dead_code)]
fn usage_doc() {}

/// The OpenAPI document, pretty-printed.
pub fn openapi_json() -> String {
    // The operations, then every wire type's schema that no operation names.
    let mut document = ApiDoc::openapi();
    document.merge(WireSchemas::openapi());
    document.to_pretty_json().unwrap_or_default() + "\n"
}

pub(crate) async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(openapi_json())
}

#[cfg(test)]
mod tests {
    /// The committed `docs/openapi.json` is the generated one. `UPDATE_OPENAPI=1`
    /// rewrites it (`make openapi`).
    #[test]
    fn committed_openapi_matches_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
        let generated = super::openapi_json();
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            committed, generated,
            "docs/openapi.json is stale: run `make openapi`"
        );
        let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        for path in [
            "/v1/health",
            "/v1/calls/start",
            "/v1/calls/end",
            "/v1/accounts",
            "/v1/keys/{id}",
            "/v1/customers/{customer_ref}/export",
            "/metrics",
            "/v1/prompts/{name}",
        ] {
            assert!(doc["paths"][path].is_object(), "{path}");
        }
        let tag = |path: &str, method: &str| doc["paths"][path][method]["tags"][0].clone();
        assert_eq!(tag("/v1/accounts", "post"), "Signup");
        assert_eq!(tag("/v1/account", "get"), "Account and usage");
        assert_eq!(tag("/v1/calls/start", "post"), "Calls");
        assert_eq!(
            tag("/v1/customers/{customer_ref}/export", "get"),
            "Customers"
        );
        assert_eq!(tag("/v1/identity/calibration", "get"), "Identity");
        assert_eq!(tag("/metrics", "get"), "Service");
    }
}
