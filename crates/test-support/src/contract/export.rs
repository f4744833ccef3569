//! The export contract: a whole tenant, page by page: every customer once, in
//! reference order, with their record; every ledger line once, in order; nothing of
//! another tenant.

use anyhow::ensure;
use stickycalls_domain::credits::EntryKind;
use stickycalls_domain::export::{ExportPage, ExportService, PAGE};
use stickycalls_domain::ports::ExportStore;
use stickycalls_domain::tenant::Environment;

use super::{StorageFactory, World, ani_start, concurrent_starts, tenant, test_tenant};

/// A tenant of more than a page of customers is exported whole, and only its own.
pub async fn a_whole_tenant_is_exported_page_by_page<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()>
where
    F::Store: 'static,
    F::Ledger: 'static,
{
    let w = World::new(factory).await?;
    let (t, other) = (test_tenant(), tenant(2, Environment::Test));
    let n = PAGE as u64 + 5;
    w.grant(&t.id, n).await?;
    let (started, refused) = concurrent_starts(&w, &t, "x", "+1415556", n).await?;
    ensure!((started, refused) == (n, 0), "{started} {refused}");
    w.grant(&other.id, 5).await?;
    w.start(&other, ani_start("o1", "+14155550999")).await?;
    ensure!(
        w.store.customer_refs(&t.id, None, 1000).await?.len() == PAGE + 5,
        "every customer listed"
    );

    let service = ExportService::new(w.store.clone(), w.clock.clone(), w.vault.clone());
    let (head, mut cursor) = service.begin(&t.id).await?;
    ensure!(head.tenant == t.id && head.webhooks.is_empty());
    let (mut people, mut lines, mut pages) = (Vec::new(), Vec::new(), 0);
    while let Some((page, next)) = service.page(&t.id, cursor).await? {
        pages += 1;
        match page {
            ExportPage::Customers(c) => people.extend(c),
            ExportPage::Ledger(l) => lines.extend(l),
        }
        cursor = next;
    }
    ensure!(
        pages >= 3,
        "more than a page of customers, then the ledger: {pages}"
    );
    let refs: Vec<&str> = people.iter().map(|p| p.customer_ref.as_str()).collect();
    let mut sorted = refs.clone();
    sorted.sort_unstable();
    sorted.dedup();
    ensure!(
        refs == sorted && refs.len() == PAGE + 5,
        "each once, in order"
    );
    ensure!(
        people
            .iter()
            .all(|p| p.calls.len() == 1 && p.phones.len() == 1),
        "each with their record"
    );
    let debits = lines.iter().filter(|l| l.kind == EntryKind::Debit).count();
    ensure!(debits == PAGE + 5, "{debits} debits");
    ensure!(
        lines
            .iter()
            .any(|l| l.kind == EntryKind::TopUp && l.credits == n),
        "the grant"
    );
    ensure!(lines.windows(2).all(|w| w[0].at <= w[1].at), "in order");
    Ok(())
}
