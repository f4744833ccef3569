//! The contract of identity settings and calibration: each tenant's settings document
//! kept apart from every other's, and each call's verdict kept with it and counted
//! back by start confidence, sources and verdict (standalone ends left out).

use anyhow::ensure;
use serde_json::json;
use stickycalls_domain::identity::{IdentitySettings, Recommendation, calibrate};
use stickycalls_domain::ports::{Clock, IdentityStore};
use stickycalls_domain::tenant::Environment;
use time::Duration;

use super::{StorageFactory, World, tenant, test_tenant};

/// Saved settings read back whole for their tenant and environment only; saving again
/// replaces them.
pub async fn identity_settings_are_kept_per_tenant<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let (t, prod, other) = (
        test_tenant().id,
        tenant(1, Environment::Prod).id,
        tenant(2, Environment::Test).id,
    );
    ensure!(w.store.identity_settings(&t).await?.is_none());
    let raw = serde_json::from_value(json!({
        "default_region": "GB",
        "withheld_anis": ["Anonymous", "Número privado"],
        "weights": {"external_id": 0.55},
        "thresholds": {"reuse": 0.6, "confirm": 0.2},
        "attestation_policy": {"a_allows_reuse_alone": false},
        "learning": true
    }))?;
    let settings = IdentitySettings::parse(raw)?;
    w.store
        .save_identity_settings(&t, &settings, w.clock.now())
        .await?;
    ensure!(w.store.identity_settings(&t).await? == Some(settings.clone()));
    ensure!(w.store.identity_settings(&prod).await?.is_none());
    ensure!(w.store.identity_settings(&other).await?.is_none());
    let replaced = IdentitySettings::default();
    w.clock.advance(Duration::seconds(1));
    w.store
        .save_identity_settings(&t, &replaced, w.clock.now())
        .await?;
    ensure!(w.store.identity_settings(&t).await? == Some(replaced));
    Ok(())
}

/// A missed caller, a reuse kept, a reuse corrected, an unconfirmed new caller and a
/// standalone end: counted back as the domain judged them, per tenant and window.
pub async fn ends_judge_their_starts<F: StorageFactory>(factory: &F) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 10).await?;
    let since = w.clock.now();
    let mobile = |id: &str| json!({"call_id": id, "identity_hints": {"ani": "+14155550030"}, "telco": {"line_type": "mobile"}});
    w.start(&t, mobile("j1")).await?;
    w.end(&t, json!({"call_id": "j1", "customer_ref": "cust_ann"}))
        .await?;
    w.clock.advance(Duration::hours(1));
    let second = w.clock.now();
    let kept = w.start(&t, mobile("j2")).await?;
    ensure!(kept.recommendation() == Recommendation::Reuse, "{kept:?}");
    w.end(&t, json!({"call_id": "j2"})).await?;
    w.clock.advance(Duration::hours(1));
    let corrected = w.start(&t, mobile("j3")).await?;
    ensure!(corrected.recommendation() == Recommendation::Reuse);
    w.end(&t, json!({"call_id": "j3", "customer_ref": "cust_bob"}))
        .await?;
    w.start(
        &t,
        json!({"call_id": "j4", "identity_hints": {"ani": "+14155550031"}}),
    )
    .await?;
    w.end(&t, json!({"call_id": "j4"})).await?;
    w.end(&t, json!({"call_id": "j5", "customer_ref": "cust_ann"}))
        .await?;

    let groups = w.store.judged_calls(&t.id, since, None).await?;
    let c = calibrate(&groups);
    ensure!((c.calls, c.confirmed) == (4, 3), "{c:?}");
    let bin = |i: usize| (c.bins[i].calls, c.bins[i].correct);
    let reused_bin = usize::from(kept.confidence.hundredths() / 10);
    ensure!(bin(0) == (1, 0), "{c:?}");
    ensure!(bin(reused_bin) == (2, 1), "{c:?}");
    ensure!(c.reuse.precision == Some(0.5), "{c:?}");
    ensure!(c.reuse.recall == Some(0.333333), "{c:?}");
    ensure!(
        groups
            .iter()
            .any(|g| g.sources.iter().any(|s| s == "ani:mobile")),
        "{groups:?}"
    );

    let later = w.clock.now() + Duration::minutes(1);
    ensure!(w.store.judged_calls(&t.id, later, None).await?.is_empty());
    let other = tenant(2, Environment::Test).id;
    ensure!(w.store.judged_calls(&other, since, None).await?.is_empty());
    // A span ends before its bound: only the first call started before the second.
    let first = w.store.judged_calls(&t.id, since, Some(second)).await?;
    ensure!(calibrate(&first).calls == 1, "{first:?}");
    let rest = w.store.judged_calls(&t.id, second, None).await?;
    ensure!(calibrate(&rest).calls == 3, "{rest:?}");
    Ok(())
}
