//! Start-up (issue 18): a server started before its database listens, says it is
//! starting, and serves as soon as the database answers; with a give-up time set, it
//! exits when the database never comes.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::support::{CuttableProxy, database, host_port, via};

/// A port of 127.0.0.1 nothing listens on (now).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(database_url: &str, listen: u16, env: &[(&str, &str)]) -> tokio::process::Child {
    Command::new(env!("CARGO_BIN_EXE_stickycalls"))
        .env("STICKYCALLS_MASTER_KEY", crate::support::TEST_MASTER_KEY)
        .arg("serve")
        .env("STICKYCALLS_DATABASE_URL", database_url)
        .env("STICKYCALLS_LISTEN", format!("127.0.0.1:{listen}"))
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start stickycalls serve")
}

/// The first answer of `GET base/v1/health` (the server may not listen yet).
async fn health(client: &reqwest::Client, base: &str) -> (u16, Value) {
    for _ in 0..100 {
        if let Ok(r) = client.get(format!("{base}/v1/health")).send().await {
            let status = r.status().as_u16();
            return (status, r.json().await.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server never listened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_started_before_its_database_waits_for_it() {
    let db = database().await;
    let db_port = free_port();
    let http = free_port();
    let mut child = serve(&via(&db.url, &format!("127.0.0.1:{db_port}")), http, &[]);
    let base = format!("http://127.0.0.1:{http}");
    let client = reqwest::Client::new();

    let (status, body) = health(&client, &base).await;
    assert_eq!((status, &body["status"]), (503, &json!("starting")));
    let refused = client
        .post(format!("{base}/v1/calls/start"))
        .json(&json!({"call_id": "early"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["code"], "service_unavailable");

    let _proxy = CuttableProxy::on(db_port, host_port(&db.url)).await;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.starts_with("listening on ") {
                return line;
            }
        }
        panic!("the server exited instead of waiting");
    })
    .await
    .expect("the server is ready once its database answers");
    assert!(listening.ends_with(&http.to_string()), "{listening}");
    let (status, body) = health(&client, &base).await;
    assert_eq!((status, &body["status"]), (200, &json!("healthy")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_give_up_time_it_exits_when_the_database_never_comes() {
    let nowhere = format!("postgres://postgres@127.0.0.1:{}/none", free_port());
    let mut child = serve(
        &nowhere,
        free_port(),
        &[("STICKYCALLS_DATABASE_WAIT_SECONDS", "1")],
    );
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("it gives up")
        .unwrap();
    assert!(!status.success());
}
