//! Resource ids: accepted formats, canonical forms and Azure's naming rules.

use airlock_sdk::{ConnectorError, Result};

pub const GENERIC: &str = "azure-generic";
pub const BLOB: &str = "blob-container";
pub const AKS: &str = "kubernetes-cluster";
pub const ACR: &str = "docker-registry";

fn invalid(message: String) -> ConnectorError {
    ConnectorError::InvalidConfig(message)
}

/// A subscription id (`azure-generic`): a UUID, lowercase as ARM answers it.
fn subscription(id: &str) -> Result<String> {
    let hex = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_hexdigit());
    let groups: Vec<&str> = id.split('-').collect();
    match groups.as_slice() {
        [a, b, c, d, e] if hex(a, 8) && hex(b, 4) && hex(c, 4) && hex(d, 4) && hex(e, 12) => {
            Ok(id.to_ascii_lowercase())
        }
        _ => Err(invalid(format!("invalid subscription id `{id}`: an `azure-generic` id is the subscription's UUID"))),
    }
}

/// The canonical id of `id` for `resource_type`.
pub fn canonical(resource_type: &str, id: &str) -> Result<String> {
    match resource_type {
        GENERIC => subscription(id),
        BLOB => container(id).map(|c| format!("az://{c}")),
        AKS => cluster(id).map(|(group, name)| group.map_or(name.clone(), |g| format!("{g}/{name}"))),
        ACR => registry(id),
        other => Err(invalid(format!(
            "the azure connector has no resource type `{other}` (azure-generic, blob-container, kubernetes-cluster, docker-registry)"
        ))),
    }
}

/// The container of `az://<c>`, `abfs://<c>[@<account>…]` or `<c>`: 3-63 lower-case letters,
/// digits and single hyphens, starting and ending with a letter or digit (Azure's rules).
pub fn container(id: &str) -> Result<String> {
    let rest = id.strip_prefix("az://").or_else(|| id.strip_prefix("abfs://")).unwrap_or(id);
    let name = rest.split(['@', '/']).next().unwrap_or_default();
    if rest.len() > name.len()
        && rest[name.len()..].starts_with('/')
        && rest[name.len() + 1..].contains(|c: char| c != '/')
    {
        return Err(invalid(format!(
            "invalid blob container id `{id}`: a credential covers a whole container, so name it without a path (az://{name})"
        )));
    }
    let valid = (3..=63).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric()
        && !name.contains("--");
    if !valid {
        return Err(invalid(format!(
            "invalid blob container id `{id}`: expected az://<container>, abfs://<container> or <container>, where a container name is 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit"
        )));
    }
    Ok(name.to_string())
}

/// A storage account name: 3-24 lower-case letters and digits.
pub fn check_account(name: &str) -> Result<()> {
    let valid = (3..=24).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    match valid {
        true => Ok(()),
        false => Err(invalid(format!("`{name}` is not a storage account name (3-24 lower-case letters and digits)"))),
    }
}

/// An AKS cluster id `[<resource-group>/]<name>`; the group must be the configured one (compared
/// case-insensitively, as Azure does). Names are 1-63 letters, digits, `-` and `_`, starting and
/// ending with a letter or digit; groups 1-90 letters, digits, `-`, `_`, `.`, `(`, `)`.
pub fn cluster(id: &str) -> Result<(Option<String>, String)> {
    let (group, name) = match id.split_once('/') {
        Some((group, name)) => (Some(group), name),
        None => (None, id),
    };
    let name_ok = (1..=63).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric();
    let group_ok = group.is_none_or(|g| {
        (1..=90).contains(&g.len())
            && g.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'(' | b')'))
            && !g.ends_with('.')
    });
    if !name_ok || !group_ok {
        return Err(invalid(format!(
            "invalid AKS cluster id `{id}`: expected [<resource-group>/]<cluster>, where a cluster name is 1-63 letters, digits, `-` and `_`"
        )));
    }
    if let (Some(group), Some(configured)) = (group, airlock_sdk::config::get("resource_group"))
        && !group.eq_ignore_ascii_case(&configured)
    {
        return Err(invalid(format!(
            "`{id}` is in resource group `{group}`, but this connector is configured for `{configured}`"
        )));
    }
    Ok((group.map(str::to_string), name.to_string()))
}

/// `<name>.azurecr.io` from `[https://]<name>.azurecr.io[/…]` or `<name>` (5-50 letters and
/// digits; login servers are lower case).
pub fn registry(id: &str) -> Result<String> {
    let host = id.strip_prefix("https://").unwrap_or(id).split('/').next().unwrap_or_default();
    let name = host.strip_suffix(".azurecr.io").unwrap_or(host);
    let valid = (5..=50).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric());
    if !valid {
        return Err(invalid(format!(
            "invalid ACR registry id `{id}`: expected [https://]<name>.azurecr.io or <name>, where a registry name is 5-50 letters and digits"
        )));
    }
    Ok(format!("{}.azurecr.io", name.to_ascii_lowercase()))
}
