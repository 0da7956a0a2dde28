//! The one cluster a connector reaches: its name (the resource id), its configuration checks and
//! the attributes of the clients it issues.

use airlock_sdk::prelude::*;
use base64::Engine as _;

pub const RESOURCE_TYPE: &str = "kubernetes-cluster";
/// Longest cluster name accepted (a DNS subdomain's limit, as kubeconfig tools use).
const MAX_NAME: usize = 253;

pub fn check_resource_type(rt: &str) -> Result<()> {
    match rt {
        RESOURCE_TYPE => Ok(()),
        other => Err(ConnectorError::InvalidConfig(format!(
            "the kubernetes connector has no resource type `{other}` ({RESOURCE_TYPE})"
        ))),
    }
}

/// The configured cluster name; a given id must be exactly that name.
pub fn name(id: Option<&str>) -> Result<String> {
    let configured = config::require("cluster_name")?;
    check_name(&configured)?;
    match id {
        Some(id) if id != configured => Err(ConnectorError::InvalidConfig(format!(
            "`{}` is not this connector's cluster: it reaches `{configured}`",
            id.escape_debug()
        ))),
        _ => Ok(configured),
    }
}

/// A kubeconfig name: 1 to 253 printable characters without spaces.
fn check_name(name: &str) -> Result<()> {
    let printable = name.chars().all(|c| c.is_ascii_graphic() || (!c.is_ascii() && !c.is_control()));
    if name.is_empty() || name.len() > MAX_NAME || !printable {
        return Err(ConnectorError::InvalidConfig(format!(
            "`{}` is not a cluster name: 1 to {MAX_NAME} printable characters without spaces",
            name.escape_debug()
        )));
    }
    Ok(())
}

/// Settings the API server and kubectl would refuse, refused before any request.
pub fn check_config() -> Result<()> {
    if insecure() && config::get("certificate_authority").is_some_and(|c| !c.trim().is_empty()) {
        return Err(ConnectorError::InvalidConfig(
            "`insecure` and `certificate_authority` cannot be combined (kubectl refuses it too): drop one".into(),
        ));
    }
    match config::auth_method().as_str() {
        "token" => {
            let certificate = config::get("client_certificate").is_some();
            let key = config::has_binding("client_key");
            if certificate != key {
                return Err(ConnectorError::InvalidConfig(
                    "a client certificate needs both `client_certificate` and `client_key`".into(),
                ));
            }
            if !key && !config::has_binding("token") {
                return Err(ConnectorError::InvalidConfig(
                    "the `token` method needs a `token`, a client certificate (`client_certificate` and `client_key`) or both".into(),
                ));
            }
            Ok(())
        }
        "password" => Ok(()),
        other => Err(ConnectorError::InvalidConfig(format!("the kubernetes connector has no auth method `{other}`"))),
    }
}

/// Whether the API server's certificate goes unverified.
pub fn insecure() -> bool {
    config::flag("insecure")
}

/// What every client of this cluster carries: its name, server and how to trust it.
pub fn client_attributes(name: &str) -> Vec<(String, CredentialValue)> {
    let mut attributes = vec![
        ("cluster_name".to_string(), CredentialValue::Plain(name.to_string())),
        ("server".into(), CredentialValue::Plain(config::get("server").unwrap_or_default())),
    ];
    if let Some(ca) = config::get("certificate_authority").filter(|c| !c.trim().is_empty()) {
        attributes.push(("certificate_authority".into(), CredentialValue::Plain(base64_pem(&ca))));
    }
    if insecure() {
        attributes.push(("insecure".into(), CredentialValue::Plain("true".into())));
    }
    attributes
}

/// Add the configured long-lived credentials as binding references (the host releases them
/// only where admin policy allows) and return the client's auth method.
pub fn long_lived_credentials(attributes: &mut Vec<(String, CredentialValue)>) -> Result<&'static str> {
    let binding = |name: &str| (name.to_string(), CredentialValue::Binding(name.to_string()));
    if config::auth_method() == "password" {
        attributes.push(("username".into(), CredentialValue::Plain(config::require("username")?)));
        attributes.push(binding("password"));
        return Ok("password");
    }
    if config::has_binding("token") {
        attributes.push(binding("token"));
    }
    if let Some(certificate) = config::get("client_certificate") {
        attributes.push(("client_certificate".into(), CredentialValue::Plain(base64_pem(&certificate))));
        attributes.push(binding("client_key"));
    }
    Ok("token")
}

/// PEM text in kubeconfig's `*-data` form (base64); values already in that form stay as they are.
fn base64_pem(value: &str) -> String {
    let value = value.trim();
    match value.starts_with("-----BEGIN") {
        true => base64::engine::general_purpose::STANDARD.encode(value),
        false => value.chars().filter(|c| !c.is_whitespace()).collect(),
    }
}
