//! The storage port contract: behaviour every `CallStore` + `CreditLedger` adapter must
//! show, driven through the real `CallService`. Each check is a plain async function
//! generic over a [`StorageFactory`]; [`crate::storage_contract!`] turns them into
//! `#[tokio::test]`s for one adapter.

use std::any::Any;
use std::sync::Arc;

use anyhow::{Context, ensure};
use serde_json::{Value, json};
use stickycalls_domain::calls::{CallId, CallService, EndCallError, StartCallError, StartOutcome};
use stickycalls_domain::credits::{CreditAccount, CreditState};
use stickycalls_domain::identity::{CustomerRef, Recommendation};
use stickycalls_domain::ports::{
    AccountStore, CallStore, Clock, ConsoleSessionStore, CreditLedger, CustomerStore, ExportStore,
    IdempotencyStore, IdentityStore, KeyStore, Purge, RetentionStore, SharedVault, UnsealedStore,
    UsageStore, WebhookStore,
};
use stickycalls_domain::retention::Erasure;
use stickycalls_domain::tenant::{AccountId, Environment, Tenant, TenantId};
use stickycalls_vault::SoftwareVault;
use time::Duration;

use crate::fakes::{SequentialIds, TestClock};

mod audit;
mod calibration;
mod clear_links;
mod export;
mod identity;
mod keyring;
mod manage;
mod rekey;
mod retention;
mod rollups;
mod sealing;
mod webhooks;
pub use audit::*;
pub use calibration::*;
pub use clear_links::*;
pub use export::*;
pub use identity::*;
pub use keyring::*;
pub use manage::*;
pub use rekey::*;
pub use retention::*;
pub use rollups::*;
pub use sealing::*;
pub use webhooks::*;

#[allow(missing_debug_implementations)]
/// A fresh, empty store and ledger per test, and whatever keeps them alive.
pub struct Storage<S, L> {
    /// The storage port.
    pub store: S,
    /// The ledger port.
    pub ledger: L,
    /// Dropped at the end of the test (e.g. the test database).
    pub guard: Box<dyn Any + Send + Sync>,
}

/// Builds a fresh storage for each contract test.
pub trait StorageFactory: Send + Sync {
    /// The store under test.
    type Store: CallStore
        + CustomerStore
        + AccountStore
        + KeyStore
        + IdempotencyStore
        + UsageStore
        + IdentityStore
        + ConsoleSessionStore
        + WebhookStore
        + Purge
        + RetentionStore
        + stickycalls_domain::ports::RollupStore
        + stickycalls_domain::ports::AuditStore
        + ExportStore
        + UnsealedStore
        + Clone;
    /// Its ledger.
    type Ledger: CreditLedger + Clone;
    /// A fresh storage.
    fn create(
        &self,
    ) -> impl Future<Output = anyhow::Result<Storage<Self::Store, Self::Ledger>>> + Send;
}

type Service<F> = CallService<
    <F as StorageFactory>::Store,
    <F as StorageFactory>::Ledger,
    TestClock,
    SequentialIds,
>;

#[allow(missing_debug_implementations)]
/// A contract test's world: the service over the adapter, a clock, tenants.
pub struct World<F: StorageFactory> {
    /// The service under test.
    pub service: Arc<Service<F>>,
    /// Its clock.
    pub clock: TestClock,
    /// The store, for direct port calls.
    pub store: F::Store,
    /// The ledger.
    pub ledger: F::Ledger,
    /// The data keys (in memory: the keyring's own stores are tested apart).
    pub vault: SharedVault,
    _guard: Box<dyn Any + Send + Sync>,
}

/// A tenant with the default policy (`n` picks the account).
pub fn tenant(n: u128, environment: Environment) -> Tenant {
    Tenant::with_defaults(TenantId {
        account: AccountId(uuid::Uuid::from_u128(n)),
        environment,
    })
}

fn test_tenant() -> Tenant {
    tenant(1, Environment::Test)
}

impl<F: StorageFactory> World<F> {
    async fn new(factory: &F) -> anyhow::Result<Self> {
        let storage = factory.create().await?;
        let clock = TestClock::default();
        let vault: SharedVault = SoftwareVault::ephemeral();
        let service = CallService::new(
            storage.store.clone(),
            storage.ledger.clone(),
            clock.clone(),
            SequentialIds,
            vault.clone(),
        );
        Ok(Self {
            service: Arc::new(service),
            clock,
            vault,
            store: storage.store,
            ledger: storage.ledger,
            _guard: storage.guard,
        })
    }

    async fn start(&self, tenant: &Tenant, body: Value) -> Result<StartOutcome, StartCallError> {
        self.service
            .start(tenant, serde_json::from_value(body).expect("start body"))
            .await
    }

    async fn end(
        &self, tenant: &Tenant, body: Value,
    ) -> Result<stickycalls_domain::calls::EndOutcome, EndCallError> {
        self.service
            .end(tenant, serde_json::from_value(body).expect("end body"))
            .await
    }

    /// A call started with `start` and ended by the agent naming `customer`.
    async fn confirmed_call(
        &self, tenant: &Tenant, start: Value, customer: &str,
    ) -> anyhow::Result<()> {
        let call_id = start["call_id"].clone();
        self.start(tenant, start).await?;
        self.end(
            tenant,
            json!({"call_id": call_id, "customer_ref": customer}),
        )
        .await?;
        Ok(())
    }

    /// Adds purchased credits, by the domain's rule, through the ledger port.
    async fn grant(&self, tenant: &TenantId, credits: u64) -> anyhow::Result<()> {
        let (policy, now) = (self.ledger.policy(), self.clock.now());
        self.ledger
            .update_credits(tenant, move |stored| {
                CreditAccount::grant(stored, credits, policy.as_ref(), now)
            })
            .await?;
        Ok(())
    }

    /// One customer's record, through the batch read.
    async fn record(
        &self, tenant: &TenantId, who: &CustomerRef,
    ) -> anyhow::Result<Option<stickycalls_domain::customers::CustomerRecord>> {
        let found = self
            .store
            .customer_records(tenant, std::slice::from_ref(who))
            .await?;
        ensure!(found.len() <= 1, "one asked, {} returned", found.len());
        Ok(self.opened(tenant, found).await?.pop())
    }

    /// Records as a use case shows them: their sealed variables opened.
    async fn opened(
        &self, tenant: &TenantId, records: Vec<stickycalls_domain::customers::CustomerRecord>,
    ) -> anyhow::Result<Vec<stickycalls_domain::customers::CustomerRecord>> {
        let sealer = stickycalls_domain::protection::Sealer::new(self.vault.clone());
        Ok(sealer.open_records(tenant, records).await?)
    }

    /// The customers a search finds, as a use case runs it: by blind index.
    async fn find(
        &self, tenant: &TenantId, lookup: &stickycalls_domain::customers::CustomerLookup,
    ) -> anyhow::Result<Vec<CustomerRef>> {
        let sealer = stickycalls_domain::protection::Sealer::new(self.vault.clone());
        let indexed = sealer.index_lookup(tenant, lookup).await?;
        Ok(self.store.find_customers(tenant, &indexed, 10).await?)
    }

    /// A customer's context at the clock's now, its sealed variables opened.
    async fn context(
        &self, tenant: &TenantId, who: &CustomerRef,
    ) -> anyhow::Result<stickycalls_domain::customers::CustomerContext> {
        let mut context = self
            .store
            .customer_context(tenant, who, self.clock.now())
            .await?;
        let sealer = stickycalls_domain::protection::Sealer::new(self.vault.clone());
        context.variables = sealer
            .open(tenant, who, std::mem::take(&mut context.variables))
            .await?;
        Ok(context)
    }

    async fn credits_left(&self, tenant: &Tenant) -> anyhow::Result<u64> {
        match self.ledger.balance(&tenant.id, self.clock.now()).await? {
            CreditState::Metered(b) => Ok(b.total()),
            CreditState::Unlimited => anyhow::bail!("the contract expects billing on"),
        }
    }

    async fn call_exists(&self, tenant: &Tenant, call_id: &str) -> anyhow::Result<bool> {
        Ok(self
            .store
            .find_call(&tenant.id, &CallId::from_trusted(call_id))
            .await?
            .is_some())
    }
}

/// Starts `n` new callers at once (call ids `{prefix}{i}`, numbers `{numbers}{i:04}`):
/// how many succeeded and how many were refused for credits.
async fn concurrent_starts<F: StorageFactory>(
    w: &World<F>, t: &Tenant, prefix: &str, numbers: &str, n: u64,
) -> anyhow::Result<(u64, u64)>
where
    F::Store: 'static,
    F::Ledger: 'static,
{
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let service = w.service.clone();
            let t = t.clone();
            let body = ani_start(&format!("{prefix}{i}"), &format!("{numbers}{i:04}"));
            tokio::spawn(async move {
                service
                    .start(&t, serde_json::from_value(body).expect("body"))
                    .await
            })
        })
        .collect();
    let (mut ok, mut refused) = (0, 0);
    for task in tasks {
        match task.await? {
            Ok(_) => ok += 1,
            Err(StartCallError::InsufficientCredits(_)) => refused += 1,
            Err(e) => return Err(e).context("unexpected start error"),
        }
    }
    Ok((ok, refused))
}

fn ani_start(call_id: &str, ani: &str) -> Value {
    json!({"call_id": call_id, "identity_hints": {"ani": ani}})
}

/// The seeds' "Test Match Logic" flow: a new caller (0.0, billed), an end saving a
/// variable, a repeat call matched (>= 0.5, free) with the variable back.
pub async fn new_caller_then_returning_caller<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 5).await?;
    let first = w.start(&t, ani_start("test_001", "+14155559999")).await?;
    ensure!(
        first.confidence.hundredths() == 0 && first.billable && !first.replayed,
        "{first:?}"
    );
    ensure!(first.customer_ref.as_str().starts_with("cust_"));
    ensure!(w.credits_left(&t).await? == 4);
    w.clock.advance(Duration::minutes(10));
    let end = w
        .end(&t, json!({"call_id": "test_001", "customer_ref": first.customer_ref.as_str(),
            "intent": "test_intent", "intent_status": "resolved", "variables": {"test_note": "Test context"}}))
        .await?;
    ensure!(
        end.duration_seconds == 600 && end.variables_updated == 1,
        "{end:?}"
    );
    w.clock.advance(Duration::hours(1));
    let second = w.start(&t, ani_start("test_002", "14155559999")).await?;
    ensure!(second.customer_ref == first.customer_ref, "{second:?}");
    ensure!(
        second.confidence.hundredths() >= 50 && !second.billable,
        "{second:?}"
    );
    ensure!(
        second.sources == ["ani:unknown", "recency:1day"],
        "{:?}",
        second.sources
    );
    ensure!(second.variables.get("test_note").map(|v| v.value.as_str()) == Some("Test context"));
    ensure!(w.credits_left(&t).await? == 4, "a match is free");
    Ok(())
}

/// 50 concurrent billable starts with 10 credits: exactly 10 succeed, 40 are refused,
/// the balance ends at 0 and exactly 10 calls are recorded.
pub async fn fifty_concurrent_billable_starts_with_ten_credits<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()>
where
    F::Store: 'static,
    F::Ledger: 'static,
{
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 10).await?;
    let (ok, refused) = concurrent_starts(&w, &t, "c", "+1415555", 50).await?;
    ensure!(
        (ok, refused) == (10, 40),
        "{ok} succeeded, {refused} refused"
    );
    ensure!(w.credits_left(&t).await? == 0);
    let mut recorded = 0;
    for i in 0..50 {
        recorded += usize::from(w.call_exists(&t, &format!("c{i}")).await?);
    }
    ensure!(recorded == 10, "{recorded} calls recorded");
    Ok(())
}

/// A hot tenant: many more concurrent billable starts than credits, on a balance large
/// enough that a store may spread it (PostgreSQL's credit stripes). Every credit is
/// spent exactly once (the ledger and the usage report agree), a start is refused only
/// when nothing is left, and a grant afterwards is spent exactly too. (That the
/// allowance goes first across stripes is the domain's property test.)
pub async fn a_hot_tenant_spends_every_credit_once<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()>
where
    F::Store: 'static,
    F::Ledger: 'static,
{
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 300).await?;
    let total = w.credits_left(&t).await?;
    let allowance = w
        .ledger
        .summary(&t.id, w.clock.now())
        .await?
        .context("an account")?
        .allowance_left;
    let starts = total + 100;
    // New callers only (numbers never seen), so every start is billed.
    let (ok, refused) = concurrent_starts(&w, &t, "h", "+1646555", starts).await?;
    ensure!(
        (ok, refused) == (total, 100),
        "{ok} succeeded, {refused} refused of {starts} with {total} credits"
    );
    ensure!(w.credits_left(&t).await? == 0);
    let day = w.clock.now().get().date();
    let ledger = w.store.ledger_days(&t.id, day, day).await?;
    let debited: u64 = ledger.iter().map(|d| d.debited).sum();
    ensure!(debited == total, "the ledger debited {debited} of {total}");
    let days = w.store.usage(&t.id, day, day).await?;
    let used: u64 = days.iter().map(|d| d.credits_used).sum();
    ensure!(used == total, "{used} credits used");
    let after = w
        .ledger
        .summary(&t.id, w.clock.now())
        .await?
        .context("an account")?;
    ensure!(
        (after.allowance_left, after.top_up) == (0, 0),
        "allowance {allowance} and purchases all spent: {after:?}"
    );
    // A grant after the drain is spent exactly too.
    w.grant(&t.id, 40).await?;
    let (ok, refused) = concurrent_starts(&w, &t, "g", "+1647555", 60).await?;
    ensure!(
        (ok, refused) == (40, 20),
        "{ok} succeeded, {refused} refused after a grant"
    );
    ensure!(w.credits_left(&t).await? == 0);
    Ok(())
}

/// A start refused for credits leaves nothing behind: no call, no customer, no link.
pub async fn refused_start_stores_nothing<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    let refused = w.start(&t, ani_start("broke", "+14155550001")).await;
    ensure!(
        matches!(refused, Err(StartCallError::InsufficientCredits(_))),
        "{refused:?}"
    );
    ensure!(!w.call_exists(&t, "broke").await?);
    w.grant(&t.id, 1).await?;
    let later = w.start(&t, ani_start("paid", "+14155550001")).await?;
    ensure!(
        later.confidence.hundredths() == 0,
        "the refused caller was never linked: {later:?}"
    );
    Ok(())
}

/// A match succeeds with zero credits.
pub async fn match_succeeds_at_zero_credits<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 1).await?;
    let first = w.start(&t, ani_start("m1", "+14155550002")).await?;
    w.end(&t, json!({"call_id": "m1"})).await?;
    ensure!(w.credits_left(&t).await? == 0);
    let again = w.start(&t, json!({"call_id": "m2", "identity_hints": {"ani": "+14155550002"}, "telco": {"line_type": "mobile"}})).await?;
    ensure!(
        again.customer_ref == first.customer_ref && !again.billable,
        "{again:?}"
    );
    Ok(())
}

/// The same start sent twice at once: one call, one charge, the same answer.
pub async fn same_call_id_started_concurrently<F: StorageFactory>(factory: &F) -> anyhow::Result<()>
where
    F::Store: 'static,
    F::Ledger: 'static,
{
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 5).await?;
    let spawn = |body: Value| {
        let service = w.service.clone();
        let t = t.clone();
        tokio::spawn(async move {
            service
                .start(&t, serde_json::from_value(body).expect("body"))
                .await
        })
    };
    let a = spawn(ani_start("dup", "+14155550003"));
    let b = spawn(ani_start("dup", "+14155550003"));
    let (a, b) = (a.await??, b.await??);
    ensure!(a.customer_ref == b.customer_ref, "{a:?} vs {b:?}");
    ensure!(a.replayed != b.replayed, "exactly one is the replay");
    ensure!(w.credits_left(&t).await? == 4, "charged once");

    let c = spawn(ani_start("dup2", "+14155550004"));
    let d = spawn(ani_start("dup2", "+14155550005"));
    let results = [c.await?, d.await?];
    let reused = results
        .iter()
        .filter(|r| matches!(r, Err(StartCallError::CallIdReused)))
        .count();
    ensure!(
        reused == 1 && results.iter().filter(|r| r.is_ok()).count() == 1,
        "{results:?}"
    );
    ensure!(w.credits_left(&t).await? == 3);
    Ok(())
}

/// 20 concurrent ends on one customer, each saving its own key: all 20 are kept.
pub async fn twenty_concurrent_ends_on_one_customer<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()>
where
    F::Store: 'static,
    F::Ledger: 'static,
{
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 5).await?;
    for i in 0..20 {
        let body =
            json!({"call_id": format!("e{i}"), "identity_hints": {"customer_ref": "cust_shared"}});
        w.start(&t, body).await?;
    }
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let service = w.service.clone();
            let t = t.clone();
            tokio::spawn(async move {
                let body = json!({"call_id": format!("e{i}"), "intent": "busy", "intent_status": "open",
                    "variables": {format!("k{i}"): format!("v{i}")}});
                service.end(&t, serde_json::from_value(body).expect("body")).await
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let customer = CustomerRef::from_trusted("cust_shared");
    let context = w.context(&t.id, &customer).await?;
    ensure!(
        context.variables.len() == 20,
        "{} variables",
        context.variables.len()
    );
    ensure!(
        context.open_intents.len() == 1 && context.open_intents[0].attempt_count == 20,
        "{:?}",
        context.open_intents
    );
    ensure!(
        w.credits_left(&t).await? == 4,
        "only the first start created a customer"
    );
    Ok(())
}

/// Variables expire with their TTL by the injected clock.
pub async fn variables_expire_by_the_clock<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 5).await?;
    let first = w.start(&t, ani_start("v1", "+14155550006")).await?;
    w.end(
        &t,
        json!({"call_id": "v1", "variables": {
        "short": {"value": "gone soon", "ttl_seconds": 60, "source": "ivr"},
        "long": "kept",
        "n": 42, "flag": false}}),
    )
    .await?;
    w.clock.advance(Duration::seconds(61));
    let again = w.start(&t, ani_start("v2", "+14155550006")).await?;
    ensure!(again.customer_ref == first.customer_ref);
    let keys: Vec<&str> = again.variables.keys().map(String::as_str).collect();
    ensure!(keys == ["flag", "long", "n"], "{keys:?}");
    ensure!(again.variables["n"].value == "42" && again.variables["flag"].value == "false");
    w.end(&t, json!({"call_id": "v2", "variables": {"long": null}}))
        .await?;
    let context = w.context(&t.id, &first.customer_ref).await?;
    ensure!(!context.variables.contains_key("long"), "null deletes");
    Ok(())
}

/// Intents: open creates (1), open/abandoned count attempts, resolved closes.
pub async fn intent_attempts_are_counted<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 5).await?;
    let first = w.start(&t, ani_start("i1", "+14155550007")).await?;
    let end = w
        .end(
            &t,
            json!({"call_id": "i1", "intent": "refund_request", "intent_is_open": true}),
        )
        .await?;
    ensure!(end.intents_updated == 1);
    for (n, status) in [(2, "open"), (3, "abandoned")] {
        w.clock.advance(Duration::hours(1));
        let call_id = format!("i{n}");
        let start = w.start(&t, ani_start(&call_id, "+14155550007")).await?;
        ensure!(
            start.open_intents.len() == 1 && start.open_intents[0].attempt_count == n - 1,
            "{:?}",
            start.open_intents
        );
        ensure!(
            start.sources.contains(&"intent:open".to_owned()),
            "{:?}",
            start.sources
        );
        w.end(
            &t,
            json!({"call_id": call_id, "intent": "refund_request", "intent_status": status}),
        )
        .await?;
    }
    let context = w.context(&t.id, &first.customer_ref).await?;
    ensure!(context.open_intents[0].attempt_count == 3);
    w.start(&t, ani_start("i4", "+14155550007")).await?;
    let closed = w
        .end(
            &t,
            json!({"call_id": "i4", "intent": "refund_request", "intent_status": "resolved"}),
        )
        .await?;
    ensure!(closed.intents_updated == 1);
    let context = w.context(&t.id, &first.customer_ref).await?;
    ensure!(context.open_intents.is_empty());
    Ok(())
}

/// Erasing a customer removes everything: the next call from the number is new.
pub async fn erase_removes_everything<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 5).await?;
    let first = w.start(&t, json!({"call_id": "g1", "identity_hints": {"ani": "+14155550008", "external_ids": {"crm": "G-1"}}})).await?;
    w.end(&t, json!({"call_id": "g1", "intent": "x", "intent_status": "open", "variables": {"secret": "s"}})).await?;
    ensure!(
        w.store
            .erase_customer(
                &t.id,
                &first.customer_ref,
                Erasure::Requested { at: w.clock.now() }
            )
            .await?
    );
    ensure!(
        !w.store
            .erase_customer(
                &t.id,
                &first.customer_ref,
                Erasure::Requested { at: w.clock.now() }
            )
            .await?,
        "gone already"
    );
    ensure!(!w.call_exists(&t, "g1").await?, "call records are erased");
    let again = w.start(&t, json!({"call_id": "g2", "identity_hints": {"ani": "+14155550008", "external_ids": {"crm": "G-1"}}})).await?;
    ensure!(
        again.confidence.hundredths() == 0 && again.customer_ref != first.customer_ref,
        "{again:?}"
    );
    Ok(())
}

/// Two tenants (and two environments of one account) with the same number and call
/// ids see nothing of each other.
pub async fn tenants_are_isolated<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let a = test_tenant();
    let b = tenant(2, Environment::Test);
    let a_prod = tenant(1, Environment::Prod);
    for t in [&a, &b, &a_prod] {
        w.grant(&t.id, 5).await?;
    }
    let first = w.start(&a, ani_start("same", "+14155550009")).await?;
    w.end(&a, json!({"call_id": "same", "customer_ref": first.customer_ref.as_str(), "variables": {"who": "a"}})).await?;
    for other in [&b, &a_prod] {
        let theirs = w.start(other, ani_start("same", "+14155550009")).await?;
        ensure!(
            theirs.confidence.hundredths() == 0 && theirs.variables.is_empty() && !theirs.replayed,
            "{theirs:?}"
        );
        ensure!(theirs.customer_ref != first.customer_ref);
        let named = w.start(other, json!({"call_id": "other", "identity_hints": {"customer_ref": first.customer_ref.as_str()}})).await?;
        ensure!(
            named.variables.is_empty() && named.confidence.hundredths() == 0,
            "a ref of another tenant is unknown here"
        );
    }
    ensure!(
        w.credits_left(&a).await? == 4
            && w.credits_left(&b).await? == 3
            && w.credits_left(&a_prod).await? == 3
    );
    let mine = w.context(&a.id, &first.customer_ref).await?;
    ensure!(mine.variables["who"].value == "a");
    Ok(())
}

/// The best-practices flow: an end naming another ref folds the provisional customer
/// into it; the next call matches the named customer.
pub async fn provisional_customer_is_folded<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 5).await?;
    let first = w.start(&t, ani_start("test_001", "+14155551234")).await?;
    ensure!(first.billable);
    w.end(
        &t,
        json!({"call_id": "test_001", "customer_ref": "cust_test", "variables": {"name": "Test"},
        "intent": "test", "intent_is_open": false}),
    )
    .await?;
    let second = w.start(&t, ani_start("test_002", "+14155551234")).await?;
    ensure!(
        second.customer_ref.as_str() == "cust_test" && !second.billable,
        "{second:?}"
    );
    ensure!(
        second.sources == ["ani:unknown", "recency:1day"],
        "no shared number left behind: {:?}",
        second.sources
    );
    ensure!(
        w.context(&t.id, &first.customer_ref)
            .await?
            .variables
            .is_empty()
    );
    ensure!(
        !w.store
            .erase_customer(
                &t.id,
                &first.customer_ref,
                Erasure::Requested { at: w.clock.now() }
            )
            .await?,
        "the provisional customer is gone"
    );
    Ok(())
}

/// A customer with history is never merged: the number becomes shared.
pub async fn household_numbers_are_shared<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 5).await?;
    let body = |id: &str| json!({"call_id": id, "identity_hints": {"ani": "+14155550010"}, "telco": {"line_type": "landline"}});
    let alice = w.start(&t, body("h1")).await?;
    w.end(&t, json!({"call_id": "h1", "variables": {"name": "Alice"}}))
        .await?;
    w.clock.advance(Duration::days(2));
    let matched = w.start(&t, body("h2")).await?;
    ensure!(matched.customer_ref == alice.customer_ref);
    w.end(
        &t,
        json!({"call_id": "h2", "customer_ref": "cust_bob", "variables": {"name": "Bob"}}),
    )
    .await?;
    let alice_ctx = w.context(&t.id, &alice.customer_ref).await?;
    ensure!(
        alice_ctx.variables["name"].value == "Alice",
        "Alice was not merged into Bob"
    );
    w.clock.advance(Duration::hours(1));
    let next = w
        .start(
            &t,
            json!({"call_id": "h3", "identity_hints": {"ani": "+14155550010"}}),
        )
        .await?;
    // Bob (most recent) is the candidate, but a landline shared by two weighs 0.4/2:
    // 0.2 + recency:1day = 0.25. Both are plausible: both are offered, Bob first,
    // and the agent is asked to confirm (billed, as every start that is not `reuse`).
    ensure!(
        next.sources == ["ani:shared", "recency:1day"],
        "{:?}",
        next.sources
    );
    ensure!(next.confidence.hundredths() == 25, "{next:?}");
    ensure!(next.recommendation() == Recommendation::Confirm && next.billable);
    let offered: Vec<&str> = next
        .explanation
        .candidates
        .iter()
        .map(|o| o.customer.as_str())
        .collect();
    ensure!(
        offered == ["cust_bob", alice.customer_ref.as_str()],
        "{offered:?}"
    );
    ensure!(next.customer_ref.as_str() == "cust_bob");
    // Each is offered with the question to ask: their latest open intent, if any.
    ensure!(next.explanation.candidates.iter().all(|o| o.hint.is_none()));
    Ok(())
}

/// A line type seen once is remembered for calls without telco data.
pub async fn line_type_is_remembered<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 5).await?;
    w.start(&t, json!({"call_id": "l1", "identity_hints": {"ani": "+14155550011", "external_ids": {"crm_id": "CUST-1"}}, "telco": {"line_type": "mobile"}})).await?;
    w.end(&t, json!({"call_id": "l1"})).await?;
    let again = w.start(&t, json!({"call_id": "l2", "identity_hints": {"ani": "+14155550011", "external_ids": {"crm_id": "CUST-1"}}})).await?;
    ensure!(
        again.sources == ["ani:mobile", "external_id", "recency:1day"],
        "{:?}",
        again.sources
    );
    ensure!(again.confidence.hundredths() == 95);
    Ok(())
}

/// The 100-variable limit holds, and a refused end changes nothing.
pub async fn variable_limit_refuses_whole<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 5).await?;
    let first = w.start(&t, ani_start("lim1", "+14155550012")).await?;
    let hundred: serde_json::Map<String, Value> =
        (0..100).map(|i| (format!("k{i:03}"), json!("v"))).collect();
    w.end(&t, json!({"call_id": "lim1", "variables": hundred}))
        .await?;
    w.start(&t, ani_start("lim2", "+14155550012")).await?;
    let refused = w
        .end(
            &t,
            json!({"call_id": "lim2", "intent": "x", "intent_status": "open",
        "variables": {"k000": "changed", "k100": "one too many"}}),
        )
        .await;
    match refused {
        Err(EndCallError::Invalid(e)) => {
            ensure!(e.issues[0].path == ["variables", "k100"], "{e:?}")
        }
        other => anyhow::bail!("expected a refusal, got {other:?}"),
    }
    let context = w.context(&t.id, &first.customer_ref).await?;
    ensure!(
        context.variables.len() == 100 && context.variables["k000"].value == "v",
        "nothing changed"
    );
    ensure!(
        context.open_intents.is_empty(),
        "the intent was not written either"
    );
    let record = w
        .store
        .find_call(&t.id, &CallId::from_trusted("lim2"))
        .await?
        .context("call")?;
    ensure!(
        record.ended.is_none(),
        "the call is not ended by a refused end"
    );
    Ok(())
}

/// Ending twice: the same end replays, another is refused; a standalone end records
/// the call whole.
pub async fn ends_replay_and_standalone<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 5).await?;
    w.start(&t, ani_start("r1", "+14155550013")).await?;
    let body =
        json!({"call_id": "r1", "intent": "a", "intent_status": "open", "variables": {"x": "1"}});
    let first = w.end(&t, body.clone()).await?;
    w.clock.advance(Duration::seconds(5));
    let again = w.end(&t, body).await?;
    ensure!(
        again.replayed
            && again.call_end == first.call_end
            && again.intents_updated == first.intents_updated
    );
    let other = w
        .end(&t, json!({"call_id": "r1", "variables": {"x": "2"}}))
        .await;
    ensure!(
        matches!(other, Err(EndCallError::CallAlreadyEnded)),
        "{other:?}"
    );
    let missing = w.end(&t, json!({"call_id": "nobody"})).await;
    ensure!(
        matches!(missing, Err(EndCallError::CallNotFound)),
        "{missing:?}"
    );
    let standalone = w.end(&t, json!({"call_id": "batch", "identity_hints": {"ani": "+14155550013"}, "variables": {"y": "2"}})).await?;
    ensure!(standalone.duration_seconds == 0);
    ensure!(w.call_exists(&t, "batch").await?);
    let restart = w.start(&t, ani_start("batch", "+14155550013")).await;
    ensure!(
        matches!(restart, Err(StartCallError::CallIdReused)),
        "{restart:?}"
    );
    Ok(())
}

/// A standalone end that would create a customer is billed like a start: at zero
/// credits it is refused and stores nothing; paid, it costs one credit, and the same
/// caller's next start is then a free match. An end naming a known customer is free.
pub async fn a_standalone_end_of_a_new_caller_is_billed<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    let end = json!({"call_id": "s1", "identity_hints": {"ani": "+14155550031"},
        "variables": {"note": "n"}});
    let refused = w.end(&t, end.clone()).await;
    ensure!(
        matches!(refused, Err(EndCallError::InsufficientCredits(_))),
        "{refused:?}"
    );
    ensure!(
        !w.call_exists(&t, "s1").await?,
        "a refused end stored its call"
    );
    w.grant(&t.id, 1).await?;
    let paid = w.end(&t, end).await?;
    ensure!(
        w.credits_left(&t).await? == 0,
        "the new caller's end cost one credit"
    );
    let next = w.start(&t, ani_start("s2", "+14155550031")).await?;
    ensure!(
        next.customer_ref == paid.customer_ref,
        "the next start matches: {next:?}"
    );
    let known = json!({"call_id": "s3", "customer_ref": paid.customer_ref.as_str()});
    w.end(&t, known)
        .await
        .context("an end naming a known customer is free")?;
    ensure!(w.credits_left(&t).await? == 0);
    Ok(())
}

/// Every store returns what it was given, byte for byte: accents, CJK, right-to-left,
/// combining marks, emoji sequences, tabs and line breaks in values. A NUL anywhere is
/// refused before the store (PostgreSQL cannot hold it) and nothing is written.
pub async fn text_round_trips_byte_for_byte<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 5).await?;
    let crm = "Zoë-北京-שלום-e\u{301}-🙂👨‍👩‍👧";
    let note = "line one\nline two\ttabbed\r\n«quoted» \u{200b}zero-width";
    let intent = "réclamation_🙂";
    let hints = json!({"external_ids": {"crm": crm}});
    let first = w
        .start(&t, json!({"call_id": "u1", "identity_hints": hints}))
        .await?;
    w.end(
        &t,
        json!({"call_id": "u1", "intent": intent, "intent_status": "open",
        "variables": {"note": note, "名前": "値"}}),
    )
    .await?;
    let back = w
        .start(&t, json!({"call_id": "u2", "identity_hints": hints}))
        .await?;
    ensure!(back.customer_ref == first.customer_ref, "{back:?}");
    ensure!(back.variables.get("note").map(|v| v.value.as_str()) == Some(note));
    ensure!(back.variables.get("名前").map(|v| v.value.as_str()) == Some("値"));
    ensure!(
        back.open_intents
            .iter()
            .map(|i| i.name.as_str())
            .eq([intent]),
        "{:?}",
        back.open_intents
    );
    let record = w
        .record(&t.id, &first.customer_ref)
        .await?
        .context("stored")?;
    ensure!(
        record.external_ids.iter().any(|l| l.value == crm),
        "{:?}",
        record.external_ids
    );
    let nul = w
        .end(
            &t,
            json!({"call_id": "u3", "customer_ref": first.customer_ref.as_str(),
            "variables": {"note": "a\u{0}b"}}),
        )
        .await;
    ensure!(matches!(nul, Err(EndCallError::Invalid(_))), "{nul:?}");
    ensure!(
        !w.call_exists(&t, "u3").await?,
        "a refused end stored its call"
    );
    Ok(())
}

/// An intent untouched for 90 days (its row not purged yet) starts over: the next
/// attempt counts 1 from the new call, not 3 from the first.
pub async fn a_stale_intent_starts_over<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 5).await?;
    let mut last = None;
    for n in 1..=2 {
        let call_id = format!("s{n}");
        last = Some(w.start(&t, ani_start(&call_id, "+14155550077")).await?);
        w.end(
            &t,
            json!({"call_id": call_id, "intent": "refund_request", "intent_status": "open"}),
        )
        .await?;
        w.clock.advance(Duration::hours(1));
    }
    let customer = last.expect("a start").customer_ref;
    w.clock.advance(Duration::days(91));
    let restart_at = w.clock.now();
    w.start(&t, ani_start("s3", "+14155550077")).await?;
    let end = w
        .end(
            &t,
            json!({"call_id": "s3", "intent": "refund_request", "intent_status": "abandoned"}),
        )
        .await?;
    ensure!(end.intents_updated == 1);
    let context = w.context(&t.id, &customer).await?;
    let intent = context.open_intents.first().context("the intent is open")?;
    ensure!(
        intent.attempt_count == 1 && intent.first_seen == restart_at,
        "{intent:?}"
    );
    Ok(())
}

/// The usage report, per UTC day: calls started, matches (confidence 0.5 or more),
/// billable starts, starts at 0.7 or more, credits from the ledger's debits, mean
/// confidence, intents opened and resolved; and the ledger's grants, purchases and
/// debits per day. Days outside the window are left out.
pub async fn usage_is_counted_per_day<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 10).await?;
    let allowance = w
        .ledger
        .summary(&t.id, w.clock.now())
        .await?
        .context("an account")?
        .allowance;
    let day1 = w.clock.now().get().date();
    let first_start = w.start(&t, ani_start("u1", "+14155550301")).await?;
    w.end(
        &t,
        json!({"call_id": "u1", "intent": "refund", "intent_status": "open"}),
    )
    .await?;
    w.clock.advance(Duration::hours(1));
    let matched = w.start(&t, ani_start("u2", "+14155550301")).await?;
    ensure!(!matched.billable, "{matched:?}");
    w.end(
        &t,
        json!({"call_id": "u2", "intent": "refund", "intent_status": "resolved"}),
    )
    .await?;
    // A start naming the customer: confident (0.7 or more) and free.
    let named = w
        .start(
            &t,
            json!({"call_id": "u2b", "identity_hints": {"customer_ref": matched.customer_ref.as_str()}}),
        )
        .await?;
    ensure!(
        !named.billable && named.confidence.as_f64() >= 0.7,
        "{named:?}"
    );
    w.clock.advance(Duration::days(1));
    let day2 = w.clock.now().get().date();
    w.start(&t, ani_start("u3", "+14155550302")).await?;
    w.clock.advance(Duration::days(1));
    w.start(&t, ani_start("u4", "+14155550303")).await?;

    let days = w.store.usage(&t.id, day1, day2).await?;
    ensure!(days.len() == 2, "{days:?}");
    let (first, second) = (&days[0], &days[1]);
    ensure!(first.day == day1 && second.day == day2, "{days:?}");
    ensure!(
        (
            first.calls_started,
            first.matches,
            first.billable,
            first.credits_used
        ) == (3, 2, 1, 1),
        "{first:?}"
    );
    ensure!(
        (first.intents_opened, first.intents_resolved) == (1, 1),
        "{first:?}"
    );
    let mean = [&first_start, &matched, &named]
        .iter()
        .map(|s| s.confidence.as_f64())
        .sum::<f64>()
        / 3.0;
    ensure!(
        (first.average_confidence - mean).abs() < 0.006,
        "{} vs {mean}",
        first.average_confidence
    );
    ensure!(
        (
            second.calls_started,
            second.matches,
            second.billable,
            second.credits_used
        ) == (1, 0, 1, 1),
        "{second:?}"
    );
    // The seeds' match: confidence 0.7 or more.
    let confident = [&first_start, &matched, &named]
        .iter()
        .filter(|s| s.confidence.as_f64() >= 0.7)
        .count() as u64;
    ensure!(first.confident == confident, "{first:?}");

    // The ledger by day: the opening's allowance and the purchase, then one debit per
    // billable start (the match is free); the third day is outside the window.
    let ledger = w.store.ledger_days(&t.id, day1, day2).await?;
    let sums: Vec<_> = ledger
        .iter()
        .map(|d| (d.day, d.granted, d.topped_up, d.debited, d.debits))
        .collect();
    ensure!(
        sums == [(day1, allowance, 10, 1, 1), (day2, 0, 0, 1, 1)],
        "{ledger:?}"
    );
    Ok(())
}

/// Instantiates every contract check as a `#[tokio::test]` for one adapter:
/// `storage_contract!(MyFactory::new());`
#[macro_export]
macro_rules! storage_contract {
    ($factory:expr) => {
        $crate::storage_contract!(@each $factory;
            new_caller_then_returning_caller,
            fifty_concurrent_billable_starts_with_ten_credits,
            a_hot_tenant_spends_every_credit_once,
            refused_start_stores_nothing,
            match_succeeds_at_zero_credits,
            same_call_id_started_concurrently,
            twenty_concurrent_ends_on_one_customer,
            variables_expire_by_the_clock,
            intent_attempts_are_counted,
            a_stale_intent_starts_over,
            usage_is_counted_per_day,
            erase_removes_everything,
            tenants_are_isolated,
            provisional_customer_is_folded,
            household_numbers_are_shared,
            candidates_and_their_hints_are_kept,
            a_failed_attestation_is_kept,
            a_numbers_confirmations_are_kept,
            unattested_calls_and_held_ids_are_kept,
            identity_settings_are_kept_per_tenant,
            ends_judge_their_starts,
            line_type_is_remembered,
            variable_limit_refuses_whole,
            ends_replay_and_standalone,
            a_standalone_end_of_a_new_caller_is_billed,
            text_round_trips_byte_for_byte,
            keys_rotate_and_never_run_out,
            accounts_are_listed_oldest_first,
            console_sessions_follow_their_key,
            fifty_concurrent_key_creations_leave_twenty,
            customers_are_found_exported_and_erased,
            variables_written_directly,
            idempotency_claims_have_a_lease_and_are_purged,
            webhook_endpoints_are_kept_per_tenant,
            an_end_writes_its_events_for_subscribed_endpoints,
            claims_are_leased_and_never_shared,
            an_erasure_erases_its_events_and_reports_itself,
            credit_alerts_are_reported_once,
            retention_deletes_exactly_what_is_past_its_period,
            a_whole_tenant_is_exported_page_by_page,
            a_closed_account_keeps_only_its_ledger,
            variables_are_stored_sealed_and_tampering_is_caught,
            values_stored_in_clear_are_sealed_by_the_migration,
            numbers_and_ids_are_found_by_blind_index,
            links_stored_in_clear_are_found_and_moved,
            a_tenants_data_keys_rotate_while_reads_go_on,
            a_links_copy_is_resealed_only_where_it_is_unchanged,
            a_late_write_under_the_old_key_is_resealed_before_it_is_destroyed,
            rolled_days_read_as_they_were_counted,
            audit_lines_read_back_newest_first_per_account
        );
    };
    (@each $factory:expr; $($name:ident),* $(,)?) => {
        mod storage_contract {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $crate::contract::$name(&$factory).await.expect(stringify!($name));
                }
            )*
        }
    };
}
