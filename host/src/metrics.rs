//! Prometheus metrics of what the server does: issuances, connector calls, upstream latency,
//! sandbox limits hit, egress denials, store latency and live leases. Served as text at
//! `/metrics` to admins (`prometheus-client`'s encoder).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::LazyLock;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Issuance {
    connector_type: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PluginCall {
    connector_type: String,
    export: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConnectorType {
    connector_type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimitLabel {
    limit: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DenialKind {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreOperation {
    operation: String,
}

fn latency() -> Histogram {
    // 0.5 ms to ~16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The server's metrics.
struct Metrics {
    registry: Registry,
    issuances: Family<Issuance, Counter>,
    plugin_calls: Family<PluginCall, Counter>,
    upstream_seconds: Family<ConnectorType, Histogram, fn() -> Histogram>,
    limit_hits: Family<LimitLabel, Counter>,
    egress_denials: Family<DenialKind, Counter>,
    store_seconds: Family<StoreOperation, Histogram, fn() -> Histogram>,
    active_leases: Gauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("airlock");
    let issuances = Family::default();
    registry.register(
        "issuances",
        "Client credentials issued, by connector type and outcome (minted, reused, failed)",
        issuances.clone(),
    );
    let plugin_calls = Family::default();
    registry.register(
        "plugin_calls",
        "Connector component calls, by connector type, export and outcome",
        plugin_calls.clone(),
    );
    let upstream_seconds = Family::<ConnectorType, Histogram, fn() -> Histogram>::new_with_constructor(latency);
    registry.register(
        "upstream_request_duration_seconds",
        "Connector requests to upstream services, by connector type",
        upstream_seconds.clone(),
    );
    let limit_hits = Family::default();
    registry.register(
        "sandbox_limit_hits",
        "Connector calls stopped by a sandbox budget, by limit",
        limit_hits.clone(),
    );
    let egress_denials = Family::default();
    registry.register(
        "egress_denials",
        "Connector requests the egress gate refused, by kind (origin, address, redirect)",
        egress_denials.clone(),
    );
    let store_seconds = Family::<StoreOperation, Histogram, fn() -> Histogram>::new_with_constructor(latency);
    registry.register(
        "store_operation_duration_seconds",
        "Store operations on the request path, by operation",
        store_seconds.clone(),
    );
    let active_leases = Gauge::default();
    registry.register(
        "active_leases",
        "Leases that are neither revoked nor expired (read when scraped)",
        active_leases.clone(),
    );
    Metrics {
        registry,
        issuances,
        plugin_calls,
        upstream_seconds,
        limit_hits,
        egress_denials,
        store_seconds,
        active_leases,
    }
});

/// An issuance: `minted`, `reused` or `failed`.
pub fn issuance(connector_type: &str, outcome: &str) {
    let labels = Issuance { connector_type: connector_type.into(), outcome: outcome.into() };
    METRICS.issuances.get_or_create(&labels).inc();
}

/// A connector call and how it ended (`ok` or an error code); a budget that ran out is also a limit hit.
pub fn plugin_call(connector_type: &str, export: &str, outcome: &str, limit: Option<&str>) {
    let labels = PluginCall { connector_type: connector_type.into(), export: export.into(), outcome: outcome.into() };
    METRICS.plugin_calls.get_or_create(&labels).inc();
    if let Some(limit) = limit {
        METRICS.limit_hits.get_or_create(&LimitLabel { limit: limit.into() }).inc();
    }
}

/// One upstream exchange of a connector.
pub fn upstream(connector_type: &str, started: Instant) {
    let labels = ConnectorType { connector_type: connector_type.into() };
    METRICS.upstream_seconds.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
}

/// An egress denial, classified from the gate's reason.
pub fn egress_denied(reason: &str) {
    // Address denials name the setting that allows the range; the others are about origins.
    let kind = if reason.contains("redirect") {
        "redirect"
    } else if reason.contains("AIRLOCK_EGRESS_ALLOW_CIDRS") {
        "address"
    } else {
        "origin"
    };
    METRICS.egress_denials.get_or_create(&DenialKind { kind: kind.into() }).inc();
}

/// Time a store operation on the request path.
pub async fn store<T>(operation: &'static str, future: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let result = future.await;
    let labels = StoreOperation { operation: operation.into() };
    METRICS.store_seconds.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
    result
}

/// The metrics in the Prometheus text format, with the live lease count just read.
pub fn render(active_leases: i64) -> String {
    METRICS.active_leases.set(active_leases);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &METRICS.registry).expect("writing to a String cannot fail");
    text
}
