//! The business errors of the two use cases.

use crate::credits::InsufficientCredits;
use crate::error::{StoreError, ValidationError};

/// Why a `calls/start` did nothing.
#[derive(Debug, thiserror::Error)]
pub enum StartCallError {
    /// Bad input (400).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The `call_id` was used before with a different body (409 `call_id_reused`).
    #[error("call_id was already used for a different call")]
    CallIdReused,
    /// A billable start with no credits left (402 `insufficient_credits`).
    #[error(transparent)]
    InsufficientCredits(#[from] InsufficientCredits),
    /// The store failed (503 when unavailable, else 500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a `calls/end` did nothing.
#[derive(Debug, thiserror::Error)]
pub enum EndCallError {
    /// Bad input (400).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// No such call and nothing to identify the caller by (404 `call_not_found`).
    #[error("call not found")]
    CallNotFound,
    /// The call was already ended by a different request (409 `call_already_ended`).
    #[error("call already ended with a different request")]
    CallAlreadyEnded,
    /// A standalone end that would create a customer, and no credits left (402).
    #[error(transparent)]
    InsufficientCredits(#[from] InsufficientCredits),
    /// The store failed (503 when unavailable, else 500).
    #[error(transparent)]
    Store(#[from] StoreError),
}
