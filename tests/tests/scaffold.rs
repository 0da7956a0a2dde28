//! `airlock plugin new` end to end: the crate it writes, outside this workspace, passes its own
//! tests on the SDK's test kit, builds into a component, installs and is approved on a running
//! server, and a connector of the new type verifies against a fake API.

use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, out};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use std::path::Path;
use std::process::Command;

const TOKEN: &str = "scaffold-api-token-0123456789";

/// `cargo <args>` in `dir` with a clean environment for a crate of its own.
fn cargo(dir: &Path, target_dir: &Path, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(dir).args(args).env("CARGO_TARGET_DIR", target_dir);
    // The outer `cargo test`'s settings are for this workspace, not the new crate.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if (key.starts_with("CARGO_") && key != "CARGO_HOME") || key.starts_with("RUSTC") || key == "RUSTFLAGS" {
            command.env_remove(&key);
        }
    }
    command.env("CARGO_TARGET_DIR", target_dir);
    command.output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scaffolded_connector_tests_builds_installs_and_verifies() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let outside = tempfile::tempdir().unwrap();
    let crate_dir = outside.path().join("demo-api");
    let server = Server::start(StoreKind::Sqlite);
    let created = server.cli(
        ADMIN_TOKEN,
        &[
            "plugin",
            "new",
            "demo-api",
            "--path",
            crate_dir.to_str().unwrap(),
            "--sdk-path",
            workspace.join("sdk").to_str().unwrap(),
        ],
    );
    assert!(created.status.success(), "{}", out(&created).1);
    let again = server.cli(ADMIN_TOKEN, &["plugin", "new", "demo-api", "--path", crate_dir.to_str().unwrap()]);
    assert!(!again.status.success() && out(&again).1.contains("already exists"));

    // Its own tests run natively against the test kit; then the component builds.
    let target_dir = workspace.join("target/scaffold");
    let tested = cargo(&crate_dir, &target_dir, &["test", "--quiet"]);
    let report = String::from_utf8_lossy(&tested.stdout);
    assert!(tested.status.success(), "cargo test: {report}\n{}", String::from_utf8_lossy(&tested.stderr));
    assert!(report.contains("3 passed"), "{report}");
    let built = cargo(&crate_dir, &target_dir, &["build", "--release", "--target", "wasm32-wasip2"]);
    assert!(built.status.success(), "cargo build: {}", String::from_utf8_lossy(&built.stderr));
    let component = target_dir.join("wasm32-wasip2/release/demo_api.wasm");

    // Installed, approved, and a connector of the new type verifies against a fake API that
    // checks the bearer token.
    let api = axum::Router::new().route(
        "/whoami",
        get(|headers: HeaderMap| async move {
            match headers.get("authorization").and_then(|v| v.to_str().ok()) {
                Some(value) if value == format!("Bearer {TOKEN}") => (StatusCode::OK, "{\"user\":\"ci\"}"),
                _ => (StatusCode::UNAUTHORIZED, "{}"),
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, api).await.unwrap() });
    let installed = server.cli(ADMIN_TOKEN, &["plugin", "install", component.to_str().unwrap()]);
    assert!(installed.status.success(), "{}", out(&installed).1);
    assert!(server.cli(ADMIN_TOKEN, &["plugin", "approve", "demo-api"]).status.success());
    let register = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "register",
            "demo",
            "-t",
            "demo-api",
            &format!("--endpoint={endpoint}"),
            &format!("--token={TOKEN}"),
        ],
    );
    assert!(register.status.success(), "{}", out(&register).1);
    assert!(out(&register).0.contains(&endpoint), "{}", out(&register).0);
    let wrong = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "register",
            "demo-bad",
            "-t",
            "demo-api",
            &format!("--endpoint={endpoint}"),
            "--token=not-the-token",
        ],
    );
    assert!(!wrong.status.success() && out(&wrong).1.contains("[unauthorized]"), "{}", out(&wrong).1);
}
