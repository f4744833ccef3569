//! The data set's numbers and CRM ids as the server stores them: blind indexes under the
//! bench tenant's key, which is taken from the same keyring and master key the server
//! uses (`STICKYCALLS_MASTER_KEY`, as `make bench` exports it). Customer `i`'s indexes
//! are written to a `bench_tokens` table that the data set's SQL and the pgbench
//! references join on, so every lookup compares indexes as the server's does.

use anyhow::Context;
use stickycalls_domain::identity::PhoneNumber;
use stickycalls_domain::ports::{KeyringStore, Vault};
use stickycalls_domain::protection::{DataKey, MasterKey, Scope, index_external_id, index_number};
use stickycalls_domain::tenant::{AccountId, Environment, TenantId};
use stickycalls_vault::SoftwareVault;

/// Customer `i`'s indexes: own number, shared household line, CRM id.
pub struct Tokens {
    pub i: i32,
    pub phone: String,
    pub shared: String,
    pub crm: String,
}

/// The bench tenant's index key, from `keyring` (made on first use, as the server would).
pub async fn tenant_key<K: KeyringStore>(
    keyring: K, account: uuid::Uuid,
) -> anyhow::Result<DataKey> {
    let master = std::env::var("STICKYCALLS_MASTER_KEY")
        .context("the bench needs STICKYCALLS_MASTER_KEY (make bench sets a throwaway one)")?;
    let vault = SoftwareVault::open(MasterKey::parse(&master)?, keyring).await?;
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
            phone: format!("+1212{i:07}"),
            shared: format!("+1213{i:07}"),
            crm: format!("C{i}"),
        })
        .collect()
}

/// The indexes of customers `1..=customers` (the numbers of `sql/dataset.sql`).
pub fn tokens(key: &DataKey, customers: u64) -> Vec<Tokens> {
    (1..=customers)
        .map(|i| Tokens {
            i: i32::try_from(i).expect("customer counts fit an i32"),
            phone: index_number(key, &PhoneNumber::from_e164(format!("+1212{i:07}")))
                .as_e164()
                .to_owned(),
            shared: index_number(key, &PhoneNumber::from_e164(format!("+1213{i:07}")))
                .as_e164()
                .to_owned(),
            crm: index_external_id(key, "crm", &format!("C{i}")),
        })
        .collect()
}
