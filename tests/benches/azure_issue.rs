//! Azure issuance benchmark: fresh container SAS clients of a storage-account-key connector
//! (one container listing on Azurite, then a host-signed SAS; lease reuse off) through the real
//! server, beside the same work done directly (account SAS signed here, the listing sent to
//! Azurite, the container SAS signed here) in the same run.
//!
//! Run with `cargo bench --profile dev -p airlock-tests --bench azure_issue`.

use airlock_tests::azurite::{ACCOUNT, ACCOUNT_KEY, Azurite, CONTAINER};
use airlock_tests::bench::{measure, ms, pct};
use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind};
use std::sync::Arc;
use std::time::Duration;

const WINDOW: Duration = Duration::from_secs(4);
const EXPIRY: &str = "2099-01-01T00:00:00Z";

fn sign(string_to_sign: &str) -> String {
    airlock::credentials::hmac_sha256(ACCOUNT_KEY, string_to_sign).unwrap()
}

fn query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// The raw work: list containers with an account SAS, then sign the container SAS.
async fn raw_mint(client: &reqwest::Client, endpoint: &str) {
    let account = format!("{ACCOUNT}\nrl\nb\nsco\n\n{EXPIRY}\n\nhttps,http\n2022-11-02\n\n");
    let list = query(&[
        ("sv", "2022-11-02"),
        ("ss", "b"),
        ("srt", "sco"),
        ("sp", "rl"),
        ("se", EXPIRY),
        ("spr", "https,http"),
        ("sig", &sign(&account)),
    ]);
    let response = client.get(format!("{endpoint}/?comp=list&{list}")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains(CONTAINER));
    let container =
        format!("racwdl\n\n{EXPIRY}\n/blob/{ACCOUNT}/{CONTAINER}\n\n\nhttps,http\n2022-11-02\nc\n\n\n\n\n\n\n");
    std::hint::black_box(query(&[
        ("sv", "2022-11-02"),
        ("sr", "c"),
        ("sp", "racwdl"),
        ("se", EXPIRY),
        ("sig", &sign(&container)),
    ]));
}

#[tokio::main]
async fn main() {
    let azurite = Arc::new(tokio::task::spawn_blocking(Azurite::start).await.unwrap());
    let quiet = vec![("AIRLOCK_LOG".to_string(), "warn".to_string())];
    let server = Arc::new(Server::start_with(StoreKind::Sqlite, tempfile::tempdir().unwrap().keep(), quiet));
    let body = serde_json::json!({
        "name": "azure-bench", "connector_type": "azure", "auth_method": "storage-account-key", "resource_type": "blob-container",
        "resource_id": CONTAINER,
        "configuration": {"storage_account": ACCOUNT, "account_key": ACCOUNT_KEY, "blob_endpoint_url": azurite.url},
    });
    let (status, registered) = server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(body)).await;
    assert_eq!(status, 201, "{registered}");

    for clients in [1, 8] {
        let (client, endpoint) = (reqwest::Client::new(), azurite.url.clone());
        let (raw, raw_rate) = measure(clients, WINDOW, move || {
            let (client, endpoint) = (client.clone(), endpoint.clone());
            async move { raw_mint(&client, &endpoint).await }
        })
        .await;
        let client = reqwest::Client::new();
        let url = format!("{}/api/v1/connectors/azure-bench/client", server.url);
        let (ours, our_rate) = measure(clients, WINDOW, move || {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let response = client
                    .post(&url)
                    .bearer_auth(ADMIN_TOKEN)
                    .json(&serde_json::json!({"reuse": false}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                response.bytes().await.unwrap();
            }
        })
        .await;
        println!(
            "{clients} client(s): airlock fresh SAS p50 {} p99 {} ({our_rate:.0}/s) | raw listing + signing p50 {} p99 {} ({raw_rate:.0}/s) | overhead p50 {}",
            ms(pct(&ours, 0.5)),
            ms(pct(&ours, 0.99)),
            ms(pct(&raw, 0.5)),
            ms(pct(&raw, 0.99)),
            ms(pct(&ours, 0.5).saturating_sub(pct(&raw, 0.5))),
        );
    }
}
