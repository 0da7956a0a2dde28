//! Azure issuance benchmark: fresh container SAS clients of a storage-account-key connector
//! (one container listing on Azurite, then a host-signed SAS; lease reuse off) through the real
//! server, beside the same work done directly (account SAS signed here, the listing sent to
//! Azurite, the container SAS signed here) in the same run.
//!
//! Run with `cargo bench --profile dev -p airlock-tests --bench azure_issue`.

use airlock_tests::azurite::{ACCOUNT, ACCOUNT_KEY, Azurite, CONTAINER};
use airlock_tests::bench::fresh_mints_beside;
use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind};
use std::sync::Arc;
use std::time::Duration;

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

    let client = reqwest::Client::new();
    fresh_mints_beside(
        &server.url,
        ADMIN_TOKEN,
        "azure-bench",
        serde_json::json!({"reuse": false}),
        "raw listing + signing",
        Duration::from_millis(2),
        move || {
            let (client, endpoint) = (client.clone(), azurite.url.clone());
            async move { raw_mint(&client, &endpoint).await }
        },
    )
    .await;
}
