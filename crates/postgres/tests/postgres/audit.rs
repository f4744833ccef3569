//! The audit trail's table refuses UPDATE, DELETE and TRUNCATE from any session, not
//! only the store's: its lines stay as they were added.

use stickycalls_domain::audit::AuditFilter;
use stickycalls_domain::ports::AuditStore;
use stickycalls_domain::tenant::AccountId;
use stickycalls_postgres::{PgSettings, PgStore};
use stickycalls_test_support::fakes::billing_on;

use super::{connect, database};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_refuses_changes() {
    let db = database().await;
    let store = PgStore::new(&PgSettings::new(&db.url), billing_on()).unwrap();
    let account = AccountId(uuid::Uuid::from_u128(5));
    let entry = stickycalls_test_support::contract::operator_line();
    store.append_audit(&account, &entry).await.unwrap();
    let client = connect(&db.url).await;
    for sql in [
        "UPDATE audit_log SET action = 'plan.changed'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let refused = client.batch_execute(sql).await.unwrap_err();
        let message = refused.as_db_error().map(|e| e.message().to_owned());
        assert!(
            message
                .as_deref()
                .is_some_and(|m| m.contains("append-only")),
            "{sql}: {refused:?}"
        );
    }
    let lines = store
        .list_audit(&account, &AuditFilter::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].1, entry);
}
