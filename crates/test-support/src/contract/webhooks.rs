//! The webhook contract: endpoints kept per tenant, events written with the changes they
//! report (and only for subscribed endpoints), leased claims that concurrent workers
//! never share, erasure, a gone endpoint, and credit alerts counted exactly once.

use anyhow::{Context, ensure};
use serde_json::{Value, json};
use stickycalls_domain::Timestamp;
use stickycalls_domain::credits::{CreditAccount, PlanTerms};
use stickycalls_domain::ports::{CreditLedger, CustomerStore, WebhookStore};
use stickycalls_domain::secret::Secret;
use stickycalls_domain::tenant::{Environment, TenantId};
use stickycalls_domain::webhooks::{
    Attempt, DeliveryStatus, DueDelivery, Endpoint, EventType, Outcome, Response,
};
use time::Duration;

use super::{StorageFactory, World, ani_start, concurrent_starts, tenant, test_tenant};
use stickycalls_domain::ports::Clock;

fn endpoint(n: u8, tenant: TenantId, events: &[EventType], at: Timestamp) -> Endpoint {
    Endpoint {
        id: format!("wh_{n:032x}"),
        tenant,
        url: format!("https://hooks.example.com/{n}"),
        events: events.to_vec(),
        description: String::new(),
        created_at: at,
        disabled_at: None,
    }
}

fn secret(n: u8) -> Secret {
    Secret::new(format!("whsec_{n:0>43}="))
}

/// Everything due now (nothing leased), by type.
async fn due<F: StorageFactory>(w: &World<F>) -> anyhow::Result<Vec<DueDelivery>> {
    let now = w.clock.now();
    Ok(w.store
        .claim_due(now, now + Duration::seconds(60), 1000)
        .await?)
}

fn kind_of(d: &DueDelivery) -> anyhow::Result<String> {
    let body: Value = serde_json::from_str(&d.body)?;
    Ok(body["type"].as_str().context("a type")?.to_owned())
}

/// Endpoints are the tenant's own; a rotated secret keeps the old one beside it; a
/// removed endpoint is gone.
pub async fn webhook_endpoints_are_kept_per_tenant<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let (t, prod) = (test_tenant(), tenant(1, Environment::Prod));
    let now = w.clock.now();
    let e = endpoint(
        1,
        t.id,
        &[EventType::CallEnded, EventType::CustomerErased],
        now,
    );
    w.store.add_endpoint(e.clone(), secret(1)).await?;
    ensure!(w.store.endpoints(&t.id).await? == std::slice::from_ref(&e));
    ensure!(
        w.store.endpoints(&prod.id).await?.is_empty(),
        "another tenant"
    );
    ensure!(
        !w.store
            .rotate_secret(&prod.id, &e.id, secret(2), now)
            .await?
    );
    ensure!(!w.store.remove_endpoint(&prod.id, &e.id).await?);
    let until = now + Duration::hours(24);
    ensure!(
        w.store
            .rotate_secret(&t.id, &e.id, secret(2), until)
            .await?
    );
    // The next delivery is signed with both.
    w.start(&t, ani_start("w1", "+14155550101")).await.ok();
    w.grant(&t.id, 5).await?;
    let started = w.start(&t, ani_start("w2", "+14155550102")).await?;
    w.end(
        &t,
        json!({"call_id": "w2", "customer_ref": started.customer_ref.as_str()}),
    )
    .await?;
    let claimed = due(&w).await?;
    ensure!(claimed.len() == 1, "{claimed:?}");
    ensure!(claimed[0].secret == secret(2));
    ensure!(
        claimed[0].previous == Some((secret(1), until)),
        "{:?}",
        claimed[0].previous
    );
    ensure!(w.store.remove_endpoint(&t.id, &e.id).await?);
    ensure!(w.store.endpoints(&t.id).await?.is_empty());
    Ok(())
}

/// An end writes `call.ended` and its intent's event with it, for the endpoints that
/// subscribed (and only theirs); a tenant without endpoints keeps nothing; the payload
/// says refs and counts, never a variable's value or a number.
pub async fn an_end_writes_its_events_for_subscribed_endpoints<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let (t, other) = (test_tenant(), tenant(2, Environment::Test));
    let now = w.clock.now();
    let all = endpoint(1, t.id, &EventType::ALL, now);
    let intents = endpoint(
        2,
        t.id,
        &[EventType::IntentOpened, EventType::IntentResolved],
        now,
    );
    w.store.add_endpoint(all.clone(), secret(1)).await?;
    w.store.add_endpoint(intents.clone(), secret(2)).await?;
    for tn in [&t, &other] {
        w.grant(&tn.id, 10).await?;
        let s = w.start(tn, ani_start("e1", "+14155550111")).await?;
        w.end(
            tn,
            json!({"call_id": "e1", "customer_ref": s.customer_ref.as_str(),
            "intent": "billing_refund", "intent_status": "open",
            "variables": {"note": "secret-ish note"}}),
        )
        .await?;
    }
    let claimed = due(&w).await?;
    let mut seen: Vec<(String, String)> = claimed
        .iter()
        .map(|d| Ok((d.endpoint_id.clone(), kind_of(d)?)))
        .collect::<anyhow::Result<_>>()?;
    seen.sort();
    ensure!(
        seen == [
            (all.id.clone(), "call.ended".to_owned()),
            (all.id.clone(), "intent.opened".to_owned()),
            (intents.id.clone(), "intent.opened".to_owned()),
        ],
        "{seen:?}"
    );
    let ended = claimed
        .iter()
        .find(|d| kind_of(d).is_ok_and(|k| k == "call.ended"))
        .context("call.ended")?;
    ensure!(!ended.body.contains("secret-ish") && !ended.body.contains("4155550111"));
    let body: Value = serde_json::from_str(&ended.body)?;
    ensure!(
        body["data"]["call_id"] == "e1" && body["data"]["variables_updated"] == 1,
        "{body}"
    );
    ensure!(ended.attempt == 1 && ended.url == all.url);
    // Resolving it reports intent.resolved.
    w.clock.advance(Duration::minutes(5));
    let again = w.start(&t, ani_start("e2", "+14155550111")).await?;
    w.end(
        &t,
        json!({"call_id": "e2", "customer_ref": again.customer_ref.as_str(),
        "intent": "billing_refund", "intent_status": "resolved"}),
    )
    .await?;
    // An end refused (the call is already ended, differently) writes nothing.
    let refused = w
        .end(
            &t,
            json!({"call_id": "e2", "customer_ref": again.customer_ref.as_str(),
            "intent": "other", "intent_status": "open"}),
        )
        .await;
    ensure!(refused.is_err(), "{refused:?}");
    let kinds: Vec<String> = due(&w)
        .await?
        .iter()
        .map(kind_of)
        .collect::<anyhow::Result<_>>()?;
    ensure!(
        kinds.iter().filter(|k| *k == "intent.resolved").count() == 2,
        "{kinds:?}"
    );
    Ok(())
}

/// Workers claiming at once share nothing; a claim is leased (not claimed again until
/// the lease ends) and counts its attempt; the outcome is recorded; a 410 disables the
/// endpoint and cancels what it still had pending.
pub async fn claims_are_leased_and_never_shared<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()>
where
    F::Store: 'static,
{
    let w = World::new(factory).await?;
    let t = test_tenant();
    let now = w.clock.now();
    let e = endpoint(1, t.id, &[EventType::CallEnded], now);
    w.store.add_endpoint(e.clone(), secret(1)).await?;
    w.grant(&t.id, 100).await?;
    for i in 0..20 {
        let s = w
            .start(&t, ani_start(&format!("c{i}"), &format!("+1415555{i:04}")))
            .await?;
        w.end(
            &t,
            json!({"call_id": format!("c{i}"), "customer_ref": s.customer_ref.as_str()}),
        )
        .await?;
    }
    let lease = now + Duration::seconds(60);
    let claims: Vec<_> = (0..8)
        .map(|_| {
            let store = w.store.clone();
            tokio::spawn(async move { store.claim_due(now, lease, 3).await })
        })
        .collect();
    let mut ids = Vec::new();
    for claim in claims {
        ids.extend(claim.await??.into_iter().map(|d| d.event_id));
    }
    let total = ids.len();
    ids.sort();
    ids.dedup();
    ensure!(ids.len() == total, "a delivery was claimed twice");
    let rest = w.store.claim_due(now, lease, 100).await?;
    ensure!(total + rest.len() == 20, "{total} + {}", rest.len());
    ensure!(
        w.store.claim_due(now, lease, 100).await?.is_empty(),
        "leased"
    );
    // Once the lease is over, an unrecorded attempt is due again as attempt 2.
    let later = lease + Duration::seconds(1);
    let again = w
        .store
        .claim_due(later, later + Duration::seconds(60), 100)
        .await?;
    ensure!(again.len() == 20 && again.iter().all(|d| d.attempt == 2));
    let (first, second) = (&again[0], &again[1]);
    let retry_at = later + Duration::seconds(5);
    w.store
        .record_attempt(Attempt {
            partition: first.partition.clone(),
            event_id: first.event_id.clone(),
            endpoint_id: e.id.clone(),
            at: later,
            response: Response::Status(204),
            outcome: Outcome::Delivered,
        })
        .await?;
    w.store
        .record_attempt(Attempt {
            partition: second.partition.clone(),
            event_id: second.event_id.clone(),
            endpoint_id: e.id.clone(),
            at: later,
            response: Response::NoAnswer("timed out".into()),
            outcome: Outcome::Retry { at: retry_at },
        })
        .await?;
    let listed = w.store.deliveries(&t.id, &e.id, 100).await?;
    let of = |id: &str| listed.iter().find(|d| d.event_id == id).cloned();
    let delivered = of(&first.event_id).context("listed")?;
    ensure!(delivered.status == DeliveryStatus::Delivered && delivered.attempts == 2);
    ensure!(delivered.last_response_code == Some(204) && delivered.next_attempt_at.is_none());
    let retried = of(&second.event_id).context("listed")?;
    ensure!(retried.status == DeliveryStatus::Pending && retried.next_attempt_at == Some(retry_at));
    ensure!(
        retried.last_error.as_deref() == Some("timed out"),
        "{retried:?}"
    );
    let other = tenant(1, Environment::Prod);
    ensure!(
        w.store.deliveries(&other.id, &e.id, 100).await?.is_empty(),
        "another tenant"
    );
    // 410: the endpoint is disabled, its pending deliveries cancelled, nothing more due.
    w.store
        .record_attempt(Attempt {
            partition: second.partition.clone(),
            event_id: second.event_id.clone(),
            endpoint_id: e.id.clone(),
            at: later,
            response: Response::Status(410),
            outcome: Outcome::Gone,
        })
        .await?;
    let disabled = w.store.endpoints(&t.id).await?;
    ensure!(disabled[0].disabled_at == Some(later), "{disabled:?}");
    let listed = w.store.deliveries(&t.id, &e.id, 100).await?;
    ensure!(
        listed
            .iter()
            .filter(|d| d.status == DeliveryStatus::Cancelled)
            .count()
            == 19
    );
    let much_later = later + Duration::hours(1);
    ensure!(
        w.store
            .claim_due(much_later, much_later, 100)
            .await?
            .is_empty()
    );
    // A disabled endpoint gets no new event.
    let s = w.start(&t, ani_start("late", "+14155559990")).await?;
    w.end(
        &t,
        json!({"call_id": "late", "customer_ref": s.customer_ref.as_str()}),
    )
    .await?;
    ensure!(w.store.deliveries(&t.id, &e.id, 100).await?.len() == 20);
    Ok(())
}

/// An erasure erases the events about the customer with them and writes
/// `customer.erased`, which names only the reference.
pub async fn an_erasure_erases_its_events_and_reports_itself<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    let e = endpoint(1, t.id, &EventType::ALL, w.clock.now());
    w.store.add_endpoint(e.clone(), secret(1)).await?;
    w.grant(&t.id, 10).await?;
    let s = w.start(&t, ani_start("x1", "+14155550131")).await?;
    w.end(
        &t,
        json!({"call_id": "x1", "customer_ref": s.customer_ref.as_str(),
        "intent": "move", "intent_status": "open"}),
    )
    .await?;
    ensure!(w.store.deliveries(&t.id, &e.id, 100).await?.len() == 2);
    w.clock.advance(Duration::minutes(1));
    ensure!(
        w.store
            .erase_customer(
                &t.id,
                &s.customer_ref,
                stickycalls_domain::retention::Erasure::Requested { at: w.clock.now() }
            )
            .await?
    );
    let left = w.store.deliveries(&t.id, &e.id, 100).await?;
    ensure!(
        left.len() == 1 && left[0].event_type == EventType::CustomerErased,
        "{left:?}"
    );
    let claimed = due(&w).await?;
    let body: Value = serde_json::from_str(&claimed[0].body)?;
    ensure!(
        body["data"] == json!({"customer_ref": s.customer_ref.as_str(), "reason": "request"}),
        "{body}"
    );
    ensure!(
        !w.store
            .erase_customer(
                &t.id,
                &s.customer_ref,
                stickycalls_domain::retention::Erasure::Requested { at: w.clock.now() }
            )
            .await?
    );
    ensure!(
        w.store.deliveries(&t.id, &e.id, 100).await?.len() == 1,
        "no second event"
    );
    Ok(())
}

/// Credits draining under concurrent billed starts report `credits.low` once and
/// `credits.exhausted` once, from the starts that crossed each mark.
pub async fn credit_alerts_are_reported_once<F: StorageFactory>(factory: &F) -> anyhow::Result<()>
where
    F::Store: 'static,
    F::Ledger: 'static,
{
    let w = World::new(factory).await?;
    let t = test_tenant();
    let e = endpoint(
        1,
        t.id,
        &[EventType::CreditsLow, EventType::CreditsExhausted],
        w.clock.now(),
    );
    w.store.add_endpoint(e.clone(), secret(1)).await?;
    // A plan with 150 credits a period, and 50 bought: low under 30.
    let now = w.clock.now();
    w.ledger
        .update_credits(&t.id, move |_| {
            let terms = PlanTerms {
                plan: "starter".into(),
                allowance: 150,
            };
            CreditAccount::open(&terms, now)
        })
        .await?;
    w.grant(&t.id, 50).await?;
    let total = w.credits_left(&t).await?;
    ensure!(total == 200, "{total}");
    let allowance = w
        .ledger
        .summary(&t.id, w.clock.now())
        .await?
        .context("an account")?
        .allowance;
    let (ok, _) = concurrent_starts(&w, &t, "a", "+1646777", total + 20).await?;
    ensure!(ok == total);
    let claimed = due(&w).await?;
    let mut kinds: Vec<String> = claimed.iter().map(kind_of).collect::<anyhow::Result<_>>()?;
    kinds.sort();
    ensure!(
        kinds == ["credits.exhausted", "credits.low"],
        "{kinds:?} (allowance {allowance})"
    );
    for d in &claimed {
        let body: Value = serde_json::from_str(&d.body)?;
        let left = body["data"]["credits_remaining"]
            .as_u64()
            .context("remaining")?;
        match kind_of(d)?.as_str() {
            "credits.exhausted" => ensure!(left == 0),
            _ => ensure!(
                left * 5 < allowance && (left + 1) * 5 >= allowance,
                "{body}"
            ),
        }
    }
    Ok(())
}
