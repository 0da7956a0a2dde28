//! Helpers for Airlock's end-to-end tests: the purpose-built guest components, a loopback HTTP
//! server with hostile endpoints, a real `docker-registry` with htpasswd auth, and the `airlock`
//! binary.

pub mod arm;
pub mod azurite;
pub mod bench;
pub mod entra;
pub mod fixture_server;
pub mod gcs;
pub mod google;
pub mod kubernetes;
pub mod moto;
pub mod oauth2;
pub mod oci;
pub mod probe;
pub mod registry;
pub mod server;
pub mod sshd;

use airlock::credentials::{IssuedCredential, ReleasePolicy};
use airlock::egress::{AddressPolicy, EgressPolicy};
use airlock::instance::{ConnectorConfig, Instance};
use airlock::runtime::bindings::ClientRequest;
use airlock::runtime::{CallError, MemoryAudit, Plugin, Runtime, RuntimeOptions};
use std::path::PathBuf;
use std::sync::Arc;

/// A runtime that may reach loopback, with one built-in connector loaded.
pub async fn builtin_plugin(name: &str) -> (Runtime, Plugin) {
    builtin_with(name, None).await
}

/// The same with a memory audit: every guest memory is kept for [`in_memories`].
pub async fn audited_builtin(name: &str) -> (Runtime, Plugin, MemoryAudit) {
    let audit = MemoryAudit::default();
    let (runtime, plugin) = builtin_with(name, Some(audit.clone())).await;
    (runtime, plugin, audit)
}

async fn builtin_with(name: &str, memory_audit: Option<MemoryAudit>) -> (Runtime, Plugin) {
    let options = RuntimeOptions {
        address_policy: AddressPolicy::allowing(AddressPolicy::parse_cidrs("127.0.0.0/8").unwrap()),
        memory_audit,
        ..Default::default()
    };
    let runtime = Runtime::new(options).unwrap();
    let wasm = airlock::builtin::BUILTIN.iter().find(|(n, _)| *n == name).expect("a built-in connector").1;
    let plugin = runtime.load(wasm).await.unwrap();
    (runtime, plugin)
}

/// Whether any of the audited memories holds `needle`.
pub fn in_memories(memories: &[Vec<u8>], needle: &str) -> bool {
    memories.iter().any(|m| m.windows(needle.len()).any(|w| w == needle.as_bytes()))
}

/// Issue a client credential for one resource, releasing secrets as the auth method declares.
pub async fn issue(
    runtime: &Runtime,
    plugin: &Plugin,
    inst: Arc<Instance>,
    resource_type: &str,
    resource_id: Option<&str>,
    expiration_seconds: Option<u64>,
) -> Result<IssuedCredential, CallError> {
    let request = ClientRequest {
        resource_type: resource_type.into(),
        resource_id: resource_id.map(str::to_string),
        expiration_seconds,
    };
    runtime.issue_client(plugin, inst, &request, ReleasePolicy::AsDeclared).await
}

/// The value of one attribute of an issued credential (panics when it has none).
pub fn attr<'a>(credential: &'a IssuedCredential, name: &str) -> &'a str {
    &credential.attributes.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no attribute `{name}`")).1.value
}

/// A prepared instance of `plugin` (panics on an invalid configuration).
pub fn instance(plugin: &Plugin, method: Option<&str>, attributes: &[(&str, &str)]) -> Arc<Instance> {
    let config = ConnectorConfig::new(method, attributes.iter().copied());
    Arc::new(Instance::prepare(&plugin.spec, config, &EgressPolicy::default()).unwrap())
}

/// A purpose-built guest component (built by `build.rs` from `tests/guests/<name>`).
pub fn guest_component(name: &str) -> Vec<u8> {
    let path = match name {
        "probe" => env!("AIRLOCK_GUEST_PROBE"),
        "shifty" => env!("AIRLOCK_GUEST_SHIFTY"),
        "bloat" => env!("AIRLOCK_GUEST_BLOAT"),
        other => panic!("no guest `{other}` under tests/guests"),
    };
    std::fs::read(path).expect("the guest was built by build.rs")
}

/// `wasm` signed with `key` (a wasmsign2 signature section).
pub fn sign_component(wasm: &[u8], key: &wasmsign2::KeyPair) -> Vec<u8> {
    let module = wasmsign2::Module::deserialize(&mut std::io::Cursor::new(wasm)).unwrap();
    let signed = key.sk.sign(module, None).unwrap();
    let mut bytes = Vec::new();
    signed.serialize(&mut bytes).unwrap();
    bytes
}

/// The probe guest component: tries every escape the sandbox must stop.
pub fn probe_component() -> Vec<u8> {
    guest_component("probe")
}

/// The `airlock` binary of this build (built by `cargo test` for the `airlock` package).
pub fn airlock_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let bin = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>").join("airlock");
    assert!(bin.exists(), "{} is missing: run the tests with `cargo test` from the workspace root", bin.display());
    // `cargo test -p airlock-tests` alone rebuilds the library but not the binary.
    let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let newest_lib = std::fs::read_dir(bin.parent().unwrap().join("deps"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("libairlock-")))
        .filter_map(|p| modified(&p))
        .max();
    assert!(
        newest_lib <= modified(&bin),
        "{} is older than the airlock library: run `cargo build -p airlock` (or the whole `cargo test`)",
        bin.display()
    );
    bin
}

/// An address that accepts TCP connections and never answers (a registry that hangs); lives
/// as long as the calling test's runtime.
pub async fn black_hole() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    address
}

/// The value of one attribute of an issued client (`{"credential": {"attributes": [[name, {value}]]}}`).
pub fn issued_attribute(issued: &serde_json::Value, name: &str) -> serde_json::Value {
    let attributes = issued["credential"]["attributes"].as_array().expect("an issued credential");
    attributes.iter().find(|pair| pair[0] == name).unwrap_or_else(|| panic!("no attribute `{name}`"))[1]["value"]
        .clone()
}

/// Whether an executable is on PATH; tests that need one fail with this message otherwise.
pub fn require_tool(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(name)).find(|p| p.is_file()))
        .unwrap_or_else(|| panic!("`{name}` is not installed; `.ci/run` installs it (see README)"))
}

/// A loopback port that is free right now (for a service a test starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Wait until something listens on 127.0.0.1:`port` (a service a test just started).
pub fn wait_for_port(port: u16, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "{what} did not start on port {port}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The kubeconfig at `path` as the real `kubectl` reads it (`kubectl config view --raw`).
pub fn kubectl_view(path: &std::path::Path) -> serde_json::Value {
    let view = std::process::Command::new(require_tool("kubectl"))
        .args(["config", "view", "--raw", "-o", "json", "--kubeconfig"])
        .arg(path)
        .output()
        .unwrap();
    assert!(view.status.success(), "kubectl: {}", String::from_utf8_lossy(&view.stderr));
    serde_json::from_slice(&view.stdout).unwrap()
}

/// Run async test bodies `fn(StoreKind)` once on SQLite and once on a fresh PostgreSQL database
/// (modules `sqlite` and `postgres`, one test each).
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::server::StoreKind::Sqlite).await }
            )*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::server::StoreKind::Postgres($crate::server::fresh_postgres_database())).await
            }
            )*
        }
    };
}
