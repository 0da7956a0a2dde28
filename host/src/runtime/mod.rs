//! The sandboxed connector runtime: loads connector components and runs each call in a fresh,
//! budgeted store with only the vetted imports.

pub mod bindings;
mod cache;
mod engine;
mod error;
mod exports;
mod host;
pub mod limits;
mod memory_audit;
pub mod outbound;
mod pool;
mod ssh;
pub(crate) mod state;
mod stderr;
mod tls;

pub use cache::CompileCache;
pub use engine::PoolTuning;
pub use error::{CallError, LoadError};
pub use limits::{Limit, LimitExceeded, Limits};
pub use memory_audit::MemoryAudit;

use crate::credentials::{IssuedCredential, ReleasePolicy, release};
use crate::egress::{AddressPolicy, OriginPattern};
use crate::instance::Instance;
use bindings::{
    AutoConfiguration, AutoConfigureInput, ClientRequest, Connector, ConnectorError, ConnectorPre, ConnectorSpec,
    ResourceListing,
};
use exports::Export;
use outbound::Outbound;
use pool::{GuestPool, SpinHistory};
use serde::Serialize;
use sha2::{Digest, Sha256};
use state::CallState;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::sync::Semaphore;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Engine, Store, Trap, UpdateDeadline};

/// Largest spec (as JSON) a plugin may describe itself with: `list-types` serves it to everyone.
const MAX_SPEC_BYTES: usize = 256 << 10;
/// How long after its wall time a call is cut off from outside if the epoch callback has not
/// stopped it already.
const BACKSTOP_GRACE: std::time::Duration = std::time::Duration::from_millis(100);
/// Bytes kept of a connector's error message or crash output.
const MAX_ERROR_MESSAGE: usize = 4 << 10;

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
    /// Keep a copy of every guest memory (security reviews and tests only; see [`MemoryAudit`]).
    pub memory_audit: Option<MemoryAudit>,
    /// How pool slots are reset between calls.
    pub pool_tuning: PoolTuning,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            limits: Limits::default(),
            address_policy: AddressPolicy::default(),
            dns_overrides: HashMap::new(),
            cache_dir: None,
            max_concurrent_calls: 128,
            memory_audit: None,
            pool_tuning: PoolTuning::default(),
        }
    }
}

/// A loaded connector component, ready to be instantiated cheaply.
pub struct Plugin {
    pre: ConnectorPre<CallState>,
    /// The spec that governs this plugin: what `describe` returned at install, and on every
    /// later load the admin-approved spec from the store (a component that then describes
    /// itself differently is refused).
    pub spec: ConnectorSpec,
    /// SHA-256 of the component bytes (hex).
    pub sha256: String,
    /// Whether the compiled code came from the compile cache.
    pub from_cache: bool,
    /// When its guest code last spun: its calls then start on the guest pool for a while.
    spins: SpinHistory,
}

/// Runs connector components.
pub struct Runtime {
    engine: Engine,
    linker: Linker<CallState>,
    cache: Option<CompileCache>,
    limits: Limits,
    outbound: Arc<Outbound>,
    slots: Arc<Semaphore>,
    pool: GuestPool,
    pooled: bool,
}

/// A resource id a connector returned that the host will store (with a lease, as a
/// connector's own id) must be as clean as one a caller may send: not empty, at most 1 KiB, no
/// control characters (PostgreSQL cannot even hold a NUL).
pub fn storable_resource_id(id: &str) -> Result<(), CallError> {
    if id.is_empty() || id.len() > 1024 || id.chars().any(char::is_control) {
        return Err(CallError::BadResult(
            "a resource id it returned is empty, overlong or has control characters".into(),
        ));
    }
    Ok(())
}

impl Runtime {
    /// Build the engine, the linker with the host imports, the guest pool and the outbound client.
    pub fn new(options: RuntimeOptions) -> anyhow::Result<Runtime> {
        let wasmtime_error = |e: wasmtime::Error| anyhow::anyhow!("{e:#}");
        let (engine, pooled) = engine::build(
            options.max_concurrent_calls,
            options.limits.memory_bytes,
            options.memory_audit.as_ref(),
            options.pool_tuning,
        )
        .map_err(wasmtime_error)?;
        engine::start_ticker(&engine);
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(wasmtime_error)?;
        Connector::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |state| state)
            .map_err(wasmtime_error)?;
        let cache = options.cache_dir.as_deref().map(CompileCache::open).transpose()?;
        let outbound = Arc::new(Outbound::new(options.address_policy, options.dns_overrides)?);
        Ok(Runtime {
            engine,
            linker,
            cache,
            limits: options.limits,
            outbound,
            slots: Arc::new(Semaphore::new(options.max_concurrent_calls as usize)),
            pool: GuestPool::new()?,
            pooled,
        })
    }

    /// Whether the pooling allocator is in use.
    pub fn is_pooled(&self) -> bool {
        self.pooled
    }

    /// Compile (or fetch from the cache), link and describe a component that is being
    /// installed: its spec is what `describe` returns now, for an admin to review.
    pub async fn load(&self, wasm: &[u8]) -> Result<Plugin, LoadError> {
        let mut plugin = self.link(wasm)?;
        plugin.spec = self.describe_checked(&plugin).await?;
        Ok(plugin)
    }

    /// Load an installed component under the spec an admin approved. The component describes
    /// itself again; if it disagrees with `approved` in any way it is refused.
    pub async fn load_approved(&self, wasm: &[u8], approved: ConnectorSpec) -> Result<Plugin, LoadError> {
        let mut plugin = self.link(wasm)?;
        let described = self.describe_checked(&plugin).await?;
        if described != approved {
            return Err(LoadError::SpecChanged(approved.connector_type));
        }
        plugin.spec = approved;
        Ok(plugin)
    }

    /// Compile and link a component, refusing imports the host does not provide.
    fn link(&self, wasm: &[u8]) -> Result<Plugin, LoadError> {
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
        Ok(Plugin { pre, spec: empty_spec(), sha256, from_cache, spins: SpinHistory::default() })
    }

    /// `describe`, size-capped and validated.
    async fn describe_checked(&self, plugin: &Plugin) -> Result<ConnectorSpec, LoadError> {
        let instance = Arc::new(Instance::unconfigured(""));
        let spec = self.call(plugin, instance, exports::Describe, MAX_SPEC_BYTES).await.map_err(LoadError::Describe)?;
        validate_spec(&spec).map_err(LoadError::InvalidSpec)?;
        Ok(spec)
    }

    /// Call `canonical-resource-id`.
    pub async fn canonical_resource_id(
        &self,
        plugin: &Plugin,
        instance: Arc<Instance>,
        resource_type: &str,
        resource_id: &str,
    ) -> Result<String, CallError> {
        let export =
            exports::CanonicalResourceId { resource_type: resource_type.into(), resource_id: resource_id.into() };
        let canonical: String = self.call(plugin, instance, export, self.limits.max_result_bytes).await?;
        storable_resource_id(&canonical)?;
        Ok(canonical)
    }

    /// Call `verify`: authenticate and list reachable resources.
    pub async fn verify(
        &self,
        plugin: &Plugin,
        instance: Arc<Instance>,
        resource_type: Option<&str>,
        resource_id: Option<&str>,
    ) -> Result<Vec<ResourceListing>, CallError> {
        let export = exports::Verify {
            resource_type: resource_type.map(str::to_string),
            resource_id: resource_id.map(str::to_string),
        };
        self.call(plugin, instance, export, self.limits.max_result_bytes).await
    }

    /// Call `issue-client` and fill released secrets where `policy` allows.
    pub async fn issue_client(
        &self,
        plugin: &Plugin,
        instance: Arc<Instance>,
        request: &ClientRequest,
        policy: ReleasePolicy,
    ) -> Result<IssuedCredential, CallError> {
        let credential = self
            .call(plugin, instance.clone(), exports::IssueClient(request.clone()), self.limits.max_result_bytes)
            .await?;
        release(credential, &instance.releases, &instance.bindings, policy).map_err(CallError::BadResult)
    }

    /// Call `auto-configure` with the files and variables the host collected.
    pub async fn auto_configure(
        &self,
        plugin: &Plugin,
        input: &AutoConfigureInput,
    ) -> Result<AutoConfiguration, CallError> {
        let instance = Arc::new(Instance::unconfigured(&plugin.spec.connector_type));
        self.call(plugin, instance, exports::AutoConfigure(input.clone()), self.limits.max_result_bytes).await
    }

    /// Run one export in a fresh store: on the caller's executor until guest code spins, then
    /// on the guest pool (there from the start if the plugin spun recently). The wall-time
    /// budget is enforced twice: by the epoch callback inside guest code and by a timer around
    /// the task.
    async fn call<E: Export>(
        &self,
        plugin: &Plugin,
        instance: Arc<Instance>,
        export: E,
        max_result_bytes: usize,
    ) -> Result<E::Output, CallError> {
        let task = CallTask {
            engine: self.engine.clone(),
            pre: plugin.pre.clone(),
            outbound: self.outbound.clone(),
            limits: self.limits.clone(),
            slots: self.slots.clone(),
            instance: instance.clone(),
            spun: Arc::default(),
        };
        let spun = task.spun.clone();
        let outcome = self.pool.run(task.run(export, max_result_bytes), spun, &plugin.spins).await;
        let result = match outcome {
            Ok(Ok((value, call_warnings))) => {
                instance.warn(call_warnings);
                Ok(value)
            }
            Ok(Err(e)) => Err(e),
            Err(e) if e.is_panic() => Err(CallError::Trap("the host task running the connector panicked".into())),
            Err(_) => Err(CallError::Trap("the call was cancelled".into())),
        };
        let (code, limit) = match &result {
            Ok(_) => ("ok", None),
            Err(CallError::Limit(l)) => ("limit-exceeded", Some(l.limit.to_string())),
            Err(e) => (e.code(), None),
        };
        crate::metrics::plugin_call(&plugin.spec.connector_type, E::NAME, code, limit.as_deref());
        result
    }
}

/// Everything one call needs, owned, so it can run on the guest pool.
struct CallTask {
    engine: Engine,
    pre: ConnectorPre<CallState>,
    outbound: Arc<Outbound>,
    limits: Limits,
    slots: Arc<Semaphore>,
    instance: Arc<Instance>,
    /// Epoch ticks at which guest code had run a whole tick and yielded: from the first, the
    /// call runs on the pool.
    spun: Arc<AtomicU32>,
}

impl CallTask {
    /// Wait for a slot, then run the export within the wall-time budget.
    async fn run<E: Export>(self, export: E, max_result_bytes: usize) -> Result<(E::Output, Vec<String>), CallError> {
        let _permit = self.slots.clone().acquire_owned().await.expect("the call semaphore is never closed");
        let wall_time = self.limits.wall_time;
        // The epoch callback stops guest code at the deadline; this timer also covers time
        // spent in the host or waiting to be scheduled.
        let backstop = wall_time + BACKSTOP_GRACE;
        match tokio::time::timeout(backstop, self.run_in_store(export, max_result_bytes)).await {
            Ok(result) => result,
            Err(_) => Err(CallError::Limit(LimitExceeded::new(Limit::WallTime, format!("{wall_time:?}")))),
        }
    }

    async fn run_in_store<E: Export>(
        self,
        export: E,
        max_result_bytes: usize,
    ) -> Result<(E::Output, Vec<String>), CallError> {
        let mut store = Store::new(&self.engine, CallState::new(self.instance, self.outbound, &self.limits));
        store.limiter(|state| &mut state.limiter);
        // Every epoch tick: stop at the deadline; once guest code itself (not the host waiting
        // for the network) has run a whole tick, yield so other tasks run (and let the call move
        // to the guest pool).
        store.set_epoch_deadline(1);
        let spun = self.spun.clone();
        store.epoch_deadline_callback(move |mut context| {
            if context.data().budget.past_deadline() {
                return Ok(UpdateDeadline::Interrupt);
            }
            if !context.data_mut().guest_clock.ran(engine::EPOCH_TICK) {
                return Ok(UpdateDeadline::Continue(1));
            }
            spun.fetch_add(1, Ordering::Relaxed);
            Ok(UpdateDeadline::YieldCustom(1, Box::pin(tokio::task::yield_now())))
        });
        // The world's exports were type-checked when the plugin was loaded (`ConnectorPre`).
        let instance = match self.pre.instance_pre().instantiate_async(&mut store).await {
            Ok(instance) => instance,
            Err(e) => return Err(failure(&store, e)),
        };
        let result = export.invoke(&instance, &mut store).await;
        finish(&store, result, max_result_bytes)
    }
}

/// Map the guest's result. An exhausted budget fails the call whatever the guest returned
/// (and so do egress denials when the guest returned an error of its own); a result larger
/// than the host keeps is refused; denials during a successful call become warnings.
fn finish<T: Serialize>(
    store: &Store<CallState>,
    result: wasmtime::Result<Result<T, ConnectorError>>,
    max_result_bytes: usize,
) -> Result<(T, Vec<String>), CallError> {
    let state = store.data();
    let result = match result {
        Err(trap) => return Err(failure(store, trap)),
        Ok(result) => result,
    };
    if let Some(limit) = &state.budget.exhausted {
        return Err(CallError::Limit(limit.clone()));
    }
    match result {
        Ok(value) => {
            check_size(&value, max_result_bytes)?;
            Ok((value, state.budget.warnings()))
        }
        Err(error) => Err(match state.budget.denials.first() {
            Some(denial) => CallError::EgressDenied(denial.clone()),
            None => CallError::Connector(bounded_error(error)),
        }),
    }
}

/// Refuse a value whose JSON form exceeds `max` bytes, without building that JSON.
fn check_size<T: Serialize>(value: &T, max: usize) -> Result<(), LimitExceeded> {
    struct Counter {
        left: usize,
    }
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.left = self.left.checked_sub(buf.len()).ok_or_else(|| std::io::Error::other("too large"))?;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    serde_json::to_writer(Counter { left: max }, value)
        .map_err(|_| LimitExceeded::new(Limit::ResultBytes, format!("{max} bytes")))
}

/// A connector error with its message cut to a length the host passes on.
fn bounded_error(error: ConnectorError) -> ConnectorError {
    let cut = |m: String| state::truncate(&m, MAX_ERROR_MESSAGE);
    match error {
        ConnectorError::InvalidConfig(m) => ConnectorError::InvalidConfig(cut(m)),
        ConnectorError::Unauthorized(m) => ConnectorError::Unauthorized(cut(m)),
        ConnectorError::NotFound(m) => ConnectorError::NotFound(cut(m)),
        ConnectorError::Upstream(m) => ConnectorError::Upstream(cut(m)),
        ConnectorError::LimitExceeded(m) => ConnectorError::LimitExceeded(cut(m)),
        ConnectorError::Unsupported(m) => ConnectorError::Unsupported(cut(m)),
        ConnectorError::EgressDenied(m) => ConnectorError::EgressDenied(cut(m)),
    }
}

/// Explain a trap: a budget that ran out, or a crash with the tail of the guest's stderr.
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
    let stderr = match stderr.len() > MAX_ERROR_MESSAGE {
        true => format!("...{}", &stderr[stderr.ceil_char_boundary(stderr.len() - MAX_ERROR_MESSAGE)..]),
        false => stderr,
    };
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
                return Err(format!(
                    "auth method `{}` releases `{name}`, which is not one of its secret attributes",
                    method.auth_method
                ));
            }
        }
        for attr in &method.attributes {
            for origin in &attr.secret_hosts {
                OriginPattern::parse(origin)?;
            }
        }
        if let Some(b) = &method.expiration
            && !(b.min_seconds <= b.default_seconds && b.default_seconds <= b.max_seconds)
        {
            return Err(format!("auth method `{}` has expiration bounds out of order", method.auth_method));
        }
    }
    for origin in &spec.egress_hosts {
        OriginPattern::parse(origin)?;
    }
    Ok(())
}
