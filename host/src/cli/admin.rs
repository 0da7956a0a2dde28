//! `airlock plugin|user|token|lease|audit ...`: administration through the server.

use super::client::{Client, ServerArgs};
use super::{oci, output, scaffold};
use crate::service::{NewToken, PluginView};
use crate::store::{AuditRow, LeaseRow, Role, TokenRow, UserRow};
use anyhow::Context;
use clap::Subcommand;
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Install a connector component from a `.wasm` file or an OCI registry
    /// (`registry/repo:tag` or `@sha256:…`, pulled and checked by the CLI); it waits for approval.
    #[command(after_help = "Examples:
  airlock plugin install my-connector.wasm
  airlock plugin install registry.example.com/team/my-connector:1.2.0 --replace")]
    Install {
        /// A `.wasm` file, or an OCI reference when no such file exists.
        source: String,
        /// Replace the installed component of the same type.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        registry: oci::RegistryArgs,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Write a new connector crate (one resource type, one auth method, tests on the SDK's
    /// test kit) to start a plugin from.
    #[command(after_help = "Examples:
  airlock plugin new my-type
  airlock plugin new my-type --path connectors/my-type --sdk-path ../airlock/sdk")]
    New(scaffold::NewArgs),
    /// Push a component to an OCI registry as a Wasm artifact (`registry/repo:tag`).
    #[command(after_help = "Examples:
  airlock plugin push my-connector.wasm registry.example.com/team/my-connector:1.2.0
  airlock plugin push my-connector.wasm localhost:5000/my-connector:dev --plain-http")]
    Push {
        /// The component (`.wasm`).
        file: std::path::PathBuf,
        /// Where to push it: `registry/repository:tag`.
        reference: String,
        #[command(flatten)]
        registry: oci::RegistryArgs,
    },
    /// Compare installed plugins pulled from a registry with what their tags point at now.
    #[command(after_help = "Examples:
  airlock plugin outdated
  airlock plugin outdated -o json")]
    Outdated {
        #[command(flatten)]
        registry: oci::RegistryArgs,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Pull a plugin's tag again and replace it if it changed (it then needs approval again).
    #[command(after_help = "Examples:
  airlock plugin update my-type
  airlock plugin update my-type --registry-connector ci-registry")]
    Update {
        /// The plugin's connector type.
        connector_type: String,
        #[command(flatten)]
        registry: oci::RegistryArgs,
    },
    /// List installed plugins.
    #[command(after_help = "Examples:
  airlock plugin list
  airlock plugin list -o json")]
    List {
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Show a plugin's manifest: resource types, auth methods, egress, released secrets.
    #[command(after_help = "Examples:
  airlock plugin describe my-type
  airlock plugin describe aws -o yaml")]
    Describe {
        /// The plugin's connector type.
        connector_type: String,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Approve an installed plugin so connectors of its type can be used.
    #[command(after_help = "Examples:
  airlock plugin approve my-type
  airlock plugin approve my-type --url https://airlock.example.com")]
    Approve {
        /// The plugin's connector type.
        connector_type: String,
    },
    /// Remove a plugin (no connectors of its type may remain).
    #[command(after_help = "Examples:
  airlock plugin remove my-type
  airlock plugin remove my-type --url https://airlock.example.com")]
    Remove {
        /// The plugin's connector type.
        connector_type: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; prints their first API token once.
    #[command(after_help = "Examples:
  airlock user create ci-bot --role consumer
  airlock user create alice -o json")]
    Create {
        /// The user name (letters, digits, `-_.@`).
        name: String,
        /// admin (everything), member (own connectors, granted ones) or consumer (credentials from granted connectors).
        #[arg(long, value_enum, default_value = "member")]
        role: Role,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// List users.
    #[command(after_help = "Examples:
  airlock user list
  airlock user list -o csv")]
    List {
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Delete a user and their tokens (they may own no connectors).
    #[command(after_help = "Examples:
  airlock user delete ci-bot
  airlock user delete 0190f2c4-7a51-7cc3-9b8e-3f1f5b6f1a2b")]
    Delete {
        /// The user's name or id.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for yourself; printed once.
    #[command(after_help = "Examples:
  airlock token create laptop
  airlock token create ci -o json")]
    Create {
        /// A name to tell the token apart.
        name: String,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// List your tokens.
    #[command(after_help = "Examples:
  airlock token list
  airlock token list -o json")]
    List {
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Revoke one of your tokens.
    #[command(after_help = "Examples:
  airlock token revoke 0190f2c4-7a51-7cc3-9b8e-3f1f5b6f1a2b
  airlock token revoke 0190f2c4-7a51-7cc3-9b8e-3f1f5b6f1a2b --url https://airlock.example.com")]
    Revoke {
        /// The token's id (`token list` shows them).
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum LeaseCommand {
    /// Leases of issued credentials (all of them for admins).
    #[command(after_help = "Examples:
  airlock lease list
  airlock lease list -o json")]
    List {
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Stop a credential from being handed out again.
    #[command(after_help = "Examples:
  airlock lease revoke 0190f2c4-7a51-7cc3-9b8e-3f1f5b6f1a2b
  airlock lease revoke 0190f2c4-7a51-7cc3-9b8e-3f1f5b6f1a2b --url https://airlock.example.com")]
    Revoke {
        /// The lease id (`lease list`, or the lease an issued credential names).
        id: String,
    },
}

pub async fn plugin(command: PluginCommand, server: &ServerArgs) -> anyhow::Result<()> {
    if let PluginCommand::Push { file, reference, registry } = &command {
        let wasm = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let target = oci::reference(reference)?;
        let api = registry.registry_connector.as_ref().map(|_| server.client()).transpose()?;
        let url = oci::push(api.as_ref(), wasm, &target, registry).await?;
        eprintln!("Pushed `{target}` ({url}).");
        return Ok(());
    }
    if let PluginCommand::New(args) = &command {
        let dir = scaffold::create(args)?;
        eprintln!(
            "Created the `{}` connector crate in {}: `cargo test` runs its tests, `cargo build --release --target wasm32-wasip2` builds the component.",
            args.name,
            dir.display()
        );
        return Ok(());
    }
    let api = server.client()?;
    match command {
        PluginCommand::Push { .. } | PluginCommand::New(_) => unreachable!("handled above"),
        PluginCommand::Install { source, replace, registry, output } => {
            let (bytes, from) = match std::path::Path::new(&source).is_file() {
                true => (std::fs::read(&source).with_context(|| format!("reading {source}"))?, None),
                false => {
                    let reference = oci::reference(&source)?;
                    let pulled = oci::pull(Some(&api), &reference, &registry).await?;
                    eprintln!("Pulled `{reference}` ({}).", pulled.digest);
                    (pulled.wasm, Some(reference.whole()))
                }
            };
            let view = upload(&api, bytes, replace, from.as_deref()).await?;
            eprintln!(
                "Installed `{}`; approve it with `airlock plugin approve {}`.",
                view.connector_type, view.connector_type
            );
            output.print(&view, || output::plugin_table(&view))
        }
        PluginCommand::Outdated { registry, output } => {
            let plugins: Vec<PluginView> = api.get("/plugins").await?;
            let mut rows = Vec::new();
            for plugin in plugins.iter().filter(|p| p.source.is_some()) {
                let source = plugin.source.as_deref().unwrap_or_default();
                let installed = format!("sha256:{}", plugin.sha256);
                let (available, status) =
                    match oci::current_digest(Some(&api), &oci::reference(source)?, &registry).await {
                        Ok(digest) if digest == installed => (digest, "up to date".to_string()),
                        Ok(digest) => (digest, "update available".to_string()),
                        Err(e) => (String::new(), format!("{e:#}")),
                    };
                rows.push(json!({"connector_type": plugin.connector_type, "source": source, "installed": installed, "available": available, "status": status}));
            }
            output.print(&rows, || output::outdated_table(&rows))
        }
        PluginCommand::Update { connector_type, registry } => {
            let current: PluginView = api.get(&format!("/plugins/{connector_type}")).await?;
            let source = current.source.context(format!("`{connector_type}` was not installed from a registry"))?;
            let pulled = oci::pull(Some(&api), &oci::reference(&source)?, &registry).await?;
            if pulled.digest == format!("sha256:{}", current.sha256) {
                eprintln!("`{connector_type}` is up to date ({}).", pulled.digest);
                return Ok(());
            }
            // Straight to this type: the server refuses a component of another type.
            let query = form_urlencoded::byte_serialize(source.as_bytes()).collect::<String>();
            let view: PluginView =
                api.put_bytes(&format!("/plugins/{connector_type}?source={query}"), pulled.wasm, true).await?;
            eprintln!(
                "Updated `{}` to {}; it needs approval again: `airlock plugin approve {}`.",
                view.connector_type, pulled.digest, view.connector_type
            );
            Ok(())
        }
        PluginCommand::List { output } => {
            let plugins: Vec<PluginView> = api.get("/plugins").await?;
            output.print(&plugins, || output::plugins_table(&plugins))
        }
        PluginCommand::Describe { connector_type, output } => {
            let view: PluginView = api.get(&format!("/plugins/{connector_type}")).await?;
            output.print(&view, || output::plugin_table(&view))
        }
        PluginCommand::Approve { connector_type } => {
            let _: PluginView = api.post(&format!("/plugins/{connector_type}/approve"), &json!({})).await?;
            eprintln!("Approved `{connector_type}`.");
            Ok(())
        }
        PluginCommand::Remove { connector_type } => {
            api.delete(&format!("/plugins/{connector_type}")).await?;
            eprintln!("Removed `{connector_type}`.");
            Ok(())
        }
    }
}

/// Upload a component (a new type, or replacing the installed one of its type), recording
/// the OCI reference it came from.
async fn upload(api: &Client, bytes: Vec<u8>, replace: bool, source: Option<&str>) -> anyhow::Result<PluginView> {
    let query = source
        .map(|s| format!("?source={}", form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()))
        .unwrap_or_default();
    if !replace {
        return api.put_bytes(&format!("/plugins{query}"), bytes, false).await;
    }
    let installed: Vec<PluginView> = api.get("/plugins").await?;
    let current = installed.iter().map(|p| p.connector_type.clone()).collect::<Vec<_>>();
    let target = probe_type(&bytes, &current).await?;
    api.put_bytes(&format!("/plugins/{target}{query}"), bytes, true).await
}

/// The connector type a component declares (read by running its `describe` locally).
async fn probe_type(wasm: &[u8], installed: &[String]) -> anyhow::Result<String> {
    let runtime = super::embedded::runtime("")?;
    let plugin = runtime.load(wasm).await?;
    let connector_type = plugin.spec.connector_type;
    anyhow::ensure!(installed.contains(&connector_type), "no `{connector_type}` plugin is installed to replace");
    Ok(connector_type)
}

pub async fn user(command: UserCommand, server: &ServerArgs) -> anyhow::Result<()> {
    let api = server.client()?;
    match command {
        UserCommand::Create { name, role, output } => {
            let created: NewToken = api.post("/users", &json!({ "name": name, "role": role })).await?;
            output.print(&created, || {
                format!(
                    "Created {} `{}`. Their API token (shown once):\n{}",
                    role.as_str(),
                    created.user.name,
                    created.token
                )
            })
        }
        UserCommand::List { output } => {
            let users: Vec<UserRow> = api.get("/users").await?;
            output.print(&users, || output::users_table(&users))
        }
        UserCommand::Delete { name } => {
            api.delete(&format!("/users/{name}")).await?;
            eprintln!("Deleted user `{name}`.");
            Ok(())
        }
    }
}

pub async fn token(command: TokenCommand, server: &ServerArgs) -> anyhow::Result<()> {
    let api = server.client()?;
    match command {
        TokenCommand::Create { name, output } => {
            let created: NewToken = api.post("/tokens", &json!({ "name": name })).await?;
            output.print(&created, || format!("API token `{name}` (shown once):\n{}", created.token))
        }
        TokenCommand::List { output } => {
            let tokens: Vec<TokenRow> = api.get("/tokens").await?;
            output.print(&tokens, || output::tokens_table(&tokens))
        }
        TokenCommand::Revoke { id } => {
            api.delete(&format!("/tokens/{id}")).await?;
            eprintln!("Revoked token {id}.");
            Ok(())
        }
    }
}

pub async fn lease(command: LeaseCommand, server: &ServerArgs) -> anyhow::Result<()> {
    let api = server.client()?;
    match command {
        LeaseCommand::List { output } => {
            let leases: Vec<LeaseRow> = api.get("/leases").await?;
            // Names for the table: connectors the caller sees, users if the caller is an admin.
            let mut names = std::collections::BTreeMap::new();
            if output.format == output::Format::Table {
                let connectors: Vec<crate::service::ConnectorView> = api.get("/connectors").await.unwrap_or_default();
                names.extend(connectors.into_iter().map(|c| (c.id, c.name)));
                let users: Vec<UserRow> = api.get("/users").await.unwrap_or_default();
                names.extend(users.into_iter().map(|u| (u.id, u.name)));
            }
            output.print(&leases, || output::leases_table(&leases, &names))
        }
        LeaseCommand::Revoke { id } => {
            api.delete(&format!("/leases/{id}")).await?;
            eprintln!("Revoked lease {id}.");
            Ok(())
        }
    }
}

pub async fn audit(limit: i64, output: output::OutputArgs, server: &ServerArgs) -> anyhow::Result<()> {
    let rows: Vec<AuditRow> = server.client()?.get(&format!("/audit?limit={limit}")).await?;
    output.print(&rows, || output::audit_table(&rows))
}
