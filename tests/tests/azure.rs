//! The Azure connector against Azurite (the real Blob service, used through Azure's Python SDK)
//! and a faithful fake of Entra ID's token endpoint (`airlock_tests::entra`).

use airlock::instance::Instance;
use airlock::runtime::{CallError, Plugin, Runtime};
use airlock_tests::arm::{self, FakeArm};
use airlock_tests::azurite::{ACCOUNT, ACCOUNT_KEY, Azurite, BLOB, CONTAINER, OTHER_CONTAINER};
use airlock_tests::entra;
use airlock_tests::{attr, issue};
use std::sync::Arc;

async fn azure_plugin() -> (Runtime, Plugin) {
    airlock_tests::builtin_plugin("azure").await
}

fn instance(plugin: &Plugin, method: &str, attrs: &[(&str, &str)]) -> Arc<Instance> {
    airlock_tests::instance(plugin, Some(method), attrs)
}

async fn azurite() -> Azurite {
    tokio::task::spawn_blocking(Azurite::start).await.unwrap()
}

fn code(err: &CallError) -> String {
    match err {
        CallError::Connector(e) => e.code().to_string(),
        other => format!("{other:?}"),
    }
}

fn key_attrs<'a>(azurite: &'a Azurite, key: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("storage_account", ACCOUNT), ("account_key", key), ("blob_endpoint_url", azurite.url.as_str())]
}

#[tokio::test]
async fn an_account_key_lists_containers_and_a_wrong_key_fails_with_azurites_reason() {
    let azurite = azurite().await;
    let (runtime, plugin) = azure_plugin().await;
    let good = instance(&plugin, "storage-account-key", &key_attrs(&azurite, ACCOUNT_KEY));
    let listed = runtime.verify(&plugin, good.clone(), None, None).await.unwrap();
    assert_eq!(listed[0].resource_type, "blob-container");
    assert_eq!(listed[0].resource_ids, vec![format!("az://{CONTAINER}"), format!("az://{OTHER_CONTAINER}")]);
    let one = runtime
        .verify(&plugin, good.clone(), Some("blob-container"), Some(&format!("abfs://{CONTAINER}")))
        .await
        .unwrap();
    assert_eq!(one[0].resource_ids, vec![format!("az://{CONTAINER}")]);
    let missing =
        runtime.verify(&plugin, good.clone(), Some("blob-container"), Some("no-such-container")).await.unwrap_err();
    assert_eq!(code(&missing), "not-found", "{missing:?}");

    // Another key of the right shape: Azurite refuses the signature, and says so.
    let wrong_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";
    let err = runtime
        .verify(&plugin, instance(&plugin, "storage-account-key", &key_attrs(&azurite, wrong_key)), None, None)
        .await
        .unwrap_err();
    assert_eq!(code(&err), "unauthorized", "{err:?}");
    assert!(err.to_string().contains("AuthorizationFailure"), "{err}");
    assert!(!err.to_string().contains(wrong_key));
}

#[tokio::test]
async fn a_container_client_gets_a_sas_for_that_container_only_until_it_expires() {
    let azurite = azurite().await;
    let (runtime, plugin) = azure_plugin().await;
    let inst = instance(&plugin, "storage-account-key", &key_attrs(&azurite, ACCOUNT_KEY));
    let issued =
        issue(&runtime, &plugin, inst.clone(), "blob-container", Some(&format!("az://{CONTAINER}")), Some(600))
            .await
            .unwrap();
    assert_eq!((issued.connector_type.as_str(), issued.auth_method.as_str()), ("azure", "sas-token"));
    let sas = attr(&issued, "sas_token");
    assert!(sas.contains("sr=c") && !sas.contains(ACCOUNT_KEY), "{sas}");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(issued.expires_at.unwrap() <= now + 600 && issued.expires_at.unwrap() > now + 590);
    let container_url = attr(&issued, "container_url");
    assert_eq!(azurite.list_with_sas(container_url, sas).unwrap(), vec![BLOB.to_string()]);
    let other_url = container_url.replace(CONTAINER, OTHER_CONTAINER);
    let refused = azurite.list_with_sas(&other_url, sas).unwrap_err();
    assert!(refused.contains("AuthorizationFailure"), "{refused}");

    // A SAS works until it expires; then Azurite refuses it.
    let short = issue(&runtime, &plugin, inst.clone(), "blob-container", Some(CONTAINER), Some(6)).await.unwrap();
    let (url, token) = (attr(&short, "container_url"), attr(&short, "sas_token"));
    assert_eq!(azurite.list_with_sas(url, token).unwrap(), vec![BLOB.to_string()]);
    let expires_at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(short.expires_at.unwrap() + 1);
    tokio::time::sleep(expires_at.duration_since(std::time::SystemTime::now()).unwrap_or_default()).await;
    let expired = azurite.list_with_sas(url, token).unwrap_err();
    assert!(expired.contains("AuthorizationFailure"), "{expired}");

    for (rt, id, expiration, why) in [
        ("blob-container", Some("az://no-such-container"), None, "has no container"),
        ("blob-container", Some("Bad--Name"), None, "3-63 lower-case"),
        ("blob-container", Some("az://airlock-data/some/path"), None, "without a path"),
        ("blob-container", Some(CONTAINER), Some(8 * 24 * 3600), "outside 1 to 604800"),
        ("blob-container", None, None, "name the blob container"),
        ("azure-generic", None, None, "does not reach `azure-generic`"),
    ] {
        let err = issue(&runtime, &plugin, inst.clone(), rt, id, expiration).await.unwrap_err();
        assert!(err.to_string().contains(why), "{rt} {id:?}: {err}");
    }
}

/// A fake Entra ID, a fake ARM serving Azurite as the storage account, and the attributes of a
/// service principal pointed at them (resource group spelled in another case, as Azure allows).
async fn principal_world(azurite: &Azurite) -> (String, FakeArm) {
    (entra::start().await, FakeArm::start(&azurite.url).await)
}

fn principal_attrs<'a>(authority: &'a str, arm: &'a FakeArm, secret: &'a str) -> Vec<(&'a str, &'a str)> {
    // The Blob endpoint ARM reports is Azurite on loopback; `blob_endpoint_url` lets it through
    // the egress gate (real accounts are under the allowed *.blob.core.windows.net).
    vec![
        ("client_id", entra::CLIENT_ID),
        ("tenant_id", entra::TENANT),
        ("client_secret", secret),
        ("authority_url", authority),
        ("management_endpoint_url", arm.url.as_str()),
        ("registry_endpoint_url", arm.url.as_str()),
        ("blob_endpoint_url", arm.blob_endpoint.as_str()),
        ("resource_group", "AIRLOCK-RG"),
    ]
}

#[tokio::test]
async fn a_service_principal_reaches_blobs_aks_and_acr_through_arm() {
    let azurite = azurite().await;
    let (authority, arm) = principal_world(&azurite).await;
    let (runtime, plugin) = azure_plugin().await;
    let sp = instance(&plugin, "service-principal", &principal_attrs(&authority, &arm, entra::CLIENT_SECRET));

    // The subscription is the only one the principal reaches; every type lists.
    let all = runtime.verify(&plugin, sp.clone(), None, None).await.unwrap();
    let by_type = |rt: &str| {
        let listing = all.iter().find(|l| l.resource_type == rt).unwrap();
        assert_eq!(listing.error, None, "{rt}");
        listing.resource_ids.clone()
    };
    assert_eq!(by_type("azure-generic"), vec![arm::SUBSCRIPTION.to_string()]);
    assert_eq!(by_type("blob-container"), vec![format!("az://{CONTAINER}"), format!("az://{OTHER_CONTAINER}")]);
    assert_eq!(by_type("kubernetes-cluster"), vec![format!("{}/{}", arm::RESOURCE_GROUP, arm::CLUSTER)]);
    assert_eq!(by_type("docker-registry"), vec![format!("{}.azurecr.io", arm::REGISTRY)]);
    // An `azure-generic` id is the subscription: another one is not reached, a non-UUID refused.
    let upper = arm::SUBSCRIPTION.to_ascii_uppercase();
    let same = runtime.verify(&plugin, sp.clone(), Some("azure-generic"), Some(&upper)).await.unwrap();
    assert_eq!(same[0].resource_ids, vec![arm::SUBSCRIPTION.to_string()]);
    let other = runtime
        .verify(&plugin, sp.clone(), Some("azure-generic"), Some("00000000-0000-0000-0000-000000000001"))
        .await
        .unwrap_err();
    assert!(other.to_string().contains("not `00000000-0000-0000-0000-000000000001`"), "{other}");
    let malformed = runtime.verify(&plugin, sp.clone(), Some("azure-generic"), Some("my-sub")).await.unwrap_err();
    assert!(malformed.to_string().contains("the subscription's UUID"), "{malformed}");

    // A container client: a service SAS ARM signed for that container only.
    let issued = issue(&runtime, &plugin, sp.clone(), "blob-container", Some(CONTAINER), None).await.unwrap();
    let (url, sas) = (attr(&issued, "container_url"), attr(&issued, "sas_token"));
    assert_eq!(azurite.list_with_sas(url, sas).unwrap(), vec![BLOB.to_string()]);
    assert!(
        azurite
            .list_with_sas(&url.replace(CONTAINER, OTHER_CONTAINER), sas)
            .unwrap_err()
            .contains("AuthorizationFailure")
    );
    let asked = arm.seen.lock().unwrap().service_sas.clone();
    assert_eq!(asked.len(), 1);
    assert_eq!((asked[0].0.as_str(), asked[0].1.as_str()), (format!("/blob/{ACCOUNT}/{CONTAINER}").as_str(), "racwdl"));

    // AKS: the cluster *user* credentials, admin only when configured.
    let issued = issue(&runtime, &plugin, sp.clone(), "kubernetes-cluster", Some(arm::CLUSTER), None).await.unwrap();
    assert_eq!((issued.connector_type.as_str(), attr(&issued, "token")), ("kubernetes", arm::USER_TOKEN));
    assert_eq!(attr(&issued, "server"), "https://aks-prod-dns-1a2b3c4d.hcp.westeurope.azmk8s.io:443");
    assert_eq!(attr(&issued, "certificate_authority"), arm::CA);
    let mut admin = principal_attrs(&authority, &arm, entra::CLIENT_SECRET);
    admin.push(("aks_admin_credentials", "true"));
    let issued = issue(
        &runtime,
        &plugin,
        instance(&plugin, "service-principal", &admin),
        "kubernetes-cluster",
        Some("airlock-rg/aks-prod"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(attr(&issued, "token"), arm::ADMIN_TOKEN);
    assert_eq!(arm.seen.lock().unwrap().cluster_credentials, vec!["user", "admin"]);
    let err =
        issue(&runtime, &plugin, sp.clone(), "kubernetes-cluster", Some("other-rg/aks-prod"), None).await.unwrap_err();
    assert!(err.to_string().contains("configured for `AIRLOCK-RG`"), "{err}");

    // ACR: the Entra → ACR exchange; the null-GUID user with the ACR refresh token.
    let issued =
        issue(&runtime, &plugin, sp.clone(), "docker-registry", Some("https://AirlockACR.azurecr.io/app"), None)
            .await
            .unwrap();
    assert_eq!(attr(&issued, "username"), "00000000-0000-0000-0000-000000000000");
    assert_eq!(attr(&issued, "password"), arm::ACR_REFRESH_TOKEN);
    assert_eq!(attr(&issued, "registry"), "airlockacr.azurecr.io");
    assert!(!issued.attributes.iter().any(|(_, v)| v.value.contains(entra::CLIENT_SECRET)));

    // Generic: an Entra access token; a wrong secret fails with Entra's reason.
    let issued = issue(&runtime, &plugin, sp.clone(), "azure-generic", None, None).await.unwrap();
    assert_eq!((issued.auth_method.as_str(), attr(&issued, "token")), ("access-token", entra::ACCESS_TOKEN));
    let wrong = instance(&plugin, "service-principal", &principal_attrs(&authority, &arm, "not-the-secret"));
    let err = runtime.verify(&plugin, wrong, None, None).await.unwrap_err();
    assert_eq!(code(&err), "unauthorized", "{err:?}");
    assert!(err.to_string().contains("AADSTS7000215"), "{err}");
    let mut bad_uuid = principal_attrs(&authority, &arm, entra::CLIENT_SECRET);
    bad_uuid[0].1 = "not-a-uuid";
    let err = runtime.verify(&plugin, instance(&plugin, "service-principal", &bad_uuid), None, None).await.unwrap_err();
    assert!(err.to_string().contains("must be a UUID"), "{err}");
    let mut other_sub = principal_attrs(&authority, &arm, entra::CLIENT_SECRET);
    other_sub.push(("subscription_id", "00000000-1111-2222-3333-444444444444"));
    let err =
        runtime.verify(&plugin, instance(&plugin, "service-principal", &other_sub), None, None).await.unwrap_err();
    assert!(err.to_string().contains("SubscriptionNotFound"), "{err}");

    // access-token: ARM through the configured token; generic clients get it only by policy.
    let token = [("token", entra::ACCESS_TOKEN), ("management_endpoint_url", arm.url.as_str())];
    let issued =
        issue(&runtime, &plugin, instance(&plugin, "access-token", &token), "azure-generic", None, None).await.unwrap();
    assert_eq!(attr(&issued, "token"), entra::ACCESS_TOKEN);
    let err = issue(
        &runtime,
        &plugin,
        instance(&plugin, "access-token", &token),
        "docker-registry",
        Some(arm::REGISTRY),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(code(&err), "unsupported", "{err:?}");
    let err = runtime.verify(&plugin, instance(&plugin, "implicit", &[]), None, None).await.unwrap_err();
    assert_eq!(code(&err), "unsupported", "{err:?}");
}

#[tokio::test]
async fn resource_ids_follow_azures_naming_rules() {
    let (runtime, plugin) = azure_plugin().await;
    let inst = instance(&plugin, "access-token", &[("token", "t"), ("resource_group", "Airlock-RG")]);
    let canonical = |rt: &'static str, id: &'static str| {
        let (runtime, plugin, inst) = (&runtime, &plugin, inst.clone());
        async move { runtime.canonical_resource_id(plugin, inst, rt, id).await }
    };
    for (rt, id, expected) in [
        ("blob-container", "data-1", "az://data-1"),
        ("blob-container", "az://data-1", "az://data-1"),
        ("blob-container", "abfs://data-1@acct.dfs.core.windows.net", "az://data-1"),
        ("kubernetes-cluster", "aks_prod-1", "aks_prod-1"),
        ("kubernetes-cluster", "airlock-rg/aks-prod", "airlock-rg/aks-prod"),
        ("docker-registry", "https://AirlockACR.azurecr.io/team/app", "airlockacr.azurecr.io"),
        ("docker-registry", "airlockacr", "airlockacr.azurecr.io"),
    ] {
        assert_eq!(canonical(rt, id).await.unwrap_or_else(|e| panic!("{rt} {id}: {e}")), expected);
    }
    for (rt, id, why) in [
        ("blob-container", "ab", "3-63"),
        ("blob-container", "data--1", "single hyphens"),
        ("blob-container", "Data", "lower-case"),
        ("blob-container", "az://data/path", "without a path"),
        ("kubernetes-cluster", "-aks", "1-63 letters"),
        ("kubernetes-cluster", "other-rg/aks", "configured for `Airlock-RG`"),
        ("docker-registry", "acr", "5-50 letters and digits"),
        ("docker-registry", "my-registry.azurecr.io", "5-50 letters and digits"),
        ("s3-bucket", "b", "no resource type"),
    ] {
        let err = canonical(rt, id).await.expect_err(&format!("{rt} `{id}` must be refused"));
        assert!(err.to_string().contains(why), "{rt} `{id}`: {err}");
    }
}

/// The account key and the client secret never enter the azure component's memory.
#[tokio::test]
async fn the_account_key_and_client_secret_never_enter_the_azure_components_memory() {
    let azurite = azurite().await;
    let (authority, arm) = principal_world(&azurite).await;
    let (runtime, plugin, audit) = airlock_tests::audited_builtin("azure").await;
    let key = instance(&plugin, "storage-account-key", &key_attrs(&azurite, ACCOUNT_KEY));
    runtime.verify(&plugin, key.clone(), None, None).await.unwrap();
    let sas = issue(&runtime, &plugin, key, "blob-container", Some(CONTAINER), None).await.unwrap();
    let sp = instance(&plugin, "service-principal", &principal_attrs(&authority, &arm, entra::CLIENT_SECRET));
    runtime.verify(&plugin, sp.clone(), None, None).await.unwrap();
    let sp_sas = issue(&runtime, &plugin, sp, "blob-container", Some(CONTAINER), None).await.unwrap();

    let memories = audit.take();
    let contains = |needle: &str| airlock_tests::in_memories(&memories, needle);
    // The control: the SAS tokens the component returned are in its memory.
    assert!(contains(attr(&sas, "sas_token")) && contains(attr(&sp_sas, "sas_token")), "the scan sees guest data");
    assert!(!contains(ACCOUNT_KEY), "the account key reached the azure component's memory");
    assert!(!contains(entra::CLIENT_SECRET), "the client secret reached the azure component's memory");
}

/// Through the real server and CLI: register a storage-account-key connector, then `login`
/// writes the container's SAS URL (0600) that Azure's SDK uses; the key is in no file or log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_writes_a_sas_url_the_azure_sdk_uses() {
    use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, out};
    use std::os::unix::fs::PermissionsExt;
    let azurite = azurite().await;
    let server = Server::start(StoreKind::Sqlite);
    let key_file = server.data_dir.join("account-key");
    std::fs::write(&key_file, ACCOUNT_KEY).unwrap();
    let register = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "register",
            "blobs",
            "-t",
            "azure",
            "-a",
            "storage-account-key",
            &format!("--storage_account={ACCOUNT}"),
            &format!("--blob_endpoint_url={}", azurite.url),
            &format!("--account_key=@{}", key_file.display()),
        ],
    );
    assert!(register.status.success(), "{}", out(&register).1);
    assert!(out(&register).0.contains(&format!("az://{CONTAINER}")), "{}", out(&register).0);
    let login = server.cli(
        ADMIN_TOKEN,
        &["connector", "login", "--static", "blobs", "-r", "blob-container", "--resource-id", CONTAINER],
    );
    assert!(login.status.success(), "{}", out(&login).1);
    let file = server.data_dir.join(".config/airlock/azure/blobs.sas");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let sas_url = std::fs::read_to_string(&file).unwrap();
    assert!(!sas_url.contains(ACCOUNT_KEY));
    let (container_url, sas) = sas_url.split_once('?').unwrap();
    assert_eq!(azurite.list_with_sas(container_url, sas).unwrap(), vec![BLOB.to_string()]);
    assert!(!server.log_text().contains(ACCOUNT_KEY), "the account key reached the server log");

    // A service principal: `login` writes an AKS kubeconfig kubectl reads and an ACR auth entry
    // skopeo reads.
    let (authority, arm) = principal_world(&azurite).await;
    let secret_file = server.data_dir.join("client-secret");
    std::fs::write(&secret_file, entra::CLIENT_SECRET).unwrap();
    let mut args: Vec<String> =
        ["connector", "register", "az-sp", "-t", "azure", "-a", "service-principal"].map(String::from).to_vec();
    for (name, value) in principal_attrs(&authority, &arm, "unused") {
        let value = if name == "client_secret" { format!("@{}", secret_file.display()) } else { value.to_string() };
        args.push(format!("--{name}={value}"));
    }
    let register = server.cli(ADMIN_TOKEN, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(register.status.success(), "{}", out(&register).1);
    let kubeconfig = server.data_dir.join("aks.config");
    let login = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "login",
            "--static",
            "az-sp",
            "-r",
            "kubernetes-cluster",
            "--resource-id",
            arm::CLUSTER,
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
        ],
    );
    assert!(login.status.success(), "{}", out(&login).1);
    let parsed = airlock_tests::kubectl_view(&kubeconfig);
    assert_eq!(parsed["current-context"], arm::CLUSTER);
    assert_eq!(parsed["users"][0]["user"]["token"], arm::USER_TOKEN);
    let docker_dir = server.data_dir.join("docker");
    let registry = format!("{}.azurecr.io", arm::REGISTRY);
    let login = server.cli(
        ADMIN_TOKEN,
        &[
            "connector",
            "login",
            "--static",
            "az-sp",
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
        .arg(&registry)
        .output()
        .unwrap();
    assert!(skopeo.status.success(), "skopeo: {}", String::from_utf8_lossy(&skopeo.stderr));
    assert_eq!(String::from_utf8_lossy(&skopeo.stdout).trim(), "00000000-0000-0000-0000-000000000000");
    assert!(!server.log_text().contains(entra::CLIENT_SECRET), "the client secret reached the server log");
}

#[tokio::test]
async fn auto_configure_reads_the_azure_cli_files_and_environment() {
    use airlock::autoconfigure::local_input;
    let (runtime, plugin) = azure_plugin().await;
    let home = tempfile::tempdir().unwrap();
    let azure_dir = home.path().join(".azure");
    std::fs::create_dir_all(&azure_dir).unwrap();
    let auto = |env: Vec<(&'static str, &'static str)>, method: Option<&str>| {
        let input = local_input(&plugin.spec, method.map(str::to_string), None, None, home.path(), &|k| {
            env.iter().find(|(name, _)| *name == k).map(|(_, v)| v.to_string())
        });
        let (runtime, plugin) = (&runtime, &plugin);
        async move { runtime.auto_configure(plugin, &input).await }
    };
    let value = |config: &airlock::runtime::bindings::AutoConfiguration, name: &str| {
        config.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    };

    let err = auto(vec![], None).await.unwrap_err();
    assert!(err.to_string().contains("msal_token_cache.json") && err.to_string().contains("az login"), "{err}");

    // The Azure SDKs' variables: a service principal.
    let sp_env = vec![
        ("AZURE_CLIENT_ID", entra::CLIENT_ID),
        ("AZURE_CLIENT_SECRET", entra::CLIENT_SECRET),
        ("AZURE_TENANT_ID", entra::TENANT),
    ];
    let config = auto(sp_env.clone(), None).await.unwrap();
    assert_eq!(config.auth_method, "service-principal");
    assert_eq!(value(&config, "client_secret").as_deref(), Some(entra::CLIENT_SECRET));
    assert_eq!(value(&config, "tenant_id").as_deref(), Some(entra::TENANT));
    let err = auto(sp_env, Some("storage-account-key")).await.unwrap_err();
    assert!(err.to_string().contains("cannot be auto-configured"), "{err}");

    // `az login`: the default subscription (the CLI writes a byte-order mark) and the newest
    // unexpired management token from the token cache.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let profile = serde_json::json!({"subscriptions": [
        {"id": "11111111-1111-1111-1111-111111111111", "tenantId": entra::TENANT, "isDefault": false, "name": "Other"},
        {"id": arm::SUBSCRIPTION, "tenantId": entra::TENANT, "isDefault": true, "name": "Airlock Dev"},
    ]});
    std::fs::write(azure_dir.join("azureProfile.json"), format!("\u{feff}{profile}")).unwrap();
    let entry = |secret: &str, expires: u64| serde_json::json!({"credential_type": "AccessToken", "secret": secret, "realm": entra::TENANT, "target": "https://management.core.windows.net//.default https://management.core.windows.net//user_impersonation", "expires_on": expires.to_string()});
    let cache = serde_json::json!({"AccessToken": {
        "a": entry("expired-token", now - 10),
        "b": entry("fresh-token", now + 3000),
        "c": {"secret": "graph-token", "realm": entra::TENANT, "target": "https://graph.microsoft.com/.default", "expires_on": (now + 3500).to_string()},
    }});
    std::fs::write(azure_dir.join("msal_token_cache.json"), cache.to_string()).unwrap();
    let config = auto(vec![], None).await.unwrap();
    assert_eq!(config.auth_method, "access-token");
    assert_eq!(value(&config, "token").as_deref(), Some("fresh-token"));
    assert_eq!(value(&config, "subscription_id").as_deref(), Some(arm::SUBSCRIPTION));
    assert_eq!(config.expires_at, Some(now + 3000));

    // A service principal the CLI logged in as wins over the cached user token.
    let entries = serde_json::json!([{"client_id": entra::CLIENT_ID, "tenant": entra::TENANT, "client_secret": entra::CLIENT_SECRET}]);
    std::fs::write(azure_dir.join("service_principal_entries.json"), entries.to_string()).unwrap();
    let config = auto(vec![], None).await.unwrap();
    assert_eq!(config.auth_method, "service-principal");
    assert_eq!(value(&config, "client_id").as_deref(), Some(entra::CLIENT_ID));
}

/// A configured token's expiry bounds what is issued from it: the connector's `expires_at`
/// becomes the client's, since the token itself reports none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_never_outlives_the_connectors_own_token() {
    use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind};
    let azurite = azurite().await;
    let (_, arm) = principal_world(&azurite).await;
    let server = Server::start(StoreKind::Sqlite);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let body = serde_json::json!({
        "name": "az-token", "connector_type": "azure", "auth_method": "access-token", "resource_type": "azure-generic",
        "expires_at": now + 1800,
        "configuration": {"token": entra::ACCESS_TOKEN, "management_endpoint_url": arm.url},
    });
    let (status, registered) = server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(body)).await;
    assert_eq!(status, 201, "{registered}");
    let (status, issued) =
        server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors/az-token/client", Some(serde_json::json!({}))).await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["credential"]["expires_at"], now + 1800, "{issued}");
}
