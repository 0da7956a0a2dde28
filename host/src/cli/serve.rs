//! `airlock serve`, `airlock configure` and `airlock admin ...`.

use super::client::ClientConfig;
use crate::credentials::ReleasePolicy;
use crate::server::{self, ServeOptions};
use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "AIRLOCK_LISTEN", default_value = "127.0.0.1:8900")]
    listen: SocketAddr,
    #[command(flatten)]
    data: DataArgs,
    /// Private or loopback ranges connectors may reach (comma-separated CIDRs).
    #[arg(long, env = "AIRLOCK_EGRESS_ALLOW_CIDRS", default_value = "")]
    allow_cidrs: String,
    /// Always mint a fresh credential instead of reusing a still-valid one.
    #[arg(long)]
    no_lease_reuse: bool,
    /// Whether long-lived secrets may be handed to clients where an auth method declares it.
    #[arg(long, value_enum, default_value = "as-declared")]
    release_secrets: Release,
    /// Directory of trusted publisher public keys (wasmsign2/Ed25519) for signed plugins.
    #[arg(long, env = "AIRLOCK_TRUSTED_KEYS")]
    trusted_keys: Option<PathBuf>,
    /// Refuse unsigned plugin uploads.
    #[arg(long, env = "AIRLOCK_REQUIRE_SIGNED_PLUGINS")]
    require_signed_plugins: bool,
    /// Narrow every plugin's declared egress to these origins (comma-separated
    /// `scheme://host[:port]`, `*.` wildcards).
    #[arg(long, env = "AIRLOCK_EGRESS_ALLOW_ORIGINS")]
    egress_allow_origins: Option<String>,
    /// Do not let connectors reach hosts named in their own configuration (endpoint URLs,
    /// registries) unless a plugin declares them.
    #[arg(long, env = "AIRLOCK_NO_CONFIG_HOSTS")]
    no_config_hosts: bool,
    /// Wall-time budget of one connector call, in seconds (guest code and its HTTP together).
    #[arg(long, env = "AIRLOCK_CALL_WALL_TIME", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    call_wall_time: u64,
    /// Connector calls (verify, register, issue...) one user may have running at once; more are
    /// answered with 429 and Retry-After.
    #[arg(long, env = "AIRLOCK_CALLS_PER_USER", default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1024))]
    calls_per_user: u64,
    /// Connector calls one connector may have running at once; more are answered with 429.
    #[arg(long, env = "AIRLOCK_CALLS_PER_CONNECTOR", default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=1024))]
    calls_per_connector: u64,
}

/// Where the server keeps its state.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Data directory: SQLite database, master key, compile cache [default: ~/.local/share/airlock].
    #[arg(long, env = "AIRLOCK_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// PostgreSQL URL (for several replicas); the embedded SQLite store otherwise.
    #[arg(long, env = "AIRLOCK_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

impl DataArgs {
    fn dir(&self) -> anyhow::Result<PathBuf> {
        self.data_dir
            .clone()
            .or_else(|| std::env::var_os("XDG_DATA_HOME").map(|d| PathBuf::from(d).join("airlock")))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/airlock")))
            .context("no data directory: pass --data-dir or set AIRLOCK_DATA_DIR")
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Release {
    AsDeclared,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Re-seal every stored secret under a new master key (file-managed keys), or under the
    /// first key of AIRLOCK_MASTER_KEY. Run it with the servers stopped.
    #[command(after_help = "Examples:
  airlock admin rotate-key
  airlock admin rotate-key --data-dir /var/lib/airlock")]
    RotateKey {
        #[command(flatten)]
        data: DataArgs,
    },
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let release = match args.release_secrets {
        Release::AsDeclared => ReleasePolicy::AsDeclared,
        Release::Never => ReleasePolicy::Never,
    };
    let policy = server::policy(server::PolicyChoices {
        lease_reuse: !args.no_lease_reuse,
        release,
        trusted_keys: args.trusted_keys,
        require_signed: args.require_signed_plugins,
        egress_origins: args.egress_allow_origins,
        config_hosts: !args.no_config_hosts,
        calls_per_user: args.calls_per_user as usize,
        calls_per_connector: args.calls_per_connector as usize,
    })?;
    server::serve(ServeOptions {
        listen: args.listen,
        data_dir: args.data.dir()?,
        database_url: args.data.database_url,
        allow_cidrs: args.allow_cidrs,
        call_wall_time: std::time::Duration::from_secs(args.call_wall_time),
        policy,
        admin_token: std::env::var("AIRLOCK_ADMIN_TOKEN").ok().filter(|t| !t.is_empty()),
    })
    .await
}

pub async fn admin(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::RotateKey { data } => {
            let count = server::rotate_key(&data.dir()?, data.database_url.as_deref()).await?;
            eprintln!("Re-sealed {count} stored value(s) under the new master key.");
            Ok(())
        }
    }
}

pub fn configure(url: String, token_stdin: bool) -> anyhow::Result<()> {
    let token = if token_stdin {
        let mut token = String::new();
        std::io::stdin().read_line(&mut token)?;
        token.trim().to_string()
    } else {
        dialoguer::Password::new().with_prompt("API token").interact()?
    };
    let path = ClientConfig::path().context("cannot find a config directory: set HOME or XDG_CONFIG_HOME")?;
    std::fs::create_dir_all(path.parent().unwrap())?;
    let config = ClientConfig { url: Some(url), token: Some(token) };
    let _ = std::fs::remove_file(&path);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)?;
    file.write_all(serde_json::to_string_pretty(&config)?.as_bytes())?;
    eprintln!("Saved the server URL and token to {}.", path.display());
    Ok(())
}
