//! The `airlock` binary's local surface: help, the built-in connector types without a server,
//! and clear errors for bad arguments. (Also makes `cargo test` build the binary that the
//! end-to-end tests in `tests/` drive.)

use std::process::Command;

fn airlock(args: &[&str]) -> (bool, String, String) {
    airlock_with(args, &[])
}

/// `airlock <args>` with a scratch home, no configured server, and `env` set.
fn airlock_with(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(args)
        .env_remove("AIRLOCK_URL")
        .env_remove("AIRLOCK_TOKEN")
        .env_remove("COLUMNS")
        .env("HOME", std::env::temp_dir().join("airlock-cli-test-home"))
        .env("XDG_CONFIG_HOME", std::env::temp_dir().join("airlock-cli-test-home/none"))
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn lists_and_describes_the_built_in_types_without_a_server() {
    let (ok, stdout, stderr) = airlock(&["connector", "list-types"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("docker") && stdout.contains("docker-registry"), "{stdout}");
    assert!(stderr.contains("no server configured"), "{stderr}");
    let (ok, stdout, _) = airlock(&["connector", "describe-type", "docker", "-o", "json"]);
    assert!(ok);
    let spec: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(spec["auth_methods"][0]["releases_secrets"], serde_json::json!(["password"]));
    let (ok, stdout, _) = airlock(&["connector", "describe-type", "docker", "-r", "docker-registry"]);
    assert!(ok && stdout.contains("MULTIPLE INSTANCES"), "{stdout}");
    // The full documentation of one resource type and of one auth method.
    let (ok, stdout, _) = airlock(&["connector", "describe-type", "aws", "-r", "kubernetes-cluster"]);
    let documented = ["eks:DescribeCluster", "arn:aws:eks:<region>:<account>:cluster/<name>"];
    assert!(ok && documented.iter().all(|d| stdout.contains(d)), "{stdout}");
    // `implicit`: disabled here, and what an admin does instead, for every cloud that has it.
    for cloud in ["aws", "gcp", "azure"] {
        let (ok, stdout, _) = airlock(&["connector", "describe-type", cloud, "-a", "implicit"]);
        let said = ["DISABLED on this server", "How an admin enables", "--auto-configure", "airlock connector share"];
        assert!(ok && said.iter().all(|s| stdout.contains(s)), "{cloud}: {stdout}");
    }
}

#[test]
fn bad_arguments_are_explained() {
    let (ok, _, stderr) = airlock(&["connector", "describe-type", "nope"]);
    assert!(
        !ok && stderr.contains(
            "unknown built-in connector type `nope` (available: aws, azure, docker, gcp, hyperai, kubernetes, oauth2)"
        ),
        "{stderr}"
    );
    let (ok, _, stderr) = airlock(&["connector", "describe-type", "docker", "-a", "oauth"]);
    assert!(!ok && stderr.contains("has no auth method `oauth` (available: password)"), "{stderr}");
    let (ok, _, stderr) = airlock(&["connector", "verify-local", "docker", "username=alice"]);
    assert!(!ok && stderr.contains("attributes are given as --name=value"), "{stderr}");
    let (ok, _, stderr) = airlock(&["connector", "verify-local", "docker", "--username=alice"]);
    assert!(!ok && stderr.contains("the required attribute `password` is missing"), "{stderr}");
    let (ok, _, stderr) = airlock(&["connector", "list"]);
    assert!(!ok && stderr.contains("no API token"), "{stderr}");
}

#[test]
fn configure_saves_the_server_and_token_privately() {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(["configure", "--url", "http://127.0.0.1:9", "--token-stdin"])
        .env("HOME", home.path())
        .env_remove("XDG_CONFIG_HOME")
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"alk_saved-token\n").unwrap();
    assert!(child.wait().unwrap().success());
    let file = home.path().join(".config/airlock/config.json");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!((saved["url"].as_str(), saved["token"].as_str()), (Some("http://127.0.0.1:9"), Some("alk_saved-token")));
    // Later commands use it.
    let out = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(["connector", "list"])
        .env("HOME", home.path())
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("AIRLOCK_URL")
        .env_remove("AIRLOCK_TOKEN")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach the Airlock server at http://127.0.0.1:9"));
}

/// A token configured for one server is not sent to another: the URL a credential helper pins
/// (`--url`) differs from `AIRLOCK_URL`, so `AIRLOCK_TOKEN` is withheld.
#[test]
fn a_token_is_not_sent_to_a_server_it_was_not_configured_for() {
    let env = [("AIRLOCK_URL", "http://airlock.internal:8900"), ("AIRLOCK_TOKEN", "a-token-for-airlock-internal")];
    let (ok, _, stderr) = airlock_with(&["--url", "http://127.0.0.1:9", "lease", "list"], &env);
    assert!(!ok && stderr.contains("no API token"), "{stderr}");
}

/// A configured server that does not answer.
const SERVER_DOWN: [(&str, &str); 2] =
    [("AIRLOCK_URL", "http://127.0.0.1:9"), ("AIRLOCK_TOKEN", "a-token-for-a-server-that-is-down")];

/// With a configured server that cannot be reached, `list-types` falls back to the built-in
/// types and says why.
#[test]
fn list_types_falls_back_to_the_built_in_types_when_the_server_is_down() {
    let (ok, stdout, stderr) = airlock_with(&["connector", "list-types"], &SERVER_DOWN);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("kubernetes-cluster"), "{stdout}");
    assert!(stderr.contains("cannot reach the Airlock server") && stderr.contains("built-in"), "{stderr}");
}

/// `list-types` filters like ZenML's (`-t`, `-r`, `-a`).
#[test]
fn list_types_filters_by_type_resource_type_and_auth_method() {
    let names = |args: &[&str]| {
        let mut all = vec!["connector", "list-types", "-o", "json"];
        all.extend_from_slice(args);
        let (ok, stdout, stderr) = airlock(&all);
        assert!(ok, "{stderr}");
        let specs: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
        specs.iter().map(|s| s["connector_type"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(names(&["-t", "gcp"]), ["gcp"]);
    assert_eq!(names(&["-r", "kubernetes-cluster"]), ["aws", "azure", "gcp", "kubernetes"]);
    assert_eq!(names(&["-a", "ed25519-key"]), ["hyperai"]);
    assert!(names(&["-r", "no-such-type"]).is_empty());
}

/// With the configured server down, `describe-type` describes the built-in type and says why.
#[test]
fn describe_type_falls_back_to_the_built_in_type_when_the_server_is_down() {
    let (ok, stdout, stderr) = airlock_with(&["connector", "describe-type", "kubernetes", "-a", "token"], &SERVER_DOWN);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("client_key"), "{stdout}");
    assert!(stderr.contains("describing the built-in type"), "{stderr}");
}
