//! The data, as plain maps: one [`Tenant`] per tenant, accounts and keys beside them.

use std::collections::{BTreeMap, HashMap};

use stickycalls_domain::Timestamp;
use stickycalls_domain::calls::CallRecord;
use stickycalls_domain::console::SessionTimes;
use stickycalls_domain::credits::{CreditAccount, CreditChange, LedgerEntry};
use stickycalls_domain::idempotency::StoredResponse;
use stickycalls_domain::identity::{Confirmed, IdentitySettings, LineType};
use stickycalls_domain::intents::OpenIntent;
use stickycalls_domain::retention::RetentionSettings;
use stickycalls_domain::tenant::{AccountId, Environment, TenantId};
use stickycalls_domain::variables::StoredVariable;

/// Everything held.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub accounts: BTreeMap<AccountId, Account>,
    pub keys: BTreeMap<String, Key>,
    pub tenants: HashMap<TenantId, Tenant>,
    /// Console sessions by digest: the key that signed in, sign-in, last request.
    pub sessions: HashMap<String, (String, SessionTimes)>,
    /// The audit trail of every account, in the order added (a line's position is its
    /// index plus one).
    pub audit: Vec<(AccountId, stickycalls_domain::audit::AuditEntry)>,
}

impl State {
    /// The tenant's data, created empty on first use.
    pub fn tenant(&mut self, id: &TenantId) -> &mut Tenant {
        self.tenants.entry(*id).or_default()
    }
}

#[derive(Debug)]
pub(crate) struct Account {
    pub name: String,
    pub email: Option<String>,
    pub created_at: Timestamp,
    pub closed_at: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub(crate) struct Key {
    pub account: AccountId,
    pub environment: Environment,
    pub hash: String,
    pub last4: String,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// A phone number's link to a customer.
#[derive(Debug, Clone)]
pub(crate) struct PhoneRow {
    pub line_type: Option<LineType>,
    pub linked_at: Timestamp,
    /// The agents' confirmations of this customer on this number.
    pub confirmed: Option<Confirmed>,
    /// The number sealed under the customer's key (the map's key holds its index).
    pub sealed: Option<String>,
}

/// A stored `Idempotency-Key`.
#[derive(Debug, Clone)]
pub(crate) struct Claim {
    pub fingerprint: String,
    pub created_at: Timestamp,
    pub response: Option<StoredResponse>,
}

/// One tenant's data. Keys mirror the SQL stores' primary keys.
#[derive(Debug, Default)]
pub(crate) struct Tenant {
    /// customer_ref -> created_at
    pub customers: BTreeMap<String, Timestamp>,
    /// (e164, customer_ref)
    pub phones: BTreeMap<(String, String), PhoneRow>,
    /// (namespace, value, customer_ref) -> linked_at
    pub external_ids: BTreeMap<(String, String, String), Timestamp>,
    /// (namespace, value, customer_ref) -> the id sealed under the customer's key
    pub external_id_copies: BTreeMap<(String, String, String), String>,
    /// (customer_ref, key)
    pub variables: BTreeMap<(String, String), StoredVariable>,
    /// (customer_ref, name)
    pub intents: BTreeMap<(String, String), OpenIntent>,
    /// call_id
    pub calls: BTreeMap<String, CallRecord>,
    pub credits: Option<CreditAccount>,
    pub ledger: Vec<LedgerEntry>,
    pub claims: BTreeMap<String, Claim>,
    /// Identity settings, once saved.
    pub identity_settings: Option<IdentitySettings>,
    /// Retention settings, once saved.
    pub retention: Option<RetentionSettings>,
    /// Webhook endpoints, the outbox and its deliveries.
    pub webhooks: crate::webhooks::Webhooks,
    /// Rolled up days: day -> the kept document.
    pub rolled: BTreeMap<time::Date, String>,
}

impl Tenant {
    /// Writes a decided credit change: the state and its ledger lines.
    pub fn save_credits(&mut self, change: CreditChange) -> CreditAccount {
        self.ledger.extend(change.entries);
        self.credits = Some(change.account.clone());
        change.account
    }

    /// Whether the customer exists.
    pub fn has_customer(&self, customer: &str) -> bool {
        self.customers.contains_key(customer)
    }
}
