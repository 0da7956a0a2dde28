//! Errors of the service verbs; each has a stable code and an HTTP status. Messages never hold
//! secret values.

use crate::instance::ConfigError;
use crate::runtime::{CallError, LoadError};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("missing or invalid API token")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    /// An `If-Match` precondition no longer holds.
    #[error("{0}")]
    PreconditionFailed(String),
    /// The caller has too many calls running; retry after the given seconds.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Connector(#[from] CallError),
    #[error("the plugin was refused: {0}")]
    Plugin(#[from] LoadError),
    /// Details are logged, not returned.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ServiceError {
    /// HTTP status and stable code.
    pub fn status_and_code(&self) -> (u16, &'static str) {
        match self {
            ServiceError::Unauthenticated => (401, "unauthenticated"),
            ServiceError::Forbidden(_) => (403, "forbidden"),
            ServiceError::NotFound(_) => (404, "not-found"),
            ServiceError::Invalid(_) => (400, "invalid-request"),
            ServiceError::Conflict(_) => (409, "conflict"),
            ServiceError::PreconditionFailed(_) => (412, "precondition-failed"),
            ServiceError::TooManyRequests { .. } => (429, "too-many-requests"),
            ServiceError::Config(_) => (400, "invalid-config"),
            ServiceError::Plugin(LoadError::SpecChanged(_)) => (409, "plugin-spec-changed"),
            ServiceError::Plugin(_) => (400, "invalid-plugin"),
            ServiceError::Internal(_) => (500, "internal"),
            ServiceError::Connector(e) => {
                let status = match e.code() {
                    "invalid-config" => 400,
                    "not-found" => 404,
                    "upstream" | "connector-crashed" | "bad-connector-result" => 502,
                    "limit-exceeded" => 504,
                    _ => 422,
                };
                (status, e.code())
            }
        }
    }
}

pub(crate) fn not_found(what: &str, id: &str) -> ServiceError {
    ServiceError::NotFound(format!("no {what} `{id}`"))
}
