//! The contract of what a store keeps for identity: each customer's latest open intent
//! (the hint offered with a candidate) and a start's whole explanation (recommendation,
//! signals, candidates, risks), so a retried start answers exactly what the first did.

use anyhow::ensure;
use serde_json::json;
use stickycalls_domain::identity::{ATTESTED_RUN, Recommendation, Risk};
use time::Duration;

use super::{StorageFactory, World, test_tenant};

/// A household line offers both people with their latest open intent, and a retry of
/// that start answers the same explanation from what the store kept.
pub async fn candidates_and_their_hints_are_kept<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 10).await?;
    let line = |id: &str| json!({"call_id": id, "identity_hints": {"ani": "+14155550020"}, "telco": {"line_type": "landline"}});
    w.start(&t, line("k1")).await?;
    w.end(
        &t,
        json!({"call_id": "k1", "customer_ref": "cust_ann", "intent": "refund", "intent_status": "open"}),
    )
    .await?;
    w.clock.advance(Duration::minutes(5));
    w.end(&t, json!({"call_id": "k1b", "customer_ref": "cust_ann", "intent": "address_change", "intent_status": "open"}))
        .await?;
    w.clock.advance(Duration::hours(1));
    w.start(&t, line("k2")).await?;
    w.end(&t, json!({"call_id": "k2", "customer_ref": "cust_ben"}))
        .await?;
    w.clock.advance(Duration::hours(1));

    let first = w.start(&t, line("k3")).await?;
    ensure!(
        first.recommendation() == Recommendation::Confirm,
        "{first:?}"
    );
    let offers: Vec<(&str, Option<&str>)> = first
        .explanation
        .candidates
        .iter()
        .map(|o| (o.customer.as_str(), o.hint.as_deref()))
        .collect();
    ensure!(
        offers == [("cust_ben", None), ("cust_ann", Some("address_change"))],
        "{offers:?}"
    );
    let weights: f64 = first.explanation.signals.iter().map(|s| s.weight).sum();
    ensure!(((weights * 100.0).round() as u8) == first.confidence.hundredths());

    w.clock.advance(Duration::minutes(1));
    let retry = w.start(&t, line("k3")).await?;
    ensure!(retry.replayed, "{retry:?}");
    ensure!(
        retry.explanation == first.explanation,
        "{:?} vs {:?}",
        retry.explanation,
        first.explanation
    );
    Ok(())
}

/// A start whose attestation failed is never reused, says so, and its retry says so too.
pub async fn a_failed_attestation_is_kept<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 10).await?;
    let call = |id: &str, attestation: &str| json!({"call_id": id, "identity_hints": {"ani": "+14155550021"}, "telco": {"line_type": "mobile", "attestation": attestation}});
    w.start(&t, call("s1", "TN-Validation-Passed-A")).await?;
    w.end(&t, json!({"call_id": "s1", "customer_ref": "cust_owner"}))
        .await?;
    w.clock.advance(Duration::hours(1));
    let spoof = w.start(&t, call("s2", "TN-Validation-Failed")).await?;
    ensure!(spoof.recommendation() == Recommendation::Confirm && spoof.billable);
    ensure!(spoof.explanation.risk == [Risk::SpoofSuspected]);
    let retry = w.start(&t, call("s2", "TN-Validation-Failed")).await?;
    ensure!(retry.replayed && retry.explanation == spoof.explanation);
    ensure!(retry.recommendation() == Recommendation::Confirm);
    // The same call id with another attestation is another request.
    ensure!(w.start(&t, call("s2", "A")).await.is_err());
    Ok(())
}

/// Each number keeps who was confirmed on it, when and with which attestation: a
/// mobile that moved to someone new reuses them, and a person confirmed only on a
/// weaker call than the number's usual one never shares it.
pub async fn a_numbers_confirmations_are_kept<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 20).await?;
    let call = |id: &str, attestation: &str| json!({"call_id": id, "identity_hints": {"ani": "+14155550022"}, "telco": {"line_type": "mobile", "attestation": attestation}});
    // The first owner, confirmed twice.
    for id in ["m1", "m2"] {
        w.start(&t, call(id, "A")).await?;
        w.end(&t, json!({"call_id": id, "customer_ref": "cust_first"}))
            .await?;
        w.clock.advance(Duration::hours(1));
    }
    // A spoof with C, which the agent found to be someone else.
    let spoof = w.start(&t, call("m3", "C")).await?;
    ensure!(
        spoof.recommendation() == Recommendation::Confirm,
        "{spoof:?}"
    );
    ensure!(spoof.explanation.risk == [Risk::AttestationDowngrade]);
    w.end(&t, json!({"call_id": "m3", "customer_ref": "cust_spoofer"}))
        .await?;
    w.clock.advance(Duration::hours(1));
    let owner = w.start(&t, call("m4", "A")).await?;
    ensure!(
        owner.customer_ref.as_str() == "cust_first"
            && owner.recommendation() == Recommendation::Reuse
            && owner.sources == ["ani:mobile", "recency:1day"],
        "the spoofer does not share the number: {owner:?}"
    );
    w.end(&t, json!({"call_id": "m4"})).await?;
    // The number is recycled after lying dormant: a new subscriber, confirmed twice.
    w.clock.advance(Duration::days(120));
    let stranger = w.start(&t, call("m5", "A")).await?;
    ensure!(
        stranger.customer_ref.as_str() == "cust_first"
            && stranger.recommendation() == Recommendation::Confirm
            && stranger.explanation.risk == [Risk::PossiblyRecycled],
        "{stranger:?}"
    );
    w.end(&t, json!({"call_id": "m5", "customer_ref": "cust_next"}))
        .await?;
    w.clock.advance(Duration::hours(1));
    let next = w.start(&t, call("m6", "A")).await?;
    ensure!(
        next.customer_ref.as_str() == "cust_next"
            && next.recommendation() == Recommendation::Reuse
            && next.sources == ["ani:mobile", "recency:1day"],
        "the number moved to its new subscriber: {next:?}"
    );
    Ok(())
}

/// A number's unattested confirmations are kept beside its attestation: on a number
/// always attested A (its person confirmed with it [`ATTESTED_RUN`] times in a row) a
/// call without one is a downgrade, and once a genuine call arrived without one,
/// absence is ordinary there (the A is not erased: C still is a downgrade), and the run
/// starts again from none. And the namespaces its people hold ids in: a call giving
/// another id in one of them is not reused on the number.
pub async fn unattested_calls_and_held_ids_are_kept<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 20).await?;
    let call = |id: &str, telco: serde_json::Value| json!({"call_id": id, "identity_hints": {"ani": "+14155550023"}, "telco": telco});
    let mobile = |attestation: Option<&str>| match attestation {
        Some(a) => json!({"line_type": "mobile", "attestation": a}),
        None => json!({"line_type": "mobile"}),
    };
    w.start(&t, call("u0", mobile(Some("A")))).await?;
    w.end(&t, json!({"call_id": "u0", "customer_ref": "cust_owner"}))
        .await?;
    w.clock.advance(Duration::hours(1));
    w.start(&t, call("u1", mobile(Some("A")))).await?;
    w.end(&t, json!({"call_id": "u1", "customer_ref": "cust_owner", "identity_hints": {"external_ids": {"crm": "C-1"}}}))
        .await?;
    w.clock.advance(Duration::hours(1));
    // Two attested calls: too short a record for absence to mean anything.
    let early = w.start(&t, call("u1-absent", mobile(None))).await?;
    ensure!(
        early.recommendation() == Recommendation::Reuse,
        "attested twice: absence is ordinary: {early:?}"
    );
    for n in 2..ATTESTED_RUN {
        let start = call(&format!("u1-{n}"), mobile(Some("A")));
        w.confirmed_call(&t, start, "cust_owner").await?;
        w.clock.advance(Duration::hours(1));
    }
    let absent = w.start(&t, call("u2", mobile(None))).await?;
    ensure!(
        absent.recommendation() == Recommendation::Confirm
            && absent.explanation.risk == [Risk::AttestationDowngrade],
        "always attested: absence is a downgrade: {absent:?}"
    );
    w.end(&t, json!({"call_id": "u2", "customer_ref": "cust_owner"}))
        .await?;
    w.clock.advance(Duration::hours(1));
    let again = w.start(&t, call("u3", mobile(None))).await?;
    ensure!(
        again.recommendation() == Recommendation::Reuse && again.explanation.risk.is_empty(),
        "an unattested genuine call was kept: {again:?}"
    );
    w.end(&t, json!({"call_id": "u3"})).await?;
    w.clock.advance(Duration::hours(1));
    let weaker = w.start(&t, call("u4", mobile(Some("C")))).await?;
    ensure!(
        weaker.explanation.risk == [Risk::AttestationDowngrade],
        "the A was kept: {weaker:?}"
    );
    w.clock.advance(Duration::hours(1));
    let other_id = json!({"call_id": "u5", "identity_hints": {"ani": "+14155550023",
        "external_ids": {"crm": "C-2"}}, "telco": mobile(Some("A"))});
    let stranger = w.start(&t, other_id).await?;
    ensure!(
        stranger.customer_ref.as_str() == "cust_owner"
            && stranger.recommendation() == Recommendation::Confirm
            && stranger.explanation.risk == [Risk::ExternalIdMismatch],
        "another CRM id than the number's person holds: {stranger:?}"
    );
    let same_id = json!({"call_id": "u6", "identity_hints": {"ani": "+14155550023",
        "external_ids": {"crm": "C-1"}}, "telco": mobile(Some("A"))});
    let owner = w.start(&t, same_id).await?;
    ensure!(owner.recommendation() == Recommendation::Reuse, "{owner:?}");
    // The unattested call ended the run: once it lies beyond the 90 days that keep
    // absence ordinary, a run shorter than ATTESTED_RUN since leaves absence ordinary.
    for n in 1..ATTESTED_RUN {
        w.clock.advance(Duration::days(10));
        let start = call(&format!("u7-{n}"), mobile(Some("A")));
        w.confirmed_call(&t, start, "cust_owner").await?;
    }
    w.clock.advance(Duration::days(5));
    let later = w.start(&t, call("u8", mobile(None))).await?;
    ensure!(
        later.recommendation() == Recommendation::Reuse && later.explanation.risk.is_empty(),
        "the run started again after the unattested call: {later:?}"
    );
    Ok(())
}
