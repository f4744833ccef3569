//! Clock and id generator for tests: a clock that only moves when told to, and
//! customer references and account ids in sequence.

use std::sync::{Arc, Mutex};

use std::sync::atomic::{AtomicU64, Ordering};
use stickycalls_domain::Timestamp;
use stickycalls_domain::identity::CustomerRef;

use stickycalls_domain::accounts::AccountService;
use stickycalls_domain::accounts::NewKey;
use stickycalls_domain::credits::SharedPolicy;
use stickycalls_domain::keys::MintedKey;
use stickycalls_domain::ports::{AccountStore, Clock, CreditLedger, IdGenerator, KeyMinter};
use stickycalls_domain::tenant::{AccountId, Environment};
use stickycalls_domain::{Secret, StoreError};
use time::Duration;
use time::macros::datetime;

/// A clock shared by clones, starting at 2026-02-06T15:30:00Z.
#[derive(Debug, Clone)]
pub struct TestClock(Arc<Mutex<Timestamp>>);

impl Default for TestClock {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(Timestamp::new(
            datetime!(2026-02-06 15:30:00 UTC),
        ))))
    }
}

impl TestClock {
    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().expect("clock lock");
        *now = *now + by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().expect("clock lock")
    }
}

/// Ids in the order they are asked for: `cust_` + 32 hex digits, unique in the test
/// process, so a failing test names the same customers when run again.
#[derive(Debug, Clone, Copy, Default)]
pub struct SequentialIds;

/// Keeps test ids clear of small hand-written ones such as `Uuid::from_u128(1)`.
const TEST_ID_BASE: u128 = 0x5eed << 112;

fn next_test_id() -> u128 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    TEST_ID_BASE | u128::from(NEXT.fetch_add(1, Ordering::Relaxed))
}

impl IdGenerator for SequentialIds {
    fn new_customer_ref(&self) -> CustomerRef {
        CustomerRef::from_trusted(format!("cust_{:032x}", next_test_id()))
    }

    fn new_account_id(&self) -> AccountId {
        AccountId(uuid::Uuid::from_u128(next_test_id()))
    }

    fn random_bytes(&self) -> [u8; 32] {
        let mut bytes = [0; 32];
        bytes[..16].copy_from_slice(&next_test_id().to_be_bytes());
        bytes
    }
}

/// The real billing policy (docs/BILLING.md's catalog, monthly periods) with billing on.
pub fn billing_on() -> SharedPolicy {
    Arc::new(stickycalls_billing::Catalog::new(true))
}

/// The real billing policy with billing switched off (every start free).
pub fn billing_off() -> SharedPolicy {
    Arc::new(stickycalls_billing::Catalog::new(false))
}

/// Keys with distinct lookup ids and a fake hash: no argon2, for store tests.
#[derive(Debug, Clone, Default)]
pub struct PlainMinter(Arc<AtomicU64>);

impl KeyMinter for PlainMinter {
    async fn mint(&self, environment: Environment, name: &str) -> Result<MintedKey, StoreError> {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        let lookup_id = format!("{:08x}{:08x}", uuid::Uuid::new_v4().as_u128() as u32, n);
        let token = format!("sk_{}_{lookup_id}_{}", environment.as_str(), "0".repeat(64));
        Ok(MintedKey {
            key: NewKey {
                lookup_id: lookup_id.clone(),
                environment,
                hash: format!("plain:{lookup_id}"),
                last4: "0000".into(),
                name: name.to_owned(),
            },
            token: Secret::new(token),
        })
    }
}

/// The operator's use cases (grants, plan changes, purge) over a store and ledger,
/// with fake ids and keys: what the command-line tool runs, for tests.
pub fn operator<S, L>(
    store: S, ledger: L, clock: TestClock,
) -> AccountService<S, L, TestClock, SequentialIds, PlainMinter>
where
    S: AccountStore,
    L: CreditLedger,
{
    AccountService::new(store, ledger, clock, SequentialIds, PlainMinter::default())
}
