//! The console's stylesheet and script, compiled into the binary and served from this
//! origin (the Content-Security-Policy allows nothing else).

use actix_web::http::header;
use actix_web::{HttpResponse, web};

const STYLESHEET: &str = include_str!("../assets/console.css");
const SCRIPT: &str = include_str!("../assets/console.js");

/// `GET /console/assets/{name}`.
pub(crate) async fn serve(name: web::Path<String>) -> HttpResponse {
    let (body, kind) = match name.as_str() {
        "console.css" => (STYLESHEET, "text/css; charset=utf-8"),
        "console.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type(kind)
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body)
}
