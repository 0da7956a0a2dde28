//! The sandboxed connector runtime: loads connector components and runs each call in a fresh,
//! budgeted store with only the vetted imports.

pub mod bindings;
mod cache;
mod engine;
mod error;
mod host;
pub mod limits;
pub(crate) mod state;

pub use cache::CompileCache;
pub use error::{CallError, LoadError};
pub use limits::{Limit, LimitExceeded, Limits};

use crate::credentials::{release, IssuedCredential, ReleasePolicy};
use crate::egress::{AddressPolicy, OriginPattern};
use crate::instance::Instance;
use crate::outbound::Outbound;
use bindings::{
    AutoConfiguration, AutoConfigureInput, ClientRequest, Connector, ConnectorError, ConnectorPre, ConnectorSpec,
    ResourceListing,
};
use sha2::{Digest, Sha256};
use state::CallState;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{Semaphore, SemaphorePermit};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Engine, Store, Trap};

/// Import namespaces the host provides. WASI file system, environment and sockets are linked
/// with nothing behind them: no preopened directories, no variables, no network.
const PROVIDED_IMPORTS: &[&str] = &[
    "airlock:connector/",
    "wasi:cli/",
    "wasi:io/",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:filesystem/",
    "wasi:sockets/",
];

/// How to build a [`Runtime`].
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    pub limits: Limits,
    /// Private/loopback ranges connectors may reach (everything special is denied otherwise).
    pub address_policy: AddressPolicy,
    /// Names pinned to addresses (checked like any other resolution).
    pub dns_overrides: HashMap<String, Vec<IpAddr>>,
    /// Where compiled components are cached; `None` compiles on every load.
    pub cache_dir: Option<PathBuf>,
    /// Calls running at once; further calls wait for a slot.
    pub max_concurrent_calls: u32,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            limits: Limits::default(),
            address_policy: AddressPolicy::default(),
            dns_overrides: HashMap::new(),
            cache_dir: None,
            max_concurrent_calls: 128,
        }
    }
}

/// A loaded connector component, ready to be instantiated cheaply.
pub struct Plugin {
    pre: ConnectorPre<CallState>,
    /// What `describe` returned when the plugin was loaded.
    pub spec: ConnectorSpec,
    /// SHA-256 of the component bytes (hex).
    pub sha256: String,
    /// Whether the compiled code came from the compile cache.
    pub from_cache: bool,
}

/// Runs connector components.
pub struct Runtime {
    engine: Engine,
    linker: Linker<CallState>,
    cache: Option<CompileCache>,
    limits: Limits,
    outbound: Arc<Outbound>,
    slots: Semaphore,
    pooled: bool,
}

impl Runtime {
    /// Build the engine, the linker with the host imports and the outbound client.
    pub fn new(options: RuntimeOptions) -> anyhow::Result<Runtime> {
        let wasmtime_error = |e: wasmtime::Error| anyhow::anyhow!("{e:#}");
        let (engine, pooled) =
            engine::build(options.max_concurrent_calls, options.limits.memory_bytes).map_err(wasmtime_error)?;
        engine::start_ticker(&engine);
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(wasmtime_error)?;
        Connector::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |state| state).map_err(wasmtime_error)?;
        let cache = options.cache_dir.as_deref().map(CompileCache::open).transpose()?;
        let outbound = Arc::new(Outbound::new(options.address_policy, options.dns_overrides)?);
        Ok(Runtime {
            engine,
            linker,
            cache,
            limits: options.limits,
            outbound,
            slots: Semaphore::new(options.max_concurrent_calls as usize),
            pooled,
        })
    }

    /// Whether the pooling allocator is in use.
    pub fn is_pooled(&self) -> bool {
        self.pooled
    }

    /// Compile (or fetch from the cache), link and describe a component.
    pub async fn load(&self, wasm: &[u8]) -> Result<Plugin, LoadError> {
        let sha256 = hex::encode(Sha256::digest(wasm));
        let (component, from_cache) = match &self.cache {
            Some(cache) => cache.load(&self.engine, wasm),
            None => Component::new(&self.engine, wasm).map(|c| (c, false)),
        }
        .map_err(|e| LoadError::Malformed(format!("{e:#}")))?;
        let unsupported: Vec<String> = component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_string())
            .filter(|name| !PROVIDED_IMPORTS.iter().any(|p| name.starts_with(p)))
            .map(|name| format!("`{name}`"))
            .collect();
        if !unsupported.is_empty() {
            return Err(LoadError::UnsupportedImports(unsupported));
        }
        let pre = self.linker.instantiate_pre(&component).map_err(|e| LoadError::WrongWorld(format!("{e:#}")))?;
        let pre = ConnectorPre::new(pre).map_err(|e| LoadError::WrongWorld(format!("{e:#}")))?;
        let mut plugin = Plugin { pre, spec: empty_spec(), sha256, from_cache };
        plugin.spec = self.describe(&plugin).await.map_err(LoadError::Describe)?;
        validate_spec(&plugin.spec).map_err(LoadError::InvalidSpec)?;
        Ok(plugin)
    }

    /// Call `describe`.
    pub async fn describe(&self, plugin: &Plugin) -> Result<ConnectorSpec, CallError> {
        let mut call = self.start(plugin, Arc::new(Instance::unconfigured(""))).await?;
        let result = call.connector.call_describe(&mut call.store).await.map(Ok);
        call.finish(result)
    }

    /// Call `canonical-resource-id`.
    pub async fn canonical_resource_id(&self, plugin: &Plugin, instance: Arc<Instance>, resource_type: &str, resource_id: &str) -> Result<String, CallError> {
        let mut call = self.start(plugin, instance).await?;
        let result = call.connector.call_canonical_resource_id(&mut call.store, resource_type, resource_id).await;
        call.finish(result)
    }

    /// Call `verify`: authenticate and list reachable resources.
    pub async fn verify(&self, plugin: &Plugin, instance: Arc<Instance>, resource_type: Option<&str>, resource_id: Option<&str>) -> Result<Vec<ResourceListing>, CallError> {
        let mut call = self.start(plugin, instance).await?;
        let result = call.connector.call_verify(&mut call.store, resource_type, resource_id).await;
        call.finish(result)
    }

    /// Call `issue-client` and fill released secrets where `policy` allows.
    pub async fn issue_client(&self, plugin: &Plugin, instance: Arc<Instance>, request: &ClientRequest, policy: ReleasePolicy) -> Result<IssuedCredential, CallError> {
        let mut call = self.start(plugin, instance.clone()).await?;
        let result = call.connector.call_issue_client(&mut call.store, request).await;
        let credential = call.finish(result)?;
        release(credential, &instance.releases, &instance.bindings, policy).map_err(CallError::BadResult)
    }

    /// Call `auto-configure` with the files and variables the host collected.
    pub async fn auto_configure(&self, plugin: &Plugin, input: &AutoConfigureInput) -> Result<AutoConfiguration, CallError> {
        let instance = Arc::new(Instance::unconfigured(&plugin.spec.connector_type));
        let mut call = self.start(plugin, instance).await?;
        let result = call.connector.call_auto_configure(&mut call.store, input).await;
        call.finish(result)
    }

    /// A fresh store and instance for one call.
    async fn start(&self, plugin: &Plugin, instance: Arc<Instance>) -> Result<Call<'_>, CallError> {
        let permit = self.slots.acquire().await.expect("the call semaphore is never closed");
        let mut store = Store::new(&self.engine, CallState::new(instance, self.outbound.clone(), &self.limits));
        store.limiter(|state| &mut state.limiter);
        let ticks = self.limits.wall_time.as_millis() / engine::EPOCH_TICK.as_millis() + 1;
        store.set_epoch_deadline(ticks as u64);
        store.epoch_deadline_trap();
        match plugin.pre.instantiate_async(&mut store).await {
            Ok(connector) => Ok(Call { store, connector, _permit: permit }),
            Err(e) => Err(failure(&store, e)),
        }
    }
}

/// One call in progress: its store, its instance and its concurrency slot.
struct Call<'a> {
    store: Store<CallState>,
    connector: Connector,
    _permit: SemaphorePermit<'a>,
}

impl Call<'_> {
    /// Map the guest's result, reporting exhausted budgets and egress denials first: a guest
    /// cannot hide them by returning some other error.
    fn finish<T>(self, result: wasmtime::Result<Result<T, ConnectorError>>) -> Result<T, CallError> {
        let state = self.store.data();
        match result {
            Err(trap) => Err(failure(&self.store, trap)),
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(match (&state.budget.exhausted, state.budget.denials.first()) {
                (Some(limit), _) => CallError::Limit(limit.clone()),
                (None, Some(denial)) => CallError::EgressDenied(denial.clone()),
                (None, None) => CallError::Connector(error),
            }),
        }
    }
}

/// Explain a trap: a budget that ran out, or a crash with the guest's stderr.
fn failure(store: &Store<CallState>, error: wasmtime::Error) -> CallError {
    let state = store.data();
    if state.limiter.exceeded {
        return CallError::Limit(state.limiter.error());
    }
    if error.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
        return CallError::Limit(LimitExceeded::new(Limit::WallTime, format!("{:?}", state.budget.wall_time())));
    }
    if let Some(limit) = &state.budget.exhausted {
        return CallError::Limit(limit.clone());
    }
    let stderr = String::from_utf8_lossy(&state.stderr.contents()).trim().to_string();
    let message = match stderr.is_empty() {
        true => format!("{error:#}"),
        false => format!("{error:#}; the connector wrote: {stderr}"),
    };
    CallError::Trap(host::redact(message, state.instance.bindings.values()))
}

fn empty_spec() -> ConnectorSpec {
    ConnectorSpec {
        connector_type: String::new(),
        name: String::new(),
        description: String::new(),
        emoji: String::new(),
        logo_url: None,
        docs_url: None,
        resource_types: Vec::new(),
        auth_methods: Vec::new(),
        supports_auto_configuration: false,
        auto_configure_files: Vec::new(),
        auto_configure_env: Vec::new(),
        egress_hosts: Vec::new(),
    }
}

/// The checks a spec must pass before the plugin is usable.
fn validate_spec(spec: &ConnectorSpec) -> Result<(), String> {
    let id_ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !id_ok(&spec.connector_type) {
        return Err(format!("connector type `{}` must be lower-case letters, digits and dashes", spec.connector_type));
    }
    let mut seen = std::collections::HashSet::new();
    for rt in &spec.resource_types {
        if !id_ok(&rt.resource_type) || !seen.insert(&rt.resource_type) {
            return Err(format!("resource type `{}` is malformed or listed twice", rt.resource_type));
        }
        if let Some(m) = rt.auth_methods.iter().find(|m| !spec.auth_methods.iter().any(|a| &&a.auth_method == m)) {
            return Err(format!("resource type `{}` names the unknown auth method `{m}`", rt.resource_type));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for method in &spec.auth_methods {
        if !id_ok(&method.auth_method) || !seen.insert(&method.auth_method) {
            return Err(format!("auth method `{}` is malformed or listed twice", method.auth_method));
        }
        for name in &method.releases_secrets {
            if !method.attributes.iter().any(|a| &a.name == name && a.secret) {
                return Err(format!("auth method `{}` releases `{name}`, which is not one of its secret attributes", method.auth_method));
            }
        }
        for attr in &method.attributes {
            for origin in &attr.secret_hosts {
                OriginPattern::parse(origin)?;
            }
        }
        if let Some(b) = &method.expiration {
            if !(b.min_seconds <= b.default_seconds && b.default_seconds <= b.max_seconds) {
                return Err(format!("auth method `{}` has expiration bounds out of order", method.auth_method));
            }
        }
    }
    for origin in &spec.egress_hosts {
        OriginPattern::parse(origin)?;
    }
    Ok(())
}
