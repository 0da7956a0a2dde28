//! A loopback HTTP server with the endpoints the sandbox tests aim connectors at.

use axum::extract::{Query, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

/// A running fixture server; it stops with the test's runtime.
pub struct FixtureServer {
    pub addr: SocketAddr,
}

impl FixtureServer {
    /// Start on 127.0.0.1 with a random port.
    pub async fn start() -> FixtureServer {
        let app = Router::new()
            .route("/ok", get(|| async { "hello from the fixture" }))
            .route("/whoami", get(whoami))
            .route("/echo-headers", get(echo_headers))
            .route("/redirect", get(redirect))
            .route("/big", get(|| async { vec![b'x'; 2 << 20] }))
            .route("/slow", get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "too late"
            }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FixtureServer { addr }
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
