//! `airlock connector ...`: connector types, and verifying or issuing with a configuration
//! locally (without a server).

use super::{attrs, output};
use crate::builtin::BUILTIN;
use crate::credentials::ReleasePolicy;
use crate::egress::{AddressPolicy, EgressPolicy};
use crate::instance::{ConnectorConfig, Instance};
use crate::runtime::bindings::ClientRequest;
use crate::runtime::{Plugin, Runtime, RuntimeOptions};
use anyhow::{anyhow, Context};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum ConnectorCommand {
    /// List the available connector types.
    ListTypes {
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Describe a connector type, one of its resource types or one of its auth methods.
    DescribeType {
        /// The connector type (e.g. docker).
        connector_type: String,
        #[arg(short = 'r', long)]
        resource_type: Option<String>,
        #[arg(short = 'a', long)]
        auth_method: Option<String>,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Verify a configuration locally and list the resources it reaches.
    VerifyLocal {
        #[command(flatten)]
        target: LocalTarget,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Issue a client credential for one resource locally, from a configuration.
    ClientLocal {
        #[command(flatten)]
        target: LocalTarget,
        #[command(flatten)]
        output: output::OutputArgs,
    },
}

/// A connector configuration given on the command line.
#[derive(Debug, Args)]
pub struct LocalTarget {
    /// The connector type.
    connector_type: String,
    #[arg(short = 'a', long)]
    auth_method: Option<String>,
    #[arg(short = 'r', long)]
    resource_type: Option<String>,
    #[arg(long = "resource-id", visible_alias = "ri")]
    resource_id: Option<String>,
    /// Private or loopback ranges the connector may reach (comma-separated CIDRs).
    #[arg(long, env = "AIRLOCK_EGRESS_ALLOW_CIDRS", default_value = "")]
    allow_cidrs: String,
    /// Configuration attributes: --name=value, --name=@file.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "--ATTR=VALUE")]
    attributes: Vec<String>,
}

pub async fn run(command: ConnectorCommand) -> anyhow::Result<()> {
    match command {
        ConnectorCommand::ListTypes { output } => {
            let runtime = runtime(AddressPolicy::default())?;
            let mut specs = Vec::new();
            for (name, _) in BUILTIN {
                specs.push(load(&runtime, name).await?.spec);
            }
            output.print(&specs, || output::types_table(&specs))
        }
        ConnectorCommand::DescribeType { connector_type, resource_type, auth_method, output } => {
            let runtime = runtime(AddressPolicy::default())?;
            let spec = load(&runtime, &connector_type).await?.spec;
            output::describe_type(&spec, resource_type.as_deref(), auth_method.as_deref(), &output)
        }
        ConnectorCommand::VerifyLocal { target, output } => {
            let (runtime, plugin, instance) = prepare(&target).await?;
            let listings = runtime
                .verify(&plugin, instance, target.resource_type.as_deref(), target.resource_id.as_deref())
                .await?;
            output.print(&listings, || output::resources_table(&listings))
        }
        ConnectorCommand::ClientLocal { target, output } => {
            let (runtime, plugin, instance) = prepare(&target).await?;
            let resource_type = match (&target.resource_type, plugin.spec.resource_types.as_slice()) {
                (Some(rt), _) => rt.clone(),
                (None, [only]) => only.resource_type.clone(),
                (None, _) => return Err(anyhow!("this connector type has several resource types; choose one with --resource-type")),
            };
            let request = ClientRequest { resource_type, resource_id: target.resource_id.clone(), expiration_seconds: None };
            let credential = runtime.issue_client(&plugin, instance, &request, ReleasePolicy::AsDeclared).await?;
            output.print(&credential, || output::credential_table(&credential))
        }
    }
}

async fn prepare(target: &LocalTarget) -> anyhow::Result<(Runtime, Plugin, Arc<Instance>)> {
    let cidrs = AddressPolicy::parse_cidrs(&target.allow_cidrs).map_err(|e| anyhow!("--allow-cidrs: {e}"))?;
    let runtime = runtime(AddressPolicy::allowing(cidrs))?;
    let plugin = load(&runtime, &target.connector_type).await?;
    let config = ConnectorConfig::new(target.auth_method.as_deref(), attrs::parse(&target.attributes)?);
    let instance = Instance::prepare(&plugin.spec, config, &EgressPolicy::default())?;
    Ok((runtime, plugin, Arc::new(instance)))
}

fn runtime(address_policy: AddressPolicy) -> anyhow::Result<Runtime> {
    let options = RuntimeOptions { address_policy, cache_dir: cache_dir(), max_concurrent_calls: 16, ..Default::default() };
    Runtime::new(options)
}

async fn load(runtime: &Runtime, connector_type: &str) -> anyhow::Result<Plugin> {
    let (_, wasm) = BUILTIN.iter().find(|(name, _)| *name == connector_type).ok_or_else(|| {
        let known: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
        anyhow!("unknown connector type `{connector_type}` (available: {})", known.join(", "))
    })?;
    runtime.load(wasm).await.with_context(|| format!("loading the `{connector_type}` connector"))
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
