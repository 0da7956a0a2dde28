//! AWS issuance benchmark against moto (authentication on): fresh-mint client credentials
//! (session-token → STS GetSessionToken, lease reuse off) through the real server, beside the same
//! raw STS call made directly to moto in the same run.
//!
//! Run with `cargo bench --profile dev -p airlock-tests --bench aws_issue`.

use airlock_tests::bench::fresh_mints_beside;
use airlock_tests::moto::{Moto, REGION};
use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use std::time::{Duration, SystemTime};

const BODY: &str = "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900";

/// The raw upstream call: GetSessionToken signed here with aws-sigv4, sent to moto, and its
/// answer read whole (the credentials are in the body), as a client of STS must.
async fn raw_sts(client: &reqwest::Client, moto: &Moto) {
    let identity = Credentials::new(&moto.access_key_id, &moto.secret_access_key, None, None, "bench").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("sts")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let url = format!("{}/", moto.url);
    let headers = [("content-type", "application/x-www-form-urlencoded")];
    let signable =
        SignableRequest::new("POST", &url, headers.iter().copied(), SignableBody::Bytes(BODY.as_bytes())).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut request = client.post(&url).header("content-type", "application/x-www-form-urlencoded").body(BODY);
    for (k, v) in instructions.headers() {
        request = request.header(k, v);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(status == 200 && body.contains("<SessionToken>"), "{status}: {body}");
}

#[tokio::main]
async fn main() {
    let moto = std::sync::Arc::new(tokio::task::spawn_blocking(Moto::start).await.unwrap());
    let quiet = vec![("AIRLOCK_LOG".to_string(), "warn".to_string())];
    let server = std::sync::Arc::new(Server::start_with(StoreKind::Sqlite, tempfile::tempdir().unwrap().keep(), quiet));
    let body = serde_json::json!({
        "name": "aws-bench", "connector_type": "aws", "auth_method": "session-token", "resource_type": "aws-generic",
        "configuration": {"region": REGION, "endpoint_url": moto.url, "aws_access_key_id": moto.access_key_id, "aws_secret_access_key": moto.secret_access_key},
    });
    let (status, registered) = server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(body)).await;
    assert_eq!(status, 201, "{registered}");

    let client = reqwest::Client::new();
    fresh_mints_beside(
        &server.url,
        ADMIN_TOKEN,
        "aws-bench",
        serde_json::json!({"reuse": false, "expiration_seconds": 900}),
        "raw STS GetSessionToken to moto",
        Duration::from_micros(300),
        move || {
            let (client, m) = (client.clone(), moto.clone());
            async move { raw_sts(&client, &m).await }
        },
    )
    .await;
}
