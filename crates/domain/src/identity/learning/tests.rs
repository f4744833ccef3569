use super::*;
use crate::identity::calibration::Verdict;
use crate::identity::{Confidence, IdentityPolicy};

fn with(sources: &[&str], correct: bool, calls: u64) -> JudgedCalls {
    JudgedCalls {
        confidence: Confidence::from_hundredths(45),
        sources: sources.iter().map(|s| (*s).to_owned()).collect(),
        verdict: Some(Verdict {
            reused: false,
            correct,
            returning: true,
        }),
        calls,
    }
}

fn reused(sources: &[&str], correct: bool, calls: u64) -> JudgedCalls {
    let mut group = with(sources, correct, calls);
    if let Some(v) = group.verdict.as_mut() {
        v.reused = true;
    }
    group
}

fn learned(groups: &[JudgedCalls]) -> Learned {
    let policy = IdentityPolicy::default();
    learn(policy.weights, policy.thresholds, groups)
}

#[test]
fn crm_ids_always_confirmed_are_trusted_alone_up_to_the_reuse_threshold() {
    let out = learned(&[with(&["external_id", "recency:7day"], true, MIN_CONFIRMED)]);
    assert_eq!(out.weights.external_id, 0.5);
    assert_eq!(
        out.adjustments,
        vec![Adjustment {
            weight: "external_id",
            from: 0.4,
            to: 0.5,
            confirmed: MIN_CONFIRMED,
            correct: MIN_CONFIRMED,
        }]
    );
    let before = ScoringWeights::default();
    assert_eq!(
        ScoringWeights {
            external_id: before.external_id,
            ..out.weights
        },
        before,
        "nothing else moved"
    );
}

#[test]
fn too_few_confirmations_or_unconfirmed_calls_move_nothing() {
    let few = learned(&[with(&["external_id"], true, MIN_CONFIRMED - 1)]);
    assert!(few.adjustments.is_empty());
    let unconfirmed = learned(&[JudgedCalls {
        verdict: None,
        ..with(&["external_id"], true, 500)
    }]);
    assert!(unconfirmed.adjustments.is_empty());
}

#[test]
fn one_wrong_call_in_a_hundred_still_earns_trust_two_do_not() {
    let one = learned(&[
        with(&["external_id"], true, 99),
        with(&["external_id"], false, 1),
    ]);
    assert_eq!(one.weights.external_id, 0.5);
    let two = learned(&[
        with(&["external_id"], true, 98),
        with(&["external_id"], false, 2),
    ]);
    assert_eq!(two.weights.external_id, 0.4);
}

#[test]
fn signals_often_wrong_when_reused_are_halved_and_numbers_are_never_raised() {
    let out = learned(&[
        reused(&["ani:mobile"], true, 80),
        reused(&["ani:mobile"], false, 20),
        reused(&["external_id"], true, 500),
        with(&["ani:voip"], true, 1000),
    ]);
    assert_eq!(out.weights.ani_mobile, 0.25);
    assert_eq!(out.weights.external_id, 0.5);
    assert_eq!(out.weights.ani_voip, 0.3);
    assert_eq!(out.adjustments[0].confirmed, 100);
    assert_eq!(out.adjustments[0].correct, 80);
}

/// A shared line's first guess is often wrong: that is what its candidates are for.
#[test]
fn wrong_first_guesses_that_were_not_reused_lower_nothing() {
    let out = learned(&[
        with(&["ani:landline"], true, 40),
        with(&["ani:landline"], false, 60),
        with(&["external_id"], false, 60),
    ]);
    assert!(out.adjustments.is_empty(), "{:?}", out.adjustments);
}

#[test]
fn crm_ids_that_misled_a_reuse_are_halved_not_raised() {
    let out = learned(&[
        with(&["external_id"], true, 300),
        reused(&["external_id"], false, 5),
        reused(&["external_id"], true, 30),
    ]);
    assert_eq!(out.weights.external_id, 0.2);
}

#[test]
fn a_raise_never_passes_the_bound_even_with_a_high_threshold() {
    let policy = IdentityPolicy::default();
    let strict = Thresholds {
        reuse: 90,
        confirm: 30,
    };
    let out = learn(
        policy.weights,
        strict,
        &[with(&["external_id"], true, 1000)],
    );
    assert_eq!(out.weights.external_id, MAX_LEARNED_WEIGHT);
    let generous = ScoringWeights {
        external_id: 0.8,
        ..policy.weights
    };
    let out = learn(generous, strict, &[with(&["external_id"], true, 1000)]);
    assert_eq!(
        out.weights.external_id, 0.8,
        "learning never lowers a right signal"
    );
}

proptest::proptest! {
    /// Whatever the record, a learned weight stays between half its setting and the
    /// larger of its setting and the bound, and only `external_id` ever rises.
    #[test]
    fn learning_stays_within_its_bounds(
        records in proptest::collection::vec((0usize..6, proptest::bool::ANY, 1u64..200), 0..12),
        external in 0.0f64..=1.0,
        reuse in 1u8..=100,
    ) {
        let sources = ["ani:mobile", "ani:unknown", "ani:landline", "ani:voip", "ani:toll_free", "external_id"];
        let groups: Vec<JudgedCalls> = records
            .iter()
            .enumerate()
            .map(|(n, (i, correct, calls))| {
                let group = if n % 2 == 0 { with } else { reused };
                group(&[sources[*i]], *correct, *calls)
            })
            .collect();
        let set = ScoringWeights { external_id: external, ..ScoringWeights::default() };
        let out = learn(set, Thresholds { reuse, confirm: 1 }, &groups);
        for (name, _, slot) in LEARNABLE {
            let (mut before, mut after) = (set, out.weights);
            let (from, to) = (*slot(&mut before), *slot(&mut after));
            proptest::prop_assert!(to >= from / 2.0, "{name}");
            if name == "external_id" {
                proptest::prop_assert!(to <= from.max(MAX_LEARNED_WEIGHT), "{name}");
            } else {
                proptest::prop_assert!(to <= from, "{name}");
            }
        }
        proptest::prop_assert_eq!(out.weights.customer_ref, set.customer_ref);
        proptest::prop_assert_eq!(out.weights.recency_1day, set.recency_1day);
    }
}
