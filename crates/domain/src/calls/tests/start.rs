use serde_json::json;
use time::Duration;

use super::support::*;
use crate::calls::StartCallError;
use crate::credits::{Charge, InsufficientCredits};
use crate::error::RefusalKind;
use crate::identity::{Activity, Evidence, LineType, Recommendation};
use crate::ports::{CommitStartError, CustomerContext, StartReceipt, StartSnapshot};

fn new_caller_body() -> serde_json::Value {
    json!({"call_id": "test_001", "identity_hints": {"ani": "+14155559999"}})
}

fn returning_evidence() -> Evidence {
    Evidence {
        ani_links: vec![link("cust_known", Some(LineType::Mobile))],
        activity: [(
            cust("cust_known"),
            Activity {
                last_call_at: Some(now() - Duration::hours(2)),
                last_open_intent_at: None,
                last_open_intent: None,
            },
        )]
        .into(),
        ..Evidence::default()
    }
}

fn snapshot(evidence: Evidence) -> StartSnapshot {
    StartSnapshot {
        call: None,
        evidence,
    }
}

#[test]
fn new_caller_gets_a_new_customer_linked_at_once_and_is_billed() {
    let mut ports = Ports::new().with_new_ref("cust_new123").charging(Some(1));
    ports
        .store
        .expect_load_start()
        .withf(|_, call_id, hints| {
            call_id.as_str() == "test_001" && hints.phone().unwrap().as_e164().starts_with("bi1.")
        })
        .times(1)
        .returning(|_, _, _| Box::pin(async { Ok((snapshot(Evidence::default()), ())) }));
    ports
        .store
        .expect_commit_start()
        .withf(|_, _, c| {
            c.call.customer == cust("cust_new123")
                && c.create_customer
                && c.link_hints
                && c.sealed_links.phone.is_some()
                && c.call.sealed_hints.is_some()
                && c.charge == Some(Charge { credits: 1 })
                && !c.read_context
                && c.call.provisional
                && c.call.billable
        })
        .times(1)
        .returning(|_, _, _| {
            Box::pin(async {
                Ok(StartReceipt {
                    context: CustomerContext::default(),
                    credits_remaining: Some(99),
                })
            })
        });

    let out = run(ports
        .service()
        .start(&tenant(), start_req(new_caller_body())))
    .unwrap();
    assert_eq!(out.customer_ref, cust("cust_new123"));
    assert_eq!(
        (
            out.confidence.as_f64(),
            out.level().as_str(),
            out.recommendation()
        ),
        (0.0, "low", Recommendation::Ignore)
    );
    assert!(out.sources.is_empty() && out.open_intents.is_empty() && out.variables.is_empty());
    assert_eq!(
        (out.billable, out.replayed, out.credits_remaining),
        (true, false, Some(99))
    );
    assert_eq!(out.call_start, now());
}

#[test]
fn insufficient_credits_writes_nothing() {
    let mut ports = Ports::new().with_new_ref("cust_x").charging(Some(1));
    ports
        .store
        .expect_load_start()
        .times(1)
        .returning(|_, _, _| Box::pin(async { Ok((snapshot(Evidence::default()), ())) }));
    ports
        .store
        .expect_commit_start()
        .times(1)
        .returning(|_, _, _| {
            Box::pin(async {
                Err(CommitStartError::InsufficientCredits(InsufficientCredits {
                    needed: 1,
                    available: 0,
                }))
            })
        });
    // No other expectation: a second commit, an end commit or a context read would fail the test.
    let err = run(ports
        .service()
        .start(&tenant(), start_req(new_caller_body())))
    .unwrap_err();
    assert!(matches!(
        err,
        StartCallError::InsufficientCredits(InsufficientCredits {
            needed: 1,
            available: 0
        })
    ));
}

#[test]
fn a_match_is_free_and_succeeds_at_zero_credits() {
    // Billing is on, but a match costs nothing, whatever the balance.
    let mut ports = Ports::new().charging(Some(1));
    ports
        .store
        .expect_load_start()
        .times(1)
        .returning(|_, _, _| Box::pin(async { Ok((snapshot(returning_evidence()), ())) }));
    ports
        .store
        .expect_commit_start()
        .withf(|_, _, c| {
            c.charge.is_none()
                && c.report_balance
                && !c.create_customer
                && !c.link_hints
                && c.read_context
                && !c.call.billable
        })
        .times(1)
        .returning(|_, _, _| {
            Box::pin(async {
                Ok(StartReceipt {
                    context: CustomerContext {
                        open_intents: vec![open_intent(
                            "follow_up_required",
                            now() - Duration::days(10),
                        )],
                        variables: vars(&[(
                            "last_issue",
                            variable("Refund processed.", now() + Duration::days(3)),
                        )]),
                    },
                    credits_remaining: None,
                })
            })
        });
    let body = json!({"call_id": "c2", "identity_hints": {"ani": "+14155551234"}, "telco": {"line_type": "mobile"}});
    let out = run(ports.service().start(&tenant(), start_req(body))).unwrap();
    assert_eq!(out.customer_ref, cust("cust_known"));
    assert_eq!(out.confidence.hundredths(), 55);
    assert_eq!(out.sources, ["ani:mobile", "recency:1day"]);
    assert!(!out.billable);
    assert_eq!(out.open_intents[0].name.as_str(), "follow_up_required");
    assert_eq!(out.variables["last_issue"].value, "Refund processed.");
}

#[test]
fn expired_variables_and_intents_are_hidden_by_the_injected_clock() {
    let mut ports = Ports::new().charging(None);
    ports
        .store
        .expect_load_start()
        .returning(|_, _, _| Box::pin(async { Ok((snapshot(returning_evidence()), ())) }));
    ports.store.expect_commit_start().returning(|_, _, _| {
        Box::pin(async {
            Ok(StartReceipt {
                context: CustomerContext {
                    open_intents: vec![
                        open_intent("stale", now() - Duration::days(90)),
                        open_intent("live", now() - Duration::days(89)),
                    ],
                    variables: vars(&[
                        ("gone", variable("x", now())),
                        ("kept", variable("y", now() + Duration::seconds(1))),
                    ]),
                },
                credits_remaining: None,
            })
        })
    });
    let body = json!({"call_id": "c3", "identity_hints": {"ani": "+14155551234"}});
    let out = run(ports.service().start(&tenant(), start_req(body))).unwrap();
    assert_eq!(out.variables.keys().collect::<Vec<_>>(), ["kept"]);
    assert_eq!(
        out.open_intents
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>(),
        ["live"]
    );
}

#[test]
fn a_returning_start_asks_the_vault_for_its_customers_key_once() {
    use crate::ports::test_vault::TestVault;
    use crate::protection::{Scope, Sealer};
    use crate::variables::VariableWrite;

    let vault = TestVault::shared();
    let known = cust("cust_known");
    let write = VariableWrite::Set {
        key: "last_issue".into(),
        variable: variable("Refund processed.", now() + Duration::days(1)),
    };
    let sealed = run(Sealer::new(vault.port()).seal(&tenant().id, &known, vec![write])).unwrap();
    let [
        VariableWrite::Set {
            variable: stored, ..
        },
    ] = &sealed[..]
    else {
        panic!("one write in, one out: {sealed:?}");
    };
    assert_ne!(stored.value, "Refund processed.", "stored sealed");
    let stored = stored.clone();
    let scope = Scope::Customer(tenant().id, known);
    let before = vault.asks(&scope);

    let mut ports = Ports::new().charging(None);
    ports
        .store
        .expect_load_start()
        .returning(|_, _, _| Box::pin(async { Ok((snapshot(returning_evidence()), ())) }));
    ports.store.expect_commit_start().returning(move |_, _, _| {
        let variables = vars(&[("last_issue", stored.clone())]);
        Box::pin(async move {
            Ok(StartReceipt {
                context: CustomerContext {
                    open_intents: vec![],
                    variables,
                },
                credits_remaining: None,
            })
        })
    });
    let body = json!({"call_id": "c9", "identity_hints": {"ani": "+14155551234"}});
    let out = run(ports
        .service_with(vault.port())
        .start(&tenant(), start_req(body)))
    .unwrap();
    assert_eq!(out.variables["last_issue"].value, "Refund processed.");
    // Sealing the call's hints made the key; opening the context reused it.
    assert_eq!(vault.asks(&scope) - before, 1);
}

#[test]
fn a_retry_with_the_same_body_replays_without_billing() {
    let body = json!({"call_id": "c4", "identity_hints": {"ani": "+14155551234"}});
    let mut stored = started_call(body.clone(), "cust_first", true);
    stored.confidence = Default::default();
    let mut ports = Ports::new();
    ports.ledger.expect_start_charge().times(0);
    ports.store.expect_commit_start().times(0);
    let call = stored.clone();
    ports.store.expect_load_start().returning(move |_, _, _| {
        let call = call.clone();
        Box::pin(async move {
            Ok((
                crate::ports::StartSnapshot {
                    call: Some(call),
                    evidence: returning_evidence(),
                },
                (),
            ))
        })
    });
    ports
        .store
        .expect_customer_context()
        .withf(|_, c, at| *c == cust("cust_first") && *at == now())
        .times(1)
        .returning(|_, _, _| Box::pin(async { Ok(CustomerContext::default()) }));
    // The same number written differently is the same request.
    let retry = json!({"call_id": "c4", "identity_hints": {"ani": "14155551234"}});
    let out = run(ports.service().start(&tenant(), start_req(retry))).unwrap();
    assert_eq!(out.customer_ref, cust("cust_first"));
    assert_eq!(out.call_start, stored.started_at);
    assert!(out.replayed && out.billable);
    assert_eq!(out.credits_remaining, None);
}

#[test]
fn the_same_call_id_with_another_body_is_reused() {
    let stored = started_call(
        json!({"call_id": "c5", "identity_hints": {"ani": "+14155551234"}}),
        "cust_a",
        true,
    );
    let mut ports = Ports::new();
    ports.store.expect_commit_start().times(0);
    ports.store.expect_load_start().returning(move |_, _, _| {
        let call = stored.clone();
        Box::pin(async move {
            Ok((
                StartSnapshot {
                    call: Some(call),
                    evidence: Evidence::default(),
                },
                (),
            ))
        })
    });
    let other = json!({"call_id": "c5", "identity_hints": {"ani": "+14155550000"}});
    let err = run(ports.service().start(&tenant(), start_req(other))).unwrap_err();
    assert!(matches!(err, StartCallError::CallIdReused));
}

#[test]
fn losing_a_race_on_the_call_id_answers_as_the_winners_retry() {
    let body = new_caller_body();
    let winner = started_call(body.clone(), "cust_winner", true);
    let mut ports = Ports::new().with_new_ref("cust_loser").charging(Some(1));
    ports
        .store
        .expect_load_start()
        .returning(|_, _, _| Box::pin(async { Ok((snapshot(Evidence::default()), ())) }));
    ports
        .store
        .expect_commit_start()
        .times(1)
        .returning(|_, _, _| Box::pin(async { Err(CommitStartError::CallIdTaken) }));
    ports
        .store
        .expect_find_call()
        .times(1)
        .returning(move |_, _| {
            let call = winner.clone();
            Box::pin(async move { Ok(Some(call)) })
        });
    ports
        .store
        .expect_customer_context()
        .returning(|_, _, _| Box::pin(async { Ok(CustomerContext::default()) }));
    let out = run(ports.service().start(&tenant(), start_req(body))).unwrap();
    assert_eq!(out.customer_ref, cust("cust_winner"));
    assert!(out.replayed);
}

#[test]
fn a_weak_candidate_gets_a_provisional_customer_linked_only_at_the_end() {
    let evidence = Evidence {
        ani_links: vec![link("cust_tf", Some(LineType::TollFree))],
        ..Evidence::default()
    };
    let mut ports = Ports::new().with_new_ref("cust_prov").charging(Some(1));
    ports.store.expect_load_start().returning(move |_, _, _| {
        let e = evidence.clone();
        Box::pin(async move { Ok((snapshot(e), ())) })
    });
    ports
        .store
        .expect_commit_start()
        .withf(|_, _, c| {
            c.call.customer == cust("cust_prov")
                && c.create_customer
                && !c.link_hints
                && !c.read_context
        })
        .times(1)
        .returning(|_, _, _| Box::pin(async { Ok(StartReceipt::default()) }));
    let body = json!({"call_id": "c6", "identity_hints": {"ani": "+18005550100"}});
    let out = run(ports.service().start(&tenant(), start_req(body))).unwrap();
    assert_eq!(
        (out.confidence.hundredths(), out.recommendation()),
        (20, Recommendation::Ignore)
    );
    assert_eq!(out.customer_ref, cust("cust_prov"));
    assert!(out.variables.is_empty() && out.billable);
}

#[test]
fn an_unknown_customer_ref_hint_names_the_new_customer() {
    let mut ports = Ports::new().charging(Some(1));
    ports.ids.expect_new_customer_ref().times(0);
    ports
        .store
        .expect_load_start()
        .returning(|_, _, _| Box::pin(async { Ok((snapshot(Evidence::default()), ())) }));
    ports
        .store
        .expect_commit_start()
        .withf(|_, _, c| c.call.customer == cust("CRM-42") && c.create_customer && c.link_hints)
        .times(1)
        .returning(|_, _, _| Box::pin(async { Ok(StartReceipt::default()) }));
    let body = json!({"call_id": "c7", "identity_hints": {"ani": "+14155551234", "customer_ref": "CRM-42"}});
    let out = run(ports.service().start(&tenant(), start_req(body))).unwrap();
    assert_eq!(out.customer_ref, cust("CRM-42"));
}

#[test]
fn billing_switched_off_debits_nothing() {
    let mut ports = Ports::new().with_new_ref("cust_free").charging(None);
    ports
        .store
        .expect_load_start()
        .returning(|_, _, _| Box::pin(async { Ok((snapshot(Evidence::default()), ())) }));
    ports
        .store
        .expect_commit_start()
        .withf(|_, _, c| c.charge.is_none())
        .times(1)
        .returning(|_, _, _| Box::pin(async { Ok(StartReceipt::default()) }));
    let out = run(ports
        .service()
        .start(&tenant(), start_req(new_caller_body())))
    .unwrap();
    assert!(
        out.billable,
        "still reported as billable: billing is what is switched off"
    );
}

#[test]
fn bad_input_touches_no_port() {
    let ports = Ports::new();
    let body =
        json!({"identity_hints": {"ani": "not-a-number"}, "telco": {"line_type": "satellite"}});
    let err = run(ports.service().start(&tenant(), start_req(body))).unwrap_err();
    let StartCallError::Invalid(err) = err else {
        panic!("{err:?}")
    };
    assert_eq!(err.kind, RefusalKind::InvalidRequest);
    let paths: Vec<String> = err.issues.iter().map(|i| i.path.join(".")).collect();
    assert_eq!(paths, ["call_id", "identity_hints.ani", "telco.line_type"]);
}

#[test]
fn a_withheld_number_still_identifies_by_external_id() {
    let evidence = Evidence {
        external_matches: vec![("crm".into(), cust("cust_crm"))],
        ..Evidence::default()
    };
    let mut ports = Ports::new().charging(Some(1));
    ports
        .store
        .expect_load_start()
        .withf(|_, _, hints| {
            hints.phone().is_none() && hints.external_ids["crm"].starts_with("bi1.")
        })
        .returning(move |_, _, _| {
            let e = evidence.clone();
            Box::pin(async move { Ok((snapshot(e), ())) })
        });
    ports
        .store
        .expect_commit_start()
        .withf(|_, _, c| {
            c.call.customer == cust("cust_crm") && !c.create_customer && c.read_context
        })
        .returning(|_, _, _| Box::pin(async { Ok(StartReceipt::default()) }));
    let body = json!({"call_id": "c8", "identity_hints": {"ani": "anonymous", "external_ids": {"crm": "42"}}});
    let out = run(ports.service().start(&tenant(), start_req(body))).unwrap();
    assert_eq!(
        (out.confidence.hundredths(), out.recommendation()),
        (40, Recommendation::Confirm)
    );
    assert_eq!(out.customer_ref, cust("cust_crm"));
}

/// A start's fingerprint is a digest of its meaning with keys in byte order, whatever
/// order the JSON value holds them in (serde_json keeps insertion order when a crate of
/// the build asks for `preserve_order`): calls stored before stay recognised.
#[test]
fn fingerprints_do_not_depend_on_the_order_json_keeps_keys_in() {
    use crate::calls::{Fingerprint, RawStartCall, canonical_json};
    let raw: RawStartCall = serde_json::from_value(serde_json::json!({
        "call_id": "c-1",
        "identity_hints": {"ani": "+14155550100", "external_ids": {"crm": "42"}},
        "telco": {"attestation": "A"}
    }))
    .unwrap();
    let start =
        crate::calls::StartCall::parse(raw, &crate::tenant::TenantPolicy::default()).unwrap();
    // What serde_json wrote with its default sorted maps, before any crate changed that.
    let sorted = r#"{"attestation":"A","call_id":"c-1","hints":{"ani":"+14155550100","customer_ref":null,"dnis":null,"external_ids":{"crm":"42"}},"line_type":null}"#;
    assert_eq!(start.fingerprint(), Fingerprint::of(sorted));
    let shuffled = serde_json::json!({"b": [{"z": 1, "a": 2}], "a": null});
    assert_eq!(
        canonical_json(&shuffled),
        r#"{"a":null,"b":[{"a":2,"z":1}]}"#
    );
}
