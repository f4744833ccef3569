//! Committing a start.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::credits::{Charge, InsufficientCredits};
use stickycalls_domain::ports::{CommitStartError, CustomerContext, StartCommit, StartReceipt};
use uuid::Uuid;

use crate::context::customer_context;
use crate::errors::from_diesel;
use crate::links::{ensure_customer, link_hints};
use crate::rows::CallRow;
use crate::schema::{calls, credit_balances};

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
        let (inserted, context) = if commit.read_context {
            futures_util::try_join!(
                insert,
                customer_context(shared, tenant, &commit.call.customer, now)
            )
        } else {
            insert.await.map(|n| (n, CustomerContext::default()))
        }
        .map_err(|e| CommitStartError::Store(from_diesel(e)))?;
        if inserted == 0 {
            return Err(CommitStartError::CallIdTaken);
        }
        return Ok(StartReceipt {
            context,
            credits_remaining: None,
        });
    }

    conn.transaction(async move |conn| -> Result<StartReceipt, Abort> {
        {
            let call = &commit.call;
            if commit.create_customer {
                ensure_customer(conn, tenant, &call.customer, call.started_at).await?;
            }
            let inserted = diesel::insert_into(calls::table)
                .values(row)
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
            if inserted == 0 {
                return Err(Abort::CallIdTaken);
            }
            if commit.link_hints {
                link_hints(
                    conn,
                    tenant,
                    &call.customer,
                    &call.hints,
                    call.line_type,
                    call.started_at,
                )
                .await?;
            }
            let context = if commit.read_context {
                customer_context(conn, tenant, &call.customer, call.started_at).await?
            } else {
                CustomerContext::default()
            };
            // Last, so the balance row stays locked for as short a time as possible.
            let credits_remaining = match commit.charge {
                Some(charge) => Some(debit(conn, tenant, charge).await?),
                None => None,
            };
            Ok(StartReceipt {
                context,
                credits_remaining,
            })
        }
    })
    .await
    .map_err(CommitStartError::from)
}

#[derive(QueryableByName)]
struct Remaining {
    #[diesel(sql_type = BigInt)]
    remaining: i64,
}

/// Spends the charge, allowance first, with one conditional update that cannot go
/// negative (and the table's checks as a second guard).
async fn debit(conn: &mut AsyncPgConnection, tenant: Uuid, charge: Charge) -> Result<u64, Abort> {
    let credits = i64::try_from(charge.credits).unwrap_or(i64::MAX);
    let paid: Option<Remaining> = diesel::sql_query(
        "UPDATE credit_balances
            SET allowance_left = allowance_left - LEAST($2, allowance_left),
                top_up = top_up - ($2 - LEAST($2, allowance_left))
          WHERE tenant_id = $1 AND allowance_left + top_up >= $2
      RETURNING allowance_left + top_up AS remaining",
    )
    .bind::<SqlUuid, _>(tenant)
    .bind::<BigInt, _>(credits)
    .get_result(conn)
    .await
    .optional()?;
    match paid {
        Some(r) => Ok(r.remaining.max(0) as u64),
        None => {
            let available: Option<(i64, i64)> = credit_balances::table
                .filter(credit_balances::tenant_id.eq(tenant))
                .select((credit_balances::allowance_left, credit_balances::top_up))
                .first(conn)
                .await
                .optional()?;
            let available = available.map(|(a, t)| (a + t).max(0) as u64).unwrap_or(0);
            Err(Abort::Insufficient(InsufficientCredits {
                needed: charge.credits,
                available,
            }))
        }
    }
}
