//! Learning from confirmations (tenant setting `learning`): a signal whose calls have
//! been confirmed right nearly always may be trusted more, one that has often been
//! wrong less, within fixed bounds so that learning can never make the scorer
//! reckless:
//!
//! - only `external_id` is ever raised, and only up to the `reuse` threshold (so a CRM
//!   id alone may support `reuse`), never above [`MAX_LEARNED_WEIGHT`]: after at least
//!   [`MIN_CONFIRMED`] confirmed calls with it, at most 1 % of them wrong;
//! - `external_id` and the ANI weights of each line type are lowered to half their
//!   setting when more than 10 % of at least [`MIN_CONFIRMED`] confirmed calls with
//!   them were wrong;
//! - nothing else moves: recency, open intents, `customer_ref` and shared numbers keep
//!   their settings, and the policy's caps (candidates, attestation, landlines,
//!   dormancy) apply to learned weights as to any other.

use super::calibration::JudgedCalls;
use super::decision::Thresholds;
use super::scoring::ScoringWeights;

/// Confirmed calls a signal needs before its weight moves.
pub const MIN_CONFIRMED: u64 = 30;

/// The highest weight learning gives a signal.
pub const MAX_LEARNED_WEIGHT: f64 = 0.6;

/// One weight learning moved, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjustment {
    /// The weight's name in the settings (`external_id`, `ani_mobile`...).
    pub weight: &'static str,
    /// As set.
    pub from: f64,
    /// As used.
    pub to: f64,
    /// Confirmed calls with the signal.
    pub confirmed: u64,
    /// Of which right.
    pub correct: u64,
}

/// The weights to score with, and what moved.
#[derive(Debug, Clone, PartialEq)]
pub struct Learned {
    /// Weights after learning.
    pub weights: ScoringWeights,
    /// What moved, in the settings' order.
    pub adjustments: Vec<Adjustment>,
}

/// The learnable weights: name in the settings, the source it shows as, and where it
/// lives in [`ScoringWeights`].
type Slot = (
    &'static str,
    &'static str,
    fn(&mut ScoringWeights) -> &mut f64,
);

const LEARNABLE: [Slot; 6] = [
    ("ani_mobile", "ani:mobile", |w| &mut w.ani_mobile),
    ("ani_unknown", "ani:unknown", |w| &mut w.ani_unknown),
    ("ani_landline", "ani:landline", |w| &mut w.ani_landline),
    ("ani_voip", "ani:voip", |w| &mut w.ani_voip),
    ("ani_toll_free", "ani:toll_free", |w| &mut w.ani_toll_free),
    ("external_id", "external_id", |w| &mut w.external_id),
];

/// How confirmed calls with `source` turned out: (confirmed, correct).
fn record(groups: &[JudgedCalls], source: &str) -> (u64, u64) {
    groups
        .iter()
        .filter(|g| g.sources.iter().any(|s| s == source))
        .filter_map(|g| {
            g.verdict
                .map(|v| (g.calls, if v.correct { g.calls } else { 0 }))
        })
        .fold((0, 0), |(n, k), (calls, right)| (n + calls, k + right))
}

/// The weight a signal's record earns, within the bounds above.
fn learned_weight(name: &str, set: f64, confirmed: u64, correct: u64, reuse_at: f64) -> f64 {
    if confirmed < MIN_CONFIRMED {
        return set;
    }
    let wrong = confirmed - correct;
    if wrong * 10 > confirmed {
        set / 2.0
    } else if name == "external_id" && wrong * 100 <= confirmed {
        set.max(reuse_at.min(MAX_LEARNED_WEIGHT))
    } else {
        set
    }
}

/// Adjusts `weights` (as set) from a window's judged calls.
pub fn learn(weights: ScoringWeights, thresholds: Thresholds, groups: &[JudgedCalls]) -> Learned {
    let reuse_at = f64::from(thresholds.reuse) / 100.0;
    let mut learned = weights;
    let mut adjustments = Vec::new();
    for (name, source, slot) in LEARNABLE {
        let (confirmed, correct) = record(groups, source);
        let weight = slot(&mut learned);
        let from = *weight;
        let to = learned_weight(name, from, confirmed, correct, reuse_at);
        if to != from {
            *weight = to;
            adjustments.push(Adjustment {
                weight: name,
                from,
                to,
                confirmed,
                correct,
            });
        }
    }
    Learned {
        weights: learned,
        adjustments,
    }
}

#[cfg(test)]
#[path = "learning/tests.rs"]
mod tests;
