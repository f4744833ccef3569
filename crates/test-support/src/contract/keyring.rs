//! The keyring contract: every [`KeyringStore`] keeps one key per scope (the first
//! writer's), destroys a customer's or a whole tenant's keys and nothing else, and ties
//! itself to the first master key it sees; a master-key rotation re-wraps every key
//! under the new master key by compare-and-set, and can be run again. Reads at once
//! each get their own scope's key.

use std::time::Duration;

use anyhow::ensure;
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::ports::{KeyringStore, Vault};
use stickycalls_domain::protection::{MasterKey, Scope};
use stickycalls_domain::tenant::{AccountId, Environment, TenantId};
use stickycalls_vault::{SoftwareVault, VaultError};

fn customer(account: u128, name: &str) -> Scope {
    Scope::Customer(tenant(account), CustomerRef::from_trusted(name))
}

fn tenant(account: u128) -> TenantId {
    TenantId {
        account: AccountId(uuid::Uuid::from_u128(account)),
        environment: Environment::Prod,
    }
}

/// Runs the contract on an empty `keyring`.
pub async fn keyring_contract<K: KeyringStore + Clone>(keyring: K) -> anyhow::Result<()> {
    let master = MasterKey::from_bytes([1; 32]);
    let vault = SoftwareVault::open(master.clone(), keyring.clone()).await?;
    let (one, two, elsewhere) = (
        customer(1, "cus_1"),
        customer(1, "cus_2"),
        customer(2, "cus_1"),
    );
    ensure!(
        vault.key(&one, false).await?.is_none(),
        "no key before one is needed"
    );
    let made = vault.key(&one, true).await?;
    for scope in [&two, &elsewhere, &Scope::Tenant(tenant(1))] {
        vault.key(scope, true).await?;
    }
    ensure!(
        matches!(
            SoftwareVault::open(MasterKey::from_bytes([2; 32]), keyring.clone()).await,
            Err(VaultError::WrongMasterKey { .. })
        ),
        "another master key is refused"
    );
    // Another node (its own cache) gets the key made first, never a second one.
    let node = || SoftwareVault::open(master.clone(), keyring.clone());
    ensure!(
        node().await?.key(&one, true).await? == made,
        "the first key made is kept"
    );

    // Nodes making the same new key at the same moment all get the one stored.
    let racing = customer(3, "cus_race");
    let writes = (0..16u8).map(|i| {
        let (keyring, racing) = (keyring.clone(), racing.name());
        async move { keyring.insert(&racing, &format!("wrapped-{i}")).await }
    });
    let kept = futures_util::future::try_join_all(writes).await?;
    ensure!(
        kept.iter().all(|k| *k == kept[0]) && kept[0].starts_with("wrapped-"),
        "racing inserts disagree: {kept:?}"
    );

    vault.destroy(&one).await?;
    ensure!(
        node().await?.key(&one, false).await?.is_none(),
        "a destroyed key is gone"
    );
    ensure!(
        node().await?.key(&two, false).await?.is_some(),
        "another customer keeps theirs"
    );
    vault.destroy(&Scope::Tenant(tenant(1))).await?;
    let after = node().await?;
    ensure!(
        after.key(&two, false).await?.is_none(),
        "a tenant's customers lose theirs"
    );
    ensure!(
        after.key(&Scope::Tenant(tenant(1)), false).await?.is_none(),
        "the tenant loses its own"
    );
    ensure!(
        after.key(&elsewhere, false).await?.is_some(),
        "another tenant keeps its keys"
    );
    concurrent_reads(&keyring).await?;
    rotation(keyring, &master).await
}

/// Many reads at once, of keys that exist, keys that do not and one key asked twice
/// (a store may send them together, as the PostgreSQL keyring does): each reader gets
/// its own scope's key and no other.
async fn concurrent_reads<K: KeyringStore + Clone>(keyring: &K) -> anyhow::Result<()> {
    let scopes: Vec<String> = (0..48)
        .map(|i| customer(5, &format!("cus_read_{i}")).name())
        .collect();
    for (i, scope) in scopes
        .iter()
        .enumerate()
        .filter(|(i, _)| !i.is_multiple_of(3))
    {
        keyring.insert(scope, &format!("wrapped-{i}")).await?;
    }
    let asked = scopes.iter().chain(&scopes[..6]);
    let reads = asked.map(|scope| async move { keyring.wrapped(scope).await });
    let read = futures_util::future::try_join_all(reads).await?;
    for (i, got) in read.iter().enumerate() {
        let i = i % scopes.len();
        let stored = (!i.is_multiple_of(3)).then(|| format!("wrapped-{i}"));
        ensure!(
            *got == stored,
            "read {i} of concurrent reads got {got:?}, not {stored:?}"
        );
    }
    // Not real wrapped keys: gone before the rotation examines the keyring.
    keyring
        .delete(&Scope::Tenant(tenant(5)).name(), true)
        .await?;
    Ok(())
}

/// A master-key rotation on a keyring made under `old`, which holds one unreadable key
/// (the racing test's) and the key of `customer(2, "cus_1")`.
async fn rotation<K: KeyringStore + Clone>(keyring: K, old: &MasterKey) -> anyhow::Result<()> {
    let new = MasterKey::from_bytes([9; 32]);
    let scopes: Vec<Scope> = (0..5).map(|i| customer(4, &format!("cus_{i}"))).collect();
    let before = SoftwareVault::open(old.clone(), keyring.clone()).await?;
    let mut keys = vec![before.key(&customer(2, "cus_1"), false).await?];
    for scope in &scopes[..4] {
        keys.push(before.key(scope, true).await?);
    }
    // A node given both keys before the rotation wraps under the one the keyring names.
    let both = SoftwareVault::new(new.clone(), keyring.clone()).with_previous(Some(old.clone()));
    both.verify().await?;
    keys.push(both.key(&scopes[4], true).await?);
    let wrapped = keyring
        .wrapped(&scopes[4].name())
        .await?
        .unwrap_or_default();
    ensure!(
        old.unwrap(&scopes[4].name(), 1, &wrapped).is_ok(),
        "a key made before the move is wrapped under the keyring's master key"
    );
    ensure!(
        !keyring.replace(&scopes[4].name(), "not it", "x").await?,
        "a replacement of a key that changed is refused"
    );

    let done = both.rotate(Duration::ZERO, 2).await?;
    ensure!(
        (
            done.rewrapped,
            done.already,
            done.unreadable,
            done.changed_meanwhile
        ) == (6, 0, 1, 0),
        "rotation: {done:?}"
    );
    let after = SoftwareVault::open(new.clone(), keyring.clone()).await?;
    let mut now = vec![after.key(&customer(2, "cus_1"), false).await?];
    for scope in &scopes {
        now.push(after.key(scope, false).await?);
    }
    ensure!(
        now == keys,
        "every data key is the same under the new master key"
    );
    ensure!(
        matches!(
            SoftwareVault::open(old.clone(), keyring.clone()).await,
            Err(VaultError::WrongMasterKey { .. })
        ),
        "the old master key alone is refused after the rotation"
    );
    let again = both.rotate(Duration::ZERO, 500).await?;
    ensure!(
        (again.rewrapped, again.already) == (0, 6),
        "a second run re-wraps nothing: {again:?}"
    );
    Ok(())
}
