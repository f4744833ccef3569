//! A known caller's start with nothing to pay, written as one statement: the call row
//! inserted (or the `call_id` found taken), and read back with it the customer's open
//! intents and live variables, and the tenant's credit state when the start's read did
//! not already bring it ([`crate::read_back`]). One statement is one transaction: there
//! is nothing else to commit with it. The insert runs whether or not the read-back
//! looks at it (a data-modifying statement in `WITH` is executed exactly once).
//!
//! The insert ([`CallInsert`], every column bound) is wrapped in a data-modifying CTE.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::ports::StartCommit;
use uuid::Uuid;

use crate::call_insert::CallInsert;
use crate::read_back::{self, Params, READ_BACK_SQL, Written};
use crate::rows::CallRow;

/// The statement: the insert and the read-back, prepared once per connection.
struct KnownStart {
    insert: CallInsert,
    read_back: Params,
}

crate::template::prepared!(KnownStart);

impl QueryFragment<Pg> for KnownStart {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH inserted AS (");
        self.insert.walk_ast(out.reborrow())?;
        out.push_sql(
            " RETURNING 1), outcome AS (SELECT count(*) AS n, NULL::int2 AS stripe FROM inserted)",
        );
        crate::template::walk(READ_BACK_SQL, "a known start", out, |name, out| {
            self.read_back.bind(name, out)
        })
    }
}

/// Writes `commit`'s call row and reads the rest back, in one statement; the credit
/// state only with `balance`.
pub(crate) async fn write(
    mut conn: &AsyncPgConnection, tenant: Uuid, commit: &StartCommit, balance: bool,
) -> QueryResult<Written> {
    let call = &commit.call;
    let query = KnownStart {
        insert: CallInsert(CallRow::new(tenant, call)),
        read_back: Params::new(
            tenant,
            call.customer.as_str(),
            call.started_at,
            commit.read_context,
            balance,
        ),
    };
    let rows: Vec<read_back::Row> = query.load(&mut conn).await?;
    read_back::assemble(rows, "a known start")
}
