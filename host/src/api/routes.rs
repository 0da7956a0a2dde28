//! Handlers: authenticate, call the service verb, return JSON. Each carries its OpenAPI
//! description (`#[utoipa::path]`), from which the router registers it.

// utoipa's generated parameter code spells out paths the lint would shorten.
#![allow(unused_qualifications)]

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::json::{Body, Params, PathText};
use crate::runtime::bindings::{ConnectorSpec, ResourceListing};
use crate::service::{
    ClientRequestBody, ConnectorFilter, ConnectorResources, ConnectorView, IssuedClient, NewToken, PluginView,
    RegisterRequest, Service, UpdateRequest, Warned,
};
use crate::store::Role;
use crate::store::{AuditRow, LeaseRow, TokenRow, UserRow};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

pub(super) type Svc = State<Arc<Service>>;

/// Response header carrying a warning of the connector calls behind an answer (repeated).
pub const WARNING_HEADER: &str = "airlock-warning";
pub(super) type Reply = Result<axum::response::Response, ApiError>;

pub(super) fn ok<T: serde::Serialize>(value: T) -> Reply {
    Ok(Json(value).into_response())
}

pub(super) fn created<T: serde::Serialize>(value: T) -> Reply {
    Ok((StatusCode::CREATED, Json(value)).into_response())
}

/// A JSON answer carrying the connector calls' warnings as `Airlock-Warning` headers.
fn warned<T: serde::Serialize>(status: StatusCode, warned: Warned<T>) -> Reply {
    let mut response = (status, Json(warned.value)).into_response();
    for warning in warned.warnings {
        // Header values are visible ASCII; anything else is replaced.
        let text: String = warning.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect();
        if let Ok(value) = HeaderValue::from_str(&text) {
            response.headers_mut().append(WARNING_HEADER, value);
        }
    }
    Ok(response)
}

pub(super) fn no_content() -> Reply {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A component's bytes.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct WasmUpload(#[allow(dead_code)] Vec<u8>);

/// A registered connector and what its verification listed.
#[derive(serde::Serialize, ToSchema)]
pub struct Registered {
    connector: ConnectorView,
    resources: Vec<ResourceListing>,
}

/// Connector types this server offers (approved plugins), with their full specs.
#[utoipa::path(get, path = "/api/v1/connector-types", tag = "connector types",
    responses((status = 200, body = Vec<ConnectorSpec>), (status = "default", body = ErrorBody)))]
pub async fn list_types(State(s): Svc, _caller: Caller) -> Reply {
    ok(s.connector_types().await?)
}

/// One connector type's spec: resource types, auth methods and their attributes.
#[utoipa::path(get, path = "/api/v1/connector-types/{connector_type}", tag = "connector types",
    params(("connector_type" = String, Path, pattern = "^[A-Za-z0-9-]{1,64}$")),
    responses((status = 200, body = ConnectorSpec), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn describe_type(State(s): Svc, _caller: Caller, PathText(connector_type): PathText) -> Reply {
    ok(s.connector_type(&connector_type).await?)
}

/// Installed plugins and their manifests (admins).
#[utoipa::path(get, path = "/api/v1/plugins", tag = "plugins",
    responses((status = 200, body = Vec<PluginView>), (status = "default", body = ErrorBody)))]
pub async fn list_plugins(State(s): Svc, Caller(a): Caller) -> Reply {
    ok(s.list_plugins(&a).await?)
}

/// One plugin's manifest (admins).
#[utoipa::path(get, path = "/api/v1/plugins/{connector_type}", tag = "plugins",
    params(("connector_type" = String, Path, pattern = "^[A-Za-z0-9-]{1,64}$")),
    responses((status = 200, body = PluginView), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn describe_plugin(State(s): Svc, Caller(a): Caller, PathText(connector_type): PathText) -> Reply {
    ok(s.describe_plugin(&a, &connector_type).await?)
}

/// Where an uploaded component came from.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PluginSource {
    /// The OCI reference the CLI pulled the component from (`registry/repo:tag`).
    #[param(max_length = 512, pattern = "^[!-~]{1,512}$")]
    pub source: Option<String>,
}

/// Upload a connector component (admins); a new type waits for approval.
#[utoipa::path(post, path = "/api/v1/plugins", tag = "plugins", params(PluginSource),
    request_body(content((WasmUpload = "application/wasm"), (WasmUpload = "application/octet-stream"))),
    responses((status = 201, body = PluginView), (status = "default", body = ErrorBody)))]
pub async fn install_plugin(State(s): Svc, Caller(a): Caller, Params(q): Params<PluginSource>, body: Bytes) -> Reply {
    created(s.install_plugin(&a, &body, None, q.source.as_deref()).await?)
}

/// Replace the component of a type (admins); it needs approval again. A component of another
/// type is refused and changes nothing.
#[utoipa::path(put, path = "/api/v1/plugins/{connector_type}", tag = "plugins",
    params(("connector_type" = String, Path, pattern = "^[A-Za-z0-9-]{1,64}$"), PluginSource),
    request_body(content((WasmUpload = "application/wasm"), (WasmUpload = "application/octet-stream"))),
    responses((status = 200, body = PluginView), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn replace_plugin(
    State(s): Svc,
    Caller(a): Caller,
    PathText(connector_type): PathText,
    Params(q): Params<PluginSource>,
    body: Bytes,
) -> Reply {
    ok(s.install_plugin(&a, &body, Some(&connector_type), q.source.as_deref()).await?)
}

/// Approve a plugin's manifest (admins).
#[utoipa::path(post, path = "/api/v1/plugins/{connector_type}/approve", tag = "plugins",
    params(("connector_type" = String, Path, pattern = "^[A-Za-z0-9-]{1,64}$")),
    responses((status = 200, body = PluginView), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn approve_plugin(State(s): Svc, Caller(a): Caller, PathText(connector_type): PathText) -> Reply {
    ok(s.approve_plugin(&a, &connector_type, None).await?)
}

/// Remove a plugin no connector uses (admins).
#[utoipa::path(delete, path = "/api/v1/plugins/{connector_type}", tag = "plugins",
    params(("connector_type" = String, Path, pattern = "^[A-Za-z0-9-]{1,64}$")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn remove_plugin(State(s): Svc, Caller(a): Caller, PathText(connector_type): PathText) -> Reply {
    s.remove_plugin(&a, &connector_type).await?;
    no_content()
}

/// Connectors the caller may see, filtered.
#[utoipa::path(get, path = "/api/v1/connectors", tag = "connectors", params(ConnectorFilter),
    responses((status = 200, body = Vec<ConnectorView>), (status = "default", body = ErrorBody)))]
pub async fn list_connectors(State(s): Svc, Caller(a): Caller, Params(filter): Params<ConnectorFilter>) -> Reply {
    ok(s.list_connectors(&a, &filter).await?)
}

/// Register a connector (verified first unless `verify` is false).
#[utoipa::path(post, path = "/api/v1/connectors", tag = "connectors", request_body = RegisterRequest,
    responses((status = 201, body = Registered, headers(("Airlock-Warning" = String, description = "Egress denials the connector got past; repeated"))),
        (status = 429, body = ErrorBody, headers(("Retry-After" = u64))), (status = "default", body = ErrorBody)))]
pub async fn register(State(s): Svc, Caller(a): Caller, Body(request): Body<RegisterRequest>) -> Reply {
    let Warned { value: (connector, resources), warnings } = s.register(&a, request).await?;
    warned(StatusCode::CREATED, Warned { value: Registered { connector, resources }, warnings })
}

/// Verify a configuration without storing it.
#[utoipa::path(post, path = "/api/v1/connectors/verify", tag = "connectors", request_body = RegisterRequest,
    responses((status = 200, body = Vec<ResourceListing>, headers(("Airlock-Warning" = String, description = "Egress denials the connector got past; repeated"))),
        (status = 429, body = ErrorBody, headers(("Retry-After" = u64))), (status = "default", body = ErrorBody)))]
pub async fn verify_config(State(s): Svc, Caller(a): Caller, Body(request): Body<RegisterRequest>) -> Reply {
    warned(StatusCode::OK, s.verify_config(&a, request).await?)
}

/// One connector, secrets shown as `[HIDDEN]`; its version is the `ETag`.
#[utoipa::path(get, path = "/api/v1/connectors/{connector}", tag = "connectors",
    params(("connector" = String, Path, description = "Id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$")),
    responses((status = 200, body = ConnectorView, headers(("ETag" = String))), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn describe_connector(State(s): Svc, Caller(a): Caller, PathText(connector): PathText) -> Reply {
    let view = s.describe_connector(&a, &connector).await?;
    let etag = etag(view.version);
    let mut response = ok(view)?;
    response.headers_mut().insert(header::ETAG, etag);
    Ok(response)
}

/// The stored secret values of a connector (its owner or an admin; audited). `describe -x`.
#[utoipa::path(get, path = "/api/v1/connectors/{connector}/secrets", tag = "connectors",
    params(("connector" = String, Path, description = "Id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$")),
    responses((status = 200, body = std::collections::BTreeMap<String, String>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = "default", body = ErrorBody)))]
pub async fn reveal_secrets(State(s): Svc, Caller(a): Caller, PathText(connector): PathText) -> Reply {
    ok(s.reveal_secrets(&a, &connector).await?)
}

/// `PATCH` a connector; `If-Match: "<version>"` (from the `ETag` of a read) makes the update
/// conditional: a connector changed meanwhile answers 412 and keeps the other change.
/// Update a connector: only the named fields change; re-verified unless `verify` is false.
#[utoipa::path(patch, path = "/api/v1/connectors/{connector}", tag = "connectors",
    params(("connector" = String, Path, description = "Id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$"),
        ("If-Match" = Option<String>, Header, description = "An ETag of a read: update only that version", pattern = "^((W/)?\"[0-9]+\"|\\*)$")),
    request_body = UpdateRequest,
    responses((status = 200, body = ConnectorView, headers(("ETag" = String), ("Airlock-Warning" = String, description = "Egress denials the connector got past; repeated"))),
        (status = 412, body = ErrorBody), (status = 429, body = ErrorBody, headers(("Retry-After" = u64))),
        (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn update_connector(
    State(s): Svc,
    Caller(a): Caller,
    PathText(connector): PathText,
    headers: HeaderMap,
    Body(update): Body<UpdateRequest>,
) -> Reply {
    let if_match = if_match(&headers)?;
    let updated = s.update_connector(&a, &connector, update, if_match).await?;
    let etag = etag(updated.value.version);
    let mut response = warned(StatusCode::OK, updated)?;
    response.headers_mut().insert(header::ETAG, etag);
    Ok(response)
}

/// A connector version as an entity tag.
fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits and quotes are a valid header value")
}

/// The version an `If-Match` header names (`"3"`, `W/"3"`); none for `*` or no header.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(None);
    }
    let tag = text.strip_prefix("W/").unwrap_or(text);
    let version = tag
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
    version.and_then(|v| v.parse().ok()).map(Some).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-request",
            "If-Match must be an ETag from this API (\"<version>\")",
        )
    })
}

/// Delete a connector and its secrets and leases.
#[utoipa::path(delete, path = "/api/v1/connectors/{connector}", tag = "connectors",
    params(("connector" = String, Path, description = "Id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn delete_connector(State(s): Svc, Caller(a): Caller, PathText(connector): PathText) -> Reply {
    s.delete_connector(&a, &connector).await?;
    no_content()
}

/// Narrow a verify or resource listing.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ResourceQuery {
    pub connector_type: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
}

/// Verify a stored connector, optionally for one resource type or id.
#[utoipa::path(post, path = "/api/v1/connectors/{connector}/verify", tag = "connectors",
    params(("connector" = String, Path, description = "Id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$"), ResourceQuery),
    responses((status = 200, body = Vec<ResourceListing>, headers(("Airlock-Warning" = String, description = "Egress denials the connector got past; repeated"))),
        (status = 429, body = ErrorBody, headers(("Retry-After" = u64))), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn verify_connector(
    State(s): Svc,
    Caller(a): Caller,
    PathText(connector): PathText,
    Params(q): Params<ResourceQuery>,
) -> Reply {
    warned(
        StatusCode::OK,
        s.verify_connector(&a, &connector, q.resource_type.as_deref(), q.resource_id.as_deref()).await?,
    )
}

/// The resources a stored connector reaches.
#[utoipa::path(get, path = "/api/v1/connectors/{connector}/resources", tag = "connectors",
    params(("connector" = String, Path, description = "Id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$"), ResourceQuery),
    responses((status = 200, body = Vec<ResourceListing>, headers(("Airlock-Warning" = String, description = "Egress denials the connector got past; repeated"))),
        (status = 429, body = ErrorBody, headers(("Retry-After" = u64))), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn connector_resources(
    State(s): Svc,
    Caller(a): Caller,
    PathText(connector): PathText,
    Params(q): Params<ResourceQuery>,
) -> Reply {
    warned(
        StatusCode::OK,
        s.connector_resources(&a, &connector, q.resource_type.as_deref(), q.resource_id.as_deref()).await?,
    )
}

/// Resources across every connector the caller may use.
#[utoipa::path(get, path = "/api/v1/resources", tag = "connectors", params(ResourceQuery),
    responses((status = 200, body = Vec<ConnectorResources>), (status = "default", body = ErrorBody)))]
pub async fn all_resources(State(s): Svc, Caller(a): Caller, Params(q): Params<ResourceQuery>) -> Reply {
    ok(s.list_all_resources(&a, q.connector_type.as_deref(), q.resource_type.as_deref(), q.resource_id.as_deref())
        .await?)
}

/// A client credential for one resource (reused from a lease while valid).
#[utoipa::path(post, path = "/api/v1/connectors/{connector}/client", tag = "connectors",
    params(("connector" = String, Path, description = "Id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$")),
    request_body = ClientRequestBody,
    responses((status = 200, body = IssuedClient, headers(("Airlock-Warning" = String, description = "Egress denials the connector got past; repeated"))),
        (status = 429, body = ErrorBody, headers(("Retry-After" = u64))), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn issue_client(
    State(s): Svc,
    Caller(a): Caller,
    PathText(connector): PathText,
    Body(body): Body<ClientRequestBody>,
) -> Reply {
    warned(StatusCode::OK, s.issue_client(&a, &connector, body).await?)
}

/// Leases: all for admins, the caller's own otherwise.
#[utoipa::path(get, path = "/api/v1/leases", tag = "leases",
    responses((status = 200, body = Vec<LeaseRow>), (status = "default", body = ErrorBody)))]
pub async fn list_leases(State(s): Svc, Caller(a): Caller) -> Reply {
    ok(s.list_leases(&a).await?)
}

/// Readiness: 200 when the store answers, 503 otherwise (`/healthz` only says the process is up).
pub async fn ready(State(s): Svc) -> axum::response::Response {
    use axum::response::IntoResponse;
    match s.ready().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: the store does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "the store does not answer").into_response()
        }
    }
}

/// Prometheus metrics in the text exposition format (admins).
pub async fn metrics(State(s): Svc, Caller(a): Caller) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let text = s.metrics(&a).await?;
    Ok(([(http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response())
}

/// One lease: whether it was revoked and until when its credential is handed out.
#[utoipa::path(get, path = "/api/v1/leases/{lease_id}", tag = "leases",
    params(("lease_id" = String, Path, description = "Lease id", pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")),
    responses((status = 200, body = LeaseRow), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn get_lease(State(s): Svc, Caller(a): Caller, PathText(lease): PathText) -> Reply {
    ok(s.lease(&a, &lease).await?)
}

/// Revoke a lease so its credential is not handed out again.
#[utoipa::path(delete, path = "/api/v1/leases/{lease_id}", tag = "leases",
    params(("lease_id" = String, Path, description = "Lease id", pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn revoke_lease(State(s): Svc, Caller(a): Caller, PathText(lease): PathText) -> Reply {
    s.revoke_lease(&a, &lease).await?;
    no_content()
}

/// A user to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(
        pattern = "^(?!\\.{1,2}$)(?![0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$)[A-Za-z0-9_.@-]{1,64}$"
    )]
    pub name: String,
    pub role: Role,
}

/// Users (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = Vec<UserRow>), (status = "default", body = ErrorBody)))]
pub async fn list_users(State(s): Svc, Caller(a): Caller) -> Reply {
    ok(s.list_users(&a).await?)
}

/// Create a user (admins); the answer holds its first API token, shown once.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = NewToken), (status = "default", body = ErrorBody)))]
pub async fn create_user(State(s): Svc, Caller(a): Caller, Body(user): Body<NewUser>) -> Reply {
    created(s.create_user(&a, &user.name, user.role).await?)
}

/// Delete a user who owns no connectors (admins).
#[utoipa::path(delete, path = "/api/v1/users/{user}", tag = "users",
    params(("user" = String, Path, description = "User id (a UUID) or name", pattern = "^[A-Za-z0-9_.@-]{1,128}$")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn delete_user(State(s): Svc, Caller(a): Caller, PathText(user): PathText) -> Reply {
    s.delete_user(&a, &user).await?;
    no_content()
}

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[schema(
        pattern = "^(?!\\.{1,2}$)(?![0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$)[A-Za-z0-9_.@-]{1,64}$"
    )]
    pub name: String,
}

/// The caller's API tokens (never their values).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "users",
    responses((status = 200, body = Vec<TokenRow>), (status = "default", body = ErrorBody)))]
pub async fn list_tokens(State(s): Svc, Caller(a): Caller) -> Reply {
    ok(s.list_tokens(&a).await?)
}

/// A new API token for the caller, shown once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "users", request_body = TokenRequest,
    responses((status = 201, body = NewToken), (status = "default", body = ErrorBody)))]
pub async fn create_token(State(s): Svc, Caller(a): Caller, Body(token): Body<TokenRequest>) -> Reply {
    created(s.create_token(&a, &token.name).await?)
}

/// Revoke one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{token_id}", tag = "users",
    params(("token_id" = String, Path, description = "Token id", pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = "default", body = ErrorBody)))]
pub async fn revoke_token(State(s): Svc, Caller(a): Caller, PathText(token): PathText) -> Reply {
    s.revoke_token(&a, &token).await?;
    no_content()
}

/// How much of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Rows to return (1 to 10000, default 100).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<i64>,
}

/// The audit log, newest first (admins).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Vec<AuditRow>), (status = "default", body = ErrorBody)))]
pub async fn audit(State(s): Svc, Caller(a): Caller, Params(q): Params<AuditQuery>) -> Reply {
    let limit = q.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid-request", "limit must be 1 to 10000"));
    }
    ok(s.audit_log(&a, limit).await?)
}
