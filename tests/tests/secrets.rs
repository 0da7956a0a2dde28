//! Secrets never leak, and bad input is refused cleanly.
//!
//! The canary test registers connectors with unique canary secrets, runs every verb (failing
//! ones too), then searches the server log, every API response other than issued credentials,
//! the audit log and every file in the data directory (the raw SQLite database and its WAL
//! included) for the canaries.

use airlock_tests::fixture_server::FixtureServer;
use airlock_tests::registry::Registry;
use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind};
use serde_json::json;

#[tokio::test]
async fn canary_secrets_appear_nowhere_but_in_issued_credentials() {
    let id = std::process::id();
    let canary = format!("CANARY-good-{id}-7c1f");
    let wrong = format!("CANARY-wrong-{id}-9a2b");
    let in_bad_input = format!("CANARY-input-{id}-4d3e");
    let aws_key_id = format!("AKIACANARY{id:010}");
    let aws_secret = format!("CANARY-aws-secret-{id}-5e6f");
    let aws_token = format!("CANARY-aws-token-{id}-8a9b");
    let fixture = FixtureServer::start().await;
    let registry = Registry::start("alice", &canary);
    let server = Server::start(StoreKind::Sqlite);
    let config = |password: &str| json!({"username": "alice", "password": password, "registry": registry.url()});
    let mut responses: Vec<String> = Vec::new();
    let mut call = async |method: &str, path: &str, body: Option<serde_json::Value>| {
        let (status, text) = server.call(ADMIN_TOKEN, method, path, body.map(|b| b.to_string().into_bytes())).await;
        responses.push(text.clone());
        (status, text)
    };

    let (status, _) = call(
        "POST",
        "/api/v1/connectors",
        Some(json!({"name": "good", "connector_type": "docker", "configuration": config(&canary)})),
    )
    .await;
    assert_eq!(status, 201);
    // An AWS connector: the host SigV4-signs with its keys and session token, where a signing
    // library's trace output would show them (the server logs at trace).
    let aws = json!({"name": "aws", "connector_type": "aws", "auth_method": "sts-token", "verify": false, "configuration": {
        "aws_access_key_id": aws_key_id, "aws_secret_access_key": aws_secret, "aws_session_token": aws_token,
        "region": "us-east-1", "endpoint_url": fixture.url("")}});
    assert_eq!(call("POST", "/api/v1/connectors", Some(aws)).await.0, 201);
    assert!(call("POST", "/api/v1/connectors/aws/verify", None).await.0 >= 400, "the fixture is no STS");
    assert_eq!(
        call(
            "POST",
            "/api/v1/connectors",
            Some(json!({"name": "bad", "connector_type": "docker", "configuration": config(&wrong)}))
        )
        .await
        .0,
        422
    );
    assert_eq!(
        call(
            "POST",
            "/api/v1/connectors/verify",
            Some(json!({"name": "x", "connector_type": "docker", "configuration": config(&wrong)}))
        )
        .await
        .0,
        422
    );
    assert_eq!(call("POST", "/api/v1/connectors", Some(json!({"name": "unverified", "connector_type": "docker", "verify": false, "configuration": config(&wrong)}))).await.0, 201);
    for path in [
        "/api/v1/connectors",
        "/api/v1/connectors/good",
        "/api/v1/connectors/unverified",
        "/api/v1/resources",
        "/api/v1/connectors/good/resources",
        "/api/v1/leases",
    ] {
        assert_eq!(call("GET", path, None).await.0, 200, "{path}");
    }
    assert_eq!(call("POST", "/api/v1/connectors/good/verify", None).await.0, 200);
    assert_eq!(call("POST", "/api/v1/connectors/unverified/verify", None).await.0, 422);
    // Bad input carrying secret-looking values: errors must not echo them.
    let bad_inputs = [
        json!({"name": "b1", "connector_type": "docker", "configuration": {"username": "a", "password": "p", "colour": in_bad_input}}),
        json!({"name": "b2", "connector_type": "docker", "configuration": {"username": "a", "password": "p", "registry": format!("ht!tp://{in_bad_input}")}}),
        json!({"name": "b3", "connector_type": "docker", "configuration": {"username": "a", "password": {"nested": in_bad_input}}}),
        json!({"name": "b4", "connector_type": "docker", "configuration": {"username": "a", "password": 12}, "expiration_seconds": in_bad_input}),
    ];
    for body in bad_inputs {
        let (status, _) = call("POST", "/api/v1/connectors", Some(body)).await;
        assert_eq!(status, 400);
    }
    assert_eq!(
        call("PATCH", "/api/v1/connectors/good", Some(json!({"configuration": {"password": wrong}}))).await.0,
        422
    );
    assert_eq!(call("PATCH", "/api/v1/connectors/good", Some(json!({"description": "still good"}))).await.0, 200);

    // The issued credential does carry the secret: that is its purpose.
    let (status, issued) =
        server.call(ADMIN_TOKEN, "POST", "/api/v1/connectors/good/client", Some(b"{}".to_vec())).await;
    assert_eq!(status, 200);
    assert!(issued.contains(&canary), "control: the canary is findable where it belongs");
    let (_, reused) = server.call(ADMIN_TOKEN, "POST", "/api/v1/connectors/good/client", Some(b"{}".to_vec())).await;
    assert!(reused.contains(&canary) && reused.contains("\"reused\":true"));
    assert_eq!(call("GET", "/api/v1/audit?limit=1000", None).await.0, 200);
    assert_eq!(call("DELETE", "/api/v1/connectors/unverified", None).await.0, 204);

    let canaries = [&canary, &wrong, &in_bad_input, &aws_key_id, &aws_secret, &aws_token];
    for (i, body) in responses.iter().enumerate() {
        for c in canaries {
            assert!(!body.contains(c.as_str()), "API response #{i} contains a canary: {body}");
        }
    }
    let log = server.log_text();
    assert!(log.contains("airlock listening"), "control: the log was captured");
    assert!(log.contains("TRACE"), "control: the server logged at trace");
    for c in canaries {
        assert!(!log.contains(c.as_str()), "the server log contains a canary");
    }
    let mut files = Vec::new();
    let mut stack = vec![server.data_dir.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() { stack.push(path) } else { files.push(path) }
        }
    }
    assert!(files.iter().any(|f| f.ends_with("airlock.db")), "control: the database file is searched");
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        for c in canaries {
            assert!(
                !bytes.windows(c.len()).any(|w| w == c.as_bytes()),
                "{} contains a canary in clear",
                file.display()
            );
        }
    }
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_writes_nothing() {
    let server = Server::start(StoreKind::Sqlite);
    let register = |body: serde_json::Value| body.to_string().into_bytes();
    let good = json!({"name": "ok", "connector_type": "docker", "verify": false, "configuration": {"username": "a", "password": "p"}});
    let with = |patch: serde_json::Value| {
        let mut body = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str, &str)> = vec![
        ("malformed JSON", b"{\"name\": ".to_vec(), 400, "invalid-request", "EOF while parsing"),
        ("unknown field", register(with(json!({"colour": "blue"}))), 400, "invalid-request", "unknown field `colour`"),
        (
            "unknown type",
            register(with(json!({"connector_type": "nope"}))),
            404,
            "not-found",
            "no connector type `nope`",
        ),
        (
            "unknown auth method",
            register(with(json!({"auth_method": "oauth"}))),
            400,
            "invalid-config",
            "has no auth method `oauth`",
        ),
        (
            "unknown attribute",
            register(with(json!({"configuration": {"username": "a", "password": "p", "colour": "x"}}))),
            400,
            "invalid-config",
            "has no attribute `colour`",
        ),
        (
            "missing attribute",
            register(with(json!({"configuration": {"username": "a"}}))),
            400,
            "invalid-config",
            "required attribute `password` is missing",
        ),
        (
            "invalid resource id",
            register(with(json!({"resource_type": "docker-registry", "resource_id": "ftp://x"}))),
            400,
            "invalid-config",
            "unsupported scheme `ftp`",
        ),
        (
            "unknown resource type",
            register(with(json!({"resource_type": "s3-bucket"}))),
            400,
            "invalid-request",
            "no resource type `s3-bucket`",
        ),
        (
            "bad name",
            register(with(json!({"name": "no spaces allowed"}))),
            400,
            "invalid-request",
            "not a valid connector name",
        ),
        (
            "expiration not supported",
            register(with(json!({"expiration_seconds": 900}))),
            400,
            "invalid-request",
            "issues no temporary credentials",
        ),
        ("expired", register(with(json!({"expires_at": 1000}))), 400, "invalid-request", "is in the past"),
        (
            "oversized body",
            register(with(json!({"description": "x".repeat(100 << 10)}))),
            413,
            "payload-too-large",
            "length limit exceeded",
        ),
    ];
    for (what, body, status, code, message) in cases {
        let (got, text) = server.call(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(body)).await;
        let error: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{what}: not JSON: {text}"));
        assert_eq!((got, error["error"]["code"].as_str().unwrap()), (status, code), "{what}: {text}");
        assert!(error["error"]["message"].as_str().unwrap().contains(message), "{what}: {text}");
    }
    let (status, body) =
        server.call(ADMIN_TOKEN, "POST", "/api/v1/plugins", Some(b"\0asm\x01\0\0\0 corrupt".to_vec())).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("invalid-plugin") && body.contains("not a valid WebAssembly component"), "{body}");
    let (status, body) = server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors/nope/client", Some(json!({}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not-found")));
    let (status, body) = server.json(ADMIN_TOKEN, "GET", "/api/v1/nowhere", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not-found")));
    let (status, body) = server.json(ADMIN_TOKEN, "GET", "/api/v1/connectors?colour=blue", None).await;
    assert_eq!(status, 200, "unknown list filters are ignored: {body}");

    // A connector whose own credentials expire (within the skew tolerance) stops issuing.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let expiring = with(json!({"name": "expiring", "expires_at": now + 60, "expires_skew_tolerance": 120}));
    assert_eq!(server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(expiring)).await.0, 201);
    let (status, body) = server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors/expiring/client", Some(json!({}))).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("has expired"), "{body}");
    assert_eq!(server.json(ADMIN_TOKEN, "DELETE", "/api/v1/connectors/expiring", None).await.0, 204);

    // Nothing was half-written.
    let (_, connectors) = server.json(ADMIN_TOKEN, "GET", "/api/v1/connectors", None).await;
    assert_eq!(connectors, json!([]));
    let (_, plugins) = server.json(ADMIN_TOKEN, "GET", "/api/v1/plugins", None).await;
    assert_eq!(plugins.as_array().unwrap().len(), airlock::builtin::BUILTIN.len(), "no plugin was half-installed");
    // And the server still works.
    let (status, _) = server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(good)).await;
    assert_eq!(status, 201);
}
