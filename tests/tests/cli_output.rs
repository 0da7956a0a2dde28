//! `connector list` filters, sorting, paging, columns and output formats; owners by name;
//! `describe -x` for the owner and admins only (audited); `update -i` through a real terminal.

use airlock::store::now;
use airlock_tests::require_tool;
use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, out};
use serde_json::{Value, json};
use std::process::Output;

fn ok(output: &Output, what: &str) -> String {
    let (stdout, stderr) = out(output);
    assert!(output.status.success(), "{what}: {stderr}");
    stdout
}

fn names(listed: &str) -> Vec<String> {
    let listed: Value = serde_json::from_str(listed).unwrap();
    listed.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect()
}

/// A docker connector registered without verification (nothing listens on port 9).
async fn register(server: &Server, token: &str, name: &str, extra: Value) {
    let mut body = json!({
        "name": name, "connector_type": "docker", "verify": false,
        "configuration": {"username": "u", "password": format!("pw-of-{name}-0123456789"), "registry": "http://127.0.0.1:9"},
    });
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let (status, answer) = server.json(token, "POST", "/api/v1/connectors", Some(body)).await;
    assert_eq!(status, 201, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_filters_sorts_pages_and_prints_every_format() {
    let server = Server::start(StoreKind::Sqlite);
    let bob: Value =
        serde_json::from_str(&ok(&server.cli(ADMIN_TOKEN, &["user", "create", "bob", "-o", "json"]), "user create"))
            .unwrap();
    let bob = bob["token"].as_str().unwrap().to_string();
    register(&server, ADMIN_TOKEN, "a-reg", json!({"labels": {"team": "ml"}, "shared": true})).await;
    register(
        &server,
        ADMIN_TOKEN,
        "c-scoped",
        json!({"resource_type": "docker-registry", "resource_id": "127.0.0.1:9"}),
    )
    .await;
    // Within the default skew tolerance (300 s) of its expiry: counts as expired at once.
    register(&server, &bob, "b-expiring", json!({"expires_at": now() + 100})).await;

    let list = |args: &[&str]| {
        let mut all = vec!["connector", "list"];
        all.extend(args);
        ok(&server.cli(ADMIN_TOKEN, &all), &all.join(" "))
    };
    assert_eq!(names(&list(&["-o", "json"])), ["a-reg", "b-expiring", "c-scoped"]);
    assert_eq!(names(&list(&["--owner", "bob", "-o", "json"])), ["b-expiring"]);
    assert_eq!(names(&list(&["--user", "admin", "-o", "json"])), ["a-reg", "c-scoped"]);
    assert_eq!(names(&list(&["--expired", "-o", "json"])), ["b-expiring"]);
    assert_eq!(names(&list(&["--expired=false", "-o", "json"])), ["a-reg", "c-scoped"]);
    assert_eq!(names(&list(&["-ri", "127.0.0.1:9", "-o", "json"])), ["c-scoped"]);
    assert_eq!(names(&list(&["-l", "team=ml", "-o", "json"])), ["a-reg"]);
    assert_eq!(names(&list(&["--sort-by=-name", "-o", "json"])), ["c-scoped", "b-expiring", "a-reg"]);
    assert_eq!(names(&list(&["--sort-by", "desc:name", "-o", "json"])), ["c-scoped", "b-expiring", "a-reg"]);
    assert_eq!(names(&list(&["--sort-by=expires", "-o", "json"]))[0], "b-expiring");
    assert_eq!(names(&list(&["--sort-by=name", "--size", "2", "--page", "2", "-o", "json"])), ["c-scoped"]);
    assert_eq!(names(&list(&["--size", "2", "-o", "json"])).len(), 2);

    // Machine output: owners by name, RFC 3339 times; CSV/TSV with the chosen columns.
    let listed: Value = serde_json::from_str(&list(&["-o", "json"])).unwrap();
    assert_eq!(listed[1]["owner"], "bob");
    let created = listed[0]["created_at"].as_str().expect("an RFC 3339 time");
    assert!(created.starts_with("20") && created.ends_with('Z') && created.contains('T'), "{created}");
    assert_eq!(
        list(&["-c", "name,owner,shared", "-o", "csv"]),
        "name,owner,shared\na-reg,admin,✔\nb-expiring,bob,-\nc-scoped,admin,-\n"
    );
    assert_eq!(list(&["-c", "name,labels", "-o", "tsv", "-l", "team"]), "name\tlabels\na-reg\tteam=ml\n");
    let yaml = list(&["-o", "yaml", "--owner", "bob"]);
    assert!(yaml.contains("name: b-expiring") && yaml.contains("owner: bob"), "{yaml}");
    assert!(yaml.contains("created_at: \"20") || yaml.contains("created_at: 20"), "{yaml}");
    let table = list(&["-c", "name,owner,expires_at"]);
    assert!(table.contains("OWNER") && table.contains("bob") && table.contains(" UTC (in "), "{table}");
    let csv = list(&["-c", "name,created_at", "-o", "csv", "--owner", "bob"]);
    let stamp = csv.lines().nth(1).and_then(|row| row.strip_prefix("b-expiring,")).unwrap_or_default();
    assert!(stamp.starts_with("20") && stamp.contains('T') && stamp.ends_with('Z'), "{csv}");

    // A table fits `COLUMNS`: the ids (UUIDs) wrap after their hyphens, never inside a group.
    let narrow = server.cli_env(
        ADMIN_TOKEN,
        &["connector", "list", "-c", "name,id,resource_name"],
        &[("COLUMNS", std::path::Path::new("50"))],
    );
    let narrow = ok(&narrow, "list with COLUMNS=50");
    assert!(narrow.lines().all(|line| line.chars().count() <= 50), "{narrow}");
    let id = listed[0]["id"].as_str().unwrap();
    let id_cells: Vec<&str> = narrow
        .lines()
        .filter_map(|line| line.split(['│', '┆']).nth(2))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let pieces: Vec<&str> =
        id_cells.iter().copied().skip_while(|c| !id.starts_with(c)).take_while(|c| id.contains(c)).collect();
    assert!(pieces.len() > 1 && pieces.concat() == id, "{id} in {narrow}");
    assert!(pieces[..pieces.len() - 1].iter().all(|p| p.ends_with('-')), "{pieces:?}");

    // Bad values name the flag the user typed.
    let bad = server.cli(ADMIN_TOKEN, &["connector", "list", "--sort-by", "colour"]);
    assert!(!bad.status.success() && out(&bad).1.contains("--sort-by"), "{}", out(&bad).1);
    let bad = server.cli(ADMIN_TOKEN, &["connector", "list", "-c", "name,colour"]);
    assert!(out(&bad).1.contains("-c/--columns: no column `colour`"), "{}", out(&bad).1);
    let bad = server.cli(ADMIN_TOKEN, &["connector", "list", "--page", "2"]);
    assert!(!bad.status.success() && out(&bad).1.contains("--size"), "{}", out(&bad).1);

    // `describe -x`: the owner and admins see stored secrets (with a warning, audited); a user
    // who may only use the connector is refused.
    let shown = server.cli(ADMIN_TOKEN, &["connector", "describe", "a-reg", "-x"]);
    let (stdout, stderr) = out(&shown);
    assert!(shown.status.success() && stdout.contains("pw-of-a-reg-0123456789"), "{stdout}{stderr}");
    assert!(stderr.contains("warning: showing the stored secret values"), "{stderr}");
    let hidden = ok(&server.cli(ADMIN_TOKEN, &["connector", "describe", "a-reg"]), "describe");
    assert!(!hidden.contains("pw-of-a-reg") && hidden.contains("[HIDDEN]"), "{hidden}");
    let refused = server.cli(&bob, &["connector", "describe", "a-reg", "-x"]);
    assert!(!refused.status.success(), "{}", out(&refused).0);
    assert!(out(&refused).1.contains("only the owner of `a-reg` or an admin"), "{}", out(&refused).1);
    assert!(!out(&refused).0.contains("pw-of-a-reg"));
    let own = ok(&server.cli(&bob, &["connector", "describe", "b-expiring", "-x", "-o", "json"]), "own -x");
    assert_eq!(
        serde_json::from_str::<Value>(&own).unwrap()["configuration"]["password"],
        "pw-of-b-expiring-0123456789"
    );
    let audit = ok(&server.cli(ADMIN_TOKEN, &["audit", "-o", "json"]), "audit");
    let reveals: Vec<(String, String)> = serde_json::from_str::<Value>(&audit)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "connector.reveal")
        .map(|r| (r["actor"].as_str().unwrap().to_string(), r["outcome"].as_str().unwrap().to_string()))
        .collect();
    for expected in [("admin", "ok"), ("bob", "denied"), ("bob", "ok")] {
        assert!(reveals.contains(&(expected.0.into(), expected.1.into())), "{reveals:?}");
    }
}

/// `update -i` in a real terminal: current values are the defaults, Enter keeps a secret, a
/// typed value replaces; `-x` shows what is typed, the default hides it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactive_update_offers_the_current_values() {
    let server = Server::start(StoreKind::Sqlite);
    register(&server, ADMIN_TOKEN, "reg", json!({})).await;
    let session = |steps: Value, args: &[&str]| {
        let output = std::process::Command::new(require_tool("python3"))
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/drivers/pty_script.py"))
            .arg(steps.to_string())
            .arg(airlock_tests::airlock_bin())
            .args(args)
            .env("AIRLOCK_URL", &server.url)
            .env("AIRLOCK_TOKEN", ADMIN_TOKEN)
            .env("HOME", &server.data_dir)
            .output()
            .unwrap();
        let screen = String::from_utf8_lossy(&output.stdout).to_string();
        assert!(output.status.success(), "{screen}{}", String::from_utf8_lossy(&output.stderr));
        screen
    };
    // Keep the auth method, rename the user, keep the password, keep the registry.
    let screen = session(
        json!([
            ["expect", "Auth method"],
            ["send", "\r"],
            ["expect", "username"],
            ["send", "carol\r"],
            ["expect", "Enter keeps it"],
            ["send", "\r"],
            ["expect", "registry"],
            ["send", "\r"],
            ["expect", "Updated connector"]
        ]),
        &["connector", "update", "reg", "-i", "--no-verify"],
    );
    assert!(screen.contains("(u)") || screen.contains("[u]"), "the current user name is the default: {screen}");
    let secrets = ok(&server.cli(ADMIN_TOKEN, &["connector", "describe", "reg", "-x", "-o", "json"]), "describe -x");
    let secrets: Value = serde_json::from_str(&secrets).unwrap();
    assert_eq!(secrets["configuration"]["username"], "carol");
    assert_eq!(secrets["configuration"]["password"], "pw-of-reg-0123456789", "Enter kept the password");

    // A new password typed hidden, then one typed with -x (echoed).
    let new_password = |password: &str| {
        json!([
            ["expect", "Auth method"],
            ["send", "\r"],
            ["expect", "username"],
            ["send", "\r"],
            ["expect", "Enter keeps it"],
            ["send", format!("{password}\r")],
            ["expect", "registry"],
            ["send", "\r"],
            ["expect", "Updated connector"]
        ])
    };
    let screen = session(new_password("hidden-pass-0123456789"), &["connector", "update", "reg", "-i", "--no-verify"]);
    assert!(!screen.contains("hidden-pass-0123456789"), "the secret was echoed: {screen}");
    let screen =
        session(new_password("shown-pass-0123456789"), &["connector", "update", "reg", "-i", "-x", "--no-verify"]);
    assert!(screen.contains("shown-pass-0123456789"), "-x echoes what is typed: {screen}");
    let secrets = ok(&server.cli(ADMIN_TOKEN, &["connector", "describe", "reg", "-x", "-o", "json"]), "describe -x");
    assert_eq!(serde_json::from_str::<Value>(&secrets).unwrap()["configuration"]["password"], "shown-pass-0123456789");
}
