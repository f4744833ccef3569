//! What an integrator reads from a running server: the API reference page at `/docs`
//! (everything from this server) and the agents' prompts at `/v1/prompts/{name}`.

use crate::support::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_page_is_served_from_this_server_only() {
    let server = Server::start().await;
    let client = reqwest::Client::new();
    let page = client
        .get(format!("{}/docs", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    for directive in [
        "script-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "img-src 'self' data:",
    ] {
        assert!(policy.contains(directive), "{policy}");
    }
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"spec-url="/v1/openapi.json""#), "{html}");
    assert!(
        html.contains(r#"<script src="/docs/redoc.standalone.js">"#),
        "{html}"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );

    let script = client
        .get(format!("{}/docs/redoc.standalone.js", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let script = script.text().await.unwrap();
    assert!(script.contains("Redoc") && !script.contains("cdn.redoc.ly"));

    // The page reads the document this server generates from its code.
    let spec: serde_json::Value = client
        .get(format!("{}/v1/openapi.json", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let committed: serde_json::Value =
        serde_json::from_str(include_str!("../../docs/openapi.json")).unwrap();
    assert_eq!(spec, committed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agents_prompts_are_served_without_a_key() {
    let server = Server::start().await;
    let client = reqwest::Client::new();
    for (name, media, file) in [
        (
            "claude",
            "application/xml",
            include_str!("../../docs/prompts/claude.xml"),
        ),
        (
            "chatgpt",
            "text/markdown",
            include_str!("../../docs/prompts/chatgpt.md"),
        ),
        (
            "generic",
            "text/plain",
            include_str!("../../docs/prompts/generic.txt"),
        ),
    ] {
        let r = client
            .get(format!("{}/v1/prompts/{name}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{name}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(media),
            "{name}"
        );
        assert_eq!(r.text().await.unwrap(), file, "{name}");
    }
    let unknown = client
        .get(format!("{}/v1/prompts/gemini", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let body: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(body["code"], "prompt_not_found");
}
