//! The REST API under `/api/v1`: thin handlers over the service verbs. Errors are JSON
//! `{"error": {"code", "message"}}` with a stable code.

mod auth;
mod error;
mod json;
pub mod listener;
mod middleware;
mod routes;

pub use error::ApiError;
pub use routes::WARNING_HEADER;

use crate::service::Service;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::sync::Arc;

/// Largest JSON body accepted.
pub const MAX_JSON_BODY: usize = 64 << 10;
/// Largest plugin upload accepted.
pub const MAX_PLUGIN_BODY: usize = 16 << 20;

/// The API router.
pub fn router(service: Arc<Service>) -> Router {
    let plugins = Router::new()
        .route("/api/v1/plugins", get(routes::list_plugins).post(routes::install_plugin))
        .route(
            "/api/v1/plugins/{connector_type}",
            get(routes::describe_plugin).put(routes::replace_plugin).delete(routes::remove_plugin),
        )
        .route("/api/v1/plugins/{connector_type}/approve", post(routes::approve_plugin))
        .layer(DefaultBodyLimit::max(MAX_PLUGIN_BODY));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/v1/openapi.json", get(routes::openapi))
        .route("/api/v1/connector-types", get(routes::list_types))
        .route("/api/v1/connector-types/{connector_type}", get(routes::describe_type))
        .route("/api/v1/connectors", get(routes::list_connectors).post(routes::register))
        .route("/api/v1/connectors/verify", post(routes::verify_config))
        .route(
            "/api/v1/connectors/{connector}",
            get(routes::describe_connector).patch(routes::update_connector).delete(routes::delete_connector),
        )
        .route("/api/v1/connectors/{connector}/verify", post(routes::verify_connector))
        .route("/api/v1/connectors/{connector}/resources", get(routes::connector_resources))
        .route("/api/v1/connectors/{connector}/client", post(routes::issue_client))
        .route("/api/v1/resources", get(routes::all_resources))
        .route("/api/v1/leases", get(routes::list_leases))
        .route("/api/v1/leases/{lease}", axum::routing::delete(routes::revoke_lease))
        .route("/api/v1/users", get(routes::list_users).post(routes::create_user))
        .route("/api/v1/users/{user}", axum::routing::delete(routes::delete_user))
        .route("/api/v1/tokens", get(routes::list_tokens).post(routes::create_token))
        .route("/api/v1/tokens/{token}", axum::routing::delete(routes::revoke_token))
        .route("/api/v1/audit", get(routes::audit))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .merge(plugins)
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .layer(axum::middleware::from_fn(middleware::json_errors))
        .with_state(service)
}

#[cfg(test)]
mod tests {
    /// The OpenAPI document lists exactly the routes this module serves.
    #[test]
    fn every_route_is_documented() {
        let doc: serde_json::Value = serde_json::from_str(include_str!("openapi.json")).unwrap();
        let documented: std::collections::BTreeSet<&str> =
            doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
        let source = include_str!("mod.rs");
        let routed: std::collections::BTreeSet<&str> = source
            .split(".route(")
            .skip(1)
            .filter_map(|rest| rest.trim_start().strip_prefix('"')?.split('"').next())
            .filter(|r| r.starts_with('/'))
            .collect();
        assert_eq!(routed, documented);
    }
}
