//! `GET /v1/keys`, `POST /v1/keys`, `DELETE /v1/keys/{id}`: a tenant's own keys.
//! A key manages the keys of its own environment only (a test key never sees or
//! revokes a prod key: 404). Several keys live at once, so rotation is: create, move
//! clients, revoke the old one. The last live key cannot be revoked (409).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use stickycalls_domain::accounts::{KeyInfo, Revocation};
use stickycalls_domain::ports::{AccountStore, Clock};
use stickycalls_domain::tenant::Environment;
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::body::typed;
use crate::error::ApiError;
use crate::{AppState, Backend, keys};

/// Most live keys per environment.
pub const MAX_LIVE_KEYS: usize = 20;

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
            id: format!("key_{}", k.lookup_id),
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
    pub name: String,
    /// `test` or `prod`; must be the calling key's environment (the default).
    pub environment: Option<String>,
}

/// The answer to `POST /v1/keys` (201): the key in full, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    /// The full key: store it now, it is never shown again.
    pub key: String,
    /// How it is listed.
    #[serde(flatten)]
    pub info: KeyDto,
}

fn key_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "key_not_found", "No such key")
}

pub(crate) async fn list<B: Backend>(
    state: web::Data<AppState<B>>,
    auth: Auth<B>,
) -> Result<HttpResponse, ApiError> {
    let keys = state.calls.store().list_keys(&auth.0.0.id).await?;
    Ok(HttpResponse::Ok().json(KeyList {
        keys: keys.into_iter().map(KeyDto::from).collect(),
    }))
}

pub(crate) async fn create<B: Backend>(
    state: web::Data<AppState<B>>,
    auth: Auth<B>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.0.0.id;
    let request: CreateKeyRequest = typed(&body)?;
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            vec!["name".into()],
            "must be 1 to 100 characters",
        ));
    }
    if let Some(environment) = request.environment.as_deref() {
        let wanted: Environment = environment
            .parse()
            .map_err(|e: String| ApiError::invalid(vec!["environment".into()], e))?;
        if wanted != tenant.environment {
            return Err(ApiError::invalid(
                vec!["environment".into()],
                format!(
                    "a {} key manages {} keys: use a {} key to make one",
                    tenant.environment.as_str(),
                    tenant.environment.as_str(),
                    wanted.as_str()
                ),
            ));
        }
    }
    let store = state.calls.store();
    if store.list_keys(&tenant).await?.len() >= MAX_LIVE_KEYS {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "too_many_keys",
            format!("At most {MAX_LIVE_KEYS} live keys per environment: revoke one first"),
        ));
    }
    let (token, key) = keys::generate(tenant.environment, name).map_err(ApiError::internal)?;
    let now = state.calls.clock().now();
    let info = KeyInfo {
        lookup_id: key.lookup_id.clone(),
        environment: key.environment,
        name: key.name.clone(),
        last4: key.last4.clone(),
        created_at: now,
        last_used_at: None,
    };
    store.add_key(&tenant, key, now).await?;
    tracing::info!(key_id = %format!("key_{}", info.lookup_id), "key created");
    Ok(HttpResponse::Created().json(CreatedKey {
        key: token,
        info: info.into(),
    }))
}

pub(crate) async fn revoke<B: Backend>(
    state: web::Data<AppState<B>>,
    auth: Auth<B>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.0.0.id;
    let lookup_id = id
        .strip_prefix("key_")
        .filter(|l| l.len() == 16 && l.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(key_not_found)?;
    let now = state.calls.clock().now();
    match state
        .calls
        .store()
        .revoke_key(&tenant, lookup_id, now)
        .await?
    {
        Revocation::Revoked => {
            state.keys.forget(lookup_id).await;
            tracing::info!(key_id = %id.as_str(), "key revoked");
            Ok(HttpResponse::NoContent().finish())
        }
        Revocation::NotFound => Err(key_not_found()),
        Revocation::LastKey => Err(ApiError::new(
            StatusCode::CONFLICT,
            "last_key",
            "This is the environment's last live key: create another before revoking it",
        )),
    }
}
