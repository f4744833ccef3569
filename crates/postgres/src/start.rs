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
//!   stripe's block pays (the domain's `Block::pay`), and the stripe, the ledger line
//!   and `COMMIT` go in a second one. Three round trips in all; a fourth when the
//!   block must be refilled from the account (see [`billed`]).
//! - A new customer without a charge (billing off): the writes, then `COMMIT` once the
//!   call insert is known to have happened (a provisional customer must not outlive a
//!   refused start).

use diesel::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::Timestamp;
use stickycalls_domain::credits::stripes::{Block, Held, Refill, STRIPES, refill};
use stickycalls_domain::credits::{BillingPolicy, Charge, CreditAccount, InsufficientCredits};
use stickycalls_domain::ports::{CommitStartError, CustomerContext, StartCommit, StartReceipt};
use stickycalls_domain::tenant::TenantId;
use stickycalls_domain::webhooks::debit_events;
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

/// A billed start. Its writes go out after `SAVEPOINT credits`, with the first free
/// stripe locked and the tenant's credits read as last committed; the stripe's block
/// pays if it can (the stripe, the debit's ledger line and `COMMIT`: three round trips
/// in all, as with one credit row). Otherwise the account is locked and the domain's
/// [`refill`] decides: pay from the account and set a fresh block aside for the
/// stripe (one more round trip); or, when credits that decide the start may sit in
/// stripes other starts hold, roll back to the savepoint (releasing every credit lock)
/// and start over holding every stripe, then the account.
async fn billed(
    conn: &AsyncPgConnection, tenant_id: TenantId, commit: &StartCommit, charge: Charge,
    policy: &dyn BillingPolicy,
) -> Result<Ended, Abort> {
    let tenant = tenant_key(&tenant_id);
    let call = &commit.call;
    let now = call.started_at;
    let mut savepoint_conn = conn;
    let savepoint = async { Savepoint.execute(&mut savepoint_conn).await.map(|_| ()) };
    let then = async {
        futures_util::try_join!(
            stripes::lock_free(conn, tenant),
            credits::load(conn, tenant, false),
            stripes::read_all(conn, tenant)
        )
    };
    let (inserted, context, (own, seen, all)) =
        writes(conn, tenant, commit, savepoint, then).await?;
    if inserted == 0 {
        return Err(Abort::CallIdTaken);
    }
    // The stripe's block pays, if it can.
    if let (Some((stripe, block)), Some(account)) = (own, &seen)
        && let Some((after, entry)) = block.pay(charge, &call.call_id, account.anchor, policy, now)
    {
        let mut commit_conn = conn;
        let paid = (stripe, after);
        futures_util::try_join!(
            stripes::save(conn, tenant, &paid),
            credits::append(conn, tenant, std::slice::from_ref(&entry)),
            Commit.execute(&mut commit_conn)
        )?;
        let others = all.iter().filter(|(s, _)| *s != stripe).map(|(_, b)| b);
        let left = left_with(account, others.chain([&after]), policy, now);
        return Ok(Ended::Committed(StartReceipt {
            context,
            credits_remaining: Some(left),
        }));
    }
    // The account, locked, then the other stripes as last committed (read after the
    // lock: a stripe set aside by the start that held it before is seen).
    let (stored, all) = futures_util::try_join!(
        credits::load(conn, tenant, true),
        stripes::read_all(conn, tenant)
    )?;
    let others: Vec<_> = all
        .iter()
        .filter(|(s, _)| own.is_none_or(|(o, _)| *s != o))
        .map(|(_, b)| *b)
        .collect();
    let held = match own {
        Some((_, block)) => Held::One {
            own: block,
            others: &others,
        },
        None => Held::Nothing {
            others: &others,
            room: all.len() < usize::from(STRIPES),
        },
    };
    match refill(stored, held, charge, &call.call_id, policy, now) {
        Refill::Paid { change, block } => {
            let mut commit_conn = conn;
            let set_aside = async {
                match own {
                    Some((stripe, _)) => stripes::save(conn, tenant, &(stripe, block)).await,
                    None => Ok(()),
                }
            };
            futures_util::try_join!(
                credits::save(conn, tenant, &change),
                set_aside,
                Commit.execute(&mut commit_conn)
            )?;
            Ok(Ended::Committed(StartReceipt {
                context,
                credits_remaining: Some(left_with(
                    &change.account,
                    others.iter().chain([&block]),
                    policy,
                    now,
                )),
            }))
        }
        Refill::Insufficient(refused) => Err(Abort::Insufficient(refused)),
        Refill::GatherAll => gather_all(conn, tenant_id, commit, charge, policy).await,
    }
}

/// Credits left at `now`: `account` with `blocks` set aside.
fn left_with<'a>(
    account: &CreditAccount, blocks: impl IntoIterator<Item = &'a Block>,
    policy: &dyn BillingPolicy, now: Timestamp,
) -> u64 {
    account
        .clone()
        .with_blocks(blocks, policy, now)
        .balance()
        .total()
}

/// The start over, from the savepoint, holding every stripe and then the account:
/// every block folded back, the charge paid from the account or refused, the stripes
/// emptied (and created, empty, if the tenant has fewer than it may).
async fn gather_all(
    conn: &AsyncPgConnection, tenant_id: TenantId, commit: &StartCommit, charge: Charge,
    policy: &dyn BillingPolicy,
) -> Result<Ended, Abort> {
    let tenant = tenant_key(&tenant_id);
    let call = &commit.call;
    let now = call.started_at;
    let mut rollback_conn = conn;
    let rollback = async {
        RollbackToSavepoint
            .execute(&mut rollback_conn)
            .await
            .map(|_| ())
    };
    let (inserted, context, (held, stored)) = writes(conn, tenant, commit, rollback, async {
        futures_util::try_join!(
            stripes::lock_all(conn, tenant),
            credits::load(conn, tenant, true)
        )
    })
    .await?;
    if inserted == 0 {
        return Err(Abort::CallIdTaken);
    }
    let blocks = stripes::blocks(&held);
    // Every credit is held: the one place a start can take them low or to zero.
    let gathered = stored.clone().map(|a| a.gather(&blocks));
    match refill(
        stored,
        Held::All(&blocks),
        charge,
        &call.call_id,
        policy,
        now,
    ) {
        Refill::Paid { change, .. } => {
            let events = debit_events(
                tenant_id,
                gathered.as_ref(),
                &change,
                &call.call_id,
                policy,
                now,
            );
            let mut commit_conn = conn;
            if events.is_empty() {
                futures_util::try_join!(
                    credits::save_gathered(conn, tenant, &change, &held, true),
                    Commit.execute(&mut commit_conn)
                )?;
            } else {
                // The outbox writes one statement at a time: they must all be in
                // before `COMMIT` is sent.
                futures_util::try_join!(
                    credits::save_gathered(conn, tenant, &change, &held, true),
                    outbox::write(conn, tenant, &events)
                )?;
                Commit.execute(&mut commit_conn).await?;
            }
            Ok(Ended::Committed(StartReceipt {
                context,
                credits_remaining: Some(change.account.at(policy, now).0.balance().total()),
            }))
        }
        Refill::Insufficient(refused) => Err(Abort::Insufficient(refused)),
        Refill::GatherAll => Err(Abort::Query(diesel::result::Error::QueryBuilderError(
            "credits: asked to gather the stripes twice".into(),
        ))),
    }
}
