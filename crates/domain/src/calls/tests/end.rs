use serde_json::json;
use time::Duration;

use super::support::*;
use crate::calls::{EndCall, EndCallError};
use crate::error::{Issue, RefusalKind, ValidationError};
use crate::identity::{CustomerRef, Evidence, LineType};
use crate::intents::{IntentStatus, IntentWrite};
use crate::ports::{CommitEndError, CustomerSeen, EndReceipt, EndSnapshot};
use crate::variables::VariableWrite;

fn start_body(call_id: &str) -> serde_json::Value {
    json!({"call_id": call_id, "identity_hints": {"ani": "+14155551234"}, "telco": {"line_type": "mobile"}})
}

fn with_call(ports: &mut Ports, call: crate::calls::CallRecord) {
    ports
        .store
        .expect_load_end()
        .returning(move |_, _, _, _, _| {
            let call = Some(call.clone());
            Box::pin(async move {
                Ok(EndSnapshot {
                    call,
                    customer: None,
                })
            })
        });
}

fn fingerprint_of(body: serde_json::Value) -> crate::calls::Fingerprint {
    EndCall::parse(end_req(body), &tenant().policy, now())
        .unwrap()
        .fingerprint
}

#[test]
fn an_end_saves_intent_and_variables_for_the_starts_customer() {
    let mut ports = Ports::new();
    with_call(&mut ports, started_call(start_body("e1"), "cust_a", false));
    ports
        .store
        .expect_commit_end()
        .withf(|_, c| {
            c.call.customer == cust("cust_a")
                && !c.standalone
                && !c.create_customer
                && c.fold_provisional.is_none()
                // The store sees the number's blind index, and its copy sealed.
                && c.link.phone().unwrap().as_e164().starts_with("bi1.")
                && c.sealed_links.phone.is_some()
                && c.line_type == Some(LineType::Mobile)
                && matches!(&c.intent, Some(IntentWrite::Close { name, status: IntentStatus::Resolved, .. }) if name.as_str() == "billing_inquiry")
                && c.variables.len() == 3
                && c.call.ended.as_ref().unwrap().ended_at == now()
        })
        .times(1)
        .returning(|_, _| Box::pin(async { Ok(EndReceipt { intents_updated: 1 }) }));
    let body = json!({
        "call_id": "e1",
        "customer_ref": "cust_a",
        "intent": "billing_inquiry",
        "intent_status": "resolved",
        "variables": {"resolution": "Issued $50 refund for duplicate charge", "refund_amount": "50.00", "issue_type": "billing"}
    });
    let out = run(ports.service().end(&tenant(), end_req(body))).unwrap();
    assert_eq!(out.customer_ref, cust("cust_a"));
    assert_eq!(
        (out.call_end, out.call_start),
        (now(), now() - Duration::minutes(15))
    );
    assert_eq!(
        (
            out.duration_seconds,
            out.intents_updated,
            out.variables_updated
        ),
        (900, 1, 3)
    );
    assert!(!out.replayed);
}

#[test]
fn intent_is_open_is_an_alias_that_counts_an_attempt() {
    let mut ports = Ports::new();
    with_call(&mut ports, started_call(start_body("e2"), "cust_a", false));
    ports
        .store
        .expect_commit_end()
        .withf(|_, c| matches!(&c.intent, Some(IntentWrite::Touch { name, .. }) if name.as_str() == "refund_request"))
        .times(1)
        .returning(|_, _| Box::pin(async { Ok(EndReceipt { intents_updated: 1 }) }));
    let body = json!({"call_id": "e2", "intent": "refund_request", "intent_is_open": true});
    run(ports.service().end(&tenant(), end_req(body))).unwrap();
}

#[test]
fn a_provisional_customer_is_folded_into_the_one_the_end_names() {
    let mut ports = Ports::new();
    with_call(
        &mut ports,
        started_call(start_body("e3"), "cust_provisional", true),
    );
    ports
        .store
        .expect_commit_end()
        .withf(|_, c| {
            c.call.customer == cust("cust_test")
                && c.create_customer
                && c.fold_provisional == Some(cust("cust_provisional"))
                && c.link.phone().is_some()
        })
        .times(1)
        .returning(|_, _| Box::pin(async { Ok(EndReceipt::default()) }));
    let body = json!({"call_id": "e3", "customer_ref": "cust_test", "variables": {"name": "Test"}});
    let out = run(ports.service().end(&tenant(), end_req(body))).unwrap();
    assert_eq!(out.customer_ref, cust("cust_test"));
}

#[test]
fn a_customer_with_history_is_never_merged() {
    let mut ports = Ports::new();
    with_call(
        &mut ports,
        started_call(start_body("e4"), "cust_household_a", false),
    );
    ports
        .store
        .expect_commit_end()
        .withf(|_, c| {
            c.call.customer == cust("cust_household_b")
                && c.create_customer
                && c.fold_provisional.is_none()
        })
        .times(1)
        .returning(|_, _| Box::pin(async { Ok(EndReceipt::default()) }));
    let body = json!({"call_id": "e4", "customer_ref": "cust_household_b"});
    let out = run(ports.service().end(&tenant(), end_req(body))).unwrap();
    assert_eq!(out.customer_ref, cust("cust_household_b"));
}

#[test]
fn hints_sent_at_the_end_are_linked_with_the_starts() {
    let mut ports = Ports::new();
    with_call(&mut ports, started_call(start_body("e5"), "cust_a", false));
    ports
        .store
        .expect_commit_end()
        .withf(|_, c| {
            c.link
                .phone()
                .is_some_and(|p| p.as_e164().starts_with("bi1."))
                && c.link
                    .external_ids
                    .get("crm_id")
                    .is_some_and(|v| v.starts_with("bi1."))
                && c.sealed_links.external_ids.contains_key("crm_id")
                && c.call.sealed_hints.is_some()
        })
        .times(1)
        .returning(|_, _| Box::pin(async { Ok(EndReceipt::default()) }));
    let body =
        json!({"call_id": "e5", "identity_hints": {"external_ids": {"crm_id": "CUST-12345"}}});
    run(ports.service().end(&tenant(), end_req(body))).unwrap();
}

#[test]
fn a_standalone_end_resolves_the_caller_and_records_the_call_whole() {
    let mut ports = Ports::new();
    ports
        .store
        .expect_load_end()
        .returning(|_, _, _, _, _| Box::pin(async { Ok(EndSnapshot::default()) }));
    ports
        .store
        .expect_gather_evidence()
        .times(1)
        .returning(|_, _| {
            Box::pin(async {
                Ok(Evidence {
                    ani_links: vec![link("cust_known", Some(LineType::Mobile))],
                    ..Evidence::default()
                })
            })
        });
    ports
        .store
        .expect_commit_end()
        .withf(|_, c| {
            c.standalone
                && c.call.customer == cust("cust_known")
                && c.call.started_at == now()
                && !c.call.billable
                && c.charge.is_none()
                && c.call.start_fingerprint == crate::calls::Fingerprint::standalone()
                && c.variables.len() == 1
        })
        .times(1)
        .returning(|_, _| Box::pin(async { Ok(EndReceipt::default()) }));
    let body = json!({"call_id": "batch_1", "identity_hints": {"ani": "+14155551234"}, "variables": {"summary": "from batch"}});
    let out = run(ports.service().end(&tenant(), end_req(body))).unwrap();
    assert_eq!(
        (out.customer_ref, out.duration_seconds),
        (cust("cust_known"), 0)
    );
}

#[test]
fn a_standalone_end_for_nobody_gets_a_new_customer_billed_like_a_start() {
    let mut ports = Ports::new().with_new_ref("cust_fresh").charging(Some(1));
    ports
        .store
        .expect_load_end()
        .returning(|_, _, _, _, _| Box::pin(async { Ok(EndSnapshot::default()) }));
    ports
        .store
        .expect_gather_evidence()
        .returning(|_, _| Box::pin(async { Ok(Evidence::default()) }));
    ports
        .store
        .expect_commit_end()
        .withf(|_, c| {
            c.call.customer == cust("cust_fresh")
                && c.create_customer
                && c.call.billable
                && c.charge == Some(crate::credits::Charge { credits: 1 })
        })
        .times(1)
        .returning(|_, _| Box::pin(async { Ok(EndReceipt::default()) }));
    let body = json!({"call_id": "batch_2", "identity_hints": {"ani": "+14155550000"}});
    run(ports.service().end(&tenant(), end_req(body))).unwrap();
}

#[test]
fn an_end_with_no_call_and_nothing_to_identify_is_not_found() {
    let mut ports = Ports::new();
    ports
        .store
        .expect_load_end()
        .times(1)
        .returning(|_, _, _, _, _| Box::pin(async { Ok(EndSnapshot::default()) }));
    let err = run(ports.service().end(
        &tenant(),
        end_req(json!({"call_id": "ghost", "variables": {"a": "b"}})),
    ))
    .unwrap_err();
    assert!(matches!(err, EndCallError::CallNotFound));
}

#[test]
fn ending_again_replays_the_same_end_and_refuses_another() {
    let body =
        json!({"call_id": "e6", "intent": "x", "intent_status": "open", "variables": {"k": "v"}});
    let done = ended(
        started_call(start_body("e6"), "cust_a", false),
        fingerprint_of(body.clone()),
    );
    let mut ports = Ports::new();
    ports.store.expect_commit_end().times(0);
    with_call(&mut ports, done);
    let service = ports.service();
    let out = run(service.end(&tenant(), end_req(body))).unwrap();
    assert!(out.replayed);
    assert_eq!((out.intents_updated, out.variables_updated), (1, 2));
    let other = json!({"call_id": "e6", "intent": "x", "intent_status": "resolved"});
    assert!(matches!(
        run(service.end(&tenant(), end_req(other))).unwrap_err(),
        EndCallError::CallAlreadyEnded
    ));
}

#[test]
fn losing_a_race_to_end_replays_the_winner() {
    let body = json!({"call_id": "e7", "variables": {"k": "v"}});
    let open = started_call(start_body("e7"), "cust_a", false);
    let done = ended(open.clone(), fingerprint_of(body.clone()));
    let mut ports = Ports::new();
    ports
        .store
        .expect_load_end()
        .times(1)
        .returning(move |_, _, _, _, _| {
            let call = Some(open.clone());
            Box::pin(async move {
                Ok(EndSnapshot {
                    call,
                    customer: None,
                })
            })
        });
    ports
        .store
        .expect_find_call()
        .times(1)
        .returning(move |_, _| {
            let call = done.clone();
            Box::pin(async move { Ok(Some(call)) })
        });
    ports
        .store
        .expect_commit_end()
        .times(1)
        .returning(|_, _| Box::pin(async { Err(CommitEndError::AlreadyEnded) }));
    let out = run(ports.service().end(&tenant(), end_req(body))).unwrap();
    assert!(out.replayed);
}

#[test]
fn a_customer_changed_since_the_read_is_read_again_then_written_under_the_lock() {
    let body = json!({"call_id": "e8", "intent": "billing", "variables": {"k": "v"}});
    let open = started_call(start_body("e8"), "cust_a", false);
    let mut ports = Ports::new();
    let mut reads = 0;
    ports
        .store
        .expect_load_end()
        .times(2)
        .returning(move |_, _, customer, intent, _| {
            // The end names no customer; it asks for the intent it writes.
            assert!(customer.is_none());
            assert_eq!(intent.as_ref().map(|i| i.as_str()), Some("billing"));
            reads += 1;
            let snapshot = EndSnapshot {
                call: Some(open.clone()),
                customer: Some(CustomerSeen {
                    customer: CustomerRef::from_trusted("cust_a".to_owned()),
                    version: reads,
                    intent: None,
                    live_keys: Vec::new(),
                }),
            };
            Box::pin(async move { Ok(snapshot) })
        });
    let mut commits = 0;
    ports
        .store
        .expect_commit_end()
        .times(2)
        .returning(move |_, commit| {
            commits += 1;
            let result = if commits == 1 {
                // The first commit decides on what was read, and finds it changed.
                assert_eq!(commit.seen.as_ref().map(|s| s.version), Some(1));
                Err(CommitEndError::Stale)
            } else {
                // The second reads under the store's lock.
                assert!(commit.seen.is_none());
                Ok(EndReceipt { intents_updated: 1 })
            };
            Box::pin(async move { result })
        });
    let out = run(ports.service().end(&tenant(), end_req(body))).unwrap();
    assert!(!out.replayed);
    assert_eq!((out.intents_updated, out.variables_updated), (1, 1));
}

#[test]
fn an_end_that_moves_the_call_is_not_decided_on_the_old_customer() {
    let body = json!({"call_id": "e9", "customer_ref": "cust_b"});
    let open = started_call(start_body("e9"), "cust_a", false);
    let mut ports = Ports::new();
    ports
        .store
        .expect_load_end()
        .times(1)
        .returning(move |_, _, customer, _, _| {
            assert_eq!(customer.as_ref().map(|c| c.as_str()), Some("cust_b"));
            // A store that answered for another customer is not believed.
            let snapshot = EndSnapshot {
                call: Some(open.clone()),
                customer: Some(CustomerSeen {
                    customer: CustomerRef::from_trusted("cust_a".to_owned()),
                    version: 1,
                    intent: None,
                    live_keys: Vec::new(),
                }),
            };
            Box::pin(async move { Ok(snapshot) })
        });
    ports
        .store
        .expect_commit_end()
        .times(1)
        .returning(|_, commit| {
            assert!(commit.seen.is_none());
            assert_eq!(commit.call.customer.as_str(), "cust_b");
            Box::pin(async { Ok(EndReceipt::default()) })
        });
    run(ports.service().end(&tenant(), end_req(body))).unwrap();
}

#[test]
fn limits_are_refused_whole_before_any_port_call() {
    for (variables, kind, key) in [
        (
            json!({"ok": "fine", "long": "x".repeat(1025)}),
            RefusalKind::InvalidRequest,
            "long",
        ),
        (
            json!({"ok": "fine", "ttl": {"value": "v", "ttl_seconds": 10}}),
            RefusalKind::InvalidRequest,
            "ttl",
        ),
        (
            json!({"ok": "fine", "card": "4111-1111-1111-1111"}),
            RefusalKind::SensitiveData,
            "card",
        ),
    ] {
        let ports = Ports::new();
        let body = json!({"call_id": "e8", "variables": variables});
        let err = run(ports.service().end(&tenant(), end_req(body))).unwrap_err();
        let EndCallError::Invalid(err) = err else {
            panic!("{err:?}")
        };
        assert_eq!((err.kind, err.issues[0].path[1].as_str()), (kind, key));
    }
}

#[test]
fn the_live_variable_limit_seen_by_the_store_refuses_the_end() {
    let mut ports = Ports::new();
    with_call(
        &mut ports,
        started_call(start_body("e9"), "cust_full", false),
    );
    ports.store.expect_commit_end().times(1).returning(|_, c| {
        let key = c.variables[0].key().to_owned();
        Box::pin(async move {
            Err(CommitEndError::Refused(ValidationError::single(
                RefusalKind::InvalidRequest,
                Issue::at_segments(
                    &["variables", &key],
                    "a customer holds at most 100 live variables",
                ),
            )))
        })
    });
    let err = run(ports.service().end(
        &tenant(),
        end_req(json!({"call_id": "e9", "variables": {"k101": "v"}})),
    ))
    .unwrap_err();
    let EndCallError::Invalid(err) = err else {
        panic!("{err:?}")
    };
    assert_eq!(err.issues[0].path, ["variables", "k101"]);
}

#[test]
fn null_deletes_a_variable() {
    let mut ports = Ports::new();
    with_call(&mut ports, started_call(start_body("e10"), "cust_a", false));
    ports
        .store
        .expect_commit_end()
        .withf(|_, c| c.variables == [VariableWrite::Delete { key: "old".into() }])
        .times(1)
        .returning(|_, _| Box::pin(async { Ok(EndReceipt::default()) }));
    let out = run(ports.service().end(
        &tenant(),
        end_req(json!({"call_id": "e10", "variables": {"old": null}})),
    ))
    .unwrap();
    assert_eq!(out.variables_updated, 1);
}

#[test]
fn a_status_without_an_intent_is_refused() {
    let ports = Ports::new();
    let err = run(ports.service().end(
        &tenant(),
        end_req(json!({"call_id": "e11", "intent_status": "open"})),
    ))
    .unwrap_err();
    let EndCallError::Invalid(err) = err else {
        panic!("{err:?}")
    };
    assert_eq!(err.issues[0].path, ["intent"]);
}

/// What each kind of end says about its start, for calibration: the verdict it
/// commits with the call.
#[test]
fn an_end_judges_its_starts_decision() {
    use crate::identity::{Confidence, Explanation, Recommendation, Verdict};
    let reused = |customer: &str| {
        let mut call = started_call(start_body("j"), customer, false);
        call.confidence = Confidence::from_hundredths(55);
        call.sources = vec!["ani:mobile".into(), "recency:1day".into()];
        call.explanation = Explanation {
            recommendation: Recommendation::Reuse,
            ..Explanation::recorded_without(call.confidence)
        };
        call
    };
    let verdict = |call: crate::calls::CallRecord, end: serde_json::Value| {
        let mut ports = Ports::new();
        with_call(&mut ports, call);
        let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
        let keep = seen.clone();
        ports.store.expect_commit_end().returning(move |_, c| {
            *keep.lock().unwrap() = Some(c.call.ended.as_ref().unwrap().verdict);
            Box::pin(async { Ok(EndReceipt::default()) })
        });
        run(ports.service().end(&tenant(), end_req(end))).unwrap();
        let v = *seen.lock().unwrap();
        v.unwrap()
    };
    let v = |reused, correct, returning| {
        Some(Verdict {
            reused,
            correct,
            returning,
        })
    };
    // A reused caller the end leaves as is, or names again: right.
    assert_eq!(
        verdict(reused("cust_a"), json!({"call_id": "j"})),
        v(true, true, true)
    );
    assert_eq!(
        verdict(
            reused("cust_a"),
            json!({"call_id": "j", "customer_ref": "cust_a"})
        ),
        v(true, true, true)
    );
    // The agent names someone else: wrong, and the caller was known.
    assert_eq!(
        verdict(
            reused("cust_a"),
            json!({"call_id": "j", "customer_ref": "cust_b"})
        ),
        v(true, false, true)
    );
    // A new caller the end names as the start's new customer: nobody was predicted.
    let new = started_call(start_body("j"), "cust_new", true);
    assert_eq!(
        verdict(
            new.clone(),
            json!({"call_id": "j", "customer_ref": "cust_new"})
        ),
        v(false, false, false)
    );
    // ...or as a known customer the start missed.
    assert_eq!(
        verdict(
            new.clone(),
            json!({"call_id": "j", "customer_ref": "cust_known"})
        ),
        v(false, false, true)
    );
    // An end that neither names anyone nor follows a reuse judges nothing.
    assert_eq!(verdict(new, json!({"call_id": "j"})), None);
}
