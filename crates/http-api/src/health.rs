//! `GET /v1/health`: healthy when the store answers; `starting` (503) until the server
//! has its database.

use actix_web::{HttpResponse, web};

use stickycalls_inbound::dto::HealthResponse;
use stickycalls_inbound::{AppState, Backend};

pub(crate) async fn health<B: Backend>(state: web::Data<AppState<B>>) -> HttpResponse {
    if !state.readiness.is_ready() {
        return HttpResponse::ServiceUnavailable().json(HealthResponse { status: "starting" });
    }
    match state.health.ping().await {
        Ok(()) => HttpResponse::Ok().json(HealthResponse { status: "healthy" }),
        Err(e) => {
            tracing::warn!("health check failed: {e:#}");
            HttpResponse::ServiceUnavailable().json(HealthResponse {
                status: "unhealthy",
            })
        }
    }
}
