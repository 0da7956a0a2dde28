//! Azure Resource Manager: the subscription, storage accounts (and SAS tokens ARM signs with
//! their keys), AKS clusters and their credentials, container registries, and ACR's token
//! exchange. Requests carry the principal's Entra token (minted) or the configured token (added
//! by the host).

use crate::ids;
use crate::token::Token;
use airlock_sdk::http::Request;
use airlock_sdk::prelude::*;

pub const MANAGEMENT: &str = "https://management.azure.com";
const SUBSCRIPTIONS_API: &str = "2022-12-01";
const STORAGE_API: &str = "2023-01-01";
const AKS_API: &str = "2024-05-01";
const ACR_API: &str = "2023-07-01";

/// Authenticated access to one subscription.
pub struct Arm {
    pub token: Token,
    base: String,
    pub subscription: String,
}

/// A storage account ARM listed.
#[derive(Clone)]
pub struct StorageAccount {
    pub id: String,
    pub name: String,
    pub blob_endpoint: String,
}

impl Arm {
    /// Resolve the subscription: the configured one (checked), or the only one listed.
    pub fn connect(token: Token) -> Result<Arm> {
        let base = config::get("management_endpoint_url")
            .map(|e| e.trim_end_matches('/').to_string())
            .unwrap_or(MANAGEMENT.into());
        let mut arm = Arm { token, base, subscription: String::new() };
        arm.subscription = match config::get("subscription_id") {
            Some(configured) => {
                crate::token::check_uuid("subscription_id", &configured)?;
                arm.get(&format!("/subscriptions/{configured}?api-version={SUBSCRIPTIONS_API}"))?;
                configured
            }
            None => {
                let listed = arm.get(&format!("/subscriptions?api-version={SUBSCRIPTIONS_API}"))?;
                let ids: Vec<String> = listed["value"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s["subscriptionId"].as_str().map(str::to_string))
                    .collect();
                match ids.as_slice() {
                    [one] => one.clone(),
                    [] => return Err(ConnectorError::NotFound("these credentials reach no Azure subscription".into())),
                    _ => {
                        return Err(ConnectorError::InvalidConfig(format!(
                            "multiple Azure subscriptions found ({}); configure subscription_id",
                            ids.join(", ")
                        )));
                    }
                }
            }
        };
        Ok(arm)
    }

    fn send(&self, request: Request) -> Result<serde_json::Value> {
        arm_result(self.token.authorize(request).send()?)
    }

    fn get(&self, path: &str) -> Result<serde_json::Value> {
        self.send(Request::get(format!("{}{path}", self.base)))
    }

    fn post(&self, path: &str, body: serde_json::Value) -> Result<serde_json::Value> {
        self.send(
            Request::post(format!("{}{path}", self.base))
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
    }

    /// Resources of a provider type in the subscription, filtered by the configured resource
    /// group (Azure compares resource-group names case-insensitively).
    fn resources(&self, provider: &str, api: &str) -> Result<Vec<serde_json::Value>> {
        let listed =
            self.get(&format!("/subscriptions/{}/providers/{provider}?api-version={api}", self.subscription))?;
        let group = config::get("resource_group");
        Ok(listed["value"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| group.as_deref().is_none_or(|g| resource_group(r).eq_ignore_ascii_case(g)))
            .cloned()
            .collect())
    }

    pub fn storage_accounts(&self) -> Result<Vec<StorageAccount>> {
        let only = config::get("storage_account");
        Ok(self
            .resources("Microsoft.Storage/storageAccounts", STORAGE_API)?
            .iter()
            .filter(|a| only.as_deref().is_none_or(|o| a["name"].as_str() == Some(o)))
            .filter_map(|a| {
                let name = a["name"].as_str()?.to_string();
                let blob_endpoint = config::get("blob_endpoint_url")
                    .or_else(|| a["properties"]["primaryEndpoints"]["blob"].as_str().map(str::to_string))?
                    .trim_end_matches('/')
                    .to_string();
                Some(StorageAccount { id: a["id"].as_str()?.to_string(), name, blob_endpoint })
            })
            .collect())
    }

    /// A SAS ARM signs with the account's key: `ListAccountSas` (listing) or `ListServiceSas`
    /// (one container).
    pub fn sas(
        &self,
        account: &StorageAccount,
        container: Option<&str>,
        permissions: &str,
        expiry: &str,
    ) -> Result<String> {
        let protocol = if account.blob_endpoint.starts_with("http://") { "https,http" } else { "https" };
        let (action, body, field) = match container {
            None => (
                "ListAccountSas",
                serde_json::json!({"signedServices": "b", "signedResourceTypes": "sco", "signedPermission": permissions, "signedExpiry": expiry, "signedProtocol": protocol}),
                "accountSasToken",
            ),
            Some(container) => (
                "ListServiceSas",
                serde_json::json!({"canonicalizedResource": format!("/blob/{}/{container}", account.name), "signedResource": "c", "signedPermission": permissions, "signedExpiry": expiry, "signedProtocol": protocol}),
                "serviceSasToken",
            ),
        };
        let answer = self.post(&format!("{}/{action}?api-version={STORAGE_API}", account.id), body)?;
        answer[field]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| ConnectorError::Upstream(format!("ARM returned no {field}")))
    }

    /// `<resource-group>/<name>` of every AKS cluster.
    pub fn clusters(&self) -> Result<Vec<String>> {
        Ok(self
            .resources("Microsoft.ContainerService/managedClusters", AKS_API)?
            .iter()
            .filter_map(|c| Some(format!("{}/{}", resource_group(c), c["name"].as_str()?)))
            .collect())
    }

    /// The one cluster an id names (`[<rg>/]<name>`), as `<rg>/<name>`.
    pub fn cluster(&self, id: &str) -> Result<String> {
        let (group, name) = ids::cluster(id)?;
        let matching: Vec<String> = self
            .clusters()?
            .into_iter()
            .filter(|c| {
                let (g, n) = c.split_once('/').unwrap_or_default();
                n == name && group.as_deref().is_none_or(|group| g.eq_ignore_ascii_case(group))
            })
            .collect();
        match matching.as_slice() {
            [one] => Ok(one.clone()),
            [] => {
                Err(ConnectorError::NotFound(format!("no AKS cluster `{id}` in subscription `{}`", self.subscription)))
            }
            _ => Err(ConnectorError::InvalidConfig(format!(
                "AKS clusters named `{name}` exist in several resource groups ({}); name one as <resource-group>/{name}",
                matching.join(", ")
            ))),
        }
    }

    /// The cluster's kubeconfig (YAML): user credentials, or admin ones when configured.
    pub fn cluster_kubeconfig(&self, cluster: &str, admin: bool) -> Result<String> {
        let (group, name) = cluster.split_once('/').unwrap_or_default();
        let action = if admin { "listClusterAdminCredential" } else { "listClusterUserCredential" };
        let path = format!(
            "/subscriptions/{}/resourceGroups/{group}/providers/Microsoft.ContainerService/managedClusters/{name}/{action}?api-version={AKS_API}",
            self.subscription
        );
        let answer = self.post(&path, serde_json::json!({}))?;
        let encoded = answer["kubeconfigs"][0]["value"]
            .as_str()
            .ok_or_else(|| ConnectorError::Upstream("AKS returned no kubeconfig".into()))?;
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .ok_or_else(|| ConnectorError::Upstream("AKS returned a kubeconfig that is not base64".into()))?;
        String::from_utf8(bytes)
            .map_err(|_| ConnectorError::Upstream("AKS returned a kubeconfig that is not UTF-8".into()))
    }

    /// `<name>.azurecr.io` of every container registry.
    pub fn registries(&self) -> Result<Vec<String>> {
        Ok(self
            .resources("Microsoft.ContainerRegistry/registries", ACR_API)?
            .iter()
            .filter_map(|r| r["properties"]["loginServer"].as_str().map(str::to_string))
            .collect())
    }
}

/// The resource group of an ARM resource (from its id).
fn resource_group(resource: &serde_json::Value) -> &str {
    let id = resource["id"].as_str().unwrap_or_default();
    let mut parts = id.split('/');
    while let Some(part) = parts.next() {
        if part.eq_ignore_ascii_case("resourceGroups") {
            return parts.next().unwrap_or_default();
        }
    }
    ""
}

/// The JSON of a successful ARM response, or ARM's error code and message.
fn arm_result(response: http::Response) -> Result<serde_json::Value> {
    let status = response.status();
    let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap_or_default();
    if (200..300).contains(&status) {
        return Ok(body);
    }
    let code = body["error"]["code"].as_str().unwrap_or("error");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    let reason = format!("Azure answered HTTP {status} ({code}: {message})");
    Err(match status {
        401 | 403 => ConnectorError::Unauthorized(reason),
        404 => ConnectorError::NotFound(reason),
        _ => ConnectorError::Upstream(reason),
    })
}
