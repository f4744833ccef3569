//! `GET /v1/account` (plan, period, credits) and `GET /v1/usage` (per-day activity).
//! Both are reads: free, per tenant (a test key sees the test environment only).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::reply::Reply;
use stickycalls_inbound::auth::Auth;
use stickycalls_inbound::body::typed;
use stickycalls_inbound::dto::{AccountResponse, DayUsageDto, UsageResponse};
use stickycalls_inbound::error::ApiError;
use stickycalls_inbound::{AppState, Backend};

pub(crate) async fn account<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.0.0;
    let summary = state.usage.account(&tenant.id).await?;
    let body = AccountResponse {
        account_id: tenant.id.account.to_string(),
        environment: tenant.id.environment.as_str(),
        billing_enabled: summary.billing_enabled,
        allowance: summary.allowance,
        allowance_used: summary.allowance_used(),
        allowance_left: summary.allowance_left,
        top_up_balance: summary.top_up,
        credits_remaining: summary.remaining(),
        period_start: summary.period_start.to_string(),
        period_end: summary.period_end.to_string(),
        plan: summary.plan,
    };
    Ok(Reply::json(StatusCode::OK, &body, None)?.into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct UsageQuery {
    from: Option<String>,
    to: Option<String>,
}

pub(crate) async fn usage<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>, query: web::Query<UsageQuery>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.0.0;
    let report = state
        .usage
        .report(&tenant.id, query.from.as_deref(), query.to.as_deref())
        .await?;
    let body = UsageResponse {
        environment: tenant.id.environment.as_str(),
        from: report.from.to_string(),
        to: report.to.to_string(),
        days: report.days.into_iter().map(DayUsageDto::from).collect(),
    };
    Ok(Reply::json(StatusCode::OK, &body, None)?.into_response())
}

/// `GET /v1/account/export`: the key's whole environment, as NDJSON.
pub(crate) async fn export<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>,
) -> Result<HttpResponse, ApiError> {
    stickycalls_inbound::export_stream::ndjson(state, auth.0.0.id).await
}

/// `DELETE /v1/account`'s body: the account's id, typed out.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseAccountRequest {
    /// The account's id (`GET /v1/account` answers it).
    pub confirm: String,
}

/// The receipt of a closure.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountClosed {
    /// The account.
    pub account_id: String,
    /// When it was closed.
    pub closed_at: String,
    /// Keys revoked (every one the account had live, both environments).
    pub keys_revoked: usize,
    /// Customers deleted with everything held on them, both environments.
    pub customers_deleted: usize,
    /// Other rows deleted: settings, webhook endpoints and events, balances.
    pub other_rows_deleted: usize,
}

/// `DELETE /v1/account`: closes the calling key's account (a prod key, the id typed out).
pub(crate) async fn close<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>, body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let request: CloseAccountRequest = typed(&body.into_inner())?;
    let closed = state.closure.close(&auth.0.0.id, &request.confirm).await?;
    for lookup_id in &closed.revoked_keys {
        state.keys.forget(lookup_id).await;
    }
    tracing::info!(
        keys = closed.revoked_keys.len(),
        customers = closed.customers,
        "account closed"
    );
    let receipt = AccountClosed {
        account_id: closed.account.to_string(),
        closed_at: closed.closed_at.to_string(),
        keys_revoked: closed.revoked_keys.len(),
        customers_deleted: closed.customers,
        other_rows_deleted: closed.other_rows,
    };
    Ok(Reply::json(StatusCode::OK, &receipt, None)?.into_response())
}
