//! STIR/SHAKEN: how far the caller's carrier vouches for the number, in every spelling
//! the platforms send, and what each level may do to a decision.

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

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
    /// The signature did not verify: the number may be spoofed.
    Failed,
    /// No attestation came with the call.
    None,
}

/// Every accepted spelling (compared without regard to case), and its level. Twilio's
/// `StirVerstat`, Telnyx's and Bandwidth's `verstat` (Telnyx documents the bare
/// `TN-Validation-Passed` as A-level) and Bandwidth's `attestationIndicator`.
const SPELLINGS: &[(&str, Attestation)] = &[
    ("A", Attestation::A),
    ("B", Attestation::B),
    ("C", Attestation::C),
    ("failed", Attestation::Failed),
    ("none", Attestation::None),
    ("TN-Validation-Passed-A", Attestation::A),
    ("TN-Validation-Passed-B", Attestation::B),
    ("TN-Validation-Passed-C", Attestation::C),
    ("TN-Validation-Passed", Attestation::A),
    ("TN-Validation-Failed-A", Attestation::Failed),
    ("TN-Validation-Failed-B", Attestation::Failed),
    ("TN-Validation-Failed-C", Attestation::Failed),
    ("TN-Validation-Failed", Attestation::Failed),
    ("No-TN-Validation", Attestation::None),
    ("passed-A", Attestation::A),
    ("passed-B", Attestation::B),
    ("passed-C", Attestation::C),
];

impl Attestation {
    /// Where a request carries it.
    pub const FIELD: &'static str = "telco.attestation";

    /// Every accepted spelling, for documents and schemas.
    pub fn spellings() -> impl Iterator<Item = &'static str> {
        SPELLINGS.iter().map(|(s, _)| *s)
    }

    /// Reads a spelling; anything else is refused naming [`Attestation::FIELD`].
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        SPELLINGS
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(text))
            .map(|(_, level)| *level)
            .ok_or_else(|| {
                ValidationError::invalid(
                    Self::FIELD,
                    "must be A, B, C, failed, none or a platform's verstat \
                     (TN-Validation-Passed-A, TN-Validation-Failed, No-TN-Validation...)",
                )
            })
    }

    /// Reads what a store kept ([`Attestation::as_str`]); a value that does not read
    /// back is an error (corruption), never ignored.
    pub fn from_stored(text: Option<&str>) -> Result<Option<Self>, ValidationError> {
        text.map(Self::parse).transpose()
    }

    /// The canonical name (`A`, `failed`...).
    pub fn as_str(self) -> &'static str {
        match self {
            Attestation::A => "A",
            Attestation::B => "B",
            Attestation::C => "C",
            Attestation::Failed => "failed",
            Attestation::None => "none",
        }
    }
}

/// What a tenant lets each attestation level do (PRODUCT section 7, documented in
/// docs/IDENTITY.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationPolicy {
    /// A full attestation lets the number alone support `reuse`.
    pub a_allows_reuse_alone: bool,
    /// A partial attestation lets the number alone support `reuse` (default: no, the
    /// number must be backed by an external id or a customer ref).
    pub b_allows_reuse_alone: bool,
}

impl Default for AttestationPolicy {
    fn default() -> Self {
        Self {
            a_allows_reuse_alone: true,
            b_allows_reuse_alone: false,
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
            Some(Attestation::B) => self.b_allows_reuse_alone,
            Some(Attestation::C) => usual == Some(Attestation::C),
            Some(Attestation::None) | None => true,
            Some(Attestation::Failed) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_platform_spelling_reads_as_its_level() {
        let cases = [
            ("A", Attestation::A),
            ("b", Attestation::B),
            ("C", Attestation::C),
            ("failed", Attestation::Failed),
            ("none", Attestation::None),
            ("TN-Validation-Passed-A", Attestation::A),
            ("TN-Validation-Passed-B", Attestation::B),
            ("TN-Validation-Passed-C", Attestation::C),
            ("TN-Validation-Failed-A", Attestation::Failed),
            ("TN-Validation-Failed-C", Attestation::Failed),
            ("TN-Validation-Failed", Attestation::Failed),
            ("No-TN-Validation", Attestation::None),
            ("Tn-Validation-Passed", Attestation::A),
            ("TN-VALIDATION-FAILED", Attestation::Failed),
        ];
        for (text, level) in cases {
            assert_eq!(Attestation::parse(text), Ok(level), "{text}");
        }
    }

    #[test]
    fn anything_else_is_refused_naming_the_field() {
        for text in ["", "D", "passed", "TN-Validation", "A ", "verified"] {
            let err = Attestation::parse(text).unwrap_err();
            assert_eq!(err.issues[0].path, ["telco", "attestation"], "{text}");
        }
    }

    #[test]
    fn the_policy_per_level() {
        let policy = AttestationPolicy::default();
        let may = |call, usual| policy.number_alone_may_reuse(call, usual);
        assert!(may(Some(Attestation::A), None));
        assert!(!may(Some(Attestation::B), Some(Attestation::B)));
        assert!(may(Some(Attestation::C), Some(Attestation::C)));
        assert!(!may(Some(Attestation::C), None));
        assert!(!may(Some(Attestation::C), Some(Attestation::A)));
        assert!(may(Some(Attestation::None), None));
        assert!(may(None, None));
        assert!(!may(Some(Attestation::Failed), None));
        let lenient = AttestationPolicy {
            b_allows_reuse_alone: true,
            ..policy
        };
        assert!(lenient.number_alone_may_reuse(Some(Attestation::B), None));
        assert!(!lenient.number_alone_may_reuse(Some(Attestation::Failed), None));
    }
}
