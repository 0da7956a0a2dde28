//! `/metrics` read by the Prometheus client library's own text-format parser, its counters
//! moving as a workflow runs against a real registry; admins only. `/readyz` checks the store.

use airlock_tests::registry::Registry;
use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, out};
use std::collections::HashMap;

/// Samples of the scraped text, parsed by `prometheus_client.parser`: `name{labels}` → value.
fn parse(text: &str) -> HashMap<String, f64> {
    let script = "import json, sys\n\
        from prometheus_client.parser import text_string_to_metric_families\n\
        samples = {}\n\
        for family in text_string_to_metric_families(sys.stdin.read()):\n\
        \x20   for s in family.samples:\n\
        \x20       labels = ','.join(f'{k}={v}' for k, v in sorted(s.labels.items()))\n\
        \x20       samples[f'{s.name}{{{labels}}}'] = s.value\n\
        print(json.dumps(samples))\n";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the Prometheus parser refused the text: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn sample(samples: &HashMap<String, f64>, key: &str) -> f64 {
    samples.get(key).copied().unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_and_move_as_the_workflow_runs() {
    let password = format!("metrics-pw-{}", std::process::id());
    let registry = Registry::start("alice", &password);
    let server = Server::start(StoreKind::Sqlite);
    assert_eq!(server.call("", "GET", "/readyz", None).await.0, 200);
    let (status, before) = server.call(ADMIN_TOKEN, "GET", "/metrics", None).await;
    assert_eq!(status, 200, "{before}");
    let before = parse(&before);

    let pw_file = server.data_dir.join("pw");
    std::fs::write(&pw_file, &password).unwrap();
    let registry_arg = format!("--registry={}", registry.url());
    let register = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "register",
            "reg",
            "-t",
            "docker",
            "--username=alice",
            &format!("--password=@{}", pw_file.display()),
            &registry_arg,
        ],
    );
    assert!(register.status.success(), "{}", out(&register).1);
    for _ in 0..2 {
        let issued = server.cli(ADMIN_TOKEN, &["connector", "describe", "reg", "--client", "-o", "json"]);
        assert!(issued.status.success(), "{}", out(&issued).1);
    }
    // A registry in a private range the server's policy denies: an egress denial by address.
    let denied = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "register",
            "far",
            "-t",
            "docker",
            "--username=alice",
            "--password=x-password",
            "--registry=http://10.255.255.1:5000",
        ],
    );
    assert!(!denied.status.success());

    let (_, after) = server.call(ADMIN_TOKEN, "GET", "/metrics", None).await;
    let after = parse(&after);
    let moved = |key: &str| sample(&after, key) - sample(&before, key);
    assert_eq!(moved("airlock_issuances_total{connector_type=docker,outcome=minted}"), 1.0, "{after:?}");
    assert_eq!(moved("airlock_issuances_total{connector_type=docker,outcome=reused}"), 1.0);
    assert!(moved("airlock_plugin_calls_total{connector_type=docker,export=verify,outcome=ok}") >= 1.0, "{after:?}");
    assert!(moved("airlock_plugin_calls_total{connector_type=docker,export=issue-client,outcome=ok}") >= 1.0);
    assert!(moved("airlock_upstream_request_duration_seconds_count{connector_type=docker}") >= 1.0);
    assert!(moved("airlock_egress_denials_total{kind=address}") >= 1.0, "{after:?}");
    assert!(moved("airlock_store_operation_duration_seconds_count{operation=insert_lease}") >= 1.0);
    assert_eq!(sample(&after, "airlock_active_leases{}"), 1.0);

    // Admins only, and nothing secret in it.
    let (status, created) = server
        .json(ADMIN_TOKEN, "POST", "/api/v1/users", Some(serde_json::json!({"name": "carol", "role": "consumer"})))
        .await;
    assert_eq!(status, 201, "{created}");
    let consumer = created["token"].as_str().unwrap();
    assert_eq!(server.call(consumer, "GET", "/metrics", None).await.0, 403);
    assert_eq!(server.call("", "GET", "/metrics", None).await.0, 401);
    let (_, text) = server.call(ADMIN_TOKEN, "GET", "/metrics", None).await;
    assert!(!text.contains(&password));
}
