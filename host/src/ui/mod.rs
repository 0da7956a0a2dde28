//! The dashboard under `/ui`: server-rendered pages over the same service verbs as the API,
//! signed in with an API token kept sealed in an HttpOnly, SameSite=Strict session cookie.
//! Pages read without JavaScript; every form posts a CSRF token tied to the session; nothing
//! is cached (`Cache-Control: no-store`) and no secret goes into a URL or browser storage.

mod account;
mod admin;
mod connectors;
mod error;
mod form;
mod layout;
mod session;
mod sharing;
mod types;

use crate::service::Service;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use std::sync::Arc;

/// The dashboard's routes, nested under `/ui` (and `/` redirecting there).
pub fn router(service: Arc<Service>) -> Router {
    let pages = Router::new()
        .route("/", get(home))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/assets/style.css", get(style))
        .route("/assets/app.js", get(script))
        .route("/types", get(types::list))
        .route("/types/{connector_type}", get(types::describe))
        .route("/connectors", get(connectors::list))
        .route("/connectors/new", get(connectors::new_form).post(connectors::register))
        .route("/connectors/{connector}", get(connectors::detail))
        .route("/connectors/{connector}/edit", get(connectors::edit_form).post(connectors::update))
        .route("/connectors/{connector}/delete", post(connectors::delete))
        .route("/connectors/{connector}/verify", post(connectors::verify))
        .route("/connectors/{connector}/resources", get(connectors::resources))
        .route("/connectors/{connector}/issue", post(connectors::issue))
        .route("/connectors/{connector}/share", post(sharing::share))
        .route("/connectors/{connector}/unshare", post(sharing::unshare))
        .route("/connectors/{connector}/transfer", post(sharing::transfer))
        .route("/leases", get(account::leases))
        .route("/leases/{lease}/revoke", post(account::revoke_lease))
        .route("/tokens", get(account::tokens).post(account::create_token))
        .route("/tokens/{token}/revoke", post(account::revoke_token))
        .route("/plugins", get(admin::plugins))
        .route("/plugins/{connector_type}", get(admin::plugin))
        .route("/plugins/{connector_type}/approve", post(admin::approve_plugin))
        .route("/plugins/{connector_type}/remove", post(admin::remove_plugin))
        .route("/audit", get(admin::audit))
        .route("/users", get(admin::users).post(admin::create_user))
        .route("/users/{user}/delete", post(admin::delete_user))
        .route("/teams", get(admin::teams).post(admin::create_team))
        .route("/teams/{team}", get(admin::team))
        .route("/teams/{team}/members", post(admin::add_member))
        .route("/teams/{team}/members/{user}/remove", post(admin::remove_member))
        .route("/teams/{team}/delete", post(admin::delete_team))
        .fallback(|| async { error::UiError::not_found("no such page") });
    Router::new()
        .route("/", get(home))
        .route("/ui/", get(home))
        .nest("/ui", pages)
        .layer(axum::middleware::from_fn(check_target))
        .layer(axum::middleware::from_fn(page_headers))
        .layer(axum::extract::DefaultBodyLimit::max(form::MAX_FORM))
        .with_state(service)
}

async fn home() -> Redirect {
    Redirect::to("/ui/connectors")
}

/// A path or query with control characters (a NUL no store can hold) or longer than any page
/// needs is refused before a handler looks anything up.
async fn check_target(request: Request, next: Next) -> Response {
    let target = request.uri().path_and_query().map_or("", |p| p.as_str());
    let decoded = percent_encoding::percent_decode_str(target).decode_utf8_lossy();
    if target.len() > 4096 || decoded.chars().any(char::is_control) {
        return error::UiError::bad_request("the address has control characters or is too long").into_response();
    }
    next.run(request).await
}

/// Every page: never cached, never framed, scripts and styles only from this server, no
/// referrer sent on links out.
async fn page_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("assets/style.css"))
}

async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("assets/app.js"))
}
