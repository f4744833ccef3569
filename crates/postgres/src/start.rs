//! Committing a start.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::credits::{BillingPolicy, InsufficientCredits};
use stickycalls_domain::ports::{CommitStartError, CustomerContext, StartCommit, StartReceipt};
use uuid::Uuid;

use crate::context::customer_context;
use crate::credits;
use crate::errors::from_diesel;
use crate::links::{ensure_customer, link_hints};
use crate::rows::CallRow;
use crate::schema::calls;

/// Why a start's transaction rolled back.
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

pub(crate) async fn commit_start(
    conn: &mut AsyncPgConnection,
    tenant: Uuid,
    commit: StartCommit,
    policy: &dyn BillingPolicy,
) -> Result<StartReceipt, CommitStartError> {
    let row = CallRow::new(tenant, &commit.call);
    if !commit.create_customer && !commit.link_hints && commit.charge.is_none() {
        // A known caller with nothing to pay: the call row is the only write, atomic on
        // its own; the context reads travel in the same round trip.
        let now = commit.call.started_at;
        let mut shared: &AsyncPgConnection = conn;
        let insert = diesel::insert_into(calls::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(&mut shared);
        let context = async {
            if commit.read_context {
                customer_context(shared, tenant, &commit.call.customer, now).await
            } else {
                Ok(CustomerContext::default())
            }
        };
        let balance = async {
            if commit.report_balance {
                credits::remaining(shared, tenant, policy, now)
                    .await
                    .map(Some)
            } else {
                Ok(None)
            }
        };
        let (inserted, context, credits_remaining) =
            futures_util::try_join!(insert, context, balance)
                .map_err(|e| CommitStartError::Store(from_diesel(e)))?;
        if inserted == 0 {
            return Err(CommitStartError::CallIdTaken);
        }
        return Ok(StartReceipt {
            context,
            credits_remaining,
        });
    }

    conn.transaction(async move |conn| -> Result<StartReceipt, Abort> {
        let call = &commit.call;
        // Everything before the charge goes out in one pipeline: PostgreSQL runs the
        // statements in the order they were sent (the customer before the call row that
        // references it), and a failure anywhere rolls the whole transaction back.
        // `try_join!` polls in order and diesel-async sends each statement right after
        // taking its statement cache (a FIFO tokio mutex, held while preparing), so the
        // sending order is this order even when a statement must be prepared first.
        let shared: &AsyncPgConnection = conn;
        let mut insert_conn = shared;
        let customer = async {
            if commit.create_customer {
                ensure_customer(shared, tenant, &call.customer, call.started_at).await
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
                    shared,
                    tenant,
                    &call.customer,
                    &call.hints,
                    call.line_type,
                    call.started_at,
                )
                .await
            } else {
                Ok(())
            }
        };
        let context = async {
            if commit.read_context {
                customer_context(shared, tenant, &call.customer, call.started_at).await
            } else {
                Ok(CustomerContext::default())
            }
        };
        let ((), inserted, (), context) =
            futures_util::try_join!(customer, insert, links, context)?;
        if inserted == 0 {
            return Err(Abort::CallIdTaken);
        }
        // Last, so the balance row stays locked for as short a time as possible.
        let credits_remaining = match commit.charge {
            Some(charge) => Some(
                credits::debit(conn, tenant, charge, &call.call_id, policy, call.started_at)
                    .await
                    .map_err(|e| match e {
                        credits::DebitError::Query(e) => Abort::Query(e),
                        credits::DebitError::Insufficient(e) => Abort::Insufficient(e),
                    })?,
            ),
            None if commit.report_balance => {
                Some(credits::remaining(conn, tenant, policy, call.started_at).await?)
            }
            None => None,
        };
        Ok(StartReceipt {
            context,
            credits_remaining,
        })
    })
    .await
    .map_err(CommitStartError::from)
}
