use super::*;

fn level(verstat: &str) -> Option<Attestation> {
    Attestation::read(Some(verstat), None, None).level
}

/// Every `StirVerstat` value on Twilio's page: the level of the value, forwarded
/// (`-Diverted`) and passed-through calls keep it, `NULL` is none.
#[test]
fn twilio_values_keep_their_level() {
    use Attestation::{A, B, C, Failed, None as NoAttestation};
    let cases = [
        ("TN-Validation-Passed-A", A),
        ("TN-Validation-Passed-B", B),
        ("TN-Validation-Passed-C", C),
        ("TN-Validation-Failed-A", Failed),
        ("TN-Validation-Failed-B", Failed),
        ("TN-Validation-Failed-C", Failed),
        ("No-TN-Validation", NoAttestation),
        ("TN-Validation-Passed-A-Diverted", A),
        ("TN-Validation-Passed-B-Diverted", B),
        ("TN-Validation-Passed-C-Diverted", C),
        ("TN-Validation-Failed-A-Diverted", Failed),
        ("TN-Validation-Failed-C-Diverted", Failed),
        ("TN-Validation-Passed-A-Passthrough", A),
        ("TN-Validation-Passed-C-Passthrough", C),
        ("TN-Validation-Failed-B-Passthrough", Failed),
        ("NULL", NoAttestation),
        ("TN-Validation-Failed", Failed),
        ("TN-Validation-Failed-A-Passthrough", Failed),
        ("TN-Validation-Failed-C-Passthrough", Failed),
        ("TN-Validation-Failed-B-Diverted", Failed),
        ("TN-Validation-Passed-B-Passthrough", B),
        ("tn-validation-passed-b-diverted", B),
        ("null", NoAttestation),
    ];
    for (text, expected) in cases {
        let read = Attestation::read(Some(text), None, None);
        assert_eq!(read.level, Some(expected), "{text}");
        assert!(!read.unrecognized, "{text}");
    }
}

/// Bandwidth's pair: the level of a bare pass is its `attestationIndicator`; a bare
/// failure is a failure whatever the indicator says.
#[test]
fn bandwidth_indicator_sets_the_level_of_a_bare_pass() {
    let read = |v, i| Attestation::read(Some(v), Some(i), Some(Carrier::Bandwidth)).level;
    assert_eq!(read("TN-Validation-Passed", "A"), Some(Attestation::A));
    assert_eq!(read("TN-Validation-Passed", "b"), Some(Attestation::B));
    assert_eq!(read("TN-Validation-Passed", "C"), Some(Attestation::C));
    assert_eq!(read("TN-Validation-Failed", "A"), Some(Attestation::Failed));
    assert_eq!(read("TN-Validation-Passed", ""), Some(Attestation::Passed));
}

/// Without an indicator a bare pass is A only where the carrier is Telnyx; elsewhere it
/// is a pass of unknown level, which the policy trusts like B.
#[test]
fn a_bare_pass_is_a_only_from_telnyx() {
    let bare = |carrier| Attestation::read(Some("TN-Validation-Passed"), None, carrier).level;
    assert_eq!(bare(Some(Carrier::Telnyx)), Some(Attestation::A));
    assert_eq!(bare(None), Some(Attestation::Passed));
    assert_eq!(bare(Some(Carrier::Bandwidth)), Some(Attestation::Passed));
    let policy = AttestationPolicy::default();
    assert!(!policy.number_alone_may_reuse(Some(Attestation::Passed), None));
    let lenient = AttestationPolicy {
        b_allows_reuse_alone: true,
        ..policy
    };
    assert!(lenient.number_alone_may_reuse(Some(Attestation::Passed), None));
}

/// A value nobody documents is read as not attested and flagged; nothing, or blank,
/// is no attestation at all and not flagged.
#[test]
fn anything_else_reads_as_not_attested_and_is_flagged() {
    for text in ["D", "verify", "TN-Validation", "passed-D", "+14155550100"] {
        let read = Attestation::read(Some(text), None, None);
        assert_eq!(read.level, Some(Attestation::None), "{text}");
        assert!(read.unrecognized, "{text}");
    }
    for sent in [None, Some(""), Some("  ")] {
        assert_eq!(
            Attestation::read(sent, Some("A"), None),
            AttestationRead::default()
        );
    }
    assert_eq!(
        level(" A "),
        Some(Attestation::A),
        "surrounding blanks are ignored"
    );
}

/// Every canonical name reads back from a store; anything else is corruption.
#[test]
fn stored_levels_read_back() {
    for a in Attestation::ALL {
        assert_eq!(Attestation::from_stored(Some(a.as_str())), Ok(Some(a)));
        assert_eq!(
            level(a.as_str()),
            Some(a),
            "a canonical name is also a spelling"
        );
    }
    assert_eq!(Attestation::from_stored(None), Ok(None));
    assert!(Attestation::from_stored(Some("TN-Validation-Passed")).is_err());
}

#[test]
fn plivo_values() {
    assert_eq!(level("Verified"), Some(Attestation::A));
    assert_eq!(level("Not Verified"), Some(Attestation::C));
    assert_eq!(level("not applicable"), Some(Attestation::None));
}

#[test]
fn carriers_by_name() {
    for name in Carrier::NAMES {
        assert_eq!(Carrier::parse(name).map(Carrier::as_str), Some(name));
    }
    assert_eq!(Carrier::parse(" Telnyx "), Some(Carrier::Telnyx));
    assert_eq!(Carrier::parse("vonage"), None);
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
