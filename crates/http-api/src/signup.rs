//! `POST /v1/accounts`: signup by API, as an AI agent would do it. A new account on
//! the Free plan with one test and one prod key, each shown once. The operator can
//! turn it off; it is rate-limited per client address. The command-line tool opens
//! accounts with the same [`open_account`].

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use stickycalls_domain::accounts::NewAccount;
use stickycalls_domain::ports::AccountStore;
use stickycalls_domain::tenant::{AccountId, Environment};
use utoipa::ToSchema;

use crate::body::typed;
use crate::error::ApiError;
use crate::{AppState, Backend, keys};

/// Credits each environment of a new account starts with (the Free plan's allowance).
pub const STARTING_CREDITS: u64 = 100;

/// `POST /v1/accounts`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SignupRequest {
    /// Contact address (required, kept private, never logged).
    pub email: String,
    /// Company or agent name (1 to 200 characters).
    pub name: String,
}

/// Both keys of a new account, in full: they are never shown again.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignupKeys {
    /// `sk_test_...`: the test environment (separate data and credits).
    pub test: String,
    /// `sk_prod_...`: the prod environment.
    pub prod: String,
}

/// The answer to `POST /v1/accounts` (201).
#[derive(Debug, Serialize, ToSchema)]
pub struct SignupResponse {
    /// The new account.
    pub account_id: String,
    /// `free`.
    pub plan: &'static str,
    /// Credits each environment starts with.
    pub credits_per_environment: u64,
    /// The keys, shown once.
    pub keys: SignupKeys,
}

/// A new account's id and its two keys in full.
#[derive(Debug)]
pub struct OpenedAccount {
    /// The account.
    pub id: AccountId,
    /// `sk_test_...`.
    pub test_key: String,
    /// `sk_prod_...`.
    pub prod_key: String,
}

/// Creates an account on the Free plan with one key per environment.
pub async fn open_account(
    store: &impl AccountStore,
    name: String,
    email: Option<String>,
) -> anyhow::Result<OpenedAccount> {
    let (test_key, test) = keys::generate(Environment::Test, "default")?;
    let (prod_key, prod) = keys::generate(Environment::Prod, "default")?;
    let id = AccountId(uuid::Uuid::new_v4());
    store
        .create_account(NewAccount {
            id,
            name,
            email,
            keys: vec![test, prod],
            starting_credits: STARTING_CREDITS,
        })
        .await?;
    Ok(OpenedAccount {
        id,
        test_key,
        prod_key,
    })
}

fn checked(request: SignupRequest) -> Result<(String, String), ApiError> {
    let name = request.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            vec!["name".into()],
            "must be 1 to 200 characters",
        ));
    }
    let email = request.email.trim().to_owned();
    let plausible = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !plausible {
        return Err(ApiError::invalid(
            vec!["email".into()],
            "must be an email address",
        ));
    }
    Ok((name, email))
}

pub(crate) async fn signup<B: Backend>(
    req: HttpRequest,
    state: web::Data<AppState<B>>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    if !state.options.public_signup {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "signup_disabled",
            "Public signup is turned off on this server; ask its operator for an account",
        ));
    }
    state.limits.admit_signup(&req)?;
    let (name, email) = checked(typed(&body)?)?;
    let opened = open_account(state.calls.store(), name, Some(email))
        .await
        .map_err(|e| match e.downcast::<stickycalls_domain::StoreError>() {
            Ok(store) => ApiError::from(store),
            Err(other) => ApiError::internal(other),
        })?;
    tracing::info!(account_id = %opened.id, "account opened by signup");
    Ok(HttpResponse::Created().json(SignupResponse {
        account_id: opened.id.to_string(),
        plan: "free",
        credits_per_environment: STARTING_CREDITS,
        keys: SignupKeys {
            test: opened.test_key,
            prod: opened.prod_key,
        },
    }))
}
