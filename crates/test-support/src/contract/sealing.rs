//! The sealing contract: a store keeps a variable's value as the ciphertext it is
//! handed and gives it back byte for byte; the service opens it; a byte altered in the
//! store fails that customer's read, named, and no other customer's.

use anyhow::{Context, ensure};
use serde_json::json;
use stickycalls_domain::calls::StartCallError;
use stickycalls_domain::customers::CustomerService;
use stickycalls_domain::ports::{CallStore, Clock, CustomerStore, SealedCall, UnsealedStore};
use stickycalls_domain::protection::{Sealer, SealingMigration};
use stickycalls_domain::tenant::Environment;
use stickycalls_domain::variables::{StoredVariable, Ttl, VariableWrite};

use super::retention::open as open_account;
use super::{StorageFactory, World, ani_start, test_tenant};

/// A variable is stored sealed, read back in clear, and a tampered one is caught.
pub async fn variables_are_stored_sealed_and_tampering_is_caught<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 10).await?;
    let first = w.start(&t, ani_start("s1", "+14155550101")).await?;
    let end = json!({"call_id": "s1", "variables": {"address": "4 Elm Street"}});
    w.end(&t, end).await?;
    w.start(&t, ani_start("s2", "+14155550102")).await?;
    let end = json!({"call_id": "s2", "variables": {"address": "9 Oak Road"}});
    w.end(&t, end).await?;

    let raw = w
        .store
        .customer_records(&t.id, std::slice::from_ref(&first.customer_ref))
        .await?;
    let stored = raw[0].variables["address"].clone();
    ensure!(
        stored.value.starts_with("sc1.") && !stored.value.contains("Elm"),
        "the store holds a ciphertext"
    );
    let again = w.start(&t, ani_start("s3", "+14155550101")).await?;
    ensure!(
        again.variables["address"].value == "4 Elm Street",
        "read back in clear"
    );

    let mut altered = stored.clone();
    let at = altered.value.len() - 5;
    let flipped = if &altered.value[at..=at] == "A" {
        "B"
    } else {
        "A"
    };
    altered.value.replace_range(at..=at, flipped);
    let write = VariableWrite::Set {
        key: "address".into(),
        variable: altered,
    };
    w.store
        .write_variables(&t.id, &first.customer_ref, vec![write], w.clock.now())
        .await?;
    match w.start(&t, ani_start("s4", "+14155550101")).await {
        Err(StartCallError::Store(e)) => {
            let said = format!("{e:#}");
            ensure!(
                said.contains("did not open") && said.contains("address"),
                "{said}"
            );
        }
        other => anyhow::bail!("a tampered value was served: {other:?}"),
    }
    let fine = w.start(&t, ani_start("s5", "+14155550102")).await?;
    ensure!(
        fine.variables["address"].value == "9 Oak Road",
        "other customers are read"
    );
    Ok(())
}

/// Numbers and external ids are stored as blind indexes with sealed copies: starts,
/// ends and searches find the same customers as by value, reads show the values, and
/// another tenant's index of the same number differs.
pub async fn numbers_and_ids_are_found_by_blind_index<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    let other = super::tenant(2, Environment::Test);
    w.grant(&t.id, 10).await?;
    w.grant(&other.id, 10).await?;
    let hints =
        json!({"ani": "+14155550123", "dnis": "+18005550100", "external_ids": {"crm": "C-77"}});
    let first = w
        .start(&t, json!({"call_id": "b1", "identity_hints": hints}))
        .await?;
    let who = first.customer_ref.clone();
    w.end(&t, json!({"call_id": "b1"})).await?;
    // Returning by number alone; the end adds a CRM id seen for the first time.
    let again = w.start(&t, ani_start("b2", "+14155550123")).await?;
    ensure!(
        again.customer_ref == who,
        "found again by the number's index"
    );
    let end = json!({"call_id": "b2", "identity_hints": {"external_ids": {"billing": "B-9"}}});
    w.end(&t, end).await?;
    let by_id = w
        .start(
            &t,
            json!({"call_id": "b3", "identity_hints": {"external_ids": {"billing": "B-9"}}}),
        )
        .await?;
    ensure!(
        by_id.customer_ref == who,
        "found by the external id's index"
    );
    let elsewhere = w.start(&other, ani_start("o1", "+14155550123")).await?;

    let raw = w
        .store
        .customer_records(&t.id, std::slice::from_ref(&who))
        .await?;
    let stored = &raw[0];
    let clear = ["4155550123", "8005550100", "C-77", "B-9"];
    let mut texts: Vec<String> = stored
        .phones
        .iter()
        .map(|p| p.e164.as_e164().to_owned())
        .collect();
    texts.extend(stored.external_ids.iter().map(|x| x.value.clone()));
    for call in &stored.calls {
        texts.extend(call.hints.phone().map(|p| p.as_e164().to_owned()));
        texts.extend(call.hints.dnis.clone());
        texts.extend(call.hints.external_ids.values().cloned());
        texts.extend(call.sealed_hints.clone());
    }
    texts.extend(stored.phones.iter().filter_map(|p| p.sealed.clone()));
    texts.extend(stored.external_ids.iter().filter_map(|x| x.sealed.clone()));
    for text in &texts {
        // An index (`bi1.`) or a sealed value (`sc1.`) is random-looking base64url, in
        // which a short clear value's characters can turn up by chance (`...yB-9Ca...`
        // did): such a text is not searched; any other text must not hold a clear value.
        let encoded = text.starts_with("bi1.") || text.starts_with("sc1.");
        ensure!(
            encoded || !clear.iter().any(|c| text.contains(c)),
            "stored in clear: {text}"
        );
    }
    ensure!(
        stored.phones.len() == 1 && stored.phones[0].e164.as_e164().starts_with("bi1."),
        "the number's link is its index"
    );
    let theirs = w
        .store
        .customer_records(&other.id, std::slice::from_ref(&elsewhere.customer_ref))
        .await?;
    ensure!(
        theirs[0].phones[0].e164 != stored.phones[0].e164,
        "each tenant indexes under its own key"
    );

    let record = w.record(&t.id, &who).await?.context("record")?;
    let numbers: Vec<&str> = record.phones.iter().map(|p| p.e164.as_e164()).collect();
    ensure!(numbers == ["+14155550123"], "{numbers:?}");
    let mut ids: Vec<(&str, &str)> = record
        .external_ids
        .iter()
        .map(|x| (x.namespace.as_str(), x.value.as_str()))
        .collect();
    ids.sort();
    ensure!(ids == [("billing", "B-9"), ("crm", "C-77")], "{ids:?}");
    let b1 = record
        .calls
        .iter()
        .find(|c| c.call_id.as_str() == "b1")
        .context("b1")?;
    ensure!(
        b1.hints.phone().map(|p| p.as_e164()) == Some("+14155550123")
            && b1.hints.dnis.as_deref() == Some("+18005550100")
            && b1.hints.external_ids.get("crm").map(String::as_str) == Some("C-77"),
        "a call's hints read back: {:?}",
        b1.hints
    );

    let search = CustomerService::new(w.store.clone(), w.clock.clone(), w.vault.clone());
    for (ani, id) in [
        (Some("+14155550123"), None),
        (None, Some("crm:C-77")),
        (None, Some("billing:B-9")),
    ] {
        let found = search.search(&t, ani, id).await?;
        ensure!(
            found.len() == 1 && found[0].customer_ref == who,
            "search {ani:?} {id:?}"
        );
    }
    ensure!(
        search
            .search(&t, None, Some("billing:C-77"))
            .await?
            .is_empty(),
        "namespaced"
    );
    let theirs = search.search(&other, Some("+14155550123"), None).await?;
    ensure!(theirs.len() == 1 && theirs[0].customer_ref == elsewhere.customer_ref);
    Ok(())
}

/// Variables stored in clear (by a version before encryption) are sealed in place by the
/// migration, read back the same, and a second run finds nothing; a value written since
/// the migration read its batch is not overwritten.
pub async fn values_stored_in_clear_are_sealed_by_the_migration<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = open_account(&w, 1).await?;
    let mut customers = Vec::new();
    for (call, ani) in [("m1", "+14155550111"), ("m2", "+14155550112")] {
        customers.push(w.start(&t, ani_start(call, ani)).await?.customer_ref);
    }
    let plain = |value: &str, source: Option<&str>| StoredVariable {
        value: value.into(),
        source: source.map(Into::into),
        ttl: Ttl::DEFAULT,
        expires_at: w.clock.now() + time::Duration::days(30),
    };
    // Written as a version before encryption wrote them: in clear.
    for (customer, value) in customers.iter().zip(["4 Elm Street", "9 Oak Road"]) {
        let writes = vec![
            VariableWrite::Set {
                key: "address".into(),
                variable: plain(value, Some("agent Ana")),
            },
            VariableWrite::Set {
                key: "plan".into(),
                variable: plain("gold", None),
            },
        ];
        w.store
            .write_variables(&t.id, customer, writes, w.clock.now())
            .await?;
    }
    ensure!(
        w.store.unsealed_variables(&t.id, 500).await?.len() == 4,
        "four values in clear"
    );
    // A batch read, then one value rewritten (sealed) before the batch is stored: the
    // stale replacement is refused, the others land.
    let read = w.store.unsealed_variables(&t.id, 500).await?;
    let newer = StoredVariable {
        value: "sc1.written-since".into(),
        ..plain("", None)
    };
    w.store
        .write_variables(
            &t.id,
            &customers[1],
            vec![VariableWrite::Set {
                key: "plan".into(),
                variable: newer,
            }],
            w.clock.now(),
        )
        .await?;
    let stale: Vec<_> = read
        .into_iter()
        .filter(|r| r.customer == customers[1] && r.key == "plan")
        .map(|r| stickycalls_domain::ports::SealedVariable {
            customer: r.customer,
            key: r.key,
            was: r.value,
            value: "sc1.stale".into(),
            source: None,
        })
        .collect();
    ensure!(
        w.store.seal_variables(&t.id, stale).await? == 0,
        "a value rewritten since it was read is not replaced"
    );

    let migration = SealingMigration::new(w.store.clone(), w.vault.clone());
    let mut heard = Vec::new();
    let done = migration.run(|_, n| heard.push(n)).await?;
    ensure!(
        done.variables == 3,
        "three left in clear were sealed: {done:?}"
    );
    ensure!(heard.last() == Some(&3), "progress heard: {heard:?}");
    let raw = w.store.customer_records(&t.id, &customers).await?;
    for record in &raw {
        let address = &record.variables["address"];
        ensure!(
            address.value.starts_with("sc1.")
                && address
                    .source
                    .as_deref()
                    .is_some_and(|s| s.starts_with("sc1.")),
            "sealed in place: {address:?}"
        );
    }
    ensure!(
        raw[1].variables["plan"].value == "sc1.written-since",
        "the newer write stays"
    );
    let again = w.start(&t, ani_start("m3", "+14155550111")).await?;
    ensure!(
        again.variables["address"].value == "4 Elm Street"
            && again.variables["address"].source.as_deref() == Some("agent Ana")
            && again.variables["plan"].value == "gold",
        "read back the same: {:?}",
        again.variables
    );
    ensure!(
        migration.run(|_, _| {}).await?.variables == 0,
        "a second run finds nothing"
    );
    calls_stored_in_clear_are_sealed(&w, &t, &migration).await
}

/// A call whose hints a version before encryption stored in clear is indexed and sealed
/// by the migration, and its hints read back the same.
async fn calls_stored_in_clear_are_sealed<F: StorageFactory>(
    w: &World<F>, t: &stickycalls_domain::tenant::Tenant, migration: &SealingMigration<F::Store>,
) -> anyhow::Result<()> {
    let body = json!({"call_id": "k1", "identity_hints": {"ani": "+14155550119",
        "dnis": "+18005550100", "external_ids": {"crm": "CRM-77"}}});
    w.start(t, body).await?;
    let call_id = stickycalls_domain::calls::CallId::parse("k1")?;
    let stored = w
        .store
        .find_call(&t.id, &call_id)
        .await?
        .context("stored")?;
    let sealer = Sealer::new(w.vault.clone());
    let mut plain = sealer.open_call(&t.id, stored.clone()).await?;
    let original = plain.hints.clone();
    plain.sealed_hints = None;
    // Written back as a version before encryption stored it.
    let planted = SealedCall {
        was: stored,
        now: plain,
    };
    ensure!(w.store.seal_calls(&t.id, vec![planted]).await? == 1);
    let legacy = w.store.unsealed_calls(&t.id, 500).await?;
    ensure!(
        legacy.len() == 1 && legacy[0].hints == original,
        "the call is found in clear: {legacy:?}"
    );

    let done = migration.run(|_, _| {}).await?;
    ensure!(
        (done.calls, done.calls_unreadable) == (1, 0),
        "one call sealed: {done:?}"
    );
    let raw = w.store.find_call(&t.id, &call_id).await?.context("kept")?;
    let phone = raw
        .hints
        .phone()
        .map(|p| p.as_e164().to_owned())
        .unwrap_or_default();
    ensure!(
        phone.starts_with("bi1.")
            && raw.hints.dnis.is_none()
            && raw
                .hints
                .external_ids
                .values()
                .all(|v| v.starts_with("bi1."))
            && raw.sealed_hints.is_some(),
        "indexed and sealed: {raw:?}"
    );
    let opened = sealer.open_call(&t.id, raw).await?;
    ensure!(opened.hints == original, "read back the same");
    ensure!(
        w.store.unsealed_calls(&t.id, 500).await?.is_empty()
            && migration.run(|_, _| {}).await?.calls == 0,
        "nothing left in clear"
    );
    Ok(())
}
