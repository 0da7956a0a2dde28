//! The hyperai connector against Debian's real `sshd` (`airlock_tests::sshd`): host keys are
//! checked against the pinned keys, the private key authenticates from the host, and user
//! certificates signed on the host let the real `ssh` client log in until they expire.

use airlock::runtime::{CallError, Plugin, Runtime};
use airlock_tests::sshd::{KeyPair, Sshd, keygen};
use airlock_tests::{attr, issue};
use base64::Engine as _;

const RT: &str = "hyperai-instance";

fn code(err: &CallError) -> String {
    match err {
        CallError::Connector(e) => e.code().to_string(),
        other => format!("{other}"),
    }
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A connector configuration for `sshd` with `key` (base64, as ZenML stores it).
fn config(sshd: &Sshd, key: &KeyPair, known_hosts: Option<&str>) -> Vec<(&'static str, String)> {
    let mut attrs =
        vec![("base64_ssh_key", b64(&key.private)), ("hostnames", sshd.host()), ("username", sshd.user.clone())];
    attrs.extend(known_hosts.map(|k| ("known_hosts", k.to_string())));
    attrs
}

async fn verify(
    runtime: &Runtime,
    plugin: &Plugin,
    method: &str,
    attrs: &[(&'static str, String)],
) -> Result<Vec<String>, CallError> {
    let attrs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let inst = airlock_tests::instance(plugin, Some(method), &attrs);
    runtime.verify(plugin, inst, None, None).await.map(|listed| listed[0].resource_ids.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_checks_the_host_key_and_authenticates_with_the_key_on_the_host() {
    let keys = tempfile::tempdir().unwrap();
    let user = keygen(keys.path(), "user", "ed25519", "");
    let rsa = keygen(keys.path(), "rsa", "rsa", "correct horse battery");
    let stranger = keygen(keys.path(), "stranger", "ed25519", "");
    let ca = keygen(keys.path(), "ca", "ed25519", "");
    let sshd = Sshd::start(&[&user.public, &rsa.public], &ca.public);
    let (runtime, plugin, audit) = airlock_tests::audited_builtin("hyperai").await;
    let pinned = sshd.known_hosts_line();

    // The right key and a pinned host key (known_hosts line, bare key or fingerprint).
    assert_eq!(
        verify(&runtime, &plugin, "ed25519-key", &config(&sshd, &user, Some(&pinned))).await.unwrap(),
        [sshd.host()]
    );
    verify(&runtime, &plugin, "ed25519-key", &config(&sshd, &user, Some(&sshd.host_key))).await.unwrap();
    let fingerprint = String::from_utf8(
        std::process::Command::new("ssh-keygen")
            .args(["-l", "-E", "sha256", "-f"])
            .arg(sshd.dir.path().join("host_ed25519.pub"))
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let fingerprint = fingerprint.split_whitespace().nth(1).unwrap().to_string();
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    verify(&runtime, &plugin, "ed25519-key", &config(&sshd, &user, Some(&fingerprint))).await.unwrap();

    // An RSA key with its passphrase; a wrong passphrase is a clear error.
    let mut with_passphrase = config(&sshd, &rsa, Some(&pinned));
    with_passphrase.push(("ssh_passphrase", "correct horse battery".into()));
    verify(&runtime, &plugin, "rsa-key", &with_passphrase).await.unwrap();
    with_passphrase.last_mut().unwrap().1 = "wrong horse".into();
    let err = verify(&runtime, &plugin, "rsa-key", &with_passphrase).await.unwrap_err();
    assert!(err.to_string().contains("passphrase is wrong"), "{err}");

    // DSA: listed for ZenML parity, refused by the host (OpenSSH no longer accepts it).
    let dsa = keygen(keys.path(), "dsa", "dsa", "");
    let err = verify(&runtime, &plugin, "dsa-key", &config(&sshd, &dsa, Some(&pinned))).await.unwrap_err();
    assert!(err.to_string().contains("is a DSA key"), "{err}");

    // A key sshd does not know is refused.
    let err = verify(&runtime, &plugin, "ed25519-key", &config(&sshd, &stranger, Some(&pinned))).await.unwrap_err();
    assert_eq!(code(&err), "unauthorized", "{err}");
    assert!(err.to_string().contains("refused the key"), "{err}");

    // An unknown host key is refused unless the admin opts in (ZenML accepts any).
    let other_host = stranger.public.clone();
    for known in [None, Some(other_host.as_str())] {
        let err = verify(&runtime, &plugin, "ed25519-key", &config(&sshd, &user, known)).await.unwrap_err();
        assert!(
            err.to_string().contains("is not among the accepted keys") && err.to_string().contains(&fingerprint),
            "{err}"
        );
    }
    let revoked = format!("@revoked {pinned}\n{}", sshd.host_key);
    let err = verify(&runtime, &plugin, "ed25519-key", &config(&sshd, &user, Some(&revoked))).await.unwrap_err();
    assert!(err.to_string().contains("@revoked"), "{err}");
    let mut opted_in = config(&sshd, &user, None);
    opted_in.push(("accept_unknown_host_keys", "true".into()));
    verify(&runtime, &plugin, "ed25519-key", &opted_in).await.unwrap();

    // Only configured hosts: another id is refused before any connection.
    let attrs: Vec<(&str, String)> = config(&sshd, &user, Some(&pinned));
    let attrs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let inst = airlock_tests::instance(&plugin, Some("ed25519-key"), &attrs);
    let err = runtime.verify(&plugin, inst, Some(RT), Some("127.0.0.1:22")).await.unwrap_err();
    assert!(err.to_string().contains("is not one of this connector's hosts"), "{err}");

    let memories = audit.take();
    let contains = |needle: &str| airlock_tests::in_memories(&memories, needle);
    assert!(contains(&fingerprint), "the scan sees guest data (the host's error passed through)");
    for (what, key) in [("the ed25519 key", &user), ("the RSA key", &rsa)] {
        let line = key.private.lines().nth(2).unwrap();
        assert!(!contains(line) && !contains(&b64(&key.private)[..60]), "{what} reached the component's memory");
    }
    assert!(!contains("correct horse battery"), "the passphrase reached the component's memory");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_signed_on_the_host_lets_ssh_in_until_it_expires() {
    let keys = tempfile::tempdir().unwrap();
    let user = keygen(keys.path(), "user", "ed25519", "");
    let ca = keygen(keys.path(), "ca", "ed25519", "");
    let sshd = Sshd::start(&[&user.public], &ca.public);
    let (runtime, plugin, audit) = airlock_tests::audited_builtin("hyperai").await;
    let mut attrs = config(&sshd, &user, Some(&sshd.known_hosts_line()));
    attrs.push(("ssh_ca_key", ca.private.clone()));
    let attrs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let inst = airlock_tests::instance(&plugin, Some("ed25519-key"), &attrs);

    let issued = issue(&runtime, &plugin, inst.clone(), RT, Some(&sshd.host()), Some(10)).await.unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let expires_at = issued.expires_at.unwrap();
    assert!((now + 9..=now + 10).contains(&expires_at), "{expires_at}");
    assert!(issued.attributes.iter().all(|(n, _)| n != "base64_ssh_key"), "the long-lived key went out");
    let (private_key, certificate) = (attr(&issued, "private_key"), attr(&issued, "certificate"));
    assert!(certificate.starts_with("ssh-ed25519-cert-v01@openssh.com "), "{certificate}");

    let cert_file = keys.path().join("issued-cert.pub");
    std::fs::write(&cert_file, certificate).unwrap();
    let inspected = std::process::Command::new("ssh-keygen").arg("-L").arg("-f").arg(&cert_file).output().unwrap();
    let listing = String::from_utf8_lossy(&inspected.stdout);
    assert!(listing.contains("user certificate") && listing.contains(&sshd.user), "{listing}");

    // The real ssh client logs in with the new key and its certificate alone...
    let login = sshd.ssh(private_key, Some(certificate), "echo certified");
    assert!(login.status.success(), "ssh: {}\nsshd: {}", String::from_utf8_lossy(&login.stderr), sshd.log());
    assert_eq!(String::from_utf8_lossy(&login.stdout).trim(), "certified");
    // ...not with the key without it (sshd does not know the new key)...
    assert!(!sshd.ssh(private_key, None, "true").status.success());
    // ...and no longer once the certificate expired.
    let wait = expires_at + 2 - std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    let expired = sshd.ssh(private_key, Some(certificate), "true");
    assert!(!expired.status.success(), "an expired certificate still logged in");
    assert!(sshd.log().contains("expired") || sshd.log().contains("invalid"), "{}", sshd.log());

    // Without a CA the client gets the configured key, and only where policy releases it.
    let plain: Vec<(&str, &str)> = attrs.iter().copied().filter(|(k, _)| *k != "ssh_ca_key").collect();
    let inst = airlock_tests::instance(&plugin, Some("ed25519-key"), &plain);
    let released = issue(&runtime, &plugin, inst.clone(), RT, None, None).await.unwrap();
    assert_eq!(attr(&released, "base64_ssh_key"), b64(&user.private));
    let err = issue(&runtime, &plugin, inst, RT, None, Some(60)).await.unwrap_err();
    assert!(err.to_string().contains("set `ssh_ca_key`"), "{err}");

    let memories = audit.take();
    let contains = |needle: &str| airlock_tests::in_memories(&memories, needle);
    assert!(contains(private_key.lines().nth(2).unwrap()), "the scan sees guest data (the minted key)");
    assert!(!contains(ca.private.lines().nth(2).unwrap()), "the CA key reached the component's memory");
    assert!(!contains(user.private.lines().nth(2).unwrap()), "the user key reached the component's memory");
}

/// Through the real server and CLI: register with the key and known_hosts from files; verify
/// logs in; neither the key nor its base64 form reaches the server's log or any response.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_through_the_server_verifies_and_keeps_the_key_out_of_logs() {
    use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, out};
    let keys = tempfile::tempdir().unwrap();
    let user = keygen(keys.path(), "user", "ed25519", "");
    let ca = keygen(keys.path(), "ca", "ed25519", "");
    let sshd = Sshd::start(&[&user.public], &ca.public);
    let server = Server::start(StoreKind::Sqlite);
    let key_file = server.data_dir.join("key.b64");
    std::fs::write(&key_file, b64(&user.private)).unwrap();
    let known_file = server.data_dir.join("known_hosts");
    std::fs::write(&known_file, sshd.known_hosts_line()).unwrap();
    let register = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "register",
            "gpu-box",
            "-t",
            "hyperai",
            "-a",
            "ed25519-key",
            &format!("--base64_ssh_key=@{}", key_file.display()),
            &format!("--known_hosts=@{}", known_file.display()),
            &format!("--hostnames={}", sshd.host()),
            &format!("--username={}", sshd.user),
        ],
    );
    assert!(register.status.success(), "{}", out(&register).1);
    assert!(out(&register).0.contains(&sshd.host()), "{}", out(&register).0);
    let described = server.cli(ADMIN_TOKEN, &["connector", "describe", "gpu-box", "--output", "json"]);
    assert!(described.status.success(), "{}", out(&described).1);
    let (stdout, stderr) = out(&described);
    let key_line = user.private.lines().nth(2).unwrap();
    for text in [stdout, stderr, server.log_text()] {
        assert!(!text.contains(key_line) && !text.contains(&b64(&user.private)[..60]), "the key leaked: {text}");
    }
}
