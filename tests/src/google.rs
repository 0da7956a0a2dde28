//! A faithful fake of the Google endpoints no emulator covers, on one loopback server: the
//! OAuth2 token endpoint (JWT-bearer grant with the assertion's RS256 signature verified against
//! the service account's public key, the refresh-token grant with the client secret checked),
//! STS token exchange (Credential Access Boundaries recorded), IAM Credentials
//! `generateAccessToken`, and the GKE and Artifact Registry list/get APIs with payloads shaped
//! like the real ones. Every API call must carry a token this fake issued and that has not
//! expired, or the configured user token.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

pub const PROJECT: &str = "airlock-demo-1";
pub const CLUSTER: &str = "prod-cluster";
pub const CLUSTER_LOCATION: &str = "europe-west1";
pub const DOCKER_REPO: &str = "images";
pub const CLIENT_EMAIL: &str = "airlock-sa@airlock-demo-1.iam.gserviceaccount.com";
pub const TARGET_SA: &str = "deployer@airlock-demo-1.iam.gserviceaccount.com";
pub const CLIENT_ID: &str = "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com";
pub const CLIENT_SECRET: &str = "d-FL95Q19q7MQmFpd7hHD0Ty";
pub const REFRESH_TOKEN: &str = "1//0gLx-refresh-token-of-alice-0123456789";
pub const USER_TOKEN: &str = "ya29.a0-user-supplied-token-0123456789abcdef";
pub const PRIVATE_KEY_ID: &str = "3f2b1c0d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c";

/// A token this fake issued.
#[derive(Debug, Clone)]
pub struct Issued {
    pub expires_at: u64,
    /// `service-account`, `user`, `impersonated:<email>` or `downscoped`.
    pub kind: String,
}

/// What the fake saw and holds.
#[derive(Debug, Default)]
pub struct Seen {
    pub tokens: HashMap<String, Issued>,
    /// The `options` JSON of every STS exchange, with the subject token's kind.
    pub exchanges: Vec<(Value, String)>,
    /// Every `generateAccessToken` body.
    pub impersonations: Vec<Value>,
    /// Refresh tokens revoked by the test.
    pub revoked: Vec<String>,
    /// Request lines (`METHOD path`) in order.
    pub requests: Vec<String>,
}

#[derive(Clone)]
struct Fake {
    url: String,
    public_key_pem: String,
    seen: Arc<Mutex<Seen>>,
}

/// A running fake Google; it stops with the test's runtime.
pub struct FakeGoogle {
    pub url: String,
    /// The service account key file (JSON) whose public key the fake trusts.
    pub service_account_json: String,
    /// The PEM private key inside it.
    pub private_key_pem: String,
    pub seen: Arc<Mutex<Seen>>,
}

/// A fresh RSA key pair (PKCS#8 private PEM, SPKI public PEM) made by `openssl`.
pub fn rsa_key_pair() -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("key.pem");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(crate::require_tool("openssl")).args(args).output().unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    run(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", private.to_str().unwrap()]);
    let public = run(&["pkey", "-in", private.to_str().unwrap(), "-pubout"]);
    (std::fs::read_to_string(&private).unwrap(), String::from_utf8(public).unwrap())
}

/// A service-account key file for `private_key_pem`, shaped like the ones IAM hands out.
pub fn service_account_json(private_key_pem: &str, token_uri: &str) -> String {
    json!({
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": PRIVATE_KEY_ID,
        "private_key": private_key_pem,
        "client_email": CLIENT_EMAIL,
        "client_id": "113004524786049726433",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/airlock-sa%40airlock-demo-1.iam.gserviceaccount.com",
        "universe_domain": "googleapis.com",
    })
    .to_string()
}

/// The `authorized_user` file gcloud writes for a user.
pub fn user_account_json() -> String {
    json!({"type": "authorized_user", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN, "quota_project_id": PROJECT}).to_string()
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

impl FakeGoogle {
    pub async fn start() -> FakeGoogle {
        let (private_key_pem, public_key_pem) = tokio::task::spawn_blocking(rsa_key_pair).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Seen::default()));
        seen.lock().unwrap().tokens.insert(USER_TOKEN.into(), Issued { expires_at: now() + 3600, kind: "user".into() });
        let fake = Fake { url: url.clone(), public_key_pem, seen: seen.clone() };
        let log = seen.clone();
        let app = Router::new()
            .route("/token", post(oauth2_token))
            .route("/v1/token", post(sts_exchange))
            .route("/v1/projects/-/serviceAccounts/{call}", post(generate_access_token))
            .route("/v1/projects/{project}/locations/-/clusters", get(gke_clusters))
            .route("/v1/projects/{project}/locations", get(ar_locations))
            .route("/v1/projects/{project}/locations/{location}/repositories", get(ar_repositories))
            .route("/v1/projects/{project}/locations/{location}/repositories/{repository}", get(ar_repository))
            .with_state(fake)
            .layer(axum::middleware::from_fn(move |request: axum::extract::Request, next: axum::middleware::Next| {
                log.lock().unwrap().requests.push(format!("{} {}", request.method(), request.uri().path()));
                next.run(request)
            }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let service_account_json = service_account_json(&private_key_pem, &format!("{url}/token"));
        FakeGoogle { url, service_account_json, private_key_pem, seen }
    }

    /// Revoke the user's refresh token (as `gcloud auth revoke` would).
    pub fn revoke_refresh_token(&self) {
        self.seen.lock().unwrap().revoked.push(REFRESH_TOKEN.into());
    }

    /// What a token is, if this fake issued it.
    pub fn token(&self, token: &str) -> Option<Issued> {
        self.seen.lock().unwrap().tokens.get(token).cloned()
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, axum::Json(json!({"error": error, "error_description": description}))).into_response()
}

fn api_error(status: StatusCode, message: &str, reason: &str) -> Response {
    (status, axum::Json(json!({"error": {"code": status.as_u16(), "message": message, "status": reason}})))
        .into_response()
}

fn form(body: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

impl Fake {
    fn mint(&self, kind: &str, lifetime: u64) -> (String, u64) {
        let token = format!("ya29.{kind}-{:016x}", rand_u64());
        let expires_at = now() + lifetime;
        self.seen.lock().unwrap().tokens.insert(token.clone(), Issued { expires_at, kind: kind.into() });
        (token, expires_at)
    }

    /// The bearer token's record, if it is live.
    fn caller(&self, headers: &HeaderMap) -> Option<Issued> {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        self.seen.lock().unwrap().tokens.get(token).filter(|issued| issued.expires_at > now()).cloned()
    }

    /// Why an API call for `project` is refused (no live token, another project), if it is.
    fn refusal(&self, headers: &HeaderMap, project: &str) -> Option<Response> {
        if self.caller(headers).is_none() {
            return Some(unauthenticated());
        }
        (project != PROJECT).then(|| {
            api_error(
                StatusCode::FORBIDDEN,
                &format!("Permission denied on resource project {project}."),
                "PERMISSION_DENIED",
            )
        })
    }
}

fn unauthenticated() -> Response {
    api_error(
        StatusCode::UNAUTHORIZED,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
        "UNAUTHENTICATED",
    )
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos());
    h.finish()
}

async fn oauth2_token(State(fake): State<Fake>, body: String) -> Response {
    let form = form(&body);
    match form.get("grant_type").map(String::as_str) {
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer") => {
            let assertion = form.get("assertion").cloned().unwrap_or_default();
            let key = jsonwebtoken::DecodingKey::from_rsa_pem(fake.public_key_pem.as_bytes()).unwrap();
            let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
            validation.set_audience(&[format!("{}/token", fake.url)]);
            validation.set_issuer(&[CLIENT_EMAIL]);
            validation.set_required_spec_claims(&["exp", "iat", "aud", "iss"]);
            let header = jsonwebtoken::decode_header(&assertion);
            let claims = match jsonwebtoken::decode::<Value>(&assertion, &key, &validation) {
                Ok(data) => data.claims,
                Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::InvalidSignature) => {
                    return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Invalid JWT Signature.");
                }
                Err(e) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", &format!("Invalid JWT: {e}")),
            };
            if header.ok().and_then(|h| h.kid).as_deref() != Some(PRIVATE_KEY_ID) {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Invalid JWT: unknown key id.");
            }
            let (iat, exp) = (claims["iat"].as_u64().unwrap_or(0), claims["exp"].as_u64().unwrap_or(0));
            if exp > iat + 3600 || iat > now() + 60 {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.",
                );
            }
            if claims["scope"].as_str().is_none() {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    "Invalid OAuth scope or ID token audience provided.",
                );
            }
            let (token, _) = fake.mint("service-account", 3599);
            axum::Json(json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})).into_response()
        }
        Some("refresh_token") => {
            if form.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
                return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "The OAuth client was not found.");
            }
            if form.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET) {
                return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Unauthorized");
            }
            let refresh = form.get("refresh_token").cloned().unwrap_or_default();
            if refresh != REFRESH_TOKEN || fake.seen.lock().unwrap().revoked.contains(&refresh) {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Token has been expired or revoked.");
            }
            let (token, _) = fake.mint("user", 3599);
            axum::Json(json!({"access_token": token, "expires_in": 3599, "scope": "https://www.googleapis.com/auth/cloud-platform", "token_type": "Bearer"})).into_response()
        }
        _ => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "Invalid grant_type."),
    }
}

async fn sts_exchange(State(fake): State<Fake>, body: String) -> Response {
    let form = form(&body);
    let expected = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"),
        ("subject_token_type", "urn:ietf:params:oauth:token-type:access_token"),
        ("requested_token_type", "urn:ietf:params:oauth:token-type:access_token"),
    ];
    if let Some((name, _)) = expected.iter().find(|(k, v)| form.get(*k).map(String::as_str) != Some(*v)) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &format!("Invalid value for \"{name}\"."));
    }
    let subject = form.get("subject_token").cloned().unwrap_or_default();
    let source = match fake.seen.lock().unwrap().tokens.get(&subject) {
        Some(issued) if issued.expires_at > now() => issued.clone(),
        _ => return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "The subject token is invalid or expired."),
    };
    let options: Value = match form.get("options").map(|o| serde_json::from_str(o)) {
        Some(Ok(options)) => options,
        _ => {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "The options parameter is not valid JSON.");
        }
    };
    let rules = options["accessBoundary"]["accessBoundaryRules"].as_array().cloned().unwrap_or_default();
    if rules.is_empty() || rules.iter().any(|r| r["availablePermissions"].as_array().is_none_or(|p| p.is_empty())) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Invalid access boundary.");
    }
    fake.seen.lock().unwrap().exchanges.push((options, source.kind.clone()));
    let lifetime = source.expires_at.saturating_sub(now());
    let (token, _) = fake.mint("downscoped", lifetime);
    axum::Json(json!({"access_token": token, "issued_token_type": "urn:ietf:params:oauth:token-type:access_token", "token_type": "Bearer", "expires_in": lifetime})).into_response()
}

async fn generate_access_token(
    State(fake): State<Fake>,
    Path(call): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let Some(caller) = fake.caller(&headers) else { return unauthenticated() };
    let Some(target) = call.strip_suffix(":generateAccessToken") else {
        return api_error(StatusCode::NOT_FOUND, "Method not found.", "NOT_FOUND");
    };
    if caller.kind != "service-account" {
        return api_error(
            StatusCode::FORBIDDEN,
            "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
            "PERMISSION_DENIED",
        );
    }
    if target != TARGET_SA {
        return api_error(
            StatusCode::NOT_FOUND,
            &format!("Not found; Gaia id not found for email {target}"),
            "NOT_FOUND",
        );
    }
    let request: Value = serde_json::from_str(&body).unwrap_or_default();
    let lifetime = request["lifetime"].as_str().and_then(|l| l.strip_suffix('s')).and_then(|l| l.parse::<u64>().ok());
    let Some(lifetime) = lifetime.filter(|l| (1..=3600).contains(l)) else {
        return api_error(StatusCode::BAD_REQUEST, "The lifetime must be between 1s and 3600s.", "INVALID_ARGUMENT");
    };
    fake.seen.lock().unwrap().impersonations.push(request);
    let (token, expires_at) = fake.mint(&format!("impersonated:{target}"), lifetime);
    axum::Json(json!({"accessToken": token, "expireTime": rfc3339(expires_at)})).into_response()
}

/// `2026-11-29T14:03:00Z` for Unix seconds.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    // Civil date from days (Howard Hinnant's algorithm).
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// A CA certificate (base64 PEM), as GKE returns it.
pub const CLUSTER_CA: &str = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJmYWtlQ0EKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";

async fn gke_clusters(State(fake): State<Fake>, Path(project): Path<String>, headers: HeaderMap) -> Response {
    if let Some(refusal) = fake.refusal(&headers, &project) {
        return refusal;
    }
    axum::Json(json!({"clusters": [{
        "name": CLUSTER,
        "location": CLUSTER_LOCATION,
        "zone": CLUSTER_LOCATION,
        "endpoint": "34.78.12.34",
        "status": "RUNNING",
        "currentMasterVersion": "1.33.5-gke.1000",
        "masterAuth": {"clusterCaCertificate": CLUSTER_CA},
        "selfLink": format!("https://container.googleapis.com/v1/projects/{PROJECT}/locations/{CLUSTER_LOCATION}/clusters/{CLUSTER}"),
    }]}))
    .into_response()
}

async fn ar_locations(State(fake): State<Fake>, Path(project): Path<String>, headers: HeaderMap) -> Response {
    if let Some(refusal) = fake.refusal(&headers, &project) {
        return refusal;
    }
    let location =
        |id: &str| json!({"name": format!("projects/{project}/locations/{id}"), "locationId": id, "displayName": id});
    axum::Json(json!({"locations": [location("europe-west1"), location("us")]})).into_response()
}

fn repositories(project: &str, location: &str) -> Vec<Value> {
    let repository = |name: &str, format: &str| json!({"name": format!("projects/{project}/locations/{location}/repositories/{name}"), "format": format, "mode": "STANDARD_REPOSITORY", "createTime": "2026-01-05T10:00:00.000000Z"});
    match location {
        "europe-west1" => vec![repository(DOCKER_REPO, "DOCKER"), repository("wheels", "PYTHON")],
        _ => Vec::new(),
    }
}

async fn ar_repositories(
    State(fake): State<Fake>,
    Path((project, location)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = fake.refusal(&headers, &project) {
        return refusal;
    }
    axum::Json(json!({"repositories": repositories(&project, &location)})).into_response()
}

async fn ar_repository(
    State(fake): State<Fake>,
    Path((project, location, repository)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = fake.refusal(&headers, &project) {
        return refusal;
    }
    let name = format!("projects/{project}/locations/{location}/repositories/{repository}");
    match repositories(&project, &location).into_iter().find(|r| r["name"] == name) {
        Some(found) => axum::Json(found).into_response(),
        None => api_error(StatusCode::NOT_FOUND, "Requested entity was not found.", "NOT_FOUND"),
    }
}
