use futures::executor::block_on;

use super::*;
use crate::ports::test_vault::TestVault;
use crate::ports::{MockClock, MockCustomerStore};
use crate::tenant::{AccountId, Environment, Tenant, TenantId};
use crate::variables::VariableWrite;

fn tenant() -> Tenant {
    Tenant::with_defaults(TenantId {
        account: AccountId(uuid::Uuid::from_u128(3)),
        environment: Environment::Test,
    })
}

fn now() -> Timestamp {
    Timestamp::parse("2026-03-01T10:00:00.000Z").unwrap()
}

fn clock() -> MockClock {
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    clock
}

fn record(r: &str) -> CustomerRecord {
    CustomerRecord::empty(CustomerRef::from_trusted(r), now())
}

#[test]
fn a_search_names_exactly_one_key_and_touches_no_port_otherwise() {
    let service = CustomerService::new(
        MockCustomerStore::new(),
        MockClock::new(),
        TestVault::shared(),
    );
    for (ani, id) in [(None, None), (Some("+14155550100"), Some("crm:1"))] {
        match block_on(service.search(&tenant(), ani, id)) {
            Err(CustomerError::Invalid(e)) => assert!(e.issues[0].path.is_empty()),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        block_on(service.search(&tenant(), None, Some("no-namespace"))),
        Err(CustomerError::Invalid(_))
    ));
}

#[test]
fn a_search_reads_every_hit_in_one_call() {
    let mut store = MockCustomerStore::new();
    store
        .expect_find_customers()
        .withf(|_, _, limit| *limit == MAX_SEARCH_RESULTS)
        .returning(|_, _, _| {
            Box::pin(async {
                Ok((0..20)
                    .map(|n| CustomerRef::from_trusted(format!("cust_{n}")))
                    .collect())
            })
        });
    store
        .expect_customer_records()
        .times(1)
        .withf(|_, refs| refs.len() == 20)
        .returning(|_, refs| {
            let found: Vec<_> = refs.iter().map(|r| record(r.as_str())).collect();
            Box::pin(async move { Ok(found) })
        });
    let service = CustomerService::new(store, clock(), TestVault::shared());
    let found = block_on(service.search(&tenant(), Some("+14155550100"), None)).unwrap();
    assert_eq!(found.len(), 20);
    assert_eq!(found[3].customer_ref.as_str(), "cust_3");
}

#[test]
fn unknown_customers_and_variables_are_not_found() {
    let mut store = MockCustomerStore::new();
    store
        .expect_customer_records()
        .returning(|_, _| Box::pin(async { Ok(Vec::new()) }));
    store
        .expect_write_variables()
        .returning(|_, _, _, _| Box::pin(async { Ok(0) }));
    store
        .expect_erase_customer()
        .returning(|_, _, _| Box::pin(async { Ok(false) }));
    let service = CustomerService::new(store, clock(), TestVault::shared());
    let t = tenant().id;
    assert!(matches!(
        block_on(service.get(&t, "cust_x")),
        Err(CustomerError::NotFound)
    ));
    assert!(matches!(
        block_on(service.erase(&t, "cust_x")),
        Err(CustomerError::NotFound)
    ));
    assert!(matches!(
        block_on(service.remove_variable(&t, "cust_x", "note")),
        Err(CustomerError::VariableNotFound)
    ));
}

#[test]
fn a_variable_needs_a_value_and_no_card() {
    // No store expectations: a refused write reaches no port.
    let service = CustomerService::new(MockCustomerStore::new(), clock(), TestVault::shared());
    let t = tenant().id;
    for body in [
        serde_json::Value::Null,
        serde_json::json!({"ttl_seconds": 60}),
        serde_json::json!({"value": null}),
    ] {
        match block_on(service.set_variable(&t, "cust_x", "note", body.clone())) {
            Err(CustomerError::Invalid(e)) => assert_eq!(e.issues[0].path, ["value"], "{body}"),
            other => panic!("{body}: {other:?}"),
        }
    }
    match block_on(service.set_variable(
        &t,
        "cust_x",
        "card",
        serde_json::json!("4111 1111 1111 1111"),
    )) {
        Err(CustomerError::Invalid(e)) => {
            assert_eq!(e.kind, crate::error::RefusalKind::SensitiveData)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_value_is_stored_sealed_read_opened_and_unreadable_once_erased() {
    use std::sync::{Arc, Mutex};
    let stored: Arc<Mutex<Vec<VariableWrite>>> = Arc::default();
    let mut store = MockCustomerStore::new();
    let kept = stored.clone();
    store
        .expect_write_variables()
        .times(1)
        .returning(move |_, _, w, _| {
            *kept.lock().unwrap() = w;
            Box::pin(async { Ok(1) })
        });
    let read = stored.clone();
    store.expect_customer_records().returning(move |_, refs| {
        let mut found = record(refs[0].as_str());
        for write in read.lock().unwrap().iter() {
            if let VariableWrite::Set { key, variable } = write {
                found.variables.insert(key.clone(), variable.clone());
            }
        }
        Box::pin(async move { Ok(vec![found]) })
    });
    store
        .expect_erase_customer()
        .times(1)
        .returning(|_, _, _| Box::pin(async { Ok(true) }));
    let vault = TestVault::shared();
    let service = CustomerService::new(store, clock(), vault.port());
    let t = tenant().id;
    let body = serde_json::json!({"value": "4 Elm Street", "source": "agent 12"});
    block_on(service.set_variable(&t, "cust_1", "address", body)).unwrap();

    let written = stored.lock().unwrap()[0].clone();
    let VariableWrite::Set { variable, .. } = written else {
        panic!()
    };
    assert!(variable.value.starts_with("sc1.") && !variable.value.contains("Elm"));
    assert!(!variable.source.as_deref().unwrap().contains("agent"));
    let view = block_on(service.get(&t, "cust_1")).unwrap();
    assert_eq!(view.context.variables["address"].value, "4 Elm Street");
    assert_eq!(
        view.context.variables["address"].source.as_deref(),
        Some("agent 12")
    );

    block_on(service.erase(&t, "cust_1")).unwrap();
    let scope = crate::protection::Scope::Customer(t, CustomerRef::from_trusted("cust_1"));
    assert!(!vault.holds(&scope));
    // A copy of the row from before the erasure (a restored backup) reads as nothing.
    let restored = block_on(service.get(&t, "cust_1")).unwrap();
    assert!(restored.context.variables.is_empty());
}
