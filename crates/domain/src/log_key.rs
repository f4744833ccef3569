//! The key of the digests log lines carry instead of client-chosen references. A
//! reference may be a CRM number or a name: an unkeyed hash of it could be reversed by
//! trying likely values, so the digest is an HMAC-SHA256 under a key the operator sets
//! (`STICKYCALLS_LOG_KEY`, the same on every node so their lines can be followed
//! together) or, unset, one the binary draws at start.

use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use sha2::Sha256;

static LOG_KEY: OnceLock<Vec<u8>> = OnceLock::new();

/// Sets the process's log key (once; later calls are ignored and return `false`).
pub fn set_log_key(key: &[u8]) -> bool {
    LOG_KEY.set(key.to_vec()).is_ok()
}

/// `prefix:` and 12 letters (`a` to `p`, one per half-byte) of the keyed digest of
/// `text`: the same text gives the same digest within one key, and a digest shows no
/// digit a reader could mistake for part of a number.
pub fn keyed_digest(prefix: &str, text: &str) -> String {
    let key = LOG_KEY.get().map_or(&[][..], Vec::as_slice);
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(text.as_bytes());
    let digest = mac.finalize().into_bytes();
    let letters: String = digest
        .iter()
        .take(6)
        .flat_map(|b| [b >> 4, b & 0x0f])
        .map(|n| char::from(b'a' + n))
        .collect();
    format!("{prefix}:{letters}")
}
