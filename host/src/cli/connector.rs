//! `airlock connector ...`: the ZenML-style connector workflow against the server, plus local
//! verbs that run the built-in connectors in the CLI's own sandbox.

use super::client::{ServerArgs, with_spinner};
use super::{attrs, embedded, login, output, prompt, sharing};
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
    #[command(after_help = "Examples:
  airlock connector list-types
  airlock connector list-types -r kubernetes-cluster
  airlock connector list-types -t aws -o json")]
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
    #[command(after_help = "Examples:
  airlock connector describe-type aws
  airlock connector describe-type aws -r s3-bucket
  airlock connector describe-type docker -a password")]
    DescribeType {
        /// The connector type (`list-types` shows them).
        connector_type: String,
        /// Describe this resource type in full.
        #[arg(short = 'r', long)]
        resource_type: Option<String>,
        /// Describe this auth method in full: its attributes, lifetimes, what it releases.
        #[arg(short = 'a', long)]
        auth_method: Option<String>,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Register a connector (verified first unless --no-verify).
    #[command(after_help = "Examples:
  airlock connector register ci-registry -t docker --username=ci --password=@token.txt --registry=https://registry.example.com
  airlock connector register ml-s3 -t aws -r s3-bucket --resource-id s3://ml-data --auto-configure
  airlock connector register -i")]
    Register(RegisterArgs),
    /// List connectors, filtered, sorted and paged.
    #[command(after_help = "Examples:
  airlock connector list -t aws -l team=ml
  airlock connector list --expired --sort-by=-expires -c name,owner,expires_at
  airlock connector list -o csv --size 50 --page 2")]
    List {
        /// Only connectors of this type.
        #[arg(short = 't', long = "type")]
        connector_type: Option<String>,
        /// Only connectors that serve this resource type.
        #[arg(short = 'r', long)]
        resource_type: Option<String>,
        /// Only connectors configured for exactly this resource id.
        #[arg(long = "resource-id", visible_alias = "ri")]
        resource_id: Option<String>,
        /// Only connectors with this auth method.
        #[arg(short = 'a', long)]
        auth_method: Option<String>,
        /// Substring of the name.
        #[arg(long)]
        name: Option<String>,
        /// Only connectors owned by this user (name or id).
        #[arg(long, visible_alias = "user")]
        owner: Option<String>,
        /// `key` or `key=value` (repeatable; all must match).
        #[arg(short = 'l', long = "label")]
        labels: Vec<String>,
        /// Only connectors whose own credentials have expired (`--expired=false`: only those that have not).
        #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
        expired: Option<bool>,
        /// Sort by name, type, created, updated or expires; `-name` or `desc:name` for descending.
        #[arg(long)]
        sort_by: Option<String>,
        /// Connectors per page (1–1000) [default: all].
        #[arg(long)]
        size: Option<u32>,
        /// Page to show (from 1; needs --size).
        #[arg(long, requires = "size")]
        page: Option<u32>,
        /// Columns of the table, CSV or TSV (comma-separated): name, id, type, auth_method,
        /// resource_types, resource_name, owner, shared, labels, expires_at, created_at,
        /// updated_at, description.
        #[arg(short = 'c', long, default_value = output::DEFAULT_CONNECTOR_COLUMNS)]
        columns: String,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Describe a connector, or with --client (or -r/--resource-id) the client credential it
    /// issues for one resource.
    #[command(after_help = "Examples:
  airlock connector describe ci-registry
  airlock connector describe ci-registry -x   # stored secrets: owner and admins, audited
  airlock connector describe aws-prod -r s3-bucket --resource-id s3://ml-data -o json")]
    Describe {
        /// The connector's name or id.
        connector: String,
        /// Issue a client credential (implied by -r/--resource-id).
        #[arg(short = 'c', long)]
        client: bool,
        #[command(flatten)]
        scope: Scope,
        /// Lifetime of the issued credential, within the auth method's bounds.
        #[arg(long)]
        expiration_seconds: Option<i64>,
        /// Mint a fresh credential instead of reusing a valid one.
        #[arg(long)]
        no_reuse: bool,
        /// Show secret values: of the issued credential, or (owner and admins; audited) the
        /// connector's stored configuration.
        #[arg(short = 'x', long)]
        show_secrets: bool,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Update a connector (attributes are merged; verified again unless --no-verify).
    #[command(after_help = "Examples:
  airlock connector update ci-registry --password=@new-token.txt
  airlock connector update ci-registry -l team=ml --remove-attr registry --no-verify
  airlock connector update ci-registry -i")]
    Update(UpdateArgs),
    /// Delete a connector.
    #[command(after_help = "Examples:
  airlock connector delete ci-registry
  airlock connector delete 0190f2c4-7a51-7cc3-9b8e-3f1f5b6f1a2b")]
    Delete {
        /// The connector's name or id.
        connector: String,
    },
    /// Grant `use` or `manage` on a connector to users, teams or everyone (owner or admin).
    #[command(after_help = "Examples:
  airlock connector share ci-registry --team ml-platform
  airlock connector share ci-registry -u alice -u bob --level manage
  airlock connector share ci-registry --everyone")]
    Share(sharing::ShareArgs),
    /// Take grants on a connector back (owner or admin).
    #[command(after_help = "Examples:
  airlock connector unshare ci-registry --team ml-platform
  airlock connector unshare ci-registry --everyone -u alice")]
    Unshare(sharing::UnshareArgs),
    /// Hand a connector to another owner (owner or admin); you keep no access unless granted.
    #[command(after_help = "Examples:
  airlock connector transfer ci-registry bob
  airlock connector transfer 0190f2c4-7a51-7cc3-9b8e-3f1f5b6f1a2b platform-admin")]
    Transfer(sharing::TransferArgs),
    /// Verify a connector and list the resources it reaches.
    #[command(after_help = "Examples:
  airlock connector verify aws-prod
  airlock connector verify aws-prod -r s3-bucket
  airlock connector verify aws-prod -v")]
    Verify {
        /// The connector's name or id.
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
    #[command(after_help = "Examples:
  airlock connector list-resources -r kubernetes-cluster
  airlock connector list-resources -c aws -e -o json")]
    ListResources {
        /// Only connectors of this type.
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
    #[command(after_help = "Examples:
  airlock connector login ci-registry
  airlock connector login aws-prod -r kubernetes-cluster --resource-id prod-eks
  airlock connector login aws-prod -r s3-bucket --resource-id s3://ml-data --static")]
    Login {
        /// The connector's name or id.
        connector: String,
        #[command(flatten)]
        scope: Scope,
        #[command(flatten)]
        targets: login::Targets,
    },
    /// Verify a configuration locally with a built-in connector (no server).
    #[command(after_help = "Examples:
  airlock connector verify-local docker --username=ci --password=@token.txt
  airlock connector verify-local kubernetes -a token --server=https://10.0.0.1:6443 --token=@sa.token --allow-cidrs 10.0.0.0/8")]
    VerifyLocal {
        #[command(flatten)]
        target: LocalTarget,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Issue a client credential locally with a built-in connector (no server).
    #[command(after_help = "Examples:
  airlock connector client-local docker --username=ci --password=@token.txt --registry=https://registry.example.com
  airlock connector client-local aws -a secret-key -r s3-bucket --resource-id s3://ml-data --region=eu-west-1 --aws_access_key_id=@id.txt --aws_secret_access_key=@key.txt")]
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
    /// The resource type (`s3-bucket`, `kubernetes-cluster`, ...).
    #[arg(short = 'r', long)]
    pub resource_type: Option<String>,
    /// One resource of that type, in any id format the type accepts (also `-ri`).
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
    /// The connector type (`list-types` shows them).
    #[arg(short = 't', long = "type")]
    connector_type: Option<String>,
    /// The auth method [default: the type's only one].
    #[arg(short = 'a', long)]
    auth_method: Option<String>,
    #[command(flatten)]
    scope: Scope,
    /// A description for people.
    #[arg(short = 'd', long)]
    description: Option<String>,
    /// `key=value` (repeatable).
    #[arg(short = 'l', long = "label")]
    labels: Vec<String>,
    /// Default lifetime of issued credentials in seconds (temporary auth methods).
    #[arg(long)]
    expiration_seconds: Option<i64>,
    /// Unix seconds after which the connector's own credentials are expired.
    #[arg(long)]
    expires_at: Option<i64>,
    /// Seconds before --expires-at from which the credentials count as expired.
    #[arg(long)]
    expires_skew_tolerance: Option<i64>,
    /// Grant `use` to every user (the same as `connector share --everyone`).
    #[arg(long)]
    shared: bool,
    /// Register without verifying the configuration first.
    #[arg(long)]
    no_verify: bool,
    /// Prompt for everything (secrets hidden unless -x).
    #[arg(short = 'i', long)]
    interactive: bool,
    /// Show secrets as they are typed (with -i).
    #[arg(short = 'x', long)]
    show_secrets: bool,
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
    /// The connector's name or id.
    connector: String,
    /// Rename the connector.
    #[arg(long = "name")]
    new_name: Option<String>,
    /// Switch to another auth method of the type.
    #[arg(short = 'a', long)]
    auth_method: Option<String>,
    #[command(flatten)]
    scope: Scope,
    /// A new description.
    #[arg(short = 'd', long)]
    description: Option<String>,
    /// `key=value` to set, `key` alone to remove (repeatable).
    #[arg(short = 'l', long = "label")]
    labels: Vec<String>,
    /// Default lifetime of issued credentials in seconds (temporary auth methods).
    #[arg(long)]
    expiration_seconds: Option<i64>,
    /// Unix seconds after which the connector's own credentials are expired.
    #[arg(long)]
    expires_at: Option<i64>,
    /// Seconds before --expires-at from which the credentials count as expired.
    #[arg(long)]
    expires_skew_tolerance: Option<i64>,
    /// Grant `use` to every user (true) or take grants to everyone back (false).
    #[arg(long)]
    shared: Option<bool>,
    /// Attributes to remove (repeatable).
    #[arg(long = "remove-attr")]
    remove_attributes: Vec<String>,
    /// Do not verify the updated configuration.
    #[arg(long)]
    no_verify: bool,
    /// Prompt for the auth method, attributes and session duration, current values as defaults.
    #[arg(short = 'i', long)]
    interactive: bool,
    /// Show secrets as they are typed (with -i).
    #[arg(short = 'x', long)]
    show_secrets: bool,
    #[command(flatten)]
    output: output::OutputArgs,
    /// Attributes to set: --name=value, --name=@file.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "--ATTR=VALUE")]
    attributes: Vec<String>,
}

/// A configuration given on the command line for the local verbs.
#[derive(Debug, Args)]
pub struct LocalTarget {
    /// A built-in connector type.
    connector_type: String,
    /// The auth method [default: the type's only one].
    #[arg(short = 'a', long)]
    auth_method: Option<String>,
    #[command(flatten)]
    scope: Scope,
    /// Private or loopback ranges the connector may reach (comma-separated CIDRs).
    #[arg(long, env = "AIRLOCK_EGRESS_ALLOW_CIDRS", default_value = "")]
    allow_cidrs: String,
    /// Configuration attributes: --name=value, --name=@file.
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
        ConnectorCommand::List {
            connector_type,
            resource_type,
            resource_id,
            auth_method,
            name,
            owner,
            labels,
            expired,
            sort_by,
            size,
            page,
            columns,
            output,
        } => {
            let mut params = form_urlencoded::Serializer::new(String::new());
            let sort_by = sort_by.map(|s| match s.split_once(':') {
                Some(("desc", field)) => format!("-{field}"),
                Some(("asc", field)) => field.to_string(),
                _ => s,
            });
            for (key, value) in [
                ("connector_type", connector_type),
                ("resource_type", resource_type),
                ("resource_id", resource_id),
                ("auth_method", auth_method),
                ("name", name),
                ("owner", owner),
                ("expired", expired.map(|e| e.to_string())),
                ("sort_by", sort_by),
                ("size", size.map(|s| s.to_string())),
                ("page", page.map(|p| p.to_string())),
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
            output::print_connectors(&connectors, &columns, &output)
        }
        ConnectorCommand::Describe { connector, client, scope, expiration_seconds, no_reuse, show_secrets, output } => {
            let api = server.client()?;
            if client || scope.resource_type.is_some() || scope.resource_id.is_some() {
                let issued = issue(&api, &connector, &scope, expiration_seconds, no_reuse).await?;
                return output.print(&issued, || output::issued_table(&issued, show_secrets));
            }
            let mut view: ConnectorView = api.get(&format!("/connectors/{connector}")).await?;
            if show_secrets {
                let secrets: BTreeMap<String, String> = api.get(&format!("/connectors/{connector}/secrets")).await?;
                eprintln!("warning: showing the stored secret values of `{connector}` (this is audited)");
                view.configuration.extend(secrets);
            }
            output.print(&view, || output::connector_table(&view))
        }
        ConnectorCommand::Update(args) => update(args, server).await,
        ConnectorCommand::Delete { connector } => {
            server.client()?.delete(&format!("/connectors/{connector}")).await?;
            eprintln!("Deleted connector `{connector}`.");
            Ok(())
        }
        ConnectorCommand::Share(args) => sharing::share(args, server).await,
        ConnectorCommand::Unshare(args) => sharing::unshare(args, server).await,
        ConnectorCommand::Transfer(args) => sharing::transfer(args, server).await,
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
        prompt::fill_registration(&mut request, &specs, &api, args.show_secrets).await?;
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
    let mut body = json!({
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
    if args.interactive {
        let current: ConnectorView = api.get(&format!("/connectors/{}", args.connector)).await?;
        let spec: ConnectorSpec = api.get(&format!("/connector-types/{}", current.connector_type)).await?;
        prompt::fill_update(&mut body, &spec, &current, args.show_secrets)?;
    }
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
