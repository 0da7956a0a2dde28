//! The credential helpers' local cache: issued credentials per server, token, connector and
//! resource, in 0600 files under `~/.cache/airlock/credentials` (a 0700 directory), so a tool
//! that calls its helper many times a minute does not reach the server each time.
//!
//! A cached credential is served while it has more than the refresh margin left
//! (`AIRLOCK_REFRESH_MARGIN`, seconds, default 300); its lease is checked with the server at most
//! every `AIRLOCK_LEASE_CHECK_INTERVAL` seconds (default 60), so a revoked lease stops being
//! served within that interval.

use super::client::Client;
use super::connector::{Scope, issue};
use crate::service::IssuedClient;
use crate::store::LeaseRow;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

const DEFAULT_MARGIN_SECS: i64 = 300;
const DEFAULT_CHECK_SECS: i64 = 60;

/// One cached credential and what it was issued for.
#[derive(Serialize, Deserialize)]
struct Entry {
    server: String,
    connector: String,
    issued: IssuedClient,
    /// When the server last confirmed the lease (Unix seconds).
    checked_at: i64,
}

/// A credential for `connector` and `scope`: from the cache while it is fresh and its lease
/// stands, otherwise from the server (a reused lease if it is fresh enough, else a new one).
pub async fn credential(api: &Client, connector: &str, scope: &Scope) -> anyhow::Result<IssuedClient> {
    let path = entry_path(api, connector, scope)?;
    let now = now();
    if let Some(mut entry) = read(&path).filter(|e| fresh(&e.issued, now)) {
        if now - entry.checked_at < setting("AIRLOCK_LEASE_CHECK_INTERVAL", DEFAULT_CHECK_SECS) {
            return Ok(entry.issued);
        }
        match api.get::<LeaseRow>(&format!("/leases/{}", entry.issued.lease_id)).await {
            Ok(lease) if !lease.revoked => {
                entry.checked_at = now;
                write(&path, &entry)?;
                return Ok(entry.issued);
            }
            // Revoked or gone: never served again.
            Ok(_) => remove(&path),
            Err(e) if is_not_found(&e) => remove(&path),
            Err(e) => return Err(e),
        }
    }
    let mut issued = issue(api, connector, scope, None, false).await?;
    if !fresh(&issued, now) {
        // The server's lease is within our margin: ask for a new credential.
        issued = issue(api, connector, scope, None, true).await?;
    }
    let entry = Entry { server: api.url().to_string(), connector: connector.to_string(), issued, checked_at: now };
    write(&path, &entry)?;
    Ok(entry.issued)
}

/// Remove every cached credential of `connector` (all connectors when `None`); returns how many.
pub fn forget(connector: Option<&str>) -> anyhow::Result<usize> {
    let Ok(dir) = dir() else { return Ok(0) };
    let mut removed = 0;
    for file in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let path = file.path();
        let leftover = path.extension().is_some_and(|e| e.to_string_lossy().starts_with("airlock-tmp"));
        let matches = match connector {
            None => true,
            Some(name) => read(&path).is_some_and(|e| e.connector == name),
        };
        if leftover || (matches && path.extension().is_some_and(|e| e == "json")) {
            remove(&path);
            removed += 1;
        }
    }
    Ok(removed)
}

/// More than the margin left on both the credential and its lease.
fn fresh(issued: &IssuedClient, now: i64) -> bool {
    let margin = setting("AIRLOCK_REFRESH_MARGIN", DEFAULT_MARGIN_SECS);
    let credential_ok = issued.credential.expires_at.is_none_or(|e| e as i64 - now > margin);
    credential_ok && issued.lease_expires_at - now > margin
}

fn setting(name: &str, default: i64) -> i64 {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).filter(|v: &i64| *v >= 0).unwrap_or(default)
}

fn is_not_found(error: &anyhow::Error) -> bool {
    error.to_string().ends_with("[not-found]")
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// `$XDG_CACHE_HOME/airlock/credentials` or `~/.cache/airlock/credentials`.
fn dir() -> anyhow::Result<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = env("XDG_CACHE_HOME").or_else(|| env("HOME").map(|h| h.join(".cache"))).context("HOME is not set")?;
    Ok(base.join("airlock/credentials"))
}

/// One file per server, token, connector and resource (names are digests: nothing readable).
fn entry_path(api: &Client, connector: &str, scope: &Scope) -> anyhow::Result<PathBuf> {
    let mut hash = Sha256::new();
    for part in [
        api.url(),
        api.token_digest().as_str(),
        connector,
        scope.resource_type.as_deref().unwrap_or(""),
        scope.resource_id.as_deref().unwrap_or(""),
    ] {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    Ok(dir()?.join(format!("{}.json", hex::encode(&hash.finalize()[..16]))))
}

fn read(path: &std::path::Path) -> Option<Entry> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn write(path: &std::path::Path, entry: &Entry) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    super::login::write_private(path, &serde_json::to_string(entry)?)
}

fn remove(path: &std::path::Path) {
    let _ = std::fs::remove_file(path);
}
