//! `GET`/`PUT /v1/settings/retention`: how long the key's environment keeps calls and
//! idle customers. Reads are free; a `PUT` applies from the next periodic enforcement.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::Value;
use stickycalls_domain::retention::RetentionSettings;

use crate::reply::Reply;
use stickycalls_inbound::auth::Auth;
use stickycalls_inbound::body::typed;
use stickycalls_inbound::error::ApiError;
use stickycalls_inbound::retention_dto::{RetentionResponse, RetentionSettingsDto};
use stickycalls_inbound::{AppState, Backend};

pub(crate) async fn read<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>,
) -> Result<HttpResponse, ApiError> {
    let settings = state.retention.settings(&auth.0.0.id).await?;
    let body = RetentionResponse::from(settings);
    Ok(Reply::json(StatusCode::OK, &body, None)?.into_response())
}

pub(crate) async fn replace<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>, body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let request: RetentionSettingsDto = typed(&body.into_inner())?;
    let settings = RetentionSettings::parse(request.calls_days, request.customers_days)?;
    let settings = state.retention.replace(&auth.0.0.id, settings).await?;
    tracing::info!(
        calls_days = settings.calls_days,
        customers_days = settings.customers_days,
        "retention settings replaced"
    );
    let body = RetentionResponse::from(settings);
    Ok(Reply::json(StatusCode::OK, &body, None)?.into_response())
}
