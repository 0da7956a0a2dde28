//! The docker connector against a real registry (Debian's `docker-registry` with htpasswd auth),
//! driven through the `airlock` binary, and its issued credential used by a real client (`skopeo`).

use airlock::egress::EgressPolicy;
use airlock::instance::{ConnectorConfig, Instance};
use airlock::runtime::{CallError, Runtime};
use airlock_tests::registry::Registry;
use airlock_tests::{airlock_bin, oci, require_tool};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

const USER: &str = "alice";

fn password() -> String {
    format!("docker-canary-{}-pw", std::process::id())
}

/// Run `airlock connector <args>` with trace logging, so secrets would show if anything logged them.
fn airlock(args: &[&str]) -> Output {
    Command::new(airlock_bin())
        .arg("connector")
        .args(args)
        .env("AIRLOCK_LOG", "trace")
        .env("XDG_CACHE_HOME", std::env::temp_dir().join("airlock-test-cache"))
        .env_remove("AIRLOCK_EGRESS_ALLOW_CIDRS")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn password_file(dir: &Path, password: &str) -> String {
    let path = dir.join("password");
    std::fs::write(&path, password).unwrap();
    format!("--password=@{}", path.display())
}

#[test]
fn good_credentials_verify_and_bad_ones_are_rejected() {
    let registry = Registry::start(USER, &password());
    let dir = tempfile::tempdir().unwrap();
    let registry_arg = format!("--registry={}", registry.url());

    let good = password_file(dir.path(), &password());
    let out = airlock(&[
        "verify-local",
        "docker",
        "--allow-cidrs=127.0.0.0/8",
        "-o",
        "json",
        "--username=alice",
        &good,
        &registry_arg,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listings[0]["resource_type"], "docker-registry");
    assert_eq!(listings[0]["resource_ids"][0], registry.host.as_str());
    assert!(!text(&out.stderr).contains(&password()), "the password reached the log");

    let wrong = format!("{}-wrong", password());
    let bad = password_file(dir.path(), &wrong);
    let out =
        airlock(&["verify-local", "docker", "--allow-cidrs=127.0.0.0/8", "--username=alice", &bad, &registry_arg]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("the registry `{}` rejected the credentials (HTTP 401", registry.host)),
        "{stderr}"
    );
    assert!(!stderr.contains(&wrong) && !text(&out.stdout).contains(&wrong), "the password reached the output");
}

#[test]
fn loopback_registries_need_an_explicit_allowance() {
    let registry = Registry::start(USER, &password());
    let dir = tempfile::tempdir().unwrap();
    let good = password_file(dir.path(), &password());
    let out =
        airlock(&["verify-local", "docker", "--username=alice", &good, &format!("--registry={}", registry.url())]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("egress denied") && text(&out.stderr).contains("loopback"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_issued_credential_works_with_skopeo() {
    let skopeo = require_tool("skopeo");
    let registry = Registry::start(USER, &password());
    let dir = tempfile::tempdir().unwrap();
    let good = password_file(dir.path(), &password());
    let out = airlock(&[
        "client-local",
        "docker",
        "--allow-cidrs=127.0.0.0/8",
        "-o",
        "json",
        "--username=alice",
        &good,
        &format!("--registry={}", registry.url()),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let credential: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(credential["connector_type"], "docker");
    assert_eq!(credential["resource_id"], registry.host.as_str());
    let attrs: std::collections::HashMap<String, serde_json::Value> = credential["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_string(), p[1].clone()))
        .collect();
    assert_eq!(attrs["username"]["value"], USER);
    assert_eq!(attrs["password"]["secret"], true);
    let creds =
        format!("{}:{}", attrs["username"]["value"].as_str().unwrap(), attrs["password"]["value"].as_str().unwrap());
    assert!(!text(&out.stderr).contains(&password()), "the password reached the log");

    let layout = dir.path().join("image");
    oci::write_image(&layout);
    let image = format!("docker://{}/airlock/probe:latest", registry.host);
    let copy = Command::new(&skopeo)
        .args(["copy", "--dest-tls-verify=false", "--dest-creds", &creds])
        .arg(format!("oci:{}:latest", layout.display()))
        .arg(&image)
        .output()
        .unwrap();
    assert!(copy.status.success(), "skopeo copy with the issued credential: {}", text(&copy.stderr));
    let inspect =
        Command::new(&skopeo).args(["inspect", "--tls-verify=false", "--creds", &creds, &image]).output().unwrap();
    assert!(inspect.status.success(), "{}", text(&inspect.stderr));
    assert!(text(&inspect.stdout).contains("\"Os\": \"linux\""));
    // Control: the registry does refuse other credentials.
    let refused = Command::new(&skopeo)
        .args(["inspect", "--tls-verify=false", "--creds", "alice:nope", &image])
        .output()
        .unwrap();
    assert!(!refused.status.success());
}

async fn docker_plugin() -> (Runtime, airlock::runtime::Plugin) {
    airlock_tests::builtin_plugin("docker").await
}

#[tokio::test]
async fn resource_ids_are_canonicalised_and_checked() {
    let (runtime, plugin) = docker_plugin().await;
    let config =
        ConnectorConfig::new(None, [("username", "alice"), ("password", "pw"), ("registry", "http://127.0.0.1:5999")]);
    let inst = Arc::new(Instance::prepare(&plugin.spec, config, &EgressPolicy::default()).unwrap());
    for (id, canonical) in [
        ("http://127.0.0.1:5999/v2/some/repo", "127.0.0.1:5999"),
        ("127.0.0.1:5999", "127.0.0.1:5999"),
        ("docker.io", "docker.io"),
        ("https://index.docker.io/v1/", "docker.io"),
        ("Registry.Example.com:443", "registry.example.com:443"),
        // Docker's reference rules: a first component without `.`/`:` that is not localhost
        // is a Docker Hub repository.
        ("library/nginx", "docker.io"),
        ("team/app:1.0", "docker.io"),
        ("docker.io/library/nginx@sha256:0123", "docker.io"),
        ("registry-1.docker.io", "docker.io"),
        ("registry.hub.docker.com/team/app", "docker.io"),
        ("localhost/team/app", "localhost"),
        ("localhost:5000/team/app:1.0", "localhost:5000"),
        ("registry.example.com:5000/team/app@sha256:0123", "registry.example.com:5000"),
        ("my-registry.internal", "my-registry.internal"),
        ("[::1]:5000", "[::1]:5000"),
        ("10.0.0.7:5000/app", "10.0.0.7:5000"),
    ] {
        assert_eq!(
            runtime.canonical_resource_id(&plugin, inst.clone(), "docker-registry", id).await.unwrap(),
            canonical,
            "{id}"
        );
    }
    for (id, message) in [
        ("ftp://registry.example.com", "unsupported scheme `ftp`"),
        ("registry.example.com:http", "`http` is not a port number"),
        ("https://", "expected `host[:port]` or an http(s) URL"),
        ("registry_example.com", "dot-separated labels"),
        ("-registry.example.com", "dot-separated labels"),
        ("registry-.example.com/app", "dot-separated labels"),
        ("registry..example.com", "dot-separated labels"),
        ("https://user@registry.example.com", "expected `host[:port]`"),
        ("registry.example.com:99999", "`99999` is not a port number"),
    ] {
        let err = runtime.canonical_resource_id(&plugin, inst.clone(), "docker-registry", id).await.unwrap_err();
        assert!(
            matches!(&err, CallError::Connector(e) if e.code() == "invalid-config" && e.message().contains(message)),
            "{id}: {err:?}"
        );
    }
    let err = runtime.canonical_resource_id(&plugin, inst.clone(), "s3-bucket", "b").await.unwrap_err();
    assert!(err.to_string().contains("has no resource type `s3-bucket`"), "{err}");
    let err = runtime.verify(&plugin, inst, Some("docker-registry"), Some("other.example.com")).await.unwrap_err();
    assert!(
        matches!(&err, CallError::Connector(e) if e.code() == "not-found" && e.message().contains("reaches the registry `127.0.0.1:5999`, not `other.example.com`")),
        "{err:?}"
    );
}

#[tokio::test]
async fn invalid_configurations_are_explained_without_their_values() {
    let (_runtime, plugin) = docker_plugin().await;
    let prepare = |attrs: &[(&str, &str)], method: Option<&str>| {
        Instance::prepare(&plugin.spec, ConnectorConfig::new(method, attrs.iter().copied()), &EgressPolicy::default())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(prepare(&[("username", "a")], None), "the required attribute `password` is missing");
    assert_eq!(
        prepare(&[("username", "a"), ("password", "p"), ("colour", "blue")], None),
        "auth method `password` has no attribute `colour` (attributes: username, password, registry)"
    );
    assert_eq!(
        prepare(&[("username", "a"), ("password", "p")], Some("oauth")),
        "connector type `docker` has no auth method `oauth` (available: password)"
    );
    let err = prepare(&[("username", "a"), ("password", "p"), ("registry", "ht!tp://secret-host")], None);
    assert!(err.starts_with("the attribute `registry` is not a valid URL") && !err.contains("secret-host"), "{err}");
}
