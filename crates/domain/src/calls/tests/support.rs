use std::collections::BTreeMap;

use futures::executor::block_on;
use serde_json::Value;
use time::Duration;
use time::macros::datetime;
use uuid::Uuid;

use crate::calls::{
    CallRecord, CallService, EndRecord, Fingerprint, RawEndCall, RawStartCall, StartCall,
};
use crate::identity::{AniLink, CustomerRef, Explanation, LineType};
use crate::intents::{IntentName, OpenIntent};
use crate::ports::{MockCallStore, MockClock, MockCreditLedger, MockIdGenerator};
use crate::tenant::{AccountId, Environment, Tenant, TenantId};
use crate::timestamp::Timestamp;
use crate::variables::{StoredVariable, Ttl};

pub type Service = CallService<MockCallStore, MockCreditLedger, MockClock, MockIdGenerator>;

pub fn now() -> Timestamp {
    Timestamp::new(datetime!(2026-02-06 15:30:00 UTC))
}

pub fn tenant() -> Tenant {
    Tenant::with_defaults(TenantId {
        account: AccountId(Uuid::from_u128(7)),
        environment: Environment::Test,
    })
}

pub fn cust(name: &str) -> CustomerRef {
    CustomerRef::from_trusted(name)
}

pub fn start_req(body: Value) -> RawStartCall {
    serde_json::from_value(body).unwrap()
}

pub fn end_req(body: Value) -> RawEndCall {
    serde_json::from_value(body).unwrap()
}

/// Mocks with no expectations: any port call not set up by a test fails it.
pub struct Ports {
    pub store: MockCallStore,
    pub ledger: MockCreditLedger,
    pub ids: MockIdGenerator,
    pub clock: MockClock,
}

impl Ports {
    pub fn new() -> Self {
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        Self {
            store: MockCallStore::new(),
            ledger: MockCreditLedger::new(),
            ids: MockIdGenerator::new(),
            clock,
        }
    }

    pub fn with_new_ref(mut self, name: &'static str) -> Self {
        self.ids
            .expect_new_customer_ref()
            .times(1)
            .returning(move || cust(name));
        self
    }

    pub fn charging(mut self, credits: Option<u64>) -> Self {
        self.ledger
            .expect_start_charge()
            .times(1)
            .returning(move |_| {
                Box::pin(
                    async move { Ok(credits.map(|credits| crate::credits::Charge { credits })) },
                )
            });
        self
    }

    pub fn service(self) -> Service {
        self.service_with(crate::ports::test_vault::TestVault::shared())
    }

    /// The service sealing and opening through `vault`.
    pub fn service_with(self, vault: crate::ports::SharedVault) -> Service {
        CallService::new(self.store, self.ledger, self.clock, self.ids, vault)
    }
}

pub fn run<T>(future: impl std::future::Future<Output = T>) -> T {
    block_on(future)
}

pub fn link(customer: &str, line_type: Option<LineType>) -> AniLink {
    AniLink {
        customer: cust(customer),
        line_type,
        linked_at: now() - Duration::days(10),
        confirmed: None,
    }
}

/// A started (not ended) call for `body`, as the store would hold it.
pub fn started_call(body: Value, customer: &str, provisional: bool) -> CallRecord {
    let request = StartCall::parse(start_req(body), &tenant().policy).unwrap();
    CallRecord {
        call_id: request.call_id.clone(),
        customer: cust(customer),
        started_at: now() - Duration::minutes(15),
        start_fingerprint: request.fingerprint(),
        confidence: Default::default(),
        sources: vec![],
        explanation: Explanation::recorded_without(Default::default()),
        billable: provisional,
        provisional,
        hints: request.hints,
        sealed_hints: None,
        line_type: request.telco.line_type,
        attestation: request.telco.attestation,
        ended: None,
    }
}

pub fn ended(mut call: CallRecord, fingerprint: Fingerprint) -> CallRecord {
    call.ended = Some(EndRecord {
        ended_at: now(),
        fingerprint,
        intents_updated: 1,
        variables_updated: 2,
        intent: None,
        verdict: None,
    });
    call
}

pub fn variable(value: &str, expires_at: Timestamp) -> StoredVariable {
    StoredVariable {
        value: value.into(),
        source: None,
        ttl: Ttl::DEFAULT,
        expires_at,
    }
}

pub fn open_intent(name: &str, last_seen: Timestamp) -> OpenIntent {
    OpenIntent {
        name: IntentName::from_trusted(name),
        attempt_count: 2,
        first_seen: last_seen - Duration::days(1),
        last_seen,
    }
}

pub fn vars(entries: &[(&str, StoredVariable)]) -> BTreeMap<String, StoredVariable> {
    entries
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}
