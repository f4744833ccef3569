//! Sealing one value: XChaCha20-Poly1305 under a data key, with the value's tenant,
//! customer and field as associated data. Stored as `sc1.`, the key's generation and a
//! dot when it is not the first (`sc1.2.`), then the URL-safe base64 of the nonce
//! followed by the ciphertext and its tag (base64 never holds a dot).

use crate::protection::keys::{aead_open, aead_seal};
use crate::protection::{DataKey, Field, Scope, Tampered};

/// Prefix of a sealed value, with its version.
pub(crate) const SEALED_PREFIX: &str = "sc1.";

fn associated(scope: &Scope, field: Field) -> String {
    format!("stickycalls sealed v1|{}|{}", field.as_str(), scope.name())
}

/// `plain` sealed under `key` for `field` of `scope`, with `nonce` (24 bytes the vault
/// draws at random; XChaCha's 192-bit nonce makes random draws safe), marked with the
/// key's generation.
pub fn seal(key: &DataKey, scope: &Scope, field: Field, plain: &str, nonce: [u8; 24]) -> String {
    let aad = associated(scope, field);
    aead_seal(
        key.bytes(),
        &prefix(key.generation()),
        aad.as_bytes(),
        plain.as_bytes(),
        nonce,
    )
}

/// What a value sealed under a key of `generation` starts with.
fn prefix(generation: u32) -> String {
    match generation {
        1 => SEALED_PREFIX.to_owned(),
        g => format!("{SEALED_PREFIX}{g}."),
    }
}

/// Whether `stored` is a sealed value (rows written before encryption are not).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

/// The generation of the key that sealed `stored`, if it is sealed (a mark that is not
/// a number reads as generation 0, which no key has: the value does not open).
pub fn generation_of(stored: &str) -> Option<u32> {
    let body = stored.strip_prefix(SEALED_PREFIX)?;
    Some(match body.split_once('.') {
        Some((generation, _)) => generation.parse().unwrap_or(0),
        None => 1,
    })
}

/// The value sealed in `stored` for `field` of `scope`, under the key of its generation
/// among `key` and those joined with it, or [`Tampered`].
pub fn open(key: &DataKey, scope: &Scope, field: Field, stored: &str) -> Result<String, Tampered> {
    let generation = generation_of(stored).ok_or(Tampered)?;
    let key = key.for_generation(generation).ok_or(Tampered)?;
    let aad = associated(scope, field);
    let plain = aead_open(key.bytes(), &prefix(generation), aad.as_bytes(), stored)?;
    String::from_utf8(plain).map_err(|_| Tampered)
}
