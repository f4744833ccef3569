//! Signals, candidates, risks and the policy's caps on the recommendation.

use proptest::prelude::*;

use super::tests::{Seen, ani_only, cust, hints, now, telco};
use super::*;
use crate::identity::number::Confirmed;

fn decide(h: &IdentityHints, t: Telco, seen: &Seen) -> IdentityDecision {
    score(h, t, &seen.0, &IdentityPolicy::default(), now())
}

fn attested(line_type: Option<LineType>, attestation: Attestation) -> Telco {
    Telco {
        line_type,
        attestation: Some(attestation),
        ..Telco::default()
    }
}

fn offered(d: &IdentityDecision) -> Vec<&str> {
    d.explanation
        .candidates
        .iter()
        .map(|o| o.customer.as_str())
        .collect()
}

fn with_intent(mut seen: Seen, customer: &str, name: &str, ago: Duration) -> Seen {
    let activity = seen.0.activity.entry(cust(customer)).or_default();
    activity.last_open_intent_at = Some(now() - ago);
    activity.last_open_intent = Some(name.to_owned());
    seen
}

#[test]
fn a_household_line_offers_everyone_on_it_best_first_with_a_question_to_ask() {
    let seen = Seen::default()
        .on_ani("mum", None)
        .on_ani("dad", None)
        .on_ani("kid", None)
        .last_call("dad", Duration::hours(2))
        .last_call("mum", Duration::days(3))
        .last_call("kid", Duration::days(40));
    let seen = with_intent(seen, "mum", "billing_dispute", Duration::days(3));
    let d = decide(&ani_only(), telco(Some(LineType::Landline)), &seen);
    assert_eq!(d.candidate.clone().unwrap().customer, cust("dad"));
    assert_eq!(d.recommendation(), Recommendation::Confirm);
    // dad 0.4/3 + recency:1day; mum 0.4/3 + recency:7day + intent:open; kid 0.4/3.
    assert_eq!(offered(&d), ["dad", "mum", "kid"]);
    let c = &d.explanation.candidates;
    assert_eq!(c[0].confidence, d.confidence);
    assert_eq!(c[1].confidence.hundredths(), 21);
    assert_eq!(c[1].hint.as_deref(), Some("billing_dispute"));
    assert_eq!(c[1].last_seen, now() - Duration::days(3));
    assert_eq!(c[2].hint, None);
}

#[test]
fn a_shared_line_is_never_reused_whatever_its_weight() {
    let seen = Seen::default()
        .on_ani("a", None)
        .on_ani("b", None)
        .last_call("a", Duration::hours(1));
    let generous = IdentityPolicy {
        weights: ScoringWeights {
            ani_landline: 2.0,
            ..ScoringWeights::default()
        },
        ..IdentityPolicy::default()
    };
    let d = score(
        &ani_only(),
        telco(Some(LineType::Landline)),
        &seen.0,
        &generous,
        now(),
    );
    assert!(d.confidence.hundredths() >= 50);
    assert_eq!(d.recommendation(), Recommendation::Confirm);
}

#[test]
fn at_most_five_are_offered_and_an_expired_intent_is_no_hint() {
    let mut seen = Seen::default();
    for i in 0..25 {
        seen = seen
            .on_ani(&format!("seat{i:02}"), None)
            .last_call(&format!("seat{i:02}"), Duration::hours(i + 1));
    }
    let seen = with_intent(seen, "seat01", "old_claim", Duration::days(91));
    let d = decide(&ani_only(), telco(None), &seen);
    assert_eq!(d.explanation.candidates.len(), MAX_CANDIDATES);
    assert_eq!(
        offered(&d),
        ["seat00", "seat01", "seat02", "seat03", "seat04"]
    );
    assert_eq!(d.explanation.candidates[1].hint, None);
    // The line holds more people than can be offered: the answer says how many.
    assert_eq!(d.explanation.shared_line, Some(25));
    assert_eq!(d.recommendation(), Recommendation::Confirm);
}

/// Within the cap everyone is offered and nothing says "shared line"; among more than
/// the cap, people confirmed on the number more than once come before those seen once
/// at the same confidence.
#[test]
fn a_line_within_the_cap_offers_everyone_and_regulars_come_first_beyond_it() {
    let mut seen = Seen::default();
    for i in 0..5 {
        seen = seen.on_ani(&format!("p{i}"), None);
    }
    let d = decide(&ani_only(), telco(None), &seen);
    assert_eq!(d.explanation.candidates.len(), 5);
    assert_eq!(d.explanation.shared_line, None);

    let mut seen = Seen::default();
    for i in 0..8 {
        seen = seen.on_ani(&format!("p{i}"), None);
        let confirmed_twice = i >= 5;
        seen.0.ani_links[i].confirmed = Some(Confirmed {
            first_at: now() - Duration::days(if confirmed_twice { 9 } else { 3 }),
            last_at: now() - Duration::days(3),
            attestation: None,
            unattested_at: Some(now() - Duration::days(3)),
            attested_run: 0,
        });
    }
    let d = decide(&ani_only(), telco(None), &seen);
    assert_eq!(d.explanation.shared_line, Some(8));
    let rest: Vec<&str> = offered(&d)[1..].to_vec();
    assert!(
        ["p5", "p6", "p7"].iter().all(|r| rest.contains(r)),
        "the regulars are offered first: {rest:?}"
    );
}

/// A recycled mobile's new owner gives a CRM id the service has never seen, while the
/// number's known person holds another id in that namespace: not them.
#[test]
fn an_external_id_contradicting_the_numbers_person_stops_reuse() {
    let mut seen = Seen::default()
        .on_ani("old_owner", Some(LineType::Mobile))
        .last_call("old_owner", Duration::days(2));
    seen.0
        .held
        .entry(cust("old_owner"))
        .or_default()
        .insert("crm".to_owned(), vec![now() - Duration::days(9)]);
    let attested_a = attested(Some(LineType::Mobile), Attestation::A);
    let alone = decide(&ani_only(), attested_a, &seen);
    assert_eq!(
        alone.recommendation(),
        Recommendation::Reuse,
        "the number alone: {alone:?}"
    );

    let new_id = hints(Some("+14155551234"), &[("crm", "C-NEW")], None);
    let d = decide(&new_id, attested_a, &seen);
    assert_eq!(d.candidate.clone().unwrap().customer, cust("old_owner"));
    assert_eq!(d.recommendation(), Recommendation::Confirm);
    assert!(d.explanation.risk.contains(&Risk::ExternalIdMismatch));
    assert!(d.sources.contains(&"conflict:external_id".to_owned()));
    // An id in a namespace the person holds nothing in contradicts nothing.
    let other = hints(Some("+14155551234"), &[("loyalty", "L-9")], None);
    assert_eq!(
        decide(&other, attested_a, &seen).recommendation(),
        Recommendation::Reuse
    );
    // Nor does a namespace that takes a new value on each call (a platform's call id):
    // one linked at the person's latest call, or several.
    let per_call = |linked: Vec<Timestamp>| {
        let mut seen = Seen::default()
            .on_ani("caller", Some(LineType::Mobile))
            .last_call("caller", Duration::days(2));
        seen.0
            .held
            .entry(cust("caller"))
            .or_default()
            .insert("twilio_call_sid".to_owned(), linked);
        let h = hints(Some("+14155551234"), &[("twilio_call_sid", "CA-NEW")], None);
        decide(&h, attested_a, &seen).recommendation()
    };
    assert_eq!(
        per_call(vec![now() - Duration::days(2)]),
        Recommendation::Reuse
    );
    assert_eq!(
        per_call(vec![now() - Duration::days(9), now() - Duration::days(2)]),
        Recommendation::Reuse
    );
    assert_eq!(
        per_call(vec![now() - Duration::days(9)]),
        Recommendation::Confirm
    );
}

/// A value nobody documents reads as not attested and is said, at weight 0, whether or
/// not anyone matched.
#[test]
fn an_unrecognized_attestation_is_a_zero_signal() {
    let unrecognized = Telco {
        line_type: Some(LineType::Mobile),
        attestation: Some(Attestation::None),
        attestation_unrecognized: true,
    };
    let nobody = decide(&ani_only(), unrecognized, &Seen::default());
    assert_eq!(nobody.sources, ["attestation:unrecognized"]);
    assert_eq!(nobody.confidence, Confidence::ZERO);
    let known = Seen::default().on_ani("owner", None);
    let d = decide(&ani_only(), unrecognized, &known);
    assert_eq!(d.sources, ["ani:mobile", "attestation:unrecognized"]);
    assert_eq!(d.confidence.hundredths(), 50);
}

/// The decision states the probability the tenant's table gives its confidence and
/// evidence, and 0 when it names nobody.
#[test]
fn the_decision_states_its_probability() {
    let known = Seen::default().on_ani("owner", None);
    let d = decide(&ani_only(), telco(Some(LineType::Mobile)), &known);
    let model = ProbabilityModel::default();
    assert_eq!(
        d.explanation.probability,
        Some(model.probability(d.confidence, &d.sources))
    );
    let nobody = decide(&ani_only(), telco(None), &Seen::default());
    assert_eq!(nobody.explanation.probability, Some(0.0));
}

#[test]
fn an_external_id_tells_a_household_apart() {
    let seen = Seen::default()
        .on_ani("mum", None)
        .on_ani("dad", None)
        .external("crm", "mum");
    let h = hints(Some("+14155551234"), &[("crm", "C1")], None);
    let d = decide(&h, telco(Some(LineType::Landline)), &seen);
    assert_eq!(d.candidate.clone().unwrap().customer, cust("mum"));
    assert!(d.explanation.candidates.is_empty());
    // 0.4 / 2 + 0.4 = 0.6
    assert_eq!(d.recommendation(), Recommendation::Reuse);
}

#[test]
fn conflicting_identifiers_offer_both_people() {
    let seen = Seen::default()
        .on_ani("by_phone", None)
        .external("crm", "by_crm");
    let h = hints(Some("+14155551234"), &[("crm", "C1")], None);
    let d = decide(&h, telco(Some(LineType::Mobile)), &seen);
    assert_eq!(offered(&d), ["by_crm", "by_phone"]);
    assert_eq!(d.explanation.candidates[1].confidence.hundredths(), 50);
    assert_eq!(d.recommendation(), Recommendation::Confirm);
}

/// A tenant that trusts a CRM id alone (its weight reaches `reuse`, set or learned)
/// believes it over a number it conflicts with: the number's people are no rivals.
#[test]
fn a_trusted_crm_id_has_no_rivals_on_the_number() {
    let seen = Seen::default()
        .on_ani("mum", None)
        .on_ani("dad", None)
        .external("crm", "gran");
    let h = hints(Some("+14155551234"), &[("crm", "C1")], None);
    let untrusted = decide(&h, telco(Some(LineType::Landline)), &seen);
    assert_eq!(offered(&untrusted), ["gran", "dad", "mum"]);
    assert_eq!(untrusted.recommendation(), Recommendation::Confirm);
    let trusting = IdentityPolicy {
        weights: ScoringWeights {
            external_id: 0.5,
            ..ScoringWeights::default()
        },
        ..IdentityPolicy::default()
    };
    let d = score(
        &h,
        telco(Some(LineType::Landline)),
        &seen.0,
        &trusting,
        now(),
    );
    assert_eq!(d.candidate.clone().unwrap().customer, cust("gran"));
    assert!(d.explanation.candidates.is_empty());
    assert_eq!(d.sources, ["conflict:ani", "external_id"]);
    assert_eq!(d.recommendation(), Recommendation::Reuse);
    // CRM ids pointing at two people are still a conflict.
    let two = seen.external("crm2", "mum");
    let h = hints(Some("+14155551234"), &[("crm", "C1"), ("crm2", "C2")], None);
    let d = score(
        &h,
        telco(Some(LineType::Landline)),
        &two.0,
        &trusting,
        now(),
    );
    assert_eq!(d.recommendation(), Recommendation::Confirm);
}

#[test]
fn a_named_customer_has_no_rivals() {
    let seen = Seen::default()
        .on_ani("a", None)
        .on_ani("b", None)
        .named("b");
    let h = hints(Some("+14155551234"), &[], Some("b"));
    let d = decide(&h, telco(None), &seen);
    assert!(d.explanation.candidates.is_empty());
    assert_eq!(d.recommendation(), Recommendation::Reuse);
}

#[test]
fn a_failed_attestation_is_a_suspected_spoof_and_never_reused() {
    let seen = Seen::default()
        .on_ani("owner", None)
        .external("crm", "owner")
        .last_call("owner", Duration::hours(1));
    let h = hints(Some("+14155551234"), &[("crm", "C1")], None);
    let d = decide(
        &h,
        attested(Some(LineType::Mobile), Attestation::Failed),
        &seen,
    );
    assert_eq!(d.confidence.hundredths(), 95);
    assert_eq!(d.recommendation(), Recommendation::Confirm);
    assert_eq!(d.explanation.risk, [Risk::SpoofSuspected]);
    // Even for a number nobody has called from.
    let d = decide(
        &ani_only(),
        attested(None, Attestation::Failed),
        &Seen::default(),
    );
    assert_eq!(d.explanation.risk, [Risk::SpoofSuspected]);
    assert_eq!(d.recommendation(), Recommendation::Ignore);
}

#[test]
fn attestation_b_and_c_are_not_enough_alone_a_and_none_are_neutral() {
    let seen = Seen::default().on_ani("owner", None);
    let mobile = Some(LineType::Mobile);
    for (level, alone) in [
        (Attestation::A, Recommendation::Reuse),
        (Attestation::B, Recommendation::Confirm),
        (Attestation::C, Recommendation::Confirm),
        (Attestation::None, Recommendation::Reuse),
    ] {
        let d = decide(&ani_only(), attested(mobile, level), &seen);
        assert_eq!(d.confidence.hundredths(), 50, "{level:?}");
        assert_eq!(d.recommendation(), alone, "{level:?}");
        assert!(d.explanation.risk.is_empty());
    }
    // C is neutral on a number whose genuine calls carry C.
    let mut gateway = Seen::default().on_ani("owner", None);
    gateway.0.ani_links[0].confirmed = Some(Confirmed {
        first_at: now() - Duration::days(9),
        last_at: now() - Duration::days(2),
        attestation: Some(Attestation::C),
        unattested_at: None,
        attested_run: 0,
    });
    let d = decide(&ani_only(), attested(mobile, Attestation::C), &gateway);
    assert_eq!(d.recommendation(), Recommendation::Reuse);
    // B backed by an external id may be reused.
    let seen = seen.external("crm", "owner");
    let h = hints(Some("+14155551234"), &[("crm", "C1")], None);
    let d = decide(&h, attested(mobile, Attestation::B), &seen);
    assert_eq!(d.recommendation(), Recommendation::Reuse);
}

#[test]
fn a_tenant_may_trust_b_and_move_its_thresholds() {
    let seen = Seen::default().on_ani("owner", None);
    let policy = IdentityPolicy {
        attestation: AttestationPolicy {
            b_allows_reuse_alone: true,
            ..AttestationPolicy::default()
        },
        thresholds: Thresholds {
            reuse: 45,
            confirm: 20,
        },
        ..IdentityPolicy::default()
    };
    let d = score(
        &ani_only(),
        attested(Some(LineType::Landline), Attestation::B),
        &seen.0,
        &policy,
        now(),
    );
    assert_eq!(d.confidence.hundredths(), 40);
    assert_eq!(d.recommendation(), Recommendation::Confirm);
    let d = score(
        &ani_only(),
        attested(None, Attestation::B),
        &seen.0,
        &policy,
        now(),
    );
    assert_eq!(d.confidence.hundredths(), 45);
    assert_eq!(d.recommendation(), Recommendation::Reuse);
}

proptest! {
    #[test]
    fn signals_add_up_to_the_confidence(
        on_ani in 0usize..4,
        external in 0usize..3,
        named in any::<bool>(),
        hint_ref in any::<bool>(),
        last_call_hours in prop::option::of(0i64..2000),
        intent_hours in prop::option::of(0i64..400),
        weight in 0.0f64..2.0,
    ) {
        let mut seen = Seen::default();
        for i in 0..on_ani { seen = seen.on_ani(&format!("c{i}"), None); }
        for i in 0..external { seen = seen.external(&format!("ns{i}"), &format!("c{i}")); }
        if named { seen = seen.named("c0"); }
        if let Some(h) = last_call_hours { seen = seen.last_call("c0", Duration::hours(h)); }
        if let Some(h) = intent_hours { seen = seen.open_intent("c0", Duration::hours(h)); }
        let h = hints(Some("+14155551234"), &[], hint_ref.then_some("c0"));
        let policy = IdentityPolicy {
            weights: ScoringWeights { ani_unknown: weight, external_id: weight, ..ScoringWeights::default() },
            ..IdentityPolicy::default()
        };
        let d = score(&h, telco(None), &seen.0, &policy, now());
        let sum: f64 = d.explanation.signals.iter().map(|s| s.weight).sum();
        prop_assert_eq!(Confidence::from_sum(sum), d.confidence);
        let sources: Vec<&str> = d.explanation.signals.iter().map(|s| s.source.as_str()).collect();
        prop_assert_eq!(sources, d.sources.iter().map(String::as_str).collect::<Vec<_>>());
        // Offered people are never more than five, the decision's customer first.
        let c = &d.explanation.candidates;
        prop_assert!(c.len() <= MAX_CANDIDATES);
        if let Some(first) = c.first() {
            prop_assert_eq!(Some(&first.customer), d.candidate.as_ref().map(|c| &c.customer));
            prop_assert_eq!(d.recommendation(), Recommendation::Confirm);
        }
    }
}

#[test]
fn a_landline_alone_is_never_enough_unless_the_tenant_says_so() {
    let seen = Seen::default()
        .on_ani("home", None)
        .last_call("home", Duration::hours(1));
    let seen = with_intent(seen, "home", "repair", Duration::hours(1));
    let d = decide(&ani_only(), telco(Some(LineType::Landline)), &seen);
    // 0.4 + recency:1day + intent:open = 0.5, but a household may share the line.
    assert_eq!(d.confidence.hundredths(), 50);
    assert_eq!(d.recommendation(), Recommendation::Confirm);
    let trusting = IdentityPolicy {
        number: NumberPolicy {
            landline_alone_may_reuse: true,
            ..NumberPolicy::default()
        },
        ..IdentityPolicy::default()
    };
    let d = score(
        &ani_only(),
        telco(Some(LineType::Landline)),
        &seen.0,
        &trusting,
        now(),
    );
    assert_eq!(d.recommendation(), Recommendation::Reuse);
}

#[test]
fn a_mobile_dormant_past_the_tenants_limit_may_have_been_recycled() {
    let mut seen = Seen::default()
        .on_ani("old", None)
        .last_call("old", Duration::days(120));
    seen.0.ani_links[0].linked_at = now() - Duration::days(400);
    let d = decide(&ani_only(), telco(Some(LineType::Mobile)), &seen);
    assert_eq!(d.confidence.hundredths(), 50);
    assert_eq!(d.recommendation(), Recommendation::Confirm);
    assert_eq!(d.explanation.risk, [Risk::PossiblyRecycled]);
    // Within 90 days it is still theirs; a CRM id backs it whatever its age.
    let recent = Seen::default()
        .on_ani("old", None)
        .last_call("old", Duration::days(80));
    let d = decide(&ani_only(), telco(Some(LineType::Mobile)), &recent);
    assert_eq!(d.recommendation(), Recommendation::Reuse);
    assert!(d.explanation.risk.is_empty());
    let seen = seen.external("crm", "old");
    let h = hints(Some("+14155551234"), &[("crm", "C1")], None);
    let d = decide(&h, telco(Some(LineType::Mobile)), &seen);
    assert_eq!(d.recommendation(), Recommendation::Reuse);
}

/// A mobile's old owner who now calls from another number is not kept fresh on this one
/// by those calls: their last confirmation here is what dates the link.
#[test]
fn calls_from_another_number_do_not_keep_a_mobile_fresh() {
    let mut seen = Seen::default()
        .on_ani("old", None)
        .last_call("old", Duration::days(3));
    seen.0.ani_links[0].linked_at = now() - Duration::days(400);
    seen.0.ani_links[0].confirmed = Some(Confirmed {
        first_at: now() - Duration::days(400),
        last_at: now() - Duration::days(120),
        attestation: Some(Attestation::A),
        unattested_at: None,
        attested_run: 2,
    });
    let d = decide(
        &ani_only(),
        attested(Some(LineType::Mobile), Attestation::A),
        &seen,
    );
    assert_eq!(d.recommendation(), Recommendation::Confirm);
    assert_eq!(d.explanation.risk, [Risk::PossiblyRecycled]);
    // Confirmed here 80 days ago: still theirs.
    seen.0.ani_links[0].confirmed = seen.0.ani_links[0].confirmed.map(|c| Confirmed {
        last_at: now() - Duration::days(80),
        ..c
    });
    let d = decide(
        &ani_only(),
        attested(Some(LineType::Mobile), Attestation::A),
        &seen,
    );
    assert_eq!(d.recommendation(), Recommendation::Reuse);
}

#[test]
fn a_number_that_moved_to_someone_new_reuses_the_new_owner() {
    let mut seen = Seen::default()
        .on_ani("old", Some(LineType::Mobile))
        .on_ani("new", None)
        .last_call("old", Duration::days(3))
        .last_call("new", Duration::hours(2));
    let confirm = |first: i64, last: i64| {
        Some(Confirmed {
            first_at: now() - Duration::days(first),
            last_at: now() - Duration::days(last),
            attestation: Some(Attestation::A),
            unattested_at: None,
            attested_run: if first > last { 2 } else { 1 },
        })
    };
    seen.0.ani_links[0].confirmed = confirm(300, 5);
    seen.0.ani_links[1].confirmed = confirm(4, 1);
    let d = decide(&ani_only(), attested(None, Attestation::A), &seen);
    assert_eq!(d.candidate.clone().unwrap().customer, cust("new"));
    assert_eq!(d.sources, ["ani:mobile", "recency:1day"]);
    assert_eq!(d.recommendation(), Recommendation::Reuse);
    // The same number arriving with less than its usual attestation: the number alone
    // is not enough (its new owner's record is too short for absence to say anything).
    let d = decide(&ani_only(), telco(None), &seen);
    assert_eq!(d.recommendation(), Recommendation::Reuse);
    let d = decide(&ani_only(), attested(None, Attestation::C), &seen);
    assert_eq!(d.recommendation(), Recommendation::Confirm);
    assert_eq!(d.explanation.risk, [Risk::AttestationDowngrade]);
}

fn any_attestation() -> impl Strategy<Value = Option<Attestation>> {
    prop::option::of(prop::sample::select(vec![
        Attestation::A,
        Attestation::B,
        Attestation::C,
        Attestation::Failed,
        Attestation::None,
    ]))
}

proptest! {
    /// The policy only lowers what the thresholds recommend; the one exception is an
    /// answer with candidates, which is always `confirm`.
    #[test]
    fn the_policy_never_raises_a_recommendation(
        on_ani in 0usize..4,
        external in 0usize..2,
        mobile in any::<bool>(),
        attestation in any_attestation(),
        confirmed_with in any_attestation(),
        last_call_days in prop::option::of(0i64..200),
    ) {
        let mut seen = Seen::default();
        for i in 0..on_ani {
            seen = seen.on_ani(&format!("c{i}"), None);
            seen.0.ani_links[i].confirmed = Some(Confirmed {
                first_at: now() - Duration::days(10 + i as i64),
                last_at: now() - Duration::days(5),
                attestation: confirmed_with,
                unattested_at: None,
                attested_run: 0,
            });
        }
        for i in 0..external { seen = seen.external("crm", &format!("c{i}")); }
        if let Some(days) = last_call_days { seen = seen.last_call("c0", Duration::days(days)); }
        let ids: &[(&str, &str)] = if external > 0 { &[("crm", "C1")] } else { &[] };
        let h = hints(Some("+14155551234"), ids, None);
        let line = Some(if mobile { LineType::Mobile } else { LineType::Landline });
        let d = decide(&h, Telco { line_type: line, attestation, ..Telco::default() }, &seen);
        let by_threshold = Thresholds::default().recommend(d.confidence);
        if d.explanation.candidates.is_empty() {
            prop_assert!(d.recommendation() <= by_threshold, "{d:?}");
        } else {
            prop_assert_eq!(d.recommendation(), Recommendation::Confirm);
        }
        if attestation == Some(Attestation::Failed) {
            prop_assert!(d.recommendation() != Recommendation::Reuse);
            prop_assert!(d.explanation.risk.contains(&Risk::SpoofSuspected));
        }
    }
}
