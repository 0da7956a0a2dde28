//! The `airlock` binary's local surface: help, the built-in connector types without a server,
//! and clear errors for bad arguments. (Also makes `cargo test` build the binary that the
//! end-to-end tests in `tests/` drive.)

use std::process::Command;

fn airlock(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(args)
        .env_remove("AIRLOCK_URL")
        .env("HOME", std::env::temp_dir().join("airlock-cli-test-home"))
        .env("XDG_CONFIG_HOME", std::env::temp_dir().join("airlock-cli-test-home/none"))
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
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
}

#[test]
fn bad_arguments_are_explained() {
    let (ok, _, stderr) = airlock(&["connector", "describe-type", "nope"]);
    assert!(!ok && stderr.contains("unknown built-in connector type `nope` (available: aws, docker)"), "{stderr}");
    let (ok, _, stderr) = airlock(&["connector", "describe-type", "docker", "-a", "oauth"]);
    assert!(!ok && stderr.contains("has no auth method `oauth` (available: password)"), "{stderr}");
    let (ok, _, stderr) = airlock(&["connector", "verify-local", "docker", "username=alice"]);
    assert!(!ok && stderr.contains("attributes are given as --name=value"), "{stderr}");
    let (ok, _, stderr) = airlock(&["connector", "verify-local", "docker", "--username=alice"]);
    assert!(!ok && stderr.contains("the required attribute `password` is missing"), "{stderr}");
    let (ok, _, stderr) = airlock(&["connector", "list"]);
    assert!(!ok && stderr.contains("no API token"), "{stderr}");
}
