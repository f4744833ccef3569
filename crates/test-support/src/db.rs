//! One throwaway database per test, cloned from a template migrated once per server.

use std::future::Future;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::Context;
use tokio::sync::OnceCell;
use tokio_postgres::{Client, NoTls};

use crate::postgres_server::find_server;

static SERVER: OnceCell<String> = OnceCell::const_new();
static NEXT: AtomicU32 = AtomicU32::new(0);
/// Serialises template creation across test processes.
const TEMPLATE_LOCK: i64 = 0x5743_414c_4c53;

/// A database of its own for one test, dropped when the value is.
#[derive(Debug)]
pub struct TestDatabase {
    /// Where to connect.
    pub url: String,
    name: String,
    admin_url: String,
}

/// `url` with its database name replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{database}{query}", &base[..path_start])
}

async fn admin(url: &str) -> anyhow::Result<Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .with_context(|| "cannot connect to the test PostgreSQL server")?;
    tokio::spawn(connection);
    Ok(client)
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Retries CREATE/ALTER DATABASE while a just-closed session still holds the source.
async fn with_retries(client: &Client, sql: &str) -> anyhow::Result<()> {
    let mut attempt = 0;
    loop {
        match client.batch_execute(sql).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < 50 && e.to_string().contains("being accessed by other users") => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e).with_context(|| format!("`{sql}` failed")),
        }
    }
}

/// A digest of the PostgreSQL migrations as they are on disk: a template built from an
/// earlier version of them (an edited migration, a new one) is never reused.
fn migrations_digest() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/postgres");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|dir| {
            std::fs::read_dir(dir.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|file| file.path())
        .collect();
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in files {
        file.strip_prefix(&root).unwrap_or(&file).hash(&mut hasher);
        std::fs::read(&file).unwrap_or_default().hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

impl TestDatabase {
    /// A fresh database holding the schema that `migrate` builds. `schema_id` names the
    /// migration set: the template is built once per server and set, then cloned.
    pub async fn create<F, Fut>(schema_id: &str, migrate: F) -> anyhow::Result<Self>
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let admin_url = SERVER.get_or_try_init(find_server).await?.clone();
        let client = admin(&admin_url).await?;
        sweep_leftovers(&client).await;
        let template = format!(
            "sc_tpl_{}_{}",
            schema_id.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
            migrations_digest()
        );
        ensure_template(&client, &admin_url, &template, migrate).await?;
        Self::fresh(&client, admin_url, Some(&template)).await
    }

    /// A fresh database with nothing in it (to test migrations themselves).
    pub async fn create_empty() -> anyhow::Result<Self> {
        let admin_url = SERVER.get_or_try_init(find_server).await?.clone();
        let client = admin(&admin_url).await?;
        Self::fresh(&client, admin_url, None).await
    }

    /// Creates this process's next test database, from `template` or empty.
    async fn fresh(
        client: &Client, admin_url: String, template: Option<&str>,
    ) -> anyhow::Result<Self> {
        let name = format!(
            "sc_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        client
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote(&name)
            ))
            .await?;
        let create = match template {
            Some(template) => format!(
                "CREATE DATABASE {} TEMPLATE {}",
                quote(&name),
                quote(template)
            ),
            None => format!("CREATE DATABASE {}", quote(&name)),
        };
        with_retries(client, &create).await?;
        Ok(Self {
            url: with_database(&admin_url, &name),
            name,
            admin_url,
        })
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The admin URL of the server (to create more databases, or stop nothing).
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }
}

async fn ensure_template<F, Fut>(
    client: &Client, admin_url: &str, template: &str, migrate: F,
) -> anyhow::Result<()>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    if ready(client, template).await? == Some(true) {
        return Ok(());
    }
    client
        .execute("SELECT pg_advisory_lock($1)", &[&TEMPLATE_LOCK])
        .await?;
    let result = async {
        match ready(client, template).await? {
            Some(true) => return Ok(()),
            Some(false) => {
                client
                    .batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", quote(template)))
                    .await?;
            }
            None => {}
        }
        client
            .batch_execute(&format!("CREATE DATABASE {}", quote(template)))
            .await?;
        migrate(with_database(admin_url, template))
            .await
            .context("migrating the test template")?;
        client
            .batch_execute(&format!(
                "COMMENT ON DATABASE {} IS 'ready'",
                quote(template)
            ))
            .await?;
        anyhow::Ok(())
    }
    .await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&TEMPLATE_LOCK])
        .await?;
    result
}

/// Whether the template exists (`Some`) and finished migrating (`Some(true)`).
async fn ready(client: &Client, template: &str) -> anyhow::Result<Option<bool>> {
    let rows = client
        .query(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            &[&template],
        )
        .await?;
    Ok(rows
        .first()
        .map(|r| r.get::<_, Option<String>>(0).as_deref() == Some("ready")))
}

/// Drops test databases whose process is gone.
async fn sweep_leftovers(client: &Client) {
    let Ok(rows) = client
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'sc\\_test\\_%'",
            &[],
        )
        .await
    else {
        return;
    };
    for row in rows {
        let name: String = row.get(0);
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()) {
            let _ = client
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    quote(&name)
                ))
                .await;
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        // The database and the keyring a server may have made beside it.
        let drops = [self.name.clone(), format!("{}_keyring", self.name)]
            .map(|name| format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote(&name)));
        // Drop runs outside any runtime guarantee: use a thread with its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let client = admin(&admin_url).await?;
                for sql in drops {
                    client.batch_execute(&sql).await?;
                }
                anyhow::Ok(())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("test database {} not dropped: {e:#}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_only_the_database() {
        assert_eq!(
            with_database("postgres://u:p@h:5/db?sslmode=disable", "x"),
            "postgres://u:p@h:5/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
    }
}
