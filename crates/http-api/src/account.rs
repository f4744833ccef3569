//! `GET /v1/account` (plan, period, credits) and `GET /v1/usage` (per-day activity).
//! Both are reads: free, per tenant (a test key sees the test environment only).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::reply::Reply;
use stickycalls_inbound::auth::Auth;
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
