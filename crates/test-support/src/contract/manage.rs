//! The contract of what a tenant manages itself: its keys, its customers (search,
//! record, direct variable writes) and erasure with the idempotent responses about them.

use anyhow::{Context, ensure};
use serde_json::json;
use stickycalls_domain::Timestamp;
use stickycalls_domain::accounts::{NewAccount, NewKey, Revocation};
use stickycalls_domain::console::{NewSession, SessionTimes};
use stickycalls_domain::credits::PlanTerms;
use stickycalls_domain::customers::CustomerLookup;
use stickycalls_domain::idempotency::{ClaimCutoffs, IdempotencyClaim, StoredResponse};
use stickycalls_domain::identity::{CustomerRef, PhoneNumber};
use stickycalls_domain::keys::{KeyError, KeyService, MAX_LIVE_KEYS};
use stickycalls_domain::ports::{
    AccountStore, Clock, ConsoleSessionStore, CustomerStore, IdempotencyStore, KeyStore, Purge,
    PurgeCutoffs, WriteVariablesError,
};
use stickycalls_domain::tenant::{AccountId, Environment, TenantId};
use stickycalls_domain::variables::{StoredVariable, Ttl, VariableWrite};
use time::Duration;

use super::{StorageFactory, World, tenant};

pub(super) fn key(lookup: &str, environment: Environment, name: &str) -> NewKey {
    NewKey {
        lookup_id: lookup.to_owned(),
        environment,
        hash: format!("hash-of-{lookup}"),
        last4: lookup[lookup.len() - 4..].to_owned(),
        name: name.to_owned(),
    }
}

pub(super) fn free(allowance: u64) -> PlanTerms {
    PlanTerms {
        plan: "free".into(),
        allowance,
    }
}

fn set(key: &str, value: &str, at: stickycalls_domain::Timestamp) -> VariableWrite {
    VariableWrite::Set {
        key: key.to_owned(),
        variable: StoredVariable {
            value: value.to_owned(),
            source: None,
            ttl: Ttl::DEFAULT,
            expires_at: Ttl::DEFAULT.expires_at(at),
        },
    }
}

/// Accounts: none in a fresh store, then listed oldest first with their name and
/// contact address, ties broken by id.
pub async fn accounts_are_listed_oldest_first<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    ensure!(
        !w.store.has_accounts().await?,
        "a fresh store has no account"
    );
    ensure!(w.store.list_accounts().await?.is_empty());
    let opened = w.clock.now();
    let open = |n: u128, name: &str, email: Option<&str>, at| NewAccount {
        id: AccountId(uuid::Uuid::from_u128(n)),
        name: name.into(),
        email: email.map(str::to_owned),
        keys: vec![key(&format!("c{n:015x}"), Environment::Test, "default")],
        plan: free(100),
        created_at: at,
    };
    w.store
        .create_account(open(3, "Later", None, opened + Duration::seconds(5)))
        .await?;
    w.store
        .create_account(open(2, "Second", Some("ops@b.example"), opened))
        .await?;
    w.store
        .create_account(open(1, "First", Some("ops@a.example"), opened))
        .await?;
    ensure!(w.store.has_accounts().await?);
    let listed = w.store.list_accounts().await?;
    let seen: Vec<(u128, &str, Option<&str>)> = listed
        .iter()
        .map(|a| (a.id.0.as_u128(), a.name.as_str(), a.email.as_deref()))
        .collect();
    ensure!(
        seen == [
            (1, "First", Some("ops@a.example")),
            (2, "Second", Some("ops@b.example")),
            (3, "Later", None)
        ],
        "{listed:?}"
    );
    ensure!(listed[0].created_at == opened, "{listed:?}");
    ensure!(
        listed[2].created_at == opened + Duration::seconds(5),
        "{listed:?}"
    );
    Ok(())
}

/// Console sessions: found by digest with their key's tenant and times, touched,
/// shown as ended when their key is revoked, ended by sign-out; none for an unknown key.
pub async fn console_sessions_follow_their_key<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let account = AccountId(uuid::Uuid::from_u128(0x5e55));
    let signed_in = w.clock.now();
    w.store
        .create_account(NewAccount {
            id: account,
            name: "Console".into(),
            email: None,
            keys: vec![
                key("d000000000000001", Environment::Prod, "default"),
                key("d000000000000002", Environment::Prod, "second"),
            ],
            plan: free(100),
            created_at: signed_in,
        })
        .await?;
    let session = |digest: &str, lookup: &str| NewSession {
        digest: digest.to_owned(),
        key_lookup_id: lookup.to_owned(),
        at: signed_in,
    };
    w.store
        .create_session(session("digest-1", "d000000000000001"))
        .await?;
    ensure!(
        w.store
            .create_session(session("digest-2", "d0000000000000ff"))
            .await
            .is_err(),
        "a session of an unknown key is refused"
    );
    ensure!(w.store.find_session("digest-2").await?.is_none());
    let found = w
        .store
        .find_session("digest-1")
        .await?
        .context("the session")?;
    let prod = TenantId {
        account,
        environment: Environment::Prod,
    };
    ensure!(
        found.tenant == prod && found.key_lookup_id == "d000000000000001",
        "{found:?}"
    );
    ensure!(found.key_live, "{found:?}");
    ensure!(
        found.times
            == SessionTimes {
                created_at: signed_in,
                last_seen_at: signed_in
            },
        "{found:?}"
    );
    let later = signed_in + Duration::minutes(5);
    w.store.touch_session("digest-1", later).await?;
    let touched = w
        .store
        .find_session("digest-1")
        .await?
        .context("the session")?;
    ensure!(
        touched.times.last_seen_at == later && touched.times.created_at == signed_in,
        "{touched:?}"
    );
    ensure!(w.store.revoke_key(&prod, "d000000000000001", later).await? == Revocation::Revoked);
    let revoked = w
        .store
        .find_session("digest-1")
        .await?
        .context("the session")?;
    ensure!(
        !revoked.key_live,
        "a revoked key's session reads back as such"
    );
    w.store.end_session("digest-1").await?;
    ensure!(
        w.store.find_session("digest-1").await?.is_none(),
        "signed out"
    );
    w.store.end_session("digest-1").await?;

    // The purge takes sessions idle too long, too old, or of a revoked key.
    let now = signed_in + Duration::hours(1);
    for (digest, lookup) in [
        ("revoked", "d000000000000001"),
        ("idle", "d000000000000002"),
        ("busy", "d000000000000002"),
    ] {
        w.store.create_session(session(digest, lookup)).await?;
    }
    w.store.touch_session("busy", now).await?;
    let cut = PurgeCutoffs {
        variables_expired_at: signed_in - Duration::days(1),
        intents_seen_before: signed_in - Duration::days(1),
        responses_created_before: signed_in - Duration::days(1),
        sessions_seen_before: now - Duration::minutes(30),
        sessions_created_before: now - Duration::hours(12),
    };
    let purged = w.store.purge_expired(cut).await?;
    ensure!(purged.sessions == 2, "{purged:?}");
    ensure!(
        w.store.find_session("busy").await?.is_some(),
        "a live session stays"
    );
    ensure!(w.store.find_session("idle").await?.is_none());
    ensure!(w.store.find_session("revoked").await?.is_none());
    let old = PurgeCutoffs {
        sessions_seen_before: signed_in - Duration::days(1),
        sessions_created_before: signed_in,
        ..cut
    };
    ensure!(
        w.store.purge_expired(old).await?.sessions == 1,
        "too old, however busy"
    );
    Ok(())
}

/// Keys: listed per environment, several live at once, revoked only within their
/// tenant, never down to none; last use and the tenant's plan are kept.
pub async fn keys_rotate_and_never_run_out<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let account = AccountId(uuid::Uuid::from_u128(0xacc));
    w.store
        .create_account(NewAccount {
            id: account,
            name: "Acme".into(),
            email: None,
            keys: vec![
                key("a000000000000001", Environment::Test, "default"),
                key("b000000000000001", Environment::Prod, "default"),
            ],
            plan: free(100),
            created_at: w.clock.now(),
        })
        .await?;
    let test = TenantId {
        account,
        environment: Environment::Test,
    };
    let prod = TenantId {
        account,
        environment: Environment::Prod,
    };
    let other = TenantId {
        account: AccountId(uuid::Uuid::from_u128(0xbad)),
        environment: Environment::Test,
    };
    let now = w.clock.now();
    w.clock.advance(Duration::seconds(1));
    w.store
        .add_key(
            &test,
            key("a000000000000002", Environment::Test, "rotation"),
            w.clock.now(),
            MAX_LIVE_KEYS,
        )
        .await?;

    let mut listed = w.store.list_keys(&test).await?;
    listed.sort_by(|a, b| a.lookup_id.cmp(&b.lookup_id));
    let ids: Vec<&str> = listed.iter().map(|k| k.lookup_id.as_str()).collect();
    ensure!(
        ids == ["a000000000000001", "a000000000000002"],
        "{listed:?}"
    );
    ensure!(
        listed[1].name == "rotation"
            && listed[1].last4 == "0002"
            && listed[1].environment == Environment::Test
    );
    ensure!(listed.iter().all(|k| k.last_used_at.is_none()));
    ensure!(
        w.store.list_keys(&prod).await?.len() == 1,
        "environments list apart"
    );
    ensure!(w.store.list_keys(&other).await?.is_empty());

    for (tenant, what) in [
        (&prod, "the other environment"),
        (&other, "another account"),
    ] {
        let r = w.store.revoke_key(tenant, "a000000000000001", now).await?;
        ensure!(r == Revocation::NotFound, "{what} revoked a key: {r:?}");
    }
    ensure!(
        !w.store
            .find_key("a000000000000001")
            .await?
            .is_some_and(|k| k.revoked)
    );
    ensure!(w.store.revoke_key(&test, "a000000000000001", now).await? == Revocation::Revoked);
    ensure!(
        w.store
            .find_key("a000000000000001")
            .await?
            .is_some_and(|k| k.revoked)
    );
    ensure!(
        w.store.revoke_key(&test, "a000000000000001", now).await? == Revocation::NotFound,
        "twice"
    );
    ensure!(w.store.revoke_key(&test, "a000000000000002", now).await? == Revocation::LastKey);
    ensure!(w.store.list_keys(&test).await?.len() == 1);

    // Two revocations at once of a tenant's two live keys: one wins, one keeps its key.
    for round in 1..=5u128 {
        let account = AccountId(uuid::Uuid::from_u128(0xace0 + round));
        let lookup = |n: u128| format!("c{round:07x}{n:08x}");
        w.store
            .create_account(NewAccount {
                id: account,
                name: "Race".into(),
                email: None,
                keys: vec![
                    key(&lookup(1), Environment::Prod, "one"),
                    key(&lookup(2), Environment::Prod, "two"),
                ],
                plan: free(0),
                created_at: w.clock.now(),
            })
            .await?;
        let tenant = TenantId {
            account,
            environment: Environment::Prod,
        };
        // Warm two connections so both revocations really run at once.
        let _ = tokio::join!(w.store.list_keys(&tenant), w.store.list_keys(&tenant));
        let (one, two) = (lookup(1), lookup(2));
        let (first, second) = tokio::join!(
            w.store.revoke_key(&tenant, &one, now),
            w.store.revoke_key(&tenant, &two, now)
        );
        let mut outcomes = [first?, second?];
        outcomes.sort_by_key(|r| *r == Revocation::LastKey);
        ensure!(
            outcomes == [Revocation::Revoked, Revocation::LastKey],
            "round {round}: {outcomes:?}"
        );
        ensure!(w.store.list_keys(&tenant).await?.len() == 1);
    }

    w.store.touch_key("a000000000000002", w.clock.now()).await?;
    let used = w.store.list_keys(&test).await?;
    ensure!(used[0].last_used_at == Some(w.clock.now()), "{used:?}");
    let found = w.store.find_key("a000000000000002").await?.expect("key");
    ensure!(
        found.tenant == test && found.plan == "free" && !found.revoked,
        "{found:?}"
    );
    Ok(())
}

/// The live-key cap holds under concurrency: 50 creations at once through the key use
/// case leave exactly [`MAX_LIVE_KEYS`] live keys, and the other 30 are refused.
pub async fn fifty_concurrent_key_creations_leave_twenty<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let account = AccountId(uuid::Uuid::from_u128(0xcab));
    w.store
        .create_account(NewAccount {
            id: account,
            name: "Busy".into(),
            email: None,
            keys: vec![key("d000000000000001", Environment::Prod, "default")],
            plan: free(0),
            created_at: w.clock.now(),
        })
        .await?;
    let tenant = TenantId {
        account,
        environment: Environment::Prod,
    };
    let service = std::sync::Arc::new(KeyService::new(
        w.store.clone(),
        w.clock.clone(),
        crate::fakes::PlainMinter::default(),
    ));
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let service = service.clone();
            tokio::spawn(async move { service.create(&tenant, &format!("ci-{n}"), None).await })
        })
        .collect();
    let (mut created, mut refused) = (0, 0);
    for task in tasks {
        match task.await? {
            Ok(_) => created += 1,
            Err(KeyError::TooManyKeys { max }) if max == MAX_LIVE_KEYS => refused += 1,
            Err(e) => anyhow::bail!("unexpected key error: {e:?}"),
        }
    }
    let live = w.store.list_keys(&tenant).await?.len();
    ensure!(
        (created, refused, live) == (MAX_LIVE_KEYS - 1, 51 - MAX_LIVE_KEYS, MAX_LIVE_KEYS),
        "created {created}, refused {refused}, live {live}"
    );
    Ok(())
}

/// A customer is found by number and external id, read whole, and erased whole with
/// the stored responses about them; another tenant sees none of it.
pub async fn customers_are_found_exported_and_erased<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = tenant(1, Environment::Test);
    let prod = tenant(1, Environment::Prod);
    w.grant(&t.id, 5).await?;
    let started = w
        .start(&t, json!({"call_id": "m1", "identity_hints": {"ani": "+14155550123", "external_ids": {"crm": "C-77"}}}))
        .await?;
    w.end(&t, json!({"call_id": "m1", "intent": "billing", "intent_status": "open", "variables": {"plan": "gold"}}))
        .await?;
    let who = started.customer_ref.clone();
    let now = w.clock.now();
    let response = |customer: Option<CustomerRef>| StoredResponse {
        status: 200,
        body: "{}".into(),
        customer,
    };
    for (idem, customer) in [("about-them", Some(who.clone())), ("about-nobody", None)] {
        ensure!(
            w.store
                .claim(&t.id, idem, "fp", now, ClaimCutoffs::at(now))
                .await?
                .judge("fp")
                == IdempotencyClaim::Claimed
        );
        w.store.complete(&t.id, idem, response(customer)).await?;
    }
    // A request about them, still running when they are erased.
    ensure!(
        w.store
            .claim(&t.id, "in-flight", "fp", now, ClaimCutoffs::at(now))
            .await?
            .judge("fp")
            == IdempotencyClaim::Claimed
    );

    let by_phone = CustomerLookup::Ani(PhoneNumber::from_e164("+14155550123"));
    let by_crm = CustomerLookup::external_id("crm:C-77")?;
    ensure!(w.find(&t.id, &by_phone).await? == std::slice::from_ref(&who));
    ensure!(w.find(&t.id, &by_crm).await? == std::slice::from_ref(&who));
    ensure!(w.find(&prod.id, &by_phone).await?.is_empty());
    ensure!(
        w.record(&prod.id, &who).await?.is_none(),
        "other environment"
    );

    let record = w.record(&t.id, &who).await?.expect("record");
    ensure!(record.phones.len() == 1 && record.phones[0].e164.as_e164() == "+14155550123");
    ensure!(record.external_ids.len() == 1 && record.external_ids[0].value == "C-77");
    ensure!(
        record
            .variables
            .get("plan")
            .is_some_and(|v| v.value == "gold")
    );
    ensure!(record.intents.len() == 1 && record.intents[0].name.as_str() == "billing");
    ensure!(record.calls.len() == 1 && record.calls[0].call_id.as_str() == "m1");
    // Several at once: in the order asked, unknown ones left out, each whole.
    let other = w
        .start(
            &t,
            json!({"call_id": "m2", "identity_hints": {"ani": "+14155550124"}}),
        )
        .await?
        .customer_ref;
    let nobody = CustomerRef::from_trusted("cust_nobody");
    let both = w
        .store
        .customer_records(&t.id, &[other.clone(), nobody, who.clone()])
        .await?;
    let both = w.opened(&t.id, both).await?;
    let refs: Vec<&CustomerRef> = both.iter().map(|r| &r.customer_ref).collect();
    ensure!(refs == [&other, &who], "{refs:?}");
    ensure!(both[1] == record, "the batch read is the same record");
    ensure!(both[0].calls.len() == 1 && both[0].phones[0].e164.as_e164() == "+14155550124");

    ensure!(
        !w.store
            .erase_customer(
                &prod.id,
                &who,
                stickycalls_domain::retention::Erasure::Requested { at: w.clock.now() }
            )
            .await?,
        "other environment erased"
    );
    ensure!(w.record(&t.id, &who).await?.is_some());
    ensure!(
        w.store
            .erase_customer(
                &t.id,
                &who,
                stickycalls_domain::retention::Erasure::Requested { at: w.clock.now() }
            )
            .await?
    );
    ensure!(w.record(&t.id, &who).await?.is_none());
    ensure!(w.find(&t.id, &by_phone).await?.is_empty());
    ensure!(w.find(&t.id, &by_crm).await?.is_empty());
    let later = w.clock.now();
    let again = w
        .store
        .claim(&t.id, "about-them", "fp", later, ClaimCutoffs::at(later))
        .await?
        .judge("fp");
    ensure!(
        again == IdempotencyClaim::Claimed,
        "the response about them is gone: {again:?}"
    );
    let kept = w
        .store
        .claim(&t.id, "about-nobody", "fp", later, ClaimCutoffs::at(later))
        .await?
        .judge("fp");
    ensure!(
        matches!(kept, IdempotencyClaim::Replay(_)),
        "others' responses stay: {kept:?}"
    );
    // Its response, about someone erased meanwhile, is not kept: a retry runs anew.
    w.store
        .complete(&t.id, "in-flight", response(Some(who.clone())))
        .await?;
    let retried = w
        .store
        .claim(&t.id, "in-flight", "fp", later, ClaimCutoffs::at(later))
        .await?
        .judge("fp");
    ensure!(
        retried == IdempotencyClaim::Claimed,
        "a response about an erased customer is not stored: {retried:?}"
    );
    Ok(())
}

/// Direct variable writes: only to an existing customer of the tenant, refused whole
/// past 100 live variables, deletes count what they removed.
pub async fn variables_written_directly<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = tenant(1, Environment::Test);
    let prod = tenant(1, Environment::Prod);
    w.grant(&t.id, 5).await?;
    let who = w
        .start(&t, super::ani_start("v1", "+14155550124"))
        .await?
        .customer_ref;
    let now = w.clock.now();
    let missing = w
        .store
        .write_variables(&prod.id, &who, vec![set("k", "v", now)], now)
        .await;
    ensure!(
        matches!(missing, Err(WriteVariablesError::CustomerNotFound)),
        "{missing:?}"
    );

    let hundred: Vec<VariableWrite> = (0..100).map(|i| set(&format!("k{i}"), "v", now)).collect();
    ensure!(w.store.write_variables(&t.id, &who, hundred, now).await? == 100);
    let over = w
        .store
        .write_variables(&t.id, &who, vec![set("k100", "v", now)], now)
        .await;
    ensure!(
        matches!(over, Err(WriteVariablesError::Refused(_))),
        "{over:?}"
    );
    ensure!(
        w.store
            .write_variables(&t.id, &who, vec![set("k0", "new", now)], now)
            .await?
            == 1,
        "replacing is fine"
    );
    let delete = || vec![VariableWrite::Delete { key: "k1".into() }];
    ensure!(w.store.write_variables(&t.id, &who, delete(), now).await? == 1);
    ensure!(w.store.write_variables(&t.id, &who, delete(), now).await? == 0);
    let record = w.record(&t.id, &who).await?.expect("record");
    ensure!(record.variables.len() == 99 && record.variables["k0"].value == "new");
    Ok(())
}

/// `Idempotency-Key` claims: a claim whose request never answered is given up after
/// its lease (a retry runs, no 409 for a day); a completed one is replayed for a day;
/// the purge deletes day-old records with their responses.
pub async fn idempotency_claims_have_a_lease_and_are_purged<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = tenant(7, Environment::Test).id;
    let t0 = w.clock.now();
    let claim = |key: &'static str, at: Timestamp| {
        let store = w.store.clone();
        async move {
            let found = store.claim(&t, key, "fp", at, ClaimCutoffs::at(at)).await?;
            anyhow::Ok(found.judge("fp"))
        }
    };
    ensure!(claim("crashed", t0).await? == IdempotencyClaim::Claimed);
    ensure!(claim("crashed", t0 + Duration::seconds(59)).await? == IdempotencyClaim::InFlight);
    ensure!(
        claim("crashed", t0 + Duration::seconds(61)).await? == IdempotencyClaim::Claimed,
        "an abandoned claim is given up after its lease"
    );
    ensure!(claim("done", t0).await? == IdempotencyClaim::Claimed);
    let response = StoredResponse {
        status: 200,
        body: "{}".into(),
        customer: None,
    };
    w.store.complete(&t, "done", response.clone()).await?;
    let an_hour = t0 + Duration::hours(1);
    ensure!(claim("done", an_hour).await? == IdempotencyClaim::Replay(response));
    let cut = PurgeCutoffs {
        variables_expired_at: an_hour,
        intents_seen_before: an_hour,
        responses_created_before: t0 + Duration::minutes(1),
        sessions_seen_before: t0 - Duration::days(1),
        sessions_created_before: t0 - Duration::days(1),
    };
    let purged = w.store.purge_expired(cut).await?;
    ensure!(purged.responses == 1, "{purged:?}");
    ensure!(
        claim("done", an_hour).await? == IdempotencyClaim::Claimed,
        "a purged response is not replayed"
    );
    Ok(())
}
