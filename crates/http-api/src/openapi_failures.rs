//! The failures many operations share, as the OpenAPI document lists them: those of
//! any keyed request, and those of any request with a body.

use stickycalls_inbound::error::ErrorBody;

/// The refusals every route that takes a key can answer.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub(crate) enum KeyedFailures {
    /// A key problem.
    #[response(
        status = 401,
        description = "Missing, malformed, unknown or revoked key"
    )]
    Unauthorized(ErrorBody),
    /// Over the plan's rate.
    #[response(
        status = 429,
        description = "`rate_limited`: over the plan's rate (`Retry-After` says when to retry)"
    )]
    RateLimited(ErrorBody),
    /// The store is down, or the server is starting.
    #[response(
        status = 503,
        description = "The store is unavailable, or the server is still starting"
    )]
    Unavailable(ErrorBody),
}

/// The refusals of a route that reads a body.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub(crate) enum BodyFailures {
    /// Too slow.
    #[response(
        status = 408,
        description = "`request_timeout`: the body did not arrive in time"
    )]
    TooSlow(ErrorBody),
    /// Too large.
    #[response(status = 413, description = "`payload_too_large`: body over 64 KiB")]
    TooLarge(ErrorBody),
}
