//! The `airlock` command line: `serve` runs the server; every other verb is a client of it
//! (or, for the `*-local` verbs and `--auto-configure`, runs a built-in connector in the CLI's
//! own sandbox).

mod admin;
mod attrs;
mod client;
mod connector;
mod embedded;
mod logging;
mod login;
mod output;
mod prompt;
mod serve;

use clap::{Parser, Subcommand};
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
    /// Server maintenance that runs against the data directory directly.
    #[command(subcommand)]
    Admin(serve::AdminCommand),
}

/// Run the CLI and map errors to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
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
