//! Sealing one value: XChaCha20-Poly1305 under a data key, with the value's tenant,
//! customer and field as associated data. Stored as `sc1.` and the URL-safe base64 of
//! the nonce followed by the ciphertext and its tag.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::protection::{DataKey, Field, Scope, Tampered};

/// Prefix of a sealed value, with its version.
pub(crate) const SEALED_PREFIX: &str = "sc1.";

fn associated(scope: &Scope, field: Field) -> String {
    format!("stickycalls sealed v1|{}|{}", field.as_str(), scope.name())
}

/// `plain` sealed under `key` for `field` of `scope`, with `nonce` (24 bytes the vault
/// draws at random; XChaCha's 192-bit nonce makes random draws safe).
pub fn seal(key: &DataKey, scope: &Scope, field: Field, plain: &str, nonce: [u8; 24]) -> String {
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    let aad = associated(scope, field);
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plain.as_bytes(),
                aad: aad.as_bytes(),
            },
        )
        .expect("XChaCha20-Poly1305 seals any value a request can carry");
    let mut out = nonce.to_vec();
    out.extend(sealed);
    format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
}

/// Whether `stored` is a sealed value (rows written before encryption are not).
pub(crate) fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

/// The value sealed in `stored` for `field` of `scope`, or [`Tampered`].
pub fn open(key: &DataKey, scope: &Scope, field: Field, stored: &str) -> Result<String, Tampered> {
    let body = stored.strip_prefix(SEALED_PREFIX).ok_or(Tampered)?;
    let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| Tampered)?;
    if bytes.len() < 24 {
        return Err(Tampered);
    }
    let (nonce, sealed) = bytes.split_at(24);
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    let aad = associated(scope, field);
    let plain = cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| Tampered)?;
    String::from_utf8(plain).map_err(|_| Tampered)
}
