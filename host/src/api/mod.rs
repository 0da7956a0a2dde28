//! The REST API under `/api/v1`: thin handlers over the service verbs. Errors are JSON
//! `{"error": {"code", "message"}}` with a stable code.

mod auth;
mod error;
mod json;
pub mod listener;
mod middleware;
mod routes;
mod sharing;

pub use error::ApiError;
pub use routes::WARNING_HEADER;

use crate::service::Service;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use std::sync::Arc;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Largest JSON body accepted.
pub const MAX_JSON_BODY: usize = 64 << 10;
/// Largest plugin upload accepted.
pub const MAX_PLUGIN_BODY: usize = 16 << 20;

/// The API router. Routes are registered from their `#[utoipa::path]` annotations, so the
/// OpenAPI document served at `/api/v1/openapi.json` is generated from the same code and cannot
/// drift from it.
pub fn router(service: Arc<Service>) -> Router {
    let (router, doc) = api_routes().split_for_parts();
    let doc = Arc::new(doc);
    router
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(routes::ready))
        .route("/metrics", get(routes::metrics))
        .route("/api/v1/openapi.json", get(move || async move { axum::Json(doc.as_ref().clone()) }))
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .layer(axum::middleware::from_fn(middleware::json_errors))
        .with_state(service)
}

/// The OpenAPI document, as served.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes().split_for_parts().1
}

fn api_routes() -> OpenApiRouter<Arc<Service>> {
    let plugins = OpenApiRouter::new()
        .routes(routes!(routes::list_plugins, routes::install_plugin))
        .routes(routes!(routes::describe_plugin, routes::replace_plugin, routes::remove_plugin))
        .routes(routes!(routes::approve_plugin))
        .layer(DefaultBodyLimit::max(MAX_PLUGIN_BODY));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(routes::list_types))
        .routes(routes!(routes::describe_type))
        .routes(routes!(routes::list_connectors, routes::register))
        .routes(routes!(routes::verify_config))
        .routes(routes!(routes::describe_connector, routes::update_connector, routes::delete_connector))
        .routes(routes!(routes::reveal_secrets))
        .routes(routes!(routes::verify_connector))
        .routes(routes!(routes::connector_resources))
        .routes(routes!(routes::issue_client))
        .routes(routes!(sharing::list_grants, sharing::grant))
        .routes(routes!(sharing::revoke_grant))
        .routes(routes!(sharing::transfer))
        .routes(routes!(sharing::list_teams, sharing::create_team))
        .routes(routes!(sharing::describe_team, sharing::delete_team))
        .routes(routes!(sharing::add_member, sharing::remove_member))
        .routes(routes!(routes::all_resources))
        .routes(routes!(routes::list_leases))
        .routes(routes!(routes::get_lease, routes::revoke_lease))
        .routes(routes!(routes::list_users, routes::create_user))
        .routes(routes!(routes::delete_user))
        .routes(routes!(routes::list_tokens, routes::create_token))
        .routes(routes!(routes::revoke_token))
        .routes(routes!(routes::audit))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .merge(plugins)
}

/// The document's frame: title, description, the bearer scheme every operation requires.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Airlock",
        description = "Brokers access to cloud and infrastructure resources through sandboxed WebAssembly service connectors. Authenticate with `Authorization: Bearer <token>`. JSON bodies are limited to 64 KiB, plugin uploads to 16 MiB. Every error is `{\"error\": {\"code\", \"message\"}}`."
    ),
    security(("bearer" = [])),
    modifiers(&BearerScheme)
)]
struct ApiDoc;

/// Declares the `bearer` security scheme.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

#[cfg(test)]
mod tests {
    /// The generated document is complete: every operation has a summary, declares its error
    /// body, and every schema it references exists.
    #[test]
    fn the_generated_document_is_complete() {
        let doc = serde_json::to_value(super::openapi()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.len() >= 18, "{} paths", paths.len());
        for (path, item) in paths {
            for (method, operation) in item.as_object().unwrap() {
                assert!(operation["summary"].is_string(), "{method} {path} has no summary");
                assert!(operation["responses"]["default"].is_object(), "{method} {path} declares no error body");
            }
        }
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for reference in text.split("\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(schemas.contains_key(name), "missing schema {name}");
        }
        assert!(!text.contains("prefixItems"), "tools that load OpenAPI cannot all read prefixItems");
    }
}
