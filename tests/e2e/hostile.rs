//! Hostile input and faults (issue 18): what attackers and unlucky operators send must
//! never panic the server, and must never cost other tenants their answers.

use std::process::Stdio;

use futures_util::future::join_all;
use serde_json::json;

use crate::sqlite::{printed_key, serve_url_logged};

/// Bodies a careless or hostile client sends: each is refused before any work.
fn bad_bodies() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("application/json", br#"{"call_id": "#.to_vec()),
        ("application/json", b"not json at all".to_vec()),
        ("application/json", vec![b'x'; 70 * 1024]),
        ("text/plain", br#"{"call_id": "c"}"#.to_vec()),
        ("application/json", br#"{"call_id": 12}"#.to_vec()),
    ]
}

/// Keys of the right shape (`sk_test_`, a 16-hex lookup id, `_`, 64 hex) that no cache
/// holds: each costs the server a store lookup.
fn uncached_key(i: usize) -> String {
    format!("sk_test_{:016x}_{:064x}", 0xdead_0000 + i, i)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_with_uncached_keys_never_panic_the_sqlite_server() {
    let dir = std::env::temp_dir().join(format!("stickycalls-e2e-hostile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let log_path = dir.join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let url = format!("sqlite://{}", dir.join("calls.db").display());
    let server = serve_url_logged(&url, Stdio::from(log)).await;
    let key = printed_key(&server.printed);
    let client = reqwest::Client::new();

    let hostile = (0..300).map(|i| {
        let (content_type, body) = bad_bodies()[i % bad_bodies().len()].clone();
        let request = client
            .post(format!("{}/v1/calls/start", server.base))
            .header("Authorization", format!("Bearer {}", uncached_key(i)))
            .header("Content-Type", content_type)
            .body(body);
        async move { request.send().await.map(|r| r.status().as_u16()) }
    });
    let valid = (0..100).map(|i| {
        let request = client
            .post(format!("{}/v1/calls/start", server.base))
            .header("Authorization", format!("Bearer {key}"))
            .json(&json!({"call_id": format!("valid_{i}"), "identity_hints": {"ani": "+14155550111"}}));
        async move { request.send().await.map(|r| r.status().as_u16()) }
    });
    let (hostile, valid) = tokio::join!(join_all(hostile), join_all(valid));

    for status in &valid {
        assert_eq!(
            status.as_ref().ok(),
            Some(&200),
            "a valid start was not answered 200"
        );
    }
    for status in &hostile {
        let status = *status.as_ref().expect("every hostile request is answered");
        assert!(
            (400..500).contains(&status),
            "hostile request answered {status}"
        );
    }
    drop(server);
    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(!logs.contains("panicked"), "the server panicked:\n{logs}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Opens a connection to the server at `base` (`http://host:port`) and writes `sent`.
async fn stall(base: &str, sent: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(sent.as_bytes()).await.unwrap();
    stream
}

/// Everything the server sends until it closes the connection (at most 20 s).
async fn until_closed(mut stream: tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut seen = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        stream.read_to_end(&mut seen),
    )
    .await;
    assert!(read.is_ok(), "the server kept a stalled connection open");
    String::from_utf8_lossy(&seen).into_owned()
}

/// Slow clients: a body that stalls after its headers is answered 408 in our error body
/// and the connection closed; headers that stall are cut off too; hundreds of stalled
/// connections do not keep a valid request from being answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_clients_are_timed_out_and_do_not_block_others() {
    let s = crate::support::Server::start_with(&[
        ("RUST_LOG", "warn"),
        ("STICKYCALLS_CLIENT_TIMEOUT_SECONDS", "1"),
    ])
    .await;
    let key = s.keys.test.clone();
    let body_stalls = stall(
        &s.base,
        &format!(
            "POST /v1/calls/start HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"call_id\""
        ),
    )
    .await;
    let headers_stall = stall(&s.base, "POST /v1/calls/start HTTP/1.1\r\nHost: t\r\n").await;
    let mut crowd = Vec::new();
    for _ in 0..300 {
        crowd.push(stall(&s.base, "GET /v1/health HTTP/1.1\r\n").await);
    }
    s.ok(
        "/v1/calls/start",
        json!({"call_id": "meanwhile", "identity_hints": {"ani": "+14155550408"}}),
    )
    .await;

    let answered = until_closed(body_stalls).await;
    assert!(answered.starts_with("HTTP/1.1 408"), "{answered}");
    assert!(
        answered.contains("\"code\":\"request_timeout\""),
        "{answered}"
    );
    let cut = until_closed(headers_stall).await;
    assert!(cut.is_empty() || cut.starts_with("HTTP/1.1 408"), "{cut}");
    for stream in crowd {
        until_closed(stream).await;
    }
}
