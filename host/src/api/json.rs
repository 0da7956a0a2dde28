//! A JSON body extractor whose rejections are API errors (malformed JSON, unknown fields,
//! oversized bodies) instead of plain text.

use super::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(rejection_error(rejection)),
        }
    }
}

/// One path parameter as text. Bad percent-encoding, invalid UTF-8, control characters and
/// overlong segments are API errors (400), before any lookup sees them.
pub struct PathText(pub String);

/// Longest path parameter (names and ids are far shorter).
const MAX_PATH_PARAM: usize = 256;

/// Two path parameters as text (`/teams/{team}/members/{user}`), checked like [`PathText`].
pub struct PathPair(pub String, pub String);

fn invalid(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid-request", message)
}

fn path_text(text: String) -> Result<String, ApiError> {
    if text.len() > MAX_PATH_PARAM || text.chars().any(char::is_control) {
        return Err(invalid(format!(
            "`{}` is not a valid name or id (control characters, or longer than {MAX_PATH_PARAM} bytes)",
            text.chars().take(64).collect::<String>().escape_debug()
        )));
    }
    Ok(text)
}

impl<S: Send + Sync> FromRequestParts<S> for PathText {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(text) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|r| invalid(format!("the path is malformed: {}", r.body_text().escape_debug())))?;
        Ok(PathText(path_text(text)?))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathPair {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path((first, second)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|r| invalid(format!("the path is malformed: {}", r.body_text().escape_debug())))?;
        Ok(PathPair(path_text(first)?, path_text(second)?))
    }
}

/// Query parameters, with rejections as API errors. A key or value with control characters
/// (a NUL no store can hold) or longer than any filter needs is refused (400) before it
/// reaches a lookup.
pub struct Params<T>(pub T);

/// Longest query parameter value (filters are names, ids and small numbers).
const MAX_QUERY_VALUE: usize = 1024;

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if [&key, &value].iter().any(|t| t.len() > MAX_QUERY_VALUE || t.chars().any(char::is_control)) {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid-request",
                    format!(
                        "the query parameter `{}` has control characters or is longer than {MAX_QUERY_VALUE} bytes",
                        key.chars().take(64).collect::<String>().escape_debug()
                    ),
                ));
            }
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Params(q.0))
            .map_err(|r| ApiError::new(StatusCode::BAD_REQUEST, "invalid-request", without_values(&r.body_text())))
    }
}

fn rejection_error(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "payload-too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        _ => "invalid-request",
    };
    let status = if status == StatusCode::UNPROCESSABLE_ENTITY { StatusCode::BAD_REQUEST } else { status };
    ApiError::new(status, code, without_values(&rejection.body_text()))
}

/// serde quotes offending values (`invalid type: string "hunter2", expected ...`); a body may
/// carry secrets, so keep the kind and drop the value.
fn without_values(message: &str) -> String {
    let mut out = message.to_string();
    for marker in ["invalid type: ", "invalid value: "] {
        if let Some(start) = out.find(marker) {
            let from = start + marker.len();
            let end = out[from..].find(", expected").map(|e| from + e).unwrap_or(out.len());
            let kind = out[from..end].split([' ', '`', '"']).next().unwrap_or_default().to_string();
            out.replace_range(from..end, &kind);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn offending_values_are_dropped() {
        let text = r#"Failed to deserialize the JSON body into the target type: configuration.password: invalid type: string "hunter2", expected i64 at line 1 column 30"#;
        let cleaned = super::without_values(text);
        assert!(!cleaned.contains("hunter2"), "{cleaned}");
        assert!(cleaned.contains("invalid type: string, expected i64 at line 1 column 30"), "{cleaned}");
    }
}
