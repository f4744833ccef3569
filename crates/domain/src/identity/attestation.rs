//! STIR/SHAKEN: how far the caller's carrier vouches for the number, in every spelling
//! the platforms document, and what each level may do to a decision. Telco metadata
//! never refuses a call: a value nobody documents reads as "not attested", and the
//! answer says so.

use serde::{Deserialize, Serialize};

/// The attestation of a call's number, as verified by the terminating carrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attestation {
    /// Full: the carrier knows the caller and that they may use the number.
    A,
    /// Partial: the carrier knows the caller, not their right to the number.
    B,
    /// Gateway: the carrier only saw the call enter its network.
    C,
    /// The signature verified but the level was not given (a bare
    /// `TN-Validation-Passed` from a carrier that puts the level elsewhere and did not
    /// send it): trusted no more than B.
    Passed,
    /// The signature did not verify: the number may be spoofed.
    Failed,
    /// No attestation came with the call.
    None,
}

/// The carriers whose spelling of a bare pass means something of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Carrier {
    /// Telnyx documents a bare `TN-Validation-Passed` as an A-level pass.
    Telnyx,
    /// Bandwidth sends `TN-Validation-Passed`/`-Failed` with the level in
    /// `attestationIndicator`.
    Bandwidth,
    /// Twilio puts the level in the value itself (`TN-Validation-Passed-A`).
    Twilio,
}

impl Carrier {
    /// Every carrier name, as the settings and `telco.carrier` spell them.
    pub const NAMES: [&'static str; 3] = ["telnyx", "bandwidth", "twilio"];

    /// Reads a carrier name (any case); `None` for any other carrier.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "telnyx" => Some(Carrier::Telnyx),
            "bandwidth" => Some(Carrier::Bandwidth),
            "twilio" => Some(Carrier::Twilio),
            _ => None,
        }
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Carrier::Telnyx => "telnyx",
            Carrier::Bandwidth => "bandwidth",
            Carrier::Twilio => "twilio",
        }
    }
}

/// What a spelling says: a level, or a pass whose level is given elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Level(Attestation),
    BarePass,
}

/// Every documented value, compared without regard to case and surrounding blanks.
/// Sources (docs/IDENTITY.md has the table, page by page):
/// - The verstat family ([`verstat_family`]): Twilio's `StirVerstat`,
///   <https://www.twilio.com/docs/voice/trusted-calling-with-shakenstir>: the level in the
///   value; `-Diverted` (a forwarded call, verified with the diverting provider's
///   certificate) and `-Passthrough` (a PASSporT passthrough call, verified with the
///   originating provider's) keep it. Telnyx's `verstat`,
///   <https://developers.telnyx.com/docs/voice/stir-shaken/sip-header-parameters>: a bare
///   `TN-Validation-Passed` is an A-level pass. Bandwidth's `stirShaken.verstat` with
///   `attestationIndicator` (<https://dev.bandwidth.com/docs/voice/webhooks/initiate>, the
///   `bandwidth.yml` of Bandwidth's SDKs): `TN-Validation-Passed`/`-Failed`, the level
///   apart.
/// - Twilio's `NULL` ("no attestation level determined") and `No-TN-Validation` are read
///   as none: nothing vouches for the number, nothing says it is spoofed.
/// - Plivo's `stir_verification`, <https://docs.plivo.com/docs/voice/concepts/stir-shaken>:
///   `Verified` (A), `Not Verified` (B or C: read as C, the weaker), `Not Applicable`.
/// - Our own short forms `A`, `B`, `C`, `passed`, `failed`, `none`, `passed-A`...
const SPELLINGS: &[(&str, Reading)] = &[
    ("A", Reading::Level(Attestation::A)),
    ("B", Reading::Level(Attestation::B)),
    ("C", Reading::Level(Attestation::C)),
    ("passed", Reading::Level(Attestation::Passed)),
    ("failed", Reading::Level(Attestation::Failed)),
    ("none", Reading::Level(Attestation::None)),
    ("No-TN-Validation", Reading::Level(Attestation::None)),
    ("NULL", Reading::Level(Attestation::None)),
    ("Verified", Reading::Level(Attestation::A)),
    ("Not Verified", Reading::Level(Attestation::C)),
    ("Not Applicable", Reading::Level(Attestation::None)),
    ("passed-A", Reading::Level(Attestation::A)),
    ("passed-B", Reading::Level(Attestation::B)),
    ("passed-C", Reading::Level(Attestation::C)),
];

/// Examples of the verstat family, for documents and schemas.
const VERSTAT_EXAMPLES: [&str; 4] = [
    "TN-Validation-Passed-A",
    "TN-Validation-Passed-C-Diverted",
    "TN-Validation-Failed-B-Passthrough",
    "TN-Validation-Passed",
];

/// A, B or C (any case).
fn level_letter(text: &str) -> Option<Attestation> {
    match text.trim().to_ascii_uppercase().as_str() {
        "A" => Some(Attestation::A),
        "B" => Some(Attestation::B),
        "C" => Some(Attestation::C),
        _ => None,
    }
}

/// The verstat family, any case: `TN-Validation-Passed` or `TN-Validation-Failed`, then
/// an optional level `-A`, `-B` or `-C`, then an optional `-Diverted` or
/// `-Passthrough`. A failure is a failure at any level; a pass keeps its level, or is a
/// bare pass when the value carries none.
fn verstat_family(text: &str) -> Option<Reading> {
    let lower = text.to_ascii_lowercase();
    let rest = lower.strip_prefix("tn-validation-")?;
    let (passed, rest) = match rest {
        r if r.starts_with("passed") => (true, &r["passed".len()..]),
        r if r.starts_with("failed") => (false, &r["failed".len()..]),
        _ => return None,
    };
    let rest = rest
        .strip_suffix("-diverted")
        .or_else(|| rest.strip_suffix("-passthrough"))
        .unwrap_or(rest);
    let level = match rest {
        "" => None,
        r => Some(level_letter(r.strip_prefix('-')?)?),
    };
    Some(match (passed, level) {
        (false, _) => Reading::Level(Attestation::Failed),
        (true, Some(level)) => Reading::Level(level),
        (true, None) => Reading::BarePass,
    })
}

/// A call's attestation as read from what the platform sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttestationRead {
    /// The level (`None`: nothing was sent).
    pub level: Option<Attestation>,
    /// The value was sent but nobody documents it: read as [`Attestation::None`].
    pub unrecognized: bool,
}

impl Attestation {
    /// Where a request carries it.
    pub const FIELD: &'static str = "telco.attestation";
    /// Every level.
    pub const ALL: [Attestation; 6] = [
        Attestation::A,
        Attestation::B,
        Attestation::C,
        Attestation::Passed,
        Attestation::Failed,
        Attestation::None,
    ];

    /// Documented spellings, for documents and schemas.
    pub fn spellings() -> impl Iterator<Item = &'static str> {
        VERSTAT_EXAMPLES
            .into_iter()
            .chain(SPELLINGS.iter().map(|(s, _)| *s))
    }

    /// Reads what a platform sent: `verstat` (any documented spelling, any case),
    /// Bandwidth's `attestationIndicator` (A, B or C) and the carrier, named by the
    /// request or else by the tenant's settings. A bare `TN-Validation-Passed` takes
    /// the indicator's level; without one it is an A-level pass where the carrier is
    /// Telnyx (as Telnyx documents it), elsewhere a pass of unknown level
    /// ([`Attestation::Passed`]). A value nobody documents is read as not attested
    /// and flagged; nothing here ever refuses a call.
    pub fn read(
        verstat: Option<&str>, indicator: Option<&str>, carrier: Option<Carrier>,
    ) -> AttestationRead {
        let Some(text) = verstat.map(str::trim).filter(|t| !t.is_empty()) else {
            return AttestationRead::default();
        };
        let reading = verstat_family(text).or_else(|| {
            SPELLINGS
                .iter()
                .find(|(s, _)| s.eq_ignore_ascii_case(text))
                .map(|(_, reading)| *reading)
        });
        let level =
            match reading {
                Some(Reading::Level(level)) => level,
                Some(Reading::BarePass) => indicator.and_then(level_letter).unwrap_or(
                    if carrier == Some(Carrier::Telnyx) {
                        Attestation::A
                    } else {
                        Attestation::Passed
                    },
                ),
                None => {
                    return AttestationRead {
                        level: Some(Attestation::None),
                        unrecognized: true,
                    };
                }
            };
        AttestationRead {
            level: Some(level),
            unrecognized: false,
        }
    }

    /// Reads what a store kept ([`Attestation::as_str`]); a value that does not read
    /// back is an error (corruption), never ignored.
    pub fn from_stored(text: Option<&str>) -> Result<Option<Self>, crate::error::ValidationError> {
        let Some(text) = text else {
            return Ok(None);
        };
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == text)
            .map(Some)
            .ok_or_else(|| {
                crate::error::ValidationError::invalid(Self::FIELD, "unknown stored level")
            })
    }

    /// The canonical name (`A`, `failed`...).
    pub fn as_str(self) -> &'static str {
        match self {
            Attestation::A => "A",
            Attestation::B => "B",
            Attestation::C => "C",
            Attestation::Passed => "passed",
            Attestation::Failed => "failed",
            Attestation::None => "none",
        }
    }
}

/// What a tenant lets each attestation level do (documented in
/// docs/IDENTITY.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationPolicy {
    /// A full attestation lets the number alone support `reuse`.
    pub a_allows_reuse_alone: bool,
    /// A partial attestation lets the number alone support `reuse` (default: no, the
    /// number must be backed by an external id or a customer ref). A pass of unknown
    /// level is held to the same rule.
    pub b_allows_reuse_alone: bool,
    /// The carrier the tenant's calls come through, when the request does not say:
    /// decides what a bare `TN-Validation-Passed` means.
    pub carrier: Option<Carrier>,
}

impl Default for AttestationPolicy {
    fn default() -> Self {
        Self {
            a_allows_reuse_alone: true,
            b_allows_reuse_alone: false,
            carrier: None,
        }
    }
}

impl AttestationPolicy {
    /// Whether a call with `attestation` may be reused on its number alone, on a
    /// number whose confirmed calls usually carry `usual`. None is neutral (the
    /// number's own weight decides); C is neutral on a number whose genuine calls carry
    /// C, and elsewhere it is a gateway vouching for nothing, the way spoofed calls
    /// arrive: not enough alone; failed never.
    pub fn number_alone_may_reuse(
        &self, attestation: Option<Attestation>, usual: Option<Attestation>,
    ) -> bool {
        match attestation {
            Some(Attestation::A) => self.a_allows_reuse_alone,
            Some(Attestation::B | Attestation::Passed) => self.b_allows_reuse_alone,
            Some(Attestation::C) => usual == Some(Attestation::C),
            Some(Attestation::None) | None => true,
            Some(Attestation::Failed) => false,
        }
    }
}

#[cfg(test)]
#[path = "attestation_tests.rs"]
mod tests;
