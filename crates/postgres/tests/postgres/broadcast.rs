//! Revocations and settings changes reach every node: the change's transaction
//! `NOTIFY`s, `listen` hears it (and says "forget everything" after it reconnects); a
//! refused change says nothing.

use std::time::Duration;

use stickycalls_domain::Timestamp;
use stickycalls_domain::accounts::{NewAccount, NewKey, Revocation};
use stickycalls_domain::credits::PlanTerms;
use stickycalls_domain::identity::IdentitySettings;
use stickycalls_domain::invalidation::Invalidation;
use stickycalls_domain::ports::{AccountStore, IdentityStore, KeyStore};
use stickycalls_domain::tenant::{AccountId, Environment, TenantId};
use stickycalls_postgres::{PgSettings, PgStore, listen};
use stickycalls_test_support::fakes::billing_on;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio_postgres::NoTls;

use super::database;

fn key(lookup_id: &str) -> NewKey {
    NewKey {
        lookup_id: lookup_id.to_owned(),
        environment: Environment::Prod,
        hash: format!("hash-of-{lookup_id}"),
        last4: lookup_id[12..].to_owned(),
        name: "default".into(),
    }
}

async fn next(heard: &mut UnboundedReceiver<Invalidation>) -> Option<Invalidation> {
    tokio::time::timeout(Duration::from_secs(10), heard.recv())
        .await
        .ok()
        .flatten()
}

/// Waits until `listen` has its connection up (a backend sits in `LISTEN`).
async fn listening(admin: &tokio_postgres::Client) -> i32 {
    for _ in 0..200 {
        let rows = admin
            .query(
                "SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN stickycalls_invalidate%'
                  AND datname = current_database()",
                &[],
            )
            .await
            .unwrap();
        if let Some(row) = rows.first() {
            return row.get(0);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the listener never listened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_and_settings_changes_reach_every_listener() {
    let db = database().await;
    let store = PgStore::new(&PgSettings::new(&db.url), billing_on()).unwrap();
    let (admin, connection) = tokio_postgres::connect(&db.url, NoTls).await.unwrap();
    tokio::spawn(connection);
    let (sender, mut heard) = unbounded_channel();
    tokio::spawn(listen(db.url.clone(), move |what| {
        let sender = sender.clone();
        async move {
            let _ = sender.send(what);
        }
    }));
    let listener = listening(&admin).await;
    assert_eq!(
        next(&mut heard).await,
        Some(Invalidation::Everything),
        "what was cached before listening is dropped"
    );

    let account = AccountId(uuid::Uuid::from_u128(0xb0b));
    let tenant = TenantId {
        account,
        environment: Environment::Prod,
    };
    let at = Timestamp::new(time::OffsetDateTime::now_utc());
    store
        .create_account(NewAccount {
            id: account,
            name: "Broadcast".into(),
            email: None,
            keys: vec![key("b000000000000001"), key("b000000000000002")],
            plan: PlanTerms {
                plan: "free".into(),
                allowance: 10,
            },
            created_at: at,
        })
        .await
        .unwrap();
    let revoke = async |lookup_id| store.revoke_key(&tenant, lookup_id, at).await.unwrap();
    assert_eq!(revoke("b000000000000001").await, Revocation::Revoked);
    assert_eq!(
        next(&mut heard).await,
        Some(Invalidation::KeyRevoked {
            lookup_id: "b000000000000001".into()
        })
    );
    // The last live key is kept: nothing was revoked, nothing is said.
    assert_eq!(revoke("b000000000000002").await, Revocation::LastKey);
    store
        .save_identity_settings(&tenant, &IdentitySettings::default(), at)
        .await
        .unwrap();
    assert_eq!(
        next(&mut heard).await,
        Some(Invalidation::SettingsChanged(tenant)),
        "the refused revocation sent nothing before the settings change"
    );

    // The listener's connection dies: it reconnects and says to forget everything.
    admin
        .execute("SELECT pg_terminate_backend($1)", &[&listener])
        .await
        .unwrap();
    assert_eq!(next(&mut heard).await, Some(Invalidation::Everything));
    listening(&admin).await;
    store
        .save_identity_settings(&tenant, &IdentitySettings::default(), at)
        .await
        .unwrap();
    assert_eq!(
        next(&mut heard).await,
        Some(Invalidation::SettingsChanged(tenant))
    );
}
