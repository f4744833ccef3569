//! The binary's commands.

use std::process::Command;

use stickycalls_test_support::TestDatabase;

fn stickycalls(args: &[&str], database_url: Option<&str>) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stickycalls"));
    command
        .env("STICKYCALLS_MASTER_KEY", crate::support::TEST_MASTER_KEY)
        .args(args)
        .env_remove("STICKYCALLS_DATABASE_URL");
    if let Some(url) = database_url {
        command.env("STICKYCALLS_DATABASE_URL", url);
    }
    command.output().expect("run stickycalls")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_builds_the_schema_once() {
    let db = TestDatabase::create_empty().await.unwrap();
    let first = stickycalls(&["migrate"], Some(&db.url));
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let shipped = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    assert!(
        String::from_utf8_lossy(&first.stderr).contains(&format!("{shipped} migration(s) applied"))
    );

    let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let tables: Vec<String> = client
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for table in [
        "calls",
        "credit_balances",
        "customer_external_ids",
        "customer_phones",
        "customers",
        "intents",
        "variables",
    ] {
        assert!(
            tables.iter().any(|t| t == table),
            "{table} missing from {tables:?}"
        );
    }
    drop(client);

    let again = stickycalls(&["migrate"], Some(&db.url));
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("0 migration(s) applied"));
}

#[test]
fn without_a_database_url_the_data_goes_to_a_sqlite_file_under_data() {
    let dir = std::env::temp_dir().join(format!("stickycalls-default-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_stickycalls"))
        .env("STICKYCALLS_MASTER_KEY", crate::support::TEST_MASTER_KEY)
        .arg("migrate")
        .env_remove("STICKYCALLS_DATABASE_URL")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("data/stickycalls.db").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unknown_database_scheme_is_named() {
    let out = stickycalls(&["migrate"], Some("mysql://localhost/x"));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("STICKYCALLS_DATABASE_URL must start with sqlite:// or postgres://")
    );
}

#[test]
fn an_unknown_command_prints_usage() {
    let out = stickycalls(&["frobnicate"], None);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .to_lowercase()
            .contains("usage: stickycalls")
    );
}

#[test]
fn a_bad_setting_is_named_at_start_up() {
    let out = Command::new(env!("CARGO_BIN_EXE_stickycalls"))
        .env("STICKYCALLS_MASTER_KEY", crate::support::TEST_MASTER_KEY)
        .args(["serve"])
        .env("STICKYCALLS_DATABASE_URL", "postgres://nowhere/x")
        .env("STICKYCALLS_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("STICKYCALLS_LISTEN `not-an-address`"));
    let out = Command::new(env!("CARGO_BIN_EXE_stickycalls"))
        .env("STICKYCALLS_MASTER_KEY", crate::support::TEST_MASTER_KEY)
        .args(["serve"])
        .env("STICKYCALLS_DATABASE_URL", "postgres://nowhere/x")
        .env("STICKYCALLS_HTTP_WORKERS", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("STICKYCALLS_HTTP_WORKERS must be a positive whole number")
    );
    for (name, value, named) in [
        (
            "STICKYCALLS_PUBLIC_SIGNUP",
            "maybe",
            "STICKYCALLS_PUBLIC_SIGNUP `maybe`",
        ),
        (
            "STICKYCALLS_RATE_LIMITS",
            "gold=1/1",
            "STICKYCALLS_RATE_LIMITS: `gold` is not a plan",
        ),
        (
            "STICKYCALLS_RATE_LIMITS",
            "free=0/60",
            "STICKYCALLS_RATE_LIMITS: `0/60` is not a limit",
        ),
        (
            "STICKYCALLS_KEY_CACHE_SECONDS",
            "900",
            "STICKYCALLS_KEY_CACHE_SECONDS must be",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_stickycalls"))
            .env("STICKYCALLS_MASTER_KEY", crate::support::TEST_MASTER_KEY)
            .args(["serve"])
            .env("STICKYCALLS_DATABASE_URL", "postgres://nowhere/x")
            .env(name, value)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{name}={value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(named), "{name}={value}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_cleanly() {
    let mut s = crate::support::Server::start().await;
    let pid = s._child.id().expect("running");
    s.ok(
        "/v1/calls/start",
        serde_json::json!({"call_id": "t", "identity_hints": {"ani": "+14155550300"}}),
    )
    .await;
    let killed = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(35), s._child.wait())
        .await
        .expect("exits after draining")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

fn ok_json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// An operator lists accounts and creates, lists and revokes keys from the command
/// line; a key made there opens the API of a server on the same store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_list_accounts_and_manage_keys() {
    let dir = std::env::temp_dir().join(format!("stickycalls-ops-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("ops.db").display());
    let db = Some(url.as_str());
    let created = ok_json(&stickycalls(
        &[
            "accounts",
            "create",
            "--name",
            "Acme",
            "--email",
            "ops@acme.example",
        ],
        db,
    ));
    let account = created["account_id"].as_str().unwrap().to_owned();

    let listed = ok_json(&stickycalls(&["accounts", "list", "--json"], db));
    assert_eq!(listed["accounts"][0]["id"], account.as_str(), "{listed}");
    assert_eq!(listed["accounts"][0]["name"], "Acme");
    assert_eq!(listed["accounts"][0]["email"], "ops@acme.example");
    let table = stickycalls(&["accounts", "list"], db);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.starts_with("ACCOUNT") && table.contains(&account),
        "{table}"
    );

    let made = ok_json(&stickycalls(
        &[
            "keys",
            "create",
            "--account",
            &account,
            "--env",
            "prod",
            "--name",
            "IVR",
        ],
        db,
    ));
    let token = made["key"].as_str().unwrap().to_owned();
    let prod_keys = || {
        ok_json(&stickycalls(
            &[
                "keys",
                "list",
                "--account",
                &account,
                "--env",
                "prod",
                "--json",
            ],
            db,
        ))
    };
    let id = made["id"].as_str().unwrap().to_owned();
    assert!(
        token.starts_with("sk_prod_") && id.starts_with("key_"),
        "{made}"
    );
    let keys = prod_keys();
    let names: Vec<&str> = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default", "IVR"], "{keys}");
    assert!(
        !keys.to_string().contains(&token),
        "a listing never shows a secret"
    );

    let server = crate::sqlite::serve_url(&url).await;
    let answer = reqwest::Client::new()
        .post(format!("{}/v1/calls/start", server.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({"call_id": "ops_1", "identity_hints": {"ani": "+14155550100"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    drop(server);

    let default = keys["keys"][0]["id"].as_str().unwrap().to_owned();
    let revoke = |key: &str| {
        stickycalls(
            &[
                "keys",
                "revoke",
                "--account",
                &account,
                "--env",
                "prod",
                "--key",
                key,
            ],
            db,
        )
    };
    ok_json(&revoke(&default));
    let last = revoke(&id);
    assert!(!last.status.success());
    assert!(String::from_utf8_lossy(&last.stderr).contains("last live key"));
    let keys = prod_keys();
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1, "{keys}");
    assert_eq!(keys["keys"][0]["id"], id.as_str());

    let nobody = stickycalls(
        &[
            "keys",
            "list",
            "--account",
            "00000000-0000-0000-0000-000000000000",
        ],
        db,
    );
    assert!(!nobody.status.success());
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("no account"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every command's `--help` shows an example.
#[test]
fn every_command_has_help_with_an_example() {
    for command in [
        &["serve"][..],
        &["migrate"],
        &["accounts", "create"],
        &["accounts", "list"],
        &["accounts", "export"],
        &["purge"],
        &["keys", "create"],
        &["keys", "list"],
        &["keys", "revoke"],
        &["credits", "grant"],
        &["plans", "set"],
    ] {
        let out = stickycalls(&[command, &["--help"]].concat(), None);
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{command:?}");
        assert!(help.contains("Example"), "{command:?}: {help}");
        assert!(
            help.contains(&format!("stickycalls {}", command.join(" "))),
            "{command:?}: {help}"
        );
    }
}
