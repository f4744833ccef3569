//! A JSON response that can also be stored and replayed as it was sent.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Serialize;
use stickycalls_domain::identity::CustomerRef;

use stickycalls_inbound::error::ApiError;

/// A successful answer: status, JSON text, and the credits header when known.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: String,
    pub credits_remaining: Option<u64>,
    /// The customer the body is about: a stored copy is erased with them.
    pub customer: Option<CustomerRef>,
}

impl Reply {
    pub fn json<T: Serialize>(
        status: StatusCode, value: &T, credits_remaining: Option<u64>,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            status,
            body: serde_json::to_string(value).map_err(|e| ApiError::internal(e.into()))?,
            credits_remaining,
            customer: None,
        })
    }

    /// Marks the body as holding `customer`'s data.
    pub fn about(self, customer: CustomerRef) -> Self {
        Self {
            customer: Some(customer),
            ..self
        }
    }

    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.content_type("application/json");
        if let Some(credits) = self.credits_remaining {
            response.insert_header(("X-Credits-Remaining", credits.to_string()));
        }
        response.body(self.body)
    }
}
