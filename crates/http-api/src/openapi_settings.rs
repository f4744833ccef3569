//! OpenAPI descriptions of a tenant's identity settings, calibration and retention. Collected by
//! `openapi::ApiDoc`.

#![allow(dead_code)]

use crate::openapi_failures::{BodyFailures, KeyedFailures};
use stickycalls_inbound::error::ErrorBody;
use stickycalls_inbound::retention_dto::{RetentionResponse, RetentionSettingsDto};
use stickycalls_inbound::settings_dto::{CalibrationResponse, IdentitySettingsDto};

/// The identity settings of the key's environment (the defaults until replaced).
#[utoipa::path(get, path = "/v1/settings/identity", responses(
    (status = 200, description = "Every setting", body = IdentitySettingsDto),
    KeyedFailures,
))]
pub(crate) fn read_settings_doc() {}

/// Replace the identity settings of the key's environment: an omitted field takes its
/// default. Effective at once on the server that answers, within
/// `STICKYCALLS_SETTINGS_CACHE_SECONDS` (60 s) on the others.
#[utoipa::path(put, path = "/v1/settings/identity", request_body = IdentitySettingsDto, responses(
    (status = 200, description = "Every setting, as saved", body = IdentitySettingsDto),
    (status = 400, description = "Bad settings; `details.issues` names the fields, nothing is saved", body = ErrorBody),
    KeyedFailures, BodyFailures,
))]
pub(crate) fn replace_settings_doc() {}

/// How the key's environment's identity decisions turned out, judged by the ends that
/// named or confirmed a customer: per tenth of confidence, the Brier score, `reuse`
/// precision and recall, and the weights learning moves. Free.
#[utoipa::path(get, path = "/v1/identity/calibration", params(
    ("days" = Option<u32>, Query, minimum = 1, maximum = 366, description = "Days up to now (default 30)"),
), responses(
    (status = 200, description = "The calibration of the window", body = CalibrationResponse),
    (status = 400, description = "`days` is not a whole number from 1 to 366", body = ErrorBody),
    KeyedFailures,
))]
pub(crate) fn calibration_doc() {}

/// How long the key's environment keeps its data (the defaults until replaced).
#[utoipa::path(get, path = "/v1/settings/retention", responses(
    (status = 200, description = "Every period", body = RetentionResponse),
    KeyedFailures,
))]
pub(crate) fn read_retention_doc() {}

/// Replace the retention settings of the key's environment: an omitted `calls_days`
/// takes its default (400), an omitted or null `customers_days` turns customer
/// retention off. Applied by the periodic enforcement (every 10 minutes), in batches.
#[utoipa::path(put, path = "/v1/settings/retention", request_body = RetentionSettingsDto, responses(
    (status = 200, description = "Every period, as saved", body = RetentionResponse),
    (status = 400, description = "A period outside 30 to 3650 days, or `customers_days` above `calls_days`; `details.issues` names the fields, nothing is saved", body = ErrorBody),
    KeyedFailures, BodyFailures,
))]
pub(crate) fn replace_retention_doc() {}

/// The key's whole environment, streamed as NDJSON (`application/x-ndjson`), one JSON
/// object per line, each with a `type`: `tenant`, `identity_settings`,
/// `retention_settings`, each `webhook_endpoint` (never its secret), each `customer`
/// (as `GET /v1/customers/{customer_ref}/export` answers), each `ledger_entry`, then
/// `end` with the counts; a stream without `end` was cut short. Free; one at a time per
/// environment on a server.
#[utoipa::path(get, path = "/v1/account/export", responses(
    (status = 200, description = "NDJSON lines, ending with `{\"type\": \"end\", ...}`", content_type = "application/x-ndjson", body = String),
    (status = 429, description = "An export of this environment is running (`Retry-After`)", body = ErrorBody),
    KeyedFailures,
))]
pub(crate) fn export_account_doc() {}

/// Close the calling key's account: every key of both environments is revoked at once,
/// then every customer, call, setting, webhook endpoint and event of both environments
/// is deleted; the credit ledger stays (amounts and call ids, no personal data). Only a
/// prod key may close an account, with the account's id typed out as `confirm`. Cannot
/// be undone; export first (`GET /v1/account/export`).
#[utoipa::path(delete, path = "/v1/account", request_body = crate::account::CloseAccountRequest, responses(
    (status = 200, description = "The receipt", body = crate::account::AccountClosed),
    (status = 400, description = "`confirm` is not the account's id; nothing is changed", body = ErrorBody),
    (status = 403, description = "A test key (`environment_forbidden`): only a prod key may close the account", body = ErrorBody),
    KeyedFailures, BodyFailures,
))]
pub(crate) fn close_account_doc() {}
