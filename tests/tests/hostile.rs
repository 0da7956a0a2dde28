//! Hostile plugins against the hardened sandbox: the approved spec governs, spinning guests do
//! not stall the server, every per-call record is bounded, swallowed limits still fail the call,
//! secrets stay secret across auth methods, SigV4 material goes only to AWS, redirects are
//! checked like responses, URL user info is refused and a credential carries the resource id the
//! host accepted, not one the plugin made up. Each finding has a positive control.

use airlock::egress::EgressPolicy;
use airlock::instance::{ConnectorConfig, Instance};
use airlock::runtime::{CallError, Limit, Limits, LoadError, Runtime, RuntimeOptions};
use airlock_tests::fixture_server::FixtureServer;
use airlock_tests::probe::{instance, probe, run};
use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind};
use airlock_tests::{guest_component, probe_component};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Finding 1: after approval, the stored spec is the only one that governs; a component whose
/// `describe()` disagrees with it at load is refused.
#[tokio::test]
async fn only_the_approved_spec_governs_and_a_shifting_describe_is_refused() {
    let runtime = Runtime::new(RuntimeOptions::default()).unwrap();
    let wasm = guest_component("shifty");
    // The admin approves the narrow spec (the guest widens on a random half of its loads).
    let mut approved = None;
    for _ in 0..64 {
        let spec = runtime.load(&wasm).await.unwrap().spec;
        if spec.egress_hosts.is_empty() {
            approved = Some(spec);
            break;
        }
    }
    let approved = approved.expect("the narrow spec in 64 loads");
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..64 {
        match runtime.load_approved(&wasm, approved.clone()).await {
            Ok(plugin) => {
                accepted += 1;
                assert_eq!(plugin.spec, approved);
                // Release follows the approved spec: the token is not released.
                let inst = Arc::new(
                    Instance::prepare(
                        &plugin.spec,
                        ConnectorConfig::new(None, [("token", "never-released-123")]),
                        &EgressPolicy::default(),
                    )
                    .unwrap(),
                );
                let request = airlock::runtime::bindings::ClientRequest {
                    resource_type: "thing".into(),
                    resource_id: None,
                    expiration_seconds: None,
                };
                let err = runtime.issue_client(&plugin, inst, &request, Default::default()).await.unwrap_err();
                assert!(matches!(&err, CallError::BadResult(m) if m.contains("does not declare")), "{err:?}");
            }
            Err(LoadError::SpecChanged(connector_type)) => {
                refused += 1;
                assert_eq!(connector_type, "shifty");
            }
            Err(other) => panic!("unexpected load error: {other}"),
        }
        if accepted > 0 && refused > 0 {
            break;
        }
    }
    assert!(accepted > 0, "control: a load that describes the approved spec is accepted");
    assert!(refused > 0, "a load whose describe() widened was refused");
    let message = LoadError::SpecChanged("shifty".into()).to_string();
    assert!(
        message.contains("differently from the spec an admin approved") && message.contains("reinstalls"),
        "{message}"
    );
}

/// Finding 2: more spinning calls than CPU threads leave `/healthz` and a normal verify
/// answering within a second, and each spinner is stopped at its wall time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spinning_guests_do_not_stall_the_server() {
    let fixture = FixtureServer::start().await;
    let data = tempfile::tempdir().unwrap().keep();
    let wall_time = 4;
    let server =
        Server::start_with(StoreKind::Sqlite, data, vec![("AIRLOCK_CALL_WALL_TIME".into(), wall_time.to_string())]);
    server.install_approved(probe_component()).await;
    let body = json!({"name": "spinner", "connector_type": "probe", "auth_method": "token", "verify": false,
        "configuration": {"endpoint": fixture.url("")}});
    assert_eq!(server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(body)).await.0, 201);

    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let spinners = 3 * threads;
    let server = Arc::new(server);
    let started = Instant::now();
    let handles: Vec<_> = (0..spinners)
        .map(|_| {
            let server = server.clone();
            tokio::spawn(async move {
                server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors/spinner/verify?resource_id=spin", None).await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut worst = Duration::ZERO;
    for _ in 0..5 {
        let asked = Instant::now();
        let (status, body) = server.call(ADMIN_TOKEN, "GET", "/healthz", None).await;
        worst = worst.max(asked.elapsed());
        assert_eq!((status, body.as_str()), (200, "ok"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(worst < Duration::from_secs(1), "/healthz took {worst:?} while {spinners} guests spun");
    let asked = Instant::now();
    let path = format!("/api/v1/connectors/spinner/verify?resource_id=fetch%20{}", fixture.url("/ok"));
    let (status, listing) = server.json(ADMIN_TOKEN, "POST", &path, None).await;
    let took = asked.elapsed();
    assert_eq!(status, 200, "{listing}");
    assert_eq!(listing[0]["resource_ids"], json!(["200", "hello from the fixture"]), "{listing}");
    assert!(took < Duration::from_secs(1), "a normal verify took {took:?} while {spinners} guests spun");
    assert!(started.elapsed() < Duration::from_secs(wall_time), "the checks ran while the spinners were still running");

    for handle in handles {
        let (status, error) = handle.await.unwrap();
        assert_eq!((status, error["error"]["code"].as_str()), (504, Some("limit-exceeded")), "{error}");
        assert!(error["error"]["message"].as_str().unwrap().contains("wall-time"), "{error}");
    }
    let all_stopped = started.elapsed();
    assert!(
        all_stopped < Duration::from_secs(wall_time + 3),
        "the wall-time budget of {wall_time}s stretched to {all_stopped:?}"
    );
}

/// Finding 3: what a call makes the host hold is bounded.
#[tokio::test]
async fn every_per_call_record_is_bounded() {
    let server = FixtureServer::start().await;
    let (runtime, plugin) = probe(Limits::default()).await;
    let inst = instance(&plugin, &[("endpoint", &server.url(""))]);

    // Denials: a flood is counted, a few are kept, each cut short.
    let seen = run(&runtime, &plugin, inst.clone(), "deny-flood", "20000").await.unwrap();
    assert_eq!(seen, vec!["made 20000 denied requests"]);
    let warnings = inst.take_warnings();
    assert!(warnings.len() <= 9, "{} warnings kept", warnings.len());
    assert!(warnings.iter().all(|w| w.len() < 700), "a warning longer than the cap");
    assert_eq!(warnings.last().unwrap(), "19992 more egress request(s) were denied");
    // Control: one denial is one warning.
    run(&runtime, &plugin, inst.clone(), "deny-flood", "1").await.unwrap();
    let one = inst.take_warnings();
    assert!(
        one.len() == 1
            && one[0].starts_with("egress denied: ")
            && one[0].contains("not in this connector's egress allowlist"),
        "{one:?}"
    );

    // Results: a 3 MiB listing is a named limit error; a small one passes.
    let err = run(&runtime, &plugin, inst.clone(), "huge-result", "").await.unwrap_err();
    assert!(matches!(&err, CallError::Limit(l) if l.limit == Limit::ResultBytes), "{err:?}");
    assert_eq!(err.to_string(), "the connector exceeded its result-size limit (1048576 bytes)");
    assert!(run(&runtime, &plugin, inst.clone(), "fetch", &server.url("/ok")).await.is_ok());

    // Error strings: a 10 MiB message is cut.
    let err = run(&runtime, &plugin, inst.clone(), "huge-error", "").await.unwrap_err();
    let CallError::Connector(error) = &err else { panic!("{err:?}") };
    assert!(
        error.message().len() < 5 << 10 && error.message().contains("bytes cut"),
        "{} bytes",
        error.message().len()
    );

    // Logs: 100 MiB of log lines neither fail the call nor reach the log whole.
    assert_eq!(run(&runtime, &plugin, inst, "log-flood", "").await.unwrap(), vec!["logged"]);

    // Specs: a 24 MiB describe() is refused at load; the probe's own spec loads.
    let err = runtime.load(&guest_component("bloat")).await.err().unwrap();
    assert!(matches!(&err, LoadError::Describe(CallError::Limit(l)) if l.limit == Limit::ResultBytes), "{err:?}");
    assert!(err.to_string().contains("result-size limit (262144 bytes)"), "{err}");
}

/// Finding 4: a guest that ran a budget dry and then returned Ok still fails.
#[tokio::test]
async fn a_swallowed_limit_still_fails_the_call() {
    let server = FixtureServer::start().await;
    let (runtime, plugin) = probe(Limits { max_requests: 3, ..Default::default() }).await;
    let inst = instance(&plugin, &[("endpoint", &server.url(""))]);
    let err = run(&runtime, &plugin, inst.clone(), "swallow-limit", &server.url("/ok")).await.unwrap_err();
    assert!(matches!(&err, CallError::Limit(l) if l.limit == Limit::OutboundRequests), "{err:?}");
    // Control: within the budget the same guest succeeds.
    assert_eq!(
        run(&runtime, &plugin, inst, "fetch", &server.url("/ok")).await.unwrap(),
        vec!["200", "hello from the fixture"]
    );
}

/// Finding 5: switching a connector to an auth method that declares its secret's name as plain
/// configuration is refused; giving a new value in the same update is accepted.
#[tokio::test]
async fn a_secret_stays_secret_across_auth_methods() {
    let server = Server::start(StoreKind::Sqlite);
    server.install_approved(probe_component()).await;
    let secret = format!("switch-canary-{}", std::process::id());
    let body = json!({"name": "switcher", "connector_type": "probe", "auth_method": "token", "verify": false,
        "configuration": {"token": secret}});
    assert_eq!(server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(body)).await.0, 201);

    let switch = json!({"auth_method": "plain", "verify": false});
    let (status, error) = server.json(ADMIN_TOKEN, "PATCH", "/api/v1/connectors/switcher", Some(switch)).await;
    assert_eq!(status, 400, "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("not turned into plain configuration"), "{error}");
    let (_, view) = server.json(ADMIN_TOKEN, "GET", "/api/v1/connectors/switcher", None).await;
    assert_eq!(
        (view["auth_method"].as_str(), view["configuration"]["token"].as_str()),
        (Some("token"), Some("[HIDDEN]"))
    );

    // Control: a new value given with the switch is plain configuration by the user's choice.
    let switch = json!({"auth_method": "plain", "verify": false, "configuration": {"token": "public-value"}});
    let (status, view) = server.json(ADMIN_TOKEN, "PATCH", "/api/v1/connectors/switcher", Some(switch)).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["configuration"]["token"], "public-value");
    for file in std::fs::read_dir(&server.data_dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{} holds the secret in clear",
            file.display()
        );
    }
    assert!(!server.log_text().contains(&secret));
}

/// Finding 6: SigV4 signs only for AWS's own endpoints (or exact configured origins), never for
/// another host under a wildcard; presigned URLs likewise.
#[tokio::test]
async fn sigv4_material_goes_only_where_aws_is() {
    let (runtime, plugin) = probe(Limits::default()).await;
    let inst = instance(&plugin, &[("token", "aws-secret-key-canary"), ("key_id", "AKIACANARY0000000001")]);
    let gateway = "https://abc123.execute-api.us-east-1.amazonaws.com/prod";
    let seen = run(&runtime, &plugin, inst.clone(), "sigv4-send", gateway).await.unwrap();
    assert!(
        seen[0].contains("BindingNotAllowed") && seen[0].contains("is not the AWS endpoint of `execute-api`"),
        "{seen:?}"
    );
    let seen = run(&runtime, &plugin, inst.clone(), "presign", gateway).await.unwrap();
    assert!(
        seen[0].starts_with("Err(")
            && seen[0].contains("is not the AWS endpoint of `sts`")
            && !seen[0].contains("AKIACANARY"),
        "{seen:?}"
    );
    // Control: a presigned URL for STS itself is what the connector asked for.
    let sts = "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15";
    let seen = run(&runtime, &plugin, inst, "presign", sts).await.unwrap();
    assert!(
        seen[0].starts_with("Ok(\"https://sts.us-east-1.amazonaws.com/") && seen[0].contains("X-Amz-Signature="),
        "{seen:?}"
    );
    assert!(!seen[0].contains("aws-secret-key-canary"));
}

/// Finding 7: a redirect whose Location reflects the injected credential is not followed.
#[tokio::test]
async fn a_redirect_reflecting_the_credential_is_not_followed() {
    let server = FixtureServer::start().await;
    let (runtime, plugin) = probe(Limits::default()).await;
    let token = "reflected/token+with=chars";
    let inst = instance(
        &plugin,
        &[("endpoint", &server.url("")), ("second_endpoint", &server.other_origin_url("")), ("token", token)],
    );
    let target = server.url(&format!("/redirect-reflect?to={}", server.other_origin_url("/whoami")));
    let err = run(&runtime, &plugin, inst.clone(), "fetch-bearer", &target).await.unwrap_err();
    assert!(matches!(&err, CallError::Connector(e) if e.message().contains("echoed a secret")), "{err:?}");
    assert!(
        server.requested().iter().all(|uri| !uri.contains("leak=")),
        "the next hop received the credential: {:?}",
        server.requested()
    );
    // Control: a plain redirect to the same next hop is followed.
    let plain = server.url(&format!("/redirect?to={}", server.other_origin_url("/whoami")));
    assert_eq!(
        run(&runtime, &plugin, inst, "fetch-bearer", &plain).await.unwrap(),
        vec!["200", "authorization: absent"]
    );
}

/// Finding 9: URLs with user info are refused, not turned into an Authorization header.
#[tokio::test]
async fn url_user_info_is_refused() {
    let server = FixtureServer::start().await;
    let (runtime, plugin) = probe(Limits::default()).await;
    let inst = instance(&plugin, &[("endpoint", &server.url(""))]);
    let with_userinfo = server.url("/whoami").replace("http://", "http://user:pass@");
    let seen = run(&runtime, &plugin, inst.clone(), "fetch-raw", &with_userinfo).await.unwrap();
    assert!(seen[0].contains("InvalidRequest") && seen[0].contains("user info"), "{seen:?}");
    assert!(!server.requested().iter().any(|uri| uri.contains("whoami")), "the request was not sent");
    // Control: the same URL without user info is fetched.
    let seen = run(&runtime, &plugin, inst, "fetch-raw", &server.url("/whoami")).await.unwrap();
    assert!(seen[0].starts_with("Ok(") && seen[0].contains("status: 200"), "{seen:?}");
}

/// Finding 10: a guest cannot hide its panic text by filling stderr first.
#[tokio::test]
async fn a_panic_after_a_stderr_flood_is_still_reported() {
    let (runtime, plugin) = probe(Limits::default()).await;
    let err = run(&runtime, &plugin, instance(&plugin, &[]), "stderr-then-panic", "").await.unwrap_err();
    assert!(
        matches!(&err, CallError::Trap(m) if m.contains("the real panic message comes last") && m.len() < 6 << 10),
        "{err:?}"
    );
    // Control: a plain panic is reported the same way.
    let err = run(&runtime, &plugin, instance(&plugin, &[]), "panic", "").await.unwrap_err();
    assert!(matches!(&err, CallError::Trap(m) if m.contains("the probe panicked on purpose")), "{err:?}");
}

/// Finding 11: a resource id the guest canonicalises is stored with the lease; one with control
/// characters is the guest's bad result, not a store error that fails other writes.
#[tokio::test]
async fn a_canonical_id_with_control_characters_is_a_bad_result() {
    let (runtime, plugin) = probe(Limits::default()).await;
    let err = runtime.canonical_resource_id(&plugin, instance(&plugin, &[]), "probe", "nul bucket").await.unwrap_err();
    assert!(matches!(&err, CallError::BadResult(m) if m.contains("control characters")), "{err:?}");
    // Control: a clean id passes through.
    let id = runtime.canonical_resource_id(&plugin, instance(&plugin, &[]), "probe", "bucket").await.unwrap();
    assert_eq!(id, "bucket");
}

/// A plugin that labels a credential with another resource than the one it was asked about does
/// not get that label to the client: the host labels it with the id the connector accepted.
#[tokio::test]
async fn a_credential_is_labelled_with_the_accepted_id_only() {
    let server = Server::start(StoreKind::Sqlite);
    server.install_approved(probe_component()).await;
    let body = json!({"name": "labels", "connector_type": "probe", "auth_method": "token", "verify": false,
        "configuration": {"canary": "c"}});
    assert_eq!(server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(body)).await.0, 201);
    let ask = json!({"resource_type": "probe", "resource_id": "mislabel bucket"});
    let (status, issued) = server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors/labels/client", Some(ask)).await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["credential"]["resource_id"], "mislabel bucket", "{issued}");
    assert_eq!(issued["credential"]["attributes"][0][1]["value"], "issued", "{issued}");
}
