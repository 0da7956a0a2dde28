//! Plugins from OCI registries: `airlock plugin push|install|outdated|update` against Debian's
//! real `docker-registry` with htpasswd auth, interop with `skopeo` both ways, and every bad
//! artifact refused with nothing installed.

use airlock_tests::oci::{WASM_CONFIG, write_wasm_artifact};
use airlock_tests::registry::Registry;
use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, out};
use airlock_tests::{probe_component, require_tool};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::process::{Command, Output};

const USER: &str = "publisher";

fn ok(output: &Output, what: &str) -> String {
    let (stdout, stderr) = out(output);
    assert!(output.status.success(), "{what}: {stderr}");
    stdout
}

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Docker's config with the registry's credentials, where the CLI (HOME = the data dir) reads it.
fn docker_login(server: &Server, registry: &Registry, password: &str) {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{password}"));
    let dir = server.data_dir.join(".docker");
    std::fs::create_dir_all(&dir).unwrap();
    let config = serde_json::json!({"auths": {registry.host.clone(): {"auth": auth}}});
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
}

/// `skopeo copy` of an OCI layout directory to the registry.
fn skopeo_push(layout: &std::path::Path, tag: &str, target: &str, password: &str) {
    let copied = Command::new(require_tool("skopeo"))
        .args(["copy", "--dest-tls-verify=false", "--dest-creds", &format!("{USER}:{password}")])
        .arg(format!("oci:{}:{tag}", layout.display()))
        .arg(format!("docker://{target}"))
        .output()
        .unwrap();
    assert!(copied.status.success(), "skopeo copy: {}", String::from_utf8_lossy(&copied.stderr));
}

/// The component with a custom section appended: the same plugin, another digest.
fn variant(wasm: &[u8], label: &str) -> Vec<u8> {
    let name = format!("airlock-test-{label}");
    let body_len = 1 + name.len();
    assert!(body_len < 128, "one-byte LEB128 sizes");
    let mut out = wasm.to_vec();
    out.extend([0u8, body_len as u8, name.len() as u8]);
    out.extend(name.as_bytes());
    out
}

fn plugin_types(server: &Server) -> Vec<String> {
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&server.cli(ADMIN_TOKEN, &["plugin", "list", "-o", "json"]), "plugin list")).unwrap();
    listed.as_array().unwrap().iter().map(|p| p["connector_type"].as_str().unwrap().to_string()).collect()
}

#[test]
fn plugins_travel_through_an_oci_registry() {
    let password = format!("oci-pw-{}", std::process::id());
    let registry = Registry::start(USER, &password);
    let server = Server::start(StoreKind::Sqlite);
    docker_login(&server, &registry, &password);
    let cli = |args: &[&str]| server.cli(ADMIN_TOKEN, args);
    let wasm = probe_component();
    let file = server.data_dir.join("probe.wasm");
    std::fs::write(&file, &wasm).unwrap();
    let tag = format!("{}/airlock/probe:1.0", registry.host);

    // Push; a third-party client sees a CNCF Wasm artifact.
    ok(&cli(&["plugin", "push", file.to_str().unwrap(), &tag, "--plain-http"]), "plugin push");
    let inspected = Command::new(require_tool("skopeo"))
        .args(["inspect", "--raw", "--tls-verify=false", "--creds", &format!("{USER}:{password}")])
        .arg(format!("docker://{tag}"))
        .output()
        .unwrap();
    assert!(inspected.status.success(), "skopeo inspect: {}", String::from_utf8_lossy(&inspected.stderr));
    let manifest: serde_json::Value = serde_json::from_slice(&inspected.stdout).unwrap();
    assert_eq!(manifest["config"]["mediaType"], WASM_CONFIG);
    assert_eq!(manifest["layers"][0]["mediaType"], "application/wasm");
    assert_eq!(manifest["layers"][0]["digest"], digest(&wasm));

    // Install from the tag: pinned by digest, source recorded, waits for approval, then runs.
    let installed: serde_json::Value =
        serde_json::from_str(&ok(&cli(&["plugin", "install", &tag, "--plain-http", "-o", "json"]), "install")).unwrap();
    assert_eq!(installed["source"], tag);
    assert_eq!(format!("sha256:{}", installed["sha256"].as_str().unwrap()), digest(&wasm));
    assert_eq!(installed["approved"], false);
    ok(&cli(&["plugin", "approve", "probe"]), "approve");
    let described = ok(&cli(&["connector", "describe-type", "probe", "-o", "json"]), "describe-type");
    assert!(
        described.contains("\"connector_type\": \"probe\"") || described.contains("\"connector_type\":\"probe\""),
        "{described}"
    );

    // A new push to the tag: outdated says so, update replaces it and needs approval again.
    let outdated = |expect: &str| {
        let rows: serde_json::Value =
            serde_json::from_str(&ok(&cli(&["plugin", "outdated", "--plain-http", "-o", "json"]), "outdated")).unwrap();
        assert_eq!(rows[0]["status"], expect, "{rows}");
    };
    outdated("up to date");
    let signed = variant(&wasm, "v2");
    std::fs::write(&file, &signed).unwrap();
    ok(&cli(&["plugin", "push", file.to_str().unwrap(), &tag, "--plain-http"]), "push v2");
    outdated("update available");
    ok(&cli(&["plugin", "update", "probe", "--plain-http"]), "update");
    let updated: serde_json::Value =
        serde_json::from_str(&ok(&cli(&["plugin", "describe", "probe", "-o", "json"]), "describe")).unwrap();
    assert_eq!(format!("sha256:{}", updated["sha256"].as_str().unwrap()), digest(&signed));
    assert_eq!(updated["approved"], false, "an update needs approval again");
    outdated("up to date");

    // An artifact another tool pushed (skopeo, from a layout written here) installs too.
    let layouts = tempfile::tempdir().unwrap();
    let other = variant(&wasm, "v3");
    write_wasm_artifact(&layouts.path().join("good"), "v3", WASM_CONFIG, &other);
    let from_skopeo = format!("{}/airlock/probe:skopeo", registry.host);
    skopeo_push(&layouts.path().join("good"), "v3", &from_skopeo, &password);
    let replaced: serde_json::Value = serde_json::from_str(&ok(
        &cli(&["plugin", "install", &from_skopeo, "--replace", "--plain-http", "-o", "json"]),
        "install what skopeo pushed",
    ))
    .unwrap();
    assert_eq!(format!("sha256:{}", replaced["sha256"].as_str().unwrap()), digest(&other));

    // Registry credentials from a docker connector instead of the docker config.
    std::fs::remove_file(server.data_dir.join(".docker/config.json")).unwrap();
    let anonymous: serde_json::Value =
        serde_json::from_str(&ok(&cli(&["plugin", "outdated", "--plain-http", "-o", "json"]), "outdated")).unwrap();
    let status = anonymous[0]["status"].as_str().unwrap();
    assert!(status.contains("fetching the manifest"), "without credentials the registry refuses: {status}");
    let pw_file = server.data_dir.join("registry-password");
    std::fs::write(&pw_file, &password).unwrap();
    let registered = cli(&[
        "connector",
        "register",
        "plugin-registry",
        "-t",
        "docker",
        &format!("--username={USER}"),
        &format!("--password=@{}", pw_file.display()),
        &format!("--registry=http://{}", registry.host),
    ]);
    ok(&registered, "register the registry's docker connector");
    ok(
        &cli(&["plugin", "install", &tag, "--replace", "--plain-http", "--registry-connector", "plugin-registry"]),
        "install with a connector's credentials",
    );
    docker_login(&server, &registry, &password);

    // Bad artifacts: each refused with the reason, nothing installed.
    let before = plugin_types(&server);
    let refused = |reference: &str, reason: &str| {
        let failed = cli(&["plugin", "install", reference, "--plain-http"]);
        let stderr = out(&failed).1;
        assert!(!failed.status.success() && stderr.contains(reason), "{reference}: {stderr}");
        assert!(stderr.contains("nothing was installed"), "{stderr}");
        assert_eq!(plugin_types(&server), before);
    };
    write_wasm_artifact(&layouts.path().join("image-config"), "x", "application/vnd.oci.image.config.v1+json", &wasm);
    let wrong_type = format!("{}/airlock/wrong:x", registry.host);
    skopeo_push(&layouts.path().join("image-config"), "x", &wrong_type, &password);
    refused(&wrong_type, "config media type is `application/vnd.oci.image.config.v1+json`");

    let mut huge = wasm.clone();
    huge.resize(17 << 20, 0);
    write_wasm_artifact(&layouts.path().join("huge"), "x", WASM_CONFIG, &huge);
    let oversized = format!("{}/airlock/huge:x", registry.host);
    skopeo_push(&layouts.path().join("huge"), "x", &oversized, &password);
    refused(&oversized, "servers accept at most");

    let tampered_wasm = variant(&wasm, "tampered");
    let tampered = format!("{}/airlock/tampered:x", registry.host);
    let tampered_file = server.data_dir.join("tampered.wasm");
    std::fs::write(&tampered_file, &tampered_wasm).unwrap();
    ok(&cli(&["plugin", "push", tampered_file.to_str().unwrap(), &tampered, "--plain-http"]), "push to tamper");
    let blob = registry.blob_file(&digest(&tampered_wasm));
    let mut bytes = std::fs::read(&blob).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();
    refused(&tampered, "digest");
}

/// A server that requires signed plugins refuses an unsigned component from a registry as it
/// refuses an unsigned upload.
#[test]
fn an_unsigned_component_from_a_registry_is_refused_where_signatures_are_required() {
    let password = format!("oci-pw2-{}", std::process::id());
    let registry = Registry::start(USER, &password);
    let data = tempfile::tempdir().unwrap().keep();
    let server =
        Server::start_with(StoreKind::Sqlite, data, vec![("AIRLOCK_REQUIRE_SIGNED_PLUGINS".into(), "true".into())]);
    docker_login(&server, &registry, &password);
    let file = server.data_dir.join("probe.wasm");
    std::fs::write(&file, probe_component()).unwrap();
    let tag = format!("{}/airlock/unsigned:1", registry.host);
    ok(&server.cli(ADMIN_TOKEN, &["plugin", "push", file.to_str().unwrap(), &tag, "--plain-http"]), "push");
    let failed = server.cli(ADMIN_TOKEN, &["plugin", "install", &tag, "--plain-http"]);
    let stderr = out(&failed).1;
    assert!(!failed.status.success() && stderr.contains("not signed"), "{stderr}");
    assert!(!plugin_types(&server).contains(&"probe".to_string()));
}
