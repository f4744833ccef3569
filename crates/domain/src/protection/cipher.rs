//! Sealing one value: XChaCha20-Poly1305 under a data key, with the value's tenant,
//! customer and field as associated data. Stored as `sc1.` and the URL-safe base64 of
//! the nonce followed by the ciphertext and its tag.

use crate::protection::keys::{aead_open, aead_seal};
use crate::protection::{DataKey, Field, Scope, Tampered};

/// Prefix of a sealed value, with its version.
pub(crate) const SEALED_PREFIX: &str = "sc1.";

fn associated(scope: &Scope, field: Field) -> String {
    format!("stickycalls sealed v1|{}|{}", field.as_str(), scope.name())
}

/// `plain` sealed under `key` for `field` of `scope`, with `nonce` (24 bytes the vault
/// draws at random; XChaCha's 192-bit nonce makes random draws safe).
pub fn seal(key: &DataKey, scope: &Scope, field: Field, plain: &str, nonce: [u8; 24]) -> String {
    let aad = associated(scope, field);
    aead_seal(
        key.bytes(),
        SEALED_PREFIX,
        aad.as_bytes(),
        plain.as_bytes(),
        nonce,
    )
}

/// Whether `stored` is a sealed value (rows written before encryption are not).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

/// The value sealed in `stored` for `field` of `scope`, or [`Tampered`].
pub fn open(key: &DataKey, scope: &Scope, field: Field, stored: &str) -> Result<String, Tampered> {
    let aad = associated(scope, field);
    let plain = aead_open(key.bytes(), SEALED_PREFIX, aad.as_bytes(), stored)?;
    String::from_utf8(plain).map_err(|_| Tampered)
}
