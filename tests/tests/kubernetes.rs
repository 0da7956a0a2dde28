//! The kubernetes connector against a faithful fake API server (`airlock_tests::kubernetes`:
//! TLS with its own CA, optional client certificates, basic/bearer auth, SelfSubjectReview and
//! TokenRequest), and the real `kubectl` using what `login` writes.

use airlock::autoconfigure::local_input;
use airlock::runtime::bindings::AutoConfiguration;
use airlock::runtime::{CallError, Plugin, Runtime};
use airlock_tests::kubernetes::{ADMIN_PASSWORD, ADMIN_TOKEN, ADMIN_USER, Authority, FakeKubernetes, SERVICE_ACCOUNT};
use airlock_tests::{attr, issue};
use std::process::Command;

const CLUSTER: &str = "fake-prod";
const RT: &str = "kubernetes-cluster";

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn code(err: &CallError) -> String {
    match err {
        CallError::Connector(e) => e.code().to_string(),
        other => format!("{other}"),
    }
}

/// The attributes every instance of the fake cluster has (server, its CA, the name).
fn cluster<'a>(fake: &'a FakeKubernetes, ca: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("server", fake.url.as_str()), ("certificate_authority", ca), ("cluster_name", CLUSTER)]
}

async fn verify(runtime: &Runtime, plugin: &Plugin, method: &str, attrs: &[(&str, &str)]) -> Result<(), CallError> {
    let inst = airlock_tests::instance(plugin, Some(method), attrs);
    runtime.verify(plugin, inst, None, None).await.map(|listed| assert_eq!(listed[0].resource_ids, vec![CLUSTER]))
}

/// `kubectl --kubeconfig <path> <args>` with its own HOME (discovery cache included).
fn kubectl(kubeconfig: &std::path::Path, args: &[&str]) -> std::process::Output {
    let home = kubeconfig.parent().unwrap();
    Command::new(airlock_tests::require_tool("kubectl"))
        .env("HOME", home)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test]
async fn verify_proves_the_credentials_through_the_clusters_own_ca() {
    let fake = FakeKubernetes::start(false).await;
    let (runtime, plugin) = airlock_tests::builtin_plugin("kubernetes").await;
    let ca = fake.server_ca.pem.clone();
    let ca_data = fake.server_ca.data();

    let mut password = cluster(&fake, &ca);
    password.extend([("username", ADMIN_USER), ("password", ADMIN_PASSWORD)]);
    verify(&runtime, &plugin, "password", &password).await.unwrap();
    let mut token = cluster(&fake, &ca_data);
    token.push(("token", ADMIN_TOKEN));
    verify(&runtime, &plugin, "token", &token).await.unwrap();

    // `/version` would pass anonymously; the SelfSubjectReview does not.
    let mut wrong = cluster(&fake, &ca);
    wrong.extend([("username", ADMIN_USER), ("password", "not-the-password-at-all")]);
    let err = verify(&runtime, &plugin, "password", &wrong).await.unwrap_err();
    assert_eq!(code(&err), "unauthorized", "{err}");
    assert!(err.to_string().contains("HTTP 401") && !err.to_string().contains("not-the-password"), "{err}");
    let mut anonymous = token.clone();
    anonymous.retain(|(k, _)| *k != "token");
    let err = verify(&runtime, &plugin, "token", &anonymous).await.unwrap_err();
    assert!(err.to_string().contains("needs a `token`, a client certificate"), "{err}");

    // Another CA, or none (the public roots), fails the handshake with the reason.
    let other_ca = Authority::new("someone-else").pem;
    let mut other = token.clone();
    other[1] = ("certificate_authority", other_ca.as_str());
    let err = verify(&runtime, &plugin, "token", &other).await.unwrap_err();
    assert!(err.to_string().contains("certificate") && err.to_string().contains(&fake.url), "{err}");
    let mut public_roots = token.clone();
    public_roots.remove(1);
    let err = verify(&runtime, &plugin, "token", &public_roots).await.unwrap_err();
    assert!(err.to_string().contains("certificate"), "{err}");

    // `insecure` is honoured (ZenML ignores it), and refused together with a CA, as kubectl does.
    public_roots.push(("insecure", "true"));
    verify(&runtime, &plugin, "token", &public_roots).await.unwrap();
    let mut both = token.clone();
    both.push(("insecure", "true"));
    let err = verify(&runtime, &plugin, "token", &both).await.unwrap_err();
    assert!(err.to_string().contains("cannot be combined"), "{err}");

    // The CA is trusted for this instance only: the fake's CA does not leak into other
    // instances' requests.
    verify(&runtime, &plugin, "token", &token).await.unwrap();
    let err = verify(&runtime, &plugin, "token", &public_roots[..public_roots.len() - 1]).await.unwrap_err();
    assert!(err.to_string().contains("certificate"), "{err}");
}

#[tokio::test]
async fn a_client_certificate_authenticates_with_its_key_kept_on_the_host() {
    let fake = FakeKubernetes::start(true).await;
    let (runtime, plugin, audit) = airlock_tests::audited_builtin("kubernetes").await;
    let ca = fake.server_ca.pem.clone();
    let (certificate, key) = fake.client_certificate("alice", &["developers", "system:authenticated"]);

    let mut mtls = cluster(&fake, &ca);
    mtls.extend([("client_certificate", certificate.as_str()), ("client_key", key.as_str())]);
    let inst = airlock_tests::instance(&plugin, Some("token"), &mtls);
    runtime.verify(&plugin, inst.clone(), None, None).await.unwrap();
    let uses = inst.binding_uses.lock().unwrap().clone();
    assert!(uses.iter().any(|u| u.bindings == ["client_key"] && u.status == Some(201)), "{uses:?}");

    // Without a certificate the handshake fails; a key that does not match it is refused.
    let mut no_certificate = cluster(&fake, &ca);
    no_certificate.push(("token", ADMIN_TOKEN));
    let err = verify(&runtime, &plugin, "token", &no_certificate).await.unwrap_err();
    assert!(err.to_string().contains("cannot talk to the API server"), "{err}");
    let (_, other_key) = fake.client_certificate("bob", &[]);
    let mut mismatched = cluster(&fake, &ca);
    mismatched.extend([("client_certificate", certificate.as_str()), ("client_key", other_key.as_str())]);
    let err = verify(&runtime, &plugin, "token", &mismatched).await.unwrap_err();
    assert!(!err.to_string().contains("PRIVATE KEY"), "{err}");

    // Without a service account the client gets the certificate and (by policy) the key.
    let issued = issue(&runtime, &plugin, inst, RT, None, None).await.unwrap();
    assert_eq!(issued.auth_method, "token");
    assert_eq!(attr(&issued, "client_key"), key);
    assert!(issued.expires_at.is_none());

    let memories = audit.take();
    let key_line = key.lines().nth(1).unwrap();
    // The control: the certificate the component re-encoded for the client is there.
    assert!(airlock_tests::in_memories(&memories, attr(&issued, "client_certificate")), "the scan sees guest data");
    assert!(!airlock_tests::in_memories(&memories, key_line), "the client key reached the component's memory");
}

/// (Multi-threaded: the fake answers kubectl while the test waits for it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_gets_short_lived_token_request_tokens() {
    let fake = FakeKubernetes::start(false).await;
    let (runtime, plugin, audit) = airlock_tests::audited_builtin("kubernetes").await;
    let ca = fake.server_ca.data();
    let (namespace, account) = SERVICE_ACCOUNT;
    let mut attrs = cluster(&fake, &ca);
    attrs.extend([
        ("username", ADMIN_USER),
        ("password", ADMIN_PASSWORD),
        ("service_account", account),
        ("namespace", namespace),
    ]);
    let inst = airlock_tests::instance(&plugin, Some("password"), &attrs);

    let issued = issue(&runtime, &plugin, inst.clone(), RT, Some(CLUSTER), Some(1200)).await.unwrap();
    assert_eq!((issued.connector_type.as_str(), issued.auth_method.as_str()), ("kubernetes", "token"));
    let expires_at = issued.expires_at.unwrap();
    assert!((now() + 1190..=now() + 1200).contains(&expires_at), "{expires_at}");
    assert_eq!(attr(&issued, "certificate_authority"), ca);
    assert!(issued.attributes.iter().all(|(n, _)| n != "password" && n != "username"));
    let token = attr(&issued, "token").to_string();

    // The real kubectl uses it: the user is the service account.
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = home.path().join("config");
    let config = serde_json::json!({
        "apiVersion": "v1", "kind": "Config", "current-context": CLUSTER,
        "clusters": [{"name": CLUSTER, "cluster": {"server": fake.url, "certificate-authority-data": ca}}],
        "users": [{"name": "sa", "user": {"token": token}}],
        "contexts": [{"name": CLUSTER, "context": {"cluster": CLUSTER, "user": "sa"}}],
    });
    std::fs::write(&kubeconfig, config.to_string()).unwrap();
    let whoami = kubectl(&kubeconfig, &["auth", "whoami", "-o", "json"]);
    assert!(whoami.status.success(), "kubectl: {}", String::from_utf8_lossy(&whoami.stderr));
    let review: serde_json::Value = serde_json::from_slice(&whoami.stdout).unwrap();
    assert_eq!(review["status"]["userInfo"]["username"], format!("system:serviceaccount:{namespace}:{account}"));

    // Once expired, kubectl is refused.
    fake.expire_minted_tokens();
    let refused = kubectl(&kubeconfig, &["get", "namespaces", "-o", "name"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("Unauthorized"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // The API server's own checks come back as they are: a lifetime under ten minutes, an
    // unknown service account, a principal RBAC does not let mint.
    let err = issue(&runtime, &plugin, inst.clone(), RT, None, Some(300)).await.unwrap_err();
    assert!(err.to_string().contains("less than 10 minutes"), "{err}");
    let mut unknown = attrs.clone();
    unknown.retain(|(k, _)| *k != "service_account");
    unknown.push(("service_account", "nobody"));
    let err = issue(&runtime, &plugin, airlock_tests::instance(&plugin, Some("password"), &unknown), RT, None, None)
        .await
        .unwrap_err();
    assert_eq!(code(&err), "not-found", "{err}");
    let mut as_the_account = cluster(&fake, &ca);
    let second = issue(&runtime, &plugin, inst, RT, None, None).await.unwrap();
    let minted = attr(&second, "token").to_string();
    as_the_account.extend([("token", minted.as_str()), ("service_account", account), ("namespace", namespace)]);
    let err =
        issue(&runtime, &plugin, airlock_tests::instance(&plugin, Some("token"), &as_the_account), RT, None, None)
            .await
            .unwrap_err();
    assert!(err.to_string().contains("serviceaccounts/token"), "{err}");
    assert_eq!(fake.minted(), 2);

    // Without a service account, an expiration is refused rather than ignored.
    let mut plain = cluster(&fake, &ca);
    plain.push(("token", ADMIN_TOKEN));
    let err = issue(&runtime, &plugin, airlock_tests::instance(&plugin, Some("token"), &plain), RT, None, Some(1200))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("set `service_account`"), "{err}");

    let memories = audit.take();
    assert!(airlock_tests::in_memories(&memories, &minted), "the scan sees guest data");
    assert!(!airlock_tests::in_memories(&memories, ADMIN_PASSWORD), "the password reached the component's memory");
}

#[tokio::test]
async fn cluster_names_are_checked_and_other_ids_refused() {
    let (runtime, plugin) = airlock_tests::builtin_plugin("kubernetes").await;
    let canonical = |name: &str, id: &str| {
        let attrs = [("server", "https://10.0.0.1"), ("cluster_name", name), ("token", "a-token-for-the-id-checks")];
        let inst = airlock_tests::instance(&plugin, Some("token"), &attrs);
        let (runtime, plugin, id) = (&runtime, &plugin, id.to_string());
        async move { runtime.canonical_resource_id(plugin, inst, RT, &id).await }
    };
    for name in ["prod", "gke_project_europe-west1_prod", "arn:aws:eks:eu-west-1:123456789012:cluster/x", "kind-kind"] {
        assert_eq!(canonical(name, name).await.unwrap(), name);
    }
    let long = "a".repeat(254);
    for name in ["prod\n", " prod", "two words", "tab\there", long.as_str()] {
        let err = canonical(name, name).await.unwrap_err();
        assert!(err.to_string().contains("not a cluster name"), "{name:?}: {err}");
    }
    let err = canonical("prod", "staging").await.unwrap_err();
    assert!(err.to_string().contains("it reaches `prod`"), "{err}");
    let err = canonical("prod", "prod\n").await.unwrap_err();
    assert!(err.to_string().contains("not this connector's cluster"), "{err}");
}

#[tokio::test]
async fn auto_configure_reads_the_kubeconfig_kubectl_would() {
    let (runtime, plugin) = airlock_tests::builtin_plugin("kubernetes").await;
    let home = tempfile::tempdir().unwrap();
    let kube = home.path().join(".kube");
    std::fs::create_dir_all(&kube).unwrap();
    let auto = |env: Vec<(&'static str, String)>, method: Option<&str>, id: Option<&str>| {
        let input =
            local_input(&plugin.spec, method.map(str::to_string), None, id.map(str::to_string), home.path(), &|k| {
                env.iter().find(|(name, _)| *name == k).map(|(_, v)| v.clone())
            });
        let (runtime, plugin) = (&runtime, &plugin);
        async move { runtime.auto_configure(plugin, &input).await }
    };
    let value = |config: &AutoConfiguration, name: &str| {
        config.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    };

    let err = auto(vec![], None, None).await.unwrap_err();
    assert!(err.to_string().contains("~/.kube/config does not exist"), "{err}");

    let kubeconfig = r#"
apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod-cluster
  cluster: {server: "https://prod.example.com:6443", certificate-authority-data: Q0EtREFUQQ==}
- name: dev-cluster
  cluster: {server: "https://dev.example.com", insecure-skip-tls-verify: true}
- name: file-ca
  cluster: {server: "https://file.example.com", certificate-authority: /etc/ca.pem}
users:
- name: prod-user
  user: {token: prod-token-0123456789}
- name: dev-user
  user: {username: dev, password: dev-password-0123}
- name: cert-user
  user: {client-certificate-data: Q0VSVA==, client-key-data: S0VZ}
- name: exec-user
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, interactiveMode: Never}
contexts:
- {name: prod, context: {cluster: prod-cluster, user: prod-user}}
- {name: dev, context: {cluster: dev-cluster, user: dev-user}}
- {name: certs, context: {cluster: prod-cluster, user: cert-user}}
- {name: eks, context: {cluster: dev-cluster, user: exec-user}}
- {name: file, context: {cluster: file-ca, user: prod-user}}
"#;
    std::fs::write(kube.join("config"), kubeconfig).unwrap();
    let current = auto(vec![], None, None).await.unwrap();
    assert_eq!((current.auth_method.as_str(), current.resource_id.as_deref()), ("token", Some("prod-cluster")));
    assert_eq!(value(&current, "server").unwrap(), "https://prod.example.com:6443");
    assert_eq!(value(&current, "certificate_authority").unwrap(), "Q0EtREFUQQ==");
    assert_eq!(value(&current, "token").unwrap(), "prod-token-0123456789");

    let dev = auto(vec![], None, Some("dev")).await.unwrap();
    assert_eq!(dev.auth_method, "password");
    assert_eq!((value(&dev, "username").unwrap(), value(&dev, "insecure").unwrap()), ("dev".into(), "true".into()));
    let certs = auto(vec![], None, Some("certs")).await.unwrap();
    assert_eq!(value(&certs, "client_key").unwrap(), "S0VZ");
    let err = auto(vec![], Some("password"), Some("certs")).await.unwrap_err();
    assert!(err.to_string().contains("configures `token`, not `password`"), "{err}");
    let err = auto(vec![], None, Some("eks")).await.unwrap_err();
    assert!(err.to_string().contains("exec or auth-provider plugin"), "{err}");
    let err = auto(vec![], None, Some("file")).await.unwrap_err();
    assert!(err.to_string().contains("kubectl config view --raw --flatten"), "{err}");
    let err = auto(vec![], None, Some("staging")).await.unwrap_err();
    assert!(err.to_string().contains("no context"), "{err}");

    // KUBECONFIG wins over ~/.kube/config; a list yields its first readable file.
    let other = home.path().join("other.config");
    std::fs::write(&other, kubeconfig.replace("current-context: prod", "current-context: dev")).unwrap();
    let list = format!("{}:{}", home.path().join("missing").display(), other.display());
    let from_env = auto(vec![("KUBECONFIG", list)], None, None).await.unwrap();
    assert_eq!(from_env.resource_id.as_deref(), Some("dev-cluster"));
    let err = auto(vec![("KUBECONFIG", "/nonexistent/config".into())], None, None).await.unwrap_err();
    assert!(err.to_string().contains("/nonexistent/config"), "{err}");
}

/// Through the real server and CLI: register with a service account, `login` writes a
/// kubeconfig (0600, no secret on a command line) that `kubectl get namespaces` and
/// `kubectl auth whoami` use with the minted token. (Multi-threaded: the fake answers the
/// server while the test waits for the CLI.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_writes_a_kubeconfig_kubectl_uses_with_a_minted_token() {
    use airlock_tests::server::{ADMIN_TOKEN as AIRLOCK_ADMIN, Server, StoreKind, out};
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeKubernetes::start(false).await;
    let server = Server::start(StoreKind::Sqlite);
    let ca_file = server.data_dir.join("ca.pem");
    std::fs::write(&ca_file, &fake.server_ca.pem).unwrap();
    let password_file = server.data_dir.join("password");
    std::fs::write(&password_file, ADMIN_PASSWORD).unwrap();
    let register = server.cli(
        AIRLOCK_ADMIN,
        &[
            "connector",
            "register",
            "k8s",
            "-t",
            "kubernetes",
            "-a",
            "password",
            &format!("--server={}", fake.url),
            &format!("--certificate_authority=@{}", ca_file.display()),
            &format!("--cluster_name={CLUSTER}"),
            &format!("--username={ADMIN_USER}"),
            &format!("--password=@{}", password_file.display()),
            &format!("--service_account={}", SERVICE_ACCOUNT.1),
            &format!("--namespace={}", SERVICE_ACCOUNT.0),
        ],
    );
    assert!(register.status.success(), "{}", out(&register).1);
    assert!(out(&register).0.contains(CLUSTER), "{}", out(&register).0);

    let kubeconfig = server.data_dir.join("kube/airlock.config");
    let login = server.cli(
        AIRLOCK_ADMIN,
        &["connector", "login", "--static", "k8s", "-r", RT, "--kubeconfig", kubeconfig.to_str().unwrap()],
    );
    assert!(login.status.success(), "{}", out(&login).1);
    assert_eq!(std::fs::metadata(&kubeconfig).unwrap().permissions().mode() & 0o777, 0o600);
    let view = airlock_tests::kubectl_view(&kubeconfig);
    assert_eq!(view["current-context"], CLUSTER);
    assert!(view["users"][0]["user"].get("password").is_none());

    let namespaces = kubectl(&kubeconfig, &["get", "namespaces", "-o", "name"]);
    assert!(namespaces.status.success(), "kubectl: {}", String::from_utf8_lossy(&namespaces.stderr));
    assert!(String::from_utf8_lossy(&namespaces.stdout).contains("namespace/kube-system"));
    let whoami = kubectl(&kubeconfig, &["auth", "whoami", "-o", "json"]);
    assert!(whoami.status.success(), "kubectl: {}", String::from_utf8_lossy(&whoami.stderr));
    let review: serde_json::Value = serde_json::from_slice(&whoami.stdout).unwrap();
    assert_eq!(review["status"]["userInfo"]["username"], "system:serviceaccount:ci:deployer");

    let log = server.log_text();
    assert!(!log.contains(ADMIN_PASSWORD), "the password reached the server log");
    let token = view["users"][0]["user"]["token"].as_str().unwrap();
    assert!(!log.contains(token), "the minted token reached the server log");
}
