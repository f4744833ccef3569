//! The MCP server: the rmcp client over streamable HTTP at `/mcp`, and over stdio through
//! `stickycalls mcp`, lists the tools, identifies a caller, ends the call and reads the
//! customer, as an AI agent would; a wrong key is refused on both.

use std::process::Stdio;

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};

use crate::support::Server;

type Client = RunningService<RoleClient, ()>;

/// A key of the right shape that no account has.
const WRONG: &str =
    "sk_test_0123456789abcdef_0000000000000000000000000000000000000000000000000000000000000000";

async fn over_http(
    server: &Server, key: &str,
) -> Result<Client, rmcp::service::ClientInitializeError> {
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", server.base))
        .auth_header(key);
    ().serve(StreamableHttpClientTransport::from_config(config))
        .await
}

fn bridge_command(server: &Server, key: &str) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_stickycalls"));
    command
        .env("STICKYCALLS_MASTER_KEY", crate::support::TEST_MASTER_KEY)
        .arg("mcp")
        .env("STICKYCALLS_URL", &server.base)
        .env("STICKYCALLS_API_KEY", key)
        .env("RUST_LOG", "warn");
    command
}

async fn over_stdio(server: &Server, key: &str) -> Client {
    let child = TokioChildProcess::new(bridge_command(server, key)).expect("spawn stickycalls mcp");
    ().serve(child).await.expect("an MCP session over stdio")
}

async fn call(client: &Client, tool: &'static str, args: Value) -> CallToolResult {
    let Value::Object(args) = args else {
        panic!("arguments are an object")
    };
    client
        .call_tool(CallToolRequestParams::new(tool).with_arguments(args))
        .await
        .expect("the tool answers")
}

fn answer(result: &CallToolResult) -> Value {
    assert_eq!(result.is_error, Some(false), "{result:?}");
    let text = result.content[0].as_text().expect("a text answer");
    let parsed: Value = serde_json::from_str(&text.text).expect("JSON text");
    assert_eq!(result.structured_content.as_ref(), Some(&parsed));
    parsed
}

/// What an agent does with a call, through `client`; `number` is the caller's.
async fn a_call_through(server: &Server, client: &Client, call_id: &str, number: &str) {
    let names: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "start_call",
            "end_call",
            "get_customer",
            "list_open_intents",
            "set_variable"
        ]
    );

    let started = answer(
        &call(
            client,
            "start_call",
            json!({"call_id": call_id, "identity_hints": {"ani": number}}),
        )
        .await,
    );
    let customer = started["customer_ref"].as_str().unwrap().to_owned();
    assert!(customer.starts_with("cust_"), "{started}");
    assert_eq!(
        started["identity"]["recommendation"], "ignore",
        "a new caller"
    );

    let ended = answer(
        &call(
            client,
            "end_call",
            json!({"call_id": call_id, "customer_ref": customer, "intent": "billing_refund",
                   "intent_status": "open", "variables": {"summary": "Refund requested"}}),
        )
        .await,
    );
    assert_eq!(ended["customer_ref"], customer.as_str());

    let read = answer(&call(client, "get_customer", json!({"customer_ref": customer})).await);
    assert_eq!(read["total_calls"], 1);
    assert_eq!(read["variables"]["summary"]["value"], "Refund requested");
    let open = answer(
        &call(
            client,
            "list_open_intents",
            json!({"customer_ref": customer}),
        )
        .await,
    );
    assert_eq!(
        open["open_intents"][0]["intent"], "billing_refund",
        "{open}"
    );

    // The same call on REST: one call recorded and billed, as a REST start would be.
    let rest = server
        .get_ok(&format!("/v1/customers/{customer}"), &server.keys.test)
        .await;
    assert_eq!(rest, read, "the tool answers what REST answers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_identifies_a_caller_over_streamable_http() {
    let server = Server::start().await;
    let before = server.get_ok("/v1/account", &server.keys.test).await;
    let client = over_http(&server, &server.keys.test).await.unwrap();
    a_call_through(&server, &client, "mcp-http-1", "+14155550181").await;
    let after = server.get_ok("/v1/account", &server.keys.test).await;
    assert_eq!(
        before["credits_remaining"].as_u64().unwrap()
            - after["credits_remaining"].as_u64().unwrap(),
        1,
        "one start billed"
    );

    // A refusal is a tool error with the REST error body.
    let refused = call(
        &client,
        "get_customer",
        json!({"customer_ref": "cust_nobody"}),
    )
    .await;
    assert_eq!(refused.is_error, Some(true));
    let body = refused.structured_content.unwrap();
    assert_eq!(body["code"], "customer_not_found", "{body}");
    let bad = call(
        &client,
        "start_call",
        json!({"identity_hints": {"ani": "+14155550181"}}),
    )
    .await;
    assert_eq!(bad.structured_content.unwrap()["code"], "invalid_request");
    client.cancel().await.unwrap();
}

/// Vapi opens a new session for every tool call: each works, and the tenant is the key's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_per_tool_call_works_and_keys_keep_their_tenant() {
    let server = Server::start().await;
    let start = |call_id: &'static str| {
        let server = &server;
        async move {
            let client = over_http(server, &server.keys.test).await.unwrap();
            let started = answer(
                &call(
                    &client,
                    "start_call",
                    json!({"call_id": call_id, "identity_hints": {"ani": "+14155550182"}}),
                )
                .await,
            );
            client.cancel().await.unwrap();
            started
        }
    };
    let first = start("vapi-1").await;
    let ended = {
        let client = over_http(&server, &server.keys.test).await.unwrap();
        let ended = call(
            &client,
            "end_call",
            json!({"call_id": "vapi-1", "customer_ref": first["customer_ref"]}),
        )
        .await;
        client.cancel().await.unwrap();
        ended
    };
    answer(&ended);
    let second = start("vapi-2").await;
    assert_eq!(second["customer_ref"], first["customer_ref"], "remembered");

    // The prod key is another tenant: it does not know the test tenant's customer.
    let prod = over_http(&server, &server.keys.prod).await.unwrap();
    let other = call(
        &prod,
        "get_customer",
        json!({"customer_ref": first["customer_ref"]}),
    )
    .await;
    assert_eq!(
        other.structured_content.unwrap()["code"],
        "customer_not_found"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_refused_over_http() {
    let server = Server::start().await;
    let wrong = WRONG;
    assert!(over_http(&server, wrong).await.is_err());
    // As REST refuses it: 401 with the error body, before any MCP message is read.
    let refused = reqwest::Client::new()
        .post(format!("{}/mcp", server.base))
        .bearer_auth(wrong)
        .header("accept", "application/json, text/event-stream")
        .json(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"}}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desktop_agent_identifies_a_caller_over_stdio() {
    let server = Server::start().await;
    let client = over_stdio(&server, &server.keys.test).await;
    a_call_through(&server, &client, "mcp-stdio-1", "+14155550183").await;
    client.cancel().await.unwrap();

    // A wrong key: `stickycalls mcp` says so and exits.
    let out = bridge_command(&server, WRONG)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("STICKYCALLS_API_KEY"), "{said}");
}
