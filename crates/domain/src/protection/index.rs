//! Blind indexes: a lookup value (a normalised E.164 number, a namespaced external id)
//! replaced by an HMAC-SHA256 under a subkey of the tenant's key, so a store finds rows
//! by equality without holding the value. A keyed hash, not a ciphertext: whoever holds
//! the tenant key can test a guess; without it the index reveals only equality.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::protection::{DataKey, Field};

/// The index of `text` (already normalised: E.164, or `namespace:value`) for `field`
/// under the tenant's key: `bi1.` and 43 base64 characters.
pub fn blind_index(tenant_key: &DataKey, field: Field, text: &str) -> String {
    let subkey = tenant_key.derive(&format!("blind index v1|{}", field.as_str()));
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&subkey).expect("any key length");
    mac.update(text.as_bytes());
    format!(
        "bi1.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}
