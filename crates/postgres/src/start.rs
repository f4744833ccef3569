//! Committing a start, after its read (one statement, no transaction): a start's
//! writes are one transaction, or one statement when the call row is all they write.
//!
//! The writes go out in one pipeline: PostgreSQL runs the statements in the order they
//! were sent (`BEGIN` first; the customer before the call row that references it), and
//! a failure anywhere fails the rest of the transaction. `try_join!` polls in order and
//! diesel-async sends each statement right after taking its statement cache (a FIFO
//! tokio mutex, held while preparing), so the sending order is this order even when a
//! statement must be prepared first.
//!
//! - A known caller with nothing to pay: one statement, the call insert with the
//!   context read back ([`known_start`]; the credits left come from the read). Two
//!   statements in all, read included. (If the insert found the `call_id` taken, it
//!   wrote nothing.)
//! - A billable start a credit stripe can pay, as the read found the stripes: one
//!   statement ([`billed_start`]), two in all. When no stripe can be taken (each is
//!   held, or no longer holds enough), it wrote nothing and the start goes on as below.
//! - A billable start otherwise: `BEGIN`, `SAVEPOINT`, the writes, the first free credit stripe's
//!   `FOR UPDATE SKIP LOCKED` and the credits as last committed in one pipeline; the
//!   stripe's block pays (the domain's `Payment` decides), and the stripe, the ledger
//!   line and `COMMIT` go in a second one. Three round trips in all; a fourth when the
//!   block must be refilled from the account (see [`billed`]).
//! - A new customer without a charge (billing off): `BEGIN`, the writes, then `COMMIT`
//!   once the call insert is known to have happened (a provisional customer must not
//!   outlive a refused start).

use diesel::QueryResult;
use diesel::result::Error as DieselError;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::credits::payment::{Found, Payment, Step, Writes};
use stickycalls_domain::credits::{BillingPolicy, Charge, InsufficientCredits};
use stickycalls_domain::ports::{CommitStartError, CustomerContext, StartCommit, StartReceipt};
use stickycalls_domain::tenant::TenantId;
use uuid::Uuid;

use crate::billed_start;
use crate::call_insert::CallInsert;
use crate::context::customer_context;
use crate::credits;
use crate::errors::from_diesel;
use crate::evidence::CreditRead;
use crate::known_start;
use crate::links::{ensure_customer, link_hints};
use crate::outbox;
use crate::rows::CallRow;
use crate::stripes;
use crate::tenant_key::tenant_key;
use crate::tx::{Begin, Commit, RollbackToSavepoint, Savepoint, StartTx};

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
    mut tx: StartTx, tenant: TenantId, commit: StartCommit, policy: &dyn BillingPolicy,
) -> Result<StartReceipt, CommitStartError> {
    if let Some(charge) = commit.charge
        && let Some(receipt) = paid_as_read(&tx, tenant, &commit, charge, policy).await?
    {
        return Ok(receipt);
    }
    if !only_the_call(&commit) {
        // `BEGIN` goes first in the writes' pipeline; a drop from here rolls back.
        tx.begin();
    }
    let ended = write(tx.conn(), tenant, &commit, policy, tx.credits.as_ref()).await;
    match ended {
        Ok(Ended::Committed(receipt)) => {
            tx.close();
            Ok(receipt)
        }
        Ok(Ended::TakenAndClosed) => {
            tx.close();
            Err(CommitStartError::CallIdTaken)
        }
        Err(abort) => {
            // The connection stays held until the rollback is done (see `roll_back`).
            tx.roll_back().await;
            Err(abort.into())
        }
    }
}

/// A billed start paid by a stripe as the read found it, in one statement; `None`
/// when no stripe could pay (nothing was written).
async fn paid_as_read(
    tx: &StartTx, tenant: TenantId, commit: &StartCommit, charge: Charge,
    policy: &dyn BillingPolicy,
) -> Result<Option<StartReceipt>, CommitStartError> {
    let Some(read) = &tx.credits else {
        return Ok(None);
    };
    let call = &commit.call;
    let payment = Payment::new(tenant, charge, &call.call_id, policy, call.started_at);
    let offers = payment.from_read(read.account.as_ref(), &read.stripes);
    if offers.is_empty() {
        return Ok(None);
    }
    let written = match billed_start::write(tx.conn(), tenant_key(&tenant), commit, &offers).await {
        Ok(written) => written,
        Err(DieselError::DatabaseError(_, info))
            if info.message() == billed_start::CALL_ID_TAKEN =>
        {
            return Err(CommitStartError::CallIdTaken);
        }
        Err(e) => return Err(CommitStartError::Store(from_diesel(e))),
    };
    let Some(paid) = written
        .paid_from
        .and_then(|stripe| offers.iter().find(|o| o.read.0 == stripe))
    else {
        return Ok(None);
    };
    Ok(Some(StartReceipt {
        context: written.context,
        credits_remaining: Some(paid.paid.credits_left),
    }))
}

/// Whether the start writes its call row and nothing else (a known caller, nothing to
/// pay): one statement, no transaction.
fn only_the_call(commit: &StartCommit) -> bool {
    commit.charge.is_none() && !commit.create_customer && !commit.link_hints
}

/// `BEGIN` and what follows it, sent in this order without waiting between them.
async fn begin_then(
    conn: &AsyncPgConnection, then: impl Future<Output = QueryResult<()>>,
) -> QueryResult<()> {
    let mut begin_conn = conn;
    futures_util::try_join!(Begin.execute(&mut begin_conn), then).map(|_| ())
}

async fn write(
    conn: &AsyncPgConnection, tenant: TenantId, commit: &StartCommit, policy: &dyn BillingPolicy,
    read: Option<&CreditRead>,
) -> Result<Ended, Abort> {
    match commit.charge {
        Some(charge) => billed(conn, tenant, commit, charge, policy).await,
        None => free(conn, tenant_key(&tenant), commit, policy, read).await,
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
    let insert = CallInsert(row).execute(&mut insert_conn);
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

/// A start with nothing to pay. Only the call row to write: one statement
/// ([`known_start`]). Otherwise `BEGIN`, the writes, then `COMMIT` once the call insert
/// is known to have happened.
async fn free(
    conn: &AsyncPgConnection, tenant: Uuid, commit: &StartCommit, policy: &dyn BillingPolicy,
    read: Option<&CreditRead>,
) -> Result<Ended, Abort> {
    let now = commit.call.started_at;
    // The balance as the read found it, or read with the writes.
    let read_balance =
        |read: &CreditRead| credits::balance_of(read.account.clone(), &read.stripes, policy, now);
    let as_read = read.filter(|_| commit.report_balance).map(read_balance);
    let read_with_writes = commit.report_balance && as_read.is_none();
    if only_the_call(commit) {
        let written = known_start::write(conn, tenant, commit, read_with_writes).await?;
        if written.inserted == 0 {
            return Ok(Ended::TakenAndClosed);
        }
        let credits_remaining = as_read.or_else(|| {
            read_with_writes
                .then(|| credits::balance_of(written.account, &written.stripes, policy, now))
        });
        return Ok(Ended::Committed(StartReceipt {
            context: written.context,
            credits_remaining,
        }));
    }
    let balance = async {
        if read_with_writes {
            credits::remaining(conn, tenant, policy, now)
                .await
                .map(Some)
        } else {
            Ok(as_read)
        }
    };
    let first = begin_then(conn, async { Ok(()) });
    let (inserted, context, balance) = writes(conn, tenant, commit, first, balance).await?;
    if inserted == 0 {
        return Err(Abort::CallIdTaken);
    }
    let mut commit_conn = conn;
    Commit.execute(&mut commit_conn).await?;
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
    let savepoint = begin_then(conn, async {
        Savepoint.execute(&mut savepoint_conn).await.map(|_| ())
    });
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
