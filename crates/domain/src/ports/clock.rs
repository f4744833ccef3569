//! Time and new ids.

use crate::identity::CustomerRef;
use crate::tenant::AccountId;
use crate::timestamp::Timestamp;

/// Gives services the time. Tests inject a fixed or stepping clock.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// Makes new customer references (`cust_` + something unguessable).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdGenerator: Send + Sync + 'static {
    /// A fresh reference, never handed out before.
    fn new_customer_ref(&self) -> CustomerRef;

    /// A fresh account id.
    fn new_account_id(&self) -> AccountId;

    /// 32 random bytes (a webhook endpoint's id and secret are drawn from them).
    fn random_bytes(&self) -> [u8; 32];
}
