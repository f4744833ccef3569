//! `GET /v1/keys`, `POST /v1/keys`, `DELETE /v1/keys/{id}`: a tenant's own keys.
//! A key manages the keys of its own environment only (a test key never sees or
//! revokes a prod key: 404). Several keys live at once, so rotation is: create, move
//! clients, revoke the old one. The last live key cannot be revoked (409).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use stickycalls_domain::accounts::KeyInfo;
use stickycalls_domain::keys::{KeyError, key_id, lookup_id_of};
use utoipa::{PartialSchema, ToSchema};

use stickycalls_inbound::field_schema::{EnvironmentText, KeyNameText};

use crate::idempotency::{Scope, idempotent};
use crate::reply::Reply;
use stickycalls_inbound::auth::Auth;
use stickycalls_inbound::body::typed;
use stickycalls_inbound::error::ApiError;
use stickycalls_inbound::{AppState, Backend, keys};

/// A key as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyDto {
    /// `key_` + the key's public lookup id.
    pub id: String,
    /// `test` or `prod`.
    pub environment: &'static str,
    /// Its label.
    pub name: String,
    /// The public start of the key (`sk_test_<lookup id>`).
    pub prefix: String,
    /// Its last four characters.
    pub last4: String,
    /// When it was made.
    pub created_at: String,
    /// When it last authenticated a request (updated at most once a minute per
    /// server process), or null.
    pub last_used_at: Option<String>,
}

impl From<KeyInfo> for KeyDto {
    fn from(k: KeyInfo) -> Self {
        Self {
            id: key_id(&k.lookup_id),
            environment: k.environment.as_str(),
            prefix: keys::prefix(k.environment, &k.lookup_id),
            name: k.name,
            last4: k.last4,
            created_at: k.created_at.to_string(),
            last_used_at: k.last_used_at.map(|t| t.to_string()),
        }
    }
}

/// `GET /v1/keys`.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    /// The environment's live keys, oldest first.
    pub keys: Vec<KeyDto>,
}

/// `POST /v1/keys`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateKeyRequest {
    /// A label (1 to 100 characters).
    #[schema(schema_with = KeyNameText::schema)]
    pub name: String,
    /// `test` or `prod`; must be the calling key's environment (the default).
    #[schema(schema_with = EnvironmentText::schema)]
    pub environment: Option<String>,
}

/// The answer to `POST /v1/keys` (201): the key in full, shown once.
#[derive(Serialize, ToSchema)]
pub struct CreatedKey {
    /// The full key: store it now, it is never shown again.
    pub key: String,
    /// How it is listed.
    #[serde(flatten)]
    pub info: KeyDto,
}

pub(crate) async fn list<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>,
) -> Result<HttpResponse, ApiError> {
    let keys = state.key_admin.list(&auth.0.0.id).await?;
    Ok(HttpResponse::Ok().json(KeyList {
        keys: keys.into_iter().map(KeyDto::from).collect(),
    }))
}

pub(crate) async fn create<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, auth: Auth<B>, body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.0.0.id;
    let body = body.into_inner();
    idempotent(
        &req,
        &state,
        &tenant,
        Scope::sealed("keys", ""),
        &body,
        || async {
            let request: CreateKeyRequest = typed(&body)?;
            let created = state
                .key_admin
                .create(&tenant, &request.name, request.environment.as_deref())
                .await?;
            tracing::info!(key_id = %key_id(&created.info.lookup_id), "key created");
            let answer = CreatedKey {
                key: created.token.into_exposed(),
                info: created.info.into(),
            };
            Reply::json(StatusCode::CREATED, &answer, None)
        },
    )
    .await
}

pub(crate) async fn revoke<B: Backend>(
    state: web::Data<AppState<B>>, auth: Auth<B>, id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // A malformed id names no key: the same 404 as an unknown one.
    let lookup_id = lookup_id_of(&id).ok_or(KeyError::NotFound)?;
    state.key_admin.revoke(&auth.0.0.id, lookup_id).await?;
    state.keys.forget(lookup_id).await;
    tracing::info!(key_id = %id.as_str(), "key revoked");
    Ok(HttpResponse::NoContent().finish())
}

stickycalls_inbound::redact::opaque_debug!(CreatedKey);
