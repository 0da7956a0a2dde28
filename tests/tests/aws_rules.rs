//! What moto does not enforce, checked directly: the exact session policy sent to STS for each
//! resource type, lifetime bounds, region checks, resource-id formats, and auto-configuration
//! from crafted `~/.aws` directories.

use airlock::autoconfigure::local_input;
use airlock::credentials::ReleasePolicy;
use airlock::instance::Instance;
use airlock::runtime::bindings::ClientRequest;
use airlock::runtime::{CallError, Plugin, Runtime};
use axum::routing::post;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

async fn aws_plugin() -> (Runtime, Plugin) {
    airlock_tests::builtin_plugin("aws").await
}

fn instance(plugin: &Plugin, method: &str, attrs: &[(&str, &str)]) -> Arc<Instance> {
    airlock_tests::instance(plugin, Some(method), attrs)
}

/// A fake AWS endpoint: STS records each request's form parameters and answers with fixed
/// credentials; EKS and ECR answer one cluster and one token, recording who signed.
async fn fake_sts() -> (String, Arc<Mutex<Vec<HashMap<String, String>>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (record, record_eks) = (seen.clone(), seen.clone());
    let signer = |headers: &axum::http::HeaderMap| {
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
        auth.split("Credential=").nth(1).and_then(|c| c.split('/').next()).unwrap_or_default().to_string()
    };
    let app = axum::Router::new()
        .route(
            "/",
            post(move |headers: axum::http::HeaderMap, body: String| {
                let record = record.clone();
                async move {
                    if let Some(target) = headers.get("x-amz-target") {
                        let mut form = HashMap::from([("Target".to_string(), target.to_str().unwrap().to_string()), ("Signer".to_string(), signer(&headers))]);
                        form.insert("Body".into(), body);
                        record.lock().unwrap().push(form);
                        return r#"{"authorizationData":[{"authorizationToken":"QVdTOnRva2Vu","expiresAt":1900000000,"proxyEndpoint":"https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"}]}"#.to_string();
                    }
                    let mut form: HashMap<String, String> = url_pairs(&body);
                    form.insert("Signer".into(), signer(&headers));
                    let action = form.get("Action").cloned().unwrap_or_default();
                    record.lock().unwrap().push(form);
                    format!(
                        "<{action}Response><{action}Result><Account>123456789012</Account><Credentials><AccessKeyId>ASIAFAKE</AccessKeyId><SecretAccessKey>fake-secret</SecretAccessKey>\
                         <SessionToken>fake-token</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></{action}Result></{action}Response>"
                    )
                }
            }),
        )
        .route(
            "/clusters/{name}",
            axum::routing::get(move |headers: axum::http::HeaderMap, axum::extract::Path(name): axum::extract::Path<String>| {
                let record = record_eks.clone();
                async move {
                    record.lock().unwrap().push(HashMap::from([("Cluster".to_string(), name.clone()), ("Signer".to_string(), signer(&headers))]));
                    serde_json::json!({"cluster": {"arn": format!("arn:aws:eks:eu-west-1:123456789012:cluster/{name}"), "endpoint": "https://eks.example", "certificateAuthority": {"data": "Q0E="}}}).to_string()
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn url_pairs(body: &str) -> HashMap<String, String> {
    body.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (decode(k), decode(v))).collect()
}

fn decode(s: &str) -> String {
    let bytes = s.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap(), 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn generated_session_policies_are_exactly_scoped_to_the_resource() {
    let (url, seen) = fake_sts().await;
    let (runtime, plugin) = aws_plugin().await;
    let attrs = [
        ("region", "eu-west-1"),
        ("endpoint_url", url.as_str()),
        ("aws_access_key_id", "AKIAEXAMPLE"),
        ("aws_secret_access_key", "wJalrXUtnFEMI-test-key"),
        ("role_arn", "arn:aws:iam::123456789012:role/r"),
    ];
    let s3 = r#"{"Statement":[{"Action":["s3:ListBucket","s3:GetObject","s3:PutObject","s3:DeleteObject","s3:ListAllMyBuckets","s3:GetBucketVersioning","s3:ListBucketVersions","s3:DeleteObjectVersion"],"Effect":"Allow","Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"]}],"Version":"2012-10-17"}"#;
    for method in ["iam-role", "federation-token"] {
        let inst = instance(&plugin, method, if method == "iam-role" { &attrs } else { &attrs[..4] });
        let request = ClientRequest {
            resource_type: "s3-bucket".into(),
            resource_id: Some("arn:aws:s3:::my-bucket".into()),
            expiration_seconds: Some(900),
        };
        let issued = runtime.issue_client(&plugin, inst.clone(), &request, ReleasePolicy::AsDeclared).await.unwrap();
        assert_eq!(issued.resource_id.as_deref(), Some("s3://my-bucket"));
        let form = seen.lock().unwrap().pop().unwrap();
        assert_eq!(form["Policy"], s3, "{method}");
        assert_eq!(form["DurationSeconds"], "900");
        let generic =
            ClientRequest { resource_type: "aws-generic".into(), resource_id: None, expiration_seconds: None };
        runtime.issue_client(&plugin, inst, &generic, ReleasePolicy::AsDeclared).await.unwrap();
        let form = seen.lock().unwrap().pop().unwrap();
        assert!(!form.contains_key("Policy"), "aws-generic gets no generated policy ({method})");
    }
    let mut with_policy = attrs.to_vec();
    let user_policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
    with_policy.push(("policy", user_policy));
    with_policy.push(("policy_arns", "arn:aws:iam::aws:policy/ReadOnlyAccess"));
    let request = ClientRequest {
        resource_type: "s3-bucket".into(),
        resource_id: Some("my-bucket".into()),
        expiration_seconds: None,
    };
    runtime
        .issue_client(&plugin, instance(&plugin, "iam-role", &with_policy), &request, ReleasePolicy::AsDeclared)
        .await
        .unwrap();
    let form = seen.lock().unwrap().pop().unwrap();
    assert_eq!(form["Policy"], user_policy, "an explicit policy wins");
    assert!(!form.contains_key("PolicyArns.member.1.arn"), "and policy_arns are then ignored");
    assert_eq!(form["DurationSeconds"], "3600", "iam-role's default lifetime");
    let mut arns_only = attrs.to_vec();
    arns_only
        .push(("policy_arns", "arn:aws:iam::aws:policy/ReadOnlyAccess,arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"));
    runtime
        .issue_client(&plugin, instance(&plugin, "iam-role", &arns_only), &request, ReleasePolicy::AsDeclared)
        .await
        .unwrap();
    let form = seen.lock().unwrap().pop().unwrap();
    assert!(!form.contains_key("Policy"));
    assert_eq!(form["PolicyArns.member.2.arn"], "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess");
}

#[tokio::test]
async fn kubernetes_and_docker_clients_of_temporary_methods_use_down_scoped_credentials() {
    let (url, seen) = fake_sts().await;
    let (runtime, plugin) = aws_plugin().await;
    let attrs = [
        ("region", "eu-west-1"),
        ("endpoint_url", url.as_str()),
        ("aws_access_key_id", "AKIALONGLIVED"),
        ("aws_secret_access_key", "wJalrXUtnFEMI-test-key"),
        ("role_arn", "arn:aws:iam::123456789012:role/r"),
    ];
    let inst = instance(&plugin, "iam-role", &attrs);
    let request = ClientRequest {
        resource_type: "kubernetes-cluster".into(),
        resource_id: Some("prod".into()),
        expiration_seconds: None,
    };
    let kube = runtime.issue_client(&plugin, inst.clone(), &request, ReleasePolicy::AsDeclared).await.unwrap();
    let calls = std::mem::take(&mut *seen.lock().unwrap());
    let eks = r#"{"Statement":[{"Action":["eks:ListClusters","eks:DescribeCluster"],"Effect":"Allow","Resource":"arn:aws:eks:eu-west-1:*:cluster/prod"}],"Version":"2012-10-17"}"#;
    assert_eq!(
        (calls[0]["Action"].as_str(), calls[0]["Policy"].as_str(), calls[0]["Signer"].as_str()),
        ("AssumeRole", eks, "AKIALONGLIVED")
    );
    assert_eq!(
        (calls[1]["Cluster"].as_str(), calls[1]["Signer"].as_str()),
        ("prod", "ASIAFAKE"),
        "the cluster is described as the assumed role"
    );
    let token = &kube.attributes.iter().find(|(n, _)| n == "token").unwrap().1.value;
    use base64::Engine as _;
    let presigned = String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.trim_start_matches("k8s-aws-v1.")).unwrap(),
    )
    .unwrap();
    assert!(
        presigned.contains("X-Amz-Credential=ASIAFAKE") && presigned.contains("X-Amz-Security-Token=fake-token"),
        "the token speaks for the role: {presigned}"
    );

    let request =
        ClientRequest { resource_type: "docker-registry".into(), resource_id: None, expiration_seconds: None };
    let docker = runtime.issue_client(&plugin, inst, &request, ReleasePolicy::AsDeclared).await.unwrap();
    assert_eq!(docker.resource_id.as_deref(), Some("123456789012.dkr.ecr.eu-west-1.amazonaws.com"));
    let calls = std::mem::take(&mut *seen.lock().unwrap());
    let ecr = r#"{"Statement":[{"Action":["ecr:DescribeRegistry","ecr:DescribeRepositories","ecr:ListRepositories","ecr:BatchGetImage","ecr:DescribeImages","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:InitiateLayerUpload","ecr:UploadLayerPart","ecr:CompleteLayerUpload","ecr:PutImage"],"Effect":"Allow","Resource":["arn:aws:ecr:eu-west-1:*:repository","arn:aws:ecr:eu-west-1:*:repository/*"]},{"Action":["ecr:GetAuthorizationToken"],"Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}"#;
    assert_eq!(calls[0]["Policy"], ecr);
    let token_call =
        calls.iter().find(|c| c.get("Target").is_some_and(|t| t.ends_with("GetAuthorizationToken"))).unwrap();
    assert_eq!(token_call["Signer"], "ASIAFAKE");
}

#[tokio::test]
async fn lifetimes_outside_the_method_bounds_are_refused() {
    let (url, _) = fake_sts().await;
    let (runtime, plugin) = aws_plugin().await;
    let keys = [
        ("region", "eu-west-1"),
        ("endpoint_url", url.as_str()),
        ("aws_access_key_id", "AKIAEXAMPLE"),
        ("aws_secret_access_key", "wJalrXUtnFEMI-test-key"),
        ("role_arn", "arn:aws:iam::123456789012:role/r"),
    ];
    for (method, seconds, ok) in [
        ("iam-role", 899, false),
        ("iam-role", 900, true),
        ("iam-role", 43200, true),
        ("iam-role", 43201, false),
        ("session-token", 129600, true),
        ("session-token", 129601, false),
        ("federation-token", 600, false),
    ] {
        let attrs = if method == "iam-role" { &keys[..] } else { &keys[..4] };
        let request =
            ClientRequest { resource_type: "aws-generic".into(), resource_id: None, expiration_seconds: Some(seconds) };
        let result =
            runtime.issue_client(&plugin, instance(&plugin, method, attrs), &request, ReleasePolicy::AsDeclared).await;
        match ok {
            true => assert!(result.is_ok(), "{method} {seconds}: {result:?}"),
            false => {
                let err = result.unwrap_err();
                assert!(
                    err.to_string().contains(&format!("an expiration of {seconds}s is outside")),
                    "{method} {seconds}: {err}"
                );
            }
        }
    }
    let request =
        ClientRequest { resource_type: "aws-generic".into(), resource_id: None, expiration_seconds: Some(900) };
    let err = runtime
        .issue_client(&plugin, instance(&plugin, "secret-key", &keys[..4]), &request, ReleasePolicy::AsDeclared)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("issues no temporary credentials"), "{err}");
}

#[tokio::test]
async fn resource_ids_are_canonicalised_and_malformed_ones_explained() {
    let (runtime, plugin) = aws_plugin().await;
    let inst = instance(
        &plugin,
        "secret-key",
        &[("region", "eu-west-1"), ("aws_access_key_id", "a"), ("aws_secret_access_key", "b")],
    );
    let canonical = |rt: &'static str, id: &'static str| {
        let (runtime, plugin, inst) = (&runtime, &plugin, inst.clone());
        async move { runtime.canonical_resource_id(plugin, inst, rt, id).await }
    };
    for (rt, id, expected) in [
        ("s3-bucket", "s3://my-bucket", "s3://my-bucket"),
        ("s3-bucket", "s3://my-bucket/", "s3://my-bucket"),
        ("s3-bucket", "arn:aws:s3:::my-bucket", "s3://my-bucket"),
        ("s3-bucket", "my.bucket-1", "s3://my.bucket-1"),
        ("kubernetes-cluster", "prod-cluster_1", "prod-cluster_1"),
        ("kubernetes-cluster", "arn:aws:eks:eu-west-1:123456789012:cluster/prod", "prod"),
        (
            "docker-registry",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        ),
        (
            "docker-registry",
            "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/app/web",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        ),
        (
            "docker-registry",
            "arn:aws:ecr:eu-west-1:123456789012:repository/app",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        ),
        (
            "docker-registry",
            "arn:aws:ecr:eu-west-1:123456789012:repository",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        ),
        ("aws-generic", "eu-west-1", "eu-west-1"),
    ] {
        assert_eq!(canonical(rt, id).await.unwrap(), expected, "{rt} {id}");
    }
    for (rt, id, message) in [
        ("s3-bucket", "Bad_Bucket", "invalid S3 bucket id `Bad_Bucket`"),
        ("s3-bucket", "ab", "3-63 lower-case letters"),
        ("s3-bucket", "-bucket", "invalid S3 bucket id"),
        ("s3-bucket", "s3://my-bucket/path/to/key", "names a path inside a bucket"),
        ("s3-bucket", "arn:aws:s3:::my-bucket/prefix", "names a path inside a bucket"),
        ("aws-generic", "us-east-1", "an aws-generic resource is the connector's region, `eu-west-1`"),
        (
            "kubernetes-cluster",
            "arn:aws:eks:us-east-1:123456789012:cluster/prod",
            "is in region `us-east-1`, but this connector is configured for `eu-west-1`",
        ),
        ("kubernetes-cluster", "arn:aws:eks:eu-west-1:123:cluster/prod", "12-digit account"),
        (
            "kubernetes-cluster",
            "arn:aws:eks:eu-west-1:123456789012:nodegroup/prod",
            "the resource must be cluster/<name>",
        ),
        ("kubernetes-cluster", "-bad", "a cluster name is letters, digits"),
        ("docker-registry", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "is in region `us-east-1`"),
        ("docker-registry", "registry.example.com", "expected [https://]<account>.dkr.ecr.<region>.amazonaws.com"),
        ("docker-registry", "arn:aws:ecr:eu-west-1:123456789012:image/x", "repository[/<name>]"),
        ("docker-registry", "arn:aws:ecr:eu-west-1:123456789012:repositoryX", "repository[/<name>]"),
        ("gcs-bucket", "x", "has no resource type `gcs-bucket`"),
        ("kubernetes-cluster", "arn:aws-cn:eks:eu-west-1:123456789012:cluster/prod", "is in partition `aws-cn`"),
    ] {
        let err = canonical(rt, id).await.unwrap_err();
        assert!(
            matches!(&err, CallError::Connector(e) if e.code() == "invalid-config" && e.message().contains(message)),
            "{rt} {id}: {err:?}"
        );
    }

    // Other partitions: ARNs by partition, registries under the partition's DNS suffix.
    for (region, rt, id, expected) in [
        ("cn-north-1", "kubernetes-cluster", "arn:aws-cn:eks:cn-north-1:123456789012:cluster/prod", Ok("prod")),
        (
            "cn-north-1",
            "docker-registry",
            "arn:aws-cn:ecr:cn-north-1:123456789012:repository/app",
            Ok("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"),
        ),
        (
            "cn-north-1",
            "docker-registry",
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app",
            Ok("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"),
        ),
        ("cn-north-1", "s3-bucket", "arn:aws-cn:s3:::data", Ok("s3://data")),
        (
            "us-gov-west-1",
            "docker-registry",
            "arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository",
            Ok("123456789012.dkr.ecr.us-gov-west-1.amazonaws.com"),
        ),
        (
            "cn-north-1",
            "kubernetes-cluster",
            "arn:aws:eks:cn-north-1:123456789012:cluster/prod",
            Err("is in partition `aws`"),
        ),
        (
            "cn-north-1",
            "docker-registry",
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com",
            Err("are under `amazonaws.com.cn`"),
        ),
        (
            "us-gov-west-1",
            "docker-registry",
            "arn:aws:ecr:us-gov-west-1:123456789012:repository",
            Err("partition `aws-us-gov`"),
        ),
    ] {
        let inst = instance(
            &plugin,
            "secret-key",
            &[("region", region), ("aws_access_key_id", "a"), ("aws_secret_access_key", "b")],
        );
        let result = runtime.canonical_resource_id(&plugin, inst, rt, id).await;
        match (expected, result) {
            (Ok(expected), Ok(canonical)) => assert_eq!(canonical, expected, "{region} {id}"),
            (Err(message), Err(err)) => assert!(err.to_string().contains(message), "{region} {id}: {err}"),
            (expected, result) => panic!("{region} {id}: expected {expected:?}, got {result:?}"),
        }
    }
}

/// Run auto-configure over a crafted home directory and environment.
async fn autoconf(
    files: &[(&str, &str)],
    env: &[(&str, &str)],
    method: Option<&str>,
) -> Result<airlock::runtime::bindings::AutoConfiguration, CallError> {
    let (runtime, plugin) = aws_plugin().await;
    let home = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = home.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
    std::fs::write(home.path().join(".ssh/id_ed25519"), "not for connectors").unwrap();
    let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let input =
        local_input(&plugin.spec, method.map(str::to_string), None, None, home.path(), &|k| env.get(k).cloned());
    assert!(
        input.files.iter().all(|f| f.path.starts_with("~/.aws/") || f.path.starts_with("$AWS_")),
        "only declared files are handed in"
    );
    runtime.auto_configure(&plugin, &input).await
}

fn attrs(config: &airlock::runtime::bindings::AutoConfiguration) -> HashMap<String, String> {
    config.attributes.iter().cloned().collect()
}

#[tokio::test]
async fn auto_configure_handles_each_profile_shape() {
    let credentials = "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = default-secret\n\n[dev]\naws_access_key_id = ASIADEV\naws_secret_access_key = dev-secret\naws_session_token = dev-token\n\n[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\n";
    let config = "[default]\nregion = eu-central-1\n\n[profile dev]\nregion = us-west-2\n\n[profile ops]\nregion = ap-south-1\nrole_arn = arn:aws:iam::123456789012:role/ops\nsource_profile = base\n";
    let files = [(".aws/credentials", credentials), (".aws/config", config)];

    // Long-lived keys become session-token, never secret-key unless asked.
    let found = autoconf(&files, &[], None).await.unwrap();
    assert_eq!(found.auth_method, "session-token");
    assert_eq!(attrs(&found)["aws_access_key_id"], "AKIADEFAULT");
    assert_eq!(attrs(&found)["region"], "eu-central-1");
    assert_eq!(autoconf(&files, &[], Some("secret-key")).await.unwrap().auth_method, "secret-key");

    // A profile with a session token: sts-token, assumed to expire in an hour.
    let found = autoconf(&files, &[("AWS_PROFILE", "dev")], None).await.unwrap();
    assert_eq!(
        (found.auth_method.as_str(), attrs(&found)["aws_session_token"].as_str(), attrs(&found)["region"].as_str()),
        ("sts-token", "dev-token", "us-west-2")
    );
    assert!(found.expires_at.is_some());
    let err = autoconf(&files, &[("AWS_PROFILE", "dev")], Some("session-token")).await.unwrap_err();
    assert!(err.to_string().contains("the local credentials are temporary"), "{err}");

    // A role profile with a source profile: iam-role with the source's keys.
    let found = autoconf(&files, &[("AWS_PROFILE", "ops")], None).await.unwrap();
    assert_eq!(found.auth_method, "iam-role");
    assert_eq!(
        (
            attrs(&found)["role_arn"].as_str(),
            attrs(&found)["aws_access_key_id"].as_str(),
            attrs(&found)["region"].as_str()
        ),
        ("arn:aws:iam::123456789012:role/ops", "AKIABASE", "ap-south-1")
    );

    // Environment variables win over the files.
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIAENV"),
        ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ("AWS_REGION", "sa-east-1"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
    ];
    let found = autoconf(&files, &env, None).await.unwrap();
    assert_eq!(
        (
            attrs(&found)["aws_access_key_id"].as_str(),
            attrs(&found)["region"].as_str(),
            attrs(&found)["endpoint_url"].as_str()
        ),
        ("AKIAENV", "sa-east-1", "http://127.0.0.1:4566")
    );

    // Nothing usable: clear errors.
    let err = autoconf(&[(".aws/credentials", credentials)], &[], None).await.unwrap_err();
    assert!(err.to_string().contains("no AWS region found"), "{err}");
    let err = autoconf(&[(".aws/config", config)], &[], None).await.unwrap_err();
    assert!(err.to_string().contains("no AWS credentials found for profile `default`"), "{err}");
    assert!(err.to_string().contains("~/.aws/credentials and ~/.aws/config"), "the error names the files read: {err}");

    // AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE win over ~/.aws, as for the AWS CLI.
    let elsewhere = tempfile::tempdir().unwrap();
    let (creds_path, config_path) = (elsewhere.path().join("creds"), elsewhere.path().join("conf"));
    std::fs::write(&creds_path, "[default]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other-secret\n")
        .unwrap();
    std::fs::write(&config_path, "[default]\nregion = ca-central-1\n").unwrap();
    let (creds_env, config_env) = (creds_path.display().to_string(), config_path.display().to_string());
    let env = [("AWS_SHARED_CREDENTIALS_FILE", creds_env.as_str()), ("AWS_CONFIG_FILE", config_env.as_str())];
    let found = autoconf(&files, &env, None).await.unwrap();
    assert_eq!(
        (attrs(&found)["aws_access_key_id"].as_str(), attrs(&found)["region"].as_str()),
        ("AKIAOTHER", "ca-central-1")
    );
    let missing = [("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")];
    let err = autoconf(&files, &missing, None).await.unwrap_err();
    assert!(err.to_string().contains("AWS_SHARED_CREDENTIALS_FILE names `/nonexistent/aws-credentials`"), "{err}");
}
