//! The SQLite adapter: the same storage contract suite as PostgreSQL, on a fresh
//! database file per test.

use stickycalls_sqlite::{SqliteLedger, SqliteSettings, SqliteStore, run_migrations};
use stickycalls_test_support::contract::{Storage, StorageFactory};
use stickycalls_test_support::fakes::billing_on;

/// A database file in a directory removed when the test ends.
struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Sqlite;

impl StorageFactory for Sqlite {
    type Store = SqliteStore;
    type Ledger = SqliteLedger;

    async fn create(&self) -> anyhow::Result<Storage<SqliteStore, SqliteLedger>> {
        let dir = std::env::temp_dir().join(format!(
            "stickycalls-sqlite-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("test.db").to_string_lossy().into_owned();
        run_migrations(&path).await?;
        let store = SqliteStore::new(&SqliteSettings::new(&path), billing_on())?;
        let ledger = SqliteLedger::new(store.clone());
        Ok(Storage {
            store,
            ledger,
            guard: Box::new(TempFile(dir)),
        })
    }
}

stickycalls_test_support::storage_contract!(Sqlite);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_idempotent() {
    let dir = std::env::temp_dir().join(format!(
        "stickycalls-sqlite-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let _guard = TempFile(dir.clone());
    let path = dir
        .join("nested")
        .join("db.sqlite")
        .to_string_lossy()
        .into_owned();
    let shipped = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../migrations/sqlite"
    ))
    .unwrap()
    .filter(|e| e.as_ref().unwrap().path().is_dir())
    .count();
    assert_eq!(
        run_migrations(&path).await.unwrap(),
        shipped,
        "creates the directory and the schema"
    );
    assert_eq!(run_migrations(&path).await.unwrap(), 0);
}

/// The committed `src/schema.rs` is what `diesel print-schema` prints for a database
/// built by the migrations. `UPDATE_SCHEMA=1` rewrites the file instead (`make schema`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the diesel CLI: run by `make check-schema`"]
async fn committed_schema_matches_migrations() {
    let dir = std::env::temp_dir().join(format!(
        "stickycalls-sqlite-schema-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let _guard = TempFile(dir.clone());
    let path = dir.join("schema.db").to_string_lossy().into_owned();
    run_migrations(&path).await.unwrap();
    stickycalls_test_support::schema::assert_schema_matches(
        &path,
        env!("CARGO_MANIFEST_DIR"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/src/schema.rs"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keyring_file_keeps_destroys_and_ties_keys() {
    let dir = std::env::temp_dir().join(format!(
        "stickycalls-keyring-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let _cleanup = TempFile(dir.clone());
    let path = stickycalls_sqlite::keyring_path(&dir.join("test.db").to_string_lossy());
    assert!(!stickycalls_sqlite::SqliteKeyring::exists(&path));
    let keyring = stickycalls_sqlite::SqliteKeyring::open(&path).unwrap();
    stickycalls_test_support::contract::keyring_contract(keyring)
        .await
        .unwrap();
    assert!(stickycalls_sqlite::SqliteKeyring::exists(&path));
}

/// The audit trail's table refuses UPDATE and DELETE from any connection, not only the
/// store's: its lines stay as they were added.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_refuses_changes() {
    use diesel::{Connection, RunQueryDsl};
    use stickycalls_domain::audit::AuditFilter;
    use stickycalls_domain::ports::AuditStore;
    use stickycalls_domain::tenant::AccountId;

    let storage = Sqlite.create().await.unwrap();
    let account = AccountId(uuid::Uuid::from_u128(5));
    let entry = stickycalls_test_support::contract::operator_line();
    storage.store.append_audit(&account, &entry).await.unwrap();
    let dir = storage.guard.downcast_ref::<TempFile>().unwrap().0.clone();
    let path = dir.join("test.db").to_string_lossy().into_owned();
    let mut conn = diesel::SqliteConnection::establish(&path).unwrap();
    for sql in [
        "UPDATE audit_log SET action = 'plan.changed'",
        "DELETE FROM audit_log",
    ] {
        let refused = diesel::sql_query(sql).execute(&mut conn).unwrap_err();
        assert!(
            refused.to_string().contains("append-only"),
            "{sql}: {refused}"
        );
    }
    let lines = storage
        .store
        .list_audit(&account, &AuditFilter::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].1, entry);
}
