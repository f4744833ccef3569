//! A billed start written as one statement when a credit stripe can pay: the domain
//! decided, on the stripes its read found, what paying from each stripe would take and
//! write (`Payment::from_read`); this statement locks the first of those stripes that
//! is free and whose block still fits what it takes (`FOR UPDATE ... SKIP LOCKED`, the
//! domain's bounds checked under the lock: a guarded debit by difference that never
//! waits), and only then writes the stripe's block less what it takes, the debit's
//! ledger line (the same for any block that fits), the customer, its links and the call
//! row, and reads back the context ([`crate::read_back`]).
//!
//! Every write takes its rows from `paying`: when no stripe could be taken, the
//! statement writes nothing and says so (`stripe` is NULL), and the start takes the
//! payment's steps in a transaction instead ([`crate::start`]). When a stripe paid but
//! the call row did not go in (its id taken since the read), the statement ends in an
//! error (`stickycalls_refuse_start`, migration `2026-12-07-000018`), so the debit
//! does not survive it: one statement is one transaction.
//!
//! Under READ COMMITTED a row locked after the statement's snapshot is re-read at its
//! newest version and the `WHERE`/join conditions checked again on it (PostgreSQL's
//! documentation, "Transaction Isolation", 13.2.1), so a stripe another start drained
//! meanwhile no longer fits and is skipped like a locked one, and the debit subtracts
//! from the newest version.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, SmallInt, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::credits::payment::{FromRead, Writes};
use stickycalls_domain::identity::LineType;
use stickycalls_domain::ports::StartCommit;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::call_insert::CallInsert;
use crate::credits::int;
use crate::read_back::{self, Params, READ_BACK_SQL, Written};
use crate::rows::{CallRow, line_type_text};

/// The CTEs before the call insert; `{name}` markers are bound by [`BilledStart`].
const PAY_SQL: &str = concat!(
    "
WITH offers AS MATERIALIZED (
    SELECT *
      FROM unnest({stripes}::int2[], {periods}::timestamptz[], {allowance_least}::int8[],
                  {allowance_most}::int8[], {top_up_least}::int8[], {kinds}::text[],
                  {credits}::int8[], {from_allowances}::int8[], {from_top_ups}::int8[],
                  {entry_periods}::timestamptz[], {entry_calls}::text[], {notes}::text[],
                  {ats}::timestamptz[])
           WITH ORDINALITY
           AS o(stripe, period_start, allowance_least, allowance_most, top_up_least, kind,
                credits, from_allowance, from_top_up, entry_period, entry_call, note, at, n)
),
-- The first offer whose stripe is free and still fits what it takes, locked.
paying AS MATERIALIZED (
    SELECT o.*
      FROM credit_stripes s
      JOIN offers o
        ON s.stripe = o.stripe AND s.period_start = o.period_start
       AND s.allowance_left BETWEEN o.allowance_least AND o.allowance_most
       AND s.top_up >= o.top_up_least
     WHERE s.tenant_id = {tenant}
     ORDER BY o.n
     LIMIT 1
       FOR UPDATE OF s SKIP LOCKED
),
debit AS (
    UPDATE credit_stripes s
       SET allowance_left = s.allowance_left - p.from_allowance,
           top_up = s.top_up - p.from_top_up
      FROM paying p
     WHERE s.tenant_id = {tenant} AND s.stripe = p.stripe
),
ledger AS (
    INSERT INTO credit_ledger (tenant_id, at, kind, credits, from_allowance, from_top_up,
                               period_start, call_id, note)
    SELECT {tenant}, at, kind, credits, from_allowance, from_top_up, entry_period,
           entry_call, note
      FROM paying
),
customer AS (
    INSERT INTO customers (tenant_id, customer_ref, created_at)
    SELECT {tenant}, {customer}, {now} FROM paying WHERE {create_customer}
    ON CONFLICT DO NOTHING
),
phone AS (
    INSERT INTO customer_phones (tenant_id, e164, customer_ref, line_type, linked_at, sealed)
    SELECT {tenant}, e164, {customer}, {line_type}, {now}, {phone_sealed}
      FROM paying, (SELECT {e164}::text AS e164) h
     WHERE h.e164 IS NOT NULL
    -- A known line type and a sealed copy replace what is stored; without either the
    -- link is left as it is.
    ON CONFLICT (tenant_id, e164, customer_ref) DO UPDATE
       SET line_type = coalesce(excluded.line_type, customer_phones.line_type),
           sealed = coalesce(excluded.sealed, customer_phones.sealed)
     WHERE excluded.line_type IS NOT NULL OR excluded.sealed IS NOT NULL
),
",
    crate::template::link_ids_cte!("paying"),
    "
inserted AS ("
);

/// After the call insert: the outcome, refusing the statement when a stripe paid for a
/// call row that did not go in.
const OUTCOME_SQL: &str = " RETURNING 1),
outcome AS (
    SELECT CASE WHEN EXISTS (SELECT 1 FROM paying) AND NOT EXISTS (SELECT 1 FROM inserted)
                THEN stickycalls_refuse_start('call id taken')
                ELSE (SELECT count(*) FROM inserted) END AS n,
           (SELECT stripe FROM paying) AS stripe
)";

/// The message of the refusal, as the migration's function words it.
pub(crate) const CALL_ID_TAKEN: &str = "stickycalls: call id taken";

/// The offers as columns, one array each.
#[derive(Default)]
struct Offers {
    stripes: Vec<i16>,
    periods: Vec<OffsetDateTime>,
    allowance_least: Vec<i64>,
    allowance_most: Vec<i64>,
    top_up_least: Vec<i64>,
    kinds: Vec<&'static str>,
    credits: Vec<i64>,
    from_allowances: Vec<i64>,
    from_top_ups: Vec<i64>,
    entry_periods: Vec<OffsetDateTime>,
    entry_calls: Vec<Option<String>>,
    notes: Vec<Option<String>>,
    ats: Vec<OffsetDateTime>,
}

impl Offers {
    fn of(offers: &[FromRead<i16>]) -> Self {
        let mut columns = Self::default();
        for offer in offers {
            let Writes::Stripe { entry, .. } = &offer.paid.writes else {
                continue;
            };
            let taken = &offer.taken;
            // The stripe is debited by the ledger line's own figures.
            debug_assert_eq!(
                (taken.from_allowance, taken.from_top_up),
                (entry.spent.from_allowance, entry.spent.from_top_up)
            );
            let (least, most) = taken.allowance_within();
            columns.stripes.push(offer.read.0);
            columns.periods.push(taken.period_start.get());
            columns.allowance_least.push(int(least));
            columns.allowance_most.push(most.map_or(i64::MAX, int));
            columns.top_up_least.push(int(taken.from_top_up));
            columns.kinds.push(entry.kind.as_str());
            columns.credits.push(int(entry.credits));
            columns
                .from_allowances
                .push(int(entry.spent.from_allowance));
            columns.from_top_ups.push(int(entry.spent.from_top_up));
            columns.entry_periods.push(entry.period_start.get());
            columns
                .entry_calls
                .push(entry.call_id.as_ref().map(|c| c.as_str().to_owned()));
            columns.notes.push(entry.note.clone());
            columns.ats.push(entry.at.get());
        }
        columns
    }
}

/// The statement, prepared once per connection.
struct BilledStart {
    offers: Offers,
    create_customer: bool,
    e164: Option<String>,
    line_type: Option<String>,
    phone_sealed: Option<String>,
    namespaces: Vec<String>,
    values: Vec<String>,
    ids_sealed: Vec<Option<String>>,
    insert: CallInsert,
    read_back: Params,
}

crate::template::prepared!(BilledStart);

impl QueryFragment<Pg> for BilledStart {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let o = &self.offers;
        crate::template::walk(
            PAY_SQL,
            "a billed start",
            out.reborrow(),
            |name, mut out| {
                match name {
                    "stripes" => out.push_bind_param::<Array<SmallInt>, _>(&o.stripes)?,
                    "periods" => out.push_bind_param::<Array<Timestamptz>, _>(&o.periods)?,
                    "allowance_least" => {
                        out.push_bind_param::<Array<BigInt>, _>(&o.allowance_least)?
                    }
                    "allowance_most" => {
                        out.push_bind_param::<Array<BigInt>, _>(&o.allowance_most)?
                    }
                    "top_up_least" => out.push_bind_param::<Array<BigInt>, _>(&o.top_up_least)?,
                    "kinds" => out.push_bind_param::<Array<Text>, _>(&o.kinds)?,
                    "credits" => out.push_bind_param::<Array<BigInt>, _>(&o.credits)?,
                    "from_allowances" => {
                        out.push_bind_param::<Array<BigInt>, _>(&o.from_allowances)?
                    }
                    "from_top_ups" => out.push_bind_param::<Array<BigInt>, _>(&o.from_top_ups)?,
                    "entry_periods" => {
                        out.push_bind_param::<Array<Timestamptz>, _>(&o.entry_periods)?
                    }
                    "entry_calls" => {
                        out.push_bind_param::<Array<Nullable<Text>>, _>(&o.entry_calls)?
                    }
                    "notes" => out.push_bind_param::<Array<Nullable<Text>>, _>(&o.notes)?,
                    "ats" => out.push_bind_param::<Array<Timestamptz>, _>(&o.ats)?,
                    "create_customer" => out.push_bind_param::<Bool, _>(&self.create_customer)?,
                    "e164" => out.push_bind_param::<Nullable<Text>, _>(&self.e164)?,
                    "line_type" => out.push_bind_param::<Nullable<Text>, _>(&self.line_type)?,
                    "phone_sealed" => {
                        out.push_bind_param::<Nullable<Text>, _>(&self.phone_sealed)?
                    }
                    "namespaces" => out.push_bind_param::<Array<Text>, _>(&self.namespaces)?,
                    "values" => out.push_bind_param::<Array<Text>, _>(&self.values)?,
                    "ids_sealed" => {
                        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.ids_sealed)?
                    }
                    _ => return self.read_back.bind(name, out),
                }
                Ok(true)
            },
        )?;
        self.insert.walk_for_each(out.reborrow(), "paying")?;
        out.push_sql(OUTCOME_SQL);
        crate::template::walk(READ_BACK_SQL, "a billed start", out, |name, out| {
            self.read_back.bind(name, out)
        })
    }
}

/// Writes `commit`, paid by the first of `offers` whose stripe can still be taken, in
/// one statement. `paid_from` is `None` when none could: nothing was written.
pub(crate) async fn write(
    mut conn: &AsyncPgConnection, tenant: Uuid, commit: &StartCommit, offers: &[FromRead<i16>],
) -> QueryResult<Written> {
    let call = &commit.call;
    let hints = &call.hints;
    let linked = commit.link_hints;
    let (namespaces, (values, ids_sealed)): (Vec<_>, (Vec<_>, Vec<_>)) = hints
        .external_ids
        .iter()
        .filter(|_| linked)
        .map(|(namespace, value)| {
            let sealed = commit.sealed_links.external_ids.get(namespace).cloned();
            (namespace.clone(), (value.clone(), sealed))
        })
        .unzip();
    let query = BilledStart {
        offers: Offers::of(offers),
        create_customer: commit.create_customer,
        e164: hints
            .phone()
            .filter(|_| linked)
            .map(|p| p.as_e164().to_owned()),
        line_type: line_type_text(LineType::to_remember(call.line_type)),
        phone_sealed: commit.sealed_links.phone.clone(),
        namespaces,
        values,
        ids_sealed,
        insert: CallInsert(CallRow::new(tenant, call)),
        read_back: Params::new(
            tenant,
            call.customer.as_str(),
            call.started_at,
            commit.read_context,
            false,
        ),
    };
    let rows: Vec<read_back::Row> = query.load(&mut conn).await?;
    read_back::assemble(rows, "a billed start")
}
