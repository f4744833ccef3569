//! The web console's sessions in memory, tied to their key as on the databases.

use stickycalls_domain::console::{NewSession, SessionTimes, StoredSession};
use stickycalls_domain::ports::ConsoleSessionStore;
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::{StoreError, Timestamp};

use crate::MemoryStore;

impl ConsoleSessionStore for MemoryStore {
    async fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        let mut state = self.lock();
        // The databases refuse a session of an unknown key (a foreign key), or a digest
        // taken already (the primary key): so does memory.
        if !state.keys.contains_key(&session.key_lookup_id)
            || state.sessions.contains_key(&session.digest)
        {
            return Err(StoreError::Unknown(
                std::io::Error::other("no such key, or the session exists already").into(),
            ));
        }
        let times = SessionTimes {
            created_at: session.at,
            last_seen_at: session.at,
        };
        state
            .sessions
            .insert(session.digest, (session.key_lookup_id, times));
        Ok(())
    }

    async fn find_session(&self, digest: &str) -> Result<Option<StoredSession>, StoreError> {
        let state = self.lock();
        let Some((lookup_id, times)) = state.sessions.get(digest) else {
            return Ok(None);
        };
        let key = state.keys.get(lookup_id).ok_or_else(|| {
            StoreError::Unknown(std::io::Error::other("a session outlived its key").into())
        })?;
        Ok(Some(StoredSession {
            tenant: TenantId {
                account: key.account,
                environment: key.environment,
            },
            key_lookup_id: lookup_id.clone(),
            key_live: key.revoked_at.is_none(),
            times: *times,
        }))
    }

    async fn touch_session(&self, digest: &str, at: Timestamp) -> Result<(), StoreError> {
        if let Some((_, times)) = self.lock().sessions.get_mut(digest) {
            times.last_seen_at = at;
        }
        Ok(())
    }

    async fn end_session(&self, digest: &str) -> Result<(), StoreError> {
        self.lock().sessions.remove(digest);
        Ok(())
    }
}
