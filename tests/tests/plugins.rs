//! Plugin lifecycle through the CLI and API: an uploaded component waits for approval, its
//! manifest is shown, it is pinned by SHA-256, and signed components are verified against
//! trusted publisher keys.

use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, out};
use airlock_tests::{probe_component, sign_component as sign};
use serde_json::json;

#[tokio::test]
async fn an_uploaded_plugin_waits_for_approval_and_is_removable() {
    let server = Server::start(StoreKind::Sqlite);
    let file = server.data_dir.join("probe.wasm");
    std::fs::write(&file, probe_component()).unwrap();
    let installed = server.cli(ADMIN_TOKEN, &["plugin", "install", file.to_str().unwrap(), "-o", "json"]);
    let (stdout, stderr) = out(&installed);
    assert!(installed.status.success(), "{stderr}");
    let view: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (view["connector_type"].as_str(), view["approved"].as_bool(), view["signer"].as_str()),
        (Some("probe"), Some(false), None)
    );
    assert_eq!(view["auth_methods"], json!(["token", "plain"]));
    assert_eq!(view["sha256"].as_str().unwrap().len(), 64);

    let body =
        json!({"name": "p", "connector_type": "probe", "auth_method": "token", "verify": false, "configuration": {}});
    let (status, error) = server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(body.clone())).await;
    assert_eq!((status, error["error"]["code"].as_str()), (409, Some("conflict")), "{error}");
    let (_, types) = server.json(ADMIN_TOKEN, "GET", "/api/v1/connector-types", None).await;
    assert!(!types.to_string().contains("\"probe\""), "unapproved types are not offered");

    assert!(server.cli(ADMIN_TOKEN, &["plugin", "approve", "probe"]).status.success());
    assert_eq!(server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(body)).await.0, 201);
    // Replacing the component needs approval again before connectors of the type work.
    let replaced = server.cli(ADMIN_TOKEN, &["plugin", "install", "--replace", file.to_str().unwrap(), "-o", "json"]);
    assert!(replaced.status.success(), "{}", out(&replaced).1);
    let view: serde_json::Value = serde_json::from_str(&out(&replaced).0).unwrap();
    assert_eq!(view["approved"], false);
    let pending = view["pending_diff"].as_str().unwrap_or_default();
    assert!(pending.contains("manifest is unchanged"), "the change awaiting approval is shown: {view}");
    let (status, _) = server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors/p/verify", None).await;
    assert_eq!(status, 409, "an unapproved replacement is not run");
    assert!(server.cli(ADMIN_TOKEN, &["plugin", "approve", "probe"]).status.success());
    let (_, view) = server.json(ADMIN_TOKEN, "GET", "/api/v1/plugins/probe", None).await;
    assert_eq!(view["pending_diff"], serde_json::Value::Null, "approval accepts the change");
    let again = server.cli(ADMIN_TOKEN, &["plugin", "install", file.to_str().unwrap()]);
    assert!(out(&again).1.contains("already installed; replace it explicitly"), "{}", out(&again).1);
    let blocked = server.cli(ADMIN_TOKEN, &["plugin", "remove", "probe"]);
    assert!(out(&blocked).1.contains("1 connector(s) of type `probe` still exist"), "{}", out(&blocked).1);
    assert!(server.cli(ADMIN_TOKEN, &["connector", "delete", "p"]).status.success());
    assert!(server.cli(ADMIN_TOKEN, &["plugin", "remove", "probe"]).status.success());
    let (_, listed) = server.json(ADMIN_TOKEN, "GET", "/api/v1/plugins", None).await;
    assert_eq!(listed.as_array().unwrap().len(), airlock::builtin::BUILTIN.len(), "only the built-in plugins remain");
}

#[tokio::test]
async fn signatures_are_verified_against_trusted_publisher_keys() {
    let publisher = wasmsign2::KeyPair::generate();
    let stranger = wasmsign2::KeyPair::generate();
    let keys = tempfile::tempdir().unwrap();
    publisher.pk.to_file(keys.path().join("publisher.pub")).unwrap();
    let data = tempfile::tempdir().unwrap().keep();
    let server = Server::start_with(
        StoreKind::Sqlite,
        data,
        vec![("AIRLOCK_TRUSTED_KEYS".into(), keys.path().display().to_string())],
    );
    let upload = |bytes: Vec<u8>| async { server.call(ADMIN_TOKEN, "POST", "/api/v1/plugins", Some(bytes)).await };

    let signed = sign(&probe_component(), &publisher);
    let mut tampered = signed.clone();
    let at = tampered.len() - 100;
    tampered[at] ^= 0x01;
    let (status, body) = upload(tampered).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("does not verify against any trusted publisher key"), "{body}");
    let (status, body) = upload(sign(&probe_component(), &stranger)).await;
    assert_eq!(status, 400);
    assert!(body.contains("does not verify against any trusted publisher key"), "{body}");

    // The signature does not cover the 8-byte header: a signed file with a core module's
    // header is refused for its header, not left to the compiler to notice.
    let mut reheaded = signed.clone();
    reheaded[4..8].copy_from_slice(&[0x01, 0, 0, 0]);
    let (status, body) = upload(reheaded).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("header is not a WebAssembly component"), "{body}");

    let (status, body) = upload(signed.clone()).await;
    assert_eq!(status, 201, "{body}");
    let view: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(view["signer"].as_str().unwrap().len(), 16, "the signer's fingerprint is recorded");
    // The signed component runs unchanged.
    assert!(server.cli(ADMIN_TOKEN, &["plugin", "approve", "probe"]).status.success());
    let (_, spec) = server.json(ADMIN_TOKEN, "GET", "/api/v1/connector-types/probe", None).await;
    assert_eq!(spec["connector_type"], "probe");
}
