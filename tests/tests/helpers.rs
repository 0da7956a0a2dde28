//! Local tools that refresh themselves: `login` configures the real AWS CLI and boto3
//! (`credential_process`), kubectl (exec plugin) and skopeo (docker credential helper) to fetch
//! credentials through `airlock credential …`, with the local cache, lease revocation and
//! `logout`.

use airlock_tests::kubernetes::{ADMIN_PASSWORD, ADMIN_USER, FakeKubernetes, SERVICE_ACCOUNT};
use airlock_tests::moto::{BUCKET, Moto, REGION};
use airlock_tests::registry::Registry;
use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, out};
use airlock_tests::{airlock_bin, oci, require_tool};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A command with the environment a user's shell would have after `airlock configure`.
fn tool(server: &Server, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(program);
    command
        .env("HOME", &server.data_dir)
        .env("AIRLOCK_TOKEN", ADMIN_TOKEN)
        .env("AIRLOCK_URL", &server.url)
        .env_remove("AIRLOCK_REFRESH_MARGIN")
        .env_remove("AIRLOCK_LEASE_CHECK_INTERVAL");
    command
}

fn ok(output: Output, what: &str) -> String {
    assert!(output.status.success(), "{what}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// The credential cache's files.
fn cache_files(home: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(home.join(".cache/airlock/credentials"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_aws_cli_and_boto3_fetch_fresh_credentials_through_credential_process() {
    let moto = Moto::start();
    let server = Server::start(StoreKind::Sqlite);
    let secret_file = server.data_dir.join("aws-secret");
    std::fs::write(&secret_file, &moto.secret_access_key).unwrap();
    let register = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "register",
            "aws-dev",
            "-t",
            "aws",
            "-a",
            "iam-role",
            "-r",
            "s3-bucket",
            "--expiration-seconds",
            "900",
            &format!("--region={REGION}"),
            &format!("--endpoint_url={}", moto.url),
            &format!("--aws_access_key_id={}", moto.access_key_id),
            &format!("--aws_secret_access_key=@{}", secret_file.display()),
            &format!("--role_arn={}", moto.role_arn),
        ],
    );
    assert!(register.status.success(), "{}", out(&register).1);
    let login = server.cli(ADMIN_TOKEN, &["connector", "login", "aws-dev", "-r", "s3-bucket", "--resource-id", BUCKET]);
    assert!(login.status.success(), "{}", out(&login).1);
    let config = server.data_dir.join(".aws/config");
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(written.contains("[profile airlock-aws-dev]") && written.contains("credential_process = "), "{written}");
    assert!(!written.contains("aws_secret_access_key"), "{written}");
    assert_eq!(mode(&config), 0o600);

    // The real AWS CLI and boto3 run the helper.
    let aws = |extra_env: &[(&str, &str)]| {
        let mut command = tool(&server, require_tool("aws"));
        command
            .args(["s3", "ls", "--profile", "airlock-aws-dev", "--endpoint-url", &moto.url])
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", server.data_dir.join(".aws/credentials"))
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
        command.envs(extra_env.iter().copied());
        command.output().unwrap()
    };
    assert!(ok(aws(&[]), "aws s3 ls with credential_process").contains(BUCKET));
    let boto3 = tool(&server, "python3")
        .args([
            "-c",
            "import boto3, sys; s3 = boto3.Session(profile_name='airlock-aws-dev').client('s3', endpoint_url=sys.argv[1]); print(*[b['Name'] for b in s3.list_buckets()['Buckets']])",
            &moto.url,
        ])
        .env("AWS_CONFIG_FILE", &config)
        .env_remove("AWS_ACCESS_KEY_ID")
        .output()
        .unwrap();
    assert!(ok(boto3, "boto3 with credential_process").contains(BUCKET));

    // The helper's own output: process credentials, cached (0600 in a 0700 directory).
    let helper = |extra_env: &[(&str, &str)]| {
        let mut command = tool(&server, airlock_bin());
        // The scope `login` wrote into the profile (the canonical id), so the cache entry is shared.
        command.args(["credential", "aws", "aws-dev", "-r", "s3-bucket", "--resource-id", &format!("s3://{BUCKET}")]);
        command.envs(extra_env.iter().copied());
        let printed: serde_json::Value =
            serde_json::from_str(&ok(command.output().unwrap(), "credential aws")).unwrap();
        assert_eq!(printed["Version"], 1);
        assert!(printed["Expiration"].as_str().unwrap().ends_with('Z'), "{printed}");
        printed["AccessKeyId"].as_str().unwrap().to_string()
    };
    let first = helper(&[]);
    assert_eq!(helper(&[]), first, "served from the cache");
    let files = cache_files(&server.data_dir);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(mode(&files[0]), 0o600);
    assert_eq!(mode(files[0].parent().unwrap()), 0o700);

    // Past the refresh margin (900 s left is within a 900 s margin) a new credential is
    // fetched, and the AWS CLI keeps working with it.
    let refreshed = helper(&[("AIRLOCK_REFRESH_MARGIN", "900")]);
    assert_ne!(refreshed, first, "a credential within the margin is replaced");
    ok(aws(&[("AIRLOCK_REFRESH_MARGIN", "900")]), "aws s3 ls after the refresh");

    // A revoked lease is not served from the cache once the server says so.
    let cached: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cache_files(&server.data_dir)[0]).unwrap()).unwrap();
    let lease = cached["issued"]["lease_id"].as_str().unwrap().to_string();
    let current = cached["issued"]["credential"]["attributes"].to_string();
    ok(server.cli(ADMIN_TOKEN, &["lease", "revoke", &lease]), "lease revoke");
    let after_revoke = helper(&[("AIRLOCK_LEASE_CHECK_INTERVAL", "0")]);
    assert!(!current.contains(&after_revoke), "the revoked lease's credential was served again");

    // logout removes the profile and every cached credential.
    let logout = tool(&server, airlock_bin()).args(["logout", "aws-dev"]).output().unwrap();
    ok(logout, "logout");
    assert!(cache_files(&server.data_dir).is_empty(), "the cache holds nothing after logout");
    assert!(!std::fs::read_to_string(&config).unwrap().contains("airlock-aws-dev"));
    assert!(!server.log_text().contains(&moto.secret_access_key));
}

/// kubectl runs the exec plugin; the fake accepts only live tokens, and once the token it
/// holds is expired the next kubectl call gets a new one through the helper.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_runs_the_exec_plugin_and_picks_up_a_rotated_token() {
    let fake = FakeKubernetes::start(false).await;
    let server = Server::start(StoreKind::Sqlite);
    let ca_file = server.data_dir.join("ca.pem");
    std::fs::write(&ca_file, &fake.server_ca.pem).unwrap();
    let register = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "register",
            "k8s",
            "-t",
            "kubernetes",
            "-a",
            "password",
            &format!("--server={}", fake.url),
            &format!("--certificate_authority=@{}", ca_file.display()),
            "--cluster_name=fake-prod",
            &format!("--username={ADMIN_USER}"),
            &format!("--password={ADMIN_PASSWORD}"),
            &format!("--service_account={}", SERVICE_ACCOUNT.1),
            &format!("--namespace={}", SERVICE_ACCOUNT.0),
        ],
    );
    assert!(register.status.success(), "{}", out(&register).1);
    let kubeconfig = server.data_dir.join("kube/config");
    let login = server.cli(ADMIN_TOKEN, &["connector", "login", "k8s", "--kubeconfig", kubeconfig.to_str().unwrap()]);
    assert!(login.status.success(), "{}", out(&login).1);
    let view = airlock_tests::kubectl_view(&kubeconfig);
    let exec = &view["users"][0]["user"]["exec"];
    assert_eq!(exec["apiVersion"], "client.authentication.k8s.io/v1");
    assert_eq!(exec["interactiveMode"], "Never");
    assert!(view["users"][0]["user"].get("token").is_none(), "no secret in the kubeconfig");

    let kubectl = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = tool(&server, require_tool("kubectl"));
        command.arg("--kubeconfig").arg(&kubeconfig).args(args).envs(env.iter().copied());
        command.output().unwrap()
    };
    let whoami = ok(kubectl(&["auth", "whoami", "-o", "json"], &[]), "kubectl auth whoami");
    assert!(whoami.contains("system:serviceaccount:ci:deployer"), "{whoami}");
    assert_eq!(fake.minted(), 1);

    // The token is rotated out at the API server; with the refresh margin past its lifetime
    // the helper fetches a new one and the next kubectl call works.
    fake.expire_minted_tokens();
    let refused = kubectl(&["get", "namespaces", "-o", "name"], &[]);
    assert!(!refused.status.success(), "the cached token is dead at the fake");
    let listed =
        ok(kubectl(&["get", "namespaces", "-o", "name"], &[("AIRLOCK_REFRESH_MARGIN", "86400")]), "kubectl get");
    assert!(listed.contains("namespace/kube-system"), "{listed}");
    assert!(fake.minted() > 1, "a new token was minted");

    // A server that is down fails the plugin the way kubectl reports it, without a secret.
    ok(Command::new("kill").arg("-9").arg(server.pid().to_string()).output().unwrap(), "kill the server");
    let failed = kubectl(&["get", "ns"], &[("AIRLOCK_REFRESH_MARGIN", "86400")]);
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("cannot reach the Airlock server") && !stderr.contains(ADMIN_PASSWORD), "{stderr}");
}

/// skopeo finds `docker-credential-airlock` through `credHelpers` and pushes to the real
/// docker-registry (htpasswd) with the credentials it returns.
#[test]
fn skopeo_uses_the_docker_credential_helper() {
    let password = format!("helper-pw-{}", std::process::id());
    let registry = Registry::start("alice", &password);
    let server = Server::start(StoreKind::Sqlite);
    let pw_file = server.data_dir.join("pw");
    std::fs::write(&pw_file, &password).unwrap();
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
            &format!("--registry={}", registry.url()),
        ],
    );
    assert!(register.status.success(), "{}", out(&register).1);
    let (docker_dir, auth_file, bin) =
        (server.data_dir.join("docker"), server.data_dir.join("containers/auth.json"), server.data_dir.join("bin"));
    let login = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "login",
            "reg",
            "--docker-config",
            docker_dir.to_str().unwrap(),
            "--containers-auth",
            auth_file.to_str().unwrap(),
            "--helper-dir",
            bin.to_str().unwrap(),
        ],
    );
    assert!(login.status.success(), "{}", out(&login).1);
    for file in [docker_dir.join("config.json"), auth_file.clone()] {
        let config: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(config["credHelpers"][&registry.host], "airlock", "{config}");
        assert!(!config.to_string().contains(&password));
        assert_eq!(mode(&file), 0o600);
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let layout = server.data_dir.join("image");
    oci::write_image(&layout);
    let image = format!("docker://{}/airlock/helper:latest", registry.host);
    let push = tool(&server, require_tool("skopeo"))
        .env("PATH", &path)
        .args(["copy", "--dest-tls-verify=false", "--dest-authfile", auth_file.to_str().unwrap()])
        .arg(format!("oci:{}:latest", layout.display()))
        .arg(&image)
        .output()
        .unwrap();
    ok(push, "skopeo copy through the credential helper");

    // The protocol itself: a registry login did not configure is "not found", as docker expects.
    let helper = |action: &str, input: &str| {
        let mut child = tool(&server, bin.join("docker-credential-airlock"))
            .arg(action)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let got = helper("get", &format!("https://{}", registry.host));
    let answer: serde_json::Value = serde_json::from_str(&ok(got, "get")).unwrap();
    assert_eq!((answer["Username"].as_str(), answer["Secret"].as_str()), (Some("alice"), Some(password.as_str())));
    let unknown = helper("get", "registry.example.com");
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&unknown.stdout).trim(), "credentials not found in native keychain");
    let listed: serde_json::Value = serde_json::from_str(&ok(helper("list", ""), "list")).unwrap();
    assert!(listed.get(&registry.host).is_some(), "{listed}");

    let logout = tool(&server, airlock_bin()).args(["logout"]).output().unwrap();
    ok(logout, "logout");
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(docker_dir.join("config.json")).unwrap()).unwrap();
    assert!(config["credHelpers"].get(&registry.host).is_none(), "{config}");
    assert!(cache_files(&server.data_dir).is_empty());
}
