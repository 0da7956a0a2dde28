//! `airlock connector ...`: the ZenML-style connector workflow against the server, plus local
//! verbs that run the built-in connectors in the CLI's own sandbox.

use super::client::{ServerArgs, with_spinner};
use super::{attrs, embedded, login, output, prompt};
use crate::credentials::ReleasePolicy;
use crate::egress::EgressPolicy;
use crate::instance::{ConnectorConfig, Instance};
use crate::runtime::bindings::{ClientRequest, ConnectorSpec, ResourceListing};
use crate::service::{ConnectorResources, ConnectorView, IssuedClient};
use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum ConnectorCommand {
    /// List the connector types (the server's, or the built-in ones when no server is configured).
    ListTypes {
        /// Only this connector type.
        #[arg(short = 't', long = "type")]
        connector_type: Option<String>,
        /// Only types with this resource type.
        #[arg(short = 'r', long)]
        resource_type: Option<String>,
        /// Only types with this auth method.
        #[arg(short = 'a', long)]
        auth_method: Option<String>,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Describe a connector type, one of its resource types or one of its auth methods.
    DescribeType {
        connector_type: String,
        #[arg(short = 'r', long)]
        resource_type: Option<String>,
        #[arg(short = 'a', long)]
        auth_method: Option<String>,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Register a connector (verified first unless --no-verify).
    Register(RegisterArgs),
    /// List connectors.
    List {
        #[arg(short = 't', long = "type")]
        connector_type: Option<String>,
        #[arg(short = 'r', long)]
        resource_type: Option<String>,
        #[arg(short = 'a', long)]
        auth_method: Option<String>,
        /// Substring of the name.
        #[arg(long)]
        name: Option<String>,
        /// `key` or `key=value` (repeatable; all must match).
        #[arg(short = 'l', long = "label")]
        labels: Vec<String>,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Describe a connector, or with --client (or -r/--resource-id) the client credential it
    /// issues for one resource.
    Describe {
        connector: String,
        #[arg(short = 'c', long)]
        client: bool,
        #[command(flatten)]
        scope: Scope,
        #[arg(long)]
        expiration_seconds: Option<i64>,
        /// Mint a fresh credential instead of reusing a valid one.
        #[arg(long)]
        no_reuse: bool,
        /// Show secret values of the issued credential.
        #[arg(short = 'x', long)]
        show_secrets: bool,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Update a connector (attributes are merged; verified again unless --no-verify).
    Update(UpdateArgs),
    /// Delete a connector.
    Delete { connector: String },
    /// Verify a connector and list the resources it reaches.
    Verify {
        connector: String,
        #[command(flatten)]
        scope: Scope,
        /// Only say whether the credentials are valid; print no resources.
        #[arg(short = 'v', long)]
        verify_only: bool,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// List resources across every connector you may use.
    ListResources {
        #[arg(short = 'c', long = "connector-type")]
        connector_type: Option<String>,
        #[command(flatten)]
        scope: Scope,
        /// Leave out connectors that failed.
        #[arg(short = 'e', long)]
        exclude_errors: bool,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Configure a local client from a connector: docker/skopeo credentials, an AWS CLI profile
    /// or a kubeconfig context.
    Login {
        connector: String,
        #[command(flatten)]
        scope: Scope,
        #[command(flatten)]
        targets: login::Targets,
    },
    /// Verify a configuration locally with a built-in connector (no server).
    VerifyLocal {
        #[command(flatten)]
        target: LocalTarget,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Issue a client credential locally with a built-in connector (no server).
    ClientLocal {
        #[command(flatten)]
        target: LocalTarget,
        #[command(flatten)]
        output: output::OutputArgs,
    },
}

/// A resource type and id to narrow a verb to.
#[derive(Debug, Args, Clone, Default)]
pub struct Scope {
    #[arg(short = 'r', long)]
    pub resource_type: Option<String>,
    #[arg(long = "resource-id", visible_alias = "ri")]
    pub resource_id: Option<String>,
}

impl Scope {
    fn query(&self) -> String {
        let mut params = form_urlencoded::Serializer::new(String::new());
        if let Some(rt) = &self.resource_type {
            params.append_pair("resource_type", rt);
        }
        if let Some(id) = &self.resource_id {
            params.append_pair("resource_id", id);
        }
        let query = params.finish();
        if query.is_empty() { query } else { format!("?{query}") }
    }
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// The connector's name.
    name: Option<String>,
    #[arg(short = 't', long = "type")]
    connector_type: Option<String>,
    #[arg(short = 'a', long)]
    auth_method: Option<String>,
    #[command(flatten)]
    scope: Scope,
    #[arg(short = 'd', long)]
    description: Option<String>,
    /// `key=value` (repeatable).
    #[arg(short = 'l', long = "label")]
    labels: Vec<String>,
    #[arg(long)]
    expiration_seconds: Option<i64>,
    /// Unix seconds after which the connector's own credentials are expired.
    #[arg(long)]
    expires_at: Option<i64>,
    #[arg(long)]
    expires_skew_tolerance: Option<i64>,
    /// Let other users see and use the connector.
    #[arg(long)]
    shared: bool,
    #[arg(long)]
    no_verify: bool,
    /// Prompt for everything (secrets hidden).
    #[arg(short = 'i', long)]
    interactive: bool,
    /// Take the configuration from local files and environment (built-in types).
    #[arg(long)]
    auto_configure: bool,
    #[command(flatten)]
    output: output::OutputArgs,
    /// Configuration attributes: --name=value, --name=@file.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "--ATTR=VALUE")]
    attributes: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    connector: String,
    #[arg(long = "name")]
    new_name: Option<String>,
    #[arg(short = 'a', long)]
    auth_method: Option<String>,
    #[command(flatten)]
    scope: Scope,
    #[arg(short = 'd', long)]
    description: Option<String>,
    /// `key=value` to set, `key` alone to remove (repeatable).
    #[arg(short = 'l', long = "label")]
    labels: Vec<String>,
    #[arg(long)]
    expiration_seconds: Option<i64>,
    #[arg(long)]
    expires_at: Option<i64>,
    #[arg(long)]
    expires_skew_tolerance: Option<i64>,
    #[arg(long)]
    shared: Option<bool>,
    /// Attributes to remove (repeatable).
    #[arg(long = "remove-attr")]
    remove_attributes: Vec<String>,
    #[arg(long)]
    no_verify: bool,
    #[command(flatten)]
    output: output::OutputArgs,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "--ATTR=VALUE")]
    attributes: Vec<String>,
}

/// A configuration given on the command line for the local verbs.
#[derive(Debug, Args)]
pub struct LocalTarget {
    connector_type: String,
    #[arg(short = 'a', long)]
    auth_method: Option<String>,
    #[command(flatten)]
    scope: Scope,
    /// Private or loopback ranges the connector may reach (comma-separated CIDRs).
    #[arg(long, env = "AIRLOCK_EGRESS_ALLOW_CIDRS", default_value = "")]
    allow_cidrs: String,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "--ATTR=VALUE")]
    attributes: Vec<String>,
}

pub async fn run(command: ConnectorCommand, server: &ServerArgs) -> anyhow::Result<()> {
    match command {
        ConnectorCommand::ListTypes { connector_type, resource_type, auth_method, output } => {
            let mut specs = types(server).await?;
            specs.retain(|s| {
                connector_type.as_ref().is_none_or(|t| *t == s.connector_type)
                    && resource_type.as_ref().is_none_or(|rt| s.resource_types.iter().any(|r| r.resource_type == *rt))
                    && auth_method.as_ref().is_none_or(|a| s.auth_methods.iter().any(|m| m.auth_method == *a))
            });
            output.print(&specs, || output::types_table(&specs))
        }
        ConnectorCommand::DescribeType { connector_type, resource_type, auth_method, output } => {
            let built_in =
                || async { anyhow::Ok(embedded::load(&embedded::runtime("")?, &connector_type).await?.spec) };
            let spec = match server.configured() {
                true => match server.client()?.get(&format!("/connector-types/{connector_type}")).await {
                    Err(e) if unreachable(&e) => {
                        eprintln!("({e:#}: describing the built-in type)");
                        built_in().await?
                    }
                    answer => answer?,
                },
                false => built_in().await?,
            };
            output::describe_type(&spec, resource_type.as_deref(), auth_method.as_deref(), &output)
        }
        ConnectorCommand::Register(args) => register(args, server).await,
        ConnectorCommand::List { connector_type, resource_type, auth_method, name, labels, output } => {
            let mut params = form_urlencoded::Serializer::new(String::new());
            for (key, value) in [
                ("connector_type", connector_type),
                ("resource_type", resource_type),
                ("auth_method", auth_method),
                ("name", name),
            ] {
                if let Some(value) = value {
                    params.append_pair(key, &value);
                }
            }
            if !labels.is_empty() {
                params.append_pair("labels", &labels.join(","));
            }
            let connectors: Vec<ConnectorView> =
                server.client()?.get(&format!("/connectors?{}", params.finish())).await?;
            output.print(&connectors, || output::connectors_table(&connectors))
        }
        ConnectorCommand::Describe { connector, client, scope, expiration_seconds, no_reuse, show_secrets, output } => {
            let api = server.client()?;
            if client || scope.resource_type.is_some() || scope.resource_id.is_some() {
                let issued = issue(&api, &connector, &scope, expiration_seconds, no_reuse).await?;
                return output.print(&issued, || output::issued_table(&issued, show_secrets));
            }
            let view: ConnectorView = api.get(&format!("/connectors/{connector}")).await?;
            output.print(&view, || output::connector_table(&view))
        }
        ConnectorCommand::Update(args) => update(args, server).await,
        ConnectorCommand::Delete { connector } => {
            server.client()?.delete(&format!("/connectors/{connector}")).await?;
            eprintln!("Deleted connector `{connector}`.");
            Ok(())
        }
        ConnectorCommand::Verify { connector, scope, verify_only, output } => {
            let api = server.client()?;
            let path = format!("/connectors/{connector}/verify{}", scope.query());
            let listings: Vec<ResourceListing> = with_spinner("verifying", api.post(&path, &json!({}))).await?;
            eprintln!("Connector `{connector}` is valid.");
            if verify_only {
                return Ok(());
            }
            output.print(&listings, || output::resources_table(&listings))
        }
        ConnectorCommand::ListResources { connector_type, scope, exclude_errors, output } => {
            if scope.resource_type.is_none() && scope.resource_id.is_none() {
                eprintln!(
                    "Listing every resource of every connector; this may take a while (narrow it with -r/--resource-id)."
                );
            }
            let mut query = scope.query();
            if let Some(t) = connector_type {
                query = format!(
                    "{}{}connector_type={}",
                    query,
                    if query.is_empty() { "?" } else { "&" },
                    form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>()
                );
            }
            let api = server.client()?;
            let mut results: Vec<ConnectorResources> =
                with_spinner("listing resources", api.get(&format!("/resources{query}"))).await?;
            if exclude_errors {
                results.retain(|r| r.error.is_none());
            }
            output.print(&results, || output::all_resources_table(&results))
        }
        ConnectorCommand::Login { connector, scope, targets } => {
            let issued = issue(&server.client()?, &connector, &scope, None, false).await?;
            let helper = login::Helper {
                program: std::env::current_exe().context("cannot find the airlock executable")?,
                url: server.url(),
                connector,
            };
            login::configure(&helper, &issued.credential, targets)
        }
        ConnectorCommand::VerifyLocal { target, output } => {
            let (runtime, plugin, instance) = prepare_local(&target).await?;
            let listings = runtime
                .verify(&plugin, instance, target.scope.resource_type.as_deref(), target.scope.resource_id.as_deref())
                .await?;
            output.print(&listings, || output::resources_table(&listings))
        }
        ConnectorCommand::ClientLocal { target, output } => {
            let (runtime, plugin, instance) = prepare_local(&target).await?;
            let resource_type = match (&target.scope.resource_type, plugin.spec.resource_types.as_slice()) {
                (Some(rt), _) => rt.clone(),
                (None, [only]) => only.resource_type.clone(),
                (None, _) => bail!("this connector type has several resource types; choose one with --resource-type"),
            };
            let request = ClientRequest {
                resource_type,
                resource_id: target.scope.resource_id.clone(),
                expiration_seconds: None,
            };
            let credential = runtime.issue_client(&plugin, instance, &request, ReleasePolicy::AsDeclared).await?;
            output.print(&credential, || output::credential_table(&credential, true))
        }
    }
}

/// Connector types from the server, or the built-in ones when no server is configured.
async fn types(server: &ServerArgs) -> anyhow::Result<Vec<ConnectorSpec>> {
    if server.configured() {
        match server.client()?.get("/connector-types").await {
            Err(e) if unreachable(&e) => {
                eprintln!("({e:#}: showing the built-in connector types)");
            }
            answer => return answer,
        }
    } else {
        eprintln!("(no server configured: showing the built-in connector types)");
    }
    Ok(embedded::load_all(&embedded::runtime("")?).await?.into_iter().map(|p| p.spec).collect())
}

/// The configured server did not answer at all (as opposed to answering with an error).
fn unreachable(error: &anyhow::Error) -> bool {
    error.to_string().starts_with("cannot reach the Airlock server")
}

pub(super) async fn issue(
    api: &super::client::Client,
    connector: &str,
    scope: &Scope,
    expiration_seconds: Option<i64>,
    no_reuse: bool,
) -> anyhow::Result<IssuedClient> {
    let body = json!({
        "resource_type": scope.resource_type,
        "resource_id": scope.resource_id,
        "expiration_seconds": expiration_seconds,
        "reuse": !no_reuse,
    });
    with_spinner("issuing a client credential", api.post(&format!("/connectors/{connector}/client"), &body)).await
}

fn labels(pairs: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|l| match l.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            None if !l.is_empty() => Ok((l.clone(), String::new())),
            _ => Err(anyhow!("`{l}` is not a label: use key=value")),
        })
        .collect()
}

async fn register(args: RegisterArgs, server: &ServerArgs) -> anyhow::Result<()> {
    let api = server.client()?;
    let mut request = json!({
        "name": args.name,
        "connector_type": args.connector_type,
        "auth_method": args.auth_method,
        "resource_type": args.scope.resource_type,
        "resource_id": args.scope.resource_id,
        "description": args.description.unwrap_or_default(),
        "labels": labels(&args.labels)?,
        "expiration_seconds": args.expiration_seconds,
        "expires_at": args.expires_at,
        "expires_skew_tolerance": args.expires_skew_tolerance,
        "shared": args.shared,
        "verify": !args.no_verify,
        "configuration": attrs::parse(&args.attributes)?.into_iter().collect::<BTreeMap<_, _>>(),
    });
    if args.auto_configure {
        let connector_type = args.connector_type.clone().ok_or_else(|| anyhow!("--auto-configure needs --type"))?;
        let runtime = embedded::runtime("")?;
        let plugin = embedded::load(&runtime, &connector_type).await?;
        let found = embedded::auto_configure(
            &runtime,
            &plugin,
            args.auth_method.clone(),
            args.scope.resource_type.clone(),
            args.scope.resource_id.clone(),
        )
        .await?;
        eprintln!("Auto-configured `{connector_type}` with auth method `{}` from local files.", found.auth_method);
        request["auth_method"] = json!(found.auth_method);
        request["configuration"] = json!(found.attributes.into_iter().collect::<BTreeMap<_, _>>());
        if found.resource_type.is_some() {
            request["resource_type"] = json!(found.resource_type);
            request["resource_id"] = json!(found.resource_id);
        }
        request["expires_at"] = json!(found.expires_at.map(|e| e as i64));
    }
    if args.interactive {
        let specs: Vec<ConnectorSpec> = api.get("/connector-types").await?;
        prompt::fill_registration(&mut request, &specs, &api).await?;
    }
    if request["name"].is_null() {
        bail!("a connector name is required (or use -i)");
    }
    if request["connector_type"].is_null() {
        bail!("a connector type is required: --type (or use -i)");
    }
    let registered: Value = with_spinner("verifying and registering", api.post("/connectors", &request)).await?;
    let listings: Vec<ResourceListing> = serde_json::from_value(registered["resources"].clone())?;
    let view: ConnectorView = serde_json::from_value(registered["connector"].clone())?;
    eprintln!("Registered connector `{}` ({}).", view.name, view.id);
    args.output.print(&registered, || {
        if listings.is_empty() { output::connector_table(&view) } else { output::resources_table(&listings) }
    })
}

async fn update(args: UpdateArgs, server: &ServerArgs) -> anyhow::Result<()> {
    let mut label_changes = BTreeMap::new();
    for (k, v) in labels(&args.labels)? {
        label_changes.insert(k, v);
    }
    let body = json!({
        "name": args.new_name,
        "auth_method": args.auth_method,
        "resource_type": args.scope.resource_type,
        "resource_id": args.scope.resource_id,
        "description": args.description,
        "labels": label_changes,
        "expiration_seconds": args.expiration_seconds,
        "expires_at": args.expires_at,
        "expires_skew_tolerance": args.expires_skew_tolerance,
        "shared": args.shared,
        "remove_attributes": args.remove_attributes,
        "verify": !args.no_verify,
        "configuration": attrs::parse(&args.attributes)?.into_iter().collect::<BTreeMap<_, _>>(),
    });
    let api = server.client()?;
    let view: ConnectorView =
        with_spinner("verifying and updating", api.patch(&format!("/connectors/{}", args.connector), &body)).await?;
    eprintln!("Updated connector `{}`.", view.name);
    args.output.print(&view, || output::connector_table(&view))
}

async fn prepare_local(
    target: &LocalTarget,
) -> anyhow::Result<(crate::runtime::Runtime, crate::runtime::Plugin, Arc<Instance>)> {
    let runtime = embedded::runtime(&target.allow_cidrs)?;
    let plugin = embedded::load(&runtime, &target.connector_type).await?;
    let config = ConnectorConfig::new(target.auth_method.as_deref(), attrs::parse(&target.attributes)?);
    let instance = Instance::prepare(&plugin.spec, config, &EgressPolicy::default())?;
    Ok((runtime, plugin, Arc::new(instance)))
}
