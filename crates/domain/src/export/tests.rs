use crate::ports::test_vault::TestVault;
use futures::executor::block_on;

use super::*;
use crate::credits::{EntryKind, Spent};
use crate::ports::mocks::Mocks;
use crate::ports::{MockCustomerStore, MockExportStore};
use crate::tenant::{AccountId, Environment};

fn tenant() -> TenantId {
    TenantId {
        account: AccountId(uuid::Uuid::from_u128(5)),
        environment: Environment::Prod,
    }
}

fn at() -> Timestamp {
    Timestamp::parse("2026-03-01T10:00:00.000Z").unwrap()
}

fn refs(from: usize, n: usize) -> Vec<CustomerRef> {
    (from..from + n)
        .map(|i| CustomerRef::from_trusted(format!("cust_{i:04}")))
        .collect()
}

fn line(n: u64) -> (u64, LedgerEntry) {
    let entry = LedgerEntry {
        kind: EntryKind::TopUp,
        credits: n,
        spent: Spent::default(),
        period_start: at(),
        call_id: None,
        note: None,
        at: at(),
    };
    (n, entry)
}

#[test]
fn pages_walk_every_customer_then_every_ledger_line_and_stop() {
    let mut export = MockExportStore::new();
    export.expect_customer_refs().returning(|_, after, limit| {
        assert_eq!(limit, PAGE);
        // A full page, then the last three.
        let page = match after {
            None => refs(0, PAGE),
            Some(r) if r.as_str() == "cust_0099" => refs(PAGE, 3),
            other => panic!("{other:?}"),
        };
        Box::pin(async move { Ok(page) })
    });
    export.expect_ledger_entries().returning(|_, after, _| {
        let page: Vec<_> = match after {
            None => (1..=100).map(line).collect(),
            Some(100) => vec![line(101)],
            other => panic!("{other:?}"),
        };
        Box::pin(async move { Ok(page) })
    });
    let mut customers = MockCustomerStore::new();
    // One customer of the second page was erased meanwhile: left out.
    customers.expect_customer_records().returning(|_, asked| {
        let found: Vec<CustomerRecord> = asked
            .iter()
            .filter(|r| r.as_str() != "cust_0101")
            .map(|r| CustomerRecord::empty(r.clone(), at()))
            .collect();
        Box::pin(async move { Ok(found) })
    });
    let service = ExportService::new(
        Mocks {
            export,
            customers,
            ..Mocks::default()
        },
        (),
        TestVault::shared(),
    );
    let mut cursor = Cursor::Customers(None);
    let (mut people, mut lines) = (Vec::new(), Vec::new());
    while let Some((page, next)) = block_on(service.page(&tenant(), cursor)).unwrap() {
        match page {
            ExportPage::Customers(c) => people.extend(c.into_iter().map(|c| c.customer_ref)),
            ExportPage::Ledger(l) => lines.extend(l.into_iter().map(|l| l.credits)),
        }
        cursor = next;
    }
    assert_eq!(people.len(), 102);
    assert_eq!(people.first().unwrap().as_str(), "cust_0000");
    assert!(!people.iter().any(|p| p.as_str() == "cust_0101"));
    assert_eq!(lines, (1..=101).collect::<Vec<u64>>());
}
