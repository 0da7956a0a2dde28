//! A faithful fake Kubernetes API server (no real one installs here). It serves TLS with its own
//! CA and checks what a real API server checks: basic and bearer credentials, client
//! certificates signed by its client CA (the user is the certificate's CN, as the real server
//! reads it), and live TokenRequest tokens; `/version` answers anonymously as
//! `system:public-info-viewer` allows. It implements discovery (`/api`, `/apis`), namespaces,
//! `SelfSubjectReview` and `TokenRequest` with payloads shaped like the real API's.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json};
use base64::Engine as _;
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tower::ServiceExt as _;

pub const ADMIN_USER: &str = "kubernetes-admin";
pub const ADMIN_PASSWORD: &str = "k8s-admin-password-0123456789";
pub const ADMIN_TOKEN: &str = "k8s-admin-static-token-0123456789abcdef";
/// A service account the admin may mint tokens for.
pub const SERVICE_ACCOUNT: (&str, &str) = ("ci", "deployer");

/// A certificate authority and what it signed.
pub struct Authority {
    issuer: Issuer<'static, KeyPair>,
    pub pem: String,
}

impl Authority {
    pub fn new(name: &str) -> Authority {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let pem = params.self_signed(&key).unwrap().pem();
        Authority { issuer: Issuer::new(params, key), pem }
    }

    /// A leaf certificate (PEM) and its private key (PKCS#8 PEM).
    fn leaf(
        &self,
        names: &[&str],
        common_name: &str,
        groups: &[&str],
        purpose: ExtendedKeyUsagePurpose,
    ) -> (String, String, Vec<u8>) {
        let mut params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
        params.distinguished_name.push(DnType::CommonName, common_name);
        for group in groups {
            params.distinguished_name.push(DnType::OrganizationName, *group);
        }
        params.extended_key_usages = vec![purpose];
        let key = KeyPair::generate().unwrap();
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        (certificate.pem(), key.serialize_pem(), certificate.der().to_vec())
    }

    /// The CA as kubeconfig's `certificate-authority-data` (base64 PEM).
    pub fn data(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.pem)
    }
}

/// Who a request authenticated as.
#[derive(Clone, Debug)]
struct User {
    name: String,
    groups: Vec<String>,
}

#[derive(Default)]
struct Tokens {
    /// Minted token → (user, expiry).
    live: HashMap<String, (User, SystemTime)>,
}

#[derive(Clone)]
struct Shared {
    tokens: Arc<Mutex<Tokens>>,
    /// Client certificate (DER) → user, for the certificates the client CA signed here.
    certificates: Arc<Mutex<HashMap<Vec<u8>, User>>>,
    /// Longest TokenRequest lifetime granted (`--service-account-max-token-expiration`).
    max_token: Duration,
}

/// The peer's client certificate (DER), when it presented one.
#[derive(Clone, Default)]
struct PeerCertificate(Option<Vec<u8>>);

/// A running fake API server; it stops with the test's runtime.
pub struct FakeKubernetes {
    /// `https://127.0.0.1:<port>`.
    pub url: String,
    /// The CA of the serving certificate.
    pub server_ca: Authority,
    /// The CA client certificates must chain to.
    pub client_ca: Authority,
    shared: Shared,
}

impl FakeKubernetes {
    /// Start on a loopback port. With `require_client_certificate`, a TLS handshake without a
    /// client certificate fails (as with `--client-ca-file` and no other authenticator).
    pub async fn start(require_client_certificate: bool) -> FakeKubernetes {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let server_ca = Authority::new("fake-kubernetes-ca");
        let client_ca = Authority::new("fake-kubernetes-client-ca");
        let (cert_pem, key_pem, _) =
            server_ca.leaf(&["127.0.0.1", "localhost"], "kube-apiserver", &[], ExtendedKeyUsagePurpose::ServerAuth);
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pem_der(&client_ca.pem)).unwrap();
        let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots));
        let verifier = match require_client_certificate {
            true => verifier.build().unwrap(),
            false => verifier.allow_unauthenticated().build().unwrap(),
        };
        let key = rustls::pki_types::PrivateKeyDer::try_from(pem_der(&key_pem).to_vec()).unwrap();
        let tls = rustls::ServerConfig::builder()
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![pem_der(&cert_pem)], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
        let shared =
            Shared { tokens: Arc::default(), certificates: Arc::default(), max_token: Duration::from_secs(48 * 3600) };
        let app = router(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (acceptor, app) = (acceptor.clone(), app.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else { return };
                    let peer = PeerCertificate(
                        tls.get_ref().1.peer_certificates().and_then(|c| c.first()).map(|c| c.to_vec()),
                    );
                    let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                        app.clone().layer(Extension(peer.clone())).oneshot(request)
                    });
                    let io = hyper_util::rt::TokioIo::new(tls);
                    let _ = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        FakeKubernetes { url, server_ca, client_ca, shared }
    }

    /// A client certificate for `user` in `groups` (PEM certificate, PEM key), signed by the client CA.
    pub fn client_certificate(&self, user: &str, groups: &[&str]) -> (String, String) {
        let (certificate, key, der) = self.client_ca.leaf(&[], user, groups, ExtendedKeyUsagePurpose::ClientAuth);
        let user = User { name: user.into(), groups: groups.iter().map(|g| g.to_string()).collect() };
        self.shared.certificates.lock().unwrap().insert(der, user);
        (certificate, key)
    }

    /// Let every token minted so far expire now (the clock moving past their expiry).
    pub fn expire_minted_tokens(&self) {
        let past = SystemTime::now() - Duration::from_secs(1);
        for (_, expiry) in self.shared.tokens.lock().unwrap().live.values_mut() {
            *expiry = past;
        }
    }

    /// How many tokens were minted.
    pub fn minted(&self) -> usize {
        self.shared.tokens.lock().unwrap().live.len()
    }
}

/// The DER of the first PEM block.
fn pem_der(pem: &str) -> rustls::pki_types::CertificateDer<'static> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    rustls::pki_types::CertificateDer::from(base64::engine::general_purpose::STANDARD.decode(body).unwrap())
}

fn router(shared: Shared) -> axum::Router {
    axum::Router::new()
        .route("/version", get(|| async { Json(json!({"major": "1", "minor": "31", "gitVersion": "v1.31.0-fake"})) }))
        .route("/api", get(api_versions))
        .route("/apis", get(api_groups))
        .route("/api/v1", get(core_resources))
        .route("/apis/authentication.k8s.io/v1", get(authentication_resources))
        .route("/api/v1/namespaces", get(namespaces))
        .route("/apis/authentication.k8s.io/v1/selfsubjectreviews", post(self_subject_review))
        .route("/api/v1/namespaces/{namespace}/serviceaccounts/{account}/token", post(token_request))
        .with_state(shared)
}

/// A Kubernetes `Status` error.
fn status(code: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code.as_u16()});
    (code, Json(body)).into_response()
}

fn unauthorized() -> Response {
    status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized")
}

/// The user a request authenticates as, checked like the real authenticators: a client
/// certificate the handshake verified, then the `authorization` header. `None`: the request
/// carries credentials the server does not accept (401).
fn authenticate(shared: &Shared, headers: &HeaderMap, peer: &PeerCertificate) -> Option<User> {
    let header = headers.get("authorization").and_then(|v| v.to_str().ok());
    if let Some(basic) = header.and_then(|h| h.strip_prefix("Basic ")) {
        let decoded = base64::engine::general_purpose::STANDARD.decode(basic).unwrap_or_default();
        return match String::from_utf8_lossy(&decoded).split_once(':') {
            Some((ADMIN_USER, ADMIN_PASSWORD)) => Some(admin()),
            _ => None,
        };
    }
    if let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")) {
        if token == ADMIN_TOKEN {
            return Some(admin());
        }
        let tokens = shared.tokens.lock().unwrap();
        return match tokens.live.get(token) {
            Some((user, expiry)) if *expiry > SystemTime::now() => Some(user.clone()),
            _ => None,
        };
    }
    if let Some(der) = &peer.0 {
        return shared.certificates.lock().unwrap().get(der).cloned();
    }
    Some(User { name: "system:anonymous".into(), groups: vec!["system:unauthenticated".into()] })
}

/// The authenticated user, or what the real server answers: 401 for credentials it does not
/// accept, 403 for an anonymous request (RBAC grants these verbs to authenticated users only).
fn signed_in(
    shared: &Shared,
    headers: &HeaderMap,
    peer: &PeerCertificate,
    verb: &str,
    resource: &str,
) -> Result<User, Box<Response>> {
    let user = authenticate(shared, headers, peer).ok_or_else(|| Box::new(unauthorized()))?;
    if user.name == "system:anonymous" {
        return Err(Box::new(forbidden(&user, verb, resource)));
    }
    Ok(user)
}

fn admin() -> User {
    User { name: ADMIN_USER.into(), groups: vec!["system:masters".into(), "system:authenticated".into()] }
}

fn forbidden(user: &User, verb: &str, resource: &str) -> Response {
    let message = format!("{resource} is forbidden: User \"{}\" cannot {verb} resource \"{resource}\"", user.name);
    status(StatusCode::FORBIDDEN, "Forbidden", &message)
}

async fn api_versions() -> Json<Value> {
    Json(json!({"kind": "APIVersions", "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}))
}

async fn api_groups() -> Json<Value> {
    let version = json!({"groupVersion": "authentication.k8s.io/v1", "version": "v1"});
    Json(json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": "authentication.k8s.io", "versions": [version], "preferredVersion": version}]}))
}

async fn core_resources() -> Json<Value> {
    Json(json!({"kind": "APIResourceList", "groupVersion": "v1", "resources": [
        {"name": "namespaces", "singularName": "namespace", "namespaced": false, "kind": "Namespace",
         "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"], "shortNames": ["ns"]},
        {"name": "serviceaccounts/token", "singularName": "", "namespaced": true, "group": "authentication.k8s.io",
         "version": "v1", "kind": "TokenRequest", "verbs": ["create"]}]}))
}

async fn authentication_resources() -> Json<Value> {
    Json(json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "authentication.k8s.io/v1",
        "resources": [
            {"name": "selfsubjectreviews", "singularName": "selfsubjectreview", "namespaced": false,
             "kind": "SelfSubjectReview", "verbs": ["create"]},
            {"name": "tokenreviews", "singularName": "tokenreview", "namespaced": false,
             "kind": "TokenReview", "verbs": ["create"]}]}))
}

async fn namespaces(
    State(shared): State<Shared>,
    Extension(peer): Extension<PeerCertificate>,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = signed_in(&shared, &headers, &peer, "list", "namespaces") {
        return *refused;
    }
    let namespace = |name: &str| {
        json!({"metadata": {"name": name, "uid": format!("uid-{name}"),
        "creationTimestamp": "2026-01-01T00:00:00Z"}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    };
    Json(json!({"kind": "NamespaceList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
        "items": [namespace("default"), namespace("kube-system"), namespace(SERVICE_ACCOUNT.0)]}))
    .into_response()
}

async fn self_subject_review(
    State(shared): State<Shared>,
    Extension(peer): Extension<PeerCertificate>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in(&shared, &headers, &peer, "create", "selfsubjectreviews") {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    let review = json!({"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": null},
        "status": {"userInfo": {"username": user.name, "groups": user.groups}}});
    (StatusCode::CREATED, Json(review)).into_response()
}

async fn token_request(
    State(shared): State<Shared>,
    Extension(peer): Extension<PeerCertificate>,
    Path((namespace, account)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let Some(user) = authenticate(&shared, &headers, &peer) else { return unauthorized() };
    // RBAC: only the admin (system:masters) may create serviceaccounts/token here.
    if !user.groups.iter().any(|g| g == "system:masters") {
        return forbidden(&user, "create", "serviceaccounts/token");
    }
    if (namespace.as_str(), account.as_str()) != SERVICE_ACCOUNT {
        let message = format!("serviceaccounts \"{account}\" not found");
        return status(StatusCode::NOT_FOUND, "NotFound", &message);
    }
    let request: Value = serde_json::from_str(&body).unwrap_or_default();
    if request["kind"] != "TokenRequest" {
        return status(StatusCode::BAD_REQUEST, "BadRequest", "the body is not a TokenRequest");
    }
    let seconds = request["spec"]["expirationSeconds"].as_u64().unwrap_or(3600);
    if seconds < 600 {
        return status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            "TokenRequest.authentication.k8s.io \"deployer\" is invalid: spec.expirationSeconds: Invalid value: may not specify a duration less than 10 minutes",
        );
    }
    let lifetime = Duration::from_secs(seconds).min(shared.max_token);
    let expiry = SystemTime::now() + lifetime;
    let token = format!("eyJfake.{}", uuid::Uuid::new_v4().simple());
    let user = User {
        name: format!("system:serviceaccount:{namespace}:{account}"),
        groups: vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{namespace}"),
            "system:authenticated".into(),
        ],
    };
    shared.tokens.lock().unwrap().live.insert(token.clone(), (user, expiry));
    let answer = json!({"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"name": account, "namespace": namespace, "creationTimestamp": null},
        "spec": request["spec"],
        "status": {"token": token, "expirationTimestamp": crate::google::rfc3339(unix_seconds(expiry))}});
    (StatusCode::CREATED, Json(answer)).into_response()
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs()
}
