//! `airlock serve`: the store, the runtime with the built-in connectors, and the API.

use crate::api;
use crate::credentials::ReleasePolicy;
use crate::egress::{AddressPolicy, EgressPolicy, OriginPattern};
use crate::runtime::{Limits, Runtime, RuntimeOptions};
use crate::service::{ServerPolicy, Service, SignaturePolicy};
use crate::store::Store;
use crate::vault::Keyring;
use anyhow::Context;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Everything `serve` needs to know.
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub allow_cidrs: String,
    /// Wall-time budget of one connector call.
    pub call_wall_time: Duration,
    pub policy: ServerPolicy,
    pub admin_token: Option<String>,
}

/// Open the data directory, keyring and store; the service on top of them.
pub async fn open(
    data_dir: &std::path::Path,
    database_url: Option<&str>,
    allow_cidrs: &str,
    limits: Limits,
    policy: ServerPolicy,
) -> anyhow::Result<Arc<Service>> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))?;
    let keyring = Keyring::load(data_dir)?;
    let url = database_url.map(str::to_string).unwrap_or_else(|| Store::sqlite_url(data_dir));
    let store = Store::connect(&url).await?;
    let cidrs =
        AddressPolicy::parse_cidrs(allow_cidrs).map_err(|e| anyhow::anyhow!("AIRLOCK_EGRESS_ALLOW_CIDRS: {e}"))?;
    let runtime = Runtime::new(RuntimeOptions {
        address_policy: AddressPolicy::allowing(cidrs),
        cache_dir: Some(data_dir.join("cache")),
        limits,
        ..Default::default()
    })?;
    Ok(Arc::new(Service::new(store, keyring, runtime, policy)))
}

/// What the server answers: the API and the dashboard under `/ui`.
pub fn app(service: Arc<Service>) -> axum::Router {
    api::router(service.clone()).merge(crate::ui::router(service))
}

/// Run the server until SIGINT or SIGTERM.
pub async fn serve(options: ServeOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    let limits = Limits { wall_time: options.call_wall_time, ..Limits::default() };
    let service =
        open(&options.data_dir, options.database_url.as_deref(), &options.allow_cidrs, limits, options.policy).await?;
    // The built-in connectors compile in the background; calls that need them wait for them.
    let builtins = service.clone();
    tokio::spawn(async move {
        if let Err(e) = builtins.ensure_builtin_plugins().await {
            tracing::error!("registering the built-in connectors failed (retried on first use): {e}");
        }
    });
    if let Some(token) = service.bootstrap_admin(options.admin_token).await? {
        println!("Created the admin user. Its API token (shown once, keep it safe):\n{token}");
    }
    let listener =
        api::listener::bind(options.listen).with_context(|| format!("cannot listen on {}", options.listen))?;
    let addr = listener.local_addr()?;
    eprintln!("airlock listening on http://{addr} (ready in {} ms)", started.elapsed().as_millis());
    api::listener::serve(listener, app(service), shutdown()).await;
    Ok(())
}

async fn shutdown() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// What an admin chose on the command line.
pub struct PolicyChoices {
    pub lease_reuse: bool,
    pub release: ReleasePolicy,
    pub trusted_keys: Option<PathBuf>,
    pub require_signed: bool,
    /// Comma-separated origin patterns plugins' declared egress is narrowed to.
    pub egress_origins: Option<String>,
    pub config_hosts: bool,
    /// Connector calls one user may have running at once.
    pub calls_per_user: usize,
    /// Connector calls one connector may have running at once.
    pub calls_per_connector: usize,
}

/// Server-side policy from the admin's choices.
pub fn policy(choices: PolicyChoices) -> anyhow::Result<ServerPolicy> {
    let mut trusted = Vec::new();
    if let Some(dir) = choices.trusted_keys {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("reading trusted keys from {}", dir.display()))? {
            let path = entry?.path();
            let key = wasmsign2::PublicKey::from_any_file(&path)
                .map_err(|e| anyhow::anyhow!("{}: not a public key: {e}", path.display()))?;
            trusted.push(key);
        }
    }
    let allowed_origins = choices
        .egress_origins
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(OriginPattern::parse)
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()
        .map_err(|e| anyhow::anyhow!("--egress-allow-origins: {e}"))?;
    Ok(ServerPolicy {
        egress: EgressPolicy { allowed_origins, allow_config_hosts: choices.config_hosts },
        release: choices.release,
        lease_reuse: choices.lease_reuse,
        signatures: SignaturePolicy { trusted, require_signature: choices.require_signed },
        calls_per_user: choices.calls_per_user,
        calls_per_connector: choices.calls_per_connector,
        ..Default::default()
    })
}

/// Re-seal every stored secret and cached credential under a new current master key, then
/// retire the old keys (file-managed keys only).
pub async fn rotate_key(data_dir: &std::path::Path, database_url: Option<&str>) -> anyhow::Result<usize> {
    let mut keyring = Keyring::load(data_dir)?;
    let url = database_url.map(str::to_string).unwrap_or_else(|| Store::sqlite_url(data_dir));
    let store = Store::connect(&url).await?;
    let from_env = std::env::var_os("AIRLOCK_MASTER_KEY").is_some();
    if !from_env {
        keyring.add_key()?;
    }
    let count = store.reseal_all(|aad, sealed| Ok(keyring.seal(aad, &keyring.open(aad, sealed)?))).await?;
    if !from_env {
        keyring.retire_old_keys()?;
    }
    store.audit("system", "key.rotate", keyring.current_id(), "ok", &format!("resealed={count}")).await?;
    Ok(count)
}
