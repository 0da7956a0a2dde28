//! The domain verbs behind the API: register, verify, list resources, issue client credentials,
//! install plugins, share connectors, manage users and teams. Each verb checks access, does its work through the store and
//! the runtime, and leaves an audit row.

mod access;
mod checks;
mod connectors;
mod error;
mod input;
mod issue;
mod plugins;
mod quota;
mod sharing;
mod teams;
mod turns;
mod users;

pub use access::Actor;
pub use connectors::{ConnectorFilter, ConnectorResources, ConnectorView, HIDDEN, RegisterRequest, UpdateRequest};
pub use error::ServiceError;
pub use issue::{ClientRequestBody, IssuedClient};
pub use plugins::{PluginView, SignaturePolicy};
pub use sharing::{GrantRequest, GrantView, TransferRequest};
pub use teams::{TeamRequest, TeamView};
pub use users::{NewToken, hash_token, new_token};

use crate::credentials::ReleasePolicy;
use crate::egress::EgressPolicy;
use crate::runtime::{Plugin, Runtime};
use crate::store::Store;
use crate::vault::Keyring;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A verb's result and the warnings of the connector calls behind it (egress denials a
/// connector got past), for the caller to see.
#[derive(Debug)]
pub struct Warned<T> {
    pub value: T,
    pub warnings: Vec<String>,
}

/// What admins decide for the whole server.
#[derive(Debug, Clone)]
pub struct ServerPolicy {
    pub egress: EgressPolicy,
    pub release: ReleasePolicy,
    /// Hand out a still-valid credential again instead of minting a new one.
    pub lease_reuse: bool,
    /// A reused credential must stay valid at least this long.
    pub reuse_margin: Duration,
    /// How long a non-expiring credential's lease may be reused.
    pub lease_ttl: Duration,
    /// Per-connector timeout when listing resources across connectors.
    pub list_timeout: Duration,
    /// Connector calls one user may have running at once (429 beyond).
    pub calls_per_user: usize,
    /// Connector calls one connector may have running at once (429 beyond).
    pub calls_per_connector: usize,
    /// How long a verify or resource listing may take, shorter than the call wall time.
    pub verify_timeout: Duration,
    pub signatures: SignaturePolicy,
}

impl Default for ServerPolicy {
    fn default() -> Self {
        ServerPolicy {
            egress: EgressPolicy::default(),
            release: ReleasePolicy::AsDeclared,
            lease_reuse: true,
            reuse_margin: Duration::from_secs(300),
            lease_ttl: Duration::from_secs(3600),
            list_timeout: Duration::from_secs(20),
            calls_per_user: 16,
            calls_per_connector: 32,
            verify_timeout: Duration::from_secs(20),
            signatures: SignaturePolicy::default(),
        }
    }
}

/// The service: shared by every request; holds no state a second replica would disagree with
/// (plugins are cached by content hash, everything else lives in the store).
pub struct Service {
    store: Store,
    keyring: Keyring,
    runtime: Runtime,
    policy: ServerPolicy,
    plugins: Mutex<HashMap<String, Arc<Plugin>>>,
    quota: quota::CallQuota,
    connector_quota: quota::CallQuota,
    update_turns: turns::Turns,
    /// Resources recently checked before issuing (see `checks`).
    resource_checks: checks::ResourceChecks,
    /// Set once the built-in connectors are registered (see `ensure_builtin_plugins`).
    builtins: tokio::sync::OnceCell<()>,
}

impl Service {
    pub fn new(store: Store, keyring: Keyring, runtime: Runtime, policy: ServerPolicy) -> Self {
        let quota = quota::CallQuota::new(quota::Holder::User, policy.calls_per_user);
        let connector_quota = quota::CallQuota::new(quota::Holder::Connector, policy.calls_per_connector);
        let update_turns = turns::Turns::default();
        let plugins = Mutex::new(HashMap::new());
        let builtins = tokio::sync::OnceCell::new();
        let resource_checks = checks::ResourceChecks::default();
        Service {
            store,
            keyring,
            runtime,
            policy,
            plugins,
            quota,
            connector_quota,
            update_turns,
            resource_checks,
            builtins,
        }
    }

    /// The master keys (the dashboard seals its sessions with them).
    pub(crate) fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The Prometheus metrics text (admins).
    pub async fn metrics(&self, actor: &Actor) -> Result<String, ServiceError> {
        actor.check_admin("read the metrics")?;
        Ok(crate::metrics::render(self.store.count_active_leases().await?))
    }

    /// Whether the store answers (readiness).
    pub async fn ready(&self) -> Result<(), ServiceError> {
        Ok(self.store.ping().await?)
    }
}
