//! The API reference page at `/docs`: Redoc 2.5.2 (vendored, MIT, `assets/redoc/`)
//! reading the same `/v1/openapi.json` the server serves, so it is always current with
//! the code. Everything is embedded in the binary, and a Content-Security-Policy lets
//! the page load nothing from another host.

use actix_web::HttpResponse;
use actix_web::http::header;

const REDOC: &str = include_str!("../assets/redoc/redoc.standalone.js");

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sticky Calls API reference</title>
</head>
<body>
<redoc spec-url="/v1/openapi.json" hide-loading></redoc>
<script src="/docs/redoc.standalone.js"></script>
</body>
</html>
"#;

/// Same origin only. Redoc styles itself inline, draws icons as data URLs and runs its
/// search in a worker made from a blob.
pub(crate) const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'";

/// `GET /docs`.
pub(crate) async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .body(PAGE)
}

/// `GET /docs/redoc.standalone.js`: cached for a day (it changes only with the binary).
pub(crate) async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .body(REDOC)
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
        assert!(
            !REDOC.contains("cdn.redoc.ly"),
            "the vendored bundle's logo is not fetched"
        );
        assert!(POLICY.contains("default-src 'none'"));
        assert!(!POLICY.contains("http"), "{POLICY}");
    }
}
