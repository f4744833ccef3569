//! The web console's sessions.

use std::future::Future;

use crate::console::{NewSession, StoredSession};
use crate::error::StoreError;
use crate::timestamp::Timestamp;

/// The web console's sessions, each tied to the key that signed in: the tenant is the
/// key's and a revoked key's sessions open nothing.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait ConsoleSessionStore: Send + Sync + 'static {
    /// Stores a new session; fails if its key does not exist.
    fn create_session(
        &self, session: NewSession,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The session with this digest, with its key's tenant and whether the key is live.
    fn find_session(
        &self, digest: &str,
    ) -> impl Future<Output = Result<Option<StoredSession>, StoreError>> + Send;

    /// Records a request at `at`.
    fn touch_session(
        &self, digest: &str, at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Ends the session (sign-out); ending an unknown one does nothing.
    fn end_session(&self, digest: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}
