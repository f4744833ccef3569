//! Master-key rotation, online: the keyring is moved to the new master key (nodes given
//! both keys then wrap new data keys under it within [`WRAPPING_CHOICE_FOR`]), and after
//! that wait every wrapped key still under the previous master key is re-wrapped under
//! the new one, page by page, each replaced by compare-and-set (a key destroyed
//! meanwhile stays destroyed). The data keys themselves never change, so every value
//! stays readable throughout. State lives only in the keyring: a rotation killed at any
//! point is finished by running it again.

use std::time::Duration;

use serde::Serialize;
use stickycalls_domain::ports::KeyringStore;
use stickycalls_domain::protection::Rewrap;

use crate::{SoftwareVault, VaultError, WRAPPING_CHOICE_FOR, random};

/// Keys read per page.
pub const PAGE: u32 = 500;

/// What a rotation did (counts only: scope names carry customer refs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rotation {
    /// The new master key's id, which the keyring now names.
    pub master_id: String,
    /// Wrapped keys read.
    pub examined: u64,
    /// Re-wrapped under the new master key.
    pub rewrapped: u64,
    /// Already under the new master key (made since the move, or by an earlier run).
    pub already: u64,
    /// Changed or destroyed between the read and the replacement (left as they are).
    pub changed_meanwhile: u64,
    /// Under neither key: altered, or wrapped under a third key (left as they are).
    pub unreadable: u64,
}

impl<K: KeyringStore> SoftwareVault<K> {
    /// Moves the keyring to this vault's master key and re-wraps every key still under
    /// the previous one. `settle` must exceed [`WRAPPING_CHOICE_FOR`] when serving
    /// nodes share the keyring; [`settle`] is the safe default.
    pub async fn rotate(&self, settle: Duration, page: u32) -> Result<Rotation, VaultError> {
        let previous = self.previous.as_ref().ok_or(VaultError::NoPreviousKey)?;
        let (from, to) = (previous.id(), self.master.id());
        if !self.keyring.move_master_id(&from, &to).await? {
            let stored = self.keyring.master_id(&to).await?;
            return Err(VaultError::WrongMasterKey { given: to, stored });
        }
        tracing::info!(master_id = %to, "the keyring names the new master key; waiting for every node to wrap under it");
        tokio::time::sleep(settle).await;

        let mut done = Rotation {
            master_id: to,
            ..Rotation::default()
        };
        let mut after = String::new();
        loop {
            let keys = self.keyring.page(&after, page).await?;
            let Some((last, _)) = keys.last() else { break };
            after.clone_from(last);
            // A tenant's generation (`#generation`) is state, not a key.
            for (scope, wrapped) in keys.iter().filter(|(scope, _)| !scope.contains('#')) {
                done.examined += 1;
                match self.master.rewrap_from(previous, scope, wrapped, random()) {
                    Rewrap::Done => done.already += 1,
                    Rewrap::Unreadable => done.unreadable += 1,
                    Rewrap::Rewrapped(new) => {
                        if self.keyring.replace(scope, wrapped, &new).await? {
                            done.rewrapped += 1;
                        } else {
                            done.changed_meanwhile += 1;
                        }
                    }
                }
            }
            tracing::info!(
                examined = done.examined,
                rewrapped = done.rewrapped,
                "master key rotation in progress"
            );
        }
        if done.unreadable > 0 {
            tracing::error!(
                unreadable = done.unreadable,
                "wrapped keys open under neither master key (altered, or from another keyring)"
            );
        }
        Ok(done)
    }
}

/// How long a rotation waits between moving the keyring and re-wrapping: longer than
/// any node trusts its last reading of the keyring's master key.
pub fn settle() -> Duration {
    WRAPPING_CHOICE_FOR + Duration::from_secs(1)
}
