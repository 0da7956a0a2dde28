//! The connector instance's non-secret configuration.

use crate::host::config as raw;
use crate::{ConnectorError, Result};

/// The auth method this instance uses.
pub fn auth_method() -> String {
    raw::auth_method()
}

/// A non-secret attribute, if set.
pub fn get(name: &str) -> Option<String> {
    raw::get(name)
}

/// A non-secret attribute that must be set.
pub fn require(name: &str) -> Result<String> {
    raw::get(name).ok_or_else(|| ConnectorError::InvalidConfig(format!("the `{name}` attribute is required")))
}

/// Every non-secret attribute that is set.
pub fn entries() -> Vec<(String, String)> {
    raw::entries()
}

/// Whether the instance has the named credential binding (a secret attribute that is set).
pub fn has_binding(name: &str) -> bool {
    raw::bindings().iter().any(|b| b == name)
}

/// The items of a text-list attribute (a JSON array of strings, or comma-separated); empty when
/// it is not set.
pub fn list(name: &str) -> Vec<String> {
    let Some(value) = raw::get(name) else { return Vec::new() };
    match serde_json::from_str::<Vec<String>>(&value) {
        Ok(items) => items,
        Err(_) => value.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
    }
}

/// Whether a boolean attribute is set to true (`true`, `1` or `yes`, as the host accepts them).
pub fn flag(name: &str) -> bool {
    raw::get(name).is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}
