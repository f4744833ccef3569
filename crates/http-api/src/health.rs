//! `GET /v1/health`: healthy when the store answers.

use actix_web::{HttpResponse, web};
use stickycalls_domain::ports::Health;

use crate::dto::HealthResponse;
use crate::{AppState, Backend};

pub(crate) async fn health<B: Backend>(state: web::Data<AppState<B>>) -> HttpResponse {
    match state.store.ping().await {
        Ok(()) => HttpResponse::Ok().json(HealthResponse { status: "healthy" }),
        Err(e) => {
            tracing::warn!("health check failed: {e:#}");
            HttpResponse::ServiceUnavailable().json(HealthResponse {
                status: "unhealthy",
            })
        }
    }
}
