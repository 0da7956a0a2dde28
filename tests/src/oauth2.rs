//! A faithful fake OAuth2 authorization server and API: the token endpoint checks the grant, the
//! client id and secret and the refresh token (RFC 6749 errors); the API at `/v1/me` accepts only
//! live tokens the server issued.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const CLIENT_ID: &str = "airlock-client";
pub const CLIENT_SECRET: &str = "oauth2-client-secret-0123456789";
pub const REFRESH_TOKEN: &str = "oauth2-refresh-token-0123456789";

/// A running fake; it stops with the test's runtime.
pub struct FakeOAuth2 {
    pub url: String,
    /// Tokens issued, with the grant that issued them.
    pub issued: Arc<Mutex<HashMap<String, String>>>,
}

impl FakeOAuth2 {
    pub async fn start() -> FakeOAuth2 {
        let issued = Arc::new(Mutex::new(HashMap::new()));
        let (minted, checked) = (issued.clone(), issued.clone());
        let app =
            axum::Router::new().route("/oauth/token", post(move |body: String| token(minted.clone(), body))).route(
                "/v1/me",
                get(move |headers: HeaderMap| {
                    let checked = checked.clone();
                    async move {
                        let bearer = headers
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.strip_prefix("Bearer "));
                        match bearer.and_then(|t| checked.lock().unwrap().get(t).cloned()) {
                            Some(grant) => axum::Json(json!({"client_id": CLIENT_ID, "grant": grant})).into_response(),
                            None => (StatusCode::UNAUTHORIZED, "invalid_token").into_response(),
                        }
                    }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeOAuth2 { url, issued }
    }
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    (status, axum::Json(json!({"error": code, "error_description": description}))).into_response()
}

async fn token(issued: Arc<Mutex<HashMap<String, String>>>, body: String) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    if field("client_id") != CLIENT_ID {
        return error(StatusCode::UNAUTHORIZED, "invalid_client", "Unknown client.");
    }
    let grant = field("grant_type");
    match grant {
        "client_credentials" if field("client_secret") != CLIENT_SECRET => {
            return error(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed.");
        }
        "client_credentials" => {}
        "refresh_token" if field("refresh_token") != REFRESH_TOKEN => {
            return error(StatusCode::BAD_REQUEST, "invalid_grant", "The refresh token is invalid or expired.");
        }
        "refresh_token" => {}
        _ => return error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "Unsupported grant type."),
    }
    let token = format!("at-{grant}-{}", issued.lock().unwrap().len());
    issued.lock().unwrap().insert(token.clone(), grant.to_string());
    axum::Json(json!({"access_token": token, "token_type": "Bearer", "expires_in": 600, "scope": field("scope")}))
        .into_response()
}
