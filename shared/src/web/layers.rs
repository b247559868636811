//! Layers every router gets, in both hosts.

use crate::layout::error_page::render_error;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::time::Instant;
use tower_http::catch_panic::CatchPanicLayer;

/// Largest request body outside uploads.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Wraps a router: body limit, French pages for every error answer that is
/// not already a page, one log line per request, and a panic turned into an
/// error page instead of a dropped connection.
pub fn with_common_layers(router: Router) -> Router {
    router
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // Inside the French pages: a panic's bare 500 becomes the French page.
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("panique dans un traitement de requête");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }))
        .layer(middleware::from_fn(french_error_pages))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(log_request))
}

/// One line per request: method, path (never the query string, which may
/// hold a token), status and duration. No personal data.
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    tracing::info!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        ms = format_args!("{:.1}", started.elapsed().as_secs_f64() * 1000.0),
        "requête"
    );
    response
}

/// Replaces the body of any error answer that is not HTML (axum's plain-text
/// rejections, empty 404 and 405 answers, the body limit's 413) with the
/// French page for its status; the status stays.
async fn french_error_pages(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let is_head = request.method() == axum::http::Method::HEAD;
    let response = next.run(request).await;
    let status = response.status();
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error()) || is_html {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let page = render_error(status, &path).into_string();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    let body = if is_head {
        Body::empty()
    } else {
        Body::from(page)
    };
    Response::from_parts(parts, body)
}

/// The Content-Security-Policy of every page, dynamic or static (the SAM
/// template's CloudFront response headers policy sends the same value):
/// scripts, styles, images and fonts from the portal itself only, no inline
/// script or style, no plug-in, never framed, forms posted to the portal only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Headers every dynamic page carries.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
