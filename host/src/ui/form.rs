//! Form bodies: parsed into the handler's type (a malformed form is a 400 page), and for every
//! state-changing post checked against the session's CSRF token first.

use super::error::UiError;
use super::session::Session;
use crate::service::Service;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// Largest form accepted (a registration with a key file or two).
pub const MAX_FORM: usize = 256 << 10;

/// A form body.
pub struct FormData<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for FormData<T> {
    type Rejection = UiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| UiError::Page {
            status: rejection.status(),
            message: format!("the form could not be read (at most {} KiB): {}", MAX_FORM >> 10, rejection.body_text()),
        })?;
        serde_urlencoded::from_bytes(&bytes)
            .map(FormData)
            .map_err(|e| UiError::bad_request(format!("the form is malformed: {e}")))
    }
}

/// A form posted by a signed-in user whose CSRF token matched.
pub struct Posted<T> {
    pub session: Session,
    pub form: T,
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub struct Empty {}

impl<T: DeserializeOwned> FromRequest<Arc<Service>> for Posted<T> {
    type Rejection = UiError;

    async fn from_request(request: Request, service: &Arc<Service>) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let session = Session::from_request_parts(&mut parts, service).await?;
        let request = Request::from_parts(parts, body);
        let FormData(pairs) = FormData::<Vec<(String, String)>>::from_request(request, service).await?;
        let sent = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str());
        session.check_csrf(sent)?;
        let fields: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != "csrf").collect();
        let encoded = serde_urlencoded::to_string(&fields).map_err(|e| UiError::bad_request(e.to_string()))?;
        let form = serde_urlencoded::from_str(&encoded)
            .map_err(|e| UiError::bad_request(format!("the form is malformed: {e}")))?;
        Ok(Posted { session, form })
    }
}
