//! What a decision says beyond its score: the signals that add up to it, the other
//! people it could be, the risks seen, and the recommendation after the policy's caps.
//! Kept with the call, so a retried start answers exactly what the first one did.

use serde::{Deserialize, Serialize};

use super::confidence::{Confidence, Recommendation};
use super::hints::CustomerRef;
use crate::timestamp::Timestamp;

/// One source's contribution to the confidence (`ani:mobile` 0.5). A conflict is a
/// signal of weight 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// The source, as listed in `sources`.
    pub source: String,
    /// Its weight; the weights add up to the confidence before the cap at 1 and rounding.
    pub weight: f64,
}

impl Signal {
    /// The source saying the call's attestation was no documented value (read as
    /// none).
    pub const UNRECOGNIZED_ATTESTATION: &'static str = "attestation:unrecognized";

    /// [`Signal::UNRECOGNIZED_ATTESTATION`], weighing nothing.
    pub fn unrecognized_attestation() -> Self {
        Self {
            source: Self::UNRECOGNIZED_ATTESTATION.to_owned(),
            weight: 0.0,
        }
    }
}

/// A person the caller may be, offered when more than one is plausible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// Who.
    #[serde(deserialize_with = "stored_ref")]
    pub customer: CustomerRef,
    /// How sure we would be if it were them.
    pub confidence: Confidence,
    /// Their latest call, or when they were linked to the hint.
    pub last_seen: Timestamp,
    /// Something to ask about to tell them apart (their latest open intent); never a
    /// variable value.
    pub hint: Option<String>,
}

fn stored_ref<'de, D: serde::Deserializer<'de>>(d: D) -> Result<CustomerRef, D::Error> {
    String::deserialize(d).map(CustomerRef::from_trusted)
}

/// A risk seen in the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// The number's attestation failed: the caller id may be spoofed.
    SpoofSuspected,
    /// The call's attestation is weaker than the one the number's confirmed calls
    /// carry: the number alone no longer allows `reuse`.
    AttestationDowngrade,
    /// The number is a mobile not seen with this customer for longer than the
    /// tenant's dormancy: it may have been given to someone else.
    PossiblyRecycled,
    /// The hints give an external id in a namespace where the number's known person
    /// holds a different one: probably someone else on that number.
    ExternalIdMismatch,
}

impl Risk {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::SpoofSuspected => "spoof_suspected",
            Risk::AttestationDowngrade => "attestation_downgrade",
            Risk::PossiblyRecycled => "possibly_recycled",
            Risk::ExternalIdMismatch => "external_id_mismatch",
        }
    }
}

/// The confidence at which each recommendation starts, in hundredths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// `reuse` from here (default 0.5, docs/IDENTITY.md section 2).
    pub reuse: u8,
    /// `confirm` from here (default 0.3).
    pub confirm: u8,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            reuse: 50,
            confirm: 30,
        }
    }
}

impl Thresholds {
    /// The recommendation of a confidence, before any cap.
    pub fn recommend(&self, confidence: Confidence) -> Recommendation {
        match confidence.hundredths() {
            h if h >= self.reuse => Recommendation::Reuse,
            h if h >= self.confirm => Recommendation::Confirm,
            _ => Recommendation::Ignore,
        }
    }
}

/// Everything a decision answers besides the customer and the confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// What to do with the match.
    pub recommendation: Recommendation,
    /// Each source's weight.
    pub signals: Vec<Signal>,
    /// The plausible people, best first, when more than one is (else empty).
    pub candidates: Vec<Offer>,
    /// Risks seen.
    pub risk: Vec<Risk>,
    /// How many known people share the caller's number, when more than can be offered
    /// (the candidates are then the most likely of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_line: Option<u32>,
    /// The chance that the candidate is the caller (none on calls recorded before it
    /// was stated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

impl Explanation {
    /// The explanation of a call recorded before explanations were kept: the default
    /// thresholds' recommendation, no signals, no candidates.
    pub fn recorded_without(confidence: Confidence) -> Self {
        Self {
            recommendation: Thresholds::default().recommend(confidence),
            signals: Vec::new(),
            candidates: Vec::new(),
            risk: Vec::new(),
            shared_line: None,
            probability: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_inclusive_and_per_tenant() {
        let t = Thresholds::default();
        let at = |h| Confidence::from_hundredths(h);
        assert_eq!(t.recommend(at(50)), Recommendation::Reuse);
        assert_eq!(t.recommend(at(49)), Recommendation::Confirm);
        assert_eq!(t.recommend(at(30)), Recommendation::Confirm);
        assert_eq!(t.recommend(at(29)), Recommendation::Ignore);
        let strict = Thresholds {
            reuse: 80,
            confirm: 40,
        };
        assert_eq!(strict.recommend(at(79)), Recommendation::Confirm);
        assert_eq!(strict.recommend(at(39)), Recommendation::Ignore);
    }

    #[test]
    fn a_stored_explanation_reads_back_as_itself() {
        let explanation = Explanation {
            recommendation: Recommendation::Confirm,
            signals: vec![Signal {
                source: "ani:shared".into(),
                weight: 0.2,
            }],
            candidates: vec![Offer {
                customer: CustomerRef::from_trusted("cust_a"),
                confidence: Confidence::from_hundredths(25),
                last_seen: Timestamp::parse("2026-01-02T03:04:05.678Z").unwrap(),
                hint: Some("billing".into()),
            }],
            risk: vec![Risk::SpoofSuspected],
            shared_line: None,
            probability: None,
        };
        let stored = serde_json::to_string(&explanation).unwrap();
        let back: Explanation = serde_json::from_str(&stored).unwrap();
        assert_eq!(back, explanation);
        let old = Explanation::recorded_without(Confidence::from_hundredths(95));
        assert_eq!(old.recommendation, Recommendation::Reuse);
        assert!(old.signals.is_empty() && old.candidates.is_empty());
    }
}
