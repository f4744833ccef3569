//! `POST /v1/calls/start` and `POST /v1/calls/end`: the shared path from the body to the
//! use case, under `Idempotency-Key` replay.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;
use stickycalls_inbound::auth::Auth;
use stickycalls_inbound::calls::{end_call, start_call};
use stickycalls_inbound::dto::{EndResponse, StartResponse};
use stickycalls_inbound::error::ApiError;
use stickycalls_inbound::{AppState, Backend};

use crate::idempotency::{Scope, idempotent};
use crate::reply::Reply;

pub(crate) async fn start<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, auth: Auth<B>, body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.0.0;
    let body = body.into_inner();
    idempotent(
        &req,
        &state,
        &tenant.id,
        Scope::sealed("calls/start", ""),
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
        Scope::sealed("calls/end", ""),
        &body,
        || async {
            let outcome = end_call(&state, &tenant, &body).await?;
            let customer = outcome.customer_ref.clone();
            Ok(Reply::json(StatusCode::OK, &EndResponse::from(outcome), None)?.about(customer))
        },
    )
    .await
}
