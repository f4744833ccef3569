//! Start-up: a server listens before its database is ready (so probes get an answer),
//! and until the binary says it is ready every route but health and metrics answers
//! 503 `service_unavailable`; health answers 503 `starting`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};

use crate::error::ApiError;
use crate::{AppState, Backend};

/// Whether the server has its database (migrated, first account made). Clones share
/// one flag.
#[derive(Debug, Clone)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    /// Ready from the start (tests, tools).
    pub fn ready() -> Self {
        Self(Arc::new(AtomicBool::new(true)))
    }

    /// Not ready until [`Readiness::set_ready`].
    pub fn starting() -> Self {
        Self(Arc::new(AtomicBool::new(false)))
    }

    /// The database is ready: every route serves.
    pub fn set_ready(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether every route serves.
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Answers 503 on every route but health and metrics until the server is ready.
pub async fn gate<B: Backend>(
    req: ServiceRequest, next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let ready = req
        .app_data::<web::Data<AppState<B>>>()
        .is_none_or(|state| state.readiness.is_ready());
    let path = req.path();
    if ready || path == "/v1/health" || path == "/metrics" {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let refusal = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
        "The server is starting: it is waiting for its database",
    )
    .retry_after(1)
    .error_response();
    Ok(req.into_response(refusal).map_into_right_body())
}
