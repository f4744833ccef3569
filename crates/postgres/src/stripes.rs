//! Credit stripes on PostgreSQL (`credit_stripes`): the blocks of credits a tenant's
//! billed starts pay from in parallel (the rules: `stickycalls_domain::credits::stripes`).
//!
//! Locks are always taken stripes first (in stripe order), then the account's row, so
//! no two transactions can wait for each other: a start locks one free stripe with
//! `SKIP LOCKED` (never waiting), and only then, if its block cannot pay, the account;
//! whatever locks every stripe (a grant, a plan change, a start that must gather them)
//! locks them all, in order, before the account. Rows are only ever created empty, by a
//! transaction holding every existing stripe and the account, so one that locked the
//! stripes a moment earlier misses nothing but empty blocks.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::Timestamp;
use stickycalls_domain::credits::stripes::{Block, STRIPES};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::credits::{count, int};
use crate::schema::credit_stripes;

/// One stripe's row.
#[derive(Queryable, Selectable)]
#[diesel(table_name = credit_stripes, check_for_backend(diesel::pg::Pg))]
struct Row {
    stripe: i16,
    period_start: OffsetDateTime,
    allowance_left: i64,
    top_up: i64,
}

/// A stripe and its block.
pub(crate) type Stripe = (i16, Block);

fn to_stripe(row: Row) -> QueryResult<Stripe> {
    Ok((
        row.stripe,
        Block {
            period_start: Timestamp::new(row.period_start),
            allowance_left: count(row.allowance_left, "credit_stripes.allowance_left")?,
            top_up: count(row.top_up, "credit_stripes.top_up")?,
        },
    ))
}

/// A stripe from its columns read by another statement (a start's read-back).
pub(crate) fn stripe_of(
    stripe: i16, period_start: OffsetDateTime, allowance_left: i64, top_up: i64,
) -> QueryResult<Stripe> {
    to_stripe(Row {
        stripe,
        period_start,
        allowance_left,
        top_up,
    })
}

fn rows(rows: Vec<Row>) -> QueryResult<Vec<Stripe>> {
    rows.into_iter().map(to_stripe).collect()
}

/// The first stripe no other transaction holds, locked until this one ends.
pub(crate) async fn lock_free(
    mut conn: &AsyncPgConnection, tenant: Uuid,
) -> QueryResult<Option<Stripe>> {
    let row: Option<Row> = credit_stripes::table
        .filter(credit_stripes::tenant_id.eq(tenant))
        .order(credit_stripes::stripe)
        .select(Row::as_select())
        .limit(1)
        .for_update()
        .skip_locked()
        .first(&mut conn)
        .await
        .optional()?;
    row.map(to_stripe).transpose()
}

/// Every stripe as last committed, without locks.
pub(crate) async fn read_all(
    mut conn: &AsyncPgConnection, tenant: Uuid,
) -> QueryResult<Vec<Stripe>> {
    let query = credit_stripes::table
        .filter(credit_stripes::tenant_id.eq(tenant))
        .order(credit_stripes::stripe)
        .select(Row::as_select());
    rows(query.load(&mut conn).await?)
}

/// Every stripe, locked in stripe order (waiting for the starts holding them).
pub(crate) async fn lock_all(
    mut conn: &AsyncPgConnection, tenant: Uuid,
) -> QueryResult<Vec<Stripe>> {
    let query = credit_stripes::table
        .filter(credit_stripes::tenant_id.eq(tenant))
        .order(credit_stripes::stripe)
        .select(Row::as_select())
        .for_update();
    rows(query.load(&mut conn).await?)
}

/// Writes one stripe's block.
pub(crate) async fn save(
    mut conn: &AsyncPgConnection, tenant: Uuid, (stripe, block): &Stripe,
) -> QueryResult<()> {
    diesel::update(credit_stripes::table.find((tenant, *stripe)))
        .set((
            credit_stripes::period_start.eq(block.period_start.get()),
            credit_stripes::allowance_left.eq(int(block.allowance_left)),
            credit_stripes::top_up.eq(int(block.top_up)),
        ))
        .execute(&mut conn)
        .await
        .map(|_| ())
}

/// Empties the stripes the transaction holds (`held`: every one, locked with the
/// account), and with `create` adds the missing ones, empty, up to [`STRIPES`].
pub(crate) async fn empty_all(
    mut conn: &AsyncPgConnection, tenant: Uuid, held: &[Stripe], period_start: Timestamp,
    create: bool,
) -> QueryResult<()> {
    let mut emptied = conn;
    let full: Vec<i16> = held
        .iter()
        .filter(|(_, b)| b.balance().total() > 0)
        .map(|(s, _)| *s)
        .collect();
    let holding = async {
        if full.is_empty() {
            return Ok(0);
        }
        diesel::update(
            credit_stripes::table
                .filter(credit_stripes::tenant_id.eq(tenant))
                .filter(credit_stripes::stripe.eq_any(&full)),
        )
        .set((
            credit_stripes::allowance_left.eq(0),
            credit_stripes::top_up.eq(0),
        ))
        .execute(&mut emptied)
        .await
    };
    let missing: Vec<_> = (0..STRIPES as i16)
        .filter(|n| create && !held.iter().any(|(s, _)| s == n))
        .map(|n| {
            (
                credit_stripes::tenant_id.eq(tenant),
                credit_stripes::stripe.eq(n),
                credit_stripes::period_start.eq(period_start.get()),
                credit_stripes::allowance_left.eq(0),
                credit_stripes::top_up.eq(0),
            )
        })
        .collect();
    let create = async {
        if missing.is_empty() {
            return Ok(0);
        }
        diesel::insert_into(credit_stripes::table)
            .values(missing)
            .on_conflict_do_nothing()
            .execute(&mut conn)
            .await
    };
    futures_util::try_join!(holding, create).map(|_| ())
}

/// The blocks of `stripes`.
pub(crate) fn blocks(stripes: &[Stripe]) -> Vec<Block> {
    stripes.iter().map(|(_, b)| *b).collect()
}
