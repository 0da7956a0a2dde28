//! The `azure` connector: Entra ID tokens and Blob containers, with ZenML's auth methods plus
//! `storage-account-key`.
//!
//! Secrets stay on the host: a service principal's client secret goes to Entra ID's token
//! endpoint through a body placeholder, and a storage account key only signs (HMAC-SHA256) the
//! Shared Access Signatures this component builds. A container's client receives a SAS scoped
//! to that one container, never the key or the principal's secret.

mod ids;
mod sas;

use airlock_sdk::prelude::*;
use ids::{BLOB, GENERIC};

/// The SAS lifetime bounds of `storage-account-key` (seconds): (min, default, max).
const SAS_BOUNDS: (u64, u64, u64) = (1, 3600, 7 * 24 * 3600);
/// Entra ID's token endpoint.
const AUTHORITY: &str = "https://login.microsoftonline.com";
/// The scope of generic tokens (Azure Resource Manager), as ZenML asks for.
const MANAGEMENT_SCOPE: &str = "https://management.azure.com/.default";

struct AzureConnector;

impl Connector for AzureConnector {
    fn describe() -> ConnectorSpec {
        let base = |m: spec::AuthMethodBuilder| {
            m.attribute(spec::text("subscription_id", "The Azure subscription ID (UUID)").optional())
                .attribute(spec::text("resource_group", "Restrict discovery to this resource group").optional())
                .attribute(spec::text("storage_account", "Restrict blob discovery to this storage account").optional())
        };
        spec::connector("azure", "Azure Service Connector", DESCRIPTION)
            .emoji("🇦")
            .docs_url("https://learn.microsoft.com/azure/storage/common/storage-sas-overview")
            .egress(AUTHORITY)
            .egress("https://*.blob.core.windows.net")
            .resource_type(
                spec::resource_type(GENERIC, "Generic Azure resource")
                    .emoji("🇦")
                    .id_formats(&["{subscription}"])
                    .description("Any Azure service, through the Azure CLI or an SDK. Clients receive an Entra ID access token for Azure Resource Manager.")
                    .auth_methods(&["implicit", "service-principal", "access-token"]),
            )
            .resource_type(
                spec::resource_type(BLOB, "Azure Blob Storage container")
                    .emoji("📦")
                    .multi_instance()
                    .id_formats(&["az://{container}", "abfs://{container}", "{container}"])
                    .description("A Blob Storage container. Clients receive a SAS token scoped to that one container (read, add, create, write, delete, list), with the requested lifetime.")
                    .auth_methods(&["storage-account-key"]),
            )
            .auth_method(
                base(spec::auth_method("implicit", "Azure implicit authentication"))
                    .attribute(spec::text("tenant_id", "The Entra ID tenant ID (UUID)").optional())
                    .description("The server's own Azure identity (environment, managed identity, az login). Disabled: Airlock does not hand its ambient credentials to connectors."),
            )
            .auth_method(
                base(spec::auth_method("service-principal", "Azure service principal"))
                    .attribute(spec::text("client_id", "The service principal's client (application) ID (UUID)"))
                    .attribute(spec::text("tenant_id", "The Entra ID tenant ID (UUID)"))
                    .attribute(spec::secret("client_secret", "The service principal's client secret").secret_hosts(&[AUTHORITY]))
                    .attribute(spec::url("authority_url", "Entra ID authority (sovereign clouds, emulators)").optional().egress())
                    .description("A client secret exchanged at Entra ID (client-credentials grant) by the host; clients receive access tokens, never the secret."),
            )
            .auth_method(
                base(spec::auth_method("access-token", "Azure access token"))
                    .attribute(spec::text("tenant_id", "The Entra ID tenant ID (UUID)").optional())
                    .attribute(spec::secret("token", "An Entra ID access token (e.g. az account get-access-token)"))
                    .description("A temporary access token the user obtained. Clients receive it as it is (only where admin policy allows).")
                    .releases(&["token"]),
            )
            .auth_method(
                spec::auth_method("storage-account-key", "Azure storage account key")
                    .attribute(spec::text("storage_account", "The storage account name"))
                    .attribute(spec::secret("account_key", "The account's access key (base64); it only signs SAS tokens, on the host"))
                    .attribute(spec::url("blob_endpoint_url", "The Blob service URL [default: https://<account>.blob.core.windows.net] (Azurite, private endpoints)").optional().egress())
                    .description("A storage account's shared key. The host signs container-scoped SAS tokens with it; the key never reaches connector code or clients.")
                    .expiration(SAS_BOUNDS.0, SAS_BOUNDS.1, SAS_BOUNDS.2),
            )
            .build()
    }

    fn canonical_resource_id(resource_type: String, resource_id: String) -> Result<String> {
        ids::canonical(&resource_type, &resource_id)
    }

    fn verify(resource_type: Option<String>, resource_id: Option<String>) -> Result<Vec<ResourceListing>> {
        let method = authenticated()?;
        let types: Vec<&str> = match (&method, resource_type.as_deref()) {
            (_, Some(rt)) => vec![supported(&method, rt)?],
            (Method::AccountKey(_), None) => vec![BLOB],
            (Method::Token(_), None) => vec![GENERIC],
        };
        let id = match (resource_type.as_deref(), resource_id) {
            (Some(rt), Some(id)) => Some(ids::canonical(rt, &id)?),
            _ => None,
        };
        types
            .into_iter()
            .map(|rt| match (&method, rt) {
                (Method::AccountKey(account), BLOB) => {
                    let containers = account.containers()?;
                    match &id {
                        Some(id) if !containers.contains(id) => Err(ConnectorError::NotFound(format!(
                            "the storage account `{}` has no container `{}`",
                            account.name,
                            id.trim_start_matches("az://")
                        ))),
                        Some(id) => Ok(listing(rt, vec![id.clone()])),
                        None => Ok(listing(rt, containers)),
                    }
                }
                (Method::Token(token), _) => Ok(listing(rt, vec![id.clone().unwrap_or(token.scope_label())])),
                _ => Err(ConnectorError::Unsupported(format!("`{}` does not reach `{rt}`", config::auth_method()))),
            })
            .collect()
    }

    fn issue_client(request: ClientRequest) -> Result<ClientCredential> {
        let method = authenticated()?;
        let rt = supported(&method, &request.resource_type)?;
        let id = request.resource_id.as_deref().map(|id| ids::canonical(rt, id)).transpose()?;
        match method {
            Method::AccountKey(account) => {
                let id =
                    id.ok_or_else(|| ConnectorError::InvalidConfig("name the blob container (a resource id)".into()))?;
                account.container_client(&id, request.expiration_seconds)
            }
            Method::Token(token) => {
                if request.expiration_seconds.is_some() {
                    return Err(ConnectorError::InvalidConfig(format!(
                        "`{}` issues tokens whose lifetime Entra ID sets, so an expiration cannot be set",
                        config::auth_method()
                    )));
                }
                Ok(token.client(id))
            }
        }
    }
}

const DESCRIPTION: &str = "Gives access to Azure: generic Azure sessions (Entra ID access tokens) and Blob \
Storage containers (SAS tokens scoped to one container, signed by the Airlock host with the account key). \
Client secrets and account keys never reach connector code or clients.";

/// What the instance authenticates with.
enum Method {
    AccountKey(account::Account),
    Token(token::Token),
}

/// The method's resource type `rt`, if it reaches it.
fn supported(method: &Method, rt: &str) -> Result<&'static str> {
    match (method, rt) {
        (Method::AccountKey(_), BLOB) => Ok(BLOB),
        (Method::Token(_), GENERIC) => Ok(GENERIC),
        (_, GENERIC | BLOB) => Err(ConnectorError::Unsupported(format!(
            "`{}` does not reach `{rt}`: blob containers need `storage-account-key` (container-scoped SAS); generic access needs `service-principal` or `access-token`",
            config::auth_method()
        ))),
        (_, other) => Err(ConnectorError::InvalidConfig(format!("the azure connector has no resource type `{other}`"))),
    }
}

/// Authenticate with the instance's method (the global check).
fn authenticated() -> Result<Method> {
    match config::auth_method().as_str() {
        "implicit" => Err(ConnectorError::Unsupported(
            "implicit authentication would use the server's own Azure identity; it is disabled on this server".into(),
        )),
        "storage-account-key" => account::Account::from_config().map(Method::AccountKey),
        "service-principal" => token::Token::client_credentials().map(Method::Token),
        "access-token" => Ok(Method::Token(token::Token::configured())),
        other => Err(ConnectorError::InvalidConfig(format!("the azure connector has no auth method `{other}`"))),
    }
}

mod account {
    //! A storage account reached with its key: containers listed with an account SAS, clients
    //! issued with container SAS tokens.

    use crate::{SAS_BOUNDS, ids, sas};
    use airlock_sdk::prelude::*;

    pub struct Account {
        pub name: String,
        endpoint: String,
        origin: String,
    }

    impl Account {
        pub fn from_config() -> Result<Account> {
            let name = config::require("storage_account")?;
            ids::check_account(&name)?;
            let endpoint = config::get("blob_endpoint_url")
                .map(|e| e.trim_end_matches('/').to_string())
                .unwrap_or_else(|| format!("https://{name}.blob.core.windows.net"));
            let origin = origin_of(&endpoint);
            Ok(Account { name, endpoint, origin })
        }

        /// `az://<container>` for every container, listed with a short-lived account SAS.
        pub fn containers(&self) -> Result<Vec<String>> {
            let mut names = Vec::new();
            let mut marker = String::new();
            for _ in 0..20 {
                let query = sas::account_list(&self.endpoint, &self.origin, &self.name, 300)?;
                let paging = if marker.is_empty() { String::new() } else { format!("&marker={marker}") };
                let response = http::Request::get(format!("{}/?comp=list{paging}&{query}", self.endpoint)).send()?;
                let xml = storage_result(response)?;
                let doc = roxmltree::Document::parse(&xml)
                    .map_err(|e| ConnectorError::Upstream(format!("Blob storage answered malformed XML: {e}")))?;
                names.extend(
                    doc.descendants()
                        .filter(|n| n.has_tag_name("Container"))
                        .filter_map(|c| c.children().find(|n| n.has_tag_name("Name")).and_then(|n| n.text()))
                        .map(|n| format!("az://{n}")),
                );
                marker = doc
                    .descendants()
                    .find(|n| n.has_tag_name("NextMarker"))
                    .and_then(|n| n.text())
                    .unwrap_or_default()
                    .to_string();
                if marker.is_empty() {
                    break;
                }
            }
            Ok(names)
        }

        /// An `azure` client for one container: its URL and a SAS scoped to it.
        pub fn container_client(&self, id: &str, expiration: Option<u64>) -> Result<ClientCredential> {
            let (min, default, max) = SAS_BOUNDS;
            let seconds = expiration.unwrap_or(default);
            if !(min..=max).contains(&seconds) {
                return Err(ConnectorError::InvalidConfig(format!(
                    "an expiration of {seconds}s is outside {min} to {max} seconds"
                )));
            }
            let container = ids::container(id)?;
            if !self.containers()?.iter().any(|c| c == id) {
                return Err(ConnectorError::NotFound(format!(
                    "the storage account `{}` has no container `{container}`",
                    self.name
                )));
            }
            let expires_at = time::now() + seconds;
            let token = sas::container(&self.endpoint, &self.origin, &self.name, &container, "racwdl", expires_at)?;
            let container_url = format!("{}/{container}", self.endpoint);
            Ok(ClientCredential {
                connector_type: "azure".into(),
                auth_method: "sas-token".into(),
                resource_type: ids::BLOB.into(),
                resource_id: Some(id.to_string()),
                attributes: vec![
                    ("storage_account".into(), CredentialValue::Plain(self.name.clone())),
                    ("account_url".into(), CredentialValue::Plain(self.endpoint.clone())),
                    ("container_url".into(), CredentialValue::Plain(container_url.clone())),
                    ("sas_token".into(), CredentialValue::Secret(token.clone())),
                    ("sas_url".into(), CredentialValue::Secret(format!("{container_url}?{token}"))),
                ],
                expires_at: Some(expires_at),
            })
        }
    }

    /// `scheme://host[:port]` of a URL.
    fn origin_of(url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
        format!("{scheme}://{}", rest.split('/').next().unwrap_or_default())
    }

    /// The body of a successful Blob storage response, or its error code and message.
    fn storage_result(response: http::Response) -> Result<String> {
        let status = response.status();
        let text = response.text();
        if (200..300).contains(&status) {
            return Ok(text);
        }
        let field = |tag: &str| {
            roxmltree::Document::parse(&text)
                .ok()
                .and_then(|d| d.descendants().find(|n| n.has_tag_name(tag)).and_then(|n| n.text()).map(str::to_string))
        };
        let code = field("Code").unwrap_or_else(|| format!("HTTP {status}"));
        let message = field("Message").map(|m| m.lines().next().unwrap_or_default().to_string()).unwrap_or_default();
        let reason = format!("Blob storage answered HTTP {status} ({code}: {message})");
        Err(match status {
            401 | 403 => ConnectorError::Unauthorized(reason),
            404 => ConnectorError::NotFound(reason),
            _ => ConnectorError::Upstream(reason),
        })
    }
}

mod token {
    //! Entra ID access tokens: the client-credentials grant (the host fills the secret) or a
    //! configured token.

    use crate::{AUTHORITY, MANAGEMENT_SCOPE, ids};
    use airlock_sdk::prelude::*;

    pub enum Token {
        Minted { access_token: String, expires_at: u64 },
        Configured,
    }

    impl Token {
        /// The client-credentials grant at `<authority>/<tenant>/oauth2/v2.0/token`.
        pub fn client_credentials() -> Result<Token> {
            let tenant = config::require("tenant_id")?;
            let client_id = config::require("client_id")?;
            for (name, value) in [("tenant_id", &tenant), ("client_id", &client_id)] {
                check_uuid(name, value)?;
            }
            let authority =
                config::get("authority_url").map(|a| a.trim_end_matches('/').to_string()).unwrap_or(AUTHORITY.into());
            let body = format!(
                "{}&client_secret={{{{client_secret}}}}",
                http::form_urlencoded(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", &client_id),
                    ("scope", MANAGEMENT_SCOPE)
                ])
            );
            let response = http::Request::post(format!("{authority}/{tenant}/oauth2/v2.0/token"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .body_placeholders(&["client_secret"])
                .send()?;
            let answer: serde_json::Value = serde_json::from_slice(response.body()).unwrap_or_default();
            if !(200..300).contains(&response.status()) {
                let description =
                    answer["error_description"].as_str().unwrap_or_default().lines().next().unwrap_or_default();
                let reason = format!(
                    "Entra ID refused the credentials ({}: {description})",
                    answer["error"].as_str().unwrap_or("error")
                );
                return Err(match response.status() {
                    400 | 401 | 403 => ConnectorError::Unauthorized(reason),
                    _ => ConnectorError::Upstream(reason),
                });
            }
            let access_token = answer["access_token"]
                .as_str()
                .ok_or_else(|| ConnectorError::Upstream("Entra ID returned no access_token".into()))?;
            let expires_in = answer["expires_in"].as_u64().unwrap_or(3600);
            Ok(Token::Minted { access_token: access_token.into(), expires_at: time::now() + expires_in })
        }

        pub fn configured() -> Token {
            Token::Configured
        }

        /// What a generic listing names: the configured subscription, or the tenant.
        pub fn scope_label(&self) -> String {
            config::get("subscription_id").or_else(|| config::get("tenant_id")).unwrap_or_else(|| "azure".into())
        }

        /// An `azure` client holding the token (`access-token`).
        pub fn client(&self, id: Option<String>) -> ClientCredential {
            let (token, expires_at) = match self {
                Token::Minted { access_token, expires_at } => {
                    (CredentialValue::Secret(access_token.clone()), Some(*expires_at))
                }
                Token::Configured => (CredentialValue::Binding("token".into()), None),
            };
            let mut attributes = vec![("token".to_string(), token)];
            for name in ["tenant_id", "subscription_id"] {
                if let Some(value) = config::get(name) {
                    attributes.push((name.into(), CredentialValue::Plain(value)));
                }
            }
            ClientCredential {
                connector_type: "azure".into(),
                auth_method: "access-token".into(),
                resource_type: ids::GENERIC.into(),
                resource_id: id.or_else(|| Some(self.scope_label())),
                attributes,
                expires_at,
            }
        }
    }

    /// Azure ids are UUIDs (`8-4-4-4-12` hex digits).
    fn check_uuid(name: &str, value: &str) -> Result<()> {
        let groups: Vec<&str> = value.split('-').collect();
        let lengths = [8, 4, 4, 4, 12];
        let valid = groups.len() == 5
            && groups.iter().zip(lengths).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
        match valid {
            true => Ok(()),
            false => Err(ConnectorError::InvalidConfig(format!(
                "`{name}` must be a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
            ))),
        }
    }
}

airlock_sdk::export_connector!(AzureConnector);
