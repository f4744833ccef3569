//! `Idempotency-Key` rules: how long a key and its response are kept, when an
//! unfinished claim is given up, how a request is judged against what holds its key,
//! and which outcomes are worth replaying.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub mod claim;
mod service;

pub use claim::{
    ClaimCutoffs, HeldKey, IdempotencyClaim, KEPT_FOR, KeyClaim, LEASE, StoredResponse,
};
pub use service::IdempotencyService;

/// Whether a response with `status` is stored and replayed. Only outcomes the same
/// request would get again: successes and the refusals that depend on the request
/// alone (400 bad input, 404, 409 conflicts, 413 too large). A 402 (credits may
/// arrive), 429 (the window moves), 401/403 (keys and switches change) and every 5xx
/// are not stored, so the same key runs again once the cause is gone.
pub fn is_replayable(status: u16) -> bool {
    matches!(status, 200..=299 | 400 | 404 | 409 | 413)
}

/// The replay of a response that holds a secret shown once (a new API key, a
/// signup's two keys). Storing it in clear would keep working keys in the database, so
/// everything stored is derived from the `Idempotency-Key` header, which only the
/// client holds: the record is found by a digest of it, the request's fingerprint is
/// an HMAC under it, and the response is sealed (ChaCha20-Poly1305) under a key drawn
/// from it. A reader of the database learns nothing without the header; a header is
/// only as strong as its randomness (a UUID v4 is what the docs ask for).
pub struct SealedReplay {
    key: [u8; 32],
}

/// Debug never shows the key.
impl std::fmt::Debug for SealedReplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedReplay(..)")
    }
}

impl SealedReplay {
    /// Prefix of a sealed body, with its version.
    const SEALED: &'static str = "sealed:v1:";

    /// The keys of the header `header` sent in `scope` (a route, and anything else
    /// the replay must be bound to, such as the client's address for a signup).
    pub fn new(header: &str, scope: &str) -> Self {
        let mut digest = Sha256::new();
        for part in ["stickycalls sealed replay v1", scope, header] {
            digest.update((part.len() as u64).to_be_bytes());
            digest.update(part.as_bytes());
        }
        Self {
            key: digest.finalize().into(),
        }
    }

    fn mac(&self, label: &str, text: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length");
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.update(text.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// What the record is stored under, in place of the header.
    pub fn record_key(&self) -> String {
        format!("sealed:{}", self.mac("record", ""))
    }

    /// The fingerprint of a request (route and body), keyed so that it cannot be
    /// matched against guessed bodies.
    pub fn fingerprint(&self, request: &str) -> String {
        self.mac("fingerprint", request)
    }

    /// `response` sealed with `nonce` (12 bytes the caller draws at random).
    pub fn seal(&self, response: &str, nonce: [u8; 12]) -> String {
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.key));
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), response.as_bytes())
            .expect("ChaCha20-Poly1305 seals any message a request can produce");
        format!(
            "{}{}{}",
            Self::SEALED,
            hex::encode(nonce),
            hex::encode(sealed)
        )
    }

    /// The response sealed in `stored`, if it was sealed under this header.
    pub fn open(&self, stored: &str) -> Option<String> {
        let bytes = hex::decode(stored.strip_prefix(Self::SEALED)?).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(12);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.key));
        let plain = cipher.decrypt(Nonce::from_slice(nonce), sealed).ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;
    use time::Duration;
    use time::macros::datetime;

    #[test]
    fn a_sealed_replay_opens_only_with_its_header_and_scope() {
        let secret = r#"{"key":"sk_test_0123456789abcdef_secret"}"#;
        let replay = SealedReplay::new("3f1c9a1e-uuid", "keys");
        let stored = replay.seal(secret, [7; 12]);
        assert!(!stored.contains("sk_test"), "{stored}");
        assert_eq!(replay.open(&stored).as_deref(), Some(secret));
        for other in [
            SealedReplay::new("3f1c9a1e-uuiD", "keys"),
            SealedReplay::new("3f1c9a1e-uuid", "accounts 10.0.0.1"),
        ] {
            assert_eq!(other.open(&stored), None);
            assert_ne!(other.record_key(), replay.record_key());
            assert_ne!(other.fingerprint("b"), replay.fingerprint("b"));
        }
        assert!(!replay.record_key().contains("3f1c9a1e"));
        let mut tampered = stored.clone();
        tampered.replace_range(stored.len() - 2.., "00");
        assert_eq!(replay.open(&tampered), None);
        assert_eq!(replay.open("not sealed"), None);
    }

    #[test]
    fn only_outcomes_that_would_repeat_are_kept() {
        for kept in [200, 201, 204, 400, 404, 409, 413] {
            assert!(is_replayable(kept), "{kept}");
        }
        for not in [401, 402, 403, 408, 429, 500, 502, 503] {
            assert!(!is_replayable(not), "{not}");
        }
    }

    #[test]
    fn a_claim_is_abandoned_after_its_lease_and_forgotten_after_a_day() {
        let now = Timestamp::new(datetime!(2026-02-06 15:30:00 UTC));
        let cut = ClaimCutoffs::at(now);
        assert_eq!(cut.abandoned_before, now - Duration::seconds(60));
        assert_eq!(cut.expired_before, now - Duration::hours(24));
        assert!(cut.abandoned_before > cut.expired_before);
    }
}
