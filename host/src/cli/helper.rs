//! Credential helpers local tools run on demand, so they keep working with short-lived
//! credentials: AWS `credential_process`, the kubectl exec plugin and the docker / skopeo /
//! podman credential helper protocol (`airlock credential docker`, also run as
//! `docker-credential-airlock`). Each prints only what its tool reads on stdout; failures go to
//! stderr with a non-zero exit and never carry a secret. Credentials come through the local
//! cache ([`super::cache`]).

use super::cache;
use super::client::ServerArgs;
use super::connector::Scope;
use super::login::value;
use crate::credentials::IssuedCredential;
use crate::human::rfc3339;
use anyhow::{Context, bail};
use clap::Subcommand;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

/// The name docker and the containers tools look for on PATH (`credHelpers: {"<registry>": "airlock"}`).
pub const DOCKER_HELPER: &str = "docker-credential-airlock";

#[derive(Debug, Subcommand)]
pub enum CredentialCommand {
    /// Print AWS process credentials (`credential_process` in ~/.aws/config).
    #[command(after_help = "Examples:
  airlock credential aws aws-prod -r aws-generic
  airlock credential aws aws-prod -r s3-bucket --resource-id s3://ml-data")]
    Aws {
        /// The connector's name or id.
        connector: String,
        #[command(flatten)]
        scope: Scope,
    },
    /// Print a kubectl `ExecCredential` (a kubeconfig user's `exec`).
    #[command(after_help = "Examples:
  airlock credential kubectl aws-prod -r kubernetes-cluster --resource-id prod-eks
  airlock credential kubectl dev-cluster")]
    Kubectl {
        /// The connector's name or id.
        connector: String,
        #[command(flatten)]
        scope: Scope,
    },
    /// The docker credential helper protocol: the registry on stdin, JSON on stdout.
    #[command(after_help = "Examples:
  airlock credential docker get    # reads `registry.example.com` on stdin
  airlock credential docker list")]
    Docker {
        /// What docker asks: get (the registry on stdin), list, store or erase.
        #[arg(value_enum)]
        action: DockerAction,
    },
}

/// What docker asks its credential helper.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DockerAction {
    Get,
    List,
    Store,
    Erase,
}

/// Run a helper.
pub async fn run(command: CredentialCommand, server: &ServerArgs) -> anyhow::Result<()> {
    match command {
        CredentialCommand::Aws { connector, scope } => {
            let credential = fetch(server, &connector, &scope).await?;
            println!("{}", aws_process_credential(&credential)?);
        }
        CredentialCommand::Kubectl { connector, scope } => {
            let credential = fetch(server, &connector, &scope).await?;
            println!("{}", exec_credential(&credential)?);
        }
        CredentialCommand::Docker { action } => {
            if let Err(e) = docker(action).await {
                // Docker's helper client reports what the helper printed on stdout.
                println!("airlock: {e:#}");
                eprintln!("error: {e:#}");
                std::process::exit(1);
            }
        }
    }
    Ok(())
}

async fn fetch(server: &ServerArgs, connector: &str, scope: &Scope) -> anyhow::Result<IssuedCredential> {
    Ok(cache::credential(&server.client()?, connector, scope).await?.credential)
}

/// `{"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}`.
fn aws_process_credential(credential: &IssuedCredential) -> anyhow::Result<String> {
    let mut out = json!({
        "Version": 1,
        "AccessKeyId": value(credential, "aws_access_key_id")?,
        "SecretAccessKey": value(credential, "aws_secret_access_key")?,
    });
    if let Ok(token) = value(credential, "aws_session_token") {
        out["SessionToken"] = token.into();
    }
    if let Some(expires_at) = credential.expires_at {
        out["Expiration"] = rfc3339(expires_at).into();
    }
    Ok(out.to_string())
}

/// An `ExecCredential` (`client.authentication.k8s.io/v1`) with the token or client certificate.
fn exec_credential(credential: &IssuedCredential) -> anyhow::Result<String> {
    let mut status = serde_json::Map::new();
    if let Ok(token) = value(credential, "token") {
        status.insert("token".into(), token.into());
    }
    if let (Ok(certificate), Ok(key)) = (value(credential, "client_certificate"), value(credential, "client_key")) {
        status.insert("clientCertificateData".into(), pem(certificate)?.into());
        status.insert("clientKeyData".into(), pem(key)?.into());
    }
    if status.is_empty() {
        bail!("the issued kubernetes credential holds no token or client certificate an exec plugin can return");
    }
    if let Some(expires_at) = credential.expires_at {
        status.insert("expirationTimestamp".into(), rfc3339(expires_at).into());
    }
    Ok(json!({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": status}).to_string())
}

/// ExecCredential wants raw PEM where kubeconfig has base64 PEM.
fn pem(value: &str) -> anyhow::Result<String> {
    use base64::Engine as _;
    if value.trim_start().starts_with("-----BEGIN") {
        return Ok(value.to_string());
    }
    let decoded =
        base64::engine::general_purpose::STANDARD.decode(value.trim()).ok().and_then(|d| String::from_utf8(d).ok());
    decoded.context("a certificate or key in the issued credential is neither PEM nor base64 PEM")
}

/// The docker credential helper protocol. Registries are served only if `login` mapped them to
/// a connector; others are "not found", as docker expects.
async fn docker(action: DockerAction) -> anyhow::Result<()> {
    let mut input = String::new();
    if matches!(action, DockerAction::Get | DockerAction::Erase | DockerAction::Store) {
        std::io::stdin().read_to_string(&mut input)?;
    }
    let registries = DockerRegistries::load()?;
    match action {
        DockerAction::Get => {
            let Some(target) = registries.find(input.trim()) else {
                // The message docker's client library matches to mean "no credentials".
                println!("credentials not found in native keychain");
                std::process::exit(1);
            };
            let server = ServerArgs { url: Some(target.url.clone()), token: None };
            let scope = Scope { resource_type: target.resource_type.clone(), resource_id: target.resource_id.clone() };
            let credential = fetch(&server, &target.connector, &scope).await?;
            let answer = json!({
                "ServerURL": input.trim(),
                "Username": value(&credential, "username")?,
                "Secret": value(&credential, "password")?,
            });
            println!("{answer}");
        }
        DockerAction::List => {
            let list: BTreeMap<&String, &str> = registries.0.keys().map(|r| (r, "")).collect();
            println!("{}", serde_json::to_string(&list)?);
        }
        DockerAction::Store => bail!(
            "Airlock issues these credentials itself; `airlock connector login` configures a registry (nothing was stored)"
        ),
        DockerAction::Erase => {
            if let Some(target) = registries.find(input.trim()) {
                cache::forget(Some(&target.connector))?;
            }
        }
    }
    Ok(())
}

/// Which connector serves which registry for the docker helper
/// (`~/.config/airlock/docker-registries.json`, written by `login`).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct DockerRegistries(pub BTreeMap<String, RegistryTarget>);

/// The connector (and server) that issues a registry's credentials.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RegistryTarget {
    pub url: String,
    pub connector: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
}

impl DockerRegistries {
    pub fn path() -> anyhow::Result<PathBuf> {
        let config = super::client::ClientConfig::path().context("HOME is not set")?;
        Ok(config.with_file_name("docker-registries.json"))
    }

    pub fn load() -> anyhow::Result<Self> {
        match std::fs::read(Self::path()?) {
            Ok(bytes) => serde_json::from_slice(&bytes).context("the docker helper's registry map is not valid JSON"),
            Err(_) => Ok(Self::default()),
        }
    }

    pub fn save(&self) -> anyhow::Result<()> {
        super::login::write_private(&Self::path()?, &serde_json::to_string_pretty(self)?)
    }

    fn find(&self, server_url: &str) -> Option<&RegistryTarget> {
        self.0.get(&registry_key(server_url))
    }
}

/// A registry as docker names it (`https://host:port/v1/`, `host:port`) → `host:port`.
pub fn registry_key(server_url: &str) -> String {
    let rest = server_url.split_once("://").map_or(server_url, |(_, rest)| rest);
    let host = rest.split('/').next().unwrap_or_default().to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => "docker.io".into(),
        _ => host,
    }
}
