//! An end's read, one statement: the call, and the customer the end will write to (the
//! one it names, else the call's) with their version, the stored intent of the name the
//! end writes, and the keys of their variables live at the end's time: one row per live
//! key (at least one), the call's columns repeated.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stickycalls_domain::Timestamp;
use stickycalls_domain::calls::CallId;
use stickycalls_domain::identity::CustomerRef;
use stickycalls_domain::intents::IntentName;
use stickycalls_domain::ports::{CustomerSeen, EndSnapshot};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::links::coalesce;
use crate::rows::{CallRow, IntentRow};
use crate::schema::{calls, customers, intents, variables};

type Row = (
    CallRow,
    Option<i64>,
    Option<(i32, OffsetDateTime, OffsetDateTime)>,
    Option<String>,
);

/// Reads the call `call_id` and, when it exists, the customer `customer` (else the
/// call's) as [`CustomerSeen`] at `at`, with their intent `intent`.
pub(crate) async fn load_end(
    mut conn: &AsyncPgConnection, tenant: Uuid, call_id: &CallId, customer: Option<CustomerRef>,
    intent: Option<IntentName>, at: Timestamp,
) -> QueryResult<EndSnapshot> {
    let named = customer.as_ref().map(|c| c.as_str().to_owned());
    let rows: Vec<Row> = calls::table
        .left_join(
            customers::table.on(customers::tenant_id.eq(calls::tenant_id).and(
                customers::customer_ref
                    .nullable()
                    .eq(coalesce(named, calls::customer_ref.nullable())),
            )),
        )
        .left_join(
            intents::table.on(intents::tenant_id
                .eq(calls::tenant_id)
                .and(intents::customer_ref.eq(customers::customer_ref))
                .and(
                    intents::name
                        .nullable()
                        .eq(intent.as_ref().map(|i| i.as_str().to_owned())),
                )),
        )
        .left_join(
            variables::table.on(variables::tenant_id
                .eq(calls::tenant_id)
                .and(variables::customer_ref.eq(customers::customer_ref))
                .and(variables::expires_at.gt(at.get()))),
        )
        .filter(calls::tenant_id.eq(tenant))
        .filter(calls::call_id.eq(call_id.as_str()))
        .select((
            CallRow::as_select(),
            customers::version.nullable(),
            (
                intents::attempt_count,
                intents::first_seen,
                intents::last_seen,
            )
                .nullable(),
            variables::key.nullable(),
        ))
        .load(&mut conn)
        .await?;
    let mut rows = rows.into_iter();
    let Some((call, version, stored, key)) = rows.next() else {
        return Ok(EndSnapshot::default());
    };
    let call = call.into_record()?;
    let customer = version.map(|version| CustomerSeen {
        customer: customer.unwrap_or_else(|| call.customer.clone()),
        version,
        intent: stored.zip(intent).map(|((attempts, first, last), name)| {
            IntentRow {
                name: name.as_str().to_owned(),
                attempt_count: attempts,
                first_seen: first,
                last_seen: last,
            }
            .into_domain()
        }),
        live_keys: key
            .into_iter()
            .chain(rows.filter_map(|(_, _, _, key)| key))
            .collect(),
    });
    Ok(EndSnapshot {
        call: Some(call),
        customer,
    })
}
