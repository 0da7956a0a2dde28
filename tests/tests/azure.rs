//! The Azure connector against Azurite (the real Blob service, used through Azure's Python SDK)
//! and a faithful fake of Entra ID's token endpoint (`airlock_tests::entra`).

use airlock::credentials::{IssuedCredential, ReleasePolicy};
use airlock::instance::Instance;
use airlock::runtime::bindings::ClientRequest;
use airlock::runtime::{CallError, Plugin, Runtime};
use airlock_tests::azurite::{ACCOUNT, ACCOUNT_KEY, Azurite, BLOB, CONTAINER, OTHER_CONTAINER};
use airlock_tests::entra;
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

fn attr<'a>(credential: &'a IssuedCredential, name: &str) -> &'a str {
    &credential.attributes.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no {name}")).1.value
}

async fn issue(
    runtime: &Runtime,
    plugin: &Plugin,
    inst: Arc<Instance>,
    rt: &str,
    id: Option<&str>,
    expiration: Option<u64>,
) -> Result<IssuedCredential, CallError> {
    let request =
        ClientRequest { resource_type: rt.into(), resource_id: id.map(str::to_string), expiration_seconds: expiration };
    runtime.issue_client(plugin, inst, &request, ReleasePolicy::AsDeclared).await
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

#[tokio::test]
async fn a_service_principal_gets_entra_tokens_and_a_wrong_secret_fails_with_entras_reason() {
    let authority = entra::start().await;
    let (runtime, plugin) = azure_plugin().await;
    let attrs = |secret: &'static str| {
        vec![
            ("client_id", entra::CLIENT_ID),
            ("tenant_id", entra::TENANT),
            ("client_secret", secret),
            ("authority_url", authority.as_str()),
            ("subscription_id", "5a4c2b1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0"),
        ]
    };
    let good = instance(&plugin, "service-principal", &attrs(entra::CLIENT_SECRET));
    let listed = runtime.verify(&plugin, good.clone(), None, None).await.unwrap();
    assert_eq!(listed[0].resource_ids, vec!["5a4c2b1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0".to_string()]);
    let issued = issue(&runtime, &plugin, good.clone(), "azure-generic", None, None).await.unwrap();
    assert_eq!((issued.auth_method.as_str(), attr(&issued, "token")), ("access-token", entra::ACCESS_TOKEN));
    assert!(!issued.attributes.iter().any(|(_, v)| v.value.contains(entra::CLIENT_SECRET)));
    let err = issue(&runtime, &plugin, good, "blob-container", Some(CONTAINER), None).await.unwrap_err();
    assert!(err.to_string().contains("storage-account-key"), "{err}");

    let err = runtime
        .verify(&plugin, instance(&plugin, "service-principal", &attrs("not-the-secret")), None, None)
        .await
        .unwrap_err();
    assert_eq!(code(&err), "unauthorized", "{err:?}");
    assert!(err.to_string().contains("AADSTS7000215"), "{err}");

    let mut bad_uuid = attrs(entra::CLIENT_SECRET);
    bad_uuid[0].1 = "not-a-uuid";
    let err = runtime.verify(&plugin, instance(&plugin, "service-principal", &bad_uuid), None, None).await.unwrap_err();
    assert!(err.to_string().contains("must be a UUID"), "{err}");

    // access-token: released as it is, only where policy allows; implicit is disabled.
    let token = instance(&plugin, "access-token", &[("token", "eyJ.user-token.sig")]);
    let issued = issue(&runtime, &plugin, token, "azure-generic", None, None).await.unwrap();
    assert_eq!(attr(&issued, "token"), "eyJ.user-token.sig");
    let err = runtime.verify(&plugin, instance(&plugin, "implicit", &[]), None, None).await.unwrap_err();
    assert_eq!(code(&err), "unsupported", "{err:?}");
}

/// The account key and the client secret never enter the azure component's memory.
#[tokio::test]
async fn the_account_key_and_client_secret_never_enter_the_azure_components_memory() {
    use airlock::egress::AddressPolicy;
    use airlock::runtime::{MemoryAudit, RuntimeOptions};
    let (azurite, authority) = (azurite().await, entra::start().await);
    let audit = MemoryAudit::default();
    let runtime = Runtime::new(RuntimeOptions {
        address_policy: AddressPolicy::allowing(AddressPolicy::parse_cidrs("127.0.0.0/8").unwrap()),
        memory_audit: Some(audit.clone()),
        ..Default::default()
    })
    .unwrap();
    let wasm = airlock::builtin::BUILTIN.iter().find(|(n, _)| *n == "azure").unwrap().1;
    let plugin = runtime.load(wasm).await.unwrap();
    let key = instance(&plugin, "storage-account-key", &key_attrs(&azurite, ACCOUNT_KEY));
    runtime.verify(&plugin, key.clone(), None, None).await.unwrap();
    let sas = issue(&runtime, &plugin, key, "blob-container", Some(CONTAINER), None).await.unwrap();
    let sp = instance(
        &plugin,
        "service-principal",
        &[
            ("client_id", entra::CLIENT_ID),
            ("tenant_id", entra::TENANT),
            ("client_secret", entra::CLIENT_SECRET),
            ("authority_url", authority.as_str()),
        ],
    );
    issue(&runtime, &plugin, sp, "azure-generic", None, None).await.unwrap();

    let memories = audit.take();
    let contains = |needle: &str| memories.iter().any(|m| m.windows(needle.len()).any(|w| w == needle.as_bytes()));
    assert!(contains(attr(&sas, "sas_token")) && contains(entra::ACCESS_TOKEN), "the scan sees guest data");
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
    let login =
        server.cli(ADMIN_TOKEN, &["connector", "login", "blobs", "-r", "blob-container", "--resource-id", CONTAINER]);
    assert!(login.status.success(), "{}", out(&login).1);
    let file = server.data_dir.join(".config/airlock/azure/blobs.sas");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let sas_url = std::fs::read_to_string(&file).unwrap();
    assert!(!sas_url.contains(ACCOUNT_KEY));
    let (container_url, sas) = sas_url.split_once('?').unwrap();
    assert_eq!(azurite.list_with_sas(container_url, sas).unwrap(), vec![BLOB.to_string()]);
    assert!(!server.log_text().contains(ACCOUNT_KEY), "the account key reached the server log");
}
