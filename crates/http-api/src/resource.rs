//! A route's resource as HTTP wants it: `HEAD` wherever `GET` is, and a 405 in our
//! JSON error body with the `Allow` header naming the methods the resource takes.

use actix_web::dev::Handler;
use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::{FromRequest, HttpResponse, Responder, ResponseError, web};

use stickycalls_inbound::error::ApiError;

/// A resource under construction: its routes and the methods they allow.
pub(crate) struct Resource {
    inner: actix_web::Resource,
    allow: Vec<&'static str>,
}

/// Starts the resource at `path`.
pub(crate) fn resource(path: &str) -> Resource {
    Resource {
        inner: web::resource(path),
        allow: Vec::new(),
    }
}

impl Resource {
    /// `GET`, and `HEAD` answered by the same handler (actix sends no body for it).
    pub(crate) fn get<F, Args>(mut self, handler: F) -> Self
    where
        F: Handler<Args> + Clone,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.inner = self
            .inner
            .route(web::get().to(handler.clone()))
            .route(web::head().to(handler));
        self.allow.extend(["GET", "HEAD"]);
        self
    }

    /// `POST`.
    pub(crate) fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.with(web::post().to(handler), "POST")
    }

    /// `PUT`.
    pub(crate) fn put<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.with(web::put().to(handler), "PUT")
    }

    /// `DELETE`.
    pub(crate) fn delete<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.with(web::delete().to(handler), "DELETE")
    }

    fn with(mut self, route: actix_web::Route, method: &'static str) -> Self {
        self.inner = self.inner.route(route);
        self.allow.push(method);
        self
    }

    /// The resource, any other method answering 405 with `Allow`.
    pub(crate) fn done(self) -> actix_web::Resource {
        let allow = self.allow.join(", ");
        self.inner
            .default_service(web::to(move || method_not_allowed(allow.clone())))
    }
}

async fn method_not_allowed(allow: String) -> HttpResponse {
    let mut response = ApiError::new(
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This route does not take that method; `Allow` lists those it takes",
    )
    .error_response();
    if let Ok(value) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}
