//! Schemathesis (PyPI) fuzzes the served OpenAPI document against the real server on SQLite and
//! PostgreSQL with every check on: no server errors, no answer outside the document, no
//! schema-violating input accepted, no schema-valid input refused for a reason the document does
//! not allow (`tests/schemathesis.toml`). Bounded in examples and time.

use airlock_tests::require_tool;
use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, fresh_postgres_database};
use serde_json::json;
use std::path::Path;
use std::process::Command;

async fn fuzz(store: StoreKind) {
    let server = Server::start(store);
    // Loopback is denied to connectors here, so verifying the seed fails fast and cleanly.
    let seed = json!({"name": "seed", "connector_type": "docker", "verify": false,
        "configuration": {"username": "u", "password": "p", "registry": "https://127.0.0.1:1"}});
    assert_eq!(server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(seed)).await.0, 201);
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemathesis.toml");
    let output = Command::new(require_tool("st"))
        .arg("--config-file")
        .arg(&config)
        .args(["run", &format!("{}/api/v1/openapi.json", server.url), "--checks", "all"])
        .args(["-H", &format!("Authorization: Bearer {ADMIN_TOKEN}")])
        .args(["--max-examples", "20", "--max-time", "60", "--seed", "20261129", "--request-timeout", "20"])
        .args(["--no-color"])
        .env("SCHEMATHESIS_HOOKS", "")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("passed"), "control: test cases ran\n{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_holds_on_sqlite() {
    fuzz(StoreKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_holds_on_postgres() {
    fuzz(StoreKind::Postgres(fresh_postgres_database())).await;
}
