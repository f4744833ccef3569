//! Driver errors, translated into the domain's `StoreError` here and nowhere else.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::PoolError as ManagerError;
use diesel_async::pooled_connection::deadpool::PoolError;
use stickycalls_domain::StoreError;

/// A failed query: a lost connection is `Unavailable`, anything else `Unknown`.
pub(crate) fn from_diesel(error: DieselError) -> StoreError {
    match &error {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
            StoreError::Unavailable(error.into())
        }
        DieselError::DatabaseError(_, info) if is_connection_failure(info.message()) => {
            StoreError::Unavailable(error.into())
        }
        _ => StoreError::Unknown(anyhow::Error::new(error).context("postgres query failed")),
    }
}

/// No connection in time, or none could be made: the store is unavailable.
pub(crate) fn from_pool(error: PoolError) -> StoreError {
    let cause = match &error {
        PoolError::Timeout(_) => "no database connection free in time",
        PoolError::Backend(ManagerError::ConnectionError(_)) => "cannot connect to the database",
        _ => "database pool failure",
    };
    StoreError::Unavailable(anyhow::Error::new(error).context(cause))
}

fn is_connection_failure(message: &str) -> bool {
    // tokio-postgres reports a dropped socket as an untyped error.
    let message = message.to_ascii_lowercase();
    [
        "connection closed",
        "broken pipe",
        "connection reset",
        "terminating connection",
    ]
    .iter()
    .any(|m| message.contains(m))
}
