//! A start's call row inserted (`ON CONFLICT DO NOTHING`: a taken `call_id` inserts
//! nothing), every column bound. diesel's own insert of the row writes `DEFAULT` for
//! each `None` and then marks the statement unsafe to cache (diesel 2.3,
//! `src/insertable.rs`, `DefaultableColumnInsertValue::walk_ast` calls
//! `unsafe_to_cache_prepared`), so every start paid a Parse of it; bound as NULL (no
//! nullable column of `calls` has another default), it is prepared once per
//! connection like the other statements.

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{
    Array, Bool, Integer, Jsonb, Nullable, SmallInt, Text, Timestamptz, Uuid as SqlUuid,
};

use crate::rows::CallRow;

/// The insert; see the module.
pub(crate) struct CallInsert(pub CallRow);

impl QueryId for CallInsert {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Pg> for CallInsert {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let r = &self.0;
        out.push_sql(
            "INSERT INTO calls (tenant_id, call_id, customer_ref, started_at, start_fingerprint, \
             confidence, sources, billable, provisional, ani, ani_withheld, dnis, external_ids, \
             hint_customer_ref, line_type, ended_at, end_fingerprint, intents_updated, \
             variables_updated, intent, intent_status, explanation, attestation, verdict, \
             hints_sealed) VALUES (",
        );
        out.push_bind_param::<SqlUuid, _>(&r.tenant_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&r.call_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&r.customer_ref)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamptz, _>(&r.started_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&r.start_fingerprint)?;
        out.push_sql(", ");
        out.push_bind_param::<SmallInt, _>(&r.confidence)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&r.sources)?;
        out.push_sql(", ");
        out.push_bind_param::<Bool, _>(&r.billable)?;
        out.push_sql(", ");
        out.push_bind_param::<Bool, _>(&r.provisional)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&r.ani)?;
        out.push_sql(", ");
        out.push_bind_param::<Bool, _>(&r.ani_withheld)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&r.dnis)?;
        out.push_sql(", ");
        out.push_bind_param::<Jsonb, _>(&r.external_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&r.hint_customer_ref)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&r.line_type)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Timestamptz>, _>(&r.ended_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&r.end_fingerprint)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Integer>, _>(&r.intents_updated)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Integer>, _>(&r.variables_updated)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&r.intent)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&r.intent_status)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Jsonb>, _>(&r.explanation)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&r.attestation)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&r.verdict)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&r.hints_sealed)?;
        out.push_sql(") ON CONFLICT DO NOTHING");
        Ok(())
    }
}
