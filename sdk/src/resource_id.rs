//! Helpers for parsing and canonicalising resource ids.

use crate::{ConnectorError, Result};

/// The `host[:port]` of a URL-or-host id such as `https://registry.example.com:5000/v2/repo`,
/// `registry.example.com` or `127.0.0.1:5000`, lower-cased. Errors name the id and what was expected.
pub fn host_port(id: &str) -> Result<String> {
    let trimmed = id.trim();
    let rest = match trimmed.split_once("://") {
        Some(("http" | "https", rest)) => rest,
        Some((scheme, _)) => {
            return Err(ConnectorError::InvalidConfig(format!(
                "invalid resource id `{id}`: unsupported scheme `{scheme}` (expected http or https)"
            )));
        }
        None => trimmed,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') || authority.contains(char::is_whitespace) {
        return Err(ConnectorError::InvalidConfig(format!(
            "invalid resource id `{id}`: expected `host[:port]` or an http(s) URL"
        )));
    }
    let invalid = |why: String| ConnectorError::InvalidConfig(format!("invalid resource id `{id}`: {why}"));
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']').ok_or_else(|| invalid("unclosed `[` in the host".into()))?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if host.is_empty() {
        return Err(invalid("the host is empty".into()));
    }
    if let Some(port) = port
        && port.parse::<u16>().is_err()
    {
        return Err(invalid(format!("`{port}` is not a port number")));
    }
    Ok(authority.to_ascii_lowercase())
}

/// The URL scheme of an id, defaulting to `https` when the id has none.
pub fn scheme(id: &str) -> &str {
    match id.trim().split_once("://") {
        Some(("http", _)) => "http",
        _ => "https",
    }
}
