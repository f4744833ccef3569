//! A start's call row inserted (`ON CONFLICT DO NOTHING`: a taken `call_id` inserts
//! nothing), every column bound. diesel's own insert of the row writes `DEFAULT` for
//! each `None` and then marks the statement unsafe to cache (diesel 2.3,
//! `src/insertable.rs`, `DefaultableColumnInsertValue::walk_ast` calls
//! `unsafe_to_cache_prepared`), so every start paid a Parse of it; bound as NULL (no
//! nullable column of `calls` has another default), it is prepared once per
//! connection like the other statements.

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::sql_types::{
    Array, Bool, Integer, Jsonb, Nullable, SmallInt, Text, Timestamptz, Uuid as SqlUuid,
};

use crate::rows::CallRow;

/// Binds each value, `, ` between them.
macro_rules! values {
    ($out:ident; $first_type:ty => $first:expr $(, $type:ty => $value:expr)* $(,)?) => {
        $out.push_bind_param::<$first_type, _>($first)?;
        $(
            $out.push_sql(", ");
            $out.push_bind_param::<$type, _>($value)?;
        )*
    };
}

/// The insert; see the module.
pub(crate) struct CallInsert(pub CallRow);

crate::template::prepared!(CallInsert, fragment);
impl QueryFragment<Pg> for CallInsert {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.walk(out, None)
    }
}

impl CallInsert {
    /// The insert of its row once for each row of the CTE `from` (`INSERT ... SELECT
    /// ... FROM from`): a statement that writes the call only if something else it
    /// does happened.
    pub(crate) fn walk_for_each<'b>(
        &'b self, out: AstPass<'_, 'b, Pg>, from: &'static str,
    ) -> QueryResult<()> {
        self.walk(out, Some(from))
    }

    fn walk<'b>(
        &'b self, mut out: AstPass<'_, 'b, Pg>, from: Option<&'static str>,
    ) -> QueryResult<()> {
        let r = &self.0;
        out.push_sql(
            "INSERT INTO calls (tenant_id, call_id, customer_ref, started_at, start_fingerprint, \
             confidence, sources, billable, provisional, ani, ani_withheld, dnis, external_ids, \
             hint_customer_ref, line_type, ended_at, end_fingerprint, intents_updated, \
             variables_updated, intent, intent_status, explanation, attestation, verdict, \
             hints_sealed) ",
        );
        out.push_sql(if from.is_some() {
            "SELECT "
        } else {
            "VALUES ("
        });
        values!(out;
            SqlUuid => &r.tenant_id,
            Text => &r.call_id,
            Text => &r.customer_ref,
            Timestamptz => &r.started_at,
            Text => &r.start_fingerprint,
            SmallInt => &r.confidence,
            Array<Nullable<Text>> => &r.sources,
            Bool => &r.billable,
            Bool => &r.provisional,
            Nullable<Text> => &r.ani,
            Bool => &r.ani_withheld,
            Nullable<Text> => &r.dnis,
            Jsonb => &r.external_ids,
            Nullable<Text> => &r.hint_customer_ref,
            Nullable<Text> => &r.line_type,
            Nullable<Timestamptz> => &r.ended_at,
            Nullable<Text> => &r.end_fingerprint,
            Nullable<Integer> => &r.intents_updated,
            Nullable<Integer> => &r.variables_updated,
            Nullable<Text> => &r.intent,
            Nullable<Text> => &r.intent_status,
            Nullable<Jsonb> => &r.explanation,
            Nullable<Text> => &r.attestation,
            Nullable<Text> => &r.verdict,
            Nullable<Text> => &r.hints_sealed,
        );
        match from {
            Some(from) => {
                out.push_sql(" FROM ");
                out.push_sql(from);
            }
            None => out.push_sql(")"),
        }
        out.push_sql(" ON CONFLICT DO NOTHING");
        Ok(())
    }
}
