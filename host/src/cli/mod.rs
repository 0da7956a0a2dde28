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
mod sharing;
mod table;

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
    #[command(after_help = "Examples:
  airlock serve
  airlock serve --listen 0.0.0.0:8900 --data-dir /var/lib/airlock --release-secrets never
  airlock serve --database-url postgres://airlock@db.internal/airlock")]
    Serve(serve::ServeArgs),
    /// Save the server URL and token for later commands (~/.config/airlock/config.json, 0600).
    #[command(after_help = "Examples:
  airlock configure --url https://airlock.example.com
  airlock configure --url http://127.0.0.1:8900 --token-stdin < admin.token")]
    Configure {
        /// The server's URL.
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
    /// Teams of users that connectors are shared with.
    #[command(subcommand)]
    Team(sharing::TeamCommand),
    /// Your API tokens.
    #[command(subcommand)]
    Token(admin::TokenCommand),
    /// Leases of issued client credentials.
    #[command(subcommand)]
    Lease(admin::LeaseCommand),
    /// The audit log (admins).
    #[command(after_help = "Examples:
  airlock audit --limit 20
  airlock audit -o json")]
    Audit {
        /// Newest entries to show.
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
    #[command(after_help = "Examples:
  airlock logout
  airlock logout ci-registry")]
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
            Command::Team(command) => sharing::team(command, &server).await,
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

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every leaf command, with the words that reach it (`["connector", "list"]`).
    fn leaves(command: &clap::Command, path: Vec<String>, out: &mut Vec<(Vec<String>, clap::Command)>) {
        if !command.has_subcommands() {
            out.push((path, command.clone()));
            return;
        }
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut path = path.clone();
            path.push(sub.get_name().to_string());
            leaves(sub, path, out);
        }
    }

    fn all_leaves() -> Vec<(Vec<String>, clap::Command)> {
        let mut command = Cli::command();
        command.build();
        let mut out = Vec::new();
        leaves(&command, Vec::new(), &mut out);
        out
    }

    #[test]
    fn every_argument_has_a_help_line() {
        for (path, command) in all_leaves() {
            for arg in command.get_arguments().filter(|a| !matches!(a.get_id().as_str(), "help" | "version")) {
                assert!(arg.get_help().is_some(), "`airlock {}`: `{}` has no help line", path.join(" "), arg.get_id());
            }
        }
    }

    /// Each verb's help ends with examples, and each example parses as the CLI parses it.
    /// Whether `airlock <line>` parses as the binary would parse it; comments, redirections
    /// and pipes cut off.
    fn parse(line: &str) -> Result<(), clap::Error> {
        let command = line.split(['#', '<', '|']).next().unwrap();
        let words = command.split_whitespace().map(std::ffi::OsString::from);
        let args: Vec<_> = std::iter::once("airlock".into()).chain(words).collect();
        let args = super::argv::normalise(args, &Cli::command());
        Cli::command().try_get_matches_from(&args).map(drop)
    }

    /// Every `airlock …` command in the README's shell blocks parses (the walkthrough is also
    /// run end to end by `tests/tests/readme.rs`).
    #[test]
    fn every_airlock_command_in_the_readme_parses() {
        let readme = include_str!("../../../README.md");
        let mut checked = 0;
        for block in readme.split("```sh\n").skip(1).filter_map(|b| b.split("\n```").next()) {
            for line in block.lines().map(|l| l.split("  #").next().unwrap()) {
                for step in line.split(" && ").filter_map(|s| s.trim().strip_prefix("airlock ")) {
                    if let Err(e) = parse(step) {
                        panic!("the README's `airlock {step}` does not parse: {e}");
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked >= 25, "only {checked} README commands found");
    }

    #[test]
    fn every_verb_has_examples_that_parse() {
        for (path, command) in all_leaves() {
            let name = path.join(" ");
            let help = command.get_after_help().map(|h| h.to_string()).unwrap_or_default();
            let examples: Vec<&str> = help.lines().filter_map(|l| l.trim().strip_prefix("airlock ")).collect();
            assert!(
                help.starts_with("Examples:") && (2..=3).contains(&examples.len()),
                "`airlock {name}` has {} examples (two or three wanted)",
                examples.len()
            );
            let usage = command.clone().render_help().to_string();
            assert!(usage.contains("Global options:"), "`airlock {name} --help` mixes in the global options");
            for example in examples {
                if let Err(e) = parse(example) {
                    panic!("`airlock {example}` (an example of `airlock {name}`) does not parse: {e}");
                }
                assert!(example.starts_with(&format!("{name} ")) || example == name, "`{example}` is not `{name}`");
            }
        }
    }
}
