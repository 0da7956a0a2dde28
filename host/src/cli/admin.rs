//! `airlock plugin|user|token|lease|audit ...`: administration through the server.

use super::client::ServerArgs;
use super::output;
use crate::service::{NewToken, PluginView};
use crate::store::{AuditRow, LeaseRow, Role, TokenRow, UserRow};
use anyhow::Context;
use clap::Subcommand;
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Upload a connector component; it waits for approval.
    Install {
        file: std::path::PathBuf,
        /// Replace the installed component of the same type.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// List installed plugins.
    List {
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Show a plugin's manifest: resource types, auth methods, egress, released secrets.
    Describe {
        connector_type: String,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Approve an installed plugin so connectors of its type can be used.
    Approve { connector_type: String },
    /// Remove a plugin (no connectors of its type may remain).
    Remove { connector_type: String },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; prints their first API token once.
    Create {
        name: String,
        #[arg(long, value_enum, default_value = "member")]
        role: Role,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    List {
        #[command(flatten)]
        output: output::OutputArgs,
    },
    Delete {
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for yourself; printed once.
    Create {
        name: String,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    List {
        #[command(flatten)]
        output: output::OutputArgs,
    },
    Revoke {
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum LeaseCommand {
    /// Leases of issued credentials (all of them for admins).
    List {
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Stop a credential from being handed out again.
    Revoke { id: String },
}

pub async fn plugin(command: PluginCommand, server: &ServerArgs) -> anyhow::Result<()> {
    let api = server.client()?;
    match command {
        PluginCommand::Install { file, replace, output } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let view: PluginView = match replace {
                true => {
                    let installed: Vec<PluginView> = api.get("/plugins").await?;
                    let current = installed.iter().map(|p| p.connector_type.clone()).collect::<Vec<_>>();
                    let target = probe_type(&bytes, &current).await?;
                    api.put_bytes(&format!("/plugins/{target}"), bytes, true).await?
                }
                false => api.put_bytes("/plugins", bytes, false).await?,
            };
            eprintln!(
                "Installed `{}`; approve it with `airlock plugin approve {}`.",
                view.connector_type, view.connector_type
            );
            output.print(&view, || output::plugin_table(&view))
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
            output.print(&leases, || output::leases_table(&leases))
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
