//! The data keys' wiring: the operator's master key (given, or for SQLite a key file
//! made beside the data on the first start) and the keyring beside each store. A
//! server whose master key is missing or is not the one its keyring was made with
//! refuses to start: it never serves what it cannot open.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use anyhow::{Context, bail};
use stickycalls_domain::StoreError;
use stickycalls_domain::ports::{KeyFuture, KeyringStore, SharedVault, Vault};
use stickycalls_domain::protection::{DataKey, Generation, MasterKey, Scope};
use stickycalls_domain::tenant::TenantId;
use stickycalls_postgres::{PgKeyring, PgSettings, default_keyring_url};
use stickycalls_sqlite::{SqliteKeyring, SqliteSettings, keyring_path};
use stickycalls_vault::{EncryptionOff, SoftwareVault};

/// Where the master key and the keyring are.
#[derive(Debug, Clone)]
pub struct VaultSettings {
    /// `STICKYCALLS_MASTER_KEY` (64 hex digits or base64 of 32 bytes), else the content
    /// of the file `STICKYCALLS_MASTER_KEY_FILE`.
    pub master: Option<MasterKey>,
    /// `STICKYCALLS_MASTER_KEY_PREVIOUS`: during a rotation, the master key being
    /// replaced (keys wrapped under it still open; new ones are wrapped under whichever
    /// of the two the keyring names).
    pub previous: Option<MasterKey>,
    /// `STICKYCALLS_KEYRING_URL`: the keyring's PostgreSQL database (default: the data's
    /// database name with `_keyring`, on the same server).
    pub keyring_url: Option<String>,
    /// `STICKYCALLS_ENCRYPTION` (`on`, the default, or `off`): whether new values are
    /// sealed and indexed. Off only for a keyring that never held a data key.
    pub encryption: bool,
}

impl Default for VaultSettings {
    /// No master key given, the default keyring, encryption on.
    fn default() -> Self {
        Self {
            master: None,
            previous: None,
            keyring_url: None,
            encryption: true,
        }
    }
}

impl VaultSettings {
    /// Reads the variables through `var`.
    pub fn from_env(var: fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let master = match (
            var("STICKYCALLS_MASTER_KEY"),
            var("STICKYCALLS_MASTER_KEY_FILE"),
        ) {
            (Some(_), Some(_)) => {
                bail!("set STICKYCALLS_MASTER_KEY or STICKYCALLS_MASTER_KEY_FILE, not both")
            }
            (Some(text), None) => Some(MasterKey::parse(&text).context("STICKYCALLS_MASTER_KEY")?),
            (None, Some(path)) => Some(read_key_file(&path)?),
            (None, None) => None,
        };
        let previous = var("STICKYCALLS_MASTER_KEY_PREVIOUS")
            .map(|text| MasterKey::parse(&text).context("STICKYCALLS_MASTER_KEY_PREVIOUS"))
            .transpose()?;
        let encryption = match var("STICKYCALLS_ENCRYPTION").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => bail!("STICKYCALLS_ENCRYPTION must be `on` or `off`, not {other:?}"),
        };
        Ok(Self {
            master,
            previous,
            keyring_url: var("STICKYCALLS_KEYRING_URL"),
            encryption,
        })
    }
}

fn read_key_file(path: &str) -> anyhow::Result<MasterKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the master key file {path}"))?;
    MasterKey::parse(&text).with_context(|| format!("the master key file {path}"))
}

/// What opening the vault has to say to the operator (a key file it made).
pub type Note = Option<String>;

/// The in-memory store's vault: its keys die with the data.
pub fn memory() -> SharedVault {
    SoftwareVault::ephemeral()
}

/// SQLite: the keyring is `<database>.keyring`; with no master key given, the key file
/// `<database>.master-key` is read, or made (mode 0600) when no keyring exists yet (so
/// nothing was sealed under another key).
pub async fn sqlite(
    db: &SqliteSettings, settings: &VaultSettings,
) -> anyhow::Result<(SharedVault, Note)> {
    let (vault, note) = sqlite_vault(db, settings).await?;
    Ok((shared(vault, settings).await?, note))
}

/// The SQLite store's software vault, verified against its keyring.
pub async fn sqlite_vault(
    db: &SqliteSettings, settings: &VaultSettings,
) -> anyhow::Result<(SoftwareVault<SqliteKeyring>, Note)> {
    let keyring = keyring_path(&db.path);
    let key_file = format!("{}.master-key", db.path);
    let (master, note) = match &settings.master {
        Some(master) => (master.clone(), None),
        None if Path::new(&key_file).exists() => (read_key_file(&key_file)?, None),
        None if !SqliteKeyring::exists(&keyring) => {
            let master = MasterKey::from_bytes(random());
            write_private(&key_file, &format!("{}\n", master.to_hex()))?;
            let note = format!(
                "made a master key in {key_file} (mode 0600): personal data is sealed under \
                 it. Keep it, back it up apart from the data, and never lose it: nothing \
                 sealed can be read without it"
            );
            (master, Some(note))
        }
        None => bail!(
            "no master key: the keyring {keyring} exists but {key_file} does not; set \
             STICKYCALLS_MASTER_KEY or STICKYCALLS_MASTER_KEY_FILE to the key it was made with"
        ),
    };
    let vault = SoftwareVault::new(master, SqliteKeyring::open(&keyring)?)
        .with_previous(settings.previous.clone());
    vault.verify().await?;
    Ok((vault, note))
}

/// PostgreSQL: the master key must be given; the keyring is its own database.
pub async fn postgres(
    db: &PgSettings, settings: &VaultSettings,
) -> anyhow::Result<(SharedVault, Note)> {
    let vault = postgres_vault(db, settings).await?;
    Ok((shared(vault, settings).await?, None))
}

/// The vault the services share: `vault`, or with encryption off, `vault` telling them
/// not to seal (refused once the keyring holds a data key).
async fn shared<K: KeyringStore>(
    vault: SoftwareVault<K>, settings: &VaultSettings,
) -> anyhow::Result<SharedVault> {
    Ok(if settings.encryption {
        Arc::new(vault)
    } else {
        Arc::new(EncryptionOff::over(vault).await?)
    })
}

/// The PostgreSQL store's software vault, verified against its keyring.
pub async fn postgres_vault(
    db: &PgSettings, settings: &VaultSettings,
) -> anyhow::Result<SoftwareVault<PgKeyring>> {
    let Some(master) = settings.master.clone() else {
        bail!(
            "no master key: set STICKYCALLS_MASTER_KEY (64 hex digits, e.g. from \
             `openssl rand -hex 32`) or STICKYCALLS_MASTER_KEY_FILE; every node of a \
             deployment needs the same one"
        )
    };
    let url = match &settings.keyring_url {
        Some(url) => url.clone(),
        None => default_keyring_url(&db.url).context("STICKYCALLS_KEYRING_URL")?,
    };
    let keyring = PgKeyring::open(&url, &db.url)
        .await
        .context("cannot open the keyring database (STICKYCALLS_KEYRING_URL)")?;
    let vault = SoftwareVault::new(master, keyring).with_previous(settings.previous.clone());
    vault.verify().await?;
    Ok(vault)
}

fn write_private(path: &str, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create the master key file {path}"))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

fn random() -> [u8; 32] {
    let mut bytes = [0; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator");
    bytes
}

/// A vault set once the database answers: until then (the server answers 503 to
/// everything but health) any use is `Unavailable`.
#[derive(Default, Clone)]
pub struct Deferred {
    vault: Arc<OnceLock<SharedVault>>,
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deferred")
            .field("open", &self.vault.get().is_some())
            .finish()
    }
}

impl Deferred {
    /// Sets the vault (once).
    pub fn set(&self, vault: SharedVault) {
        let _ = self.vault.set(vault);
    }

    fn get(&self) -> Result<&SharedVault, StoreError> {
        self.vault
            .get()
            .ok_or_else(|| StoreError::Unavailable(anyhow::anyhow!("the keyring is not open yet")))
    }
}

impl Vault for Deferred {
    fn key<'a>(&'a self, scope: &'a Scope, create: bool) -> KeyFuture<'a, Option<DataKey>> {
        match self.get() {
            Ok(vault) => vault.key(scope, create),
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }

    fn key_of<'a>(&'a self, scope: &'a Scope, generation: u32) -> KeyFuture<'a, Option<DataKey>> {
        match self.get() {
            Ok(vault) => vault.key_of(scope, generation),
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }

    fn destroy<'a>(&'a self, scope: &'a Scope) -> KeyFuture<'a, ()> {
        match self.get() {
            Ok(vault) => vault.destroy(scope),
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }

    fn generation<'a>(&'a self, tenant: &'a TenantId) -> KeyFuture<'a, Generation> {
        match self.get() {
            Ok(vault) => vault.generation(tenant),
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }

    fn advance<'a>(&'a self, tenant: &'a TenantId) -> KeyFuture<'a, Generation> {
        match self.get() {
            Ok(vault) => vault.advance(tenant),
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }

    fn retire<'a>(&'a self, tenant: &'a TenantId, generation: Generation) -> KeyFuture<'a, u64> {
        match self.get() {
            Ok(vault) => vault.retire(tenant, generation),
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }

    fn encrypts(&self) -> bool {
        self.get().map_or(true, |vault| vault.encrypts())
    }

    fn nonce(&self) -> [u8; 24] {
        let mut bytes = [0; 24];
        getrandom::fill(&mut bytes).expect("the operating system's random number generator");
        bytes
    }
}
