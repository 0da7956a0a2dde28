//! `login`: write an issued credential where local tools look for it.

use crate::credentials::IssuedCredential;
use anyhow::{Context, bail};
use base64::Engine as _;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

/// Where `login` writes, when not the tools' defaults.
#[derive(Debug, Default, clap::Args)]
pub struct Targets {
    /// Docker config directory [default: $DOCKER_CONFIG or ~/.docker].
    #[arg(long)]
    pub docker_config: Option<PathBuf>,
    /// AWS CLI profile name [default: airlock-<connector>].
    #[arg(long)]
    pub profile: Option<String>,
    /// Kubeconfig file to write [default: ~/.kube/airlock-<connector>.config].
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// File for a GCP access token or credential file [default: ~/.config/airlock/gcp/<connector>.token|.json].
    #[arg(long)]
    pub gcp_file: Option<PathBuf>,
    /// File for an Azure SAS URL or access token [default: ~/.config/airlock/azure/<connector>.sas|.token].
    #[arg(long)]
    pub azure_file: Option<PathBuf>,
}

/// Configure the local client for this credential's type.
pub fn configure(connector: &str, credential: &IssuedCredential, targets: Targets) -> anyhow::Result<()> {
    match credential.connector_type.as_str() {
        "docker" => docker(credential, targets.docker_config),
        "aws" => aws_profile(credential, &targets.profile.unwrap_or_else(|| format!("airlock-{connector}"))),
        "kubernetes" => kubeconfig(credential, targets.kubeconfig, connector),
        "gcp" => gcp(credential, targets.gcp_file, connector),
        "azure" => azure(credential, targets.azure_file, connector),
        other => bail!("`login` cannot configure a local client for `{other}` credentials"),
    }
}

fn home() -> anyhow::Result<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from).context("HOME is not set")
}

/// Write `text` to `path` (mode 0600) through a temporary file.
fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("airlock-tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Replace (or add) one `[section]` of an INI file, keeping the rest.
fn replace_ini_section(existing: &str, header: &str, body: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in existing.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            skipping = trimmed == header;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
    out.push_str(header);
    out.push('\n');
    for (k, v) in body {
        out.push_str(&format!("{k} = {v}\n"));
    }
    out
}

/// An AWS CLI profile: keys in the credentials file, region in the config file (both 0600).
fn aws_profile(credential: &IssuedCredential, profile: &str) -> anyhow::Result<()> {
    let env_path = |var: &str, default: &str| -> anyhow::Result<PathBuf> {
        Ok(std::env::var_os(var).map(PathBuf::from).unwrap_or(home()?.join(default)))
    };
    let credentials_path = env_path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials")?;
    let config_path = env_path("AWS_CONFIG_FILE", ".aws/config")?;
    let mut keys = vec![
        ("aws_access_key_id", value(credential, "aws_access_key_id")?),
        ("aws_secret_access_key", value(credential, "aws_secret_access_key")?),
    ];
    if let Ok(token) = value(credential, "aws_session_token") {
        keys.push(("aws_session_token", token));
    }
    let existing = std::fs::read_to_string(&credentials_path).unwrap_or_default();
    write_private(&credentials_path, &replace_ini_section(&existing, &format!("[{profile}]"), &keys))?;
    let mut settings = vec![("region", value(credential, "region")?)];
    if let Ok(endpoint) = value(credential, "endpoint_url") {
        settings.push(("endpoint_url", endpoint));
    }
    let existing = std::fs::read_to_string(&config_path).unwrap_or_default();
    write_private(&config_path, &replace_ini_section(&existing, &format!("[profile {profile}]"), &settings))?;
    eprintln!(
        "Configured the AWS CLI profile `{profile}` ({}); use it with --profile {profile}.",
        credentials_path.display()
    );
    Ok(())
}

/// A kubeconfig with one cluster, user and context (JSON, which kubectl reads as YAML).
fn kubeconfig(credential: &IssuedCredential, path: Option<PathBuf>, connector: &str) -> anyhow::Result<()> {
    let path = match path {
        Some(p) => p,
        None => home()?.join(format!(".kube/airlock-{connector}.config")),
    };
    let name = value(credential, "cluster_name")?;
    let mut cluster = serde_json::json!({ "server": value(credential, "server")? });
    if let Ok(ca) = value(credential, "certificate_authority") {
        cluster["certificate-authority-data"] = kube_data(ca).into();
    }
    if value(credential, "insecure").is_ok_and(|v| v == "true") {
        cluster["insecure-skip-tls-verify"] = true.into();
    }
    let config = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": name, "user": kube_user(credential)?}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    });
    write_private(&path, &serde_json::to_string_pretty(&config)?)?;
    eprintln!(
        "Wrote the kubeconfig context `{name}` to {}; use it with KUBECONFIG={}.",
        path.display(),
        path.display()
    );
    Ok(())
}

/// What the Google tools read: an access-token file (gcloud's `auth/access_token_file`, or a
/// token for `google.oauth2.credentials.Credentials`), or a credential file for
/// `GOOGLE_APPLICATION_CREDENTIALS` when the connector released the long-lived file.
fn gcp(credential: &IssuedCredential, path: Option<PathBuf>, connector: &str) -> anyhow::Result<()> {
    let dir = home()?.join(".config/airlock/gcp");
    if let Ok(token) = value(credential, "token") {
        let path = path.unwrap_or_else(|| dir.join(format!("{connector}.token")));
        write_private(&path, token)?;
        eprintln!(
            "Wrote a GCP access token to {path} (0600).\n  gcloud/gsutil: export CLOUDSDK_AUTH_ACCESS_TOKEN_FILE={path}\n  Python: google.oauth2.credentials.Credentials(open(\"{path}\").read())",
            path = path.display()
        );
        return Ok(());
    }
    let file = ["service_account_json", "user_account_json", "external_account_json"]
        .iter()
        .find_map(|name| value(credential, name).ok())
        .context("the issued GCP credential holds neither a token nor a credential file")?;
    let path = path.unwrap_or_else(|| dir.join(format!("{connector}.json")));
    write_private(&path, file)?;
    eprintln!(
        "Wrote a GCP credential file to {path} (0600); Google's client libraries and gcloud use it with GOOGLE_APPLICATION_CREDENTIALS={path}.",
        path = path.display()
    );
    Ok(())
}

/// A container's SAS URL (what `azcopy` and `ContainerClient.from_container_url` take) or an
/// Entra ID access token, in a 0600 file.
fn azure(credential: &IssuedCredential, path: Option<PathBuf>, connector: &str) -> anyhow::Result<()> {
    let dir = home()?.join(".config/airlock/azure");
    if let Ok(sas_url) = value(credential, "sas_url") {
        let path = path.unwrap_or_else(|| dir.join(format!("{connector}.sas")));
        write_private(&path, sas_url)?;
        eprintln!(
            "Wrote the container's SAS URL to {path} (0600).\n  azcopy: azcopy list \"$(cat {path})\"\n  Python: ContainerClient.from_container_url(open(\"{path}\").read())",
            path = path.display()
        );
        return Ok(());
    }
    let token = value(credential, "token")?;
    let path = path.unwrap_or_else(|| dir.join(format!("{connector}.token")));
    write_private(&path, token)?;
    eprintln!("Wrote an Azure access token to {} (0600); send it as `Authorization: Bearer`.", path.display());
    Ok(())
}

/// A kubeconfig user: a bearer token, a client certificate and key (with or without a token),
/// or a username and password.
fn kube_user(credential: &IssuedCredential) -> anyhow::Result<serde_json::Value> {
    let mut user = serde_json::Map::new();
    if let Ok(token) = value(credential, "token") {
        user.insert("token".into(), token.into());
    }
    if let (Ok(certificate), Ok(key)) = (value(credential, "client_certificate"), value(credential, "client_key")) {
        user.insert("client-certificate-data".into(), kube_data(certificate).into());
        user.insert("client-key-data".into(), kube_data(key).into());
    }
    if let (Ok(username), Ok(password)) = (value(credential, "username"), value(credential, "password")) {
        user.insert("username".into(), username.into());
        user.insert("password".into(), password.into());
    }
    if user.is_empty() {
        bail!("the issued kubernetes credential holds no token, client certificate or username and password");
    }
    Ok(user.into())
}

/// A kubeconfig `*-data` value (base64 PEM) from PEM or from data already in that form.
fn kube_data(value: &str) -> String {
    let value = value.trim();
    match value.starts_with("-----BEGIN") {
        true => base64::engine::general_purpose::STANDARD.encode(value),
        false => value.to_string(),
    }
}

fn value<'a>(credential: &'a IssuedCredential, name: &str) -> anyhow::Result<&'a str> {
    credential
        .attributes
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.value.as_str())
        .with_context(|| format!("the issued credential has no `{name}`"))
}

/// Merge an `auths` entry into the Docker config (`config.json`, mode 0600), which docker,
/// skopeo, podman and buildah read.
fn docker(credential: &IssuedCredential, dir: Option<PathBuf>) -> anyhow::Result<()> {
    let dir = dir
        .or_else(|| std::env::var_os("DOCKER_CONFIG").map(PathBuf::from))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))
        .context("cannot find the Docker config directory: set DOCKER_CONFIG or pass --docker-config")?;
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("config.json");
    let mut config: serde_json::Value = match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| format!("{} is not valid JSON", path.display()))?,
        Err(_) => serde_json::json!({}),
    };
    let registry = value(credential, "registry")?;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        value(credential, "username")?,
        value(credential, "password")?
    ));
    if !config["auths"].is_object() {
        config["auths"] = serde_json::json!({});
    }
    config["auths"][registry] = serde_json::json!({ "auth": auth });
    let tmp = path.with_extension("json.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
    file.write_all(serde_json::to_string_pretty(&config)?.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    eprintln!("Configured credentials for `{registry}` in {}.", path.display());
    Ok(())
}
