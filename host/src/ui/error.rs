//! What a page answers when a verb fails: the service's message on a page of its own, with the
//! status the API would give; an expired or missing session goes to the sign-in page.

use crate::service::ServiceError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

/// A failed page.
#[derive(Debug)]
pub enum UiError {
    /// No valid session: sign in first.
    SignIn,
    /// Any other failure, shown to the user.
    Page { status: StatusCode, message: String },
}

impl UiError {
    pub fn not_found(message: &str) -> UiError {
        UiError::Page { status: StatusCode::NOT_FOUND, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> UiError {
        UiError::Page { status: StatusCode::BAD_REQUEST, message: message.into() }
    }
}

impl From<ServiceError> for UiError {
    fn from(error: ServiceError) -> UiError {
        if matches!(error, ServiceError::Unauthenticated) {
            return UiError::SignIn;
        }
        if let ServiceError::Internal(e) = &error {
            tracing::error!(error = %format!("{e:#}"), "a dashboard page failed");
        }
        let (status, _) = error.status_and_code();
        UiError::Page {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            message: error.to_string(),
        }
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        match self {
            UiError::SignIn => Redirect::to("/ui/login").into_response(),
            UiError::Page { status, message } => {
                let body = html! {
                    p .error role="alert" { (message) }
                    p { a href="/ui/connectors" { "Back to the connectors" } }
                };
                let title = status.canonical_reason().unwrap_or("Error");
                (status, super::layout::bare(title, body)).into_response()
            }
        }
    }
}
