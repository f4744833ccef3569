//! Hand-written SQL with `{name}` markers where parameters are bound, walked into
//! diesel's query builder (the evidence read, a known start's read-back): the text is
//! pushed as it is, each marker becomes a bind of the value the caller names.

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::AstPass;

/// Pushes `sql` into `out`, calling `bind` for each `{name}` marker; `bind` answers
/// whether it knew the name (an unknown one is an error naming `what`).
pub(crate) fn walk<'b>(
    sql: &str, what: &str, mut out: AstPass<'_, 'b, Pg>,
    mut bind: impl for<'a> FnMut(&str, AstPass<'a, 'b, Pg>) -> QueryResult<bool>,
) -> QueryResult<()> {
    let mut rest = sql;
    while let Some(open) = rest.find('{') {
        out.push_sql(&rest[..open]);
        let close = open + rest[open..].find('}').unwrap_or(0);
        let name = &rest[open + 1..close];
        if !bind(name, out.reborrow())? {
            return Err(diesel::result::Error::QueryBuilderError(
                format!("unknown parameter `{name}` in {what}").into(),
            ));
        }
        rest = &rest[close + 1..];
    }
    out.push_sql(rest);
    Ok(())
}

/// A hand-written statement's diesel identity: prepared once per connection (its SQL
/// never changes with its values), loaded as untyped rows (`Query`). Named
/// `prepared!(Type)`, or `prepared!(Type, fragment)` for a piece of a statement (no rows
/// of its own).
macro_rules! prepared {
    ($name:ty, fragment) => {
        impl diesel::query_builder::QueryId for $name {
            type QueryId = Self;
            const HAS_STATIC_QUERY_ID: bool = true;
        }
    };
    ($name:ty) => {
        $crate::template::prepared!($name, fragment);

        impl diesel::query_builder::Query for $name {
            type SqlType = diesel::sql_types::Untyped;
        }
    };
}
pub(crate) use prepared;

/// The CTE `ids` that links a call's external ids (`{namespaces}`, `{values}`,
/// `{ids_sealed}`) to `{customer}`, once for each row of the CTE named (a statement
/// writes its links only when its guard let it); a sealed copy replaces the stored one.
macro_rules! link_ids_cte {
    ($from:literal) => {
        concat!(
            "ids AS (
    INSERT INTO customer_external_ids (tenant_id, namespace, value, customer_ref, linked_at,
                                       sealed)
    SELECT {tenant}, h.namespace, h.value, {customer}, {now}, h.sealed
      FROM ",
            $from,
            ",
           unnest({namespaces}::text[], {values}::text[], {ids_sealed}::text[])
             AS h(namespace, value, sealed)
    ON CONFLICT (tenant_id, namespace, value, customer_ref) DO UPDATE
       SET sealed = coalesce(excluded.sealed, customer_external_ids.sealed)
),"
        )
    };
}
pub(crate) use link_ids_cte;
