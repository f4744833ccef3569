//! The five tools: what an LLM reads of them (name, description, input schema) and what
//! each runs. Each runs the use case of its REST route and answers that route's JSON;
//! a refusal answers the REST error body (`code`, `message`, `details`) as a tool error.

use std::sync::{Arc, LazyLock};

use serde::Deserialize;
use serde_json::{Map, Value, json};
use stickycalls_domain::tenant::Tenant;

use super::schema::component;
use stickycalls_inbound::body::typed;
use stickycalls_inbound::calls::{end_call, start_call};
use stickycalls_inbound::customer_dto::{CustomerDto, VariableWritten};
use stickycalls_inbound::dto::{EndResponse, OpenIntentDto, StartResponse};
use stickycalls_inbound::error::ApiError;
use stickycalls_inbound::{AppState, Backend};

/// The tools' names, in the order they are listed.
pub const TOOL_NAMES: [&str; 5] = [
    "start_call",
    "end_call",
    "get_customer",
    "list_open_intents",
    "set_variable",
];

const START: &str = "Identify the caller. Call this once, as soon as a phone call connects, \
with your id for the call (call_id) and what you know of the caller: identity_hints.ani is \
their number in E.164 (+14155550123), identity_hints.external_ids the CRM ids you have \
({\"namespace\": \"value\"}). The answer says who the caller probably is (customer_ref), how \
sure (identity.confidence) and what to do: identity.recommendation is `reuse` (greet them \
with their context), `confirm` (ask one question first; candidates carry hints to build it \
from, never say a candidate's data) or `ignore` (treat them as a new caller). It also gives \
their open_intents (unresolved issues from earlier calls) and variables (notes saved for the \
next agent). A start costs one credit unless the caller is recognised (`reuse`); calling \
again with the same call_id returns the first answer without a second charge.";

const END: &str = "Save what happened, once, when the call ends. Send the same call_id as \
start_call, the customer_ref from its answer (or the candidate the caller confirmed), \
intent: a short snake_case reason for the call (billing_refund), intent_status: `resolved` \
if it was solved, `open` if they will call back about it, and variables: up to a few short \
notes for the next agent ({\"summary\": \"Refund approved, arrives in 3-5 days\"}). Never \
save card numbers, passwords, one-time codes or health details: a value that looks like a \
card number is refused. Free; repeating the same end returns the first answer.";

const GET_CUSTOMER: &str = "Read everything held on one customer: their numbers, external \
ids, calls count, open intents and live variables. Use it when you already know the \
customer_ref (from start_call) and need their details again. Free; records no call.";

const LIST_OPEN_INTENTS: &str = "List one customer's open intents (issues still unresolved \
from earlier calls), newest first, each with how many calls it has taken. Use it to check \
whether the caller is calling back about something. Free; records no call.";

const SET_VARIABLE: &str = "Save one note (a variable) on a customer during the call, \
without waiting for end_call: key is a short snake_case name (preferred_language), value \
is text, a number or a boolean. ttl_seconds (60 to 7776000, default 30 days) is how long \
it is kept. Replaces a note with the same key. Never save card numbers, passwords, \
one-time codes or health details. Free.";

fn customer_ref_schema() -> Value {
    let mut text = component("CustomerRefText");
    if let Value::Object(map) = &mut text {
        map.insert(
            "description".into(),
            json!("The customer's reference, as start_call returned it (cust_...)."),
        );
    }
    text
}

fn object(properties: Map<String, Value>, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required})
}

fn customer_schema() -> Value {
    let mut properties = Map::new();
    properties.insert("customer_ref".into(), customer_ref_schema());
    object(properties, &["customer_ref"])
}

/// `set_variable`'s arguments: the route's path (customer, key) and the object form of
/// its body (value, ttl_seconds, source), flattened.
fn variable_schema() -> Value {
    let body = component("VariableBody");
    let mut properties = body["anyOf"]
        .as_array()
        .and_then(|forms| forms.iter().find_map(|f| f["properties"].as_object()))
        .cloned()
        .unwrap_or_default();
    properties.insert("customer_ref".into(), customer_ref_schema());
    properties.insert("key".into(), component("VariableKeyText"));
    object(properties, &["customer_ref", "key", "value"])
}

fn schema(name: &str) -> Value {
    match name {
        "start_call" => component("StartRequest"),
        "end_call" => component("EndRequest"),
        "set_variable" => variable_schema(),
        _ => customer_schema(),
    }
}

fn description(name: &str) -> &'static str {
    match name {
        "start_call" => START,
        "end_call" => END,
        "get_customer" => GET_CUSTOMER,
        "list_open_intents" => LIST_OPEN_INTENTS,
        _ => SET_VARIABLE,
    }
}

static TOOLS: LazyLock<Vec<rmcp::model::Tool>> = LazyLock::new(|| {
    TOOL_NAMES
        .iter()
        .map(|name| {
            let input = match schema(name) {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            rmcp::model::Tool::new(*name, description(name), Arc::new(input))
        })
        .collect()
});

/// The tools, as `tools/list` answers them.
pub fn tool_list() -> Vec<rmcp::model::Tool> {
    TOOLS.clone()
}

#[derive(Deserialize)]
struct CustomerArgs {
    customer_ref: String,
}

#[derive(Deserialize)]
struct VariableArgs {
    customer_ref: String,
    key: String,
    value: Value,
    #[serde(default)]
    ttl_seconds: Option<Value>,
    #[serde(default)]
    source: Option<Value>,
}

/// Runs tool `name` for `tenant`: `None` when there is no such tool.
pub(super) async fn run<B: Backend>(
    state: &AppState<B>, tenant: &Tenant, name: &str, args: Value,
) -> Option<Result<Value, ApiError>> {
    let answer = match name {
        "start_call" => start_call(state, tenant, &args)
            .await
            .and_then(|o| to_json(&StartResponse::from(o))),
        "end_call" => end_call(state, tenant, &args)
            .await
            .and_then(|o| to_json(&EndResponse::from(o))),
        "get_customer" => customer(state, tenant, &args)
            .await
            .and_then(|c| to_json(&c)),
        "list_open_intents" => customer(state, tenant, &args).await.and_then(|c| {
            let open: &[OpenIntentDto] = &c.open_intents;
            to_json(&json!({"customer_ref": c.customer_ref, "open_intents": open}))
        }),
        "set_variable" => set_variable(state, tenant, &args).await,
        _ => return None,
    };
    Some(answer)
}

async fn customer<B: Backend>(
    state: &AppState<B>, tenant: &Tenant, args: &Value,
) -> Result<CustomerDto, ApiError> {
    let CustomerArgs { customer_ref } = typed(args)?;
    let view = state.customers.get(&tenant.id, &customer_ref).await?;
    Ok(CustomerDto::from(view))
}

async fn set_variable<B: Backend>(
    state: &AppState<B>, tenant: &Tenant, args: &Value,
) -> Result<Value, ApiError> {
    let VariableArgs {
        customer_ref,
        key,
        value,
        ttl_seconds,
        source,
    } = typed(args)?;
    let mut body = Map::new();
    body.insert("value".into(), value);
    for (field, given) in [("ttl_seconds", ttl_seconds), ("source", source)] {
        if let Some(given) = given.filter(|v| !v.is_null()) {
            body.insert(field.into(), given);
        }
    }
    let variable = state
        .customers
        .set_variable(&tenant.id, &customer_ref, &key, Value::Object(body))
        .await?;
    to_json(&VariableWritten {
        key,
        variable: variable.into(),
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::internal(e.into()))
}
