//! The contract for a tenant's data key rotation: every value re-sealed under the
//! customers' keys of the next generation, reads unchanged before, during and after,
//! lookups unchanged (indexes stay), the older keys destroyed at the end, and a link's
//! copy replaced only where it is still the one read.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, ensure};
use serde_json::json;
use stickycalls_domain::customers::CustomerRecord;
use stickycalls_domain::ports::{LinkOf, ResealedLink, SealedVariable, UnsealedStore};
use stickycalls_domain::protection::{Field, Rekeying, Scope, generation_of, needs_rekey, seal};
use time::Duration;

use super::clear_links::raw;
use super::retention::open as open_account;
use super::{StorageFactory, World};

/// Every sealed text of a stored record.
fn sealed_texts(r: &CustomerRecord) -> Vec<String> {
    let variables = r
        .variables
        .values()
        .flat_map(|v| std::iter::once(v.value.clone()).chain(v.source.clone()));
    let links = r
        .phones
        .iter()
        .filter_map(|p| p.sealed.clone())
        .chain(r.external_ids.iter().filter_map(|x| x.sealed.clone()));
    let calls = r.calls.iter().filter_map(|c| c.sealed_hints.clone());
    variables.chain(links).chain(calls).collect()
}

/// A caller with a number, an id, two calls and a variable is re-sealed under the next
/// generation; what reads back, and who a start finds, is unchanged throughout; a
/// second rotation resumed after values were written under its new keys finishes; the
/// first generation's keys are gone.
pub async fn a_tenants_data_keys_rotate_while_reads_go_on<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = open_account(&w, 1).await?;
    let number = "+14155550188";
    let start = json!({"call_id": "k1", "identity_hints": {"ani": number,
        "external_ids": {"crm": "C-7"}}});
    let who = w.start(&t, start).await?.customer_ref;
    w.end(
        &t,
        json!({"call_id": "k1", "customer_ref": who.as_str(),
        "variables": {"address": "1 Main St"}}),
    )
    .await?;
    let before = w.record(&t.id, &who).await?.context("readable")?;
    ensure!(
        before.variables["address"].value == "1 Main St"
            && before.phones[0].e164.as_e164() == number
            && before.external_ids[0].value == "C-7",
        "stored and read"
    );
    let texts = sealed_texts(&raw(&w, &t.id, &who).await?);
    ensure!(
        texts.len() >= 4 && texts.iter().all(|s| generation_of(s) == Some(1)),
        "sealed under the first generation: {} values",
        texts.len()
    );

    let rekeying = Rekeying::new(Arc::new(w.store.clone()), w.vault.clone());
    let done = rekeying.rotate(&t.id, || async {}, |_| {}).await?;
    ensure!(
        done.generation == 2
            && done.variables == 1
            && done.links == 2
            && done.calls == 1
            && done.unreadable == 0
            && done.keys_destroyed == 1,
        "one of each re-sealed, the old key destroyed: {done:?}"
    );
    let after = raw(&w, &t.id, &who).await?;
    ensure!(
        sealed_texts(&after)
            .iter()
            .all(|s| generation_of(s) == Some(2)),
        "everything under the second generation"
    );
    let scope = Scope::Customer(t.id, who.clone());
    ensure!(
        w.vault.key_of(&scope, 1).await?.is_none(),
        "the first generation's key is destroyed"
    );
    ensure!(
        w.record(&t.id, &who).await?.as_ref() == Some(&before),
        "reads back as before"
    );

    // The indexes stayed: the caller is found by number; their context opens.
    w.clock.advance(Duration::minutes(5));
    let again = w
        .start(
            &t,
            json!({"call_id": "k2", "identity_hints": {"ani": number}}),
        )
        .await?;
    ensure!(
        again.customer_ref == who,
        "found by number after the rotation"
    );

    // A second rotation: moved, then a write under the new keys before the re-sealing
    // (a node that read the new generation), then the rotation run again resumes.
    let moved = w.vault.advance(&t.id).await?;
    ensure!(moved.current == 3 && moved.from == Some(2));
    w.end(
        &t,
        json!({"call_id": "k2", "customer_ref": who.as_str(),
        "variables": {"plan": "gold"}}),
    )
    .await?;
    let mixed = raw(&w, &t.id, &who).await?;
    let generations: std::collections::BTreeSet<_> = sealed_texts(&mixed)
        .iter()
        .filter_map(|s| generation_of(s))
        .collect();
    ensure!(generations == [2, 3].into(), "half way: {generations:?}");
    let read = w.record(&t.id, &who).await?.context("readable")?;
    ensure!(
        read.variables["address"].value == "1 Main St" && read.variables["plan"].value == "gold",
        "both generations read while the rotation is under way"
    );
    let done = rekeying.rotate(&t.id, || async {}, |_| {}).await?;
    ensure!(
        done.generation == 3,
        "the rotation under way is resumed: {done:?}"
    );
    ensure!(!needs_rekey(&raw(&w, &t.id, &who).await?, 3));
    ensure!(w.vault.generation(&t.id).await?.from.is_none(), "settled");
    let read = w.record(&t.id, &who).await?.context("readable")?;
    ensure!(
        read.variables["plan"].value == "gold"
            && read.phones.len() == 1
            && read.phones[0].e164.as_e164() == number
            && read.external_ids == before.external_ids,
        "read back after the second rotation"
    );
    Ok(())
}

/// A link's copy is replaced only where the link still holds the copy read.
pub async fn a_links_copy_is_resealed_only_where_it_is_unchanged<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = open_account(&w, 1).await?;
    let start = json!({"call_id": "c1", "identity_hints": {"ani": "+14155550189",
        "external_ids": {"crm": "C-8"}}});
    let who = w.start(&t, start).await?.customer_ref;
    let r = raw(&w, &t.id, &who).await?;
    let (phone, id) = (&r.phones[0], &r.external_ids[0]);
    let link = |of: LinkOf, index: &str, was: &str| ResealedLink {
        customer: who.clone(),
        of,
        index: index.to_owned(),
        was: was.to_owned(),
        sealed: "sc1.2.replaced".to_owned(),
    };
    let crm = LinkOf::External("crm".into());
    let stale = vec![
        link(LinkOf::Phone, phone.e164.as_e164(), "sc1.other"),
        link(crm.clone(), &id.value, "sc1.other"),
        link(
            LinkOf::Phone,
            "bi1.elsewhere",
            phone.sealed.as_deref().unwrap_or_default(),
        ),
    ];
    ensure!(
        w.store.reseal_links(&t.id, stale).await? == 0,
        "nothing replaced"
    );
    ensure!(raw(&w, &t.id, &who).await? == r, "unchanged");
    let current = vec![
        link(
            LinkOf::Phone,
            phone.e164.as_e164(),
            phone.sealed.as_deref().unwrap_or_default(),
        ),
        link(crm, &id.value, id.sealed.as_deref().unwrap_or_default()),
    ];
    ensure!(
        w.store.reseal_links(&t.id, current).await? == 2,
        "both replaced"
    );
    let r = raw(&w, &t.id, &who).await?;
    ensure!(
        r.phones[0].sealed.as_deref() == Some("sc1.2.replaced")
            && r.external_ids[0].sealed.as_deref() == Some("sc1.2.replaced"),
        "the copies are the new ones"
    );
    Ok(())
}

/// A request that took the customer's old key before its node moved on and wrote after
/// the first pass read the customer: the confirming pass, after the second wait,
/// re-seals what it wrote before the old key is destroyed.
pub async fn a_late_write_under_the_old_key_is_resealed_before_it_is_destroyed<
    F: StorageFactory,
>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = open_account(&w, 1).await?;
    let start = json!({"call_id": "w1", "identity_hints": {"ani": "+14155550190"}});
    let who = w.start(&t, start).await?.customer_ref;
    w.end(
        &t,
        json!({"call_id": "w1", "customer_ref": who.as_str(),
        "variables": {"address": "1 Main St"}}),
    )
    .await?;
    let scope = Scope::Customer(t.id, who.clone());
    let old = w.vault.key_of(&scope, 1).await?.context("the first key")?;
    let waits = AtomicUsize::new(0);
    let late = || {
        let wait = waits.fetch_add(1, Ordering::SeqCst);
        let (w, t, who, scope, old) = (&w, &t, &who, &scope, &old);
        async move {
            if wait != 1 {
                return;
            }
            // Between the first pass and the confirming one: a value sealed under the
            // old key lands, as a slow request's would.
            let stored = raw(w, &t.id, who).await.expect("stored");
            let value = seal(old, scope, Field::VariableValue, "2 Late Lane", [9; 24]);
            let written = w
                .store
                .seal_variables(
                    &t.id,
                    vec![SealedVariable {
                        customer: who.clone(),
                        key: "address".into(),
                        was: stored.variables["address"].value.clone(),
                        value,
                        source: None,
                    }],
                )
                .await
                .expect("written");
            assert_eq!(written, 1, "the late write landed");
        }
    };
    let rekeying = Rekeying::new(Arc::new(w.store.clone()), w.vault.clone());
    let done = rekeying.rotate(&t.id, late, |_| {}).await?;
    ensure!(waits.load(Ordering::SeqCst) >= 2, "waited twice");
    ensure!(
        done.variables == 2 && done.keys_destroyed == 1,
        "the late value re-sealed too: {done:?}"
    );
    ensure!(!needs_rekey(&raw(&w, &t.id, &who).await?, 2));
    let read = w.record(&t.id, &who).await?.context("readable")?;
    ensure!(
        read.variables["address"].value == "2 Late Lane",
        "the late value reads back after the old key is gone"
    );
    Ok(())
}
