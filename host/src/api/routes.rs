//! Handlers: authenticate, call the service verb, return JSON.

use super::ApiError;
use super::auth::Caller;
use super::json::{Body, Params, PathText};
use crate::service::{ClientRequestBody, ConnectorFilter, RegisterRequest, Service, UpdateRequest, Warned};
use crate::store::Role;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use std::sync::Arc;

type Svc = State<Arc<Service>>;

/// Response header carrying a warning of the connector calls behind an answer (repeated).
pub const WARNING_HEADER: &str = "airlock-warning";
type Reply = Result<axum::response::Response, ApiError>;

fn ok<T: serde::Serialize>(value: T) -> Reply {
    Ok(Json(value).into_response())
}

fn created<T: serde::Serialize>(value: T) -> Reply {
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

fn no_content() -> Reply {
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], include_str!("openapi.json"))
}

pub async fn list_types(State(s): Svc, Caller(_): Caller) -> Reply {
    ok(s.connector_types().await?)
}

pub async fn describe_type(State(s): Svc, Caller(_): Caller, PathText(connector_type): PathText) -> Reply {
    ok(s.connector_type(&connector_type).await?)
}

pub async fn list_plugins(State(s): Svc, Caller(a): Caller) -> Reply {
    ok(s.list_plugins(&a).await?)
}

pub async fn describe_plugin(State(s): Svc, Caller(a): Caller, PathText(connector_type): PathText) -> Reply {
    ok(s.describe_plugin(&a, &connector_type).await?)
}

pub async fn install_plugin(State(s): Svc, Caller(a): Caller, body: Bytes) -> Reply {
    created(s.install_plugin(&a, &body, None).await?)
}

pub async fn replace_plugin(
    State(s): Svc,
    Caller(a): Caller,
    PathText(connector_type): PathText,
    body: Bytes,
) -> Reply {
    ok(s.install_plugin(&a, &body, Some(&connector_type)).await?)
}

pub async fn approve_plugin(State(s): Svc, Caller(a): Caller, PathText(connector_type): PathText) -> Reply {
    ok(s.approve_plugin(&a, &connector_type).await?)
}

pub async fn remove_plugin(State(s): Svc, Caller(a): Caller, PathText(connector_type): PathText) -> Reply {
    s.remove_plugin(&a, &connector_type).await?;
    no_content()
}

pub async fn list_connectors(State(s): Svc, Caller(a): Caller, Params(filter): Params<ConnectorFilter>) -> Reply {
    ok(s.list_connectors(&a, &filter).await?)
}

pub async fn register(State(s): Svc, Caller(a): Caller, Body(request): Body<RegisterRequest>) -> Reply {
    let Warned { value: (connector, resources), warnings } = s.register(&a, request).await?;
    let body = serde_json::json!({ "connector": connector, "resources": resources });
    warned(StatusCode::CREATED, Warned { value: body, warnings })
}

pub async fn verify_config(State(s): Svc, Caller(a): Caller, Body(request): Body<RegisterRequest>) -> Reply {
    warned(StatusCode::OK, s.verify_config(&a, request).await?)
}

pub async fn describe_connector(State(s): Svc, Caller(a): Caller, PathText(connector): PathText) -> Reply {
    let view = s.describe_connector(&a, &connector).await?;
    let etag = etag(view.version);
    let mut response = ok(view)?;
    response.headers_mut().insert(header::ETAG, etag);
    Ok(response)
}

/// `PATCH` a connector; `If-Match: "<version>"` (from the `ETag` of a read) makes the update
/// conditional: a connector changed meanwhile answers 412 and keeps the other change.
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
    let tag = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    tag.parse().map(Some).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-request",
            "If-Match must be an ETag from this API (\"<version>\")",
        )
    })
}

pub async fn delete_connector(State(s): Svc, Caller(a): Caller, PathText(connector): PathText) -> Reply {
    s.delete_connector(&a, &connector).await?;
    no_content()
}

/// Narrow a verify or resource listing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceQuery {
    pub connector_type: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
}

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

pub async fn connector_resources(
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

pub async fn all_resources(State(s): Svc, Caller(a): Caller, Params(q): Params<ResourceQuery>) -> Reply {
    ok(s.list_all_resources(&a, q.connector_type.as_deref(), q.resource_type.as_deref(), q.resource_id.as_deref())
        .await?)
}

pub async fn issue_client(
    State(s): Svc,
    Caller(a): Caller,
    PathText(connector): PathText,
    Body(body): Body<ClientRequestBody>,
) -> Reply {
    warned(StatusCode::OK, s.issue_client(&a, &connector, body).await?)
}

pub async fn list_leases(State(s): Svc, Caller(a): Caller) -> Reply {
    ok(s.list_leases(&a).await?)
}

pub async fn revoke_lease(State(s): Svc, Caller(a): Caller, PathText(lease): PathText) -> Reply {
    s.revoke_lease(&a, &lease).await?;
    no_content()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
}

pub async fn list_users(State(s): Svc, Caller(a): Caller) -> Reply {
    ok(s.list_users(&a).await?)
}

pub async fn create_user(State(s): Svc, Caller(a): Caller, Body(user): Body<NewUser>) -> Reply {
    created(s.create_user(&a, &user.name, user.role).await?)
}

pub async fn delete_user(State(s): Svc, Caller(a): Caller, PathText(user): PathText) -> Reply {
    s.delete_user(&a, &user).await?;
    no_content()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
}

pub async fn list_tokens(State(s): Svc, Caller(a): Caller) -> Reply {
    ok(s.list_tokens(&a).await?)
}

pub async fn create_token(State(s): Svc, Caller(a): Caller, Body(token): Body<NewToken>) -> Reply {
    created(s.create_token(&a, &token.name).await?)
}

pub async fn revoke_token(State(s): Svc, Caller(a): Caller, PathText(token): PathText) -> Reply {
    s.revoke_token(&a, &token).await?;
    no_content()
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    pub limit: Option<i64>,
}

pub async fn audit(State(s): Svc, Caller(a): Caller, Params(q): Params<AuditQuery>) -> Reply {
    ok(s.audit_log(&a, q.limit.unwrap_or(100)).await?)
}
