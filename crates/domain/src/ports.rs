//! The ports: what the domain needs from the outside, as traits that adapters
//! implement. Every method returns a `Send` future so services run on any executor.
//!
//! The ports are split by capability (calls, customers, the credit ledger, accounts,
//! keys, idempotent responses, usage, identity settings, console sessions, purge, health; the billing
//! policy, key minter, clock and ids beside them), so an adapter can implement one without reading the
//! others. Reads (`find_call`, `gather_evidence`, `customer_context`) may run outside a
//! transaction; a start's read (`load_start`) may open the transaction its
//! `commit_start` ends. Each `commit_*` method is one use case's every write and must
//! be applied atomically (one database transaction): see the crate docs.

use std::collections::BTreeMap;
use std::future::Future;

use crate::accounts::{AccountInfo, KeyInfo, NewAccount, NewKey, Purged, Revocation, StoredKey};
use crate::calls::{CallId, CallRecord};
use crate::console::{NewSession, StoredSession};
use crate::credits::{
    Charge, CreditAccount, CreditChange, CreditState, CreditSummary, DailyUsage,
    InsufficientCredits, LedgerDay, SharedPolicy,
};
use crate::customers::{CustomerLookup, CustomerRecord};
use crate::error::{StoreError, ValidationError};
use crate::idempotency::claim::{ClaimCutoffs, KeyClaim, StoredResponse};
use crate::identity::{
    Confirmed, CustomerRef, Evidence, IdentityHints, IdentitySettings, JudgedCalls, LineType,
};
use crate::intents::{IntentWrite, OpenIntent};
use crate::keys::MintedKey;
use crate::secret::Secret;
use crate::tenant::{AccountId, Environment, TenantId};
use crate::timestamp::Timestamp;
use crate::variables::{StoredVariable, VariableWrite};
use crate::webhooks::{Attempt, DeliveryInfo, DueDelivery, Endpoint};

/// Gives services the time. Tests inject a fixed or stepping clock.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// Makes new customer references (`cust_` + something unguessable).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdGenerator: Send + Sync + 'static {
    /// A fresh reference, never handed out before.
    fn new_customer_ref(&self) -> CustomerRef;

    /// A fresh account id.
    fn new_account_id(&self) -> AccountId;

    /// 32 random bytes (a webhook endpoint's id and secret are drawn from them).
    fn random_bytes(&self) -> [u8; 32];
}

/// What a start reads in one go: the call if its `call_id` is taken, and the evidence
/// for its hints.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StartSnapshot {
    /// The call already recorded under this `call_id`, if any.
    pub call: Option<CallRecord>,
    /// Stored facts bearing on the hints.
    pub evidence: Evidence,
}

/// A customer's live context: open intents and variables.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerContext {
    /// Open intents (the domain re-filters expiry and sorts them).
    pub open_intents: Vec<OpenIntent>,
    /// Variables by key (the domain re-filters expiry).
    pub variables: BTreeMap<String, StoredVariable>,
}

/// Every write of a `calls/start`, applied in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct StartCommit {
    /// The call to insert. Its `call_id` must be free in the tenant, else
    /// [`CommitStartError::CallIdTaken`] and nothing is written.
    pub call: CallRecord,
    /// `call.customer` is new: create it if it does not exist yet.
    pub create_customer: bool,
    /// Link the call's hints (ANI with its line type, external ids) to `call.customer`
    /// now. Only for a caller that matched nobody; a matched caller's hints are linked
    /// when the call ends.
    pub link_hints: bool,
    /// Debit this much inside the transaction with a conditional update that cannot go
    /// negative; when it cannot be paid, [`CommitStartError::InsufficientCredits`] and
    /// nothing is written.
    pub charge: Option<Charge>,
    /// Read the customer's context inside the transaction and return it (false for a
    /// new customer, whose context is empty).
    pub read_context: bool,
    /// Return the tenant's credits left (billing is on), even when nothing is charged.
    pub report_balance: bool,
}

/// What a committed start returns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StartReceipt {
    /// The customer's context, when asked for.
    pub context: CustomerContext,
    /// Credits left after the commit, when `report_balance` or a charge asked for it.
    pub credits_remaining: Option<u64>,
}

/// Why a start's commit wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommitStartError {
    /// Another request recorded this `call_id` first.
    #[error("call_id already recorded")]
    CallIdTaken,
    /// The charge could not be paid.
    #[error(transparent)]
    InsufficientCredits(#[from] InsufficientCredits),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every write of a `calls/end`, applied in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct EndCommit {
    /// The call as it is once ended (`ended` is set, `customer` is the end's customer).
    /// A started call is updated only if it is not ended yet, else
    /// [`CommitEndError::AlreadyEnded`]; a standalone call is inserted, or
    /// [`CommitEndError::CallIdTaken`] if a start recorded it meanwhile.
    pub call: CallRecord,
    /// The call was never started: insert it whole.
    pub standalone: bool,
    /// A standalone end that identifies a new caller pays what a start would: debited
    /// inside the transaction like [`StartCommit::charge`]; when it cannot be paid,
    /// [`CommitEndError::InsufficientCredits`] and nothing is written.
    pub charge: Option<Charge>,
    /// Create `call.customer` if it does not exist (a ref chosen by the client).
    pub create_customer: bool,
    /// The empty customer the start created for this call, to fold into
    /// `call.customer`: its links move there and it is deleted, if and only if it still
    /// has no calls but this one, no variables and no intents. Otherwise it is left.
    pub fold_provisional: Option<CustomerRef>,
    /// Hints to link to `call.customer` (idempotent; a known line type is remembered).
    pub link: IdentityHints,
    /// The line type seen on this call, remembered for the ANI.
    pub line_type: Option<LineType>,
    /// The end names its customer: the ANI's link to `call.customer` records the
    /// confirmation (`last_at` and `attestation` replace what is stored; `first_at` is
    /// written only where none is stored).
    pub confirmation: Option<Confirmed>,
    /// The intent change, applied with [`IntentWrite::apply`]'s rule.
    pub intent: Option<IntentWrite>,
    /// Variable writes, in order. The store re-checks the live-variable limit with
    /// [`crate::variables::check_live_limit`] inside the transaction and refuses the
    /// whole commit when it would be broken.
    pub variables: Vec<VariableWrite>,
}

/// What a committed end returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EndReceipt {
    /// Intents created, counted or closed (a close of nothing open counts 0). The store
    /// keeps it with the call so a replay answers the same.
    pub intents_updated: u32,
}

/// Why an end's commit wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommitEndError {
    /// Another request ended the call first.
    #[error("call already ended")]
    AlreadyEnded,
    /// A start recorded this `call_id` while a standalone end was deciding.
    #[error("call_id already recorded")]
    CallIdTaken,
    /// The writes would break a limit only the store can see (100 live variables).
    #[error(transparent)]
    Refused(#[from] ValidationError),
    /// The charge could not be paid.
    #[error(transparent)]
    InsufficientCredits(#[from] InsufficientCredits),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Calls, customers, their links, intents and variables, per tenant.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock(type StartTx = ();))]
pub trait CallStore: Send + Sync + 'static {
    /// What a start holds between its read and its commit. On PostgreSQL: the
    /// connection, with the start's transaction open, so the read, the decision and the
    /// writes are one transaction. Dropped without a commit, it rolls back.
    type StartTx: Send + 'static;

    /// The call under `call_id`, if any, and the evidence for `hints`, in as few round
    /// trips as the store can manage (this is the hot path of every call); with what
    /// [`CallStore::commit_start`] continues from.
    fn load_start(
        &self, tenant: &TenantId, call_id: &CallId, hints: &IdentityHints,
    ) -> impl Future<Output = Result<(StartSnapshot, Self::StartTx), StoreError>> + Send;

    /// The call under `call_id`, if any.
    fn find_call(
        &self, tenant: &TenantId, call_id: &CallId,
    ) -> impl Future<Output = Result<Option<CallRecord>, StoreError>> + Send;

    /// The evidence for `hints` (customers on the ANI, external id matches, the named
    /// customer, their activity).
    fn gather_evidence(
        &self, tenant: &TenantId, hints: &IdentityHints,
    ) -> impl Future<Output = Result<Evidence, StoreError>> + Send;

    /// A customer's open intents and variables live at `now` (empty if unknown).
    fn customer_context(
        &self, tenant: &TenantId, customer: &CustomerRef, now: Timestamp,
    ) -> impl Future<Output = Result<CustomerContext, StoreError>> + Send;

    /// Applies a start's writes atomically, in the transaction `load_start` opened.
    fn commit_start(
        &self, tenant: &TenantId, tx: Self::StartTx, commit: StartCommit,
    ) -> impl Future<Output = Result<StartReceipt, CommitStartError>> + Send;

    /// Applies an end's writes atomically.
    fn commit_end(
        &self, tenant: &TenantId, commit: EndCommit,
    ) -> impl Future<Output = Result<EndReceipt, CommitEndError>> + Send;
}

/// Why a variable write wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum WriteVariablesError {
    /// No such customer in the tenant.
    #[error("customer not found")]
    CustomerNotFound,
    /// The writes would break the live-variable limit.
    #[error(transparent)]
    Refused(#[from] ValidationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Customers as their tenant manages them: search, read, export, direct variable writes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait CustomerStore: Send + Sync + 'static {
    /// Everything held on each of `customers` that the tenant has, in the order asked
    /// (unknown ones are left out), read as one consistent snapshot.
    fn customer_records(
        &self, tenant: &TenantId, customers: &[CustomerRef],
    ) -> impl Future<Output = Result<Vec<CustomerRecord>, StoreError>> + Send;

    /// The tenant's customers linked to a phone number or an external id, most
    /// recently linked first, at most `limit`.
    fn find_customers(
        &self, tenant: &TenantId, lookup: &CustomerLookup, limit: usize,
    ) -> impl Future<Output = Result<Vec<CustomerRef>, StoreError>> + Send;

    /// Applies variable writes to an existing customer atomically, re-checking the
    /// live-variable limit under the customer's lock (as an end does). Returned:
    /// how many rows changed (a delete of nothing changes 0).
    fn write_variables(
        &self, tenant: &TenantId, customer: &CustomerRef, writes: Vec<VariableWrite>, at: Timestamp,
    ) -> impl Future<Output = Result<usize, WriteVariablesError>> + Send;

    /// Erases a customer and everything held on them (links, calls, intents,
    /// variables, stored idempotent responses and webhook events about them)
    /// atomically, and writes the `customer.erased` event at `at` in the same
    /// transaction. `false` when there was no such customer.
    fn erase_customer(
        &self, tenant: &TenantId, customer: &CustomerRef, at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// How a credit update is decided: the stored state (`None` for a tenant without one)
/// in, the new state and its ledger lines out. Any such closure is one; stores name it
/// in their `update_credits`.
pub trait CreditDecision: FnOnce(Option<CreditAccount>) -> CreditChange + Send + 'static {}

impl<F> CreditDecision for F where F: FnOnce(Option<CreditAccount>) -> CreditChange + Send + 'static {}

/// The credit ledger: each tenant's stored credit state and its ledger lines. The rules
/// are the domain's ([`CreditAccount`], under the [`BillingPolicy`](crate::credits::BillingPolicy)); a store reads the
/// state and applies a [`CreditChange`] atomically. A start's debit travels in
/// [`StartCommit::charge`], so money and the call it pays for commit together.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait CreditLedger: Send + Sync + 'static {
    /// The billing policy the ledger's state is read under.
    fn policy(&self) -> SharedPolicy;

    /// The tenant's stored credit state, `None` for a tenant without one.
    fn credit_account(
        &self, tenant: &TenantId,
    ) -> impl Future<Output = Result<Option<CreditAccount>, StoreError>> + Send;

    /// Reads the tenant's credit state under its lock, hands it to `decide`, and writes
    /// the decided state and ledger lines in the same transaction. Returns the new state.
    fn update_credits<D>(
        &self, tenant: &TenantId, decide: D,
    ) -> impl Future<Output = Result<CreditAccount, StoreError>> + Send
    where
        D: FnOnce(Option<CreditAccount>) -> CreditChange + Send + 'static;

    /// The charge for one billable start, or `None` when billing is off (operator
    /// switch). Answered without a round trip.
    fn start_charge(
        &self, _tenant: &TenantId,
    ) -> impl Future<Output = Result<Option<Charge>, StoreError>> + Send {
        let charge = self.policy().start_charge();
        async move { Ok(charge) }
    }

    /// The tenant's credits at `now` (allowance for the current period, top-ups).
    fn balance(
        &self, tenant: &TenantId, now: Timestamp,
    ) -> impl Future<Output = Result<CreditState, StoreError>> + Send {
        async move {
            let policy = self.policy();
            if policy.start_charge().is_none() {
                return Ok(CreditState::Unlimited);
            }
            let stored = self.credit_account(tenant).await?;
            Ok(CreditState::of(stored.as_ref(), policy.as_ref(), now))
        }
    }

    /// Plan, period and balance at `now`; `None` for a tenant without credits.
    fn summary(
        &self, tenant: &TenantId, now: Timestamp,
    ) -> impl Future<Output = Result<Option<CreditSummary>, StoreError>> + Send {
        async move {
            let stored = self.credit_account(tenant).await?;
            let policy = self.policy();
            Ok(stored.map(|a| CreditSummary::of(&a, policy.as_ref(), now)))
        }
    }
}

/// Deleting what has expired (the operator's periodic purge).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Purge: Send + Sync + 'static {
    /// Deletes, in every tenant, what [`PurgeCutoffs`] says has expired.
    fn purge_expired(
        &self, cutoffs: PurgeCutoffs,
    ) -> impl Future<Output = Result<Purged, StoreError>> + Send;
}

/// What the periodic purge deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeCutoffs {
    /// Variables whose expiry is at or before this.
    pub variables_expired_at: Timestamp,
    /// Intents last seen at or before this.
    pub intents_seen_before: Timestamp,
    /// `Idempotency-Key` records (and the responses they keep) created before this.
    pub responses_created_before: Timestamp,
    /// Console sessions last seen at or before this (idle too long)...
    pub sessions_seen_before: Timestamp,
    /// ...or signed in at or before this (too old), or whose key is revoked.
    pub sessions_created_before: Timestamp,
}

/// Per-day activity, for the usage report.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait UsageStore: Send + Sync + 'static {
    /// Days from `from` to `to` (inclusive, UTC) that had any activity, oldest first.
    fn usage(
        &self, tenant: &TenantId, from: time::Date, to: time::Date,
    ) -> impl Future<Output = Result<Vec<DailyUsage>, StoreError>> + Send;

    /// The ledger's grants, purchases and debits per UTC day from `from` to `to`
    /// (inclusive), days with a line only, oldest first.
    fn ledger_days(
        &self, tenant: &TenantId, from: time::Date, to: time::Date,
    ) -> impl Future<Output = Result<Vec<LedgerDay>, StoreError>> + Send;
}

/// A tenant's identity settings, and what its ends said about its starts.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdentityStore: Send + Sync + 'static {
    /// The tenant's settings, if it ever saved any.
    fn identity_settings(
        &self, tenant: &TenantId,
    ) -> impl Future<Output = Result<Option<IdentitySettings>, StoreError>> + Send;

    /// Replaces the tenant's settings.
    fn save_identity_settings(
        &self, tenant: &TenantId, settings: &IdentitySettings, at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The tenant's calls started at or after `since` (standalone ends excluded),
    /// counted by start confidence, start sources and end verdict.
    fn judged_calls(
        &self, tenant: &TenantId, since: Timestamp,
    ) -> impl Future<Output = Result<Vec<JudgedCalls>, StoreError>> + Send;
}

/// Accounts.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait AccountStore: Send + Sync + 'static {
    /// Creates an account, its keys and its starting credits atomically.
    fn create_account(
        &self, account: NewAccount,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Whether any account exists (a fresh store has none).
    fn has_accounts(&self) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Every account, oldest first (ties by id): the operator's listing.
    fn list_accounts(&self) -> impl Future<Output = Result<Vec<AccountInfo>, StoreError>> + Send;
}

/// What adding a key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAdded {
    /// The key is live.
    Added,
    /// The environment already had the most live keys allowed: nothing was written.
    LimitReached,
}

/// API keys: found by their public lookup id, added, listed, revoked.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait KeyStore: Send + Sync + 'static {
    /// The key with this public lookup id, if any.
    fn find_key(
        &self, lookup_id: &str,
    ) -> impl Future<Output = Result<Option<StoredKey>, StoreError>> + Send;

    /// Adds a key to the tenant (its environment is `tenant.environment`) unless the
    /// environment already has `max_live` live keys. The count and the insert are
    /// atomic: concurrent additions never leave more than `max_live`.
    fn add_key(
        &self, tenant: &TenantId, key: NewKey, at: Timestamp, max_live: usize,
    ) -> impl Future<Output = Result<KeyAdded, StoreError>> + Send;

    /// The tenant's live keys, oldest first.
    fn list_keys(
        &self, tenant: &TenantId,
    ) -> impl Future<Output = Result<Vec<KeyInfo>, StoreError>> + Send;

    /// Revokes one of the tenant's live keys, unless it is the last one. Concurrent
    /// revocations of a tenant's keys are serialised, so two of them cannot leave it
    /// with none.
    fn revoke_key(
        &self, tenant: &TenantId, lookup_id: &str, at: Timestamp,
    ) -> impl Future<Output = Result<Revocation, StoreError>> + Send;

    /// Records that a key authenticated a request at `at`.
    fn touch_key(
        &self, lookup_id: &str, at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The web console's sessions, each tied to the key that signed in: the tenant is the
/// key's and a revoked key's sessions open nothing.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait ConsoleSessionStore: Send + Sync + 'static {
    /// Stores a new session; fails if its key does not exist.
    fn create_session(
        &self, session: NewSession,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The session with this digest, with its key's tenant and whether the key is live.
    fn find_session(
        &self, digest: &str,
    ) -> impl Future<Output = Result<Option<StoredSession>, StoreError>> + Send;

    /// Records a request at `at`.
    fn touch_session(
        &self, digest: &str, at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Ends the session (sign-out); ending an unknown one does nothing.
    fn end_session(&self, digest: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Makes new API keys: a random token and the hash kept of it. Hashing is slow on
/// purpose (argon2id), so an adapter runs it off the async workers.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait KeyMinter: Send + Sync + 'static {
    /// A new key for `environment`, labelled `name`.
    fn mint(
        &self, environment: Environment, name: &str,
    ) -> impl Future<Output = Result<MintedKey, StoreError>> + Send;
}

/// Stored responses of requests sent with an `Idempotency-Key` (shared by every
/// server process, so a retry may land on any of them).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Claims `key` for a request whose fingerprint is `fingerprint` (route and body),
    /// or returns the record that holds it (the domain judges it:
    /// [`KeyClaim::judge`]). A key created before `cutoffs.expired_before` is
    /// forgotten, and one still without a response created before
    /// `cutoffs.abandoned_before` is given up (its request crashed): either is claimed
    /// afresh, atomically.
    fn claim(
        &self, tenant: &TenantId, key: &str, fingerprint: &str, now: Timestamp,
        cutoffs: ClaimCutoffs,
    ) -> impl Future<Output = Result<KeyClaim, StoreError>> + Send;

    /// Stores the response of a claimed key, atomically with the existence of its
    /// customer ([`StoredResponse::customer`]): about someone erased meanwhile, the
    /// claim is dropped instead.
    fn complete(
        &self, tenant: &TenantId, key: &str, response: StoredResponse,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Releases a claimed key without a response (the request failed on our side), so a
    /// retry can run.
    fn release(
        &self, tenant: &TenantId, key: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// A connection pool's use, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolUse {
    /// Connections open.
    pub open: usize,
    /// Connections lent out to a request right now.
    pub in_use: usize,
}

/// Whether the store answers (health checks), and how busy its pool is (metrics).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Health: Send + Sync + 'static {
    /// `Ok` when the store is reachable.
    fn ping(&self) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The pool's use now.
    fn pool_use(&self) -> PoolUse;
}

/// Webhook endpoints, and the outbox's deliveries. Events themselves are written by the
/// stores inside the commits of the changes they report ([`crate::webhooks::Event`]).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait WebhookStore: Send + Sync + 'static {
    /// Registers an endpoint with its signing secret.
    fn add_endpoint(
        &self, endpoint: Endpoint, secret: Secret,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The tenant's endpoints, oldest first.
    fn endpoints(
        &self, tenant: &TenantId,
    ) -> impl Future<Output = Result<Vec<Endpoint>, StoreError>> + Send;

    /// Deletes an endpoint and its deliveries; `false` when the tenant has no such one.
    fn remove_endpoint(
        &self, tenant: &TenantId, id: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Replaces the endpoint's secret; the one it replaces still signs until
    /// `previous_until`. `false` when the tenant has no such endpoint.
    fn rotate_secret(
        &self, tenant: &TenantId, id: &str, secret: Secret, previous_until: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The endpoint's latest deliveries, newest first, at most `limit`.
    fn deliveries(
        &self, tenant: &TenantId, id: &str, limit: usize,
    ) -> impl Future<Output = Result<Vec<DeliveryInfo>, StoreError>> + Send;

    /// Claims up to `limit` deliveries due at `now` (pending, next attempt at or before
    /// `now`, endpoint enabled), oldest first, in every tenant: each is leased until
    /// `lease_until` so that no other worker, in this process or another, claims it
    /// meanwhile (`FOR UPDATE SKIP LOCKED` where the database has it).
    fn claim_due(
        &self, now: Timestamp, lease_until: Timestamp, limit: usize,
    ) -> impl Future<Output = Result<Vec<DueDelivery>, StoreError>> + Send;

    /// Records an attempt and its outcome; a [`crate::webhooks::Outcome::Gone`] disables
    /// the endpoint and cancels its pending deliveries.
    fn record_attempt(
        &self, attempt: Attempt,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Name resolution for webhook URLs (checked before an endpoint is registered).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait HostResolver: Send + Sync + 'static {
    /// The addresses `host` resolves to (empty when it does not).
    fn resolve(&self, host: &str, port: u16) -> impl Future<Output = Vec<std::net::IpAddr>> + Send;
}
