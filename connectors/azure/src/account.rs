//! Blob storage: listing containers and issuing container clients with SAS tokens, whether the
//! host signs them with the account key (`storage-account-key`) or ARM does (principals).

use crate::{SAS_BOUNDS, ids, sas};
use airlock_sdk::prelude::*;

/// A storage account reached with its key, which only the host holds.
pub struct Account {
    pub name: String,
    pub endpoint: String,
    origin: String,
}

impl Account {
    pub fn from_config() -> Result<Account> {
        let name = config::require("storage_account")?;
        ids::check_account(&name)?;
        let endpoint = config::get("blob_endpoint_url")
            .map(|e| e.trim_end_matches('/').to_string())
            .unwrap_or_else(|| format!("https://{name}.blob.core.windows.net"));
        let (scheme, rest) = endpoint.split_once("://").unwrap_or(("https", &endpoint));
        let origin = format!("{scheme}://{}", rest.split('/').next().unwrap_or_default());
        Ok(Account { name, endpoint, origin })
    }

    /// `az://<container>` for every container, listed with a short-lived account SAS.
    pub fn containers(&self) -> Result<Vec<String>> {
        list_containers(&self.endpoint, &|| sas::account_list(&self.endpoint, &self.origin, &self.name, 300))
    }

    /// An `azure` client for one container with a SAS the host signs.
    pub fn container_client(&self, id: &str, expiration: Option<u64>) -> Result<ClientCredential> {
        let expires_at = time::now() + lifetime(expiration)?;
        let container = ids::container(id)?;
        if !self.containers()?.iter().any(|c| c == id) {
            return Err(no_container(&self.name, &container));
        }
        let token = sas::container(&self.endpoint, &self.origin, &self.name, &container, PERMISSIONS, expires_at)?;
        Ok(container_client(&self.name, &self.endpoint, id, token, expires_at))
    }
}

/// What a container client may do: read, add, create, write, delete, list.
pub const PERMISSIONS: &str = "racwdl";

/// The requested SAS lifetime within the bounds.
pub fn lifetime(expiration: Option<u64>) -> Result<u64> {
    let (min, default, max) = SAS_BOUNDS;
    let seconds = expiration.unwrap_or(default);
    if !(min..=max).contains(&seconds) {
        return Err(ConnectorError::InvalidConfig(format!(
            "an expiration of {seconds}s is outside {min} to {max} seconds"
        )));
    }
    Ok(seconds)
}

pub fn no_container(account: &str, container: &str) -> ConnectorError {
    ConnectorError::NotFound(format!("the storage account `{account}` has no container `{container}`"))
}

/// `az://<container>` of every container at `endpoint`, each page listed with a fresh SAS query.
pub fn list_containers(endpoint: &str, sas_query: &dyn Fn() -> Result<String>) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let mut marker = String::new();
    for _ in 0..20 {
        let paging = if marker.is_empty() {
            String::new()
        } else {
            format!("&{}", http::form_urlencoded(&[("marker", &marker)]))
        };
        let response = http::Request::get(format!("{endpoint}/?comp=list{paging}&{}", sas_query()?)).send()?;
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
pub fn container_client(account: &str, endpoint: &str, id: &str, token: String, expires_at: u64) -> ClientCredential {
    let container_url = format!("{endpoint}/{}", id.trim_start_matches("az://"));
    ClientCredential {
        connector_type: "azure".into(),
        auth_method: "sas-token".into(),
        resource_type: ids::BLOB.into(),
        resource_id: Some(id.to_string()),
        attributes: vec![
            ("storage_account".into(), CredentialValue::Plain(account.into())),
            ("account_url".into(), CredentialValue::Plain(endpoint.into())),
            ("container_url".into(), CredentialValue::Plain(container_url.clone())),
            ("sas_token".into(), CredentialValue::Secret(token.clone())),
            ("sas_url".into(), CredentialValue::Secret(format!("{container_url}?{token}"))),
        ],
        expires_at: Some(expires_at),
    }
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
