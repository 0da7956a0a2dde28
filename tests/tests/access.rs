//! Every role tries every verb on others' private and shared connectors; only the allowed ones
//! succeed. Connectors are registered without verification (access control, not upstreams, is
//! under test here).

use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind};
use serde_json::{Value, json};

async fn user(server: &Server, name: &str, role: &str) -> String {
    let (status, body) =
        server.json(ADMIN_TOKEN, "POST", "/api/v1/users", Some(json!({"name": name, "role": role}))).await;
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().unwrap().to_string()
}

/// A docker connector on `registry` (an open one: issuing checks the registry first).
async fn register(server: &Server, token: &str, name: &str, shared: bool, registry: &str) -> u16 {
    let body = json!({
        "name": name, "connector_type": "docker", "shared": shared, "verify": false,
        "configuration": {"username": "u", "password": "p-secret", "registry": registry},
    });
    server.json(token, "POST", "/api/v1/connectors", Some(body)).await.0
}

/// (verb, method, path template, body).
fn verbs() -> Vec<(&'static str, &'static str, &'static str, Option<Value>)> {
    vec![
        ("describe", "GET", "/api/v1/connectors/{c}", None),
        ("verify", "POST", "/api/v1/connectors/{c}/verify", None),
        ("resources", "GET", "/api/v1/connectors/{c}/resources", None),
        ("issue", "POST", "/api/v1/connectors/{c}/client", Some(json!({}))),
        ("update", "PATCH", "/api/v1/connectors/{c}", Some(json!({"description": "changed", "verify": false}))),
        ("delete", "DELETE", "/api/v1/connectors/{c}", None),
    ]
}

/// Whether `role` may do `verb` on a connector it does not own that is `shared` or not.
fn allowed(role: &str, verb: &str, shared: bool) -> bool {
    match role {
        "admin" => true,
        "member" => shared && matches!(verb, "describe" | "verify" | "resources" | "issue"),
        "consumer" => shared && matches!(verb, "describe" | "issue"),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn each_role_may_do_exactly_what_it_is_allowed() {
    let server = Server::start(StoreKind::Sqlite);
    let registry = airlock_tests::registry::Registry::open();
    let registry = registry.url();
    let owner = user(&server, "owner", "member").await;
    let tokens = [
        ("admin", ADMIN_TOKEN.to_string()),
        ("member", user(&server, "other-member", "member").await),
        ("consumer", user(&server, "consumer", "consumer").await),
    ];

    for (role, token) in &tokens {
        for shared in [false, true] {
            for (verb, method, path, body) in verbs() {
                // A fresh connector per attempt, so deletes and updates do not interfere.
                let name = format!("c-{role}-{verb}-{shared}");
                assert_eq!(register(&server, &owner, &name, shared, &registry).await, 201);
                let (status, response) = server.json(token, method, &path.replace("{c}", &name), body).await;
                let expect = allowed(role, verb, shared);
                // Upstream failures (the registry does not exist) still prove access was granted.
                let granted = !matches!(status, 401 | 403 | 404) || response["error"]["code"] == "egress-denied";
                assert_eq!(
                    granted,
                    expect,
                    "{role} {verb} on {} connector: HTTP {status} {response}",
                    if shared { "shared" } else { "private" }
                );
                if !expect {
                    let code = response["error"]["code"].as_str().unwrap_or_default();
                    let hidden = !shared || *role == "consumer" && !matches!(verb, "describe" | "issue");
                    assert!(code == "forbidden" || hidden && code == "not-found", "{role} {verb}: {response}");
                }
            }
        }
    }

    // The owner may do everything with their own private connector.
    assert_eq!(register(&server, &owner, "mine", false, &registry).await, 201);
    for (verb, method, path, body) in verbs() {
        let (status, response) = server.json(&owner, method, &path.replace("{c}", "mine"), body).await;
        assert!(
            !matches!(status, 401 | 403 | 404) || response["error"]["code"] == "egress-denied",
            "owner {verb}: {status} {response}"
        );
    }

    // Listing shows each caller only what it may see.
    let names = |body: Value| {
        body.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let (_, consumer_view) = server.json(&tokens[2].1, "GET", "/api/v1/connectors", None).await;
    assert!(names(consumer_view).iter().all(|n| n.ends_with("-true")), "consumers see shared connectors only");

    // Role-wide verbs.
    let consumer = &tokens[2].1;
    let member = &tokens[1].1;
    assert_eq!(register(&server, consumer, "consumers-cannot", false, &registry).await, 403);
    for token in [consumer, member] {
        assert_eq!(server.json(token, "GET", "/api/v1/plugins", None).await.0, 403);
        assert_eq!(
            server.json(token, "POST", "/api/v1/users", Some(json!({"name": "x", "role": "admin"}))).await.0,
            403
        );
        assert_eq!(server.json(token, "GET", "/api/v1/audit", None).await.0, 403);
        assert_eq!(server.json(token, "GET", "/api/v1/connector-types", None).await.0, 200);
    }
    assert_eq!(server.json("not-a-token", "GET", "/api/v1/connectors", None).await.0, 401);
    assert_eq!(server.call("", "GET", "/api/v1/connectors", None).await.0, 401);
}

/// Admin egress policy: plugins' declared origins are narrowed, and config-named hosts can be
/// switched off.
#[tokio::test]
async fn admin_egress_policy_narrows_what_connectors_reach() {
    let hub =
        json!({"name": "hub", "connector_type": "docker", "configuration": {"username": "u", "password": "p-secret"}});
    let narrowed = vec![("AIRLOCK_EGRESS_ALLOW_ORIGINS".to_string(), "https://registry.example.com".to_string())];
    let server = Server::start_with(StoreKind::Sqlite, tempfile::tempdir().unwrap().keep(), narrowed);
    let (status, body) = server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(hub.clone())).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("egress-denied")), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`https://registry-1.docker.io:443` is declared by the plugin but not allowed by admin policy"),
        "{body}"
    );

    let registry = airlock_tests::registry::Registry::start("u", "p-secret-value");
    let local = json!({"name": "local", "connector_type": "docker", "configuration": {"username": "u", "password": "p-secret-value", "registry": registry.url()}});
    assert_eq!(
        server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(local.clone())).await.0,
        201,
        "config-named hosts are allowed by default"
    );
    let strict = vec![("AIRLOCK_NO_CONFIG_HOSTS".to_string(), "true".to_string())];
    let server = Server::start_with(StoreKind::Sqlite, tempfile::tempdir().unwrap().keep(), strict);
    let (status, body) = server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(local)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("egress-denied")), "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("is not in this connector's egress allowlist"),
        "{body}"
    );
}

/// What a request reads is cached in the server (SQLite), yet a revoked token, a deleted user,
/// a revoked lease and an updated connector take effect with the next request.
#[tokio::test]
async fn revocations_and_updates_take_effect_at_once() {
    let server = Server::start(StoreKind::Sqlite);
    let registry = airlock_tests::registry::Registry::open();
    let first = user(&server, "temporary", "member").await;
    let (status, second) = server.json(&first, "POST", "/api/v1/tokens", Some(json!({"name": "second"}))).await;
    assert_eq!(status, 201, "{second}");
    let (second_id, second) = (second["token_id"].as_str().unwrap(), second["token"].as_str().unwrap());
    assert_eq!(server.json(second, "GET", "/api/v1/connectors", None).await.0, 200);
    assert_eq!(server.json(&first, "DELETE", &format!("/api/v1/tokens/{second_id}"), None).await.0, 204);
    assert_eq!(server.json(second, "GET", "/api/v1/connectors", None).await.0, 401, "a revoked token still worked");

    assert_eq!(register(&server, &first, "cached", false, &registry.url()).await, 201);
    let issue = |token: String| {
        let server = &server;
        async move { server.json(&token, "POST", "/api/v1/connectors/cached/client", Some(json!({}))).await }
    };
    let (status, issued) = issue(first.clone()).await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issue(first.clone()).await.1["reused"], true);
    let lease = issued["lease_id"].as_str().unwrap();
    assert_eq!(server.json(&first, "DELETE", &format!("/api/v1/leases/{lease}"), None).await.0, 204);
    assert_eq!(issue(first.clone()).await.1["reused"], false, "a revoked lease was reused");
    let changed = json!({"configuration": {"password": "changed-password"}, "verify": false});
    assert_eq!(server.json(&first, "PATCH", "/api/v1/connectors/cached", Some(changed)).await.0, 200);
    let (_, after) = issue(first.clone()).await;
    assert_eq!(after["reused"], false, "a lease of the old configuration was reused");
    assert_eq!(airlock_tests::issued_attribute(&after, "password"), "changed-password");

    assert_eq!(server.json(ADMIN_TOKEN, "DELETE", "/api/v1/connectors/cached", None).await.0, 204);
    assert_eq!(issue(first.clone()).await.0, 404, "a deleted connector still issued");
    assert_eq!(server.json(ADMIN_TOKEN, "DELETE", "/api/v1/users/temporary", None).await.0, 204);
    assert_eq!(server.json(&first, "GET", "/api/v1/connectors", None).await.0, 401, "a deleted user's token worked");
}
