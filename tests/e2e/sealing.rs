//! Personal data sealed at rest (issue 27): a dump of PostgreSQL and a copy of the SQLite
//! file hold no phone number, CRM id or variable value in clear; a dump taken before a customer's erasure,
//! restored elsewhere with the same master key and keyring, shows nothing of them; a
//! server with a missing or wrong master key refuses to start.

use std::process::Stdio;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use stickycalls_test_support::TestDatabase;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::support::Server;

/// A program of the PostgreSQL client installed beside the server (`pg_dump`, `psql`).
pub(crate) fn pg_program(name: &str) -> String {
    let mut found: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|v| v.path().join("bin").join(name))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found
        .pop()
        .map_or_else(|| name.to_owned(), |p| p.display().to_string())
}

pub(crate) async fn run(program: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(program)
        .args(args)
        .output()
        .await
        .expect(program);
    assert!(
        out.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A caller on `ani` (dialling our line, with a CRM id made of `value`) whose end saves
/// `value`.
pub(crate) async fn remember(s: &Server, call_id: &str, ani: &str, value: &str) -> String {
    let hints = json!({"ani": ani, "dnis": "+18005550188", "external_ids": {"crm": format!("CRM-{value}")}});
    let started = s
        .ok(
            "/v1/calls/start",
            json!({"call_id": call_id, "identity_hints": hints}),
        )
        .await;
    let end = json!({"call_id": call_id, "variables": {"address": value}});
    s.ok("/v1/calls/end", end).await;
    started["customer_ref"].as_str().unwrap().to_owned()
}

/// `dump` (a `pg_dump` of `s`'s database) restored into a new database, served with the
/// same master key and `s`'s keyring; the database lives as long as what is returned.
pub(crate) async fn restore(s: &Server, dump: &str) -> (Server, TestDatabase) {
    let copy = TestDatabase::create_empty().await.unwrap();
    let file = std::env::temp_dir().join(format!("stickycalls-dump-{}.sql", copy.name()));
    std::fs::write(&file, dump).unwrap();
    run(
        &pg_program("psql"),
        &[
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            &copy.url,
            "-f",
            &file.to_string_lossy(),
        ],
    )
    .await;
    std::fs::remove_file(&file).unwrap();
    let keyring = stickycalls_postgres::default_keyring_url(&s.db_url).unwrap();
    let restored = s
        .on_database(&copy.url, &[("STICKYCALLS_KEYRING_URL", &keyring)])
        .await;
    (restored, copy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dump_holds_no_value_and_a_restored_one_nothing_of_an_erased_customer() {
    let s = Server::start().await;
    let erased = remember(&s, "d1", "+14155550131", "Elm-Street-4521").await;
    let kept = remember(&s, "d2", "+14155550132", "Oak-Road-9981").await;

    let dump = run(&pg_program("pg_dump"), &["--no-owner", &s.db_url]).await;
    let dump = String::from_utf8(dump).unwrap();
    for value in [
        "Elm-Street-4521",
        "Oak-Road-9981",
        "4155550131",
        "4155550132",
        "8005550188",
    ] {
        assert!(!dump.contains(value), "the dump holds `{value}` in clear");
    }
    assert!(dump.contains("sc1."), "the dump holds the sealed values");
    assert!(dump.contains("bi1."), "the dump holds the blind indexes");

    let key = s.keys.test.clone();
    let gone = s
        .send(
            Method::DELETE,
            &format!("/v1/customers/{erased}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);

    // The backup from before the erasure, restored into another database, served with
    // the same master key and the same keyring.
    let (restored, _copy) = restore(&s, &dump).await;
    let view = restored
        .get_ok(&format!("/v1/customers/{erased}"), &key)
        .await;
    assert_eq!(
        (&view["variables"], &view["phones"], &view["external_ids"]),
        (&json!({}), &json!([]), &json!([])),
        "the erased customer's values, number and CRM id are unreadable"
    );
    let view = restored
        .get_ok(&format!("/v1/customers/{kept}"), &key)
        .await;
    assert_eq!(view["variables"]["address"]["value"], "Oak-Road-9981");
    assert_eq!(view["phones"][0]["number"], "+14155550132");
    assert_eq!(view["external_ids"][0]["value"], "CRM-Oak-Road-9981");
    // Found by number in the restored copy: the index is under the tenant's key.
    let found = restored
        .get_ok("/v1/customers?ani=%2B14155550132", &key)
        .await;
    assert_eq!(found["customers"][0]["customer_ref"], kept.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_server_without_a_master_key_refuses_to_start() {
    let s = Server::start().await;
    let out = keyless(&s.db_url, &[]).output();
    let out = tokio::time::timeout(Duration::from_secs(30), out)
        .await
        .unwrap()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("no master key") && said.contains("STICKYCALLS_MASTER_KEY"),
        "{said}"
    );
}

/// `stickycalls serve` on `url` with `env`, without the tests' master key.
fn keyless(url: &str, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stickycalls"));
    command
        .arg("serve")
        .env_remove("STICKYCALLS_MASTER_KEY")
        .env_remove("STICKYCALLS_MASTER_KEY_FILE")
        .env("STICKYCALLS_DATABASE_URL", url)
        .env("STICKYCALLS_LISTEN", "127.0.0.1:0")
        .envs(env.iter().copied());
    command
}

/// Starts the binary on `url` with `env` and no master key of the tests'; returns the
/// child, its base URL and the lines printed before it listened, or the error it
/// exited with.
async fn serve(
    url: &str, env: &[(&str, &str)],
) -> Result<(tokio::process::Child, String, Vec<String>), String> {
    let mut child = keyless(url, env)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let listening = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            printed.push(line.clone());
            if let Some(address) = line.strip_prefix("listening on ") {
                return Some(address.to_owned());
            }
        }
        None
    })
    .await
    .unwrap();
    match listening {
        Some(base) => {
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            Ok((child, base, printed))
        }
        None => {
            let out = child.wait_with_output().await.unwrap();
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

pub(crate) async fn exits_with(url: &str, env: &[(&str, &str)]) -> String {
    let mut child = keyless(url, env)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(!status.success(), "the server started");
    let mut said = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut child.stderr.take().unwrap(), &mut said)
        .await
        .unwrap();
    said
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_makes_its_key_file_once_and_refuses_a_wrong_or_missing_key() {
    let dir = std::env::temp_dir().join(format!("stickycalls-sealing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("calls.db");
    let url = format!("sqlite://{}", db.display());
    let (child, base, printed) = serve(&url, &[]).await.unwrap();
    let key_file = format!("{}.master-key", db.display());
    let said = printed.join("\n");
    assert!(
        said.contains("made a master key in") && said.contains(&key_file),
        "{said}"
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key_file).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let key = crate::sqlite::printed_key(&printed);
    let started = crate::sqlite::post(
        &base,
        &key,
        "/v1/calls/start",
        json!({"call_id": "q1", "identity_hints": {"ani": "+14155550141", "dnis": "+18005550177", "external_ids": {"crm": "CRM-Birch-31"}}}),
    )
    .await;
    crate::sqlite::post(
        &base,
        &key,
        "/v1/calls/end",
        json!({"call_id": "q1", "variables": {"address": "Birch-Lane-7734"}}),
    )
    .await;
    let again = crate::sqlite::post(
        &base,
        &key,
        "/v1/calls/start",
        json!({"call_id": "q2", "identity_hints": {"ani": "+14155550141"}}),
    )
    .await;
    assert_eq!(again["customer_ref"], started["customer_ref"]);
    assert_eq!(again["variables"]["address"]["value"], "Birch-Lane-7734");
    drop(child);

    // Every file of the store (the database, its WAL, the keyring) holds no value,
    // number or CRM id.
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for value in [
            "Birch-Lane-7734",
            "4155550141",
            "8005550177",
            "CRM-Birch-31",
        ] {
            assert!(
                !text.contains(value),
                "{} holds `{value}`",
                entry.path().display()
            );
        }
    }

    // A restart reads the key file; another key is refused; no key at all too.
    let (child, _, _) = serve(&url, &[]).await.unwrap();
    drop(child);
    let wrong = "ab".repeat(32);
    let said = exits_with(&url, &[("STICKYCALLS_MASTER_KEY", &wrong)]).await;
    assert!(
        said.contains("not the one this keyring was made with"),
        "{said}"
    );
    std::fs::remove_file(&key_file).unwrap();
    let said = exits_with(&url, &[]).await;
    assert!(said.contains("no master key"), "{said}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Values a version before encryption stored in clear are sealed by the server in the
/// background when it starts, and by `stickycalls seal`; they read back the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_stored_in_clear_are_sealed_on_start_and_by_the_command() {
    let s = Server::start().await;
    let customer = remember(&s, "c1", "+14155550151", "Birch-Way-12").await;
    let in_clear = "SELECT count(*) FROM variables WHERE value NOT LIKE 'sc1.%'";
    // As a version before encryption wrote it.
    s.sql("UPDATE variables SET value = 'Cedar-Court-88', source = 'agent Ana'")
        .await;
    assert_eq!(s.sql_count(in_clear).await, 1);
    let calls_in_clear =
        "SELECT count(*) FROM calls WHERE dnis IS NOT NULL OR ani NOT LIKE 'bi1.%'";
    s.sql(
        "UPDATE calls SET ani = '+14155550151', dnis = '+18005550188', \
         external_ids = '{\"crm\": \"CRM-Birch-Way-12\"}', hints_sealed = NULL",
    )
    .await;
    assert_eq!(s.sql_count(calls_in_clear).await, 1);
    let links_in_clear = "SELECT (SELECT count(*) FROM customer_phones WHERE e164 NOT LIKE 'bi1.%') \
         + (SELECT count(*) FROM customer_external_ids WHERE value NOT LIKE 'bi1.%')";
    s.sql("UPDATE customer_phones SET e164 = '+14155550151', sealed = NULL")
        .await;
    s.sql("UPDATE customer_external_ids SET value = 'CRM-Birch-Way-12', sealed = NULL")
        .await;
    assert_eq!(s.sql_count(links_in_clear).await, 2);

    let restarted = s.another().await;
    // Identified by the number linked in clear, whether the start or the background
    // run moves it to its index.
    let body = json!({"call_id": "c2", "identity_hints": {"ani": "+14155550151"}});
    let found: serde_json::Value = restarted
        .post("/v1/calls/start", Some(&s.keys.test), &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["customer_ref"], customer.as_str(), "{found}");
    let mut waited = 0;
    while s.sql_count(in_clear).await
        + s.sql_count(calls_in_clear).await
        + s.sql_count(links_in_clear).await
        > 0
    {
        assert!(waited < 100, "not sealed in the background within 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    let dump = run(&pg_program("pg_dump"), &["--no-owner", &s.db_url]).await;
    let dump = String::from_utf8(dump).unwrap();
    for value in ["Cedar-Court-88", "4155550151", "8005550188", "CRM-Birch"] {
        assert!(!dump.contains(value), "`{value}` is still in clear");
    }
    let view = restarted
        .get_ok(&format!("/v1/customers/{customer}"), &s.keys.test)
        .await;
    assert_eq!(view["variables"]["address"]["value"], "Cedar-Court-88");
    assert_eq!(view["variables"]["address"]["source"], "agent Ana");

    s.sql("UPDATE variables SET value = 'Maple-Row-5', source = NULL")
        .await;
    s.sql("UPDATE customer_external_ids SET value = 'CRM-Birch-Way-12', sealed = NULL")
        .await;
    let done = s.cli(&["seal"]).await;
    assert_eq!(
        (
            &done["sealed"]["variables"],
            &done["sealed"]["calls"],
            &done["sealed"]["links"]
        ),
        (&json!(1), &json!(0), &json!(1)),
        "{done}"
    );
    let found = restarted
        .get_ok(
            "/v1/customers?external_id=crm:CRM-Birch-Way-12",
            &s.keys.test,
        )
        .await;
    assert_eq!(
        found["customers"][0]["customer_ref"],
        customer.as_str(),
        "{found}"
    );
    assert_eq!(s.sql_count(in_clear).await, 0);
    let again = s.cli(&["seal"]).await;
    assert_eq!(
        again["sealed"]["variables"], 0,
        "a second run finds nothing"
    );
    let view = restarted
        .get_ok(&format!("/v1/customers/{customer}"), &s.keys.test)
        .await;
    assert_eq!(view["variables"]["address"]["value"], "Maple-Row-5");
}

/// With `STICKYCALLS_ENCRYPTION=off` values are stored in clear (as before encryption);
/// turned on, the server seals them and still finds the caller; off again is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encryption_off_stores_in_clear_until_turned_on_and_never_back() {
    let dir = std::env::temp_dir().join(format!("stickycalls-off-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("calls.db");
    let url = format!("sqlite://{}", db.display());
    let off = [("STICKYCALLS_ENCRYPTION", "off")];
    let (child, base, printed) = serve(&url, &off).await.unwrap();
    let key = crate::sqlite::printed_key(&printed);
    let hints = json!({"ani": "+14155550161", "external_ids": {"crm": "CRM-Off-61"}});
    let started = crate::sqlite::post(
        &base,
        &key,
        "/v1/calls/start",
        json!({"call_id": "o1", "identity_hints": hints}),
    )
    .await;
    crate::sqlite::post(
        &base,
        &key,
        "/v1/calls/end",
        json!({"call_id": "o1", "variables": {"address": "Off-Lane-5161"}}),
    )
    .await;
    drop(child);
    let in_files = |value: &str| {
        std::fs::read_dir(&dir).unwrap().flatten().any(|entry| {
            String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).contains(value)
        })
    };
    assert!(
        in_files("Off-Lane-5161") && in_files("CRM-Off-61"),
        "stored in clear"
    );

    // On: sealed and moved in the background; the caller is still recognised.
    let (child, base, _) = serve(&url, &[]).await.unwrap();
    let again = crate::sqlite::post(
        &base,
        &key,
        "/v1/calls/start",
        json!({"call_id": "o2", "identity_hints": {"ani": "+14155550161"}}),
    )
    .await;
    assert_eq!(again["customer_ref"], started["customer_ref"]);
    assert_eq!(again["variables"]["address"]["value"], "Off-Lane-5161");
    drop(child);

    let said = exits_with(&url, &off).await;
    assert!(said.contains("Encryption once on stays on"), "{said}");
    std::fs::remove_dir_all(&dir).unwrap();
}
