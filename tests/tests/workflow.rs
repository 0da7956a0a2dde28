//! The whole connector workflow through the real `airlock` binary and a running server, on
//! SQLite and on PostgreSQL, with the docker connector against a real registry and the issued
//! credential consumed by `skopeo`; and two replicas sharing one PostgreSQL.

use airlock_tests::registry::Registry;
use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, fresh_postgres_database, out};
use airlock_tests::{oci, require_tool};
use serde_json::Value;
use std::process::Command;

const USER: &str = "alice";

fn json(output: &std::process::Output) -> Value {
    let (stdout, stderr) = out(output);
    assert!(output.status.success(), "command failed: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn workflow(store: StoreKind) {
    let password = format!("wf-pw-{}", std::process::id());
    let registry = Registry::start(USER, &password);
    let server = Server::start(store);
    let dir = tempfile::tempdir().unwrap();
    let pw_file = dir.path().join("pw");
    std::fs::write(&pw_file, &password).unwrap();
    let pw_arg = format!("--password=@{}", pw_file.display());
    let registry_arg = format!("--registry={}", registry.url());
    let cli = |args: &[&str]| server.cli(ADMIN_TOKEN, args);

    // Types.
    let types = json(&cli(&["connector", "list-types", "-o", "json"]));
    assert!(types.as_array().unwrap().iter().any(|t| t["connector_type"] == "docker"), "{types}");
    let (text, _) = out(&cli(&["connector", "describe-type", "docker", "-a", "password"]));
    assert!(text.contains("Clients receive the long-lived secret(s) password"), "{text}");

    // A wrong password is refused and nothing is stored.
    std::fs::write(dir.path().join("bad"), "wrong-password").unwrap();
    let bad = cli(&[
        "connector",
        "register",
        "reg",
        "-t",
        "docker",
        "--username=alice",
        &format!("--password=@{}", dir.path().join("bad").display()),
        &registry_arg,
    ]);
    let (_, stderr) = out(&bad);
    assert!(
        !bad.status.success() && stderr.contains("rejected the credentials") && stderr.contains("[unauthorized]"),
        "{stderr}"
    );
    assert_eq!(json(&cli(&["connector", "list", "-o", "json"])), Value::Array(vec![]));

    // Register, list, describe.
    let registered = json(&cli(&[
        "connector",
        "register",
        "reg",
        "-t",
        "docker",
        "-d",
        "CI registry",
        "-l",
        "team=ml",
        "-o",
        "json",
        "--username=alice",
        &pw_arg,
        &registry_arg,
    ]));
    assert_eq!(registered["connector"]["resource_id"], registry.host.as_str());
    assert_eq!(registered["resources"][0]["resource_ids"][0], registry.host.as_str());
    let listed = json(&cli(&["connector", "list", "-l", "team=ml", "-o", "json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(json(&cli(&["connector", "list", "-l", "team=other", "-o", "json"])).as_array().unwrap().len(), 0);
    let described = json(&cli(&["connector", "describe", "reg", "-o", "json"]));
    assert_eq!(described["configuration"]["password"], "[HIDDEN]");
    assert_eq!(described["configuration"]["username"], USER);

    // Verify and list resources.
    let verified = json(&cli(&["connector", "verify", "reg", "-o", "json"]));
    assert_eq!(verified[0]["resource_ids"][0], registry.host.as_str());
    let all = json(&cli(&["connector", "list-resources", "-r", "docker-registry", "-o", "json"]));
    assert_eq!(all[0]["name"], "reg");
    assert_eq!(all[0]["resources"][0]["resource_ids"][0], registry.host.as_str());

    // Client credentials: a lease, reused on the second call.
    let first = json(&cli(&["connector", "describe", "reg", "--client", "-o", "json"]));
    let second = json(&cli(&["connector", "describe", "reg", "--client", "-o", "json"]));
    assert_eq!(first["reused"], false);
    assert_eq!(second["reused"], true);
    assert_eq!(first["lease_id"], second["lease_id"]);
    let fresh = json(&cli(&["connector", "describe", "reg", "--client", "--no-reuse", "-o", "json"]));
    assert_ne!(fresh["lease_id"], first["lease_id"]);
    // Revoking the leases stops their reuse.
    for lease in [&first, &fresh] {
        let revoke = cli(&["lease", "revoke", lease["lease_id"].as_str().unwrap()]);
        assert!(revoke.status.success(), "{}", out(&revoke).1);
    }
    let after_revoke = json(&cli(&["connector", "describe", "reg", "--client", "-o", "json"]));
    assert_eq!(after_revoke["reused"], false);
    assert_ne!(after_revoke["lease_id"], first["lease_id"]);
    let leases = json(&cli(&["lease", "list", "-o", "json"]));
    assert!(leases.as_array().unwrap().iter().any(|l| l["id"] == first["lease_id"] && l["revoked"] == true));
    // The table names the connector and the user rather than their ids.
    let table = out(&cli(&["lease", "list"])).0;
    let row = table.lines().find(|l| l.contains(first["lease_id"].as_str().unwrap())).unwrap_or_default();
    assert!(row.contains(" reg ") && row.contains(" admin "), "{table}");
    // Every use of the password binding is audited, by name only.
    let audit = json(&cli(&["audit", "--limit", "500", "-o", "json"]));
    let rows = audit.as_array().unwrap();
    assert!(
        rows.iter().any(|r| r["action"] == "binding.use"
            && r["detail"].as_str().unwrap().contains(&format!("bindings=password GET http://{}", registry.host))),
        "{audit}"
    );
    assert!(rows.iter().any(|r| r["action"] == "client.issue" && r["outcome"] == "reused"));
    assert!(!audit.to_string().contains(&password));
    let (table, _) = out(&cli(&["connector", "describe", "reg", "--client"]));
    assert!(table.contains("[HIDDEN]") && !table.contains(&password), "{table}");

    // login writes a docker config that skopeo uses.
    let skopeo = require_tool("skopeo");
    let docker_dir = dir.path().join("docker");
    let login = cli(&["connector", "login", "--static", "reg", "--docker-config", docker_dir.to_str().unwrap()]);
    assert!(login.status.success(), "{}", out(&login).1);
    let auth_file = docker_dir.join("config.json");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&auth_file).unwrap().permissions().mode() & 0o777, 0o600);
    let layout = dir.path().join("image");
    oci::write_image(&layout);
    let image = format!("docker://{}/airlock/wf:latest", registry.host);
    let push = Command::new(&skopeo)
        .args(["copy", "--dest-tls-verify=false", "--dest-authfile", auth_file.to_str().unwrap()])
        .arg(format!("oci:{}:latest", layout.display()))
        .arg(&image)
        .output()
        .unwrap();
    assert!(push.status.success(), "skopeo push with the login's auth file: {}", String::from_utf8_lossy(&push.stderr));
    let inspect = Command::new(&skopeo)
        .args(["inspect", "--tls-verify=false", "--authfile", auth_file.to_str().unwrap(), &image])
        .output()
        .unwrap();
    assert!(inspect.status.success(), "{}", String::from_utf8_lossy(&inspect.stderr));

    // Update (labels, description), then delete.
    let updated =
        json(&cli(&["connector", "update", "reg", "-d", "renamed", "-l", "team", "-l", "env=prod", "-o", "json"]));
    assert_eq!(updated["description"], "renamed");
    assert_eq!(updated["labels"], serde_json::json!({"env": "prod"}));
    let after_update = json(&cli(&["connector", "describe", "reg", "--client", "-o", "json"]));
    assert_eq!(after_update["reused"], false, "an update revokes reusable leases");
    let deleted = cli(&["connector", "delete", "reg"]);
    assert!(deleted.status.success());
    let gone = cli(&["connector", "describe", "reg"]);
    assert!(!gone.status.success() && out(&gone).1.contains("no connector named `reg` [not-found]"));
}

#[test]
fn the_workflow_on_sqlite() {
    workflow(StoreKind::Sqlite);
}

#[test]
fn the_workflow_on_postgres() {
    workflow(StoreKind::Postgres(fresh_postgres_database()));
}

#[test]
fn two_replicas_on_one_postgres_serve_the_same_connectors() {
    let password = format!("replica-pw-{}", std::process::id());
    let registry = Registry::start(USER, &password);
    let database = fresh_postgres_database();
    // Replicas share nothing but the database and the master key.
    let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string();
    let env = vec![("AIRLOCK_MASTER_KEY".to_string(), key)];
    let a = Server::start_with(StoreKind::Postgres(database.clone()), tempfile::tempdir().unwrap().keep(), env.clone());
    let b = Server::start_with(StoreKind::Postgres(database), tempfile::tempdir().unwrap().keep(), env);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw"), &password).unwrap();
    let pw = format!("--password=@{}", dir.path().join("pw").display());

    let reg = a.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "register",
            "shared-reg",
            "-t",
            "docker",
            "--username=alice",
            &pw,
            &format!("--registry={}", registry.url()),
        ],
    );
    assert!(reg.status.success(), "{}", out(&reg).1);
    let on_b = json(&b.cli(ADMIN_TOKEN, &["connector", "describe", "shared-reg", "-o", "json"]));
    assert_eq!(on_b["resource_id"], registry.host.as_str());
    let issued_a = json(&a.cli(ADMIN_TOKEN, &["connector", "describe", "shared-reg", "--client", "-o", "json"]));
    let issued_b = json(&b.cli(ADMIN_TOKEN, &["connector", "describe", "shared-reg", "--client", "-o", "json"]));
    assert_eq!(issued_b["reused"], true, "replica B reuses the lease replica A created");
    assert_eq!(issued_a["lease_id"], issued_b["lease_id"]);
    let password_b = airlock_tests::issued_attribute(&issued_b, "password");
    assert_eq!(password_b, password.as_str(), "B opens what A sealed");
    let verified = json(&b.cli(ADMIN_TOKEN, &["connector", "verify", "shared-reg", "-o", "json"]));
    assert_eq!(verified[0]["resource_ids"][0], registry.host.as_str());
    assert!(b.cli(ADMIN_TOKEN, &["connector", "delete", "shared-reg"]).status.success());
    assert!(out(&a.cli(ADMIN_TOKEN, &["connector", "describe", "shared-reg"])).1.contains("[not-found]"));
}

/// `register -i` through a real pseudo-terminal: every prompt answered, the secret typed hidden.
#[test]
fn interactive_registration_prompts_and_hides_the_secret() {
    let password = format!("typed-secret-{}", std::process::id());
    let registry = Registry::start(USER, &password);
    let server = Server::start(StoreKind::Sqlite);
    let driver = concat!(env!("CARGO_MANIFEST_DIR"), "/drivers/interactive_register.py");
    let run = Command::new(require_tool("python3"))
        .arg(driver)
        .arg(airlock_tests::airlock_bin())
        .args([&server.url, ADMIN_TOKEN])
        .arg(&server.data_dir)
        .args([&registry.url(), &password])
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{screen}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(screen.contains("Registered connector `interactive-reg`"), "{screen}");
    assert!(!screen.contains(&password), "the password was echoed: {screen}");
    let described = json(&server.cli(ADMIN_TOKEN, &["connector", "describe", "interactive-reg", "-o", "json"]));
    assert_eq!(described["configuration"]["password"], "[HIDDEN]");
    assert_eq!(described["resource_id"], registry.host.as_str());
}
