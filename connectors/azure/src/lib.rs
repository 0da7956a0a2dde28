//! The `azure` connector: Entra ID tokens, Blob containers, AKS and ACR, with ZenML's auth
//! methods plus `storage-account-key`.
//!
//! Secrets stay on the host: a service principal's client secret goes to Entra ID's token
//! endpoint through a body placeholder, and a storage account key only signs (HMAC-SHA256) the
//! Shared Access Signatures this component builds. A container's client receives a SAS scoped
//! to that one container, never the key or the principal's secret.

mod account;
mod arm;
mod autoconf;
mod clients;
mod ids;
mod sas;
mod token;

use airlock_sdk::prelude::*;
use arm::Arm;
use ids::{ACR, AKS, BLOB, GENERIC};
use token::Token;

/// The SAS lifetime bounds of `storage-account-key` (seconds): (min, default, max).
const SAS_BOUNDS: (u64, u64, u64) = (1, 3600, 7 * 24 * 3600);
/// Entra ID's token endpoint.
const AUTHORITY: &str = "https://login.microsoftonline.com";
/// The scope of principal tokens (Azure Resource Manager), as ZenML asks for.
const MANAGEMENT_SCOPE: &str = "https://management.azure.com/.default";

struct AzureConnector;

impl Connector for AzureConnector {
    fn describe() -> ConnectorSpec {
        let principal = ["service-principal", "access-token"];
        let base = |m: spec::AuthMethodBuilder| {
            m.attribute(
                spec::text(
                    "subscription_id",
                    "The Azure subscription ID (UUID) [default: the only one the credentials reach]",
                )
                .optional(),
            )
            .attribute(
                spec::text("resource_group", "Restrict discovery (storage accounts, AKS, ACR) to this resource group")
                    .optional(),
            )
            .attribute(spec::text("storage_account", "Restrict blob discovery to this storage account").optional())
            .attribute(
                spec::of_kind(
                    "aks_admin_credentials",
                    "Issue AKS clients from the cluster admin credentials instead of the user ones",
                    airlock_sdk::AttributeKind::Boolean,
                )
                .default_value("false"),
            )
            .attribute(
                spec::url("management_endpoint_url", "Azure Resource Manager URL (sovereign clouds, emulators)")
                    .optional()
                    .egress(),
            )
            .attribute(
                spec::url(
                    "blob_endpoint_url",
                    "Blob service URL that replaces the storage account's own (private endpoints, Azurite)",
                )
                .optional()
                .egress(),
            )
            .attribute(
                spec::url(
                    "registry_endpoint_url",
                    "Registry URL that replaces https://<name>.azurecr.io for the token exchange (emulators)",
                )
                .optional()
                .egress(),
            )
        };
        spec::connector("azure", "Azure Service Connector", DESCRIPTION)
            .emoji("🇦")
            .docs_url("https://learn.microsoft.com/azure/storage/common/storage-sas-overview")
            .egress(AUTHORITY)
            .egress(arm::MANAGEMENT)
            .egress("https://*.blob.core.windows.net")
            .egress("https://*.azurecr.io")
            .auto_configure(
                &[autoconf::PROFILE, autoconf::SERVICE_PRINCIPALS, autoconf::TOKEN_CACHE],
                &["AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"],
            )
            .resource_type(
                spec::resource_type(GENERIC, "Generic Azure resource")
                    .emoji("🇦")
                    .id_formats(&["{subscription_id}"])
                    .description(GENERIC_DOCS)
                    .auth_methods(&principal),
            )
            .resource_type(
                spec::resource_type(BLOB, "Azure Blob Storage container")
                    .emoji("📦")
                    .multi_instance()
                    .id_formats(&["az://{container}", "abfs://{container}", "{container}"])
                    .description(BLOB_DOCS)
                    .auth_methods(&["storage-account-key", "service-principal", "access-token"]),
            )
            .resource_type(
                spec::resource_type(AKS, "Azure AKS Kubernetes cluster")
                    .emoji("🌀")
                    .multi_instance()
                    .id_formats(&["[{resource_group}/]{cluster_name}"])
                    .description(AKS_DOCS)
                    .auth_methods(&principal),
            )
            .resource_type(
                spec::resource_type(ACR, "Azure container registry")
                    .emoji("🐳")
                    .multi_instance()
                    .id_formats(&["[https://]{registry_name}.azurecr.io", "{registry_name}"])
                    .description(ACR_DOCS)
                    .auth_methods(&["service-principal"]),
            )
            .auth_method(
                base(spec::auth_method("implicit", "Azure implicit authentication"))
                    .attribute(spec::text("tenant_id", "The Entra ID tenant ID (UUID)").optional())
                    .description(IMPLICIT_DOCS),
            )
            .auth_method(
                base(spec::auth_method("service-principal", "Azure service principal"))
                    .attribute(spec::text("client_id", "The service principal's client (application) ID (UUID)"))
                    .attribute(spec::text("tenant_id", "The Entra ID tenant ID (UUID)"))
                    .attribute(spec::secret("client_secret", "The service principal's client secret").secret_hosts(&[AUTHORITY]))
                    .attribute(spec::url("authority_url", "Entra ID authority (sovereign clouds, emulators)").optional().egress())
                    .description(SERVICE_PRINCIPAL_DOCS),
            )
            .auth_method(
                base(spec::auth_method("access-token", "Azure access token"))
                    .attribute(spec::text("tenant_id", "The Entra ID tenant ID (UUID)").optional())
                    .attribute(spec::secret("token", "An Entra ID access token for Azure Resource Manager (e.g. az account get-access-token)").secret_hosts(&[arm::MANAGEMENT]))
                    .description(ACCESS_TOKEN_DOCS)
                    .releases(&["token"]),
            )
            .auth_method(
                spec::auth_method("storage-account-key", "Azure storage account key")
                    .attribute(spec::text("storage_account", "The storage account name"))
                    .attribute(spec::secret("account_key", "The account's access key (base64); it only signs SAS tokens, on the host"))
                    .attribute(spec::url("blob_endpoint_url", "The Blob service URL [default: https://<account>.blob.core.windows.net] (Azurite, private endpoints)").optional().egress())
                    .description(ACCOUNT_KEY_DOCS)
                    .expiration(SAS_BOUNDS.0, SAS_BOUNDS.1, SAS_BOUNDS.2),
            )
            .build()
    }

    fn canonical_resource_id(resource_type: String, resource_id: String) -> Result<String> {
        ids::canonical(&resource_type, &resource_id)
    }

    fn verify(resource_type: Option<String>, resource_id: Option<String>) -> Result<Vec<ResourceListing>> {
        let method = authenticated()?;
        let id = match (resource_type.as_deref(), resource_id) {
            (Some(rt), Some(id)) => Some(ids::canonical(rt, &id)?),
            _ => None,
        };
        // With only containers to reach, listing them is the authentication check itself.
        let resource_type = match &method {
            Method::AccountKey(_) => Some(resource_type.unwrap_or(BLOB.into())),
            Method::Arm(_) => resource_type,
        };
        match resource_type {
            Some(rt) => {
                let rt = supported(&method, &rt)?;
                Ok(vec![listing(rt, resources(&method, rt, id.as_deref())?)])
            }
            None => Ok(method
                .resource_types()
                .iter()
                .map(|rt| match resources(&method, rt, None) {
                    Ok(ids) => listing(rt, ids),
                    Err(e) => ResourceListing {
                        resource_type: rt.to_string(),
                        resource_ids: Vec::new(),
                        error: Some(e.message().to_string()),
                    },
                })
                .collect()),
        }
    }

    fn issue_client(request: ClientRequest) -> Result<ClientCredential> {
        let method = authenticated()?;
        let rt = supported(&method, &request.resource_type)?;
        let id = request.resource_id.as_deref().map(|id| ids::canonical(rt, id)).transpose()?;
        let arm = match method {
            Method::AccountKey(account) => {
                let id =
                    id.ok_or_else(|| ConnectorError::InvalidConfig("name the blob container (a resource id)".into()))?;
                return account.container_client(&id, request.expiration_seconds);
            }
            Method::Arm(arm) => arm,
        };
        if request.expiration_seconds.is_some() {
            return Err(ConnectorError::InvalidConfig(format!(
                "`{}` issues credentials whose lifetime Azure sets, so an expiration cannot be set",
                config::auth_method()
            )));
        }
        let named = |what: &str| ConnectorError::InvalidConfig(format!("name the {what} (a resource id)"));
        match rt {
            GENERIC => match id {
                Some(id) if !id.eq_ignore_ascii_case(&arm.subscription) => Err(ConnectorError::NotFound(format!(
                    "this connector reaches the subscription `{}`, not `{id}`",
                    arm.subscription
                ))),
                _ => Ok(arm.token.client(Some(arm.subscription.clone()))),
            },
            BLOB => blob_client(&arm, &id.ok_or_else(|| named("blob container"))?),
            AKS => clients::kubernetes(&arm, &arm.cluster(&id.ok_or_else(|| named("AKS cluster"))?)?),
            _ => {
                let registry = id.ok_or_else(|| named("container registry"))?;
                if !arm.registries()?.contains(&registry) {
                    return Err(ConnectorError::NotFound(format!(
                        "no container registry `{registry}` in subscription `{}`",
                        arm.subscription
                    )));
                }
                clients::docker(&arm, &registry)
            }
        }
    }

    fn auto_configure(input: airlock_sdk::AutoConfigureInput) -> Result<airlock_sdk::AutoConfiguration> {
        autoconf::from_local(input)
    }
}

const DESCRIPTION: &str = "Gives access to Azure: generic Azure sessions (Entra ID access tokens), Blob \
Storage containers (SAS tokens scoped to one container), AKS clusters (as Kubernetes clients) and ACR \
registries (as Docker clients). Client secrets and account keys stay on the Airlock host: they never \
reach connector code or clients.";

// What `airlock connector describe-type azure -r <resource type>` / `-a <auth method>` prints.

const GENERIC_DOCS: &str = "The Azure subscription itself: any Azure service, through the Azure CLI or an SDK.\n\
Clients receive an Entra ID access token for Azure Resource Manager (`https://management.azure.com/.default`), as \
an `azure` credential (`access-token` method) with `tenant_id` and `subscription_id` when configured. \
`service-principal` mints it (Entra ID sets its expiry, about an hour); `access-token` hands out the configured \
token itself, only where admin policy releases it. No expiration can be requested.\n\
The token's audience is Resource Manager only: data planes such as Blob Storage or Key Vault want tokens of their \
own (use `blob-container` for storage).\n\
Permissions: the principal's Azure role assignments; resolving the subscription needs read access to it (e.g. \
Reader).\n\
The id is the subscription the connector resolves: the configured `subscription_id`, or the only subscription the \
credentials reach (when they reach several, set `subscription_id`). One connector is one instance.";

const BLOB_DOCS: &str = "A Blob Storage container, in a storage account of the subscription or in the \
`storage-account-key` method's own account.\n\
Clients receive a SAS token scoped to that one container (read, add, create, write, delete, list: `racwdl`) as an \
`azure` credential (`sas-token` method) with `storage_account`, `account_url`, `container_url`, `sas_token` and a \
ready-made `sas_url` (for `azcopy` or `ContainerClient.from_container_url`). It is signed by the host with the \
account key (`storage-account-key`: 1 second to 7 days, 1 hour by default), or by ARM (ListServiceSas) for \
principals (1 hour); never the key or the principal's secret.\n\
A SAS cannot be revoked before it expires except by rotating the account key, and the account must allow Shared \
Key authorization, since every SAS is signed with its key.\n\
Permissions: principals need Microsoft.Storage/storageAccounts/read, listAccountSas/action and \
listServiceSas/action (e.g. Storage Account Contributor). `resource_group` and `storage_account` narrow the \
accounts searched; containers are listed with a five-minute listing SAS.\n\
Ids: `az://<container>`, `abfs://<container>[@<account>...]` (the account part is not used) or `<container>`, \
stored as `az://<container>`; a container name is 3-63 lower-case letters, digits and single hyphens, starting and \
ending with a letter or digit. A path inside the container is refused: a credential covers the whole container. \
When several accounts have a container of that name the first one found is used: set `storage_account` to choose.\n\
Multiple instances: one connector may serve many containers; each client names one.";

const AKS_DOCS: &str = "An AKS cluster of the subscription (of the configured `resource_group`, if any).\n\
Clients receive a Kubernetes credential from the cluster *user* credentials (admin only when aks_admin_credentials \
is set): a `kubernetes` credential (`token` method) with the cluster name, server, CA and the token or client \
certificate and key of the kubeconfig `listClusterUserCredential` (or `listClusterAdminCredential`) returns. These \
are the cluster's own long-lived credentials: Airlock records no expiry for them.\n\
Clusters whose user kubeconfig signs in through Entra ID (kubelogin) are refused: it holds no token or certificate.\n\
Permissions: Microsoft.ContainerService/managedClusters/read and listClusterUserCredential/action (e.g. Azure \
Kubernetes Service Cluster User Role), or listClusterAdminCredential/action for admin credentials; inside the \
cluster, Kubernetes RBAC decides.\n\
Ids: `[<resource-group>/]<cluster>`; a cluster name is 1-63 letters, digits, `-` and `_`, starting and ending with a \
letter or digit, and a resource group given must be the configured one (compared case-insensitively). A name used \
in several resource groups must be given with its group. Listed as `<resource-group>/<cluster>`.\n\
Multiple instances: one connector may serve many clusters. Reached by `service-principal` and `access-token`.";

const ACR_DOCS: &str = "An Azure Container Registry of the subscription (of the configured `resource_group`, if \
any).\n\
Clients receive Docker credentials from the Entra ID → ACR token exchange (user \
00000000-0000-0000-0000-000000000000), never the admin credentials: a `docker` credential (`password` method) whose \
password is the ACR refresh token the registry's `/oauth2/exchange` returns for the principal's Entra ID token, as \
`az acr login` does. It is recorded to expire after 3 hours.\n\
Permissions: Microsoft.ContainerRegistry/registries/read to find the registry, and AcrPull/AcrPush on it (AcrPull \
to pull, AcrPush to push).\n\
Ids: `[https://]<name>.azurecr.io` (a path after the host is dropped) or `<name>`, a registry name being 5-50 \
letters and digits; stored in lower case as `<name>.azurecr.io`.\n\
Only `service-principal` reaches registries: a configured access token would have to travel to a wildcard host \
(`*.azurecr.io`). Multiple instances: one connector may serve many registries.";

const IMPLICIT_DOCS: &str = "The server's own Azure identity (environment, managed identity, az login): ZenML's \
`implicit` method authenticates with DefaultAzureCredential on the server (`AZURE_*` variables, workload identity, \
a managed identity or the Azure CLI's login).\n\
DISABLED on this server: Airlock never lends the server's own cloud identity to connector code, since every user \
who may register a connector would then act as the server. ZenML gates the method behind \
`ZENML_ENABLE_IMPLICIT_AUTH_METHODS`; Airlock has no setting to enable it and no resource type accepts it, so \
verifying or using such a connector always fails, and auto-configuration refuses it.\n\
How an admin enables the same access instead: give a service principal (an Entra ID app registration with a \
client secret) the server identity's role assignments; on a machine where its `AZURE_CLIENT_ID`, \
`AZURE_CLIENT_SECRET` and `AZURE_TENANT_ID` are set, `airlock connector register server-azure -t azure -a \
service-principal --auto-configure` registers it, the secret stored encrypted and used only by the host; \
`airlock connector share server-azure --team <team>` then lets that team use it (clients get access tokens).";

const SERVICE_PRINCIPAL_DOCS: &str = "An Entra ID service principal: `client_id` and `tenant_id` (UUIDs, checked) \
and a `client_secret`, with the optional `subscription_id`, `resource_group` and `storage_account` that narrow \
discovery and endpoint overrides (`authority_url`, `management_endpoint_url`, ...) for sovereign clouds, private \
endpoints or emulators.\n\
A client secret exchanged at Entra ID (client-credentials grant) by the host; clients receive access tokens, \
container SAS tokens or registry tokens, never the secret. The host fills the secret into the token request for \
Entra ID's endpoint only, so connector code never sees it either.\n\
Client lifetimes are set by Azure (Resource Manager tokens about an hour, container SAS 1 hour, ACR tokens 3 hours, \
AKS credentials the cluster's own), so no expiration can be requested.\n\
Permissions: the role assignments each resource type lists, plus read access (e.g. Reader) on the subscription or \
resource group for discovery.\n\
Recommended, and the only method that reaches every resource type. Auto-configuration picks it when \
`AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET` and `AZURE_TENANT_ID` or the Azure CLI's service principal entries are \
found.";

const ACCESS_TOKEN_DOCS: &str = "A temporary access token the user obtained: an Entra ID token for Azure Resource \
Manager (e.g. `az account get-access-token`), with the optional `tenant_id` and discovery filters. The host adds \
it to Resource Manager requests only.\n\
Generic clients receive it as it is (only where admin policy allows: a server started with `--release-secrets \
never` refuses them); container clients receive SAS tokens (signed by ARM, 1 hour) and AKS clients the cluster's \
user credentials. Registries are out of reach: the token would have to travel to `*.azurecr.io` (use \
`service-principal`). Unlike ZenML's, this method reaches blob containers too.\n\
The token expires (usually after about an hour) and the connector with it: record the expiry with `--expires-at`. \
Auto-configuration takes the newest unexpired management token from the Azure CLI's token cache and records its \
expiry. Fine for a short experiment; for lasting use prefer `service-principal`.";

const ACCOUNT_KEY_DOCS: &str = "A storage account's shared key: the account name (`storage_account`, 3-24 \
lower-case letters and digits), its access key (base64) and an optional `blob_endpoint_url` (default \
`https://<account>.blob.core.windows.net`; Azurite, private endpoints). It reaches `blob-container` only; an \
Airlock addition, not in ZenML.\n\
The host signs container-scoped SAS tokens with it; the key never reaches connector code or clients. It signs \
(HMAC-SHA256, on the host) a five-minute account SAS to list containers and, for each client, a service SAS for one \
container (`racwdl`) valid 1 second to 7 days, 1 hour by default, usable over HTTPS only unless the endpoint itself \
is plain HTTP (an emulator).\n\
The key has full control of the account, and a SAS signed with it can only be revoked by rotating the key: keep \
lifetimes short. The account must allow Shared Key authorization.";

/// What the instance authenticates with.
enum Method {
    AccountKey(account::Account),
    Arm(Arm),
}

impl Method {
    fn resource_types(&self) -> &'static [&'static str] {
        match self {
            Method::AccountKey(_) => &[BLOB],
            Method::Arm(arm) if arm.token.minted().is_some() => &[GENERIC, BLOB, AKS, ACR],
            Method::Arm(_) => &[GENERIC, BLOB, AKS],
        }
    }
}

/// The method's resource type `rt`, if it reaches it.
fn supported(method: &Method, rt: &str) -> Result<&'static str> {
    if let Some(found) = method.resource_types().iter().find(|t| **t == rt) {
        return Ok(found);
    }
    match rt {
        GENERIC | BLOB | AKS | ACR => Err(ConnectorError::Unsupported(format!(
            "`{}` does not reach `{rt}` (it reaches {})",
            config::auth_method(),
            method.resource_types().join(", ")
        ))),
        other => Err(ConnectorError::InvalidConfig(format!("the azure connector has no resource type `{other}`"))),
    }
}

/// Authenticate with the instance's method (the global check: a token, then the subscription).
fn authenticated() -> Result<Method> {
    match config::auth_method().as_str() {
        "implicit" => Err(ConnectorError::Unsupported(
            "implicit authentication would use the server's own Azure identity; it is disabled on this server".into(),
        )),
        "storage-account-key" => account::Account::from_config().map(Method::AccountKey),
        "service-principal" => Arm::connect(Token::client_credentials()?).map(Method::Arm),
        "access-token" => Arm::connect(Token::configured()).map(Method::Arm),
        other => Err(ConnectorError::InvalidConfig(format!("the azure connector has no auth method `{other}`"))),
    }
}

/// The ids of one resource type the method reaches (checking `id` when given).
fn resources(method: &Method, rt: &str, id: Option<&str>) -> Result<Vec<String>> {
    let arm = match method {
        Method::AccountKey(account) => {
            return check(account.containers()?, id, || account::no_container(&account.name, id.unwrap_or_default()));
        }
        Method::Arm(arm) => arm,
    };
    match rt {
        GENERIC => check(vec![arm.subscription.to_ascii_lowercase()], id, || {
            ConnectorError::NotFound(format!(
                "this connector reaches the subscription `{}`, not `{}`",
                arm.subscription,
                id.unwrap_or_default()
            ))
        }),
        BLOB => {
            let containers = principal_containers(arm)?.into_iter().map(|(_, c)| c).collect();
            check(containers, id, || {
                ConnectorError::NotFound(format!(
                    "no storage account reachable here has the container `{}`",
                    id.unwrap_or_default()
                ))
            })
        }
        AKS => match id {
            Some(id) => arm.cluster(id).map(|c| vec![c]),
            None => arm.clusters(),
        },
        _ => check(arm.registries()?, id, || {
            ConnectorError::NotFound(format!(
                "no container registry `{}` in subscription `{}`",
                id.unwrap_or_default(),
                arm.subscription
            ))
        }),
    }
}

/// `ids` itself, or just `id` when given (an error when it is not among them).
fn check(ids: Vec<String>, id: Option<&str>, missing: impl Fn() -> ConnectorError) -> Result<Vec<String>> {
    match id {
        None => Ok(ids),
        Some(id) if ids.iter().any(|i| i == id) => Ok(vec![id.to_string()]),
        Some(_) => Err(missing()),
    }
}

/// Every `(account, az://container)` a principal reaches, listed with account SAS tokens ARM signs.
fn principal_containers(arm: &Arm) -> Result<Vec<(arm::StorageAccount, String)>> {
    let mut found = Vec::new();
    for account in arm.storage_accounts()? {
        let expiry = sas::rfc3339(time::now() + 300);
        for container in account::list_containers(&account.blob_endpoint, &|| arm.sas(&account, None, "rl", &expiry))? {
            found.push((account.clone(), container));
        }
    }
    Ok(found)
}

/// A container client for a principal: the account holding the container, and a service SAS
/// for it that ARM signs (`ListServiceSas`), valid for an hour.
fn blob_client(arm: &Arm, id: &str) -> Result<ClientCredential> {
    let container = ids::container(id)?;
    let (account, _) = principal_containers(arm)?.into_iter().find(|(_, c)| c == id).ok_or_else(|| {
        ConnectorError::NotFound(format!("no storage account reachable here has the container `{container}`"))
    })?;
    let expires_at = time::now() + SAS_BOUNDS.1;
    let token = arm.sas(&account, Some(&container), account::PERMISSIONS, &sas::rfc3339(expires_at))?;
    Ok(account::container_client(&account.name, &account.blob_endpoint, id, token, expires_at))
}

airlock_sdk::export_connector!(AzureConnector);
