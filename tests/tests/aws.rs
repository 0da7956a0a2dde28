//! The AWS connector against a real AWS emulator (moto with authentication on) and the real AWS
//! CLI; and what moto does not enforce (session policies, lifetime bounds, region checks, id
//! formats) checked directly.

use airlock::credentials::ReleasePolicy;
use airlock::egress::{AddressPolicy, EgressPolicy};
use airlock::instance::{ConnectorConfig, Instance};
use airlock::runtime::bindings::ClientRequest;
use airlock::runtime::{CallError, Plugin, Runtime, RuntimeOptions};
use airlock_tests::moto::{BUCKET, CLUSTER, Moto, REGION, aws};
use airlock_tests::{attr, issue};
use std::sync::Arc;

async fn aws_plugin() -> (Runtime, Plugin) {
    airlock_tests::builtin_plugin("aws").await
}

fn instance(plugin: &Plugin, method: &str, attrs: &[(&str, &str)]) -> Arc<Instance> {
    airlock_tests::instance(plugin, Some(method), attrs)
}

fn keys(moto: &Moto) -> Vec<(&str, &str)> {
    vec![
        ("region", REGION),
        ("endpoint_url", moto.url.as_str()),
        ("aws_access_key_id", moto.access_key_id.as_str()),
        ("aws_secret_access_key", moto.secret_access_key.as_str()),
    ]
}

async fn moto() -> Moto {
    tokio::task::spawn_blocking(Moto::start).await.unwrap()
}

#[tokio::test]
async fn good_keys_verify_and_list_resources_and_a_wrong_secret_is_rejected() {
    let moto = moto().await;
    let (runtime, plugin) = aws_plugin().await;
    let good = instance(&plugin, "secret-key", &keys(&moto));
    let listings = runtime.verify(&plugin, good.clone(), Some("s3-bucket"), None).await.unwrap();
    assert_eq!(listings[0].resource_ids, vec![format!("s3://{BUCKET}")]);
    let one = runtime
        .verify(&plugin, good.clone(), Some("s3-bucket"), Some(&format!("arn:aws:s3:::{BUCKET}")))
        .await
        .unwrap();
    assert_eq!(one[0].resource_ids, vec![format!("s3://{BUCKET}")]);
    let missing = runtime.verify(&plugin, good.clone(), Some("s3-bucket"), Some("no-such-bucket")).await.unwrap_err();
    assert!(matches!(&missing, CallError::Connector(e) if e.code() == "not-found"), "{missing:?}");
    let all = runtime.verify(&plugin, good.clone(), None, None).await.unwrap();
    let by_type = |rt: &str| all.iter().find(|l| l.resource_type == rt).unwrap().resource_ids.clone();
    assert_eq!(by_type("aws-generic"), vec![REGION.to_string()]);
    assert_eq!(by_type("docker-registry"), vec![format!("{}.dkr.ecr.{REGION}.amazonaws.com", moto.account)]);

    let mut wrong = keys(&moto);
    wrong[3].1 = "not-the-secret";
    let err =
        runtime.verify(&plugin, instance(&plugin, "secret-key", &wrong), Some("s3-bucket"), None).await.unwrap_err();
    assert!(
        matches!(&err, CallError::Connector(e) if e.code() == "unauthorized" && e.message().contains("SignatureDoesNotMatch")),
        "{err:?}"
    );
    assert!(!format!("{err:?}").contains(&moto.secret_access_key));
}

#[tokio::test]
async fn every_auth_method_issues_credentials_and_the_sts_ones_work_with_the_aws_cli() {
    let moto = moto().await;
    let (runtime, plugin) = aws_plugin().await;
    let bucket = format!("s3://{BUCKET}");

    // secret-key: the long-lived keys, released by the host (declared by the method).
    let issued =
        issue(&runtime, &plugin, instance(&plugin, "secret-key", &keys(&moto)), "s3-bucket", Some(&bucket), None)
            .await
            .unwrap();
    assert_eq!(
        (issued.auth_method.as_str(), attr(&issued, "aws_secret_access_key")),
        ("secret-key", moto.secret_access_key.as_str())
    );
    let refused = runtime
        .issue_client(
            &plugin,
            instance(&plugin, "secret-key", &keys(&moto)),
            &ClientRequest {
                resource_type: "s3-bucket".into(),
                resource_id: Some(bucket.clone()),
                expiration_seconds: None,
            },
            ReleasePolicy::Never,
        )
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("policy forbids releasing secrets"), "{refused}");

    // iam-role: AssumeRole; the temporary key works with the real AWS CLI against moto.
    let mut role = keys(&moto);
    role.push(("role_arn", moto.role_arn.as_str()));
    let issued = issue(&runtime, &plugin, instance(&plugin, "iam-role", &role), "s3-bucket", Some(&bucket), Some(900))
        .await
        .unwrap();
    assert_eq!(issued.auth_method, "sts-token");
    let expires = issued.expires_at.unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(expires > now && expires <= now + 900 + 60, "expires {expires}, now {now}");
    let temp = (
        attr(&issued, "aws_access_key_id"),
        attr(&issued, "aws_secret_access_key"),
        Some(attr(&issued, "aws_session_token")),
    );
    assert_ne!(temp.0, moto.access_key_id);
    let listed = aws(&moto.url, temp, &["s3", "ls"]);
    assert!(
        listed.status.success(),
        "aws s3 ls with the issued credential: {}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert!(String::from_utf8_lossy(&listed.stdout).contains(BUCKET));

    // sts-token: a connector holding the temporary credentials verifies and hands them out.
    let mut sts = keys(&moto);
    sts[2].1 = temp.0;
    sts[3].1 = temp.1;
    sts.push(("aws_session_token", temp.2.unwrap()));
    let sts_instance = instance(&plugin, "sts-token", &sts);
    runtime.verify(&plugin, sts_instance.clone(), Some("s3-bucket"), None).await.unwrap();
    let issued = issue(&runtime, &plugin, sts_instance, "aws-generic", None, None).await.unwrap();
    assert_eq!(attr(&issued, "aws_session_token"), temp.2.unwrap());

    // session-token and federation-token: minted by STS with the requested lifetime.
    for method in ["session-token", "federation-token"] {
        let issued =
            issue(&runtime, &plugin, instance(&plugin, method, &keys(&moto)), "s3-bucket", Some(&bucket), Some(3600))
                .await
                .unwrap();
        assert_eq!(issued.auth_method, "sts-token", "{method}");
        assert!(!attr(&issued, "aws_session_token").is_empty(), "{method}");
        assert!(issued.expires_at.is_some(), "{method}");
    }

    // implicit is disabled.
    let err =
        runtime.verify(&plugin, instance(&plugin, "implicit", &[("region", REGION)]), None, None).await.unwrap_err();
    assert!(err.to_string().contains("implicit authentication would use the server's own AWS credentials"), "{err}");
}

#[tokio::test]
async fn eks_and_ecr_become_kubernetes_and_docker_clients() {
    // moto rejects every EKS signature (the AWS CLI's too) once authentication is on.
    let moto = tokio::task::spawn_blocking(Moto::start_without_auth).await.unwrap();
    let (runtime, plugin) = aws_plugin().await;
    let inst = instance(&plugin, "secret-key", &keys(&moto));
    let clusters = runtime.verify(&plugin, inst.clone(), Some("kubernetes-cluster"), None).await.unwrap();
    assert_eq!(clusters[0].resource_ids, vec![CLUSTER.to_string()]);
    let arn = format!("arn:aws:eks:{REGION}:{}:cluster/{CLUSTER}", moto.account);
    let kube = issue(&runtime, &plugin, inst.clone(), "kubernetes-cluster", Some(&arn), None).await.unwrap();
    assert_eq!((kube.connector_type.as_str(), kube.resource_id.as_deref()), ("kubernetes", Some(CLUSTER)));
    assert!(attr(&kube, "server").starts_with("https://"));
    let token = attr(&kube, "token");
    use base64::Engine as _;
    let url = String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.strip_prefix("k8s-aws-v1.").unwrap()).unwrap(),
    )
    .unwrap();
    assert!(
        url.contains("Action=GetCallerIdentity") && url.contains("X-Amz-Expires=60") && url.contains("x-k8s-aws-id"),
        "{url}"
    );
    assert!(url.contains("X-Amz-Signature=") && !url.contains(&moto.secret_access_key));

    let docker = issue(&runtime, &plugin, inst, "docker-registry", None, None).await.unwrap();
    assert_eq!(docker.connector_type, "docker");
    assert_eq!(attr(&docker, "username"), "AWS");
    assert_eq!(attr(&docker, "registry"), format!("{}.dkr.ecr.{REGION}.amazonaws.com", moto.account));
    assert!(!attr(&docker, "password").is_empty());
}

/// In China the registry and every endpoint are under `amazonaws.com.cn`: the registry a
/// connector lists is the one it accepts and issues for (moto with authentication on, the user
/// created in the `aws-cn` partition).
#[tokio::test]
async fn an_ecr_registry_in_china_is_listed_accepted_and_issued_under_its_own_suffix() {
    let region = "cn-north-1";
    let moto = tokio::task::spawn_blocking(move || Moto::start_in(region)).await.unwrap();
    let (runtime, plugin) = aws_plugin().await;
    let mut attrs = keys(&moto);
    attrs[0].1 = region;
    let inst = instance(&plugin, "secret-key", &attrs);
    let registry = format!("{}.dkr.ecr.{region}.amazonaws.com.cn", moto.account);
    let listed = runtime.verify(&plugin, inst.clone(), Some("docker-registry"), None).await.unwrap();
    assert_eq!(listed[0].resource_ids, vec![registry.clone()]);
    let arn = format!("arn:aws-cn:ecr:{region}:{}:repository/airlock/app", moto.account);
    let one = runtime.verify(&plugin, inst.clone(), Some("docker-registry"), Some(&arn)).await.unwrap();
    assert_eq!(one[0].resource_ids, vec![registry.clone()]);
    // Another account's registry is not reached (the check issuing makes first).
    let other = format!("999999999999.dkr.ecr.{region}.amazonaws.com.cn");
    let err = runtime.verify(&plugin, inst.clone(), Some("docker-registry"), Some(&other)).await.unwrap_err();
    assert!(matches!(&err, CallError::Connector(e) if e.code() == "not-found"), "{err:?}");
    let docker = issue(&runtime, &plugin, inst, "docker-registry", Some(&registry), None).await.unwrap();
    assert_eq!(
        (attr(&docker, "registry"), docker.resource_id.as_deref()),
        (registry.as_str(), Some(registry.as_str()))
    );
}

/// EKS and ECR clients of a temporary method live as long as asked (not the method's minimum),
/// and never claim to outlive the session under them: an ECR token (12 h by itself) ends with
/// the session, an EKS token after its 15 minutes.
#[tokio::test]
async fn derived_clients_live_as_long_as_asked_and_no_longer_than_their_session() {
    let moto = tokio::task::spawn_blocking(Moto::start_without_auth).await.unwrap();
    let (runtime, plugin) = aws_plugin().await;
    let inst = instance(&plugin, "session-token", &keys(&moto));
    let now = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    for asked in [1800, 7200] {
        let start = now();
        let docker = issue(&runtime, &plugin, inst.clone(), "docker-registry", None, Some(asked)).await.unwrap();
        let expires = docker.expires_at.unwrap();
        assert!(
            (start + asked - 10..=now() + asked).contains(&expires),
            "asked {asked}s: expires at {expires}, asked at {start}"
        );
    }
    let arn = format!("arn:aws:eks:{REGION}:{}:cluster/{CLUSTER}", moto.account);
    let start = now();
    let kube = issue(&runtime, &plugin, inst.clone(), "kubernetes-cluster", Some(&arn), Some(7200)).await.unwrap();
    assert!(kube.expires_at.unwrap() <= now() + 900 && kube.expires_at.unwrap() >= start + 890);
    let refused = issue(&runtime, &plugin, inst, "docker-registry", None, Some(60)).await.unwrap_err();
    assert!(refused.to_string().contains("outside 900 to 129600 seconds"), "{refused}");
}

#[tokio::test]
async fn a_deleted_key_fails_verification_afterwards() {
    let moto = moto().await;
    let (runtime, plugin) = aws_plugin().await;
    let inst = instance(&plugin, "secret-key", &keys(&moto));
    runtime.verify(&plugin, inst.clone(), Some("aws-generic"), None).await.unwrap();
    let deleted = aws(
        &moto.url,
        moto.key(),
        &["iam", "delete-access-key", "--user-name", "alice", "--access-key-id", &moto.access_key_id],
    );
    assert!(deleted.status.success(), "{}", String::from_utf8_lossy(&deleted.stderr));
    let err = runtime.verify(&plugin, inst, Some("aws-generic"), None).await.unwrap_err();
    assert!(
        matches!(&err, CallError::Connector(e) if e.code() == "unauthorized" && e.message().contains("InvalidClientTokenId")),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_secret_key_is_never_in_guest_memory_after_a_signed_call() {
    let moto = moto().await;
    // The memory dump is the result: allow a large one.
    let limits = airlock::runtime::Limits { max_result_bytes: 64 << 20, ..Default::default() };
    let options = RuntimeOptions {
        address_policy: AddressPolicy::allowing(AddressPolicy::parse_cidrs("127.0.0.0/8").unwrap()),
        limits,
        ..Default::default()
    };
    let runtime = Runtime::new(options).unwrap();
    let probe = runtime.load(&airlock_tests::probe_component()).await.unwrap();
    let attrs = [
        ("endpoint", moto.url.as_str()),
        ("key_id", moto.access_key_id.as_str()),
        ("token", moto.secret_access_key.as_str()),
    ];
    let inst = Arc::new(
        Instance::prepare(&probe.spec, ConnectorConfig::new(Some("token"), attrs), &EgressPolicy::default()).unwrap(),
    );
    let listing =
        runtime.verify(&probe, inst, Some("sigv4-memory-dump"), Some(&format!("{}/", moto.url))).await.unwrap();
    let report = &listing[0].resource_ids;
    assert_eq!(report[0], "200", "moto (auth on) accepted the host's signature: {}", report[1]);
    assert!(report[1].contains(&moto.account));
    let memory: Vec<u8> = report[2..].iter().flat_map(|page| hex::decode(page).unwrap()).collect();
    let contains = |needle: &str| memory.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(contains("GetCallerIdentityResponse"), "control: the response the guest received is found");
    assert!(!contains(&moto.secret_access_key), "the secret access key reached guest memory");
}

/// The server workflow with AWS: register an iam-role connector against moto, then `login`
/// writes an AWS CLI profile (0600) that the real AWS CLI uses.
#[tokio::test]
async fn login_writes_an_aws_cli_profile_the_aws_cli_uses() {
    use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, out};
    let moto = moto().await;
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
            &format!("--region={REGION}"),
            &format!("--endpoint_url={}", moto.url),
            &format!("--aws_access_key_id={}", moto.access_key_id),
            &format!("--aws_secret_access_key=@{}", secret_file.display()),
            &format!("--role_arn={}", moto.role_arn),
        ],
    );
    assert!(register.status.success(), "{}", out(&register).1);
    assert!(out(&register).0.contains(&format!("s3://{BUCKET}")), "{}", out(&register).0);
    // Issuing checks the resource first: no credential for a bucket that does not exist.
    let missing = server.cli(
        ADMIN_TOKEN,
        &["connector", "describe", "aws-dev", "-r", "s3-bucket", "--resource-id", "s3://no-such-bucket-here"],
    );
    let (stdout, stderr) = out(&missing);
    assert!(!missing.status.success() && stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("no-such-bucket-here") && stderr.contains("[not-found]"), "{stderr}");
    let login = server
        .cli(ADMIN_TOKEN, &["connector", "login", "--static", "aws-dev", "-r", "s3-bucket", "--resource-id", BUCKET]);
    assert!(login.status.success(), "{}", out(&login).1);
    let credentials = server.data_dir.join(".aws/credentials");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&credentials).unwrap().permissions().mode() & 0o777, 0o600);
    let written = std::fs::read_to_string(&credentials).unwrap();
    assert!(written.contains("[airlock-aws-dev]") && written.contains("aws_session_token"), "{written}");
    assert!(
        !written.contains(&moto.secret_access_key),
        "the profile holds temporary credentials, not the long-lived key"
    );
    let listed = std::process::Command::new(airlock_tests::require_tool("aws"))
        .args(["s3", "ls", "--profile", "airlock-aws-dev", "--endpoint-url", &moto.url])
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("AWS_CONFIG_FILE", server.data_dir.join(".aws/config"))
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    assert!(listed.status.success(), "aws s3 ls --profile: {}", String::from_utf8_lossy(&listed.stderr));
    assert!(String::from_utf8_lossy(&listed.stdout).contains(BUCKET));
}

/// `login` for an EKS cluster writes a kubeconfig context that kubectl reads.
#[tokio::test]
async fn login_writes_a_kubeconfig_kubectl_reads() {
    use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, out};
    let moto = tokio::task::spawn_blocking(Moto::start_without_auth).await.unwrap();
    let server = Server::start(StoreKind::Sqlite);
    let register = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "register",
            "eks",
            "-t",
            "aws",
            "-a",
            "secret-key",
            "-r",
            "kubernetes-cluster",
            &format!("--region={REGION}"),
            &format!("--endpoint_url={}", moto.url),
            &format!("--aws_access_key_id={}", moto.access_key_id),
            &format!("--aws_secret_access_key={}", moto.secret_access_key),
        ],
    );
    assert!(register.status.success(), "{}", out(&register).1);
    // Issuing checks the resource first: no client for a cluster that is not there, with the
    // upstream's reason.
    let missing = server.cli(ADMIN_TOKEN, &["connector", "describe", "eks", "--resource-id", "no-such-cluster"]);
    let stderr = out(&missing).1;
    assert!(
        !missing.status.success() && stderr.contains("no-such-cluster") && stderr.contains("[not-found]"),
        "{stderr}"
    );
    let kubeconfig = server.data_dir.join("kube.config");
    let login = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "login",
            "--static",
            "eks",
            "--resource-id",
            CLUSTER,
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
        ],
    );
    assert!(login.status.success(), "{}", out(&login).1);
    let parsed = airlock_tests::kubectl_view(&kubeconfig);
    assert_eq!(parsed["current-context"], format!("arn:aws:eks:{REGION}:123456789012:cluster/{CLUSTER}"));
    assert!(parsed["users"][0]["user"]["token"].as_str().unwrap().starts_with("k8s-aws-v1."));
    assert!(parsed["clusters"][0]["cluster"]["server"].as_str().unwrap().starts_with("https://"));
}
