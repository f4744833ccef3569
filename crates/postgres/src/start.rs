//! Committing a start, in the transaction its read opened (`BEGIN` was pipelined with
//! the call lookup and the evidence): every start is one transaction.
//!
//! The writes go out in one pipeline: PostgreSQL runs the statements in the order they
//! were sent (the customer before the call row that references it), and a failure
//! anywhere fails the rest of the transaction. `try_join!` polls in order and
//! diesel-async sends each statement right after taking its statement cache (a FIFO
//! tokio mutex, held while preparing), so the sending order is this order even when a
//! statement must be prepared first.
//!
//! - A known caller with nothing to pay: the call insert, the context reads, the
//!   credits left and `COMMIT` in one pipeline. Two round trips in all, read included.
//!   (If the insert found the `call_id` taken, the transaction committed nothing.)
//! - A billable start: the writes and the credit row's `FOR UPDATE` in one pipeline;
//!   then the domain's `CreditAccount::debit` decides, and the new state, its ledger
//!   lines and `COMMIT` go in a second one. Three round trips in all.
//! - A new customer without a charge (billing off): the writes, then `COMMIT` once the
//!   call insert is known to have happened (a provisional customer must not outlive a
//!   refused start).

use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::credits::{BillingPolicy, CreditAccount, InsufficientCredits};
use stickycalls_domain::ports::{CommitStartError, CustomerContext, StartCommit, StartReceipt};
use uuid::Uuid;

use crate::context::customer_context;
use crate::credits;
use crate::errors::from_diesel;
use crate::links::{ensure_customer, link_hints};
use crate::rows::CallRow;
use crate::schema::calls;
use crate::tx::{Commit, StartTx, rollback_or_discard};

/// Why a start's transaction rolls back.
enum Abort {
    Query(diesel::result::Error),
    CallIdTaken,
    Insufficient(InsufficientCredits),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Query(e)
    }
}

impl From<Abort> for CommitStartError {
    fn from(abort: Abort) -> Self {
        match abort {
            Abort::Query(e) => CommitStartError::Store(from_diesel(e)),
            Abort::CallIdTaken => CommitStartError::CallIdTaken,
            Abort::Insufficient(e) => CommitStartError::InsufficientCredits(e),
        }
    }
}

/// What the writes ended with.
enum Ended {
    /// `COMMIT` was sent and answered.
    Committed(StartReceipt),
    /// The insert found the `call_id` taken, after a `COMMIT` of nothing.
    TakenAndClosed,
}

pub(crate) async fn commit_start(
    tx: StartTx, tenant: Uuid, commit: StartCommit, policy: &dyn BillingPolicy,
) -> Result<StartReceipt, CommitStartError> {
    let ended = write(tx.conn(), tenant, &commit, policy).await;
    let conn = tx.finish();
    match ended {
        Ok(Ended::Committed(receipt)) => Ok(receipt),
        Ok(Ended::TakenAndClosed) => Err(CommitStartError::CallIdTaken),
        Err(abort) => {
            if let Some(conn) = conn {
                rollback_or_discard(conn).await;
            }
            Err(abort.into())
        }
    }
}

async fn write(
    conn: &AsyncPgConnection, tenant: Uuid, commit: &StartCommit, policy: &dyn BillingPolicy,
) -> Result<Ended, Abort> {
    let call = &commit.call;
    let now = call.started_at;
    let row = CallRow::new(tenant, call);
    let only_the_call = !commit.create_customer && !commit.link_hints && commit.charge.is_none();
    let (mut insert_conn, mut commit_conn) = (conn, conn);
    let customer = async {
        if commit.create_customer {
            ensure_customer(conn, tenant, &call.customer, now).await
        } else {
            Ok(())
        }
    };
    let insert = diesel::insert_into(calls::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(&mut insert_conn);
    let links = async {
        if commit.link_hints {
            link_hints(
                conn,
                tenant,
                &call.customer,
                &call.hints,
                call.line_type,
                now,
            )
            .await
        } else {
            Ok(())
        }
    };
    let context = async {
        if commit.read_context {
            customer_context(conn, tenant, &call.customer, now).await
        } else {
            Ok(CustomerContext::default())
        }
    };
    // The credit row, locked until the commit, when there is something to pay.
    let stored = async {
        if commit.charge.is_some() {
            credits::load(conn, tenant, true).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let balance = async {
        if commit.charge.is_none() && commit.report_balance {
            credits::remaining(conn, tenant, policy, now)
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    };
    let commit_now = async {
        if only_the_call {
            Commit.execute(&mut commit_conn).await.map(|_| ())
        } else {
            Ok(())
        }
    };
    let ((), inserted, (), context, stored, balance, ()) = futures_util::try_join!(
        customer, insert, links, context, stored, balance, commit_now
    )?;
    if inserted == 0 {
        return if only_the_call {
            Ok(Ended::TakenAndClosed)
        } else {
            Err(Abort::CallIdTaken)
        };
    }
    let credits_remaining = match (commit.charge, stored) {
        (Some(charge), stored) => {
            let change =
                CreditAccount::debit_stored(stored.flatten(), charge, &call.call_id, policy, now)
                    .map_err(Abort::Insufficient)?;
            // The new state, its ledger lines and the commit: one round trip.
            let mut commit_conn = conn;
            futures_util::try_join!(
                credits::save(conn, tenant, &change),
                Commit.execute(&mut commit_conn)
            )?;
            Some(change.account.balance().total())
        }
        (None, _) => {
            if !only_the_call {
                let mut commit_conn = conn;
                Commit.execute(&mut commit_conn).await?;
            }
            balance
        }
    };
    Ok(Ended::Committed(StartReceipt {
        context,
        credits_remaining,
    }))
}
