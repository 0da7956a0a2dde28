//! The `airlock` command line: `serve` runs the server; every other verb is a client of it
//! (or, for the `*-local` verbs and `--auto-configure`, runs a built-in connector in the CLI's
//! own sandbox).

mod admin;
mod argv;
mod attrs;
mod cache;
mod client;
mod connector;
mod embedded;
mod helper;
mod logging;
mod login;
mod oci;
mod output;
mod prompt;
mod scaffold;
mod serve;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

/// Brokers access to cloud and infrastructure resources through sandboxed service connectors.
#[derive(Debug, Parser)]
#[command(name = "airlock", version, about, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    server: client::ServerArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (embedded SQLite by default) with the built-in connectors.
    Serve(serve::ServeArgs),
    /// Save the server URL and token for later commands (~/.config/airlock/config.json, 0600).
    Configure {
        #[arg(long)]
        url: String,
        /// Read the token from standard input instead of prompting.
        #[arg(long)]
        token_stdin: bool,
    },
    /// Connector types and connectors.
    #[command(subcommand)]
    Connector(connector::ConnectorCommand),
    /// Connector plugins (admins).
    #[command(subcommand)]
    Plugin(admin::PluginCommand),
    /// Users (admins).
    #[command(subcommand)]
    User(admin::UserCommand),
    /// Your API tokens.
    #[command(subcommand)]
    Token(admin::TokenCommand),
    /// Leases of issued client credentials.
    #[command(subcommand)]
    Lease(admin::LeaseCommand),
    /// The audit log (admins).
    Audit {
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[command(flatten)]
        output: output::OutputArgs,
    },
    /// Credential helpers local tools run (configured by `connector login`): AWS
    /// credential_process, the kubectl exec plugin, the docker credential helper.
    #[command(subcommand)]
    Credential(helper::CredentialCommand),
    /// Remove what `connector login` wrote and the cached credentials (one connector, or all).
    Logout {
        /// The connector [default: every connector logged in].
        connector: Option<String>,
    },
    /// Server maintenance that runs against the data directory directly.
    #[command(subcommand)]
    Admin(serve::AdminCommand),
}

/// Run the CLI and map errors to an exit code.
pub fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Run as `docker-credential-airlock <action>`: the docker credential helper.
    if args.first().and_then(|a| std::path::Path::new(a).file_name()).is_some_and(|n| n == helper::DOCKER_HELPER) {
        args.splice(0..1, ["airlock", "credential", "docker"].map(Into::into));
    }
    let cli = Cli::parse_from(argv::normalise(args, &Cli::command()));
    logging::init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let server = cli.server;
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::serve(args).await,
            Command::Configure { url, token_stdin } => serve::configure(url, token_stdin),
            Command::Connector(command) => connector::run(command, &server).await,
            Command::Plugin(command) => admin::plugin(command, &server).await,
            Command::User(command) => admin::user(command, &server).await,
            Command::Token(command) => admin::token(command, &server).await,
            Command::Lease(command) => admin::lease(command, &server).await,
            Command::Audit { limit, output } => admin::audit(limit, output, &server).await,
            Command::Credential(command) => helper::run(command, &server).await,
            Command::Logout { connector } => login::logout(connector.as_deref()),
            Command::Admin(command) => serve::admin(command).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
