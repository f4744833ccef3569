//! `POST /v1/calls/start` and `POST /v1/calls/end`, and the one path from a JSON body to
//! the use case that the REST routes and the MCP tools share.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;
use stickycalls_domain::calls::{EndOutcome, StartOutcome};
use stickycalls_domain::tenant::Tenant;

use crate::auth::Auth;
use crate::body::typed;
use crate::dto::{EndRequest, EndResponse, StartRequest, StartResponse};
use crate::error::ApiError;
use crate::idempotency::{Scope, idempotent};
use crate::reply::Reply;
use crate::{AppState, Backend};

/// A start from its JSON body: validated as the wire contract says, run, counted and
/// logged (the number and customer reference only as digests).
pub(crate) async fn start_call<B: Backend>(
    state: &AppState<B>, tenant: &Tenant, body: &Value,
) -> Result<StartOutcome, ApiError> {
    let request: StartRequest = typed(body)?;
    crate::telco_log::note(request.telco.as_ref());
    let outcome = state.calls.start(tenant, request.into()).await?;
    state.metrics.started(&outcome);
    tracing::info!(
        call_id = %outcome.call_id,
        customer = %outcome.customer_ref.log_digest(),
        confidence = outcome.confidence.as_f64(),
        billable = outcome.billable,
        replayed = outcome.replayed,
        "call started"
    );
    Ok(outcome)
}

/// An end from its JSON body, run and logged.
pub(crate) async fn end_call<B: Backend>(
    state: &AppState<B>, tenant: &Tenant, body: &Value,
) -> Result<EndOutcome, ApiError> {
    let request: EndRequest = typed(body)?;
    crate::telco_log::note(request.telco.as_ref());
    let outcome = state.calls.end(tenant, request.into()).await?;
    tracing::info!(
        call_id = %outcome.call_id,
        customer = %outcome.customer_ref.log_digest(),
        intents_updated = outcome.intents_updated,
        variables_updated = outcome.variables_updated,
        replayed = outcome.replayed,
        "call ended"
    );
    Ok(outcome)
}

pub(crate) async fn start<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, auth: Auth<B>, body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.0.0;
    let body = body.into_inner();
    idempotent(
        &req,
        &state,
        &tenant.id,
        Scope::clear("calls/start"),
        &body,
        || async {
            let outcome = start_call(&state, &tenant, &body).await?;
            let credits = outcome.credits_remaining;
            let customer = outcome.customer_ref.clone();
            Ok(
                Reply::json(StatusCode::OK, &StartResponse::from(outcome), credits)?
                    .about(customer),
            )
        },
    )
    .await
}

pub(crate) async fn end<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, auth: Auth<B>, body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.0.0;
    let body = body.into_inner();
    idempotent(
        &req,
        &state,
        &tenant.id,
        Scope::clear("calls/end"),
        &body,
        || async {
            let outcome = end_call(&state, &tenant, &body).await?;
            let customer = outcome.customer_ref.clone();
            Ok(Reply::json(StatusCode::OK, &EndResponse::from(outcome), None)?.about(customer))
        },
    )
    .await
}
