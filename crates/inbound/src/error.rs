//! The one place every failure becomes an HTTP response: the error body of docs/API.md,
//! stable snake_case codes, a generic message for 5xx with the cause chain logged only.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use stickycalls_domain::accounts::AccountError;
use stickycalls_domain::calls::{EndCallError, StartCallError};
use stickycalls_domain::customers::CustomerError;
use stickycalls_domain::error::RefusalKind;
use stickycalls_domain::keys::KeyError;
use stickycalls_domain::retention::{ClosureError, RetentionError};
use stickycalls_domain::settings::SettingsError;
use stickycalls_domain::usage::UsageError;
use stickycalls_domain::webhooks::WebhookError;
use stickycalls_domain::{StoreError, ValidationError};
use utoipa::ToSchema;

use crate::request_id;

/// One field at fault.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssueBody {
    /// Path from the body's root, e.g. `["identity_hints", "ani"]`.
    pub path: Vec<String>,
    /// What is wrong.
    pub message: String,
}

/// `details` of an error body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DetailsBody {
    /// The fields at fault.
    pub issues: Vec<IssueBody>,
}

/// The error body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The status's reason phrase (`Bad Request`).
    pub error: String,
    /// Stable snake_case code (`invalid_request`).
    pub code: String,
    /// For a human.
    pub message: String,
    /// The request's id (also in the `X-Request-Id` header).
    pub request_id: String,
    /// Where it helps: the fields at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<DetailsBody>,
}

/// An error on its way to becoming a response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    issues: Vec<IssueBody>,
    retry_after: Option<u64>,
    cause: Option<anyhow::Error>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            issues: Vec::new(),
            retry_after: None,
            cause: None,
        }
    }

    /// 400 `invalid_request` naming one field.
    pub fn invalid(path: Vec<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            issues: vec![IssueBody { path, message }],
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Validation failed",
            )
        }
    }

    /// The same error, answered with `Retry-After: seconds`.
    pub fn retry_after(self, seconds: u64) -> Self {
        Self {
            retry_after: Some(seconds),
            ..self
        }
    }

    /// 401.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 500 with the cause kept for the log.
    pub fn internal(cause: anyhow::Error) -> Self {
        Self {
            cause: Some(cause),
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Something went wrong on our side",
            )
        }
    }

    /// An error several waiters share (one key check answering many requests): the
    /// last owner takes it whole, the others get a copy with the cause as text.
    pub fn from_shared(shared: std::sync::Arc<ApiError>) -> Self {
        std::sync::Arc::try_unwrap(shared).unwrap_or_else(|e| Self {
            status: e.status,
            code: e.code,
            message: e.message.clone(),
            issues: e.issues.clone(),
            retry_after: e.retry_after,
            cause: e.cause.as_ref().map(|c| anyhow::anyhow!("{c:#}")),
        })
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What the client is told.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The fields at fault, if any.
    pub fn issues(&self) -> &[IssueBody] {
        &self.issues
    }

    /// Logs the cause of a server error (never shown to the client).
    pub fn log_cause(&self) {
        if let Some(cause) = &self.cause
            && self.status.is_server_error()
        {
            tracing::error!(code = self.code, "request failed: {cause:#}");
        }
    }

    /// The body, for the current request.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            code: self.code.to_owned(),
            message: self.message.clone(),
            request_id: request_id::current(),
            details: (!self.issues.is_empty()).then(|| DetailsBody {
                issues: self.issues.clone(),
            }),
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        let (code, message) = match e.kind {
            RefusalKind::InvalidRequest => ("invalid_request", "Validation failed"),
            RefusalKind::SensitiveData => (
                "sensitive_data_rejected",
                "A value looks like a payment card number, which must not be stored",
            ),
        };
        Self {
            issues: e
                .issues
                .into_iter()
                .map(|i| IssueBody {
                    path: i.path,
                    message: i.message,
                })
                .collect(),
            ..Self::new(StatusCode::BAD_REQUEST, code, message)
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(cause) => Self {
                cause: Some(cause),
                retry_after: Some(1),
                ..Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service_unavailable",
                    "The service is temporarily unavailable; retry shortly",
                )
            },
            StoreError::Unknown(cause) => Self::internal(cause),
        }
    }
}

impl From<StartCallError> for ApiError {
    fn from(e: StartCallError) -> Self {
        match e {
            StartCallError::Invalid(e) => e.into(),
            StartCallError::CallIdReused => Self::new(
                StatusCode::CONFLICT,
                "call_id_reused",
                "This call_id was already used for a different call",
            ),
            StartCallError::InsufficientCredits(_) => Self::new(
                StatusCode::PAYMENT_REQUIRED,
                "insufficient_credits",
                "No credits left for a new caller; matches of returning callers stay free",
            ),
            StartCallError::Store(e) => e.into(),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(e) => e.into(),
            AccountError::NotFound(_) => Self::new(
                StatusCode::NOT_FOUND,
                "account_not_found",
                "No such account",
            ),
            AccountError::Store(e) => e.into(),
        }
    }
}

impl From<CustomerError> for ApiError {
    fn from(e: CustomerError) -> Self {
        match e {
            CustomerError::Invalid(e) => e.into(),
            CustomerError::NotFound => Self::new(
                StatusCode::NOT_FOUND,
                "customer_not_found",
                "No such customer",
            ),
            CustomerError::VariableNotFound => Self::new(
                StatusCode::NOT_FOUND,
                "variable_not_found",
                "The customer has no such variable",
            ),
            CustomerError::Store(e) => e.into(),
        }
    }
}

impl From<UsageError> for ApiError {
    fn from(e: UsageError) -> Self {
        match e {
            UsageError::Invalid(e) => e.into(),
            UsageError::NoAccount => Self::new(
                StatusCode::NOT_FOUND,
                "account_not_found",
                "No credits are set up for this account",
            ),
            UsageError::Store(e) => e.into(),
        }
    }
}

impl From<SettingsError> for ApiError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Invalid(e) => e.into(),
            SettingsError::Store(e) => e.into(),
        }
    }
}

impl From<RetentionError> for ApiError {
    fn from(e: RetentionError) -> Self {
        match e {
            RetentionError::Invalid(e) => e.into(),
            RetentionError::Store(e) => e.into(),
        }
    }
}

impl From<ClosureError> for ApiError {
    fn from(e: ClosureError) -> Self {
        match e {
            ClosureError::ProdKeyNeeded => ApiError::new(
                StatusCode::FORBIDDEN,
                "environment_forbidden",
                "Only a prod key may close the account",
            ),
            ClosureError::Invalid(e) => e.into(),
            ClosureError::NotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                "account_not_found",
                "No such account, or it is closed already",
            ),
            ClosureError::Store(e) => e.into(),
        }
    }
}

impl From<WebhookError> for ApiError {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::Invalid(e) => e.into(),
            WebhookError::NotFound => Self::new(
                StatusCode::NOT_FOUND,
                "webhook_not_found",
                "No such webhook endpoint",
            ),
            WebhookError::Store(e) => e.into(),
        }
    }
}

impl From<KeyError> for ApiError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Invalid(e) => e.into(),
            KeyError::TooManyKeys { max } => Self::new(
                StatusCode::CONFLICT,
                "too_many_keys",
                format!("At most {max} live keys per environment: revoke one first"),
            ),
            KeyError::NotFound => Self::new(StatusCode::NOT_FOUND, "key_not_found", "No such key"),
            KeyError::OtherEnvironment { own, wanted } => Self::new(
                StatusCode::FORBIDDEN,
                "environment_forbidden",
                format!("A {own} key manages {own} keys: use a {wanted} key to make one"),
            ),
            KeyError::LastKey => Self::new(
                StatusCode::CONFLICT,
                "last_key",
                "This is the environment's last live key: create another before revoking it",
            ),
            KeyError::Store(e) => e.into(),
        }
    }
}

impl From<EndCallError> for ApiError {
    fn from(e: EndCallError) -> Self {
        match e {
            EndCallError::Invalid(e) => e.into(),
            EndCallError::CallNotFound => Self::new(
                StatusCode::NOT_FOUND,
                "call_not_found",
                "No such call, and no customer_ref or identity_hints to record it by",
            ),
            EndCallError::CallAlreadyEnded => Self::new(
                StatusCode::CONFLICT,
                "call_already_ended",
                "This call was already ended with a different request",
            ),
            EndCallError::InsufficientCredits(_) => Self::new(
                StatusCode::PAYMENT_REQUIRED,
                "insufficient_credits",
                "No credits left for a new caller; ends of started calls stay free",
            ),
            EndCallError::Store(e) => e.into(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.log_cause();
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        response.json(self.body())
    }
}

/// Unknown routes answer 404 in JSON.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "No such route",
    ))
}
