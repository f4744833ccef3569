//! Telco metadata never refuses a call, on PostgreSQL and on SQLite: every STIR/SHAKEN
//! value Twilio documents, Bandwidth's verstat with its indicator, and a value nobody
//! documents each answer 200 and store the call, with the level each gives (read back
//! from the customer's export), and a forwarded C call is never `reuse` on the number.

use serde_json::{Value, json};

use crate::sqlite::{printed_key, serve_url};
use crate::support::Server;

/// Every `StirVerstat` value on Twilio's "Trusted Calling with SHAKEN/STIR" page, and
/// the level it keeps (`None`: not attested).
const TWILIO: [(&str, Option<&str>); 21] = [
    ("TN-Validation-Passed-A", Some("A")),
    ("TN-Validation-Passed-B", Some("B")),
    ("TN-Validation-Passed-C", Some("C")),
    ("TN-Validation-Failed-A", Some("failed")),
    ("TN-Validation-Failed-B", Some("failed")),
    ("TN-Validation-Failed-C", Some("failed")),
    ("No-TN-Validation", None),
    ("TN-Validation-Failed", Some("failed")),
    ("NULL", None),
    ("TN-Validation-Passed-A-Diverted", Some("A")),
    ("TN-Validation-Passed-B-Diverted", Some("B")),
    ("TN-Validation-Passed-C-Diverted", Some("C")),
    ("TN-Validation-Failed-A-Diverted", Some("failed")),
    ("TN-Validation-Failed-B-Diverted", Some("failed")),
    ("TN-Validation-Failed-C-Diverted", Some("failed")),
    ("TN-Validation-Passed-A-Passthrough", Some("A")),
    ("TN-Validation-Passed-B-Passthrough", Some("B")),
    ("TN-Validation-Passed-C-Passthrough", Some("C")),
    ("TN-Validation-Failed-A-Passthrough", Some("failed")),
    ("TN-Validation-Failed-B-Passthrough", Some("failed")),
    ("TN-Validation-Failed-C-Passthrough", Some("failed")),
];

struct Api {
    base: String,
    key: String,
}

impl Api {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let r = request.send().await.unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    /// A first call from a new number with `telco`, ended naming `who`: the level the
    /// call's attestation gave, as the number's link keeps it.
    async fn level_of(&self, n: usize, telco: Value, who: &str) -> (Value, Value) {
        let call_id = format!("att-{n}");
        let ani = format!("+1415555{:04}", 1000 + n);
        let start = json!({"call_id": call_id, "identity_hints": {"ani": ani}, "telco": telco});
        let answer = self.post("/v1/calls/start", start.clone()).await;
        // The retry answers the same.
        assert_eq!(
            self.post("/v1/calls/start", start).await["identity"],
            answer["identity"]
        );
        self.post(
            "/v1/calls/end",
            json!({"call_id": call_id, "customer_ref": who}),
        )
        .await;
        let export = self
            .send(
                reqwest::Method::GET,
                &format!("/v1/customers/{who}/export"),
                None,
            )
            .await;
        (answer, export["phones"][0]["last_attestation"].clone())
    }
}

async fn every_value_is_read_and_stored(api: &Api) {
    for (n, (value, level)) in TWILIO.iter().enumerate() {
        let (answer, stored) = api
            .level_of(
                n,
                json!({"line_type": "mobile", "attestation": value}),
                &format!("tw{n}"),
            )
            .await;
        assert_eq!(stored, json!(level), "{value}");
        assert!(
            answer["identity"]["signals"].as_array().unwrap().is_empty(),
            "{value}: {answer}"
        );
    }
    // Bandwidth: the level of a bare pass is its attestationIndicator (either spelling
    // of the field); without one and no carrier named, a pass of unknown level.
    let cases = [
        (
            json!({"attestation": "TN-Validation-Passed", "attestationIndicator": "B"}),
            json!("B"),
        ),
        (
            json!({"attestation": "TN-Validation-Passed", "attestation_indicator": "C"}),
            json!("C"),
        ),
        (
            json!({"attestation": "TN-Validation-Failed", "attestationIndicator": "A"}),
            json!("failed"),
        ),
        (
            json!({"attestation": "TN-Validation-Passed"}),
            json!("passed"),
        ),
        (
            json!({"attestation": "TN-Validation-Passed", "carrier": "telnyx"}),
            json!("A"),
        ),
    ];
    for (i, (telco, level)) in cases.into_iter().enumerate() {
        let (_, stored) = api
            .level_of(100 + i, telco.clone(), &format!("bw{i}"))
            .await;
        assert_eq!(stored, level, "{telco}");
    }
    // A value nobody documents: 200, stored, read as not attested, and said.
    let (answer, stored) = api
        .level_of(200, json!({"attestation": "TN-Validation-Maybe-Z"}), "odd")
        .await;
    assert_eq!(stored, Value::Null);
    assert_eq!(
        answer["identity"]["signals"],
        json!([{"source": "attestation:unrecognized", "weight": 0.0}])
    );
    assert_eq!(
        answer["identity"]["sources"],
        json!(["attestation:unrecognized"])
    );
}

/// A forwarded C call on a number known with A, or with nothing, is never `reuse` on
/// the number alone.
async fn a_diverted_c_call_is_not_reused(api: &Api) {
    for (n, usual) in [(300, Some("TN-Validation-Passed-A")), (301, None)] {
        let ani = format!("+1415555{n:04}");
        let telco = usual.map_or(
            json!({"line_type": "mobile"}),
            |a| json!({"line_type": "mobile", "attestation": a}),
        );
        for i in 0..2 {
            let call_id = format!("div-{n}-{i}");
            let start = json!({"call_id": call_id, "identity_hints": {"ani": ani}, "telco": telco});
            api.post("/v1/calls/start", start).await;
            api.post(
                "/v1/calls/end",
                json!({"call_id": call_id, "customer_ref": format!("owner{n}")}),
            )
            .await;
        }
        let genuine = json!({"call_id": format!("div-{n}-g"), "identity_hints": {"ani": ani}, "telco": telco});
        assert_eq!(
            api.post("/v1/calls/start", genuine).await["identity"]["recommendation"],
            "reuse"
        );
        let diverted = json!({"call_id": format!("div-{n}-c"), "identity_hints": {"ani": ani},
            "telco": {"line_type": "mobile", "attestation": "TN-Validation-Passed-C-Diverted"}});
        let answer = api.post("/v1/calls/start", diverted).await;
        assert_eq!(answer["customer_ref"], format!("owner{n}"));
        assert_eq!(
            answer["identity"]["recommendation"], "confirm",
            "{usual:?}: {answer}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_value_and_an_unknown_one_store_the_call_on_postgres() {
    let s = Server::start().await;
    let api = Api {
        base: s.base.clone(),
        key: s.keys.test.clone(),
    };
    every_value_is_read_and_stored(&api).await;
    a_diverted_c_call_is_not_reused(&api).await;
    assert_eq!(
        s.sql_count("SELECT count(*) FROM calls WHERE call_id LIKE 'att-%'")
            .await,
        TWILIO.len() as i64 + 6
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_value_and_an_unknown_one_store_the_call_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("stickycalls-e2e-att-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let running = serve_url(&format!("sqlite://{}", dir.join("calls.db").display())).await;
    let api = Api {
        base: running.base.clone(),
        key: printed_key(&running.printed),
    };
    every_value_is_read_and_stored(&api).await;
    a_diverted_c_call_is_not_reused(&api).await;
    drop(running);
    let _ = std::fs::remove_dir_all(&dir);
}
