//! The API reference page at `/docs`: RapiDoc 9.3.8 (vendored, MIT, `assets/rapidoc/`) reading
//! the same `/v1/openapi.json` the server serves, so it is always current with the
//! code. Everything is embedded in the binary, and a Content-Security-Policy lets the
//! page load nothing from another host (fonts included: RapiDoc's are turned off).

use actix_web::HttpResponse;
use actix_web::http::header;

const RAPIDOC: &str = include_str!("../assets/rapidoc/rapidoc-min.js");

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sticky Calls API reference</title>
<script type="module" src="/docs/rapidoc-min.js"></script>
</head>
<body>
<rapi-doc spec-url="/v1/openapi.json" load-fonts="false" render-style="read"
  show-header="false" allow-server-selection="false" allow-authentication="true"
  schema-style="table" default-schema-tab="schema" sort-endpoints-by="none">
</rapi-doc>
</body>
</html>
"#;

/// Same origin only; RapiDoc styles itself inline and draws some icons as data URLs.
pub(crate) const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'";

/// `GET /docs`.
pub(crate) async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .body(PAGE)
}

/// `GET /docs/rapidoc-min.js`: cached for a day (it changes only with the binary).
pub(crate) async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .body(RAPIDOC)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every address the page itself names is on this server.
    #[test]
    fn the_page_names_no_other_host() {
        for attr in ["src=\"", "href=\"", "spec-url=\""] {
            for (i, _) in PAGE.match_indices(attr) {
                let value = &PAGE[i + attr.len()..];
                assert!(value.starts_with('/'), "{attr}{}", &value[..40]);
            }
        }
        assert!(PAGE.contains("load-fonts=\"false\""));
        assert!(POLICY.contains("default-src 'none'"));
        assert!(!POLICY.contains("http"), "{POLICY}");
    }
}
