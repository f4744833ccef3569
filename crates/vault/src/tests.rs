use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::ports::{KeyringStore, Vault};
use stickycalls_domain::protection::{Generation, MasterKey, Scope};
use stickycalls_domain::tenant::{AccountId, Environment, TenantId};

use super::*;

fn tenant(n: u128) -> TenantId {
    TenantId {
        account: AccountId(uuid_from(n)),
        environment: Environment::Prod,
    }
}

fn uuid_from(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(n)
}

fn customer(n: u128, name: &str) -> Scope {
    Scope::Customer(tenant(n), CustomerRef::parse(name, "customer_ref").unwrap())
}

async fn vault(
    keyring: &MemoryKeyring, master: u8,
) -> Result<SoftwareVault<MemoryKeyring>, VaultError> {
    SoftwareVault::open(MasterKey::from_bytes([master; 32]), keyring.clone()).await
}

#[tokio::test]
async fn a_key_is_made_once_and_every_node_gets_the_same() {
    let keyring = MemoryKeyring::default();
    let (a, b) = (
        vault(&keyring, 1).await.unwrap(),
        vault(&keyring, 1).await.unwrap(),
    );
    let scope = customer(1, "cus_1");
    assert_eq!(a.key(&scope, false).await.unwrap(), None);
    let made = a.key(&scope, true).await.unwrap().unwrap();
    assert_eq!(b.key(&scope, false).await.unwrap(), Some(made.clone()));
    assert_eq!(b.key(&scope, true).await.unwrap(), Some(made));
    assert_eq!(keyring.len(), 1);
    assert_ne!(a.nonce(), a.nonce());
}

#[tokio::test]
async fn a_keyring_refuses_another_master_key() {
    let keyring = MemoryKeyring::default();
    vault(&keyring, 1).await.unwrap();
    let Err(VaultError::WrongMasterKey { given, stored }) = vault(&keyring, 2).await else {
        panic!("a second master key was accepted");
    };
    assert_ne!(given, stored);
    assert!(vault(&keyring, 1).await.is_ok());
}

#[tokio::test]
async fn destroying_a_customer_or_a_tenant_leaves_every_other_key() {
    let keyring = MemoryKeyring::default();
    let v = vault(&keyring, 1).await.unwrap();
    let (one, two, other) = (
        customer(1, "cus_1"),
        customer(1, "cus_2"),
        customer(2, "cus_1"),
    );
    for scope in [
        &one,
        &two,
        &other,
        &Scope::Tenant(tenant(1)),
        &Scope::Tenant(tenant(2)),
    ] {
        v.key(scope, true).await.unwrap();
    }
    v.destroy(&one).await.unwrap();
    assert_eq!(
        v.key(&one, false).await.unwrap(),
        None,
        "the cache forgot it too"
    );
    assert!(v.key(&two, false).await.unwrap().is_some());
    v.destroy(&Scope::Tenant(tenant(1))).await.unwrap();
    assert_eq!(v.key(&two, false).await.unwrap(), None);
    assert_eq!(v.key(&Scope::Tenant(tenant(1)), false).await.unwrap(), None);
    assert!(v.key(&other, false).await.unwrap().is_some());
    assert!(
        v.key(&Scope::Tenant(tenant(2)), false)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(keyring.len(), 2);
    v.destroy(&one).await.unwrap();
}

#[tokio::test]
async fn a_wrapped_key_altered_in_the_keyring_is_an_error_not_a_new_key() {
    let keyring = MemoryKeyring::default();
    let scope = customer(1, "cus_1");
    let name = scope.name();
    keyring
        .master_id(&MasterKey::from_bytes([1; 32]).id())
        .await
        .unwrap();
    keyring.insert(&name, "wk1.not-a-key").await.unwrap();
    let v = vault(&keyring, 1).await.unwrap();
    assert!(v.key(&scope, true).await.is_err());
}

#[tokio::test]
async fn a_rotation_needs_the_previous_key_and_refuses_a_keyring_made_under_a_third() {
    let keyring = MemoryKeyring::default();
    vault(&keyring, 1).await.unwrap();
    let alone = vault(&keyring, 1).await.unwrap();
    assert!(matches!(
        alone.rotate(Duration::ZERO, 10).await,
        Err(VaultError::NoPreviousKey)
    ));
    // The keyring names key 1; a rotation from 2 to 3 knows neither.
    let strangers = SoftwareVault::new(MasterKey::from_bytes([3; 32]), keyring.clone())
        .with_previous(Some(MasterKey::from_bytes([2; 32])));
    assert!(matches!(
        strangers.rotate(Duration::ZERO, 10).await,
        Err(VaultError::WrongMasterKey { .. })
    ));
    assert!(
        vault(&keyring, 1).await.is_ok(),
        "the keyring was not moved"
    );
    // The same key given twice is one key: nothing to rotate from.
    let same = SoftwareVault::new(MasterKey::from_bytes([1; 32]), keyring.clone())
        .with_previous(Some(MasterKey::from_bytes([1; 32])));
    assert!(matches!(
        same.rotate(Duration::ZERO, 10).await,
        Err(VaultError::NoPreviousKey)
    ));
}

#[tokio::test]
async fn encryption_turns_off_only_before_a_data_key_was_made() {
    let keyring = MemoryKeyring::default();
    let off = EncryptionOff::over(vault(&keyring, 1).await.unwrap())
        .await
        .unwrap();
    assert!(!off.encrypts(), "the use cases store in clear");
    assert!(vault(&keyring, 1).await.unwrap().encrypts());
    // Encryption on made a key: off is refused from then on.
    let on = vault(&keyring, 1).await.unwrap();
    on.key(&customer(1, "cus_1"), true).await.unwrap();
    let refused = EncryptionOff::over(vault(&keyring, 1).await.unwrap()).await;
    assert!(matches!(refused, Err(VaultError::EncryptionWasOn)));
}

#[tokio::test]
async fn a_tenants_generation_moves_on_every_node_and_retires_only_its_older_keys() {
    let keyring = MemoryKeyring::default();
    let (a, b) = (
        vault(&keyring, 1).await.unwrap(),
        vault(&keyring, 1).await.unwrap(),
    );
    let (one, two, other) = (
        customer(1, "cus_1"),
        customer(1, "cus_2"),
        customer(2, "cus_1"),
    );
    let first = a.key(&one, true).await.unwrap().unwrap();
    a.key(&two, true).await.unwrap();
    a.key(&other, true).await.unwrap();
    let index = a
        .key(&Scope::Tenant(tenant(1)), true)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.generation(), 1);

    let moved = a.advance(&tenant(1)).await.unwrap();
    assert_eq!(
        moved,
        Generation {
            current: 2,
            from: Some(1)
        }
    );
    assert_eq!(
        b.advance(&tenant(1)).await.unwrap(),
        moved,
        "another node resumes it"
    );
    assert_eq!(b.generation(&tenant(1)).await.unwrap(), moved);
    // This node seals under the new generation at once; the tenant's index key and
    // other tenants' keys stay.
    let second = a.key(&one, true).await.unwrap().unwrap();
    assert_eq!(second.generation(), 2);
    assert_ne!(second, first);
    assert_eq!(b.key_of(&one, 2).await.unwrap(), Some(second.clone()));
    assert_eq!(b.key_of(&one, 1).await.unwrap(), Some(first));
    assert_eq!(
        a.key(&Scope::Tenant(tenant(1)), false).await.unwrap(),
        Some(index)
    );
    assert_eq!(a.key(&other, false).await.unwrap().unwrap().generation(), 1);

    // A master key rotation passes over the generation state.
    let rotating = SoftwareVault::new(MasterKey::from_bytes([2; 32]), keyring.clone())
        .with_previous(Some(MasterKey::from_bytes([1; 32])));
    let rotated = rotating.rotate(Duration::ZERO, 2).await.unwrap();
    assert_eq!((rotated.unreadable, rotated.rewrapped), (0, 5));
    let v = SoftwareVault::open(MasterKey::from_bytes([2; 32]), keyring.clone())
        .await
        .unwrap();

    // Retiring destroys the first generation's keys of tenant 1's customers only.
    assert!(
        v.retire(&tenant(2), moved).await.is_err(),
        "not tenant 2's state"
    );
    assert_eq!(v.retire(&tenant(1), moved).await.unwrap(), 2);
    assert_eq!(v.generation(&tenant(1)).await.unwrap(), moved.settled());
    assert_eq!(v.key_of(&one, 1).await.unwrap(), None);
    assert_eq!(v.key_of(&two, 1).await.unwrap(), None);
    assert_eq!(
        v.key_of(&one, 2).await.unwrap().map(|k| k.generation()),
        Some(2)
    );
    assert!(v.key(&other, false).await.unwrap().is_some());
    assert!(
        v.key(&Scope::Tenant(tenant(1)), false)
            .await
            .unwrap()
            .is_some()
    );
    assert!(v.retire(&tenant(1), moved).await.is_err(), "retired once");

    // Erasing a customer destroys every generation of their key.
    v.destroy(&one).await.unwrap();
    assert_eq!(v.key_of(&one, 2).await.unwrap(), None);
    // Closing the tenant removes its state with its keys.
    v.destroy(&Scope::Tenant(tenant(1))).await.unwrap();
    assert_eq!(v.generation(&tenant(1)).await.unwrap(), Generation::FIRST);
    assert_eq!(
        keyring.len(),
        1,
        "tenant 2's customer key is all that is left"
    );
}
