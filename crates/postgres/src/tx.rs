//! A start's connection, held from its read to its writes. The read is one statement
//! on its own (no transaction: PostgreSQL reads each statement's own snapshot under
//! READ COMMITTED anyway); writes of more than one statement open the transaction,
//! `BEGIN` pipelined ahead of them. `BEGIN`, `COMMIT` and `ROLLBACK` are prepared once
//! per connection like the DSL queries (an uncached statement would cost a round trip
//! of its own every time, waiting for its Parse).

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::evidence::CreditRead;
use crate::pool::Conn;

macro_rules! control {
    ($name:ident, $sql:literal) => {
        #[doc = concat!("`", $sql, "`, prepared once per connection.")]
        #[derive(Debug, Clone, Copy)]
        pub(crate) struct $name;

        crate::template::prepared!($name, fragment);

        impl QueryFragment<Pg> for $name {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
                out.push_sql($sql);
                Ok(())
            }
        }
    };
}

control!(Begin, "BEGIN");
control!(Commit, "COMMIT");
control!(Rollback, "ROLLBACK");
control!(Savepoint, "SAVEPOINT credits");
control!(RollbackToSavepoint, "ROLLBACK TO SAVEPOINT credits");

/// The connection of a start in progress. Dropped without [`StartTx::close`] or
/// [`StartTx::roll_back`] done (a retry answered from the stored call, a cancelled
/// request) after its transaction began, it rolls back on a task of its own before
/// the connection goes back to the pool; a connection that cannot roll back is closed
/// instead of being reused.
pub struct StartTx {
    conn: Option<Conn>,
    /// Whether `BEGIN` was sent.
    open: bool,
    /// The credits as the start's read found them (billing on).
    pub(crate) credits: Option<CreditRead>,
}

impl std::fmt::Debug for StartTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartTx").field("open", &self.open).finish()
    }
}

impl StartTx {
    /// Holds `conn`, no transaction open.
    pub(crate) fn new(conn: Conn) -> Self {
        Self {
            conn: Some(conn),
            open: false,
            credits: None,
        }
    }

    /// Marks the transaction begun: the caller sends `BEGIN` (pipelined with what
    /// follows); from now on a drop rolls back.
    pub(crate) fn begin(&mut self) {
        self.open = true;
    }

    /// The connection, for pipelined queries.
    pub(crate) fn conn(&self) -> &AsyncPgConnection {
        self.conn
            .as_deref()
            .expect("a StartTx holds its connection until it is finished")
    }

    /// Its transaction is over (committed, or never begun): the connection goes back to
    /// the pool as it is.
    pub(crate) fn close(mut self) {
        self.open = false;
    }

    /// Rolls back a transaction that began, on the connection it still holds. Failed,
    /// or dropped before it is done (a request gone), the `StartTx` it owns rolls back
    /// once more on a task of its own ([`Drop`]), closing the connection if that fails
    /// too: the connection never goes back to the pool inside the transaction, where
    /// the next request's single statements would run and never commit.
    pub(crate) async fn roll_back(mut self) {
        if let (true, Some(conn)) = (self.open, self.conn.as_mut())
            && Rollback.execute(&mut **conn).await.is_ok()
        {
            self.open = false;
        }
    }
}

impl Drop for StartTx {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if !self.open {
            // Nothing to undo: the connection goes back to the pool as it is.
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(rollback_or_discard(conn));
            }
            Err(_) => drop(deadpool::managed::Object::take(conn)),
        }
    }
}

/// Rolls back whatever is open on `conn` (harmless when nothing is), and closes the
/// connection rather than pool it if even that fails.
async fn rollback_or_discard(mut conn: Conn) {
    if let Err(e) = Rollback.execute(&mut *conn).await {
        tracing::warn!("a connection that could not roll back is closed: {e}");
        drop(deadpool::managed::Object::take(conn));
    }
}
