//! Finding a Redis server for tests: `REDIS_URL`, else the local server on
//! 127.0.0.1:6379, else a throwaway `redis-server` (Debian's package) on a free port
//! that stops when the test process does. Tests share a server and keep apart by key
//! prefix ([`unique_prefix`]).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};

static URL: OnceLock<Result<String, String>> = OnceLock::new();
static NEXT: AtomicU32 = AtomicU32::new(0);

/// A Redis URL the tests may use (blocking: call it before or outside an async test's
/// hot path; it answers at once after the first call).
pub fn redis_url() -> anyhow::Result<String> {
    URL.get_or_init(|| find().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(anyhow::Error::msg)
}

/// A key prefix no other test of any process uses.
pub fn unique_prefix(test: &str) -> String {
    format!(
        "test:{}:{}:{test}:",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn find() -> anyhow::Result<String> {
    if let Ok(url) = std::env::var("REDIS_URL")
        && !url.is_empty()
    {
        return Ok(url);
    }
    if answers("127.0.0.1:6379") {
        return Ok("redis://127.0.0.1:6379/".to_owned());
    }
    start()
}

/// Whether a Redis answers `PING` at `address`.
fn answers(address: &str) -> bool {
    let Ok(addr) = address.parse() else {
        return false;
    };
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

fn start() -> anyhow::Result<String> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    // A watcher shell stops the server once this process is gone.
    let script = format!(
        "redis-server --port {port} --bind 127.0.0.1 --save '' --appendonly no \
         --daemonize no >/dev/null 2>&1 & server=$!; \
         while kill -0 {parent} 2>/dev/null; do sleep 1; done; kill $server",
        parent = std::process::id()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .spawn()
        .context("cannot start redis-server (Debian package redis-server)")?;
    let address = format!("127.0.0.1:{port}");
    for _ in 0..100 {
        if answers(&address) {
            return Ok(format!("redis://{address}/"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("no Redis reachable and redis-server did not start on {address}")
}
