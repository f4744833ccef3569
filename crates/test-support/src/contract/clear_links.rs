//! The contract for links written before encryption: a number or an external id linked
//! in clear is found by a start and a search (which move it to its index first), the
//! background migration moves the rest, and a link written by index since is folded
//! into the moved one (one row, its earliest `linked_at`).

use std::sync::Arc;

use anyhow::{Context, ensure};
use serde_json::json;
use stickycalls_domain::calls::CallService;
use stickycalls_domain::customers::{CustomerRecord, CustomerService};
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::ports::{CustomerStore, LinkOf, MovedLink, UnsealedStore};
use stickycalls_domain::protection::{ClearLinks, SealingMigration, is_index};
use stickycalls_domain::tenant::TenantId;
use time::Duration;

use super::retention::open as open_account;
use super::{StorageFactory, World, ani_start};
use crate::fakes::SequentialIds;

const NUMBER: &str = "+14155550177";

/// One customer's record as stored.
pub(super) async fn raw<F: StorageFactory>(
    w: &World<F>, tenant: &TenantId, who: &CustomerRef,
) -> anyhow::Result<CustomerRecord> {
    w.store
        .customer_records(tenant, std::slice::from_ref(who))
        .await?
        .pop()
        .context("the customer is stored")
}

/// The customer's links put back in clear, as a version before encryption wrote them.
fn to_clear(record: &CustomerRecord, number: &str) -> Vec<MovedLink> {
    let phones = record.phones.iter().map(|p| MovedLink {
        customer: record.customer_ref.clone(),
        of: LinkOf::Phone,
        from: p.e164.as_e164().to_owned(),
        to: number.to_owned(),
        sealed: None,
    });
    let ids = record.external_ids.iter().map(|x| MovedLink {
        customer: record.customer_ref.clone(),
        of: LinkOf::External(x.namespace.clone()),
        from: x.value.clone(),
        to: "C-1".to_owned(),
        sealed: None,
    });
    phones.chain(ids).collect()
}

/// A caller linked in clear is identified by a start and found by a search, each of
/// which moves what it looked up; the migration moves the rest and folds a link written
/// by index meanwhile into the old one; every link then reads back as it was.
pub async fn links_stored_in_clear_are_found_and_moved<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = open_account(&w, 1).await?;
    let body = json!({"call_id": "l1", "identity_hints": {"ani": NUMBER,
        "external_ids": {"crm": "C-1"}}});
    let who = w.start(&t, body).await?.customer_ref;
    let stored = raw(&w, &t.id, &who).await?;
    let first_linked = stored.phones[0].linked_at;
    ensure!(
        w.store.move_links(&t.id, to_clear(&stored, NUMBER)).await? == 2,
        "the number and the id put in clear"
    );
    let clear = w.store.links_in_clear(&t.id, 500).await?;
    ensure!(
        clear.len() == 2
            && clear
                .iter()
                .any(|l| l.of == LinkOf::Phone && l.value == NUMBER),
        "both found in clear: {clear:?}"
    );

    let links = Arc::new(ClearLinks::new(w.store.clone(), w.vault.clone()));
    let calls = CallService::new(
        w.store.clone(),
        w.ledger.clone(),
        w.clock.clone(),
        SequentialIds,
        w.vault.clone(),
    )
    .touching(links.clone());
    w.clock.advance(Duration::minutes(5));
    let again = calls
        .start(&t, serde_json::from_value(ani_start("l2", NUMBER))?)
        .await?;
    ensure!(
        again.customer_ref == who,
        "the caller is identified by a number linked in clear"
    );
    let after = raw(&w, &t.id, &who).await?;
    ensure!(
        after.phones.len() == 1
            && is_index(after.phones[0].e164.as_e164())
            && after.phones[0].sealed.is_some()
            && after.phones[0].linked_at == first_linked,
        "the number moved to its index, sealed, its link kept: {:?}",
        after.phones
    );
    let search = CustomerService::new(w.store.clone(), w.clock.clone(), w.vault.clone())
        .touching(links.clone());
    let found = search.search(&t, None, Some("crm:C-1")).await?;
    ensure!(
        found.len() == 1 && found[0].customer_ref == who,
        "found by an id linked in clear"
    );
    ensure!(
        w.store.links_in_clear(&t.id, 500).await?.is_empty(),
        "what was looked up moved"
    );

    // The number in clear again, then linked by index by an end naming the customer:
    // two rows for one link until the migration folds them.
    let stored = raw(&w, &t.id, &who).await?;
    let phone_only: Vec<_> = to_clear(&stored, NUMBER)
        .into_iter()
        .filter(|m| m.of == LinkOf::Phone)
        .collect();
    ensure!(w.store.move_links(&t.id, phone_only).await? == 1);
    w.clock.advance(Duration::minutes(5));
    let end = json!({"call_id": "l3", "customer_ref": who.as_str(),
        "identity_hints": {"ani": NUMBER}});
    w.end(&t, end).await?;
    ensure!(
        raw(&w, &t.id, &who).await?.phones.len() == 2,
        "linked twice: in clear and by index"
    );
    let migration = SealingMigration::new(w.store.clone(), w.vault.clone()).moving(links.clone());
    let done = migration.run(|_, _| {}).await?;
    ensure!(done.links == 1, "one link moved: {done:?}");
    ensure!(
        !links.may_remain(),
        "lookups stop looking once the migration is through"
    );
    let folded = raw(&w, &t.id, &who).await?;
    ensure!(
        folded.phones.len() == 1
            && is_index(folded.phones[0].e164.as_e164())
            && folded.phones[0].linked_at == first_linked,
        "one row, linked when it first was: {:?}",
        folded.phones
    );
    let opened = w.record(&t.id, &who).await?.context("readable")?;
    ensure!(
        opened.phones.len() == 1
            && opened.phones[0].e164.as_e164() == NUMBER
            && opened.external_ids.len() == 1
            && opened.external_ids[0].value == "C-1",
        "read back as they were"
    );
    ensure!(
        migration.run(|_, _| {}).await?.links == 0
            && w.store.links_in_clear(&t.id, 500).await?.is_empty(),
        "nothing left in clear"
    );
    Ok(())
}
