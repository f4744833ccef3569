//! `Idempotency-Key`: the first response to a key is stored (in the database, so every
//! server process sees it) for 24 h and replayed for the same key and body with
//! `Idempotent-Replayed: true`; the same key with another body, or while the first
//! request is still running, is a 409. Which responses are kept, and when a claim is
//! given up, are the domain's rules (`stickycalls_domain::idempotency`). Responses
//! that show a secret once are kept sealed under the header (`SealedReplay`).

use std::future::Future;
use stickycalls_domain::calls::canonical_json;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::Value;
use sha2::{Digest, Sha256};
use stickycalls_domain::idempotency::{IdempotencyClaim, SealedReplay, StoredResponse};
use stickycalls_domain::tenant::TenantId;

use crate::reply::Reply;
use stickycalls_inbound::error::ApiError;
use stickycalls_inbound::{AppState, Backend};

/// A route's `Idempotency-Key` records, and how their responses are kept: sealed, on
/// every route (a call's answer holds the caller's variables; a new key's answer, the
/// key).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'a> {
    route: &'a str,
    /// What else the replay is bound to.
    sealed_to: Option<&'a str>,
}

impl<'a> Scope<'a> {
    /// Responses sealed under the header and bound to `binding` as well (a signup's,
    /// bound to the client's address; `""` for none): the database never holds the
    /// response in clear, nor the header.
    pub fn sealed(route: &'a str, binding: &'a str) -> Self {
        Self {
            route,
            sealed_to: Some(binding),
        }
    }
}

/// Runs `run` at most once per (tenant, key); replays or refuses otherwise.
pub(crate) async fn idempotent<B, F, Fut>(
    req: &HttpRequest, state: &AppState<B>, tenant: &TenantId, scope: Scope<'_>, body: &Value,
    run: F,
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
    let route = scope.route;
    // Keys sorted: the same body is the same request whatever order its keys came in.
    let request = format!("{route}\n{}", canonical_json(body));
    let sealed = scope
        .sealed_to
        .map(|binding| SealedReplay::new(&key, &format!("{route} {binding}")));
    let (key, fingerprint) = match &sealed {
        Some(sealed) => (sealed.record_key(), sealed.fingerprint(&request)),
        None => (key, hex::encode(Sha256::digest(request.as_bytes()))),
    };
    let seal = |body: String| match &sealed {
        Some(sealed) => {
            let nonce = uuid::Uuid::new_v4().into_bytes();
            sealed.seal(&body, nonce[..12].try_into().expect("12 of 16 bytes"))
        }
        None => body,
    };
    let idempotency = &state.idempotency;
    match idempotency.claim(tenant, &key, &fingerprint).await? {
        IdempotencyClaim::Claimed => {
            let result = run().await;
            let outcome = match &result {
                Ok(reply) => Some(StoredResponse {
                    status: reply.status.as_u16(),
                    body: seal(reply.body.clone()),
                    customer: reply.customer.clone(),
                }),
                Err(e) => serde_json::to_string(&e.body())
                    .ok()
                    .map(|body| StoredResponse {
                        status: e.status().as_u16(),
                        body: seal(body),
                        customer: None,
                    }),
            };
            let saved = match outcome {
                Some(response) => idempotency.finish(tenant, &key, response).await,
                None => idempotency.release(tenant, &key).await,
            };
            if let Err(e) = saved {
                tracing::warn!("idempotency record not saved: {e:#}");
            }
            result.map(Reply::into_response)
        }
        IdempotencyClaim::Replay(stored) => {
            let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
            let body = match &sealed {
                // The record matched this header's digest and fingerprint, so it was
                // sealed under this header: it opens unless the row was altered.
                Some(sealed) => sealed.open(&stored.body).ok_or_else(|| {
                    ApiError::internal(anyhow::anyhow!("a sealed replay did not open"))
                })?,
                None => stored.body,
            };
            Ok(HttpResponse::build(status)
                .content_type("application/json")
                .insert_header(("Idempotent-Replayed", "true"))
                .body(body))
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
