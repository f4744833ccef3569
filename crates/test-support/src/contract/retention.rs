//! The retention contract: each tenant's calls past its period are deleted and no
//! others, idle customers are erased (with their `customer.erased` event saying why)
//! and active ones kept, settled webhook events go after 30 days and pending ones stay,
//! and a second run deletes nothing.

use anyhow::{Context, ensure};
use serde_json::{Value, json};
use stickycalls_domain::accounts::NewAccount;
use stickycalls_domain::ports::{
    AccountStore, Clock, CustomerStore, ExportStore, KeyStore, RetentionStore, RollupStore,
    WebhookStore,
};
use stickycalls_domain::retention::{
    ClosureService, Enforced, Erasure, RetentionService, RetentionSettings,
};
use stickycalls_domain::tenant::{AccountId, Environment, Tenant};
use stickycalls_domain::webhooks::{Attempt, Endpoint, EventType, Outcome, Response};
use time::Duration;

use super::manage::{free, key};
use super::{StorageFactory, World, ani_start, tenant};

pub(super) async fn open<F: StorageFactory>(w: &World<F>, n: u128) -> anyhow::Result<Tenant> {
    w.store
        .create_account(NewAccount {
            id: AccountId(uuid::Uuid::from_u128(n)),
            name: format!("Account {n}"),
            email: None,
            keys: vec![key(&format!("r{n:015x}"), Environment::Test, "default")],
            plan: free(100),
            created_at: w.clock.now(),
        })
        .await?;
    let t = tenant(n, Environment::Test);
    w.grant(&t.id, 50).await?;
    Ok(t)
}

/// Retention deletes exactly what is past its period, per tenant, and nothing else.
pub async fn retention_deletes_exactly_what_is_past_its_period<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let (a, b) = (open(&w, 1).await?, open(&w, 2).await?);
    let strict = RetentionSettings::parse(Some(30), Some(30))?;
    w.store
        .save_retention_settings(&a.id, strict, w.clock.now())
        .await?;
    ensure!(w.store.retention_settings(&a.id).await? == Some(strict));
    ensure!(
        w.store.retention_settings(&b.id).await?.is_none(),
        "b keeps the defaults"
    );
    let listed = w.store.all_retention_settings().await?;
    ensure!(listed == [(a.id, strict)], "{listed:?}");
    let erased_hook = Endpoint {
        id: format!("wh_{:032x}", 9),
        tenant: a.id,
        url: "https://hooks.example.com/erased".into(),
        events: vec![EventType::CustomerErased],
        description: String::new(),
        created_at: w.clock.now(),
        disabled_at: None,
    };
    let secret = stickycalls_domain::secret::Secret::new(format!("whsec_{:0>43}=", 9));
    w.store.add_endpoint(erased_hook.clone(), secret).await?;

    // Day 0: five new callers in a, one in b.
    let mut who = std::collections::BTreeMap::new();
    for (call, ani) in [
        ("a1", "01"),
        ("a2", "02"),
        ("a3", "03"),
        ("a4", "04"),
        ("a5", "05"),
    ] {
        let s = w
            .start(&a, ani_start(call, &format!("+141555502{ani}")))
            .await?;
        who.insert(call, s.customer_ref);
    }
    w.start(&b, ani_start("b1", "+14155550201")).await?;
    // a3's customer has a variable live for 90 days; a4's an intent seen on day 0.
    w.end(&a, json!({"call_id": "a3", "variables": {"plan": {"value": "gold", "ttl_seconds": 90 * 86_400}}})).await?;
    w.end(
        &a,
        json!({"call_id": "a4", "intent": "billing", "intent_status": "open"}),
    )
    .await?;
    // Day 20: a1's customer calls again; a5's call ends with an intent.
    w.clock.advance(Duration::days(20));
    let back = w.start(&a, ani_start("a6", "+14155550201")).await?;
    ensure!(back.customer_ref == who["a1"], "{back:?}");
    w.end(
        &a,
        json!({"call_id": "a5", "intent": "refund", "intent_status": "open"}),
    )
    .await?;

    // Day 45: calls before day 15 go in a; b's are within 400 days.
    w.clock.advance(Duration::days(25));
    let idle = strict.idle(w.clock.now()).context("on")?;
    ensure!(
        !w.store
            .erase_customer(&a.id, &who["a1"], Erasure::Retention { idle })
            .await?,
        "a customer who called within the period is not erased as idle"
    );
    let service = RetentionService::new(w.store.clone(), w.clock.clone(), w.vault.clone());
    let done = service.enforce().await?;
    ensure!(
        done == Enforced {
            calls: 5,
            customers: 2,
            webhook_events: 0,
            closed_rows: 0
        },
        "{done:?}"
    );
    for (call, kept) in [("a1", false), ("a5", false), ("a6", true)] {
        ensure!(w.call_exists(&a, call).await? == kept, "{call}");
    }
    ensure!(w.call_exists(&b, "b1").await?, "another tenant's period");
    // a2 (nothing since) and a4 (an intent older than the period) are erased; a1 (a
    // call), a3 (a live variable) and a5 (an intent seen on day 20) are kept.
    for (call, kept) in [
        ("a1", true),
        ("a2", false),
        ("a3", true),
        ("a4", false),
        ("a5", true),
    ] {
        ensure!(
            w.record(&a.id, &who[call]).await?.is_some() == kept,
            "{call}"
        );
    }
    let now = w.clock.now();
    let due = w
        .store
        .claim_due(now, now + Duration::seconds(60), 100)
        .await?;
    let mut erased: Vec<(String, String)> = due
        .iter()
        .map(|d| {
            let body: Value = serde_json::from_str(&d.body)?;
            ensure!(body["type"] == "customer.erased", "{body}");
            Ok((
                body["data"]["customer_ref"]
                    .as_str()
                    .context("ref")?
                    .to_owned(),
                body["data"]["reason"]
                    .as_str()
                    .context("reason")?
                    .to_owned(),
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    erased.sort();
    let mut expected = vec![
        (who["a2"].as_str().to_owned(), "retention".to_owned()),
        (who["a4"].as_str().to_owned(), "retention".to_owned()),
    ];
    expected.sort();
    ensure!(erased == expected, "{erased:?}");
    ensure!(
        service.enforce().await? == Enforced::default(),
        "a second run deletes nothing"
    );

    // 31 days on: the delivered event goes, the one still pending stays.
    w.store
        .record_attempt(Attempt {
            partition: due[0].partition.clone(),
            event_id: due[0].event_id.clone(),
            endpoint_id: erased_hook.id.clone(),
            at: now,
            response: Response::Status(204),
            outcome: Outcome::Delivered,
        })
        .await?;
    w.clock.advance(Duration::days(31));
    let later = service.enforce().await?;
    ensure!(later.webhook_events == 1, "{later:?}");
    let now = w.clock.now();
    let left = w
        .store
        .claim_due(now, now + Duration::seconds(60), 100)
        .await?;
    ensure!(
        left.iter().any(|d| d.event_id == due[1].event_id),
        "a pending event is kept: {left:?}"
    );
    Ok(())
}

/// Closing an account revokes every key at once and deletes both environments' data,
/// and another account's nothing; the ledger stays; enforcement finds nothing more.
pub async fn a_closed_account_keeps_only_its_ledger<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let (a, other) = (open(&w, 1).await?, open(&w, 2).await?);
    let a_prod = tenant(1, Environment::Prod);
    w.grant(&a_prod.id, 5).await?;
    w.start(&a, ani_start("c1", "+14155550501")).await?;
    w.start(&a_prod, ani_start("c2", "+14155550502")).await?;
    w.start(&other, ani_start("c3", "+14155550501")).await?;
    w.store
        .save_retention_settings(&a.id, RetentionSettings::default(), w.clock.now())
        .await?;
    let yesterday = w.clock.now().get().date() - time::Duration::days(1);
    let rolled = stickycalls_domain::usage::RolledDay {
        day: yesterday,
        usage: None,
        ledger: None,
        judged: Vec::new(),
    };
    ensure!(w.store.keep_rolled(&a.id, &rolled, w.clock.now()).await?);

    let service = ClosureService::new(w.store.clone(), w.clock.clone(), w.vault.clone());
    let closed = service.close(&a_prod.id, &a.id.account.to_string()).await?;
    ensure!(closed.revoked_keys.len() == 1, "{closed:?}");
    ensure!(closed.customers == 2, "{closed:?}");
    ensure!(
        closed.other_rows >= 3,
        "settings and both balances: {closed:?}"
    );
    let key = w
        .store
        .find_key(&closed.revoked_keys[0])
        .await?
        .context("kept")?;
    ensure!(key.revoked, "{key:?}");
    let listed = w.store.list_accounts().await?;
    let gone = listed
        .iter()
        .find(|l| l.id == a.id.account)
        .context("listed")?;
    ensure!(
        gone.closed_at == Some(w.clock.now()) && gone.email.is_none(),
        "{gone:?}"
    );
    ensure!(
        listed
            .iter()
            .any(|l| l.id == other.id.account && l.closed_at.is_none())
    );
    for (t, call) in [(&a, "c1"), (&a_prod, "c2")] {
        ensure!(!w.call_exists(t, call).await?, "{call}");
        ensure!(w.store.customer_refs(&t.id, None, 10).await?.is_empty());
    }
    ensure!(w.store.retention_settings(&a.id).await?.is_none());
    let today = w.clock.now().get().date();
    ensure!(
        w.store
            .rolled_days(&a.id, yesterday, today)
            .await?
            .is_empty(),
        "its rolled days are gone"
    );
    ensure!(
        w.call_exists(&other, "c3").await?,
        "another account keeps its data"
    );
    ensure!(
        !w.store.ledger_entries(&a.id, None, 100).await?.is_empty(),
        "the ledger stays"
    );
    ensure!(
        w.store
            .close_account(a.id.account, w.clock.now())
            .await?
            .is_none(),
        "closed once"
    );
    let after = RetentionService::new(w.store.clone(), w.clock.clone(), w.vault.clone())
        .enforce()
        .await?;
    ensure!(after == Enforced::default(), "{after:?}");
    Ok(())
}
