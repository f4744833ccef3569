//! The data set's numbers and CRM ids as the server stores them: blind indexes under the
//! bench tenant's key, which is taken from the same keyring and master key the server
//! uses (`STICKYCALLS_MASTER_KEY`, as `make bench` exports it). Customer `i`'s indexes
//! are written to a `bench_tokens` table that the data set's SQL and the pgbench
//! references join on, so every lookup compares indexes as the server's does.

use anyhow::Context;
use stickycalls_domain::identity::{CustomerRef, PhoneNumber};
use stickycalls_domain::ports::{KeyringStore, Vault};
use stickycalls_domain::protection::{
    DataKey, Field, MasterKey, Scope, index_external_id, index_number, seal,
};
use stickycalls_domain::tenant::{AccountId, Environment, TenantId};
use stickycalls_vault::SoftwareVault;

use crate::traffic::{customer_number, household_number};

/// Customer `i`'s indexes: own number, shared household line, CRM id; and their
/// variables' values and sources as stored (sealed under the customer's key, or in
/// clear).
pub struct Tokens {
    pub i: i32,
    pub phone: String,
    pub shared: String,
    pub crm: String,
    pub plan: String,
    pub plan_source: String,
    pub order: String,
    pub order_source: String,
}

/// A customer's data key as the keyring stores it.
pub struct WrappedKey {
    pub scope: String,
    pub wrapped: String,
}

/// Customer `i`'s variables in clear: `plan_tier` and (for even `i`) `last_order`.
fn values(i: u64) -> [String; 2] {
    let plan = ["gold", "silver", "bronze"][usize::try_from(i % 3).unwrap_or(0)];
    [plan.to_owned(), format!("ORD-{i}")]
}

/// 24 or 32 bytes from `fastrand`: a bench data set's keys and nonces need to differ,
/// not to be secret.
fn random<const N: usize>() -> [u8; N] {
    std::array::from_fn(|_| fastrand::u8(..))
}

/// The bench tenant's index key, from `keyring` (made on first use, as the server would).
pub async fn tenant_key<K: KeyringStore>(
    keyring: K, account: uuid::Uuid,
) -> anyhow::Result<DataKey> {
    let vault = SoftwareVault::open(master_key()?, keyring).await?;
    let tenant = TenantId {
        account: AccountId(account),
        environment: Environment::Test,
    };
    vault
        .key(&Scope::Tenant(tenant), true)
        .await?
        .context("the vault made no key")
}

/// The values themselves, as a store with encryption off (or a version before it)
/// holds them.
pub fn plain(customers: u64) -> Vec<Tokens> {
    (1..=customers)
        .map(|i| Tokens {
            i: i32::try_from(i).expect("customer counts fit an i32"),
            phone: customer_number(i),
            shared: household_number(i),
            crm: format!("C{i}"),
            plan: values(i)[0].clone(),
            plan_source: "bench".to_owned(),
            order: values(i)[1].clone(),
            order_source: "bench".to_owned(),
        })
        .collect()
}

/// The bench master key (`STICKYCALLS_MASTER_KEY`, as `make bench` exports it).
pub fn master_key() -> anyhow::Result<MasterKey> {
    let master = std::env::var("STICKYCALLS_MASTER_KEY")
        .context("the bench needs STICKYCALLS_MASTER_KEY (make bench sets a throwaway one)")?;
    Ok(MasterKey::parse(&master)?)
}

/// Seals customer `i`'s variables under a key of its own, as the server does, and
/// returns the keys wrapped under `master` for the keyring: computed here in bulk
/// rather than by `stickycalls seal`, which makes each customer's key with a keyring
/// commit of its own (about 1 ms each).
pub fn seal_values(
    master: &MasterKey, account: uuid::Uuid, tokens: &mut [Tokens],
) -> Vec<WrappedKey> {
    let tenant = TenantId {
        account: AccountId(account),
        environment: Environment::Test,
    };
    tokens
        .iter_mut()
        .map(|t| {
            let i = u64::try_from(t.i).unwrap_or(0);
            let customer = CustomerRef::from_trusted(format!("cust_b{i}"));
            let scope = Scope::Customer(tenant, customer);
            let key = DataKey::from_bytes(random());
            let [plan, order] = values(i);
            let sealed = |field, text: &str| seal(&key, &scope, field, text, random());
            t.plan = sealed(Field::VariableValue, &plan);
            t.plan_source = sealed(Field::VariableSource, "bench");
            t.order = sealed(Field::VariableValue, &order);
            t.order_source = sealed(Field::VariableSource, "bench");
            WrappedKey {
                scope: scope.name(),
                wrapped: master.wrap(&scope.name(), &key, random()),
            }
        })
        .collect()
}

/// The indexes of customers `1..=customers` (the numbers of `sql/dataset.sql`).
pub fn tokens(key: &DataKey, customers: u64) -> Vec<Tokens> {
    (1..=customers)
        .map(|i| Tokens {
            i: i32::try_from(i).expect("customer counts fit an i32"),
            phone: index_number(key, &PhoneNumber::from_e164(customer_number(i)))
                .as_e164()
                .to_owned(),
            shared: index_number(key, &PhoneNumber::from_e164(household_number(i)))
                .as_e164()
                .to_owned(),
            crm: index_external_id(key, "crm", &format!("C{i}")),
            plan: values(i)[0].clone(),
            plan_source: "bench".to_owned(),
            order: values(i)[1].clone(),
            order_source: "bench".to_owned(),
        })
        .collect()
}
