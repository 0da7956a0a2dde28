//! Driving the probe guest (`tests/guests/probe`) directly through a runtime: `verify(scenario,
//! target)` runs one escape attempt and returns what the probe saw.

use crate::probe_component;
use airlock::egress::{AddressPolicy, EgressPolicy};
use airlock::instance::{ConnectorConfig, Instance};
use airlock::runtime::{CallError, Limits, Plugin, Runtime, RuntimeOptions};
use std::sync::Arc;

/// Loopback (v4 and v6), which connectors may reach in these tests.
pub fn loopback() -> AddressPolicy {
    AddressPolicy::allowing(AddressPolicy::parse_cidrs("127.0.0.0/8,::1/128").unwrap())
}

/// A runtime built with `options` and the probe loaded in it.
pub async fn probe_with(options: RuntimeOptions) -> (Runtime, Plugin) {
    let runtime = Runtime::new(options).unwrap();
    let plugin = runtime.load(&probe_component()).await.unwrap();
    (runtime, plugin)
}

/// A runtime with `limits` that may reach loopback, and the probe loaded in it.
pub async fn probe(limits: Limits) -> (Runtime, Plugin) {
    probe_with(RuntimeOptions { limits, address_policy: loopback(), ..Default::default() }).await
}

/// A probe instance of the `token` auth method with these attributes.
pub fn instance(plugin: &Plugin, attributes: &[(&str, &str)]) -> Arc<Instance> {
    let config = ConnectorConfig::new(Some("token"), attributes.iter().copied());
    Arc::new(Instance::prepare(&plugin.spec, config, &EgressPolicy::default()).unwrap())
}

/// Run one scenario; what the probe reported.
pub async fn run(
    runtime: &Runtime,
    plugin: &Plugin,
    instance: Arc<Instance>,
    scenario: &str,
    target: &str,
) -> Result<Vec<String>, CallError> {
    let listings = runtime.verify(plugin, instance, Some(scenario), Some(target)).await?;
    Ok(listings.into_iter().next().unwrap().resource_ids)
}
