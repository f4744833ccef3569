//! Accounts.

use std::future::Future;

use crate::accounts::{AccountInfo, NewAccount};
use crate::error::StoreError;

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
}
