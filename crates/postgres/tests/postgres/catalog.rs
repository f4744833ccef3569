//! The schema is ready for Citus (docs/SCALING.md): every table is either distributed by
//! tenant (the tenant key in its primary key, in every unique index, and on both sides
//! of every foreign key to another distributed table), by account (the audit trail,
//! read per account: the account key in the same places), or a reference table that
//! points at no distributed one; `deploy/citus/distribute.sql` names each table as such.

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::Client;

use super::{connect, database};

const KEY: &str = "tenant_id";
const REFERENCE: [&str; 3] = ["accounts", "api_keys", "console_sessions"];
/// Tables distributed by account rather than tenant, and their key.
const BY_ACCOUNT: [&str; 1] = ["audit_log"];
const ACCOUNT_KEY: &str = "account_id";

/// The column `table` is distributed by.
fn key_of(table: &str) -> &'static str {
    if BY_ACCOUNT.contains(&table) {
        ACCOUNT_KEY
    } else {
        KEY
    }
}

/// Each table's constraints and unique indexes as (kind, name, columns, referenced
/// table, referenced columns).
async fn constraints(
    db: &Client,
) -> BTreeMap<String, Vec<(String, String, Vec<String>, String, Vec<String>)>> {
    let rows = db
        .query(
            "SELECT c.relname::text, k.contype::text, k.conname::text,
                    ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
                            JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n
                           ORDER BY u.i),
                    coalesce(f.relname::text, ''),
                    ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
                            JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n
                           ORDER BY u.i)
               FROM pg_constraint k
               JOIN pg_class c ON c.oid = k.conrelid
               JOIN pg_namespace s ON s.oid = c.relnamespace AND s.nspname = 'public'
               LEFT JOIN pg_class f ON f.oid = k.confrelid
              WHERE k.contype IN ('p', 'u', 'f')
             UNION ALL
             SELECT t.relname::text, 'i', i.relname::text,
                    ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY u(n, o)
                            JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = u.n
                           ORDER BY u.o),
                    '', ARRAY[]::text[]
               FROM pg_index x
               JOIN pg_class i ON i.oid = x.indexrelid
               JOIN pg_class t ON t.oid = x.indrelid
               JOIN pg_namespace s ON s.oid = t.relnamespace AND s.nspname = 'public'
              WHERE x.indisunique",
            &[],
        )
        .await
        .unwrap();
    let mut out: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for row in rows {
        out.entry(row.get(0)).or_default().push((
            row.get(1),
            row.get(2),
            row.get(3),
            row.get(4),
            row.get(5),
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_is_distributed_by_tenant_or_a_reference_table() {
    let db = database().await;
    let client = connect(&db.url).await;
    let tables: BTreeSet<String> = client
        .query(
            "SELECT tablename::text FROM pg_tables
              WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let with_key: BTreeSet<String> = client
        .query(
            "SELECT table_name::text FROM information_schema.columns
              WHERE table_schema = 'public' AND column_name = $1 AND is_nullable = 'NO'
             UNION
             SELECT table_name::text FROM information_schema.columns
              WHERE table_schema = 'public' AND column_name = $2 AND is_nullable = 'NO'
                AND table_name = ANY($3)",
            &[&KEY, &ACCOUNT_KEY, &BY_ACCOUNT.to_vec()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let reference: BTreeSet<String> = REFERENCE.iter().map(|t| t.to_string()).collect();
    let distributed: BTreeSet<String> = tables.difference(&reference).cloned().collect();
    assert!(distributed.len() >= 14, "{distributed:?}");
    let constraints = constraints(&client).await;
    let mut problems = Vec::new();
    for table in &tables {
        let key = key_of(table);
        let is_distributed = distributed.contains(table);
        if is_distributed && !with_key.contains(table) {
            problems.push(format!("{table}: no NOT NULL {key}"));
        }
        let mut has_primary = false;
        for (kind, name, columns, target, target_columns) in
            constraints.get(table).into_iter().flatten()
        {
            let has_key = columns.iter().any(|c| c == key);
            match kind.as_str() {
                "p" => has_primary = true,
                "f" if distributed.contains(target) => {
                    let position = columns.iter().position(|c| c == key);
                    let aligned = position.is_some()
                        && position == target_columns.iter().position(|c| c == key);
                    if !is_distributed {
                        problems.push(format!(
                            "{table}.{name}: a reference table points at {target}"
                        ));
                    } else if !aligned {
                        problems.push(format!(
                            "{table}.{name}: to {target} without {key} on both sides"
                        ));
                    }
                    continue;
                }
                "f" => continue,
                _ => {}
            }
            if is_distributed && !has_key {
                problems.push(format!(
                    "{table}.{name} ({kind}): {columns:?} without {key}"
                ));
            }
        }
        if !has_primary {
            problems.push(format!("{table}: no primary key"));
        }
    }
    assert!(
        problems.is_empty(),
        "not ready for Citus:\n{}",
        problems.join("\n")
    );

    // The distribution script names every table, each the way this test classed it.
    let script = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/citus/distribute.sql"
    ))
    .unwrap();
    let named = |call: &str| -> BTreeSet<String> {
        script
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("SELECT {call}('")))
            .filter_map(|rest| rest.split('\'').next())
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(named("create_reference_table"), reference);
    assert_eq!(named("create_distributed_table"), distributed);
}
