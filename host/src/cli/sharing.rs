//! `airlock connector share|unshare|transfer` and `airlock team ...`: who may use a connector.

use super::client::ServerArgs;
use super::output;
use crate::service::{GrantView, TeamView};
use crate::store::Level;
use anyhow::bail;
use clap::{Args, Subcommand};
use serde_json::json;

/// Whom a share or unshare names.
#[derive(Debug, Args)]
pub struct Grantees {
    /// A user (name or id; repeatable).
    #[arg(short = 'u', long = "user")]
    users: Vec<String>,
    /// A team (name or id; repeatable).
    #[arg(short = 't', long = "team")]
    teams: Vec<String>,
    /// Every user.
    #[arg(long)]
    everyone: bool,
}

impl Grantees {
    /// `user:<name>`, `team:<name>`, `everyone`, as the API names them.
    fn names(&self) -> anyhow::Result<Vec<String>> {
        let mut names: Vec<String> = self.users.iter().map(|u| format!("user:{u}")).collect();
        names.extend(self.teams.iter().map(|t| format!("team:{t}")));
        if self.everyone {
            names.push("everyone".into());
        }
        if names.is_empty() {
            bail!("name whom: --user NAME, --team NAME or --everyone");
        }
        Ok(names)
    }
}

#[derive(Debug, Args)]
pub struct ShareArgs {
    /// The connector's name or id.
    connector: String,
    #[command(flatten)]
    grantees: Grantees,
    /// `use`: see it, list its resources, obtain credentials; `manage`: also verify, update, delete.
    #[arg(long, value_enum, default_value = "use")]
    level: Level,
    #[command(flatten)]
    output: output::OutputArgs,
}

#[derive(Debug, Args)]
pub struct UnshareArgs {
    /// The connector's name or id.
    connector: String,
    #[command(flatten)]
    grantees: Grantees,
    #[command(flatten)]
    output: output::OutputArgs,
}

#[derive(Debug, Args)]
pub struct TransferArgs {
    /// The connector's name or id.
    connector: String,
    /// The new owner (an admin or member; name or id).
    owner: String,
}

/// `connector share`: grant each grantee the level, then show the grants.
pub async fn share(args: ShareArgs, server: &ServerArgs) -> anyhow::Result<()> {
    let api = server.client()?;
    let mut grants = Vec::new();
    for grantee in args.grantees.names()? {
        let body = json!({ "grantee": grantee, "level": args.level });
        grants = api.put::<_, Vec<GrantView>>(&format!("/connectors/{}/grants", args.connector), &body).await?;
        eprintln!("Granted `{}` to {grantee} on `{}`.", args.level.as_str(), args.connector);
    }
    args.output.print(&grants, || output::grants_table(&grants))
}

/// `connector unshare`: take each grantee's grant back, then show the grants left.
pub async fn unshare(args: UnshareArgs, server: &ServerArgs) -> anyhow::Result<()> {
    let api = server.client()?;
    let mut grants = Vec::new();
    for grantee in args.grantees.names()? {
        grants = api.delete_for::<Vec<GrantView>>(&format!("/connectors/{}/grants/{grantee}", args.connector)).await?;
        eprintln!("Revoked the grant of {grantee} on `{}`.", args.connector);
    }
    args.output.print(&grants, || output::grants_table(&grants))
}

/// `connector transfer`.
pub async fn transfer(args: TransferArgs, server: &ServerArgs) -> anyhow::Result<()> {
    let body = json!({ "owner": args.owner });
    server.client()?.post::<_, Vec<GrantView>>(&format!("/connectors/{}/transfer", args.connector), &body).await?;
    eprintln!("`{}` now belongs to `{}`.", args.connector, args.owner);
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Create a team (admins).
    #[command(after_help = "Examples:
  airlock team create ml-platform
  airlock team create ops -o json")]
    Create {
        /// The team name (letters, digits, `-_.@`).
        name: String,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// List teams and their members.
    #[command(after_help = "Examples:
  airlock team list
  airlock team list -o json")]
    List {
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Show one team and its members.
    #[command(after_help = "Examples:
  airlock team describe ml-platform
  airlock team describe ml-platform -o yaml")]
    Describe {
        /// The team's name or id.
        team: String,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Delete a team; grants to it are taken back.
    #[command(after_help = "Examples:
  airlock team delete ml-platform
  airlock team delete 0190f2c4-7a51-7cc3-9b8e-3f1f5b6f1a2b")]
    Delete {
        /// The team's name or id.
        team: String,
    },
    /// Add users to a team (admins).
    #[command(after_help = "Examples:
  airlock team add ml-platform alice
  airlock team add ml-platform alice bob ci-bot")]
    Add {
        /// The team's name or id.
        team: String,
        /// Users to add (names or ids).
        #[arg(required = true)]
        users: Vec<String>,
    },
    /// Remove users from a team (admins).
    #[command(after_help = "Examples:
  airlock team remove ml-platform alice
  airlock team remove ml-platform alice bob")]
    Remove {
        /// The team's name or id.
        team: String,
        /// Users to remove (names or ids).
        #[arg(required = true)]
        users: Vec<String>,
    },
}

pub async fn team(command: TeamCommand, server: &ServerArgs) -> anyhow::Result<()> {
    let api = server.client()?;
    match command {
        TeamCommand::Create { name, output } => {
            let team: TeamView = api.post("/teams", &json!({ "name": name })).await?;
            output.print(&team, || format!("Created team `{}`.", team.name))
        }
        TeamCommand::List { output } => {
            let teams: Vec<TeamView> = api.get("/teams").await?;
            output.print(&teams, || output::teams_table(&teams))
        }
        TeamCommand::Describe { team, output } => {
            let team: TeamView = api.get(&format!("/teams/{team}")).await?;
            output.print(&team, || output::teams_table(std::slice::from_ref(&team)))
        }
        TeamCommand::Delete { team } => {
            api.delete(&format!("/teams/{team}")).await?;
            eprintln!("Deleted team `{team}`.");
            Ok(())
        }
        TeamCommand::Add { team, users } => {
            for user in users {
                api.put::<_, TeamView>(&format!("/teams/{team}/members/{user}"), &json!({})).await?;
                eprintln!("Added `{user}` to `{team}`.");
            }
            Ok(())
        }
        TeamCommand::Remove { team, users } => {
            for user in users {
                api.delete(&format!("/teams/{team}/members/{user}")).await?;
                eprintln!("Removed `{user}` from `{team}`.");
            }
            Ok(())
        }
    }
}
