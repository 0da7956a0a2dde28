//! A loopback HTTP server with the endpoints the sandbox tests aim connectors at.

use axum::Router;
use axum::extract::State;
use axum::extract::{Query, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running fixture server; it stops with the test's runtime.
pub struct FixtureServer {
    pub addr: SocketAddr,
    /// The URI of every request received, in order.
    requested: Arc<Mutex<Vec<String>>>,
}

impl FixtureServer {
    /// Start on 127.0.0.1 with a random port.
    pub async fn start() -> FixtureServer {
        Self::start_with_jwt_key(String::new()).await
    }

    /// Start with the RSA public key (PEM) that `/jwt-claims` verifies assertions with.
    pub async fn start_with_jwt_key(jwt_public_key: String) -> FixtureServer {
        let app = Router::new()
            .route("/digest-auth", get(|h: HeaderMap| async move { digest_header(&h, "authorization") }))
            .route("/digest-api-key", get(|h: HeaderMap| async move { digest_header(&h, "x-api-key") }))
            .route("/digest-body", post(|body: axum::body::Bytes| async move { hex::encode(Sha256::digest(&body)) }))
            .route("/jwt-claims", post(jwt_claims).with_state(jwt_public_key))
            .route("/ok", get(|| async { "hello from the fixture" }))
            .route("/whoami", get(whoami))
            .route("/echo-headers", get(echo_headers))
            .route("/redirect", get(redirect))
            .route("/redirect-reflect", get(redirect_reflect))
            .route("/big", get(|| async { vec![b'x'; 2 << 20] }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "too late"
                }),
            );
        let requested = Arc::new(Mutex::new(Vec::new()));
        let log = requested.clone();
        let app = app.layer(axum::middleware::from_fn(move |request: Request, next: axum::middleware::Next| {
            log.lock().unwrap().push(request.uri().to_string());
            next.run(request)
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FixtureServer { addr, requested }
    }

    /// The URIs requested so far.
    pub fn requested(&self) -> Vec<String> {
        self.requested.lock().unwrap().clone()
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.addr.port())
    }

    /// The same server under another origin: `http://localhost:<port><path>`.
    pub fn other_origin_url(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.addr.port())
    }
}

/// The SHA-256 of a header's value: proves what arrived without echoing it.
fn digest_header(headers: &HeaderMap, name: &str) -> String {
    headers.get(name).map(|v| hex::encode(Sha256::digest(v.as_bytes()))).unwrap_or_else(|| "absent".into())
}

/// Verify a JWT assertion in a form body (as an OAuth token endpoint would) and return its
/// header and claims, never the token.
async fn jwt_claims(State(public_key): State<String>, body: String) -> String {
    let assertion = body.split('&').find_map(|kv| kv.strip_prefix("assertion=")).unwrap_or_default();
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(public_key.as_bytes()).expect("test public key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_aud = false;
    match jsonwebtoken::decode::<serde_json::Value>(assertion, &key, &validation) {
        Ok(data) => serde_json::json!({"valid": true, "kid": data.header.kid, "claims": data.claims}).to_string(),
        Err(e) => serde_json::json!({"valid": false, "error": e.to_string()}).to_string(),
    }
}

/// Says whether an `authorization` header arrived (never echoes it).
async fn whoami(headers: HeaderMap) -> String {
    match headers.get("authorization") {
        Some(_) => "authorization: present".into(),
        None => "authorization: absent".into(),
    }
}

/// Echoes every request header back: a reflection attack on injected credentials.
async fn echo_headers(request: Request) -> String {
    request.headers().iter().map(|(k, v)| format!("{k}: {}\n", v.to_str().unwrap_or("?"))).collect()
}

async fn redirect(Query(params): Query<HashMap<String, String>>) -> impl IntoResponse {
    match params.get("to") {
        Some(to) => Redirect::temporary(to).into_response(),
        None => (StatusCode::BAD_REQUEST, "to= missing").into_response(),
    }
}

/// Redirects to `to` with the bearer token it received in the query: an upstream that reflects
/// an injected credential into a redirect's Location.
async fn redirect_reflect(Query(params): Query<HashMap<String, String>>, headers: HeaderMap) -> impl IntoResponse {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("none");
    let leak: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    match params.get("to") {
        Some(to) => Redirect::temporary(&format!("{to}?leak={leak}")).into_response(),
        None => (StatusCode::BAD_REQUEST, "to= missing").into_response(),
    }
}
