//! What every response gets on its way out: `Cache-Control: no-store` (answers carry issued
//! credentials and private configuration, which no cache may keep), errors as the API's JSON error whatever produced
//! them (the router's 404/405 fallbacks, body-limit and path-decoding rejections), and
//! `Connection: close` on an error answered before a request body was read, so the client's
//! next request does not land in the unread body.

use super::ApiError;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Largest plain-text error body turned into a JSON message.
const MAX_TEXT_ERROR: usize = 4 << 10;

/// The middleware: see the module documentation.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let had_body = request.headers().get(header::CONTENT_LENGTH).is_some_and(|v| v != "0")
        || request.headers().contains_key(header::TRANSFER_ENCODING);
    let mut response = next.run(request).await;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let status = response.status();
    if !status.is_client_error() && !status.is_server_error() {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let mut response = match is_json {
        true => response,
        false => as_json_error(response).await,
    };
    if let Some(value) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if had_body {
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// A plain error response rewritten as `{"error": {"code", "message"}}`.
async fn as_json_error(response: Response) -> Response {
    let status = response.status();
    let text = axum::body::to_bytes(response.into_body(), MAX_TEXT_ERROR).await.unwrap_or_default();
    let text: String = String::from_utf8_lossy(&text).chars().flat_map(char::escape_debug).take(512).collect();
    let (code, default) = match status {
        StatusCode::NOT_FOUND => ("not-found", "no such endpoint"),
        StatusCode::METHOD_NOT_ALLOWED => ("method-not-allowed", "this endpoint does not support the request's method"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload-too-large", "the request body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported-media-type", "the request's content type is not accepted"),
        StatusCode::REQUEST_TIMEOUT => ("request-timeout", "the request was not received in time"),
        s if s.is_server_error() => ("internal", "internal error"),
        _ => ("invalid-request", "the request is malformed"),
    };
    let message = match text.trim().is_empty() || status.is_server_error() {
        true => default.to_string(),
        false => format!("{default}: {}", text.trim()),
    };
    ApiError::new(status, code, message).into_response()
}
