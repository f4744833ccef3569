//! What an `Idempotency-Key` holds and how a request is judged against it: written
//! once here, so a store only claims or reads the record, atomically, and the HTTP
//! layer only turns the verdict into a response.

use time::Duration;

use crate::identity::CustomerRef;
use crate::timestamp::Timestamp;

/// How long a key and its stored response are kept (and replayed).
pub const KEPT_FOR: Duration = Duration::hours(24);

/// How long a claim without a response holds its key. A request that crashed or was
/// cut off mid-way frees its key after this, so a retry runs instead of answering 409
/// `idempotency_key_in_use` for a day. Longer than any request may take (the database
/// waits are seconds).
pub const LEASE: Duration = Duration::seconds(60);

/// When a claim stops holding its key, as of `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimCutoffs {
    /// Keys created before this are forgotten, with their response.
    pub expired_before: Timestamp,
    /// Claims still without a response created before this are abandoned.
    pub abandoned_before: Timestamp,
}

impl ClaimCutoffs {
    /// The cut-offs at `now`.
    pub fn at(now: Timestamp) -> Self {
        Self {
            expired_before: now - KEPT_FOR,
            abandoned_before: now - LEASE,
        }
    }
}

/// A response kept for an `Idempotency-Key`, replayed for the same key and body.
/// `Debug` shows the body's size only (it holds what the response held).
#[derive(Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// The JSON body, as sent.
    pub body: String,
    /// The customer the body is about: the response is kept only while they exist
    /// (a store drops it with their erasure, and does not keep it when they were
    /// erased while the request ran).
    pub customer: Option<CustomerRef>,
}

impl std::fmt::Debug for StoredResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredResponse")
            .field("status", &self.status)
            .field("body", &crate::redact::Redacted(&self.body))
            .field("customer", &self.customer)
            .finish()
    }
}

/// The record a store found under a key another request holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldKey {
    /// The fingerprint (route and body) of the request that claimed it.
    pub fingerprint: String,
    /// Its response, once it completed.
    pub response: Option<StoredResponse>,
}

/// What a store's claim of a key did: took it (after forgetting an expired or
/// abandoned record), or found it held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClaim {
    /// The key was free: the request now holds it.
    Claimed,
    /// The key is held: what holds it.
    Held(HeldKey),
}

/// What a request with an `Idempotency-Key` is to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// The key is new: this request owns it until it completes or is released.
    Claimed,
    /// The same key and body completed before: answer this.
    Replay(StoredResponse),
    /// The same key is being processed by another request.
    InFlight,
    /// The key was used with a different request.
    Mismatch,
}

impl KeyClaim {
    /// The verdict for a request whose fingerprint is `fingerprint`: another request's
    /// key is a mismatch whatever it holds; the same request's is replayed once it has
    /// a response, and in flight until then.
    pub fn judge(self, fingerprint: &str) -> IdempotencyClaim {
        match self {
            KeyClaim::Claimed => IdempotencyClaim::Claimed,
            KeyClaim::Held(held) if held.fingerprint != fingerprint => IdempotencyClaim::Mismatch,
            KeyClaim::Held(HeldKey {
                response: Some(response),
                ..
            }) => IdempotencyClaim::Replay(response),
            KeyClaim::Held(_) => IdempotencyClaim::InFlight,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(fingerprint: &str, response: Option<StoredResponse>) -> KeyClaim {
        KeyClaim::Held(HeldKey {
            fingerprint: fingerprint.to_owned(),
            response,
        })
    }

    fn ok() -> StoredResponse {
        StoredResponse {
            status: 200,
            body: "{}".into(),
            customer: None,
        }
    }

    #[test]
    fn every_case_of_a_claim() {
        assert_eq!(KeyClaim::Claimed.judge("a"), IdempotencyClaim::Claimed);
        assert_eq!(held("a", None).judge("a"), IdempotencyClaim::InFlight);
        assert_eq!(
            held("a", Some(ok())).judge("a"),
            IdempotencyClaim::Replay(ok())
        );
        assert_eq!(held("a", None).judge("b"), IdempotencyClaim::Mismatch);
        assert_eq!(held("a", Some(ok())).judge("b"), IdempotencyClaim::Mismatch);
    }
}
