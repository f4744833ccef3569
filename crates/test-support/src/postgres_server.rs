//! Finding a PostgreSQL server for tests: `DATABASE_URL`, else the local server on
//! 127.0.0.1:5432 (user postgres), else a throwaway cluster started with
//! initdb/pg_ctl under `target/test-pg/<pid>`, stopped when the test process exits.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

/// An admin URL to a server the tests may create databases on.
pub(crate) async fn find_server() -> anyhow::Result<String> {
    if let Ok(url) = std::env::var("DATABASE_URL")
        && !url.is_empty()
    {
        return Ok(url);
    }
    let local = "postgres://postgres@127.0.0.1:5432/postgres";
    if accepts(local).await {
        return Ok(local.to_owned());
    }
    tokio::task::spawn_blocking(start_cluster).await?
}

pub(crate) async fn accepts(url: &str) -> bool {
    let connect = tokio_postgres::connect(url, tokio_postgres::NoTls);
    match tokio::time::timeout(Duration::from_secs(3), connect).await {
        Ok(Ok((client, connection))) => {
            let task = tokio::spawn(connection);
            let ok = client.simple_query("SELECT 1").await.is_ok();
            drop(client);
            let _ = task.await;
            ok
        }
        _ => false,
    }
}

fn clusters_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("test-pg")
}

/// A PostgreSQL program (`initdb`, `pgbench`...): on `PATH`, else the newest under
/// `/usr/lib/postgresql/*/bin`.
pub fn postgres_bin(name: &str) -> anyhow::Result<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let mut installed: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| {
            dirs.flatten()
                .map(|d| d.path().join("bin").join(name))
                .collect()
        })
        .unwrap_or_default();
    installed.sort();
    installed.reverse();
    on_path
        .into_iter()
        .chain(installed)
        .find(|p| p.is_file())
        .with_context(|| format!("no PostgreSQL server reachable and no `{name}` on PATH or under /usr/lib/postgresql/*/bin"))
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A command run as `postgres` when we are root (initdb refuses to run as root).
fn pg_command(bin: &Path, root: bool) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

fn run(command: &mut Command, what: &str) -> anyhow::Result<()> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Stops and removes clusters left by test processes that no longer exist.
fn sweep(dir: &Path, pg_ctl: &Path, root: bool) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let owner = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<u32>().ok());
        if owner.is_some_and(|pid| !process_alive(pid)) {
            let mut stop = pg_command(pg_ctl, root);
            stop.arg("-D").arg(&path).args(["-m", "immediate", "stop"]);
            let _ = stop.stdout(Stdio::null()).stderr(Stdio::null()).status();
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

fn start_cluster() -> anyhow::Result<String> {
    let initdb = postgres_bin("initdb")?;
    let pg_ctl = postgres_bin("pg_ctl")?;
    let root = running_as_root();
    let base = clusters_dir();
    std::fs::create_dir_all(&base)?;
    sweep(&base, &pg_ctl, root);
    let pid = std::process::id();
    let dir = base.join(pid.to_string());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let dir = dir.canonicalize()?;
    if root {
        run(
            Command::new("chown").args(["-R", "postgres"]).arg(&dir),
            "chown",
        )?;
    }
    let data = dir.join("data");
    let mut init = pg_command(&initdb, root);
    init.arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
    run(&mut init, "initdb")?;

    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
        dir.display()
    );
    let mut start = pg_command(&pg_ctl, root);
    start
        .arg("-D")
        .arg(&data)
        .args(["-o", &options, "-l"])
        .arg(dir.join("log"))
        .args(["-w", "start"]);
    run(&mut start, "pg_ctl start")?;

    // Stop the cluster once this test process is gone, however it ends.
    let stop = if root {
        format!(
            "runuser -u postgres -- {} -D {} -m immediate stop",
            pg_ctl.display(),
            data.display()
        )
    } else {
        format!(
            "{} -D {} -m immediate stop",
            pg_ctl.display(),
            data.display()
        )
    };
    let watchdog = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {}",
        dir.display()
    );
    Command::new("setsid")
        .args(["sh", "-c", &watchdog])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start the cluster's watchdog")?;
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}
