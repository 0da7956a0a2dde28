//! API and store correctness, on SQLite and PostgreSQL: no acknowledged update is lost under
//! concurrent edits (and `If-Match` makes them conditional), ids and names never stand for each
//! other, refused requests change nothing, bad text is a JSON 400 everywhere, every error is the
//! API's JSON error, early answers keep connections healthy, one user cannot starve another,
//! slow clients are cut off and a lease is not reused once it is too close to its expiry.

use airlock_tests::probe_component;
use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, fresh_postgres_database};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

airlock_tests::on_both_stores!(
    concurrent_edits_lose_nothing,
    ids_and_names_never_stand_for_each_other,
    refused_requests_change_nothing,
    bad_text_is_a_json_400_everywhere,
);

async fn user(server: &Server, name: &str, role: &str) -> String {
    let (status, body) =
        server.json(ADMIN_TOKEN, "POST", "/api/v1/users", Some(json!({"name": name, "role": role}))).await;
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().unwrap().to_string()
}

/// A docker connector on `registry` (an open one: issuing checks the registry first).
async fn register(server: &Server, token: &str, name: &str, registry: &str) -> Value {
    let body = json!({
        "name": name, "connector_type": "docker", "verify": false,
        "configuration": {"username": "u", "password": "first-password", "registry": registry},
    });
    let (status, created) = server.json(token, "POST", "/api/v1/connectors", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created["connector"].clone()
}

/// A PATCH with optional `If-Match`: (status, body, ETag).
async fn patch(server: &Server, name: &str, body: Value, if_match: Option<&str>) -> (u16, Value, Option<String>) {
    let mut request = reqwest::Client::new()
        .patch(format!("{}/api/v1/connectors/{name}", server.url))
        .bearer_auth(ADMIN_TOKEN)
        .json(&body);
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let etag = response.headers().get("etag").map(|v| v.to_str().unwrap().to_string());
    (status, response.json().await.unwrap_or(Value::Null), etag)
}

async fn concurrent_edits_lose_nothing(store: StoreKind) {
    let registry = airlock_tests::registry::Registry::open();
    let server = Arc::new(Server::start(store));
    register(&server, ADMIN_TOKEN, "edited", &registry.url()).await;

    // Disjoint fields, all at once: a label each, the description and a password rotation.
    let mut edits: Vec<Value> = (0..10).map(|i| json!({"labels": {format!("k{i}"): format!("v{i}")}})).collect();
    edits.push(json!({"description": "edited concurrently"}));
    edits.push(json!({"configuration": {"password": "rotated-password"}}));
    let tasks: Vec<_> = edits
        .into_iter()
        .map(|mut edit| {
            let server = server.clone();
            edit["verify"] = json!(false);
            tokio::spawn(async move { patch(&server, "edited", edit, None).await.0 })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let (_, view) = server.json(ADMIN_TOKEN, "GET", "/api/v1/connectors/edited", None).await;
    for i in 0..10 {
        assert_eq!(view["labels"][format!("k{i}")], format!("v{i}"), "label k{i} was lost: {view}");
    }
    assert_eq!(view["description"], "edited concurrently");
    assert_eq!(view["version"], 13, "twelve acknowledged updates after the registration");
    let (status, issued) = server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors/edited/client", Some(json!({}))).await;
    assert_eq!(status, 200, "{issued}");
    assert!(issued.to_string().contains("rotated-password"), "the password rotation survived: {issued}");

    // The same field with If-Match: exactly one writer wins, the others get 412.
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/connectors/edited", server.url))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(etag, "\"13\"");
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let (server, etag) = (server.clone(), etag.clone());
            tokio::spawn(async move {
                patch(&server, "edited", json!({"description": format!("writer {i}"), "verify": false}), Some(&etag))
                    .await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        let (status, body, new_etag) = task.await.unwrap();
        if status == 200 {
            assert_eq!(new_etag.as_deref(), Some("\"14\""));
        } else {
            assert_eq!(body["error"]["code"], "precondition-failed", "{body}");
        }
        statuses.push(status);
    }
    statuses.sort();
    assert_eq!(statuses, vec![200, 412, 412, 412, 412, 412]);
}

async fn ids_and_names_never_stand_for_each_other(store: StoreKind) {
    let registry = airlock_tests::registry::Registry::open();
    let server = Server::start(store);
    let alice = user(&server, "alice", "member").await;
    let mallory = user(&server, "mallory", "member").await;
    let target = register(&server, &alice, "alices", &registry.url()).await;
    let target_id = target["id"].as_str().unwrap();
    register(&server, &mallory, "mallorys", &registry.url()).await;

    // A name in the form of an id is refused on register and on rename.
    let body = json!({"name": target_id, "connector_type": "docker", "verify": false,
        "configuration": {"username": "u", "password": "p"}});
    let (status, error) = server.json(&mallory, "POST", "/api/v1/connectors", Some(body)).await;
    assert_eq!((status, error["error"]["code"].as_str()), (400, Some("invalid-request")), "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("has the form of an id"), "{error}");
    let rename = json!({"name": target_id, "verify": false});
    let (status, error) = server.json(&mallory, "PATCH", "/api/v1/connectors/mallorys", Some(rename)).await;
    assert_eq!(status, 400, "{error}");

    // Lookups by id find the id's connector, for its owner and for an admin.
    for token in [&alice, ADMIN_TOKEN] {
        let (status, view) = server.json(token, "GET", &format!("/api/v1/connectors/{target_id}"), None).await;
        assert_eq!((status, view["name"].as_str()), (200, Some("alices")), "{view}");
    }
    let (status, error) = server.json(ADMIN_TOKEN, "GET", "/api/v1/connectors/no-such-name", None).await;
    assert_eq!(status, 404);
    assert!(error["error"]["message"].as_str().unwrap().contains("no connector named `no-such-name`"), "{error}");
    let unknown_id = "0190f5a0-1234-7abc-8def-0123456789ab";
    let (_, error) = server.json(ADMIN_TOKEN, "GET", &format!("/api/v1/connectors/{unknown_id}"), None).await;
    assert!(error["error"]["message"].as_str().unwrap().contains("no connector with the id"), "{error}");

    // A taken name is refused without saying whose it is.
    let body = json!({"name": "alices", "connector_type": "docker", "verify": false,
        "configuration": {"username": "u", "password": "p"}});
    let (status, error) = server.json(&mallory, "POST", "/api/v1/connectors", Some(body)).await;
    assert_eq!(status, 409);
    assert_eq!(error["error"]["message"], "the connector name `alices` is not available; choose another");

    // Users are addressed by id or by name; user names cannot look like ids either.
    let (status, _) =
        server.json(ADMIN_TOKEN, "POST", "/api/v1/users", Some(json!({"name": unknown_id, "role": "member"}))).await;
    assert_eq!(status, 400);
    user(&server, "bob", "consumer").await;
    let (_, users) = server.json(ADMIN_TOKEN, "GET", "/api/v1/users", None).await;
    let bob_id =
        users.as_array().unwrap().iter().find(|u| u["name"] == "bob").unwrap()["id"].as_str().unwrap().to_string();
    assert_eq!(server.json(ADMIN_TOKEN, "DELETE", &format!("/api/v1/users/{bob_id}"), None).await.0, 204);
    assert_eq!(server.json(ADMIN_TOKEN, "DELETE", "/api/v1/users/bob", None).await.0, 404);

    // Bearer is case-insensitive.
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/connectors", server.url))
        .header("authorization", format!("bearer {alice}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

async fn refused_requests_change_nothing(store: StoreKind) {
    let registry = airlock_tests::registry::Registry::open();
    let server = Server::start(store);
    let (_, before) = server.json(ADMIN_TOKEN, "GET", "/api/v1/plugins/docker", None).await;
    let response = reqwest::Client::new()
        .put(format!("{}/api/v1/plugins/docker", server.url))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/wasm")
        .body(probe_component())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert!(error["error"]["message"].as_str().unwrap().contains("is of type `probe`, not `docker`"), "{error}");
    let (_, after) = server.json(ADMIN_TOKEN, "GET", "/api/v1/plugins/docker", None).await;
    assert_eq!(
        (&after["sha256"], &after["approved"]),
        (&before["sha256"], &json!(true)),
        "the docker plugin is untouched"
    );
    let (_, probe) = server.json(ADMIN_TOKEN, "GET", "/api/v1/plugins/probe", None).await;
    assert_eq!(probe["error"]["code"], "not-found");

    // A refused update leaves the connector as it was.
    register(&server, ADMIN_TOKEN, "kept", &registry.url()).await;
    let (_, before) = server.json(ADMIN_TOKEN, "GET", "/api/v1/connectors/kept", None).await;
    let bad = json!({"description": "changed", "labels": {"bad key!": "x"}, "verify": false});
    assert_eq!(server.json(ADMIN_TOKEN, "PATCH", "/api/v1/connectors/kept", Some(bad)).await.0, 400);
    let (_, after) = server.json(ADMIN_TOKEN, "GET", "/api/v1/connectors/kept", None).await;
    assert_eq!(before, after);
}

async fn bad_text_is_a_json_400_everywhere(store: StoreKind) {
    let registry = airlock_tests::registry::Registry::open();
    let server = Server::start(store);
    register(&server, ADMIN_TOKEN, "textual", &registry.url()).await;
    let docker = |extra: Value| {
        let mut body = json!({"name": "t", "connector_type": "docker", "verify": false,
            "configuration": {"username": "u", "password": "p"}});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases: Vec<(&str, String, Value)> = vec![
        ("POST", "/api/v1/connectors".into(), docker(json!({"description": "nul\u{0}here"}))),
        ("POST", "/api/v1/connectors".into(), docker(json!({"connector_type": "dock\u{0}er"}))),
        ("POST", "/api/v1/connectors".into(), docker(json!({"name": "."}))),
        ("POST", "/api/v1/connectors".into(), docker(json!({"labels": {"k": "v\u{0}"}}))),
        (
            "POST",
            "/api/v1/connectors".into(),
            docker(json!({"configuration": {"username": "u\u{0}", "password": "p"}})),
        ),
        ("POST", "/api/v1/connectors".into(), docker(json!({"resource_id": "registry.example.com\n"}))),
        ("PATCH", "/api/v1/connectors/textual".into(), json!({"description": "bad\u{0}", "verify": false})),
        ("POST", "/api/v1/connectors/textual/client".into(), json!({"resource_id": "a\u{0}b"})),
        ("POST", "/api/v1/tokens".into(), json!({"name": "tok\u{0}en"})),
        ("POST", "/api/v1/users".into(), json!({"name": "us\u{0}er", "role": "member"})),
    ];
    for (method, path, body) in cases {
        let (status, error) = server.json(ADMIN_TOKEN, method, &path, Some(body.clone())).await;
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (400, Some("invalid-request")),
            "{method} {path} {body}: {error}"
        );
    }
    for path in [
        "/api/v1/connectors/a%00b",
        "/api/v1/connectors/%FF",
        "/api/v1/connectors/%FF/verify",
        "/api/v1/plugins/%00",
        "/api/v1/connector-types/%FF%FE",
        "/api/v1/leases/%00",
        "/api/v1/users/%00",
        "/api/v1/tokens/%FF",
    ] {
        for method in ["GET", "DELETE", "POST"] {
            let (status, text) = server.call(ADMIN_TOKEN, method, path, None).await;
            let error: Value =
                serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {path}: not JSON: {text}"));
            assert!(matches!(status, 400 | 404 | 405), "{method} {path}: {status} {text}");
            assert!(error["error"]["code"].is_string(), "{method} {path}: {text}");
        }
    }
    // Query parameters too: PostgreSQL cannot even compare text with a NUL in it.
    for path in [
        "/api/v1/connectors?owner=a%00b",
        "/api/v1/connectors?name=%00&connector_type=aws",
        "/api/v1/resources?resource_type=%07",
        "/api/v1/audit?limit=1&x=%00",
    ] {
        let (status, error) = server.json(ADMIN_TOKEN, "GET", path, None).await;
        assert_eq!((status, error["error"]["code"].as_str()), (400, Some("invalid-request")), "{path}: {error}");
    }
    let (_, list) = server.json(ADMIN_TOKEN, "GET", "/api/v1/connectors", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "nothing was written: {list}");
}

#[tokio::test]
async fn every_error_is_the_api_json_error() {
    let server = Server::start(StoreKind::Sqlite);
    let client = reqwest::Client::new();
    let checks: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (client.delete(format!("{}/api/v1/connector-types", server.url)), 405, "method-not-allowed"),
        (client.get(format!("{}/api/v1/nowhere", server.url)), 404, "not-found"),
        (client.get(format!("{}/nowhere", server.url)), 404, "not-found"),
        (client.post(format!("{}/api/v1/plugins", server.url)).body(vec![0u8; 17 << 20]), 413, "payload-too-large"),
        (
            client
                .post(format!("{}/api/v1/connectors", server.url))
                .header("content-type", "application/json")
                .body(vec![b' '; 65 << 10]),
            413,
            "payload-too-large",
        ),
        (client.post(format!("{}/api/v1/connectors", server.url)).body("{}"), 415, "unsupported-media-type"),
        (client.get(format!("{}/api/v1/connectors/%FF", server.url)), 400, "invalid-request"),
    ];
    for (request, status, code) in checks {
        let response = request.bearer_auth(ADMIN_TOKEN).send().await.unwrap();
        assert_eq!(response.status().as_u16(), status);
        let text = response.text().await.unwrap();
        let error: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
        assert_eq!(error["error"]["code"], code, "{text}");
    }
}

/// An answer sent before the request body was read closes the connection, so the body that
/// arrives late is not read as the next request.
#[tokio::test]
async fn early_answers_close_the_connection() {
    let server = Server::start(StoreKind::Sqlite);
    let addr = server.url.trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let head =
        "POST /api/v1/connectors HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 401"), "{answer}");
    assert!(answer.contains("connection: close"), "{answer}");
    // Control: a well-formed request keeps its connection alive for the next one.
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let response =
            client.get(format!("{}/api/v1/connectors", server.url)).bearer_auth(ADMIN_TOKEN).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers().get("connection").is_none());
    }
    // The late body and a second request on the closed connection get no answer.
    let _ = stream.write_all(b"{}GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n");
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"), "the late body was not parsed as a request");
}

/// A member flooding the sandbox with calls to a host that never answers gets 429s beyond
/// their share; another member's fresh issuance stays fast.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_cannot_starve_the_others() {
    let registry = airlock_tests::registry::Registry::open();
    let hole = airlock_tests::black_hole().await;
    let env = vec![("AIRLOCK_CALL_WALL_TIME".to_string(), "4".to_string())];
    let server = Arc::new(Server::start_with(StoreKind::Sqlite, tempfile::tempdir().unwrap().keep(), env));
    let flooder = user(&server, "flooder", "member").await;
    let victim = user(&server, "victim", "member").await;
    let body = json!({"name": "hole", "connector_type": "docker", "verify": false,
        "configuration": {"username": "u", "password": "p", "registry": hole}});
    assert_eq!(server.json(&flooder, "POST", "/api/v1/connectors", Some(body)).await.0, 201);
    register(&server, &victim, "mine", &registry.url()).await;

    let flood: Vec<_> = (0..60)
        .map(|_| {
            let (server, token) = (server.clone(), flooder.clone());
            tokio::spawn(async move {
                let response = reqwest::Client::new()
                    .post(format!("{}/api/v1/connectors/hole/verify", server.url))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                (response.status().as_u16(), response.headers().get("retry-after").is_some())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut latencies = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let (status, issued) =
            server.json(&victim, "POST", "/api/v1/connectors/mine/client", Some(json!({"reuse": false}))).await;
        latencies.push(started.elapsed());
        assert_eq!(status, 200, "{issued}");
    }
    latencies.sort();
    let p99 = latencies[latencies.len() - 1];
    assert!(p99 < Duration::from_secs(1), "the victim's issuance p99 was {p99:?} during the flood");
    let mut refused = 0;
    for call in flood {
        let (status, retry_after) = call.await.unwrap();
        if status == 429 {
            refused += 1;
            assert!(retry_after, "a 429 says when to retry");
        }
    }
    assert!(refused >= 60 - 16, "only 16 of the flood ran at once ({refused} refused)");
}

/// A client that stalls in its headers or its body is cut off.
#[tokio::test]
async fn slow_clients_are_timed_out() {
    let server = Server::start(StoreKind::Sqlite);
    let addr = server.url.trim_start_matches("http://").to_string();
    let started = Instant::now();
    let stalled = |first: &'static [u8]| {
        let addr = addr.clone();
        std::thread::spawn(move || {
            let mut stream = std::net::TcpStream::connect(&addr).unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            stream.write_all(first).unwrap();
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer);
            String::from_utf8_lossy(&answer).into_owned()
        })
    };
    let in_headers = stalled(b"GET /api/v1/connectors HTTP/1.1\r\nhost: x\r\n");
    let in_body = stalled(
        format!(
            "POST /api/v1/connectors HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {ADMIN_TOKEN}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"name\""
        )
        .leak()
        .as_bytes(),
    );
    let headers_answer = in_headers.join().unwrap();
    let body_answer = in_body.join().unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(25), "stalled clients were held {took:?}");
    assert!(headers_answer.is_empty() || headers_answer.contains("408"), "{headers_answer}");
    assert!(!body_answer.contains("201"), "{body_answer}");
}

/// Two replicas on one PostgreSQL database edit one connector at once: the version check
/// catches the other replica's update and every acknowledged edit survives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_edits_on_two_replicas_lose_nothing() {
    let registry = airlock_tests::registry::Registry::open();
    let database = fresh_postgres_database();
    let env = vec![("AIRLOCK_MASTER_KEY".to_string(), "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".to_string())];
    let a = Arc::new(Server::start_with(
        StoreKind::Postgres(database.clone()),
        tempfile::tempdir().unwrap().keep(),
        env.clone(),
    ));
    let b = Arc::new(Server::start_with(StoreKind::Postgres(database), tempfile::tempdir().unwrap().keep(), env));
    register(&a, ADMIN_TOKEN, "shared-edit", &registry.url()).await;
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let server = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                let edit = json!({"labels": {format!("k{i}"): "v"}, "verify": false});
                patch(&server, "shared-edit", edit, None).await.0
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let (_, view) = b.json(ADMIN_TOKEN, "GET", "/api/v1/connectors/shared-edit", None).await;
    assert_eq!(view["labels"].as_object().unwrap().len(), 12, "{view}");
    assert_eq!(view["version"], 13);
}

/// One connector's calls are capped too: a shared connector everyone hammers answers 429 beyond
/// its share, and the users' other connectors keep working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connector_cannot_take_every_slot() {
    let registry = airlock_tests::registry::Registry::open();
    let hole = airlock_tests::black_hole().await;
    let env = vec![
        ("AIRLOCK_CALL_WALL_TIME".to_string(), "3".to_string()),
        ("AIRLOCK_CALLS_PER_CONNECTOR".to_string(), "2".to_string()),
    ];
    let server = Arc::new(Server::start_with(StoreKind::Sqlite, tempfile::tempdir().unwrap().keep(), env));
    let body = json!({"name": "shared-hole", "connector_type": "docker", "verify": false, "shared": true,
        "configuration": {"username": "u", "password": "p", "registry": hole}});
    assert_eq!(server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(body)).await.0, 201);
    register(&server, ADMIN_TOKEN, "other", &registry.url()).await;
    let users = [user(&server, "u1", "member").await, user(&server, "u2", "member").await];
    let calls: Vec<_> = (0..6)
        .map(|i| {
            let (server, token) = (server.clone(), users[i % 2].clone());
            tokio::spawn(
                async move { server.json(&token, "GET", "/api/v1/connectors/shared-hole/resources", None).await },
            )
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, _) =
        server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors/other/client", Some(json!({"reuse": false}))).await;
    assert_eq!(status, 200, "another connector is not affected");
    let mut refused = 0;
    for call in calls {
        let (status, body) = call.await.unwrap();
        if status == 429 {
            refused += 1;
            assert!(body["error"]["message"].as_str().unwrap().contains("this connector already has 2"), "{body}");
        }
    }
    assert_eq!(refused, 4, "two calls ran, four were refused");
}

/// A lease is reused only while it stays valid for the reuse margin (300 s): a credential
/// capped by its connector's expiry (330 s away, no skew tolerance) is reused at once, and
/// minted afresh once fewer than 300 s remain — never handed out again past that point.
#[tokio::test]
async fn a_lease_is_not_reused_past_its_expiry() {
    use airlock::store::now;
    let password = format!("lease-pw-{}", std::process::id());
    let registry = airlock_tests::registry::Registry::start("u", &password);
    let server = Server::start(StoreKind::Sqlite);
    let expires_at = now() + 330;
    let body = json!({"name": "short", "connector_type": "docker", "expires_at": expires_at,
        "expires_skew_tolerance": 0,
        "configuration": {"username": "u", "password": password, "registry": registry.url()}});
    let (status, answer) = server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(body)).await;
    assert_eq!(status, 201, "{answer}");
    let issue = || server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors/short/client", Some(json!({})));
    let (status, first) = issue().await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (first["reused"].as_bool(), first["credential"]["expires_at"].as_i64()),
        (Some(false), Some(expires_at))
    );
    let (_, second) = issue().await;
    assert_eq!((second["reused"].as_bool(), &second["lease_id"]), (Some(true), &first["lease_id"]), "{second}");
    tokio::time::sleep(Duration::from_secs((expires_at - 300 - now()).max(0) as u64 + 1)).await;
    let (status, third) = issue().await;
    assert_eq!(status, 200, "{third}");
    assert_eq!(third["reused"].as_bool(), Some(false), "{third}");
    assert_ne!(third["lease_id"], first["lease_id"]);
}
