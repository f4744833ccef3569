//! A STIR/SHAKEN value nobody documents is read as "not attested" and the call goes on;
//! the operator hears of each such value once per process, at warn, so a platform's new
//! spelling can be added. The value is shown only when it looks like a verstat (letters,
//! dashes, few digits); anything else (it is client text) only as a digest.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};

use sha2::{Digest, Sha256};
use stickycalls_domain::identity::Attestation;

use crate::dto::TelcoDto;

/// Distinct values remembered; past this, no more warnings (a client sending random
/// values cannot fill memory or the log).
const MAX_REMEMBERED: usize = 256;

static SEEN: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Mutex::default);

/// Warns once for an attestation value the domain does not recognise.
pub fn note(telco: Option<&TelcoDto>) {
    let Some(text) = telco.and_then(|t| t.attestation.as_deref()) else {
        return;
    };
    if !Attestation::read(Some(text), None, None).unrecognized {
        return;
    }
    let shown = loggable(text);
    let Ok(mut seen) = SEEN.lock() else {
        return;
    };
    if seen.len() < MAX_REMEMBERED && seen.insert(shown.clone()) {
        tracing::warn!(
            value = %shown,
            "telco.attestation: a value no platform documents; read as not attested"
        );
    }
}

/// The value itself when it is short and looks like a verstat (no run of 4 digits: no
/// phone number), else `sha256:` and its digest's first 12 hex digits.
fn loggable(text: &str) -> String {
    let verstat_like = text.len() <= 48
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ' ' | '.'))
        && !text
            .as_bytes()
            .windows(4)
            .any(|w| w.iter().all(u8::is_ascii_digit));
    if verstat_like {
        text.to_owned()
    } else {
        let digest = Sha256::digest(text.as_bytes());
        format!("sha256:{}", &hex::encode(digest)[..12])
    }
}

#[cfg(test)]
mod tests {
    use super::loggable;

    #[test]
    fn only_verstat_like_values_are_shown() {
        assert_eq!(loggable("TN-Validation-Maybe"), "TN-Validation-Maybe");
        for hidden in ["+14155550100", "call me 4155", "a\u{0}b", &"x".repeat(49)] {
            assert!(loggable(hidden).starts_with("sha256:"), "{hidden:?}");
        }
    }
}
