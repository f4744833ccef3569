//! `GET /v1/account` (plan, period, credits) and `GET /v1/usage` (per-day activity).
//! Both are reads: free, per tenant (a test key sees the test environment only).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use stickycalls_domain::ports::{Clock, CreditLedger, UsageStore};
use time::macros::format_description;
use time::{Date, Duration};

use crate::auth::Auth;
use crate::dto::{AccountResponse, DayUsageDto, UsageResponse};
use crate::error::ApiError;
use crate::reply::Reply;
use crate::{AppState, Backend};

/// Longest usage window.
pub const MAX_USAGE_DAYS: i64 = 366;

pub(crate) async fn account<B: Backend>(
    state: web::Data<AppState<B>>,
    auth: Auth<B>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.0.0;
    let now = state.calls.clock().now();
    let summary = state
        .calls
        .ledger()
        .summary(&tenant.id, now)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "account_not_found",
                "No credits are set up for this account",
            )
        })?;
    let body = AccountResponse {
        account_id: tenant.id.account.to_string(),
        environment: tenant.id.environment.as_str(),
        plan: summary.plan,
        billing_enabled: summary.billing_enabled,
        allowance: summary.allowance,
        allowance_used: summary.allowance.saturating_sub(summary.allowance_left),
        allowance_left: summary.allowance_left,
        top_up_balance: summary.top_up,
        credits_remaining: summary.allowance_left.saturating_add(summary.top_up),
        period_start: summary.period_start.to_string(),
        period_end: summary.period_end.to_string(),
    };
    Ok(Reply::json(StatusCode::OK, &body, None)?.into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct UsageQuery {
    from: Option<String>,
    to: Option<String>,
}

fn day(text: Option<&str>, field: &str, default: Date) -> Result<Date, ApiError> {
    match text {
        None => Ok(default),
        Some(t) => Date::parse(t, format_description!("[year]-[month]-[day]"))
            .map_err(|_| ApiError::invalid(vec![field.to_owned()], "must be a date, YYYY-MM-DD")),
    }
}

pub(crate) async fn usage<B: Backend>(
    state: web::Data<AppState<B>>,
    auth: Auth<B>,
    query: web::Query<UsageQuery>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.0.0;
    let today = state.calls.clock().now().get().date();
    let to = day(query.to.as_deref(), "to", today)?;
    let from = day(query.from.as_deref(), "from", to - Duration::days(29))?;
    if from > to {
        return Err(ApiError::invalid(
            vec!["from".into()],
            "must not be after `to`",
        ));
    }
    if (to - from).whole_days() >= MAX_USAGE_DAYS {
        return Err(ApiError::invalid(
            vec!["from".into()],
            format!("the window is at most {MAX_USAGE_DAYS} days"),
        ));
    }
    let days = state.calls.store().usage(&tenant.id, from, to).await?;
    let body = UsageResponse {
        environment: tenant.id.environment.as_str(),
        from: from.to_string(),
        to: to.to_string(),
        days: days.into_iter().map(DayUsageDto::from).collect(),
    };
    Ok(Reply::json(StatusCode::OK, &body, None)?.into_response())
}
