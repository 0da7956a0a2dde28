//! Signing in: the API token a user types is checked, then kept in a session cookie sealed with
//! the server's master key (HttpOnly, SameSite=Strict, eight hours), so replicas sharing the key
//! share sessions and a revoked token ends every session made from it. Forms carry a CSRF token
//! derived from the cookie (HMAC), which another site can neither read nor forge.

use super::error::UiError;
use super::form::FormData;
use super::layout;
use crate::service::{Actor, Service};
use crate::store::now;
use crate::vault::Sealed;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use hmac::{Hmac, Mac};
use maud::html;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::sync::Arc;
use zeroize::Zeroizing;

/// The cookie's name.
const COOKIE: &str = "airlock_session";
/// How long a session lasts.
const LIFETIME_SECONDS: i64 = 8 * 3600;
/// The associated data sessions are sealed under (no stored row opens as a session).
const AAD: &str = "ui-session";

/// A signed-in user, and the CSRF token their forms must carry.
pub struct Session {
    pub actor: Actor,
    pub csrf: String,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    token: String,
    expires_at: i64,
}

impl FromRequestParts<Arc<Service>> for Session {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, service: &Arc<Service>) -> Result<Self, Self::Rejection> {
        let value = cookie_value(&parts.headers).ok_or(UiError::SignIn)?;
        let token = open(service, &value).ok_or(UiError::SignIn)?;
        let actor = service.authenticate(&token).await?;
        Ok(Session { actor, csrf: csrf_token(&value) })
    }
}

impl Session {
    /// Fail unless `sent` is this session's CSRF token.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), UiError> {
        use subtle::ConstantTimeEq;
        let matches = sent.is_some_and(|sent| bool::from(sent.as_bytes().ct_eq(self.csrf.as_bytes())));
        match matches {
            true => Ok(()),
            false => Err(UiError::Page {
                status: StatusCode::FORBIDDEN,
                message: "the form's CSRF token is missing or wrong; reload the page and try again".into(),
            }),
        }
    }
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE)
        .map(|c| c.value().to_string())
}

/// The token in a session cookie, if it opens and has not expired.
fn open(service: &Service, value: &str) -> Option<String> {
    let (key_id, sealed) = value.split_once('.')?;
    let sealed = Sealed { key_id: key_id.into(), sealed: sealed.into() };
    let plain: Zeroizing<Vec<u8>> = service.keyring().open(AAD, &sealed).ok()?;
    let payload: Payload = serde_json::from_slice(&plain).ok()?;
    (payload.expires_at > now()).then_some(payload.token)
}

fn seal(service: &Service, token: &str) -> String {
    let payload = Payload { token: token.into(), expires_at: now() + LIFETIME_SECONDS };
    let plain = Zeroizing::new(serde_json::to_vec(&payload).expect("a session serialises"));
    let sealed = service.keyring().seal(AAD, &plain);
    format!("{}.{}", sealed.key_id, sealed.sealed)
}

/// HMAC-SHA256 of a fixed label under the cookie value, hex.
fn csrf_token(cookie_value: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(cookie_value.as_bytes()).expect("HMAC takes any key length");
    mac.update(b"airlock dashboard csrf");
    hex::encode(mac.finalize().into_bytes())
}

/// Secure when the request came over HTTPS (a TLS-terminating proxy says so).
fn session_cookie(value: String, headers: &HeaderMap, max_age: Option<i64>) -> HeaderValue {
    let https = headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let mut cookie =
        Cookie::build((COOKIE, value)).path("/ui").http_only(true).same_site(SameSite::Strict).secure(https).build();
    if let Some(seconds) = max_age {
        cookie.set_max_age(cookie::time::Duration::seconds(seconds));
    }
    HeaderValue::from_str(&cookie.to_string()).expect("a cookie is a valid header value")
}

pub async fn login_page() -> Response {
    login_form(None).into_response()
}

fn login_form(error: Option<&str>) -> maud::Markup {
    layout::bare(
        "Sign in",
        html! {
            h1 { "Sign in to Airlock" }
            @if let Some(error) = error { p .error role="alert" { (error) } }
            form method="post" action="/ui/login" {
                label for="token" { "API token" }
                input #token type="password" name="token" autocomplete="off" required autofocus;
                p .hint { "An admin creates users and their tokens (" code { "airlock user create" } "); "
                    code { "airlock token create" } " makes another for yourself." }
                button type="submit" { "Sign in" }
            }
        },
    )
}

#[derive(Deserialize)]
pub struct Login {
    token: String,
}

pub async fn login(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    FormData(form): FormData<Login>,
) -> Response {
    let token = form.token.trim();
    match service.authenticate(token).await {
        Ok(_) => {
            let cookie = session_cookie(seal(&service, token), &headers, None);
            ([(header::SET_COOKIE, cookie)], Redirect::to("/ui/connectors")).into_response()
        }
        Err(_) => (StatusCode::UNAUTHORIZED, login_form(Some("That token is not valid."))).into_response(),
    }
}

pub async fn logout(headers: HeaderMap, posted: super::form::Posted<super::form::Empty>) -> Response {
    let _ = posted;
    let cookie = session_cookie(String::new(), &headers, Some(0));
    ([(header::SET_COOKIE, cookie)], Redirect::to("/ui/login")).into_response()
}
