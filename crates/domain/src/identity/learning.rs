//! Learning from confirmations (tenant setting `learning`): a signal whose calls have
//! been confirmed right nearly always may be trusted more, one that has often been
//! wrong less, within fixed bounds so that learning can never make the scorer
//! reckless:
//!
//! - only `external_id` is ever raised, and only up to the `reuse` threshold (so a CRM
//!   id alone may support `reuse`), never above [`MAX_LEARNED_WEIGHT`]: after at least
//!   [`MIN_CONFIRMED`] confirmed calls with it, at most 1 % of them wrong;
//! - `external_id` and the ANI weights of each line type are lowered to half their
//!   setting when more than 10 % of at least [`MIN_CONFIRMED`] confirmed `reuse`
//!   answers with them named the wrong person (a shared line's first guess being wrong
//!   is what its candidates are for, and lowers nothing);
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
    /// Confirmed calls with the signal (answered `reuse`, for a weight lowered).
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

/// How confirmed calls with `source` turned out: (confirmed, correct), of all of them
/// or of those answered `reuse` only.
fn record(groups: &[JudgedCalls], source: &str, reused_only: bool) -> (u64, u64) {
    groups
        .iter()
        .filter(|g| g.sources.iter().any(|s| s == source))
        .filter_map(|g| {
            let v = g.verdict.filter(|v| v.reused || !reused_only)?;
            Some((g.calls, if v.correct { g.calls } else { 0 }))
        })
        .fold((0, 0), |(n, k), (calls, right)| (n + calls, k + right))
}

/// Whether at most 1 % of enough calls were wrong.
fn nearly_always_right((confirmed, correct): (u64, u64)) -> bool {
    confirmed >= MIN_CONFIRMED && (confirmed - correct) * 100 <= confirmed
}

/// Whether more than 10 % of enough calls were wrong.
fn often_wrong((confirmed, correct): (u64, u64)) -> bool {
    confirmed >= MIN_CONFIRMED && (confirmed - correct) * 10 > confirmed
}

/// Adjusts `weights` (as set) from a window's judged calls.
pub fn learn(weights: ScoringWeights, thresholds: Thresholds, groups: &[JudgedCalls]) -> Learned {
    let reuse_at = f64::from(thresholds.reuse) / 100.0;
    let mut learned = weights;
    let mut adjustments = Vec::new();
    for (name, source, slot) in LEARNABLE {
        let (all, reused) = (record(groups, source, false), record(groups, source, true));
        let weight = slot(&mut learned);
        let from = *weight;
        let (to, (confirmed, correct)) = if often_wrong(reused) {
            (from / 2.0, reused)
        } else if name == "external_id" && nearly_always_right(all) {
            (from.max(reuse_at.min(MAX_LEARNED_WEIGHT)), all)
        } else {
            (from, all)
        };
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
