//! The contract of rolled up days: a settled day read from its rollup reads as it was
//! counted from the calls, each day is kept once, and a day not yet settled (or today)
//! is still counted live.

use std::collections::BTreeSet;

use anyhow::ensure;
use serde_json::json;
use stickycalls_domain::accounts::NewAccount;
use stickycalls_domain::identity::calibrate;
use stickycalls_domain::ports::{AccountStore, Clock, RetentionStore, RollupStore};
use stickycalls_domain::tenant::Environment;
use stickycalls_domain::usage::rollup::midnight;
use stickycalls_domain::usage::{Rollups, UsageService, judged_since};
use time::Duration;

use super::manage::{free, key};
use super::{StorageFactory, World, ani_start, tenant, test_tenant};

/// Three days of calls; the two settled ones rolled (once, for every tenant of the
/// account, over the job's whole window), then reports equal to the live ones, still
/// equal once the rolled days' calls are gone (they are read from the rollups), with
/// today's new calls counted live.
pub async fn rolled_days_read_as_they_were_counted<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.store
        .create_account(NewAccount {
            id: t.id.account,
            name: "Rolled".into(),
            email: None,
            keys: vec![key("r000000000000001", Environment::Test, "default")],
            plan: free(100),
            created_at: w.clock.now(),
        })
        .await?;
    w.grant(&t.id, 20).await?;
    let day_a = w.clock.now().get().date();
    let since = midnight(day_a) - Duration::hours(1);
    // Day A: a new caller with an intent, the same caller again (matched, resolved,
    // confirmed), a standalone end.
    w.start(&t, ani_start("r1", "+14155550401")).await?;
    w.end(
        &t,
        json!({"call_id": "r1", "intent": "refund", "intent_status": "open"}),
    )
    .await?;
    w.clock.advance(Duration::hours(1));
    let matched = w.start(&t, ani_start("r2", "+14155550401")).await?;
    w.end(
        &t,
        json!({"call_id": "r2", "customer_ref": matched.customer_ref.as_str(),
               "intent": "refund", "intent_status": "resolved"}),
    )
    .await?;
    w.end(
        &t,
        json!({"call_id": "r3", "customer_ref": matched.customer_ref.as_str()}),
    )
    .await?;
    // Day B, then day C (not settled when the job runs on day D).
    w.clock.advance(Duration::days(1));
    w.start(&t, ani_start("r4", "+14155550402")).await?;
    w.clock.advance(Duration::days(1));
    w.start(&t, ani_start("r5", "+14155550403")).await?;
    w.clock.advance(Duration::days(1));
    let (day_b, day_d) = (day_a + Duration::days(1), w.clock.now().get().date());

    let usage = UsageService::new(w.store.clone(), w.ledger.clone(), w.clock.clone());
    let window = (day_a.to_string(), day_d.to_string());
    let window = (Some(window.0.as_str()), Some(window.1.as_str()));
    let report = usage.report(&t.id, window.0, window.1).await?;
    let ledger = usage.ledger(&t.id, window.0, window.1).await?;
    let judged = judged_since(&w.store, &t.id, since, w.clock.now()).await?;
    ensure!(report.days.len() == 3, "{report:?}");
    ensure!(calibrate(&judged).calls == 4, "{judged:?}");

    let rollups = Rollups::new(w.store.clone(), w.clock.clone());
    let kept = rollups.roll_due().await?;
    // 30 settled days of the job's window, for each of the account's two tenants.
    ensure!(kept == 60, "kept {kept}");
    ensure!(rollups.roll_due().await? == 0, "a day is kept once");
    let rolled = w.store.rolled_days(&t.id, day_a, day_d).await?;
    ensure!(rolled == BTreeSet::from([day_a, day_b]), "{rolled:?}");
    let other = tenant(2, Environment::Test).id;
    ensure!(w.store.rolled(&other, day_a, day_d).await?.is_empty());

    ensure!(usage.report(&t.id, window.0, window.1).await? == report);
    ensure!(usage.ledger(&t.id, window.0, window.1).await? == ledger);
    ensure!(judged_since(&w.store, &t.id, since, w.clock.now()).await? == judged);

    // The rolled days' calls deleted: their figures are read from the rollups.
    let deleted = w
        .store
        .delete_calls_started_before(&t.id, midnight(day_b + Duration::days(1)), 100)
        .await?;
    ensure!(deleted == 4, "deleted {deleted}");
    ensure!(usage.report(&t.id, window.0, window.1).await? == report);
    ensure!(judged_since(&w.store, &t.id, since, w.clock.now()).await? == judged);

    // Today is counted live.
    w.start(&t, ani_start("r6", "+14155550404")).await?;
    let now = usage.report(&t.id, window.0, window.1).await?;
    ensure!(now.days.len() == 4, "{now:?}");
    ensure!(now.days[..3] == report.days[..], "{now:?}");
    ensure!(now.days[3].day == day_d && now.days[3].calls_started == 1);
    let judged_now = judged_since(&w.store, &t.id, since, w.clock.now()).await?;
    ensure!(calibrate(&judged_now).calls == 5, "{judged_now:?}");
    Ok(())
}
