//! A tenant's data as a whole, on the wire: `GET /v1/account/export` (the key's whole
//! environment as NDJSON: settings, endpoints without secrets, every customer with their
//! record, the ledger, ending with the counts; the other environment's data is not in
//! it, and the CLI writes the same lines) and `DELETE /v1/account` (a prod key and the
//! id typed out; every key revoked at once, the data gone, the ledger kept).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::Server;

async fn export(s: &Server, key: &str) -> Vec<Value> {
    let response = s.client_get_with_key("/v1/account/export", key).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/x-ndjson"
    );
    let text = response.text().await.unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_environment_is_exported_whole_as_ndjson() {
    let s = Server::start_with(&[("STICKYCALLS_WEBHOOKS_ALLOW_PRIVATE", "true")]).await;
    let created = s
        .post(
            "/v1/webhooks",
            Some(&s.keys.test),
            &json!({"url": "http://127.0.0.1:9/crm", "events": ["call.ended"]}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let secret = created.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    for (call, number) in [("x-1", "+14155550401"), ("x-2", "+14155550402")] {
        let started = s
            .ok(
                "/v1/calls/start",
                json!({"call_id": call, "identity_hints": {"ani": number}}),
            )
            .await;
        s.ok(
            "/v1/calls/end",
            json!({"call_id": call, "customer_ref": started["customer_ref"],
                   "variables": {"tier": "gold"}}),
        )
        .await;
    }

    let lines = export(&s, &s.keys.test).await;
    let kinds: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(
        &kinds[..4],
        [
            "tenant",
            "identity_settings",
            "retention_settings",
            "webhook_endpoint"
        ]
    );
    assert_eq!(lines[0]["environment"], "test");
    assert_eq!(lines[2]["calls_days"], 400);
    assert_eq!(lines[3]["url"], "http://127.0.0.1:9/crm");
    assert!(
        !lines.iter().any(|l| l.to_string().contains(&secret)),
        "no secret is exported"
    );
    let customers: Vec<&Value> = lines.iter().filter(|l| l["type"] == "customer").collect();
    assert_eq!(customers.len(), 2);
    for c in &customers {
        assert_eq!(c["variables"]["tier"]["value"], "gold", "{c}");
        assert_eq!(c["calls"].as_array().unwrap().len(), 1, "{c}");
    }
    let numbers: Vec<&str> = customers
        .iter()
        .map(|c| c["phones"][0]["number"].as_str().unwrap())
        .collect();
    assert!(
        numbers.contains(&"+14155550401") && numbers.contains(&"+14155550402"),
        "{numbers:?}"
    );
    let ledger = lines.iter().filter(|l| l["type"] == "ledger_entry").count();
    assert!(
        lines
            .iter()
            .any(|l| l["type"] == "ledger_entry" && l["kind"] == "debit" && l["call_id"] == "x-1"),
        "the ledger is in it"
    );
    let end = lines.last().unwrap();
    assert_eq!(
        *end,
        json!({"type": "end", "customers": 2, "ledger_entries": ledger})
    );

    // The operator's CLI writes the same lines (its own time of export aside).
    let account = lines[0]["account_id"].as_str().unwrap().to_owned();
    let text = s
        .cli_text(&["accounts", "export", "--account", &account, "--env", "test"])
        .await;
    let mut by_cli: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut by_api = lines.clone();
    for l in by_cli.iter_mut().chain(by_api.iter_mut()) {
        if let Some(o) = l.as_object_mut() {
            o.remove("exported_at");
        }
    }
    assert_eq!(by_cli, by_api);

    let prod = export(&s, &s.keys.prod).await;
    assert_eq!(prod[0]["environment"], "prod");
    assert_eq!(
        prod.last().unwrap()["customers"],
        0,
        "the other environment is apart"
    );
}

async fn close(s: &Server, key: &str, body: Value) -> reqwest::Response {
    s.send(
        reqwest::Method::DELETE,
        "/v1/account",
        Some(key),
        Some(&body),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_an_account_revokes_its_keys_and_deletes_its_data() {
    let s = Server::start().await;
    let other = s.signup("Other Co").await;
    s.ok(
        "/v1/calls/start",
        json!({"call_id": "z-1", "identity_hints": {"ani": "+14155550601"}}),
    )
    .await;
    let account = s.keys.account_id.clone();
    let refused = close(&s, &s.keys.test, json!({"confirm": account})).await;
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "a test key may not close"
    );
    let refused = close(&s, &s.keys.prod, json!({"confirm": "yes"})).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        s.get_ok("/v1/account", &s.keys.test).await["account_id"],
        account.as_str(),
        "nothing changed"
    );

    let closed = close(&s, &s.keys.prod, json!({"confirm": account})).await;
    assert_eq!(closed.status(), StatusCode::OK);
    let receipt: Value = closed.json().await.unwrap();
    assert_eq!(receipt["account_id"], account.as_str());
    assert_eq!(receipt["keys_revoked"], 2, "{receipt}");
    assert_eq!(receipt["customers_deleted"], 1, "{receipt}");
    for key in [&s.keys.test, &s.keys.prod] {
        let response = s.client_get_with_key("/v1/account", key).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "every key is revoked at once"
        );
    }
    assert_eq!(
        s.sql_count("SELECT count(*) FROM calls WHERE call_id = 'z-1'")
            .await,
        0
    );
    assert!(
        s.sql_count("SELECT count(*) FROM credit_ledger").await > 0,
        "the ledger stays"
    );
    assert!(
        s.get_ok("/v1/account", &other.test).await["plan"].is_string(),
        "another account is untouched"
    );
}
