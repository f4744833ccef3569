//! `GET`/`PUT /v1/settings/identity` (a tenant's identity settings, per environment)
//! and `GET /v1/identity/calibration` (how its decisions turned out). Reads are free;
//! a `PUT` takes effect on this process at once, elsewhere within the settings cache
//! lifetime.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;

use crate::reply::Reply;
use stickycalls_inbound::auth::Auth;
use stickycalls_inbound::body::typed;
use stickycalls_inbound::error::ApiError;
use stickycalls_inbound::settings_dto::{CalibrationResponse, IdentitySettingsDto};
use stickycalls_inbound::{AppState, Backend};

pub(crate) async fn read<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.0.0;
    let settings = state.settings.settings(&tenant.id).await?;
    let body = IdentitySettingsDto::from(&settings);
    Ok(Reply::json(StatusCode::OK, &body, None)?.into_response())
}

pub(crate) async fn replace<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>, body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.0.0;
    let request: IdentitySettingsDto = typed(&body.into_inner())?;
    let settings = state.settings.replace(&tenant.id, request.into()).await?;
    state.policies.forget(&tenant.id).await;
    tracing::info!(
        learning = settings.learning,
        reuse = settings.thresholds.reuse,
        confirm = settings.thresholds.confirm,
        "identity settings replaced"
    );
    let body = IdentitySettingsDto::from(&settings);
    Ok(Reply::json(StatusCode::OK, &body, None)?.into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct CalibrationQuery {
    days: Option<String>,
}

pub(crate) async fn calibration<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>, query: web::Query<CalibrationQuery>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.0.0;
    let report = state
        .settings
        .calibration(&tenant.id, query.days.as_deref())
        .await?;
    let body = CalibrationResponse::from(report);
    Ok(Reply::json(StatusCode::OK, &body, None)?.into_response())
}
