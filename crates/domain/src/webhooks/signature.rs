//! Standard Webhooks signatures: a secret is `whsec_` and the base64 of 32 random bytes;
//! a delivery is signed `v1,` + base64(HMAC-SHA256(secret, `id.timestamp.body`)). While
//! a rotated-out secret is still valid the delivery carries both signatures, space
//! separated, so a receiver holding either verifies it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secret::Secret;

/// The prefix of a secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// A secret from 32 random bytes (drawn by an adapter: the domain has no randomness).
pub fn new_secret(random: [u8; 32]) -> Secret {
    Secret::new(format!("{SECRET_PREFIX}{}", STANDARD.encode(random)))
}

/// The key bytes of a secret (`None` if it is not `whsec_` + base64).
fn key(secret: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .ok()
}

/// The `webhook-signature` value for one secret.
fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key(secret)?).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: one signature per secret (the current one first).
pub fn sign(secrets: &[&str], id: &str, timestamp: i64, body: &str) -> String {
    secrets
        .iter()
        .filter_map(|s| signature(s, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The specification's test vector (standard-webhooks, `spec/standard-webhooks.md`).
    #[test]
    fn the_specifications_vector_signs_as_published() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&[secret], id, 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_rotation_signs_with_both_secrets_new_first() {
        let (new, old) = (new_secret([1; 32]), new_secret([2; 32]));
        let both = sign(&[new.expose(), old.expose()], "msg_1", 1, "{}");
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], sign(&[new.expose()], "msg_1", 1, "{}"));
        assert_ne!(parts[0], parts[1]);
        assert!(new.expose().starts_with("whsec_"));
    }
}
