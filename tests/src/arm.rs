//! A faithful fake of the Azure Resource Manager APIs the azure connector calls, and of ACR's
//! token exchange, on one loopback server. Every ARM call needs the Entra token the fake Entra
//! endpoint issues (`crate::entra::ACCESS_TOKEN`); payloads use the real APIs' field names.
//! `listAccountSas` / `listServiceSas` sign with Azurite's account key, as ARM signs with the
//! account's key, so Azurite accepts what they return.

use crate::azurite::{ACCOUNT, ACCOUNT_KEY};
use crate::entra::ACCESS_TOKEN;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const SUBSCRIPTION: &str = "5a4c2b1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0";
pub const RESOURCE_GROUP: &str = "airlock-rg";
pub const CLUSTER: &str = "aks-prod";
pub const REGISTRY: &str = "airlockacr";
pub const ACR_REFRESH_TOKEN: &str = "acr-refresh-token-for-the-principal";

/// What the fake saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// `(canonicalizedResource, permissions, expiry)` of every `listServiceSas`.
    pub service_sas: Vec<(String, String, String)>,
    /// Whether each cluster-credential call asked for admin (`listClusterAdminCredential`).
    pub cluster_credentials: Vec<&'static str>,
    pub requests: Vec<String>,
}

#[derive(Clone)]
struct Fake {
    blob_endpoint: String,
    seen: Arc<Mutex<Seen>>,
}

pub struct FakeArm {
    pub url: String,
    /// The Blob endpoint the storage account reports.
    pub blob_endpoint: String,
    pub seen: Arc<Mutex<Seen>>,
}

impl FakeArm {
    /// Start with `blob_endpoint` as the storage account's primary Blob endpoint (Azurite).
    pub async fn start(blob_endpoint: &str) -> FakeArm {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let blob_endpoint = blob_endpoint.trim_end_matches('/').to_string();
        let fake = Fake { blob_endpoint: blob_endpoint.clone(), seen: seen.clone() };
        let log = seen.clone();
        let sub = "/subscriptions/{sub}";
        let rg = "/subscriptions/{sub}/resourceGroups/{rg}/providers";
        let app = axum::Router::new()
            .route("/subscriptions", get(subscriptions))
            .route(sub, get(subscription))
            .route(&format!("{sub}/providers/Microsoft.Storage/storageAccounts"), get(storage_accounts))
            .route(&format!("{rg}/Microsoft.Storage/storageAccounts/{{name}}/ListAccountSas"), post(list_account_sas))
            .route(&format!("{rg}/Microsoft.Storage/storageAccounts/{{name}}/ListServiceSas"), post(list_service_sas))
            .route(&format!("{sub}/providers/Microsoft.ContainerService/managedClusters"), get(clusters))
            .route(
                &format!("{rg}/Microsoft.ContainerService/managedClusters/{{name}}/{{action}}"),
                post(cluster_credential),
            )
            .route(&format!("{sub}/providers/Microsoft.ContainerRegistry/registries"), get(registries))
            .route("/oauth2/exchange", post(acr_exchange))
            .with_state(fake)
            .layer(axum::middleware::from_fn(move |request: axum::extract::Request, next: axum::middleware::Next| {
                log.lock().unwrap().requests.push(format!("{} {}", request.method(), request.uri().path()));
                next.run(request)
            }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeArm { url, blob_endpoint, seen }
    }
}

fn arm_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(json!({"error": {"code": code, "message": message}}))).into_response()
}

/// The refusal for a call without the Entra token, or for another subscription.
fn refusal(headers: &HeaderMap, sub: Option<&str>) -> Option<Response> {
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(ACCESS_TOKEN) {
        return Some(arm_error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", "The access token is invalid."));
    }
    sub.filter(|s| *s != SUBSCRIPTION).map(|s| {
        arm_error(StatusCode::NOT_FOUND, "SubscriptionNotFound", &format!("The subscription '{s}' could not be found."))
    })
}

fn subscription_json() -> Value {
    json!({"id": format!("/subscriptions/{SUBSCRIPTION}"), "subscriptionId": SUBSCRIPTION, "tenantId": crate::entra::TENANT, "displayName": "Airlock Dev", "state": "Enabled"})
}

async fn subscriptions(headers: HeaderMap) -> Response {
    refusal(&headers, None).unwrap_or_else(|| axum::Json(json!({"value": [subscription_json()]})).into_response())
}

async fn subscription(headers: HeaderMap, Path(sub): Path<String>) -> Response {
    refusal(&headers, Some(&sub)).unwrap_or_else(|| axum::Json(subscription_json()).into_response())
}

fn resource_id(provider: &str, kind: &str, name: &str) -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/{provider}/{kind}/{name}")
}

async fn storage_accounts(State(fake): State<Fake>, headers: HeaderMap, Path(sub): Path<String>) -> Response {
    if let Some(refusal) = refusal(&headers, Some(&sub)) {
        return refusal;
    }
    axum::Json(json!({"value": [{
        "id": resource_id("Microsoft.Storage", "storageAccounts", ACCOUNT),
        "name": ACCOUNT,
        "type": "Microsoft.Storage/storageAccounts",
        "location": "westeurope",
        "kind": "StorageV2",
        "properties": {"primaryEndpoints": {"blob": format!("{}/", fake.blob_endpoint)}, "provisioningState": "Succeeded"},
    }]}))
    .into_response()
}

fn sign(string_to_sign: &str) -> String {
    airlock::credentials::hmac_sha256(ACCOUNT_KEY, string_to_sign).unwrap()
}

fn query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

async fn list_account_sas(
    headers: HeaderMap,
    Path((sub, _rg, name)): Path<(String, String, String)>,
    body: String,
) -> Response {
    if let Some(refusal) = refusal(&headers, Some(&sub)) {
        return refusal;
    }
    let request: Value = serde_json::from_str(&body).unwrap_or_default();
    let field = |k: &str| request[k].as_str().unwrap_or_default().to_string();
    let (sp, ss, srt, se, spr) = (
        field("signedPermission"),
        field("signedServices"),
        field("signedResourceTypes"),
        field("signedExpiry"),
        field("signedProtocol"),
    );
    if name != ACCOUNT || sp.is_empty() || se.is_empty() {
        return arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidValuesForRequestParameters",
            "Values for request parameters are invalid: signedPermission, signedExpiry.",
        );
    }
    let spr = if spr.is_empty() { "https,http".to_string() } else { spr };
    let string_to_sign = format!("{name}\n{sp}\n{ss}\n{srt}\n\n{se}\n\n{spr}\n2022-11-02\n\n");
    let token = query(&[
        ("sv", "2022-11-02"),
        ("ss", &ss),
        ("srt", &srt),
        ("sp", &sp),
        ("se", &se),
        ("spr", &spr),
        ("sig", &sign(&string_to_sign)),
    ]);
    axum::Json(json!({"accountSasToken": token})).into_response()
}

async fn list_service_sas(
    State(fake): State<Fake>,
    headers: HeaderMap,
    Path((sub, _rg, name)): Path<(String, String, String)>,
    body: String,
) -> Response {
    if let Some(refusal) = refusal(&headers, Some(&sub)) {
        return refusal;
    }
    let request: Value = serde_json::from_str(&body).unwrap_or_default();
    let field = |k: &str| request[k].as_str().unwrap_or_default().to_string();
    let (resource, sr, sp, se, spr) = (
        field("canonicalizedResource"),
        field("signedResource"),
        field("signedPermission"),
        field("signedExpiry"),
        field("signedProtocol"),
    );
    if name != ACCOUNT
        || sr != "c"
        || !resource.starts_with(&format!("/blob/{ACCOUNT}/"))
        || sp.is_empty()
        || se.is_empty()
    {
        return arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidValuesForRequestParameters",
            "Values for request parameters are invalid: canonicalizedResource, signedResource.",
        );
    }
    let spr = if spr.is_empty() { "https,http".to_string() } else { spr };
    fake.seen.lock().unwrap().service_sas.push((resource.clone(), sp.clone(), se.clone()));
    let string_to_sign = format!("{sp}\n\n{se}\n{resource}\n\n\n{spr}\n2022-11-02\nc\n\n\n\n\n\n\n");
    let token = query(&[
        ("sv", "2022-11-02"),
        ("sr", "c"),
        ("sp", &sp),
        ("se", &se),
        ("spr", &spr),
        ("sig", &sign(&string_to_sign)),
    ]);
    axum::Json(json!({"serviceSasToken": token})).into_response()
}

async fn clusters(headers: HeaderMap, Path(sub): Path<String>) -> Response {
    if let Some(refusal) = refusal(&headers, Some(&sub)) {
        return refusal;
    }
    axum::Json(json!({"value": [{
        "id": resource_id("Microsoft.ContainerService", "managedClusters", CLUSTER),
        "name": CLUSTER,
        "location": "westeurope",
        "properties": {"fqdn": "aks-prod-dns-1a2b3c4d.hcp.westeurope.azmk8s.io", "kubernetesVersion": "1.33.2", "provisioningState": "Succeeded"},
    }]}))
    .into_response()
}

/// A cluster kubeconfig (YAML, base64), as `listClusterUserCredential` returns it.
pub fn kubeconfig_yaml(user: &str) -> String {
    format!(
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: {CA}\n    server: https://aks-prod-dns-1a2b3c4d.hcp.westeurope.azmk8s.io:443\n  name: {CLUSTER}\ncontexts:\n- context:\n    cluster: {CLUSTER}\n    user: clusterUser_{RESOURCE_GROUP}_{CLUSTER}\n  name: {CLUSTER}\ncurrent-context: {CLUSTER}\nkind: Config\npreferences: {{}}\nusers:\n- name: clusterUser_{RESOURCE_GROUP}_{CLUSTER}\n  user:\n    token: {user}\n"
    )
}

/// A CA certificate (base64 PEM).
pub const CA: &str = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJha3NDQQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==";
pub const USER_TOKEN: &str = "aks-user-token-0123456789abcdef";
pub const ADMIN_TOKEN: &str = "aks-admin-token-0123456789abcdef";

async fn cluster_credential(
    State(fake): State<Fake>,
    headers: HeaderMap,
    Path((sub, rg, name, action)): Path<(String, String, String, String)>,
) -> Response {
    if let Some(refusal) = refusal(&headers, Some(&sub)) {
        return refusal;
    }
    if rg != RESOURCE_GROUP || name != CLUSTER {
        return arm_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            &format!(
                "The Resource 'Microsoft.ContainerService/managedClusters/{name}' under resource group '{rg}' was not found."
            ),
        );
    }
    let (kind, token) = match action.as_str() {
        "listClusterUserCredential" => ("user", USER_TOKEN),
        "listClusterAdminCredential" => ("admin", ADMIN_TOKEN),
        _ => return arm_error(StatusCode::NOT_FOUND, "NotFound", "No such action."),
    };
    fake.seen.lock().unwrap().cluster_credentials.push(kind);
    let value = base64::engine::general_purpose::STANDARD.encode(kubeconfig_yaml(token));
    axum::Json(json!({"kubeconfigs": [{"name": format!("cluster{}", if kind == "admin" { "Admin" } else { "User" }), "value": value}]})).into_response()
}

async fn registries(headers: HeaderMap, Path(sub): Path<String>) -> Response {
    if let Some(refusal) = refusal(&headers, Some(&sub)) {
        return refusal;
    }
    axum::Json(json!({"value": [{
        "id": resource_id("Microsoft.ContainerRegistry", "registries", REGISTRY),
        "name": REGISTRY,
        "location": "westeurope",
        "sku": {"name": "Standard", "tier": "Standard"},
        "properties": {"loginServer": format!("{REGISTRY}.azurecr.io"), "adminUserEnabled": false},
    }]}))
    .into_response()
}

/// ACR's `/oauth2/exchange`: an Entra access token for an ACR refresh token.
async fn acr_exchange(Query(_q): Query<HashMap<String, String>>, body: String) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    if field("grant_type") != "access_token" || field("service") != format!("{REGISTRY}.azurecr.io") {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"errors": [{"code": "UNSUPPORTED", "message": "grant_type and service are required"}]})),
        )
            .into_response();
    }
    if field("access_token") != ACCESS_TOKEN {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]})),
        )
            .into_response();
    }
    axum::Json(json!({"refresh_token": ACR_REFRESH_TOKEN})).into_response()
}
