//! AWS issuance benchmark against moto (authentication on): fresh-mint client credentials
//! (session-token → STS GetSessionToken, lease reuse off) through the real server, beside the same
//! raw STS call made directly to moto in the same run.
//!
//! Run with `cargo bench --profile dev -p airlock-tests --bench aws_issue`.

use airlock_tests::bench::{measure, ms, pct};
use airlock_tests::moto::{Moto, REGION};
use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use std::time::{Duration, SystemTime};

const WINDOW: Duration = Duration::from_secs(4);
const BODY: &str = "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900";

/// The raw upstream call: GetSessionToken signed here with aws-sigv4 and sent to moto.
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
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
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

    for clients in [1, 8] {
        let client = reqwest::Client::new();
        let m = moto.clone();
        let (raw, raw_rate) = measure(clients, WINDOW, move || {
            let (client, m) = (client.clone(), m.clone());
            async move { raw_sts(&client, &m).await }
        })
        .await;
        let client = reqwest::Client::new();
        let url = format!("{}/api/v1/connectors/aws-bench/client", server.url);
        let (ours, our_rate) = measure(clients, WINDOW, move || {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let response = client
                    .post(&url)
                    .bearer_auth(ADMIN_TOKEN)
                    .json(&serde_json::json!({"reuse": false, "expiration_seconds": 900}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                response.bytes().await.unwrap();
            }
        })
        .await;
        println!(
            "{clients} client(s): airlock fresh mint p50 {} p99 {} ({our_rate:.0}/s) | raw STS GetSessionToken to moto p50 {} p99 {} ({raw_rate:.0}/s) | overhead p50 {}",
            ms(pct(&ours, 0.5)),
            ms(pct(&ours, 0.99)),
            ms(pct(&raw, 0.5)),
            ms(pct(&raw, 0.99)),
            ms(pct(&ours, 0.5).saturating_sub(pct(&raw, 0.5))),
        );
    }
}
