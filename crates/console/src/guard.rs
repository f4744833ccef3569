//! What every console response carries and every console form must pass: a strict
//! Content-Security-Policy (scripts, styles and images from this origin only, no
//! inline script or style, no framing, forms posting here only), no caching of pages,
//! and the refusal of a form posted from another site (the browser's `Sec-Fetch-Site`
//! and `Origin`), before any handler runs. Form tokens are the second lock.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, ResponseError};

use super::page_error::PageError;

/// The console's Content-Security-Policy.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

/// Whether a form post comes from this origin. (The pages' `Referrer-Policy` is
/// `same-origin`: under `no-referrer` a browser sends `Origin: null` with every form.)
fn same_origin(req: &HttpRequest) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site")
        && site != "same-origin"
        && site != "none"
    {
        return false;
    }
    match header("origin") {
        None => true,
        Some(origin) => origin
            .split_once("://")
            .is_some_and(|(_, host)| host == req.connection_info().host()),
    }
}

/// The console's middleware: cross-site posts refused, security headers on everything.
pub(crate) async fn guard(
    req: ServiceRequest, next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let mut res = if req.method() == Method::POST && !same_origin(req.request()) {
        tracing::warn!("console form from another site refused");
        let response = PageError::CrossSite.error_response();
        req.into_response(response)
    } else {
        next.call(req).await?.map_into_boxed_body()
    };
    let headers = res.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CROSS_ORIGIN_OPENER_POLICY, "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}
