//! The embedded default: the binary on a SQLite file, the seeds' flow, a restart.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A server started by its test, with what it printed before it listened.
pub(crate) struct Running {
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) printed: Vec<String>,
}

async fn serve(dir: &std::path::Path) -> Running {
    serve_url(&format!("sqlite://{}", dir.join("calls.db").display())).await
}

/// Starts the binary on `url` (`STICKYCALLS_DATABASE_URL`), port 0.
pub(crate) async fn serve_url(url: &str) -> Running {
    serve_url_logged(url, Stdio::null()).await
}

/// Starts the binary on `url`, its log lines (stderr) going to `logs`.
pub(crate) async fn serve_url_logged(url: &str, logs: Stdio) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stickycalls"))
        .env("STICKYCALLS_MASTER_KEY", crate::support::TEST_MASTER_KEY)
        .env("STICKYCALLS_DATABASE_URL", url)
        .env("STICKYCALLS_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(logs)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let base = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let line = lines
                .next_line()
                .await
                .unwrap()
                .expect("the server printed its address");
            printed.push(line.clone());
            if let Some(address) = line.strip_prefix("listening on ") {
                return address.to_owned();
            }
        }
    })
    .await
    .unwrap();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Running {
        child,
        base,
        printed,
    }
}

pub(crate) async fn post(base: &str, key: &str, path: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("Authorization", format!("Bearer {key}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// The test key a fresh store prints once.
pub(crate) fn printed_key(printed: &[String]) -> String {
    printed
        .iter()
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("sk_test_"))
                .map(str::to_owned)
        })
        .expect("a fresh store prints a test key")
}

/// The value after `label` on the welcome line that starts with it.
fn printed_field(printed: &[String], label: &str) -> String {
    printed
        .iter()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no {label} line in {printed:?}"))
}

/// The seeds' first call (a new caller) and its end, which names `cust_abc123` and
/// saves `test_note`; the start's answer.
pub(crate) async fn seeds_first_call(base: &str, key: &str) -> Value {
    let new = post(
        base,
        key,
        "/v1/calls/start",
        json!({"call_id": "test_001", "identity_hints": {"ani": "+14155559999"}}),
    )
    .await;
    post(base, key, "/v1/calls/end", json!({"call_id": "test_001", "customer_ref": "cust_abc123",
        "intent": "test_intent", "intent_status": "resolved", "variables": {"test_note": "Test context"}})).await;
    new
}

/// The seeds' second call from the same number.
pub(crate) async fn seeds_second_call(base: &str, key: &str) -> Value {
    post(
        base,
        key,
        "/v1/calls/start",
        json!({"call_id": "test_002", "identity_hints": {"ani": "+14155559999"}}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_callers_memory() {
    let dir = std::env::temp_dir().join(format!("stickycalls-e2e-sqlite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let mut first = serve(&dir).await;
    let key = printed_key(&first.printed);
    // The welcome names the account and both keys, and its curl, pasted into a shell,
    // is answered as the seeds show for a new caller.
    let printed = first.printed.join("\n");
    let account = printed_field(&first.printed, "account:");
    assert!(uuid::Uuid::parse_str(&account).is_ok(), "{printed}");
    // Piped (as under a service manager), the prod key is not printed: logs keep stdout.
    let prod = printed_field(&first.printed, "prod key:");
    assert!(
        prod.starts_with("not shown") && !printed.contains("sk_prod_"),
        "{printed}"
    );
    assert_eq!(printed_field(&first.printed, "url:"), first.base);
    let curl: String = printed
        .split_once("\ncurl ")
        .map(|(_, rest)| format!("curl {}", rest.split("\nmore:").next().unwrap()))
        .expect("a curl line");
    let pasted = std::process::Command::new("sh")
        .args(["-c", &curl])
        .output()
        .unwrap();
    assert!(pasted.status.success(), "{curl}");
    let new: Value = serde_json::from_slice(&pasted.stdout).expect("the curl answers JSON");
    assert_eq!(new["identity"]["confidence"], 0.0, "{new}");
    assert_eq!(new["identity"]["recommendation"], "ignore");
    assert_eq!(new["call_id"], "test_001");
    post(&first.base, &key, "/v1/calls/end", json!({"call_id": "test_001", "customer_ref": "cust_abc123",
        "intent": "test_intent", "intent_status": "resolved", "variables": {"test_note": "Test context"}})).await;
    let pid = first.child.id().unwrap();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    assert!(first.child.wait().await.unwrap().success());

    let second = serve(&dir).await;
    assert!(
        second
            .printed
            .iter()
            .any(|l| l.starts_with("data: SQLite file")),
        "{:?}",
        second.printed
    );
    assert!(
        !second.printed.iter().any(|l| l.contains("sk_test_")),
        "a key is printed only once"
    );
    let back = seeds_second_call(&second.base, &key).await;
    assert!(
        back["identity"]["confidence"].as_f64().unwrap() >= 0.5,
        "{back}"
    );
    assert_eq!(back["customer_ref"], "cust_abc123");
    assert_eq!(back["variables"]["test_note"]["value"], "Test context");
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The tenant's own routes on the embedded store: signup, a second key, a customer
/// read, a direct variable write, and erasure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_keys_and_erasure_on_sqlite() {
    let dir = std::env::temp_dir().join(format!(
        "stickycalls-e2e-sqlite-tenant-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let server = serve(&dir).await;
    let client = reqwest::Client::new();
    let signup: Value = client
        .post(format!("{}/v1/accounts", server.base))
        .json(&json!({"email": "a@example.com", "name": "Embedded"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = signup["keys"]["test"].as_str().unwrap().to_owned();
    let second = client
        .post(format!("{}/v1/keys", server.base))
        .header("Authorization", format!("Bearer {key}"))
        .json(&json!({"name": "second"}))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 201);
    let started = post(
        &server.base,
        &key,
        "/v1/calls/start",
        json!({"call_id": "sq_1", "identity_hints": {"ani": "+14155550555"}}),
    )
    .await;
    let who = started["customer_ref"].as_str().unwrap();
    let send = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut request = client
            .request(method, format!("{}{path}", server.base))
            .header("Authorization", format!("Bearer {key}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send()
    };
    let put = send(
        reqwest::Method::PUT,
        format!("/v1/customers/{who}/variables/tier"),
        Some(json!({"value": "gold"})),
    )
    .await
    .unwrap();
    assert_eq!(put.status(), 200);
    let view: Value = send(reqwest::Method::GET, format!("/v1/customers/{who}"), None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["variables"]["tier"]["value"], "gold", "{view}");
    let erased = send(
        reqwest::Method::DELETE,
        format!("/v1/customers/{who}"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(erased.status(), 204);
    let export = send(
        reqwest::Method::GET,
        format!("/v1/customers/{who}/export"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(export.status(), 404);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// On a terminal (`make run`), the first start shows the prod key too, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_sees_both_keys_once() {
    let dir = std::env::temp_dir().join(format!("stickycalls-e2e-tty-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("calls.db").display());
    let first_start = || async {
        // `script` runs the server on a pseudo-terminal and copies what it prints.
        let mut child = Command::new("script")
            .args([
                "-qefc",
                &format!("{} serve", env!("CARGO_BIN_EXE_stickycalls")),
                "/dev/null",
            ])
            .env("STICKYCALLS_DATABASE_URL", &url)
            .env("STICKYCALLS_LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut printed = Vec::new();
        tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                let line = line.trim_end_matches('\r').to_owned();
                let done = line.starts_with("listening on");
                printed.push(line);
                if done {
                    break;
                }
            }
        })
        .await
        .unwrap();
        child.kill().await.unwrap();
        printed
    };
    let printed = first_start().await;
    assert!(
        printed_field(&printed, "prod key:").starts_with("sk_prod_"),
        "{printed:?}"
    );
    assert!(
        printed_field(&printed, "test key:").starts_with("sk_test_"),
        "{printed:?}"
    );
    let again = first_start().await;
    assert!(
        !again.iter().any(|l| l.contains("sk_")),
        "keys are shown once: {again:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
