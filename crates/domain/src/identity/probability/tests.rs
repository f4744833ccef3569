use super::*;
use crate::identity::Verdict;

fn judged(hundredths: u8, sources: &[&str], correct: bool, calls: u64) -> JudgedCalls {
    JudgedCalls {
        confidence: Confidence::from_hundredths(hundredths),
        sources: sources.iter().map(|s| (*s).to_owned()).collect(),
        verdict: Some(Verdict {
            reused: true,
            correct,
            returning: true,
        }),
        calls,
    }
}

fn c(hundredths: u8) -> Confidence {
    Confidence::from_hundredths(hundredths)
}

#[test]
fn the_basis_of_a_decision_by_its_sources() {
    assert_eq!(
        Basis::of(&["ani:mobile", "customer_ref"]),
        Some(Basis::Named)
    );
    assert_eq!(
        Basis::of(&["conflict:ani", "external_id"]),
        Some(Basis::ExternalId)
    );
    assert_eq!(
        Basis::of(&["ani:shared", "recency:1day"]),
        Some(Basis::SharedNumber)
    );
    assert_eq!(
        Basis::of(&["ani:mobile", "conflict:external_id"]),
        Some(Basis::Contradicted)
    );
    assert_eq!(Basis::of(&["ani:mobile"]), Some(Basis::Mobile));
    assert_eq!(Basis::of(&["ani:landline"]), Some(Basis::Landline));
    for other in ["ani:unknown", "ani:voip", "ani:toll_free"] {
        assert_eq!(Basis::of(&[other]), Some(Basis::OtherNumber));
    }
    assert_eq!(Basis::of::<&str>(&[]), None);
    assert_eq!(Basis::of(&["attestation:unrecognized"]), None);
}

/// Without confirmed calls the default table answers; nobody named is 0.
#[test]
fn a_new_tenant_gets_the_default_table() {
    let model = ProbabilityModel::fit(&[]);
    assert_eq!(model, ProbabilityModel::default());
    assert_eq!(
        model.probability(c(55), &["ani:mobile"]),
        DEFAULT_TABLE[4][5]
    );
    assert_eq!(model.probability::<&str>(c(0), &[]), 0.0);
}

/// A tenant's own confirmed calls move the cell: a few only a little, many nearly all
/// the way to what they show.
#[test]
fn confirmed_calls_move_the_table_toward_what_they_show() {
    let few = ProbabilityModel::fit(&[judged(45, &["ani:mobile"], false, 5)]);
    let default = DEFAULT_TABLE[4][4];
    let moved = few.probability(c(45), &["ani:mobile"]);
    assert!(moved < default && moved > default * 0.7, "{moved}");
    let many = ProbabilityModel::fit(&[
        judged(45, &["ani:mobile"], true, 300),
        judged(45, &["ani:mobile"], false, 700),
    ]);
    let p = many.probability(c(45), &["ani:mobile"]);
    assert!((p - 0.3).abs() < 0.05, "{p}");
    // Other kinds of evidence keep their defaults.
    assert_eq!(
        many.probability(c(45), &["external_id"]),
        (DEFAULT_TABLE[1][4] * 100.0).round() / 100.0
    );
}

/// A higher confidence never states a lower probability, whatever the calls said.
#[test]
fn the_fit_is_monotone_in_the_confidence() {
    let model = ProbabilityModel::fit(&[
        judged(75, &["ani:mobile"], false, 500),
        judged(55, &["ani:mobile"], true, 500),
    ]);
    let ps: Vec<f64> = (0..10u8)
        .map(|t| model.probability(c(t * 10 + 5), &["ani:mobile"]))
        .collect();
    assert!(ps.windows(2).all(|w| w[0] <= w[1]), "{ps:?}");
    for row in DEFAULT_TABLE {
        assert!(row.windows(2).all(|w| w[0] <= w[1]), "{row:?}");
    }
}

#[test]
fn pool_adjacent_violators() {
    let mut cells = [(0.2, 1.0), (0.6, 1.0), (0.4, 3.0), (0.9, 1.0)];
    monotone(&mut cells);
    let values: Vec<f64> = cells.iter().map(|c| (c.0 * 1e9).round() / 1e9).collect();
    assert_eq!(values, [0.2, 0.45, 0.45, 0.9]);
}
