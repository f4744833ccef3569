//! `Idempotency-Key`: the first response to a key is stored (in the database, so every
//! server process sees it) for 24 h and replayed for the same key and body with
//! `Idempotent-Replayed: true`; the same key with another body, or while the first
//! request is still running, is a 409. Which responses are kept, and when a claim is
//! given up, are the domain's rules (`stickycalls_domain::idempotency`).

use std::future::Future;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::Value;
use sha2::{Digest, Sha256};
use stickycalls_domain::accounts::{IdempotencyClaim, StoredResponse};
use stickycalls_domain::idempotency::{ClaimCutoffs, is_replayable};
use stickycalls_domain::ports::{Clock, IdempotencyStore};
use stickycalls_domain::tenant::Tenant;

use crate::error::ApiError;
use crate::reply::Reply;
use crate::{AppState, Backend};

/// Runs `run` at most once per (tenant, key); replays or refuses otherwise.
pub(crate) async fn idempotent<B, F, Fut>(
    req: &HttpRequest, state: &AppState<B>, tenant: &Tenant, route: &str, body: &Value, run: F,
) -> Result<HttpResponse, ApiError>
where
    B: Backend,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Reply, ApiError>>,
{
    let Some(header) = req.headers().get("idempotency-key") else {
        return run().await.map(Reply::into_response);
    };
    let key = header
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()))
        .ok_or_else(|| {
            ApiError::invalid(
                vec!["Idempotency-Key".into()],
                "must be 1 to 255 visible ASCII characters",
            )
        })?
        .to_owned();
    let fingerprint = hex::encode(Sha256::digest(format!("{route}\n{body}").as_bytes()));
    let store = &state.store;
    let now = state.calls.clock().now();
    match store
        .claim(&tenant.id, &key, &fingerprint, now, ClaimCutoffs::at(now))
        .await?
    {
        IdempotencyClaim::Claimed => {
            let result = run().await;
            let kept = match &result {
                Ok(reply) if is_replayable(reply.status.as_u16()) => Some(StoredResponse {
                    status: reply.status.as_u16(),
                    body: reply.body.clone(),
                    customer: reply.customer.clone(),
                }),
                Ok(_) => None,
                Err(e) if is_replayable(e.status().as_u16()) => serde_json::to_string(&e.body())
                    .ok()
                    .map(|body| StoredResponse {
                        status: e.status().as_u16(),
                        body,
                        customer: None,
                    }),
                Err(_) => None,
            };
            let saved = match kept {
                Some(response) => store.complete(&tenant.id, &key, response).await,
                None => store.release(&tenant.id, &key).await,
            };
            if let Err(e) = saved {
                tracing::warn!("idempotency record not saved: {e:#}");
            }
            result.map(Reply::into_response)
        }
        IdempotencyClaim::Replay(stored) => {
            let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
            Ok(HttpResponse::build(status)
                .content_type("application/json")
                .insert_header(("Idempotent-Replayed", "true"))
                .body(stored.body))
        }
        IdempotencyClaim::InFlight => Err(ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_key_in_use",
            "A request with this Idempotency-Key is still being processed",
        )),
        IdempotencyClaim::Mismatch => Err(ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_key_reused",
            "This Idempotency-Key was used with a different request",
        )),
    }
}
