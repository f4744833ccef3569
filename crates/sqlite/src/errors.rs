//! SQLite errors, translated into the domain's `StoreError` here only.

use deadpool::managed::PoolError;
use diesel::ConnectionError;
use diesel::result::Error as DieselError;
use stickycalls_domain::StoreError;

pub(crate) fn from_diesel(error: DieselError) -> StoreError {
    let busy = matches!(&error, DieselError::DatabaseError(_, info)
        if info.message().contains("database is locked") || info.message().contains("busy"));
    if busy {
        StoreError::Unavailable(anyhow::Error::new(error).context("the database stayed locked"))
    } else {
        StoreError::Unknown(anyhow::Error::new(error).context("sqlite query failed"))
    }
}

pub(crate) fn from_pool(error: PoolError<ConnectionError>) -> StoreError {
    StoreError::Unavailable(
        anyhow::Error::new(error).context("no database connection free in time"),
    )
}
