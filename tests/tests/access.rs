//! Every role tries every verb on connectors it owns, that are granted to it (directly, through
//! a team, to everyone) at each level, or not granted at all; only the allowed ones succeed.
//! Connectors are registered without verification (access control, not upstreams, is under
//! test here).

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

/// Grant `level` on `connector` to `grantee` as `token`; the HTTP status.
async fn grant(server: &Server, token: &str, connector: &str, grantee: &str, level: &str) -> u16 {
    let body = json!({"grantee": grantee, "level": level});
    let (status, answer) =
        server.json(token, "PUT", &format!("/api/v1/connectors/{connector}/grants"), Some(body)).await;
    assert!(status == 200 || token != ADMIN_TOKEN, "{answer}");
    status
}

/// (verb, method, path template, body).
fn verbs() -> Vec<(&'static str, &'static str, &'static str, Option<Value>)> {
    vec![
        ("describe", "GET", "/api/v1/connectors/{c}", None),
        ("resources", "GET", "/api/v1/connectors/{c}/resources", None),
        ("issue", "POST", "/api/v1/connectors/{c}/client", Some(json!({}))),
        ("verify", "POST", "/api/v1/connectors/{c}/verify", None),
        ("grants", "GET", "/api/v1/connectors/{c}/grants", None),
        ("update", "PATCH", "/api/v1/connectors/{c}", Some(json!({"description": "changed", "verify": false}))),
        ("delete", "DELETE", "/api/v1/connectors/{c}", None),
        ("share", "PUT", "/api/v1/connectors/{c}/grants", Some(json!({"grantee": "user:heir", "level": "use"}))),
        ("transfer", "POST", "/api/v1/connectors/{c}/transfer", Some(json!({"owner": "heir"}))),
    ]
}

/// How a caller stands to a connector.
const RELATIONS: [&str; 7] = ["owned", "none", "user-use", "user-manage", "team-use", "team-manage", "everyone-use"];

/// Whether `role` may do `verb` on a connector it stands to as `relation`.
fn allowed(role: &str, verb: &str, relation: &str) -> bool {
    if role == "admin" || relation == "owned" {
        return true;
    }
    // A consumer never holds more than `use`, whatever it was granted.
    let level = match relation.rsplit('-').next().unwrap() {
        "use" => 1,
        "manage" if role == "consumer" => 1,
        "manage" => 2,
        _ => 0,
    };
    let needed = match verb {
        "describe" | "resources" | "issue" => 1,
        "verify" | "grants" | "update" | "delete" => 2,
        _ => 3,
    };
    level >= needed
}

/// Every role × verb × relation. Relations are set up through the API as their owner would:
/// grants to the caller, to a team the caller is in, to everyone (the `shared` flag).
async fn each_role_may_do_exactly_what_it_is_granted(store: StoreKind) {
    let server = Server::start(store);
    let registry = airlock_tests::registry::Registry::open();
    let registry = registry.url();
    let owner = user(&server, "owner", "member").await;
    user(&server, "heir", "member").await;
    let callers = [
        ("admin", "admin", ADMIN_TOKEN.to_string()),
        ("member", "other-member", user(&server, "other-member", "member").await),
        ("consumer", "consumer", user(&server, "consumer", "consumer").await),
    ];
    // Each caller is alone in a team of its own, so a team grant reaches only the caller.
    for (role, name, _) in &callers {
        let team = format!("crew-{role}");
        assert_eq!(server.json(ADMIN_TOKEN, "POST", "/api/v1/teams", Some(json!({"name": team}))).await.0, 201);
        let (status, body) =
            server.json(ADMIN_TOKEN, "PUT", &format!("/api/v1/teams/{team}/members/{name}"), None).await;
        assert_eq!(status, 200, "{body}");
    }

    for (role, name, token) in &callers {
        for relation in RELATIONS {
            if relation == "owned" && *role == "consumer" {
                // Consumers cannot register (checked below).
                continue;
            }
            for (verb, method, path, body) in verbs() {
                // A fresh connector per attempt, so deletes, updates and transfers do not interfere.
                let connector = format!("c-{role}-{verb}-{relation}");
                let registrant = if relation == "owned" { token.as_str() } else { owner.as_str() };
                let everyone = relation == "everyone-use";
                assert_eq!(register(&server, registrant, &connector, everyone, &registry).await, 201);
                if let Some((kind, level)) = relation.split_once('-').filter(|(kind, _)| *kind != "everyone") {
                    let grantee = if kind == "user" { format!("user:{name}") } else { format!("team:crew-{role}") };
                    assert_eq!(grant(&server, &owner, &connector, &grantee, level).await, 200);
                }
                let (status, response) = server.json(token, method, &path.replace("{c}", &connector), body).await;
                let expect = allowed(role, verb, relation);
                // Upstream failures (the registry does not exist) still prove access was granted.
                let granted = !matches!(status, 401 | 403 | 404) || response["error"]["code"] == "egress-denied";
                assert_eq!(granted, expect, "{role} {verb} on a `{relation}` connector: HTTP {status} {response}");
                if !expect {
                    let code = response["error"]["code"].as_str().unwrap_or_default();
                    let hidden = relation == "none";
                    let want = if hidden { "not-found" } else { "forbidden" };
                    assert_eq!(code, want, "{role} {verb} on a `{relation}` connector: {response}");
                }
            }
        }
    }

    // Listing shows each caller only what it may see: the consumer sees what is granted to it.
    let names = |body: Value| {
        body.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let (_, consumer_view) = server.json(&callers[2].2, "GET", "/api/v1/connectors", None).await;
    let seen = names(consumer_view);
    assert!(!seen.is_empty() && seen.iter().all(|n| !n.ends_with("-none")), "{seen:?}");
    assert!(seen.iter().all(|n| n.starts_with("c-consumer-") || n.ends_with("-everyone-use")), "{seen:?}");

    // Role-wide verbs.
    let consumer = &callers[2].2;
    let member = &callers[1].2;
    assert_eq!(register(&server, consumer, "consumers-cannot", false, &registry).await, 403);
    for token in [consumer, member] {
        assert_eq!(server.json(token, "GET", "/api/v1/plugins", None).await.0, 403);
        assert_eq!(
            server.json(token, "POST", "/api/v1/users", Some(json!({"name": "x", "role": "admin"}))).await.0,
            403
        );
        assert_eq!(server.json(token, "POST", "/api/v1/teams", Some(json!({"name": "mine"}))).await.0, 403);
        assert_eq!(server.json(token, "PUT", "/api/v1/teams/crew-member/members/heir", None).await.0, 403);
        assert_eq!(server.json(token, "GET", "/api/v1/audit", None).await.0, 403);
        assert_eq!(server.json(token, "GET", "/api/v1/connector-types", None).await.0, 200);
    }
    assert_eq!(server.json(member, "GET", "/api/v1/teams", None).await.0, 200, "members see teams to share with");
    assert_eq!(server.json(consumer, "GET", "/api/v1/teams", None).await.0, 403);
    assert_eq!(server.json("not-a-token", "GET", "/api/v1/connectors", None).await.0, 401);
    assert_eq!(server.call("", "GET", "/api/v1/connectors", None).await.0, 401);
}

airlock_tests::on_both_stores!(each_role_may_do_exactly_what_it_is_granted, grants_follow_teams_users_and_owners);

/// Team membership, team and user deletion, revocation and transfer change access at the next
/// request (the server caches what requests read), and each change is audited.
async fn grants_follow_teams_users_and_owners(store: StoreKind) {
    let server = Server::start(store);
    let registry = airlock_tests::registry::Registry::open();
    let owner = user(&server, "owner", "member").await;
    let alice = user(&server, "alice", "member").await;
    let bob = user(&server, "bob", "consumer").await;
    assert_eq!(register(&server, &owner, "pipeline", false, &registry.url()).await, 201);
    let describe = |token: String| {
        let server = &server;
        async move { server.json(&token, "GET", "/api/v1/connectors/pipeline", None).await.0 }
    };
    assert_eq!(describe(bob.clone()).await, 404);

    assert_eq!(server.json(ADMIN_TOKEN, "POST", "/api/v1/teams", Some(json!({"name": "ml"}))).await.0, 201);
    assert_eq!(grant(&server, &owner, "pipeline", "team:ml", "use").await, 200);
    assert_eq!(describe(bob.clone()).await, 404, "bob is not in the team yet");
    assert_eq!(server.json(ADMIN_TOKEN, "PUT", "/api/v1/teams/ml/members/bob", None).await.0, 200);
    assert_eq!(describe(bob.clone()).await, 200, "joining the team took effect at once");
    let issued = server.json(&bob, "POST", "/api/v1/connectors/pipeline/client", Some(json!({}))).await;
    assert_eq!(issued.0, 200, "{}", issued.1);
    let lease = format!("/api/v1/leases/{}", issued.1["lease_id"].as_str().unwrap());
    assert_eq!(server.json(&bob, "GET", &lease, None).await.1["revoked"], false);
    assert_eq!(server.json(ADMIN_TOKEN, "DELETE", "/api/v1/teams/ml/members/bob", None).await.0, 200);
    assert_eq!(describe(bob.clone()).await, 404, "leaving the team took effect at once");
    assert_eq!(server.json(&bob, "GET", &lease, None).await.1["revoked"], true, "and ended bob's lease");
    assert_eq!(server.json(ADMIN_TOKEN, "DELETE", "/api/v1/teams/ml/members/bob", None).await.0, 404);
    assert_eq!(server.json(ADMIN_TOKEN, "PUT", "/api/v1/teams/ml/members/bob", None).await.0, 200);
    assert_eq!(server.json(ADMIN_TOKEN, "DELETE", "/api/v1/teams/ml", None).await.0, 204);
    assert_eq!(describe(bob.clone()).await, 404, "a deleted team's grants went with it");
    let (_, grants) = server.json(&owner, "GET", "/api/v1/connectors/pipeline/grants", None).await;
    assert_eq!(grants, json!([]));

    // A direct grant, shown to the owner; a member cannot share what it only uses.
    assert_eq!(grant(&server, &owner, "pipeline", "user:alice", "use").await, 200);
    assert_eq!(grant(&server, &alice, "pipeline", "user:bob", "use").await, 403);
    let (_, view) = server.json(&owner, "GET", "/api/v1/connectors/pipeline", None).await;
    assert_eq!(view["grants"], json!([{"grantee": "user:alice", "level": "use"}]), "{view}");
    let (_, view) = server.json(&alice, "GET", "/api/v1/connectors/pipeline", None).await;
    assert_eq!(view["grants"], json!([]), "a `use` grantee does not see who else is granted");
    // Raising the level replaces the grant.
    assert_eq!(grant(&server, &owner, "pipeline", "user:alice", "manage").await, 200);
    let (_, grants) = server.json(&owner, "GET", "/api/v1/connectors/pipeline/grants", None).await;
    assert_eq!(grants, json!([{"grantee": "user:alice", "level": "manage"}]));
    // A manager may change the connector but not send its stored secret elsewhere.
    let patch = |body: Value| {
        let (server, alice) = (&server, alice.clone());
        async move { server.json(&alice, "PATCH", "/api/v1/connectors/pipeline", Some(body)).await }
    };
    let (status, body) =
        patch(json!({"configuration": {"registry": "https://elsewhere.example"}, "verify": false})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("where its stored secrets are sent"), "{body}");
    assert_eq!(patch(json!({"description": "alice was here", "verify": false})).await.0, 200);
    let anew = json!({"configuration": {"registry": registry.url(), "password": "her-own"}, "verify": false});
    assert_eq!(patch(anew).await.0, 200, "with every secret given anew the change is hers to make");
    // Bad grants are clear errors that change nothing.
    for (grantee, level, status) in
        [("user:nobody", "use", 400), ("group:x", "use", 400), ("user:owner", "use", 400), ("everyone", "own", 400)]
    {
        let body = json!({"grantee": grantee, "level": level});
        let (got, answer) = server.json(&owner, "PUT", "/api/v1/connectors/pipeline/grants", Some(body)).await;
        assert_eq!(got, status, "{grantee} {level}: {answer}");
    }
    assert_eq!(server.json(&owner, "DELETE", "/api/v1/connectors/pipeline/grants/user:bob", None).await.0, 404);
    let (_, grants) = server.json(&owner, "GET", "/api/v1/connectors/pipeline/grants", None).await;
    assert_eq!(grants, json!([{"grantee": "user:alice", "level": "manage"}]));

    // Transfer: the new owner may share; the old one keeps nothing.
    let (status, body) =
        server.json(&owner, "POST", "/api/v1/connectors/pipeline/transfer", Some(json!({"owner": "bob"}))).await;
    assert_eq!(status, 400, "consumers cannot own connectors: {body}");
    let (status, body) =
        server.json(&owner, "POST", "/api/v1/connectors/pipeline/transfer", Some(json!({"owner": "alice"}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!([]), "the new owner's own grant is dropped");
    assert_eq!(describe(owner.clone()).await, 404, "the previous owner keeps no access");
    let (_, view) = server.json(&alice, "GET", "/api/v1/connectors/pipeline", None).await;
    assert_eq!(view["owner"], "alice");
    assert_eq!(grant(&server, &alice, "pipeline", "user:owner", "use").await, 200);
    assert_eq!(describe(owner.clone()).await, 200);
    let issued = server.json(&owner, "POST", "/api/v1/connectors/pipeline/client", Some(json!({}))).await;
    let lease = format!("/api/v1/leases/{}", issued.1["lease_id"].as_str().unwrap());
    assert_eq!(server.json(&alice, "DELETE", "/api/v1/connectors/pipeline/grants/user:owner", None).await.0, 200);
    assert_eq!(describe(owner.clone()).await, 404, "a revoked grant took effect at once");
    assert_eq!(server.json(&owner, "GET", &lease, None).await.1["revoked"], true, "and ended the grantee's lease");

    // A deleted user's grants go with them.
    assert_eq!(grant(&server, &alice, "pipeline", "user:bob", "use").await, 200);
    assert_eq!(server.json(ADMIN_TOKEN, "DELETE", "/api/v1/users/bob", None).await.0, 204);
    let (_, grants) = server.json(&alice, "GET", "/api/v1/connectors/pipeline/grants", None).await;
    assert_eq!(grants, json!([]));

    let (_, audit) = server.json(ADMIN_TOKEN, "GET", "/api/v1/audit?limit=1000", None).await;
    let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    for action in [
        "team.create",
        "team.add",
        "team.remove",
        "team.delete",
        "connector.grant",
        "connector.revoke",
        "connector.transfer",
    ] {
        assert!(actions.contains(&action), "no `{action}` in the audit log: {actions:?}");
    }
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
            .contains("`https://registry-1.docker.io:443` is declared by the plugin but not allowed by admin policy (an admin decision: an admin adds it to --egress-allow-origins"),
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
        body["error"]["message"].as_str().unwrap().contains(
            "is named in this connector's configuration, but this server reaches no configured hosts (an admin decision: the server runs with --no-config-hosts"
        ),
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
