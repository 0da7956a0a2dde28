//! Running the built-in connectors inside the CLI's own sandbox (no server): listing types,
//! verifying or issuing from a configuration, auto-configuring from local files.

use crate::builtin::BUILTIN;
use crate::egress::AddressPolicy;
use crate::runtime::{Plugin, Runtime, RuntimeOptions};
use anyhow::{Context, anyhow};
use std::path::PathBuf;

/// A runtime for local calls; `allow_cidrs` opens private ranges (comma-separated).
pub fn runtime(allow_cidrs: &str) -> anyhow::Result<Runtime> {
    let cidrs = AddressPolicy::parse_cidrs(allow_cidrs).map_err(|e| anyhow!("--allow-cidrs: {e}"))?;
    let options = RuntimeOptions {
        address_policy: AddressPolicy::allowing(cidrs),
        cache_dir: cache_dir(),
        max_concurrent_calls: 16,
        ..Default::default()
    };
    Runtime::new(options)
}

/// Load a built-in connector.
pub async fn load(runtime: &Runtime, connector_type: &str) -> anyhow::Result<Plugin> {
    let (_, wasm) = BUILTIN.iter().find(|(name, _)| *name == connector_type).ok_or_else(|| {
        let known: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
        anyhow!("unknown built-in connector type `{connector_type}` (available: {})", known.join(", "))
    })?;
    runtime.load(wasm).await.with_context(|| format!("loading the `{connector_type}` connector"))
}

/// Every built-in connector.
pub async fn load_all(runtime: &Runtime) -> anyhow::Result<Vec<Plugin>> {
    let mut plugins = Vec::new();
    for (name, _) in BUILTIN {
        plugins.push(load(runtime, name).await?);
    }
    Ok(plugins)
}

/// Run a connector's auto-configure with exactly the files and variables it declares, read by
/// the CLI (read-only) and handed in as data.
pub async fn auto_configure(
    runtime: &Runtime,
    plugin: &Plugin,
    auth_method: Option<String>,
    resource_type: Option<String>,
    resource_id: Option<String>,
) -> anyhow::Result<crate::runtime::bindings::AutoConfiguration> {
    let spec = &plugin.spec;
    if !spec.supports_auto_configuration {
        anyhow::bail!("connector type `{}` does not support auto-configuration", spec.connector_type);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let input = crate::autoconfigure::local_input(spec, auth_method, resource_type, resource_id, &home, &|k| {
        std::env::var(k).ok()
    });
    Ok(runtime.auto_configure(plugin, &input).await?)
}

/// The CLI's compile cache: `$AIRLOCK_DATA_DIR/cache`, else `$XDG_CACHE_HOME/airlock`, else
/// `~/.cache/airlock`.
fn cache_dir() -> Option<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    env("AIRLOCK_DATA_DIR")
        .map(|d| d.join("cache"))
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("airlock")))
        .or_else(|| env("HOME").map(|d| d.join(".cache/airlock")))
}
