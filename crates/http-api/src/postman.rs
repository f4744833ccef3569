//! The Postman collection (v2.1), generated from the OpenAPI document so it never
//! drifts from the code: one request per operation, in folders by the document's tags, with the
//! variables `baseUrl` and `apiKey`, and the seeds' "Test Match Logic" flow as a folder
//! whose tests check the answers the seeds show. Committed as
//! `docs/postman/stickycalls.postman_collection.json` (`make postman`).

use serde_json::{Map, Value, json};

/// Postman's v2.1 collection schema.
const SCHEMA: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

/// A fixed id, so the generated file is the same on every run.
const COLLECTION_ID: &str = "5f0c2a52-6d1e-4c3b-9a57-3b1f0e8c2d41";

/// Bodies worth more than a generated sample: the seeds' own.
fn example_body(operation_id: &str) -> Option<Value> {
    Some(match operation_id {
        "start_doc" => json!({"call_id": "call_001", "identity_hints": {"ani": "+14155551234",
            "external_ids": {"customer_id": "optional_crm_id"}}}),
        "end_doc" => json!({"call_id": "call_001", "customer_ref": "{{customerRef}}",
            "intent": "general_inquiry", "intent_status": "resolved",
            "variables": {"resolution": "Issue resolved"}}),
        "signup_doc" => json!({"email": "ops@example.com", "name": "My contact center"}),
        "create_key_doc" => json!({"name": "IVR production"}),
        "put_variable_doc" => json!({"value": "Prefers email", "ttl_seconds": 2_592_000}),
        _ => return None,
    })
}

/// The collection for the OpenAPI document `openapi` (as served).
pub fn collection(openapi: &Value) -> Value {
    // One folder per tag of the document, in its order.
    let mut folders: Vec<(String, Vec<Value>)> = openapi["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .map(|name| (name.to_owned(), Vec::new()))
        .collect();
    let paths = openapi["paths"].as_object().cloned().unwrap_or_default();
    for (path, operations) in &paths {
        for (method, operation) in operations.as_object().into_iter().flatten() {
            let tag = operation["tags"][0].as_str().unwrap_or("Service");
            let item = request_item(openapi, path, method, operation);
            match folders.iter_mut().find(|(name, _)| name == tag) {
                Some((_, items)) => items.push(item),
                None => folders.push((tag.to_owned(), vec![item])),
            }
        }
    }
    let mut items: Vec<Value> = vec![test_match_logic()];
    items.extend(
        folders
            .into_iter()
            .filter(|(_, items)| !items.is_empty())
            .map(|(name, item)| json!({"name": name, "item": item})),
    );
    json!({
        "info": {
            "_postman_id": COLLECTION_ID,
            "name": openapi["info"]["title"],
            "description": format!("{} Generated from the OpenAPI document (version {}): \
                set `baseUrl` and `apiKey` in the collection's variables, then run \
                the \"Test Match Logic\" folder.",
                openapi["info"]["description"].as_str().unwrap_or_default(),
                openapi["info"]["version"].as_str().unwrap_or_default()),
            "schema": SCHEMA,
        },
        "auth": bearer(),
        "variable": [
            {"key": "baseUrl", "value": "http://127.0.0.1:8080", "type": "string"},
            {"key": "apiKey", "value": "sk_test_replace_me", "type": "string"},
            {"key": "customerRef", "value": "cust_abc123", "type": "string"},
        ],
        "item": items,
    })
}

fn bearer() -> Value {
    json!({"type": "bearer", "bearer": [{"key": "token", "value": "{{apiKey}}", "type": "string"}]})
}

fn request_item(openapi: &Value, path: &str, method: &str, operation: &Value) -> Value {
    let summary = operation["summary"].as_str().unwrap_or_default();
    let mut request = Map::new();
    request.insert("method".into(), json!(method.to_uppercase()));
    request.insert("description".into(), json!(summary));
    // `security: [{}]` is an operation that takes no key.
    let open = operation["security"]
        .as_array()
        .is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(Map::is_empty)));
    if open {
        request.insert("auth".into(), json!({"type": "noauth"}));
    }
    let mut query = Vec::new();
    let mut variables = Vec::new();
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        let name = parameter["name"].as_str().unwrap_or_default();
        let entry = json!({"key": name, "value": sample_parameter(name),
            "description": parameter["description"].as_str().unwrap_or_default()});
        match parameter["in"].as_str() {
            Some("query") => query.push(json!({"key": name, "value": sample_parameter(name),
                "description": parameter["description"], "disabled": !parameter["required"].as_bool().unwrap_or(false)})),
            Some("path") => variables.push(entry),
            _ => {}
        }
    }
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => format!(":{name}"),
                None => s.to_owned(),
            },
        )
        .collect();
    let mut raw = format!("{{{{baseUrl}}}}/{}", segments.join("/"));
    let enabled: Vec<String> = query
        .iter()
        .filter(|q| q["disabled"] == false)
        .map(|q| {
            format!(
                "{}={}",
                q["key"].as_str().unwrap_or_default(),
                q["value"].as_str().unwrap_or_default()
            )
        })
        .collect();
    if !enabled.is_empty() {
        raw = format!("{raw}?{}", enabled.join("&"));
    }
    let mut url = json!({"raw": raw, "host": ["{{baseUrl}}"], "path": segments});
    if !query.is_empty() {
        url["query"] = json!(query);
    }
    if !variables.is_empty() {
        url["variable"] = json!(variables);
    }
    request.insert("url".into(), url);
    if let Some(schema) =
        operation["requestBody"]["content"]["application/json"]["schema"].as_object()
    {
        let operation_id = operation["operationId"].as_str().unwrap_or_default();
        let body = example_body(operation_id)
            .unwrap_or_else(|| sample(openapi, &Value::Object(schema.clone()), 0));
        request.insert(
            "header".into(),
            json!([{"key": "Content-Type", "value": "application/json"}]),
        );
        request.insert(
            "body".into(),
            json!({"mode": "raw", "raw": serde_json::to_string_pretty(&body).unwrap_or_default(),
                "options": {"raw": {"language": "json"}}}),
        );
    }
    json!({"name": format!("{} {path}", method.to_uppercase()), "request": request})
}

fn sample_parameter(name: &str) -> &'static str {
    match name {
        "customer_ref" => "{{customerRef}}",
        "key" => "preferred_channel",
        "id" => "key_0123456789abcdef",
        "name" => "claude",
        "days" => "30",
        "phone" => "+14155551234",
        _ => "",
    }
}

/// A sample value for `schema`: its example, default or first enum value, else one
/// built from its type (required properties only; none past depth 4).
fn sample(openapi: &Value, schema: &Value, depth: usize) -> Value {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return sample(openapi, &openapi["components"]["schemas"][name], depth);
    }
    for known in ["example", "default"] {
        if !schema[known].is_null() {
            return schema[known].clone();
        }
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    if let Some(first) = schema["oneOf"]
        .as_array()
        .or(schema["anyOf"].as_array())
        .and_then(|o| o.first())
    {
        return sample(openapi, first, depth);
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds
            .iter()
            .find(|k| *k != "null")
            .cloned()
            .unwrap_or_default(),
        other => other.clone(),
    };
    match kind.as_str() {
        Some("object") if depth < 4 => {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let mut object = Map::new();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                if required.contains(&name.as_str()) {
                    object.insert(name.clone(), sample(openapi, property, depth + 1));
                }
            }
            Value::Object(object)
        }
        Some("array") => json!([]),
        Some("integer") => json!(schema["minimum"].as_i64().unwrap_or(1)),
        Some("number") => json!(schema["minimum"].as_f64().unwrap_or(0.5)),
        Some("boolean") => json!(true),
        Some("string") => json!("text"),
        _ => Value::Null,
    }
}

/// The seeds' "Test Match Logic": a first call (no match), its end saving context,
/// and a second call from the same number (a match with the saved note).
fn test_match_logic() -> Value {
    let call = |name: &str, path: &str, body: Value, tests: &[&str]| {
        json!({
            "name": name,
            "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": tests}}],
            "request": {
                "method": "POST",
                "header": [{"key": "Content-Type", "value": "application/json"}],
                "url": {"raw": format!("{{{{baseUrl}}}}{path}"), "host": ["{{baseUrl}}"],
                    "path": path.trim_start_matches('/').split('/').collect::<Vec<_>>()},
                "body": {"mode": "raw", "raw": serde_json::to_string_pretty(&body).unwrap_or_default(),
                    "options": {"raw": {"language": "json"}}},
            },
        })
    };
    json!({
        "name": "Test Match Logic",
        "description": "The seeds' test flow. Run it on a fresh test environment: the first call is a new caller (confidence 0.0), the end saves `test_note`, the second call from the same number is a match (confidence >= 0.5) with the note back.",
        "item": [
            call("1. First call (no match expected)", "/v1/calls/start",
                json!({"call_id": "test_001", "identity_hints": {"ani": "+14155559999"}}),
                &["pm.test('200 OK', () => pm.response.to.have.status(200));",
                  "const body = pm.response.json();",
                  "pm.test('a new caller: confidence 0.0', () => pm.expect(body.identity.confidence).to.eql(0));",
                  "pm.collectionVariables.set('customerRef', body.customer_ref);"]),
            call("2. Save context", "/v1/calls/end",
                json!({"call_id": "test_001", "customer_ref": "cust_abc123", "intent": "test_intent",
                    "intent_status": "resolved", "variables": {"test_note": "Test context"}}),
                &["pm.test('200 OK', () => pm.response.to.have.status(200));",
                  "pm.test('saved for cust_abc123', () => pm.expect(pm.response.json().customer_ref).to.eql('cust_abc123'));"]),
            call("3. Second call (match expected)", "/v1/calls/start",
                json!({"call_id": "test_002", "identity_hints": {"ani": "+14155559999"}}),
                &["pm.test('200 OK', () => pm.response.to.have.status(200));",
                  "const body = pm.response.json();",
                  "pm.test('a match: confidence >= 0.5', () => pm.expect(body.identity.confidence).to.be.at.least(0.5));",
                  "pm.test('the saved note is back', () => pm.expect(body.variables.test_note.value).to.eql('Test context'));"]),
        ],
    })
}

/// The collection as committed: pretty JSON and a final newline.
pub fn collection_json() -> String {
    let openapi: Value =
        serde_json::from_str(&crate::openapi_json()).expect("the OpenAPI document is JSON");
    let mut text = serde_json::to_string_pretty(&collection(&openapi)).expect("JSON");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed collection is the generated one. `UPDATE_POSTMAN=1` rewrites it
    /// (`make postman`).
    #[test]
    fn committed_collection_matches_the_code() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/postman/stickycalls.postman_collection.json"
        );
        let generated = collection_json();
        if std::env::var_os("UPDATE_POSTMAN").is_some() {
            std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            committed, generated,
            "the Postman collection is stale: run `make postman`"
        );
    }

    /// Every operation of the document is a request, with the bearer key unless the
    /// operation takes none, and the seeds' flow comes first.
    #[test]
    fn every_operation_is_a_request() {
        let openapi: Value = serde_json::from_str(&crate::openapi_json()).unwrap();
        let collection = collection(&openapi);
        let operations: usize = openapi["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|o| o.as_object().unwrap().len())
            .sum();
        let folders = collection["item"].as_array().unwrap();
        assert_eq!(folders[0]["name"], "Test Match Logic");
        let requests: Vec<&Value> = folders[1..]
            .iter()
            .flat_map(|f| f["item"].as_array().unwrap())
            .collect();
        assert_eq!(requests.len(), operations);
        let health = requests
            .iter()
            .find(|r| r["name"] == "GET /v1/health")
            .unwrap();
        assert_eq!(health["request"]["auth"]["type"], "noauth");
        let start = requests
            .iter()
            .find(|r| r["name"] == "POST /v1/calls/start")
            .unwrap();
        assert!(
            start["request"]["auth"].is_null(),
            "the collection's bearer key"
        );
        assert!(
            start["request"]["body"]["raw"]
                .as_str()
                .unwrap()
                .contains("+14155551234")
        );
        assert_eq!(collection["auth"]["bearer"][0]["value"], "{{apiKey}}");
        let erase = requests
            .iter()
            .find(|r| r["name"] == "DELETE /v1/customers/{customer_ref}")
            .unwrap();
        assert_eq!(
            erase["request"]["url"]["variable"][0]["value"],
            "{{customerRef}}"
        );
    }
}
