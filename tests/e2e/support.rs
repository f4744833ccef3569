//! A running server for one test: its own database, an account, the binary on port 0.

use std::process::Stdio;
use std::time::Duration;

use reqwest::{Response, StatusCode};
use serde_json::Value;
use stickycalls_postgres::{MIGRATIONS_ID, run_migrations};
use stickycalls_test_support::TestDatabase;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

#[derive(Clone)]
pub struct Keys {
    pub account_id: String,
    pub test: String,
    pub prod: String,
}

pub struct Server {
    pub base: String,
    pub keys: Keys,
    pub db_url: String,
    /// Keeps the database until the server is gone (the second process of a pair has none).
    pub _db: Option<TestDatabase>,
    pub _child: Child,
    client: reqwest::Client,
}

pub async fn database() -> TestDatabase {
    TestDatabase::create(MIGRATIONS_ID, |url| async move {
        run_migrations(&url).await.map(|_| ())
    })
    .await
    .expect("test database")
}

/// The master key every server and command of these tests seals under (a throwaway).
pub const TEST_MASTER_KEY: &str =
    "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed";

/// Runs `stickycalls accounts create` and returns the printed keys.
pub async fn create_account(database_url: &str) -> Keys {
    let out = Command::new(env!("CARGO_BIN_EXE_stickycalls"))
        .env("STICKYCALLS_MASTER_KEY", crate::support::TEST_MASTER_KEY)
        .args([
            "accounts",
            "create",
            "--name",
            "Acme Contact Center",
            "--email",
            "ops@acme.test",
        ])
        .env("STICKYCALLS_DATABASE_URL", database_url)
        .output()
        .await
        .expect("run accounts create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).expect("accounts create prints JSON");
    assert!(
        printed["account_id"]
            .as_str()
            .is_some_and(|id| id.len() == 36)
    );
    Keys {
        account_id: printed["account_id"].as_str().unwrap().to_owned(),
        test: printed["keys"]["test"].as_str().unwrap().to_owned(),
        prod: printed["keys"]["prod"].as_str().unwrap().to_owned(),
    }
}

impl Server {
    pub async fn start() -> Self {
        let db = database().await;
        let url = db.url.clone();
        Self::start_on(db, &url).await
    }

    /// Starts the binary with `database_url` (which may be a proxy in front of `db`),
    /// waiting at most 1 s for a database connection.
    pub async fn start_on(db: TestDatabase, database_url: &str) -> Self {
        let env = [
            ("RUST_LOG", "warn"),
            ("STICKYCALLS_DATABASE_TIMEOUT_MS", "1000"),
        ];
        Self::launch(db, database_url, &env, Stdio::null()).await
    }

    /// Starts the binary with extra environment.
    pub async fn start_with(env: &[(&str, &str)]) -> Self {
        let db = database().await;
        let url = db.url.clone();
        Self::launch(db, &url, env, Stdio::null()).await
    }

    /// Starts the binary with extra environment, its log lines going to `logs`.
    pub async fn start_logged(env: &[(&str, &str)], logs: std::fs::File) -> Self {
        let db = database().await;
        let url = db.url.clone();
        Self::launch(db, &url, env, Stdio::from(logs)).await
    }

    async fn launch(
        db: TestDatabase, database_url: &str, env: &[(&str, &str)], logs: Stdio,
    ) -> Self {
        let keys = create_account(&db.url).await;
        let db_url = db.url.clone();
        Self::spawn(Some(db), db_url, database_url, keys, env, logs).await
    }

    /// A server process on another database (a copy of this one's), with this one's
    /// keys and extra environment.
    pub async fn on_database(&self, url: &str, env: &[(&str, &str)]) -> Self {
        let mut all = vec![("RUST_LOG", "warn")];
        all.extend_from_slice(env);
        let keys = self.keys.clone();
        Self::spawn(None, url.to_owned(), url, keys, &all, Stdio::null()).await
    }

    /// Another server process on the same database, with the same account.
    pub async fn another(&self) -> Self {
        self.another_with(&[]).await
    }

    /// Another server process on the same database, with extra environment.
    pub async fn another_with(&self, env: &[(&str, &str)]) -> Self {
        let url = self.db_url.clone();
        let mut all = vec![("RUST_LOG", "warn")];
        all.extend_from_slice(env);
        Self::spawn(
            None,
            url.clone(),
            &url,
            self.keys.clone(),
            &all,
            Stdio::null(),
        )
        .await
    }

    /// Any request: `method` on `path`, with a key and a JSON body when given.
    pub async fn send(
        &self, method: reqwest::Method, path: &str, key: Option<&str>, body: Option<&Value>,
    ) -> Response {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.header("Authorization", format!("Bearer {key}"));
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request")
    }

    /// Signs up a new account by API; returns its keys.
    pub async fn signup(&self, name: &str) -> Keys {
        let response = self
            .post(
                "/v1/accounts",
                None,
                &serde_json::json!({"email": "ops@other.test", "name": name}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        Keys {
            account_id: body["account_id"].as_str().unwrap().to_owned(),
            test: body["keys"]["test"].as_str().unwrap().to_owned(),
            prod: body["keys"]["prod"].as_str().unwrap().to_owned(),
        }
    }

    /// Runs another command of the binary against this server's database; returns the
    /// first JSON line it prints.
    pub async fn cli(&self, args: &[&str]) -> Value {
        let text = self.cli_text(args).await;
        serde_json::from_str(text.lines().next().unwrap_or("null")).expect("JSON output")
    }

    /// Runs another command of the binary against this server's database; returns
    /// everything it prints.
    pub async fn cli_text(&self, args: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_stickycalls"))
            .env("STICKYCALLS_MASTER_KEY", crate::support::TEST_MASTER_KEY)
            .args(args)
            .env("STICKYCALLS_DATABASE_URL", &self.db_url)
            .output()
            .await
            .expect("run stickycalls");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    async fn spawn(
        db: Option<TestDatabase>, db_url: String, database_url: &str, keys: Keys,
        env: &[(&str, &str)], logs: Stdio,
    ) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stickycalls"))
            .env("STICKYCALLS_MASTER_KEY", crate::support::TEST_MASTER_KEY)
            .arg("serve")
            .env("STICKYCALLS_DATABASE_URL", database_url)
            .env("STICKYCALLS_LISTEN", "127.0.0.1:0")
            .env("STICKYCALLS_DATABASE_TIMEOUT_MS", "10000")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(logs)
            .kill_on_drop(true)
            .spawn()
            .expect("start stickycalls serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let base = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(address) = line.strip_prefix("listening on ") {
                    return address.to_owned();
                }
            }
            panic!("the server exited before listening");
        })
        .await
        .expect("the server listens within 30 s");
        // Keep reading whatever else it prints.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            base,
            keys,
            db_url,
            _db: db,
            _child: child,
            client: reqwest::Client::new(),
        }
    }

    pub async fn post(&self, path: &str, key: Option<&str>, body: &Value) -> Response {
        self.post_raw(path, key, body.to_string(), &[]).await
    }

    pub async fn post_raw(
        &self, path: &str, key: Option<&str>, body: String, headers: &[(&str, &str)],
    ) -> Response {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/json")
            .body(body);
        if let Some(key) = key {
            request = request.header("Authorization", format!("Bearer {key}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("request")
    }

    pub async fn client_get_with_key(&self, path: &str, key: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {key}"))
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }

    /// POST with the account's test key; expects 200 and returns the JSON body.
    pub async fn ok(&self, path: &str, body: Value) -> Value {
        let response = self.post(path, Some(&self.keys.test), &body).await;
        let status = response.status();
        let json: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{json}");
        json
    }

    /// GET with the test key; expects 200 and returns the JSON body.
    pub async fn get_ok(&self, path: &str, key: &str) -> Value {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {key}"))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let json: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{json}");
        json
    }

    /// The first column of the first row of a query on the server's database.
    pub async fn sql_count(&self, query: &str) -> i64 {
        let (client, connection) = tokio_postgres::connect(&self.db_url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let task = tokio::spawn(connection);
        let n: i64 = client.query_one(query, &[]).await.unwrap().get(0);
        drop(client);
        let _ = task.await;
        n
    }

    /// Runs SQL on the server's database (test set-up only).
    pub async fn sql(&self, statement: &str) {
        let (client, connection) = tokio_postgres::connect(&self.db_url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let task = tokio::spawn(connection);
        client.batch_execute(statement).await.unwrap();
        drop(client);
        let _ = task.await;
    }
}

/// Checks an error body's shape and returns it.
pub async fn error_body(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status);
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("x-request-id header");
    let body: Value = response.json().await.expect("JSON error body");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["error"], status.canonical_reason().unwrap(), "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(body["request_id"], request_id.as_str(), "{body}");
    body
}

/// A TCP proxy in front of the database that can be cut, as if the database stopped.
pub struct CuttableProxy {
    pub port: u16,
    task: JoinHandle<()>,
}

impl CuttableProxy {
    pub async fn to(upstream: String) -> Self {
        Self::on(0, upstream).await
    }

    /// The proxy on `port` of 127.0.0.1 (0: any free port).
    pub async fn on(port: u16, upstream: String) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut links = tokio::task::JoinSet::new();
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    break;
                };
                let upstream = upstream.clone();
                links.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { port, task }
    }

    /// Drops every connection and stops accepting: the database is gone.
    pub fn cut(&self) {
        self.task.abort();
    }
}

/// host:port of a postgres URL.
pub fn host_port(url: &str) -> String {
    let after = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after.split('/').next().unwrap();
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, hp)| hp)
        .to_owned()
}

/// `url` with its host:port replaced.
pub fn via(url: &str, host_port_now: &str) -> String {
    url.replacen(&host_port(url), host_port_now, 1)
}
