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
