//! `POST /v1/accounts`: signup by API, as an AI agent would do it. A new account on
//! the Free plan with one test and one prod key, each shown once. The operator can
//! turn it off; it is rate-limited per client address. The command-line tool opens
//! accounts with the same domain use case (`AccountService::open`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{PartialSchema, ToSchema};

use stickycalls_inbound::field_schema::{AccountNameText, EmailText};

use stickycalls_domain::tenant::{AccountId, Environment, TenantId};
use uuid::Uuid;

use crate::idempotency::{Scope, idempotent};
use crate::reply::Reply;
use stickycalls_inbound::body::typed;
use stickycalls_inbound::error::ApiError;
use stickycalls_inbound::{AppState, Backend};

/// `POST /v1/accounts`.
#[derive(Deserialize, ToSchema)]
pub struct SignupRequest {
    /// Contact address (required, kept private, never logged).
    #[schema(schema_with = EmailText::schema)]
    pub email: String,
    /// Company or agent name (1 to 200 characters).
    #[schema(schema_with = AccountNameText::schema)]
    pub name: String,
}

/// Both keys of a new account, in full: they are never shown again.
#[derive(Serialize, ToSchema)]
pub struct SignupKeys {
    /// `sk_test_...`: the test environment (separate data and credits).
    pub test: String,
    /// `sk_prod_...`: the prod environment.
    pub prod: String,
}

/// The answer to `POST /v1/accounts` (201).
#[derive(Serialize, ToSchema)]
pub struct SignupResponse {
    /// The new account.
    pub account_id: String,
    /// `free`.
    pub plan: String,
    /// Credits each environment starts with.
    pub credits_per_environment: u64,
    /// The keys, shown once.
    pub keys: SignupKeys,
}

/// Where signups keep their `Idempotency-Key` records: no account has the nil id.
const SIGNUPS: TenantId = TenantId {
    account: AccountId(Uuid::nil()),
    environment: Environment::Test,
};

pub(crate) async fn signup<B: Backend>(
    req: HttpRequest, state: web::Data<AppState<B>>, body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    if !state.options.public_signup {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "signup_disabled",
            "Public signup is turned off on this server; ask its operator for an account",
        ));
    }
    let body = body.into_inner();
    // A replay is bound to the client's address as well as its header and body.
    let client = state.options.trusted_proxies.of(&req);
    let peer = client.map(|ip| ip.to_string()).unwrap_or_default();
    idempotent(
        &req,
        &state,
        &SIGNUPS,
        Scope::sealed("accounts", &peer),
        &body,
        || async {
            // Inside: a replay does not count against the address's signup limit.
            state.limits.admit_signup(&req, client).await?;
            let request: SignupRequest = typed(&body)?;
            let opened = state
                .accounts
                .open(&request.name, Some(&request.email))
                .await?;
            tracing::info!(account_id = %opened.id, "account opened by signup");
            let answer = SignupResponse {
                account_id: opened.id.to_string(),
                plan: opened.plan.plan,
                credits_per_environment: opened.plan.allowance,
                keys: SignupKeys {
                    test: opened.test_key.into_exposed(),
                    prod: opened.prod_key.into_exposed(),
                },
            };
            Reply::json(StatusCode::CREATED, &answer, None)
        },
    )
    .await
}

stickycalls_inbound::redact::opaque_debug!(SignupRequest, SignupKeys, SignupResponse);

#[cfg(test)]
mod tests {
    use super::SignupRequest;

    #[test]
    fn a_signup_prints_no_address() {
        let signup: SignupRequest =
            serde_json::from_value(serde_json::json!({"name": "Acme", "email": "zoe@example.com"}))
                .unwrap();
        assert!(!format!("{signup:?}").contains("zoe@"));
    }
}
