//! Accounts.

use std::future::Future;

use crate::accounts::{AccountInfo, NewAccount};
use crate::error::StoreError;
use crate::tenant::AccountId;
use crate::timestamp::Timestamp;

/// Accounts.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait AccountStore: Send + Sync + 'static {
    /// Creates an account, its keys and its starting credits atomically.
    fn create_account(
        &self, account: NewAccount,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Whether any account exists (a fresh store has none).
    fn has_accounts(&self) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Every account, oldest first (ties by id): the operator's listing.
    fn list_accounts(&self) -> impl Future<Output = Result<Vec<AccountInfo>, StoreError>> + Send;

    /// Closes the account, atomically: marks it closed at `at`, forgets its contact
    /// address, revokes every key (other nodes are told, where the store can) and ends
    /// their console sessions. The revoked keys' lookup ids; `None` when there is no such
    /// account or it is closed already.
    fn close_account(
        &self, account: AccountId, at: Timestamp,
    ) -> impl Future<Output = Result<Option<Vec<String>>, StoreError>> + Send;
}
