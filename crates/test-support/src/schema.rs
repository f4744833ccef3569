//! The check that a committed diesel `schema.rs` is what `diesel print-schema` prints
//! for a database its migrations built (one per backend, run by `make check-schema`).

/// Runs `diesel print-schema` (the CLI named by `DIESEL_CLI`) against `database_url`
/// from `dir`, and compares its output with the file at `schema`; with
/// `UPDATE_SCHEMA` set, rewrites the file instead (`make schema`).
pub fn assert_schema_matches(database_url: &str, dir: &str, schema: &str) {
    let diesel = std::env::var("DIESEL_CLI").expect("DIESEL_CLI names the diesel binary");
    let out = std::process::Command::new(diesel)
        .args(["print-schema", "--database-url", database_url])
        .current_dir(dir)
        .output()
        .expect("run diesel print-schema");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).expect("UTF-8 from diesel");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(schema, &printed).expect("write schema.rs");
    }
    let committed = std::fs::read_to_string(schema).expect("read schema.rs");
    assert_eq!(committed, printed, "{schema} is stale: run `make schema`");
}
