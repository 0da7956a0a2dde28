//! Resource ids: accepted formats, canonical forms and Azure's naming rules.

use airlock_sdk::{ConnectorError, Result};

pub const GENERIC: &str = "azure-generic";
pub const BLOB: &str = "blob-container";

fn invalid(message: String) -> ConnectorError {
    ConnectorError::InvalidConfig(message)
}

/// The canonical id of `id` for `resource_type`.
pub fn canonical(resource_type: &str, id: &str) -> Result<String> {
    match resource_type {
        GENERIC => Ok(id.to_string()),
        BLOB => container(id).map(|c| format!("az://{c}")),
        other => {
            Err(invalid(format!("the azure connector has no resource type `{other}` (azure-generic, blob-container)")))
        }
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
