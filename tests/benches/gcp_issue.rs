//! GCP issuance benchmark: fresh-mint `gcp-generic` clients of a service-account connector
//! (one JWT-bearer grant per issuance, lease reuse off) through the real server against the
//! fake Google token endpoint, beside the same grant made directly (assertion signed here with
//! the same key) in the same run.
//!
//! Run with `cargo bench --profile dev -p airlock-tests --bench gcp_issue`.

use airlock_tests::bench::fresh_mints_beside;
use airlock_tests::google::{CLIENT_EMAIL, FakeGoogle, PRIVATE_KEY_ID};
use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The raw upstream call: an RS256 assertion signed here and exchanged at the token endpoint,
/// whose answer (the access token) is read whole.
async fn raw_grant(client: &reqwest::Client, url: &str, key: &jsonwebtoken::EncodingKey) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let claims = serde_json::json!({"iss": CLIENT_EMAIL, "scope": "https://www.googleapis.com/auth/cloud-platform", "aud": url, "iat": now, "exp": now + 3600});
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(PRIVATE_KEY_ID.into());
    let assertion = jsonwebtoken::encode(&header, &claims, key).unwrap();
    let response = client
        .post(url)
        .form(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", &assertion)])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(status == 200 && body.contains("access_token"), "{status}: {body}");
}

#[tokio::main]
async fn main() {
    let fake = FakeGoogle::start().await;
    let quiet = vec![("AIRLOCK_LOG".to_string(), "warn".to_string())];
    let server = Arc::new(Server::start_with(StoreKind::Sqlite, tempfile::tempdir().unwrap().keep(), quiet));
    let body = serde_json::json!({
        "name": "gcp-bench", "connector_type": "gcp", "auth_method": "service-account", "resource_type": "gcp-generic",
        "configuration": {"endpoint_url": fake.url, "service_account_json": fake.service_account_json},
    });
    let (status, registered) = server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(body)).await;
    assert_eq!(status, 201, "{registered}");
    let key = Arc::new(jsonwebtoken::EncodingKey::from_rsa_pem(fake.private_key_pem.as_bytes()).unwrap());
    let token_url = format!("{}/token", fake.url);

    let client = reqwest::Client::new();
    fresh_mints_beside(
        &server.url,
        ADMIN_TOKEN,
        "gcp-bench",
        serde_json::json!({"reuse": false}),
        "raw JWT-bearer grant",
        Duration::from_millis(2),
        move || {
            let (client, key, url) = (client.clone(), key.clone(), token_url.clone());
            async move { raw_grant(&client, &url, &key).await }
        },
    )
    .await;
}
