//! The sandbox holds against a hostile connector (`tests/guests/probe`): budgets stop it with
//! the error that names the limit, the egress gate refuses what it may not reach, and secrets
//! stay on the host.

use airlock::runtime::{CallError, Limit, Limits, LoadError, Runtime, RuntimeOptions};
use airlock_tests::fixture_server::FixtureServer;
use airlock_tests::probe::{instance, probe, probe_with, run};
use airlock_tests::probe_component;
use std::collections::HashMap;
use std::time::{Duration, Instant};

#[tokio::test]
async fn an_infinite_loop_is_stopped_near_its_deadline() {
    let (runtime, plugin) = probe(Limits { wall_time: Duration::from_millis(300), ..Default::default() }).await;
    let started = Instant::now();
    let err = run(&runtime, &plugin, instance(&plugin, &[]), "spin", "").await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(&err, CallError::Limit(l) if l.limit == Limit::WallTime), "{err:?}");
    assert!(err.to_string().contains("wall-time limit"), "{err}");
    assert!(elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(2), "stopped after {elapsed:?}");
}

#[tokio::test]
async fn a_memory_bomb_fails_at_the_cap() {
    let (runtime, plugin) = probe(Limits { memory_bytes: 32 << 20, ..Default::default() }).await;
    let err = run(&runtime, &plugin, instance(&plugin, &[]), "memory-bomb", "").await.unwrap_err();
    assert!(matches!(&err, CallError::Limit(l) if l.limit == Limit::Memory), "{err:?}");
    assert_eq!(err.to_string(), "the connector exceeded its memory limit (32 MiB)");
}

#[tokio::test]
async fn an_undeclared_host_is_refused() {
    let server = FixtureServer::start().await;
    let (runtime, plugin) = probe(Limits::default()).await;
    let inst = instance(&plugin, &[("endpoint", &server.url(""))]);
    let seen = run(&runtime, &plugin, inst.clone(), "fetch-raw", "https://example.com/").await.unwrap();
    assert!(seen[0].starts_with("Err(HttpError::Denied(") || seen[0].starts_with("Err(Denied("), "{seen:?}");
    let err = run(&runtime, &plugin, inst, "fetch", "https://example.com/").await.unwrap_err();
    assert!(
        matches!(&err, CallError::EgressDenied(m) if m.contains("`https://example.com:443` is not in this connector's egress allowlist")),
        "{err:?}"
    );
}

#[tokio::test]
async fn names_resolving_to_loopback_or_metadata_are_refused_unless_allowed() {
    let server = FixtureServer::start().await;
    let overrides = HashMap::from([("metadata.test".to_string(), vec!["169.254.169.254".parse().unwrap()])]);
    let (runtime, plugin) = probe_with(RuntimeOptions { dns_overrides: overrides, ..Default::default() }).await;

    let inst = instance(&plugin, &[("endpoint", &server.other_origin_url(""))]);
    let err = run(&runtime, &plugin, inst, "fetch", &server.other_origin_url("/ok")).await.unwrap_err();
    assert!(
        matches!(&err, CallError::EgressDenied(m) if m.contains("`localhost` resolves to") && m.contains("loopback")),
        "{err:?}"
    );

    let inst = instance(&plugin, &[("endpoint", "http://metadata.test")]);
    let err = run(&runtime, &plugin, inst, "fetch", "http://metadata.test/latest/meta-data/").await.unwrap_err();
    assert!(
        matches!(&err, CallError::EgressDenied(m) if m.contains("169.254.169.254") && m.contains("link-local")),
        "{err:?}"
    );

    let inst = instance(&plugin, &[("endpoint", "http://169.254.169.254")]);
    let err = run(&runtime, &plugin, inst, "fetch", "http://169.254.169.254/latest/meta-data/").await.unwrap_err();
    assert!(
        matches!(&err, CallError::EgressDenied(m) if m.contains("169.254.169.254") && m.contains("link-local")),
        "{err:?}"
    );

    let inst = instance(&plugin, &[("endpoint", &server.url(""))]);
    let err = run(&runtime, &plugin, inst, "fetch", &server.url("/ok")).await.unwrap_err();
    assert!(matches!(&err, CallError::EgressDenied(m) if m.contains("127.0.0.1") && m.contains("loopback")), "{err:?}");

    // The same request passes once loopback is explicitly allowed.
    let (runtime, plugin) = probe(Limits::default()).await;
    let inst = instance(&plugin, &[("endpoint", &server.url(""))]);
    let seen = run(&runtime, &plugin, inst, "fetch", &server.url("/ok")).await.unwrap();
    assert_eq!(seen, vec!["200", "hello from the fixture"]);
}

#[tokio::test]
async fn a_redirect_to_an_undeclared_host_is_refused() {
    let server = FixtureServer::start().await;
    let (runtime, plugin) = probe(Limits::default()).await;
    let inst = instance(&plugin, &[("endpoint", &server.url(""))]);
    let target = server.url(&format!("/redirect?to={}", server.other_origin_url("/whoami")));
    let err = run(&runtime, &plugin, inst, "fetch", &target).await.unwrap_err();
    assert!(
        matches!(&err, CallError::EgressDenied(m) if m.contains("redirect from `http://127.0.0.1") && m.contains("to `http://localhost") && m.contains("not in this connector's egress allowlist")),
        "{err:?}"
    );
}

#[tokio::test]
async fn credentials_are_stripped_on_a_redirect_to_another_host() {
    let server = FixtureServer::start().await;
    let (runtime, plugin) = probe(Limits::default()).await;
    let attrs = [
        ("endpoint", server.url("")),
        ("second_endpoint", server.other_origin_url("")),
        ("token", "t0ken-for-redirect".into()),
    ];
    let inst = instance(&plugin, &attrs.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>());
    // Control: the binding reaches the origin the guest addressed.
    let direct = run(&runtime, &plugin, inst.clone(), "fetch-bearer", &server.url("/whoami")).await.unwrap();
    assert_eq!(direct, vec!["200", "authorization: present"]);
    let target = server.url(&format!("/redirect?to={}", server.other_origin_url("/whoami")));
    let redirected = run(&runtime, &plugin, inst, "fetch-bearer", &target).await.unwrap();
    assert_eq!(redirected, vec!["200", "authorization: absent"]);
}

/// `send-with-token`: a token the guest minted goes to the origin it addressed only, a response
/// echoing it is withheld, and it cannot ride along with a credential binding.
#[tokio::test]
async fn a_minted_token_reaches_only_the_addressed_origin() {
    let server = FixtureServer::start().await;
    let (runtime, plugin) = probe(Limits::default()).await;
    let attrs =
        [("endpoint", server.url("")), ("second_endpoint", server.other_origin_url("")), ("token", "t0ken".into())];
    let inst = instance(&plugin, &attrs.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>());
    let direct = run(&runtime, &plugin, inst.clone(), "fetch-minted", &server.url("/whoami")).await.unwrap();
    assert_eq!(direct, vec!["200", "authorization: present"]);
    let target = server.url(&format!("/redirect?to={}", server.other_origin_url("/whoami")));
    let redirected = run(&runtime, &plugin, inst.clone(), "fetch-minted", &target).await.unwrap();
    assert_eq!(redirected, vec!["200", "authorization: absent"]);
    let echoed = run(&runtime, &plugin, inst.clone(), "fetch-minted", &server.url("/echo-headers")).await.unwrap_err();
    assert!(echoed.to_string().contains("echoed a secret"), "{echoed}");
    let both = run(&runtime, &plugin, inst, "minted-with-binding", &server.url("/whoami")).await.unwrap();
    assert!(both[0].contains("InvalidRequest") && both[0].contains("not both"), "{both:?}");
}

#[tokio::test]
async fn a_guest_cannot_set_its_own_authorization_header() {
    let server = FixtureServer::start().await;
    let (runtime, plugin) = probe(Limits::default()).await;
    let inst = instance(&plugin, &[("endpoint", &server.url(""))]);
    let seen = run(&runtime, &plugin, inst, "set-authorization", &server.url("/whoami")).await.unwrap();
    assert!(
        seen[0].contains("ForbiddenHeader") && seen[0].contains("may not set the `Authorization` header"),
        "{seen:?}"
    );
}

#[tokio::test]
async fn files_environment_and_other_bindings_give_nothing() {
    let server = FixtureServer::start().await;
    let (runtime, plugin) = probe(Limits::default()).await;
    let inst =
        instance(&plugin, &[("endpoint", &server.url("")), ("token", "my-own-secret-token"), ("canary", "visible")]);
    let seen = run(&runtime, &plugin, inst.clone(), "escape", "").await.unwrap();
    for line in &seen[..6] {
        assert!(line.contains("denied"), "{line}");
    }
    assert_eq!(seen[6], "env: 0 variables");
    assert_eq!(seen[7], "args: 0 arguments");
    assert!(
        seen[8].contains("canary") && !seen[8].contains("my-own-secret-token") && !seen[8].contains("\"token\""),
        "{}",
        seen[8]
    );
    let seen = run(&runtime, &plugin, inst, "other-binding", &server.url("/whoami")).await.unwrap();
    assert!(
        seen[0].contains("UnknownBinding") && seen[0].contains("no credential binding `other_connectors_token`"),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_used_secret_is_never_in_guest_memory() {
    let server = FixtureServer::start().await;
    // The dump of the whole linear memory is the result: allow a large one.
    let (runtime, plugin) = probe(Limits { max_result_bytes: 64 << 20, ..Default::default() }).await;
    let secret = format!("airlock-secret-canary-{}", std::process::id());
    let visible = format!("airlock-visible-canary-{}", std::process::id());
    let inst = instance(&plugin, &[("endpoint", &server.url("")), ("token", &secret), ("canary", &visible)]);
    let pages = run(&runtime, &plugin, inst, "memory-dump", &server.url("/whoami")).await.unwrap();
    let memory: Vec<u8> = pages.iter().flat_map(|page| hex::decode(page).unwrap()).collect();
    let contains = |needle: &str| memory.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(memory.len() >= 1 << 20, "dumped {} bytes", memory.len());
    // Controls: what the guest did receive is found, so the search can fail.
    assert!(contains("authorization: present"), "the response the guest received is in its memory");
    assert!(contains(&visible), "the config value the guest read is in its memory");
    assert!(!contains(&secret), "the secret binding's value reached guest memory");
}

#[tokio::test]
async fn a_response_echoing_the_secret_is_withheld() {
    let server = FixtureServer::start().await;
    let (runtime, plugin) = probe(Limits::default()).await;
    let inst = instance(&plugin, &[("endpoint", &server.url("")), ("token", "echo-me-if-you-can")]);
    let err = run(&runtime, &plugin, inst, "fetch-bearer", &server.url("/echo-headers")).await.unwrap_err();
    assert!(
        matches!(&err, CallError::Connector(e) if e.message().contains("echoed a secret this connector holds; it was withheld")),
        "{err:?}"
    );
}

#[tokio::test]
async fn each_outbound_budget_names_its_limit() {
    let server = FixtureServer::start().await;
    let limits = Limits {
        max_requests: 3,
        max_response_bytes: 64 << 10,
        host_call_timeout: Duration::from_millis(200),
        ..Default::default()
    };
    let (runtime, plugin) = probe(limits).await;
    let inst = instance(&plugin, &[("endpoint", &server.url(""))]);

    let err = run(&runtime, &plugin, inst.clone(), "many-requests", &server.url("/ok")).await.unwrap_err();
    assert!(matches!(&err, CallError::Limit(l) if l.limit == Limit::OutboundRequests), "{err:?}");
    assert_eq!(err.to_string(), "the connector exceeded its outbound-requests limit (3 requests)");

    let err = run(&runtime, &plugin, inst.clone(), "fetch", &server.url("/big")).await.unwrap_err();
    assert!(matches!(&err, CallError::Limit(l) if l.limit == Limit::ResponseBytes), "{err:?}");
    assert_eq!(err.to_string(), "the connector exceeded its response-bytes limit (65536 bytes)");

    let started = Instant::now();
    let err = run(&runtime, &plugin, inst, "fetch", &server.url("/slow")).await.unwrap_err();
    assert!(matches!(&err, CallError::Limit(l) if l.limit == Limit::HostCallTimeout), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "the host call was cut off at its timeout");
}

#[tokio::test]
async fn a_panic_is_reported_with_the_guest_message() {
    let (runtime, plugin) = probe(Limits::default()).await;
    let err = run(&runtime, &plugin, instance(&plugin, &[]), "panic", "").await.unwrap_err();
    assert!(matches!(&err, CallError::Trap(m) if m.contains("the probe panicked on purpose")), "{err:?}");
}

#[tokio::test]
async fn a_connector_cannot_release_a_secret_it_did_not_declare() {
    let (runtime, plugin) = probe(Limits::default()).await;
    let inst = instance(&plugin, &[("token", "not-for-release")]);
    let request = airlock::runtime::bindings::ClientRequest {
        resource_type: "probe".into(),
        resource_id: None,
        expiration_seconds: None,
    };
    let err = runtime.issue_client(&plugin, inst, &request, Default::default()).await.unwrap_err();
    assert!(
        matches!(&err, CallError::BadResult(m) if m.contains("tried to release the secret `token`, which its auth method does not declare")),
        "{err:?}"
    );
    assert!(!format!("{err:?}").contains("not-for-release"));
}

#[tokio::test]
async fn components_with_unprovided_imports_or_garbage_are_refused_at_load() {
    let runtime = Runtime::new(RuntimeOptions::default()).unwrap();
    let backdoor =
        wat::parse_str(r#"(component (import "evil:backdoor/steal" (instance (export "go" (func)))))"#).unwrap();
    let err = runtime.load(&backdoor).await.err().unwrap();
    assert!(
        matches!(&err, LoadError::UnsupportedImports(i) if i == &vec!["`evil:backdoor/steal`".to_string()]),
        "{err:?}"
    );
    assert!(err.to_string().contains("which the Airlock host does not provide"), "{err}");

    let http = wat::parse_str(r#"(component (import "wasi:http/outgoing-handler@0.2.0" (instance)))"#).unwrap();
    assert!(matches!(runtime.load(&http).await.err().unwrap(), LoadError::UnsupportedImports(_)));

    let err = runtime.load(b"\0asm garbage that is not wasm").await.err().unwrap();
    assert!(matches!(err, LoadError::Malformed(_)), "{err:?}");
    let err = runtime.load(&wat::parse_str("(module)").unwrap()).await.err().unwrap();
    assert!(matches!(err, LoadError::Malformed(_)), "{err:?}");
    let err = runtime.load(&wat::parse_str("(component)").unwrap()).await.err().unwrap();
    assert!(matches!(&err, LoadError::WrongWorld(m) if m.contains("no export")), "{err:?}");
}

#[tokio::test]
async fn a_tampered_compile_cache_entry_is_recompiled_not_loaded() {
    let cache = tempfile::tempdir().unwrap();
    let options = || RuntimeOptions { cache_dir: Some(cache.path().to_path_buf()), ..Default::default() };
    let first = Runtime::new(options()).unwrap().load(&probe_component()).await.unwrap();
    assert!(!first.from_cache);
    let warm = Runtime::new(options()).unwrap().load(&probe_component()).await.unwrap();
    assert!(warm.from_cache);

    let entry = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .unwrap();
    let mut bytes = std::fs::read(&entry).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&entry, bytes).unwrap();
    let runtime = Runtime::new(options()).unwrap();
    let reloaded = runtime.load(&probe_component()).await.unwrap();
    assert!(!reloaded.from_cache, "a tampered entry must not be loaded");
    assert_eq!(reloaded.spec.connector_type, "probe");
    assert!(
        Runtime::new(options()).unwrap().load(&probe_component()).await.unwrap().from_cache,
        "the entry was rewritten"
    );
}

/// What the host applied, as the fixture saw it (digests, never the secret itself).
mod credential_processors {
    use super::*;
    use base64::Engine as _;
    use sha2::{Digest, Sha256};

    fn digest(text: &str) -> String {
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    #[tokio::test]
    async fn basic_header_and_placeholder_bindings_arrive_as_intended() {
        let server = FixtureServer::start().await;
        let (runtime, plugin) = probe(Limits::default()).await;
        let secret = "s3cr3t with spaces&symbols=";
        let inst = instance(&plugin, &[("endpoint", &server.url("")), ("token", secret), ("canary", "robot")]);

        let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("robot:{secret}")));
        let seen = run(&runtime, &plugin, inst.clone(), "fetch-basic", &server.url("/digest-auth")).await.unwrap();
        assert_eq!(seen, vec!["200".to_string(), digest(&basic)]);

        let seen = run(&runtime, &plugin, inst.clone(), "fetch-header", &server.url("/digest-api-key")).await.unwrap();
        assert_eq!(seen, vec!["200".to_string(), digest(secret)]);

        let form = "grant_type=client_credentials&client_secret=s3cr3t+with+spaces%26symbols%3D";
        let seen = run(&runtime, &plugin, inst, "post-placeholder", &server.url("/digest-body")).await.unwrap();
        assert_eq!(seen, vec!["200".to_string(), digest(form)], "the secret is form-encoded into its field");
    }

    #[tokio::test]
    async fn jwt_assertions_are_signed_on_the_host_with_capped_lifetime() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.pem");
        let openssl = airlock_tests::require_tool("openssl");
        let made = std::process::Command::new(&openssl)
            .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"])
            .arg(&key)
            .status()
            .unwrap();
        assert!(made.success());
        let public = std::process::Command::new(&openssl).args(["pkey", "-pubout", "-in"]).arg(&key).output().unwrap();
        let server = FixtureServer::start_with_jwt_key(String::from_utf8(public.stdout).unwrap()).await;
        let (runtime, plugin) = probe(Limits::default()).await;
        // A service-account style JSON key file: the host finds `private_key` in it.
        let key_json =
            serde_json::json!({"type": "service_account", "private_key": std::fs::read_to_string(&key).unwrap()})
                .to_string();
        let inst = instance(&plugin, &[("endpoint", &server.url("")), ("token", &key_json)]);
        let seen = run(&runtime, &plugin, inst, "post-jwt", &server.url("/jwt-claims")).await.unwrap();
        let verdict: serde_json::Value = serde_json::from_str(&seen[1]).unwrap();
        assert_eq!(verdict["valid"], true, "{verdict}");
        assert_eq!(verdict["kid"], "k1");
        assert_eq!(verdict["claims"]["iss"], "probe@example.iam");
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let (iat, exp) = (verdict["claims"]["iat"].as_u64().unwrap(), verdict["claims"]["exp"].as_u64().unwrap());
        assert!(iat.abs_diff(now) < 60 && exp <= iat + 3600, "iat {iat}, exp {exp}: the guest asked for year 5138");
    }
}
