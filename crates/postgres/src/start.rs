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
//! - A billable start: `SAVEPOINT`, the writes, the first free credit stripe's
//!   `FOR UPDATE SKIP LOCKED` and the credits as last committed in one pipeline; the
//!   stripe's block pays (the domain's `Payment` decides), and the stripe, the ledger
//!   line and `COMMIT` go in a second one. Three round trips in all; a fourth when the
//!   block must be refilled from the account (see [`billed`]).
//! - A new customer without a charge (billing off): the writes, then `COMMIT` once the
//!   call insert is known to have happened (a provisional customer must not outlive a
//!   refused start).

use diesel::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::credits::payment::{Found, Payment, Step, Writes};
use stickycalls_domain::credits::{BillingPolicy, Charge, InsufficientCredits};
use stickycalls_domain::ports::{CommitStartError, CustomerContext, StartCommit, StartReceipt};
use stickycalls_domain::tenant::TenantId;
use uuid::Uuid;

use crate::context::customer_context;
use crate::credits;
use crate::errors::from_diesel;
use crate::links::{ensure_customer, link_hints};
use crate::outbox;
use crate::rows::CallRow;
use crate::schema::calls;
use crate::stripes;
use crate::tenant_key::tenant_key;
use crate::tx::{Commit, RollbackToSavepoint, Savepoint, StartTx, rollback_or_discard};

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
    tx: StartTx, tenant: TenantId, commit: StartCommit, policy: &dyn BillingPolicy,
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
    conn: &AsyncPgConnection, tenant: TenantId, commit: &StartCommit, policy: &dyn BillingPolicy,
) -> Result<Ended, Abort> {
    match commit.charge {
        Some(charge) => billed(conn, tenant, commit, charge, policy).await,
        None => free(conn, tenant_key(&tenant), commit, policy).await,
    }
}

/// The start's writes (customer, call, links) and its customer's context, pipelined
/// after `first` and before `then`: the number of calls inserted (0: the `call_id` was
/// taken), the context, and what `then` returned.
async fn writes<T>(
    conn: &AsyncPgConnection, tenant: Uuid, commit: &StartCommit,
    first: impl Future<Output = QueryResult<()>>, then: impl Future<Output = QueryResult<T>>,
) -> QueryResult<(usize, CustomerContext, T)> {
    let call = &commit.call;
    let now = call.started_at;
    let row = CallRow::new(tenant, call);
    let mut insert_conn = conn;
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
                &commit.sealed_links,
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
    let ((), (), inserted, (), context, then) =
        futures_util::try_join!(first, customer, insert, links, context, then)?;
    Ok((inserted, context, then))
}

/// A start with nothing to pay: its writes, then `COMMIT` (in the same pipeline when
/// only the call is written).
async fn free(
    conn: &AsyncPgConnection, tenant: Uuid, commit: &StartCommit, policy: &dyn BillingPolicy,
) -> Result<Ended, Abort> {
    let now = commit.call.started_at;
    let only_the_call = !commit.create_customer && !commit.link_hints;
    let mut commit_conn = conn;
    let then = async {
        let balance = async {
            if commit.report_balance {
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
        futures_util::try_join!(balance, commit_now).map(|(balance, ())| balance)
    };
    let (inserted, context, balance) = writes(conn, tenant, commit, async { Ok(()) }, then).await?;
    if inserted == 0 {
        return if only_the_call {
            Ok(Ended::TakenAndClosed)
        } else {
            Err(Abort::CallIdTaken)
        };
    }
    if !only_the_call {
        let mut commit_conn = conn;
        Commit.execute(&mut commit_conn).await?;
    }
    Ok(Ended::Committed(StartReceipt {
        context,
        credits_remaining: balance,
    }))
}

/// A billed start, paying as the domain's [`Payment`] decides, step by step: its writes
/// go out after `SAVEPOINT credits` with the first free stripe locked (`SKIP LOCKED`)
/// and the tenant's credits and stripes read as last committed (three round trips in
/// all when the stripe's block pays, as with one credit row); when asked, the account
/// is locked and the stripes read again (one more); when asked to gather, the start
/// rolls back to the savepoint (releasing every credit lock) and is written again
/// holding every stripe, then the account. This function takes the steps; which one
/// comes next and what it writes are the domain's.
async fn billed(
    conn: &AsyncPgConnection, tenant_id: TenantId, commit: &StartCommit, charge: Charge,
    policy: &dyn BillingPolicy,
) -> Result<Ended, Abort> {
    let tenant = tenant_key(&tenant_id);
    let call = &commit.call;
    let mut payment = Payment::new(tenant_id, charge, &call.call_id, policy, call.started_at);
    let mut savepoint_conn = conn;
    let savepoint = async { Savepoint.execute(&mut savepoint_conn).await.map(|_| ()) };
    let then = async {
        futures_util::try_join!(
            stripes::lock_free(conn, tenant),
            credits::load(conn, tenant, false),
            stripes::read_all(conn, tenant)
        )
    };
    let (inserted, mut context, (own, seen, all)) =
        writes(conn, tenant, commit, savepoint, then).await?;
    if inserted == 0 {
        return Err(Abort::CallIdTaken);
    }
    let mut step = payment.next(Found::Stripe {
        own,
        account: seen.as_ref(),
        all: &all,
    });
    loop {
        step = match step {
            Step::Pay(paid) => {
                let credits_left = paid.credits_left;
                pay(conn, tenant, paid.writes).await?;
                return Ok(Ended::Committed(StartReceipt {
                    context,
                    credits_remaining: Some(credits_left),
                }));
            }
            Step::Refuse(refused) => return Err(Abort::Insufficient(refused)),
            Step::LockAccount => {
                // The account, locked, then the stripes as last committed (read after
                // the lock: a stripe set aside by the start that held it before is seen).
                let (account, all) = futures_util::try_join!(
                    credits::load(conn, tenant, true),
                    stripes::read_all(conn, tenant)
                )?;
                payment.next(Found::Account { account, all: &all })
            }
            Step::GatherAll => {
                let mut rollback_conn = conn;
                let rollback = async {
                    RollbackToSavepoint
                        .execute(&mut rollback_conn)
                        .await
                        .map(|_| ())
                };
                let (inserted, again, (held, account)) =
                    writes(conn, tenant, commit, rollback, async {
                        futures_util::try_join!(
                            stripes::lock_all(conn, tenant),
                            credits::load(conn, tenant, true)
                        )
                    })
                    .await?;
                if inserted == 0 {
                    return Err(Abort::CallIdTaken);
                }
                context = again;
                payment.next(Found::Everything {
                    account,
                    held: &held,
                })
            }
        };
    }
}

/// Writes what pays, and `COMMIT`.
async fn pay(conn: &AsyncPgConnection, tenant: Uuid, writes: Writes<i16>) -> QueryResult<()> {
    let mut commit_conn = conn;
    match writes {
        Writes::Stripe { stripe, entry } => {
            futures_util::try_join!(
                stripes::save(conn, tenant, &stripe),
                credits::append(conn, tenant, std::slice::from_ref(&entry)),
                Commit.execute(&mut commit_conn)
            )?;
        }
        Writes::Account { change, set_aside } => {
            let set_aside = async {
                match set_aside {
                    Some(stripe) => stripes::save(conn, tenant, &stripe).await,
                    None => Ok(()),
                }
            };
            futures_util::try_join!(
                credits::save(conn, tenant, &change),
                set_aside,
                Commit.execute(&mut commit_conn)
            )?;
        }
        Writes::Gathered {
            change,
            held,
            events,
        } if events.is_empty() => {
            futures_util::try_join!(
                credits::save_gathered(conn, tenant, &change, &held, true),
                Commit.execute(&mut commit_conn)
            )?;
        }
        Writes::Gathered {
            change,
            held,
            events,
        } => {
            // The outbox writes one statement at a time: they must all be in before
            // `COMMIT` is sent.
            futures_util::try_join!(
                credits::save_gathered(conn, tenant, &change, &held, true),
                outbox::write(conn, tenant, &events)
            )?;
            Commit.execute(&mut commit_conn).await?;
        }
    }
    Ok(())
}
