//! The GCP connector against a real Cloud Storage emulator (`gcp-storage-emulator`) used through
//! the real Google client library, and a faithful fake of Google's OAuth2, STS, IAM Credentials,
//! GKE and Artifact Registry endpoints (`airlock_tests::google`) that verifies what Google
//! verifies: the assertion's RS256 signature, the client secret and refresh token, token expiry.

use airlock::autoconfigure::local_input;
use airlock::credentials::ReleasePolicy;
use airlock::instance::Instance;
use airlock::runtime::bindings::ClientRequest;
use airlock::runtime::{CallError, Plugin, Runtime};
use airlock_tests::gcs::{BUCKET, Gcs, OBJECT, OTHER_BUCKET};
use airlock_tests::google::{self, CLUSTER, DOCKER_REPO, FakeGoogle, PROJECT, TARGET_SA, USER_TOKEN};
use airlock_tests::{attr, issue};
use std::sync::Arc;

async fn gcp_plugin() -> (Runtime, Plugin) {
    airlock_tests::builtin_plugin("gcp").await
}

fn instance(plugin: &Plugin, method: &str, attrs: &[(&str, &str)]) -> Arc<Instance> {
    airlock_tests::instance(plugin, Some(method), attrs)
}

async fn gcs() -> Gcs {
    tokio::task::spawn_blocking(|| Gcs::start(PROJECT)).await.unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn code(err: &CallError) -> String {
    match err {
        CallError::Connector(e) => e.code().to_string(),
        other => format!("{other:?}"),
    }
}

/// The attributes every method shares: the fake for Google's APIs, the emulator for storage.
fn endpoints<'a>(fake: &'a FakeGoogle, gcs: &'a Gcs) -> Vec<(&'a str, &'a str)> {
    vec![("endpoint_url", fake.url.as_str()), ("storage_endpoint_url", gcs.url.as_str())]
}

#[tokio::test]
async fn a_service_account_verifies_lists_every_resource_type_and_a_wrong_key_is_refused() {
    let (fake, gcs) = (FakeGoogle::start().await, gcs().await);
    let (runtime, plugin) = gcp_plugin().await;
    let mut attrs = endpoints(&fake, &gcs);
    attrs.push(("service_account_json", fake.service_account_json.as_str()));
    // No project_id: it defaults to the key's project.
    let sa = instance(&plugin, "service-account", &attrs);

    let all = runtime.verify(&plugin, sa.clone(), None, None).await.unwrap();
    let by_type = |rt: &str| {
        let listing = all.iter().find(|l| l.resource_type == rt).unwrap();
        assert_eq!(listing.error, None, "{rt}");
        listing.resource_ids.clone()
    };
    assert_eq!(by_type("gcp-generic"), vec![PROJECT.to_string()]);
    assert_eq!(by_type("gcs-bucket"), vec![format!("gs://{BUCKET}"), format!("gs://{OTHER_BUCKET}")]);
    assert_eq!(by_type("kubernetes-cluster"), vec![CLUSTER.to_string()]);
    let registries = by_type("docker-registry");
    for legacy in ["gcr.io", "us.gcr.io", "eu.gcr.io", "asia.gcr.io"] {
        assert!(registries.contains(&format!("{legacy}/{PROJECT}")), "{registries:?}");
    }
    assert!(registries.contains(&format!("europe-west1-docker.pkg.dev/{PROJECT}/{DOCKER_REPO}")), "{registries:?}");
    assert_eq!(registries.len(), 5, "only Docker-format repositories are listed: {registries:?}");

    let one = runtime.verify(&plugin, sa.clone(), Some("gcs-bucket"), Some(BUCKET)).await.unwrap();
    assert_eq!(one[0].resource_ids, vec![format!("gs://{BUCKET}")]);
    let missing = runtime.verify(&plugin, sa.clone(), Some("gcs-bucket"), Some("no-such-bucket")).await.unwrap_err();
    assert_eq!(code(&missing), "not-found", "{missing:?}");
    let python_repo = format!("projects/{PROJECT}/locations/europe-west1/repositories/wheels");
    let not_docker =
        runtime.verify(&plugin, sa.clone(), Some("docker-registry"), Some(&python_repo)).await.unwrap_err();
    assert!(not_docker.to_string().contains("not a Docker one"), "{not_docker}");
    let cluster = runtime.verify(&plugin, sa.clone(), Some("kubernetes-cluster"), Some("other")).await.unwrap_err();
    assert_eq!(code(&cluster), "not-found", "{cluster:?}");

    // A key Google does not know (same account, another key pair): refused with Google's reason.
    let (other_key, _) = tokio::task::spawn_blocking(google::rsa_key_pair).await.unwrap();
    let forged = google::service_account_json(&other_key, &format!("{}/token", fake.url));
    let mut attrs = endpoints(&fake, &gcs);
    attrs.push(("service_account_json", forged.as_str()));
    let err = runtime.verify(&plugin, instance(&plugin, "service-account", &attrs), None, None).await.unwrap_err();
    assert_eq!(code(&err), "unauthorized", "{err:?}");
    assert!(err.to_string().contains("Invalid JWT Signature"), "{err}");
    assert!(!err.to_string().contains("PRIVATE KEY"));

    // A user credential file under the service-account method: a clear configuration error.
    let user = google::user_account_json();
    let mut attrs = endpoints(&fake, &gcs);
    attrs.push(("service_account_json", user.as_str()));
    let err = runtime.verify(&plugin, instance(&plugin, "service-account", &attrs), None, None).await.unwrap_err();
    assert!(err.to_string().contains("authorized_user") && err.to_string().contains("service_account"), "{err}");
}

#[tokio::test]
async fn a_bucket_client_gets_a_token_down_scoped_to_that_bucket_that_the_google_library_uses() {
    let (fake, gcs) = (FakeGoogle::start().await, gcs().await);
    let (runtime, plugin) = gcp_plugin().await;
    let mut attrs = endpoints(&fake, &gcs);
    attrs.push(("service_account_json", fake.service_account_json.as_str()));
    let sa = instance(&plugin, "service-account", &attrs);

    let issued =
        issue(&runtime, &plugin, sa.clone(), "gcs-bucket", Some(&format!("gs://{BUCKET}")), None).await.unwrap();
    assert_eq!((issued.connector_type.as_str(), issued.auth_method.as_str()), ("gcp", "oauth2-token"));
    assert_eq!(issued.resource_id.as_deref(), Some(format!("gs://{BUCKET}").as_str()));
    let token = attr(&issued, "token");
    assert_eq!(fake.token(token).unwrap().kind, "downscoped", "the client holds the down-scoped token");
    let expires = issued.expires_at.unwrap();
    assert!(expires > now() + 3000 && expires <= now() + 3600, "{expires}");

    // The exchange asked for exactly this one bucket, with the service account's token.
    let exchanges = fake.seen.lock().unwrap().exchanges.clone();
    assert_eq!(exchanges.len(), 1);
    let (options, subject) = &exchanges[0];
    assert_eq!(subject, "service-account");
    let rules = options["accessBoundary"]["accessBoundaryRules"].as_array().unwrap();
    assert_eq!(rules.len(), 1, "{options}");
    assert_eq!(rules[0]["availableResource"], format!("//storage.googleapis.com/projects/_/buckets/{BUCKET}"));

    // The real client library lists the bucket's objects with the issued token.
    let listed = gcs.list_with_token(BUCKET, token).unwrap();
    assert_eq!(listed, vec![OBJECT.to_string()]);

    // An unknown bucket is refused before anything is minted.
    let err = issue(&runtime, &plugin, sa, "gcs-bucket", Some("gs://no-such-bucket"), None).await.unwrap_err();
    assert_eq!(code(&err), "not-found", "{err:?}");
    assert_eq!(fake.seen.lock().unwrap().exchanges.len(), 1);
}

#[tokio::test]
async fn every_auth_method_issues_and_bad_credentials_fail_with_googles_reason() {
    let (fake, gcs) = (FakeGoogle::start().await, gcs().await);
    let (runtime, plugin) = gcp_plugin().await;

    // user-account: the refresh grant (the host fills client secret and refresh token).
    let user = google::user_account_json();
    let mut attrs = endpoints(&fake, &gcs);
    attrs.extend([("project_id", PROJECT), ("user_account_json", user.as_str())]);
    let issued =
        issue(&runtime, &plugin, instance(&plugin, "user-account", &attrs), "gcp-generic", None, None).await.unwrap();
    assert_eq!(fake.token(attr(&issued, "token")).unwrap().kind, "user");
    assert_eq!(issued.resource_id.as_deref(), Some(PROJECT));
    let err = issue(&runtime, &plugin, instance(&plugin, "user-account", &attrs), "gcp-generic", None, Some(600))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expiration"), "{err}");

    // The same file given as base64, as ZenML accepts it.
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&user);
    let mut attrs = endpoints(&fake, &gcs);
    attrs.extend([("project_id", PROJECT), ("user_account_json", encoded.as_str())]);
    let issued =
        issue(&runtime, &plugin, instance(&plugin, "user-account", &attrs), "kubernetes-cluster", Some(CLUSTER), None)
            .await
            .unwrap();
    assert_eq!((issued.connector_type.as_str(), issued.auth_method.as_str()), ("kubernetes", "token"));
    assert_eq!(attr(&issued, "cluster_name"), format!("gke_{PROJECT}_{CLUSTER}"));
    assert_eq!(attr(&issued, "server"), "https://34.78.12.34");
    assert_eq!(attr(&issued, "certificate_authority"), google::CLUSTER_CA);
    assert_eq!(fake.token(attr(&issued, "token")).unwrap().kind, "user");

    // A revoked refresh token fails with Google's reason.
    fake.revoke_refresh_token();
    let err = runtime.verify(&plugin, instance(&plugin, "user-account", &attrs), None, None).await.unwrap_err();
    assert_eq!(code(&err), "unauthorized", "{err:?}");
    assert!(err.to_string().contains("Token has been expired or revoked"), "{err}");
    assert!(!err.to_string().contains(google::REFRESH_TOKEN) && !err.to_string().contains(google::CLIENT_SECRET));

    // impersonation: generateAccessToken with the requested lifetime, within 1..=3600 s.
    let mut attrs = endpoints(&fake, &gcs);
    attrs.extend([("service_account_json", fake.service_account_json.as_str()), ("target_principal", TARGET_SA)]);
    let issued = issue(&runtime, &plugin, instance(&plugin, "impersonation", &attrs), "gcp-generic", None, Some(600))
        .await
        .unwrap();
    assert_eq!(fake.token(attr(&issued, "token")).unwrap().kind, format!("impersonated:{TARGET_SA}"));
    assert_eq!(attr(&issued, "service_account_email"), TARGET_SA);
    let expires = issued.expires_at.unwrap();
    assert!(expires > now() + 500 && expires <= now() + 600, "{expires}");
    assert_eq!(fake.seen.lock().unwrap().impersonations.last().unwrap()["lifetime"], "600s");
    for out_of_bounds in [0, 3601] {
        let err = issue(
            &runtime,
            &plugin,
            instance(&plugin, "impersonation", &attrs),
            "gcp-generic",
            None,
            Some(out_of_bounds),
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("3600"), "{out_of_bounds}: {err}");
    }
    let registry = format!("europe-west1-docker.pkg.dev/{PROJECT}/{DOCKER_REPO}/app");
    let issued =
        issue(&runtime, &plugin, instance(&plugin, "impersonation", &attrs), "docker-registry", Some(&registry), None)
            .await
            .unwrap();
    assert_eq!((issued.connector_type.as_str(), attr(&issued, "username")), ("docker", "oauth2accesstoken"));
    assert_eq!(attr(&issued, "registry"), "europe-west1-docker.pkg.dev");
    assert_eq!(
        issued.resource_id.as_deref(),
        Some(format!("europe-west1-docker.pkg.dev/{PROJECT}/{DOCKER_REPO}").as_str())
    );

    // oauth2-token: the configured token is released as it is (where policy allows) for
    // generic clients, and exchanged for a down-scoped one for a bucket.
    let mut attrs = endpoints(&fake, &gcs);
    attrs.extend([("project_id", PROJECT), ("token", USER_TOKEN)]);
    let token_instance = || instance(&plugin, "oauth2-token", &attrs);
    let issued = issue(&runtime, &plugin, token_instance(), "gcp-generic", None, None).await.unwrap();
    assert_eq!(attr(&issued, "token"), USER_TOKEN);
    let refused = runtime
        .issue_client(
            &plugin,
            token_instance(),
            &ClientRequest { resource_type: "gcp-generic".into(), resource_id: None, expiration_seconds: None },
            ReleasePolicy::Never,
        )
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("policy forbids releasing secrets"), "{refused}");
    let scoped = issue(&runtime, &plugin, token_instance(), "gcs-bucket", Some(OTHER_BUCKET), None).await.unwrap();
    assert_eq!(fake.token(attr(&scoped, "token")).unwrap().kind, "downscoped");
    assert_eq!(fake.seen.lock().unwrap().exchanges.last().unwrap().1, "user");

    // generate_temporary_tokens=false: the key file itself, only through the release policy.
    let mut attrs = endpoints(&fake, &gcs);
    attrs
        .extend([("service_account_json", fake.service_account_json.as_str()), ("generate_temporary_tokens", "false")]);
    let issued =
        issue(&runtime, &plugin, instance(&plugin, "service-account", &attrs), "gcs-bucket", Some(BUCKET), None)
            .await
            .unwrap();
    assert_eq!((issued.auth_method.as_str(), issued.expires_at), ("service-account", None));
    assert_eq!(attr(&issued, "service_account_json"), fake.service_account_json);

    // implicit and external-account need the server's own identity: disabled, and said so.
    let err = runtime
        .verify(&plugin, instance(&plugin, "implicit", &[("project_id", PROJECT)]), None, None)
        .await
        .unwrap_err();
    assert_eq!(code(&err), "unsupported", "{err:?}");
    let external = r#"{"type":"external_account","audience":"//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/q","subject_token_type":"urn:ietf:params:aws:token-type:aws4_request","token_url":"https://sts.googleapis.com/v1/token","credential_source":{"environment_id":"aws1"}}"#;
    let err = runtime
        .verify(
            &plugin,
            instance(&plugin, "external-account", &[("project_id", PROJECT), ("external_account_json", external)]),
            None,
            None,
        )
        .await
        .unwrap_err();
    assert!(code(&err) == "unsupported" && err.to_string().contains("ambient identity"), "{err}");
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[tokio::test]
async fn resource_ids_follow_google_clouds_naming_rules() {
    let (runtime, plugin) = gcp_plugin().await;
    let sa = google::service_account_json("unused", "https://oauth2.googleapis.com/token");
    let inst = instance(&plugin, "service-account", &[("service_account_json", sa.as_str())]);
    let canonical = |rt: &'static str, id: &'static str| {
        let (runtime, plugin, inst) = (&runtime, &plugin, inst.clone());
        async move { runtime.canonical_resource_id(plugin, inst, rt, id).await }
    };
    let accepted = [
        ("gcs-bucket", "airlock-data", "gs://airlock-data"),
        ("gcs-bucket", "gs://airlock-data", "gs://airlock-data"),
        ("gcs-bucket", "gs://airlock-data/", "gs://airlock-data"),
        ("gcs-bucket", "logs.example.com", "gs://logs.example.com"),
        ("gcs-bucket", "a_b-c", "gs://a_b-c"),
        ("gcp-generic", PROJECT, PROJECT),
        ("kubernetes-cluster", "prod-cluster", "prod-cluster"),
        (
            "docker-registry",
            "europe-west1-docker.pkg.dev/airlock-demo-1/images",
            "europe-west1-docker.pkg.dev/airlock-demo-1/images",
        ),
        (
            "docker-registry",
            "https://us-docker.pkg.dev/airlock-demo-1/images/app:v1",
            "us-docker.pkg.dev/airlock-demo-1/images",
        ),
        (
            "docker-registry",
            "projects/airlock-demo-1/locations/us-central1/repositories/images",
            "us-central1-docker.pkg.dev/airlock-demo-1/images",
        ),
        ("docker-registry", "gcr.io/airlock-demo-1", "gcr.io/airlock-demo-1"),
        ("docker-registry", "https://eu.gcr.io/airlock-demo-1/app", "eu.gcr.io/airlock-demo-1"),
    ];
    for (rt, id, expected) in accepted {
        assert_eq!(canonical(rt, id).await.unwrap_or_else(|e| panic!("{rt} {id}: {e}")), expected, "{rt} {id}");
    }
    let refused = [
        ("gcs-bucket", "gs://airlock-data/some/path", "without a path"),
        ("gcs-bucket", "Airlock-Data", "lower-case"),
        ("gcs-bucket", "ab", "3-63"),
        ("gcs-bucket", "-airlock", "starting and ending"),
        ("gcs-bucket", "192.168.5.4", "not an IP address"),
        ("gcs-bucket", "goog-data", "goog"),
        ("gcs-bucket", "my-google-data", "google"),
        ("gcs-bucket", "airlock-data\n", "expected gs://"),
        ("gcs-bucket", leak("a".repeat(64)), "3-63"),
        ("gcp-generic", "another-project", "configured project"),
        ("kubernetes-cluster", "Prod", "lower-case"),
        ("kubernetes-cluster", "1cluster", "starting with a letter"),
        ("kubernetes-cluster", leak("a".repeat(41)), "1-40"),
        ("kubernetes-cluster", "prod_cluster", "lower-case letters, digits and `-`"),
        ("docker-registry", "europe-west1-docker.pkg.dev/other-project-1/images", "configured for project"),
        ("docker-registry", "europe-west1-docker.pkg.dev/airlock-demo-1", "repository is missing"),
        ("docker-registry", "europe-west1-docker.pkg.dev/airlock-demo-1/Images", "repository name"),
        ("docker-registry", "quay.io/airlock-demo-1/images", "not an Artifact Registry"),
        ("docker-registry", "gcr.io/UPPER", "not a project id"),
        ("s3-bucket", "b", "no resource type"),
    ];
    for (rt, id, why) in refused {
        let err = canonical(rt, id).await.expect_err(&format!("{rt} `{id}` must be refused"));
        assert!(err.to_string().contains(why), "{rt} `{id}`: {err}");
    }
}

#[tokio::test]
async fn auto_configure_reads_gcloud_files_and_the_environment() {
    let (runtime, plugin) = gcp_plugin().await;
    let home = tempfile::tempdir().unwrap();
    let gcloud = home.path().join(".config/gcloud");
    std::fs::create_dir_all(gcloud.join("configurations")).unwrap();
    let auto = |env: Vec<(&'static str, String)>, method: Option<&str>| {
        let input = local_input(&plugin.spec, method.map(str::to_string), None, None, home.path(), &|k| {
            env.iter().find(|(name, _)| *name == k).map(|(_, v)| v.clone())
        });
        let runtime = &runtime;
        let plugin = &plugin;
        async move { runtime.auto_configure(plugin, &input).await }
    };
    let value = |config: &airlock::runtime::bindings::AutoConfiguration, name: &str| {
        config.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    };

    let err = auto(vec![], None).await.unwrap_err();
    assert!(err.to_string().contains("application_default_credentials.json"), "{err}");

    // gcloud's user ADC and active project → user-account, the file rebuilt with what it needs.
    let adc = serde_json::json!({"type": "authorized_user", "client_id": google::CLIENT_ID, "client_secret": google::CLIENT_SECRET, "refresh_token": google::REFRESH_TOKEN, "account": "", "universe_domain": "googleapis.com"});
    std::fs::write(gcloud.join("application_default_credentials.json"), adc.to_string()).unwrap();
    let err = auto(vec![], None).await.unwrap_err();
    assert!(err.to_string().contains("gcloud config set project"), "{err}");
    std::fs::write(
        gcloud.join("configurations/config_default"),
        "[core]\naccount = alice@example.com\nproject = airlock-demo-1\n",
    )
    .unwrap();
    let config = auto(vec![], None).await.unwrap();
    assert_eq!(config.auth_method, "user-account");
    assert_eq!(value(&config, "project_id").as_deref(), Some(PROJECT));
    let rebuilt: serde_json::Value = serde_json::from_str(&value(&config, "user_account_json").unwrap()).unwrap();
    assert_eq!(rebuilt["refresh_token"], google::REFRESH_TOKEN);
    assert!(rebuilt.get("account").is_none());
    let config = auto(vec![("CLOUDSDK_CORE_PROJECT", "env-project-9".into())], None).await.unwrap();
    assert_eq!(value(&config, "project_id").as_deref(), Some("env-project-9"));

    // GOOGLE_APPLICATION_CREDENTIALS wins and names any file: a service account key.
    let key_file = home.path().join("keys/sa.json");
    std::fs::create_dir_all(key_file.parent().unwrap()).unwrap();
    let sa = google::service_account_json(
        "-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n",
        "https://oauth2.googleapis.com/token",
    );
    std::fs::write(&key_file, &sa).unwrap();
    std::fs::remove_file(gcloud.join("configurations/config_default")).unwrap();
    let gac = vec![("GOOGLE_APPLICATION_CREDENTIALS", key_file.display().to_string())];
    let config = auto(gac.clone(), None).await.unwrap();
    assert_eq!(config.auth_method, "service-account");
    assert_eq!(value(&config, "project_id").as_deref(), Some(PROJECT), "the key's project");
    assert_eq!(value(&config, "service_account_json").as_deref(), Some(sa.as_str()));
    let err = auto(gac.clone(), Some("user-account")).await.unwrap_err();
    assert!(err.to_string().contains("service_account"), "{err}");
    let err = auto(gac, Some("impersonation")).await.unwrap_err();
    assert!(err.to_string().contains("cannot be auto-configured"), "{err}");
    let missing = vec![("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/key.json".to_string())];
    let err = auto(missing, None).await.unwrap_err();
    assert!(err.to_string().contains("/nonexistent/key.json"), "{err}");

    // An external account (workload identity federation) configures that method.
    let external = serde_json::json!({"type": "external_account", "audience": "//iam.googleapis.com/x", "subject_token_type": "urn:ietf:params:oauth:token-type:jwt", "token_url": "https://sts.googleapis.com/v1/token", "credential_source": {"file": "/var/run/token"}});
    std::fs::write(&key_file, external.to_string()).unwrap();
    let config = auto(
        vec![
            ("GOOGLE_APPLICATION_CREDENTIALS", key_file.display().to_string()),
            ("GOOGLE_CLOUD_PROJECT", PROJECT.into()),
        ],
        None,
    )
    .await
    .unwrap();
    assert_eq!(config.auth_method, "external-account");
}

/// Through the real server and CLI: register a service-account connector (key from a file),
/// then `login` writes a GKE kubeconfig kubectl reads, a GAR auth entry skopeo reads, and a
/// bucket token file the Google client library uses. No secret reaches the server's log.
/// (Multi-threaded: the fake keeps answering the server while the test waits for the CLI.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_configures_kubectl_skopeo_and_the_google_library() {
    use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, out};
    use std::os::unix::fs::PermissionsExt;
    let (fake, gcs) = (FakeGoogle::start().await, gcs().await);
    let server = Server::start(StoreKind::Sqlite);
    let key_file = server.data_dir.join("sa-key.json");
    std::fs::write(&key_file, &fake.service_account_json).unwrap();
    let register = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "register",
            "gcp-dev",
            "-t",
            "gcp",
            "-a",
            "service-account",
            &format!("--endpoint_url={}", fake.url),
            &format!("--storage_endpoint_url={}", gcs.url),
            &format!("--service_account_json=@{}", key_file.display()),
        ],
    );
    assert!(register.status.success(), "{}", out(&register).1);
    assert!(out(&register).0.contains(&format!("gs://{BUCKET}")), "{}", out(&register).0);

    let kubeconfig = server.data_dir.join("gke.config");
    let login = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "login",
            "--static",
            "gcp-dev",
            "-r",
            "kubernetes-cluster",
            "--resource-id",
            CLUSTER,
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
        ],
    );
    assert!(login.status.success(), "{}", out(&login).1);
    let parsed = airlock_tests::kubectl_view(&kubeconfig);
    assert_eq!(parsed["current-context"], format!("gke_{PROJECT}_{CLUSTER}"));
    assert_eq!(parsed["clusters"][0]["cluster"]["server"], "https://34.78.12.34");
    let token = parsed["users"][0]["user"]["token"].as_str().unwrap();
    assert_eq!(fake.token(token).unwrap().kind, "service-account");

    let docker_dir = server.data_dir.join("docker");
    let registry = format!("europe-west1-docker.pkg.dev/{PROJECT}/{DOCKER_REPO}");
    let login = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "login",
            "--static",
            "gcp-dev",
            "-r",
            "docker-registry",
            "--resource-id",
            &registry,
            "--docker-config",
            docker_dir.to_str().unwrap(),
        ],
    );
    assert!(login.status.success(), "{}", out(&login).1);
    let skopeo = std::process::Command::new(airlock_tests::require_tool("skopeo"))
        .args(["login", "--get-login", "--authfile"])
        .arg(docker_dir.join("config.json"))
        .arg("europe-west1-docker.pkg.dev")
        .output()
        .unwrap();
    assert!(skopeo.status.success(), "skopeo: {}", String::from_utf8_lossy(&skopeo.stderr));
    assert_eq!(String::from_utf8_lossy(&skopeo.stdout).trim(), "oauth2accesstoken");

    let login = server
        .cli(ADMIN_TOKEN, &["connector", "login", "--static", "gcp-dev", "-r", "gcs-bucket", "--resource-id", BUCKET]);
    assert!(login.status.success(), "{}", out(&login).1);
    assert!(out(&login).1.contains("CLOUDSDK_AUTH_ACCESS_TOKEN_FILE"), "{}", out(&login).1);
    let token_file = server.data_dir.join(".config/airlock/gcp/gcp-dev.token");
    assert_eq!(std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777, 0o600);
    let token = std::fs::read_to_string(&token_file).unwrap();
    assert_eq!(fake.token(&token).unwrap().kind, "downscoped");
    assert_eq!(gcs.list_with_token(BUCKET, &token).unwrap(), vec![OBJECT.to_string()]);

    let log = server.log_text();
    assert!(!log.contains("PRIVATE KEY") && !log.contains(&token), "a secret reached the server log");
}

/// The private key, the refresh token and the client secret never enter the gcp component's
/// linear memory: every memory the component used during verify and issue is copied out by the
/// runtime's memory audit and searched. The access tokens it minted are there (the control).
#[tokio::test]
async fn long_lived_secrets_never_enter_the_gcp_components_memory() {
    let (fake, gcs) = (FakeGoogle::start().await, gcs().await);
    let (runtime, plugin, audit) = airlock_tests::audited_builtin("gcp").await;

    let mut sa = endpoints(&fake, &gcs);
    sa.push(("service_account_json", fake.service_account_json.as_str()));
    let sa = instance(&plugin, "service-account", &sa);
    runtime.verify(&plugin, sa.clone(), None, None).await.unwrap();
    let bucket_client = issue(&runtime, &plugin, sa, "gcs-bucket", Some(BUCKET), None).await.unwrap();
    let user_json = google::user_account_json();
    let mut user = endpoints(&fake, &gcs);
    user.extend([("project_id", PROJECT), ("user_account_json", user_json.as_str())]);
    let user = instance(&plugin, "user-account", &user);
    runtime.verify(&plugin, user.clone(), Some("gcs-bucket"), None).await.unwrap();
    let user_client = issue(&runtime, &plugin, user, "gcp-generic", None, None).await.unwrap();

    let memories = audit.take();
    assert!(memories.len() >= 4, "every call's memories are audited ({} seen)", memories.len());
    let contains = |needle: &str| airlock_tests::in_memories(&memories, needle);
    // The control: tokens the component minted and returned are in its memory.
    assert!(
        contains(attr(&bucket_client, "token")) && contains(attr(&user_client, "token")),
        "the scan sees guest data"
    );
    let key_body: String = fake.private_key_pem.lines().nth(5).unwrap().to_string();
    assert!(key_body.len() >= 60, "{key_body}");
    for (what, secret) in [
        ("a line of the private key", key_body.as_str()),
        ("the refresh token", google::REFRESH_TOKEN),
        ("the client secret", google::CLIENT_SECRET),
    ] {
        assert!(!contains(secret), "{what} reached the gcp component's memory");
    }
}
