use serde_json::{Value, json};

use super::*;
use crate::identity::Recommendation;

fn parse(body: Value) -> Result<IdentitySettings, ValidationError> {
    IdentitySettings::parse(serde_json::from_value(body).unwrap())
}

fn paths(e: ValidationError) -> Vec<String> {
    e.issues.into_iter().map(|i| i.path.join(".")).collect()
}

#[test]
fn an_empty_document_is_the_defaults_and_the_defaults_are_product_sections_3_and_7() {
    let settings = parse(json!({})).unwrap();
    assert_eq!(settings, IdentitySettings::default());
    let policy = settings.identity_policy(settings.weights);
    assert_eq!(policy, IdentityPolicy::default());
    assert_eq!(settings.ani, AniPolicy::default());
    assert!(
        settings.learning,
        "bounded learning is on by default (docs/IDENTITY.md)"
    );
}

#[test]
fn a_document_reads_back_as_itself() {
    let settings = parse(json!({
        "default_region": "GB",
        "withheld_anis": ["Anonymous", " 0000 "],
        "weights": {"external_id": 0.55, "ani_landline": 0},
        "thresholds": {"reuse": 0.6, "confirm": 0.25},
        "attestation_policy": {"b_allows_reuse_alone": true},
        "learning": true
    }))
    .unwrap();
    assert_eq!(settings.ani.default_region, country::Id::GB);
    assert_eq!(settings.ani.withheld, vec!["Anonymous", "0000"]);
    assert_eq!(settings.weights.external_id, 0.55);
    assert_eq!(settings.weights.ani_landline, 0.0);
    assert_eq!(
        settings.weights.ani_mobile, 0.5,
        "an omitted weight keeps its default"
    );
    assert_eq!(
        settings.thresholds,
        Thresholds {
            reuse: 60,
            confirm: 25
        }
    );
    assert!(settings.attestation.a_allows_reuse_alone);
    assert!(settings.attestation.b_allows_reuse_alone);
    assert!(settings.learning);
    let again = IdentitySettings::from_json(&settings.to_json()).unwrap();
    assert_eq!(again, settings);
    let document = serde_json::to_value(settings.document()).unwrap();
    assert_eq!(
        document["thresholds"],
        json!({"reuse": 0.6, "confirm": 0.25})
    );
    assert_eq!(document["default_region"], "GB");
}

#[test]
fn every_bad_field_is_named_and_nothing_is_kept() {
    let e = parse(json!({
        "default_region": "Narnia",
        "withheld_anis": ["ok", "", "bad\u{0}"],
        "weights": {"ani_mobile": 1.5, "external_id": -0.1},
        "thresholds": {"reuse": 1.5, "confirm": 0}
    }))
    .unwrap_err();
    assert_eq!(
        paths(e),
        vec![
            "default_region",
            "withheld_anis.1",
            "withheld_anis.2",
            "weights.ani_mobile",
            "weights.external_id",
            "thresholds.reuse",
            "thresholds.confirm",
        ]
    );
    let many: Vec<String> = (0..=MAX_WITHHELD_ANIS).map(|i| format!("w{i}")).collect();
    let e = parse(json!({ "withheld_anis": many })).unwrap_err();
    assert_eq!(paths(e), vec!["withheld_anis"]);
    for region in ["001", "us", "USA", " US"] {
        assert!(
            parse(json!({ "default_region": region })).is_err(),
            "{region}"
        );
    }
    let long = "x".repeat(MAX_WITHHELD_LEN + 1);
    assert!(parse(json!({ "withheld_anis": [long] })).is_err());
}

#[test]
fn unknown_fields_are_refused() {
    for body in [
        json!({"weight": {}}),
        json!({"weights": {"ani_fax": 0.1}}),
        json!({"thresholds": {"ignore": 0.1}}),
        json!({"attestation_policy": {"c_allows_reuse_alone": true}}),
    ] {
        assert!(
            serde_json::from_value::<RawIdentitySettings>(body.clone()).is_err(),
            "{body}"
        );
    }
}

#[test]
fn a_confirm_threshold_above_reuse_leaves_no_confirm_band() {
    let settings = parse(json!({"thresholds": {"reuse": 0.2}})).unwrap();
    assert_eq!(
        settings.thresholds,
        Thresholds {
            reuse: 20,
            confirm: 30
        }
    );
    let at = |h| {
        settings
            .thresholds
            .recommend(crate::identity::Confidence::from_hundredths(h))
    };
    assert_eq!(at(20), Recommendation::Reuse);
    assert_eq!(at(19), Recommendation::Ignore);
}

#[test]
fn thresholds_as_set_decide_the_recommendation() {
    let settings = parse(json!({"thresholds": {"reuse": 0.9, "confirm": 0.45}})).unwrap();
    let policy = settings.identity_policy(settings.weights);
    let at = |h| {
        policy
            .thresholds
            .recommend(crate::identity::Confidence::from_hundredths(h))
    };
    assert_eq!(at(90), Recommendation::Reuse);
    assert_eq!(at(89), Recommendation::Confirm);
    assert_eq!(at(45), Recommendation::Confirm);
    assert_eq!(at(44), Recommendation::Ignore);
}

#[test]
fn thresholds_are_rounded_to_a_hundredth_and_regions_are_the_libraries() {
    let settings = parse(json!({"thresholds": {"reuse": 0.555, "confirm": 0.011}})).unwrap();
    assert_eq!(
        settings.thresholds,
        Thresholds {
            reuse: 56,
            confirm: 1
        }
    );
    let regions: Vec<String> = regions().collect();
    assert!(regions.len() > 200, "{}", regions.len());
    for region in ["US", "GB", "FR", "JP"] {
        assert!(regions.iter().any(|r| r == region), "{region}");
    }
    for region in &regions {
        assert!(
            parse(json!({ "default_region": region })).is_ok(),
            "{region}"
        );
    }
}
