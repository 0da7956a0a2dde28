//! Errors that say how to fix them, through the real binary and server: a refused token names
//! where it came from and how to set one; an egress denial names the setting that would allow
//! the address and that it is an admin decision.

use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, out};

#[test]
fn a_refused_token_and_an_egress_denial_say_how_to_fix_them() {
    let server = Server::start(StoreKind::Sqlite);
    let refused = server.cli("not-a-valid-token-0123456789", &["connector", "list"]);
    let stderr = out(&refused).1;
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains("refused the API token from AIRLOCK_TOKEN") && stderr.contains("airlock configure"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-a-valid-token"), "the token itself is never echoed: {stderr}");
    // The same from the flag, and from the config file `airlock configure` writes.
    let flagged = server.cli(ADMIN_TOKEN, &["connector", "list", "--token", "flag-token-0123456789"]);
    assert!(out(&flagged).1.contains("refused the API token from --token"), "{}", out(&flagged).1);
    let home = tempfile::tempdir().unwrap();
    let airlock = || {
        let mut cmd = std::process::Command::new(airlock_tests::airlock_bin());
        cmd.env("HOME", home.path())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("AIRLOCK_URL")
            .env_remove("AIRLOCK_TOKEN");
        cmd
    };
    let mut configure = airlock()
        .args(["configure", "--url", &server.url, "--token-stdin"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    configure.stdin.take().unwrap().write_all(b"file-token-0123456789\n").unwrap();
    assert!(configure.wait().unwrap().success());
    let filed = airlock().args(["connector", "list"]).output().unwrap();
    let stderr = out(&filed).1;
    assert!(
        stderr.contains("refused the API token from the config file") && stderr.contains("airlock configure"),
        "{stderr}"
    );
    assert!(!stderr.contains("file-token"), "{stderr}");

    let denied = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "register",
            "far",
            "-t",
            "docker",
            "--username=u",
            "--password=p-0123456789",
            "--registry=http://10.255.255.1:5000",
        ],
    );
    let stderr = out(&denied).1;
    assert!(!denied.status.success(), "{stderr}");
    assert!(stderr.contains("AIRLOCK_EGRESS_ALLOW_CIDRS") && stderr.contains("admin decision"), "{stderr}");
}

/// Options after the attributes are options (`--no-verify` last), ZenML's underscores and `-ri`
/// are understood, and a bare unknown `--name` is reported as neither option nor attribute.
#[test]
fn options_are_accepted_anywhere_with_zenml_spellings() {
    let server = Server::start(StoreKind::Sqlite);
    // Nothing listens on port 9: registering only works if --no-verify is honoured.
    let registered = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "register",
            "late",
            "-t",
            "docker",
            "--username=u",
            "--password=p-0123456789",
            "--registry=http://127.0.0.1:9",
            "--no-verify",
        ],
    );
    assert!(registered.status.success(), "{}", out(&registered).1);
    let underscored = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "register",
            "under",
            "-t",
            "docker",
            "--auth_method=password",
            "--username=u",
            "--password=p-0123456789",
            "--registry=http://127.0.0.1:9",
            "--no_verify",
        ],
    );
    assert!(underscored.status.success(), "{}", out(&underscored).1);
    // Global options after the attributes too, with a secret read from a file: the
    // environment's server address is a dead one (and its token is only ever sent there), so
    // this only works if `--url` and `--token` are honoured.
    let password = server.data_dir.join("password.txt");
    std::fs::write(&password, "p-0123456789").unwrap();
    let password_arg = format!("--password=@{}", password.display());
    let dead = std::path::Path::new("http://127.0.0.1:9");
    let global = server.cli_env(
        ADMIN_TOKEN,
        &[
            "connector",
            "register",
            "global",
            "-t",
            "docker",
            "--username=u",
            &password_arg,
            "--registry=http://127.0.0.1:9",
            "--url",
            &server.url,
            "--token",
            ADMIN_TOKEN,
            "--no-verify",
        ],
        &[("AIRLOCK_URL", dead)],
    );
    assert!(global.status.success(), "{}", out(&global).1);
    // `-ri` reaches the server as the resource id: issuing checks that registry first, and
    // nothing listens on port 9.
    let described = server.cli(ADMIN_TOKEN, &["connector", "describe", "late", "-ri", "127.0.0.1:9", "-o", "json"]);
    let stderr = out(&described).1;
    assert!(
        !described.status.success() && stderr.contains("http://127.0.0.1:9") && stderr.contains("[upstream]"),
        "{stderr}"
    );
    let other = server.cli(ADMIN_TOKEN, &["connector", "describe", "late", "-ri", "127.0.0.1:10"]);
    assert!(out(&other).1.contains("reaches the registry `127.0.0.1:9`, not `127.0.0.1:10`"), "{}", out(&other).1);
    // `verify -v` (`--verify-only`) says whether it is valid and prints no resources.
    let registry = airlock_tests::registry::Registry::start("u", "p-0123456789");
    let good = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "register",
            "good",
            "-t",
            "docker",
            "--username=u",
            "--password=p-0123456789",
            &format!("--registry={}", registry.url()),
        ],
    );
    assert!(good.status.success(), "{}", out(&good).1);
    let verified = server.cli(ADMIN_TOKEN, &["connector", "verify", "good", "-v"]);
    let (stdout, stderr) = out(&verified);
    assert!(verified.status.success() && stdout.is_empty() && stderr.contains("is valid"), "{stdout} {stderr}");
    let refused = server.cli(ADMIN_TOKEN, &["connector", "verify", "late", "--verify-only"]);
    assert!(!refused.status.success() && out(&refused).0.is_empty());
    let unknown =
        server.cli(ADMIN_TOKEN, &["connector", "register", "x", "-t", "docker", "--username=u", "--nonexistent"]);
    let stderr = out(&unknown).1;
    assert!(
        !unknown.status.success() && stderr.contains("`--nonexistent` is not an option of this command"),
        "{stderr}"
    );
}
