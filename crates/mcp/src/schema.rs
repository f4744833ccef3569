//! Tool input schemas taken from the wire types' schemas (the components of the REST
//! API's OpenAPI document), so a tool takes exactly what its REST route takes: a component's `$ref`s are replaced by the components themselves
//! (MCP clients expect one self-contained JSON Schema per tool).

use std::sync::LazyLock;

use serde_json::{Map, Value};
use stickycalls_inbound::wire_schemas::WireSchemas;
use utoipa::OpenApi;

static COMPONENTS: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    let document = serde_json::to_value(WireSchemas::openapi()).unwrap_or_default();
    document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
});

const PREFIX: &str = "#/components/schemas/";

/// The component `name` with every reference inlined (`{}` if the document has none).
pub(super) fn component(name: &str) -> Value {
    COMPONENTS
        .get(name)
        .map_or_else(|| Value::Object(Map::new()), |schema| inline(schema, 0))
}

fn inline(value: &Value, depth: usize) -> Value {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(PREFIX))
            {
                // The wire types are not recursive; the bound only stops a mistake.
                if depth < 16 {
                    let mut resolved = COMPONENTS
                        .get(name)
                        .map_or_else(|| Value::Object(Map::new()), |s| inline(s, depth + 1));
                    // Siblings of a `$ref` (its description) stay.
                    if let Value::Object(target) = &mut resolved {
                        for (k, v) in map.iter().filter(|(k, _)| *k != "$ref") {
                            target.insert(k.clone(), inline(v, depth));
                        }
                    }
                    return resolved;
                }
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), inline(v, depth)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| inline(v, depth)).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(value: &Value) -> usize {
        match value {
            Value::Object(map) => {
                usize::from(map.contains_key("$ref")) + map.values().map(refs).sum::<usize>()
            }
            Value::Array(items) => items.iter().map(refs).sum(),
            _ => 0,
        }
    }

    #[test]
    fn the_start_request_is_inlined_whole() {
        let start = component("StartRequest");
        assert_eq!(refs(&start), 0, "{start}");
        assert_eq!(start["required"], serde_json::json!(["call_id"]));
        let hints = &start["properties"]["identity_hints"]["oneOf"][1];
        assert!(hints["properties"]["ani"].is_object(), "{hints}");
        assert_eq!(hints["description"], "What is known of the caller.");
    }
}
