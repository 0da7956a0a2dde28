//! `login`: write an issued credential where local tools look for it.

use crate::credentials::IssuedCredential;
use anyhow::{bail, Context};
use base64::Engine as _;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

/// Configure the local client for this credential's type.
pub fn configure(credential: &IssuedCredential, docker_config: Option<PathBuf>) -> anyhow::Result<()> {
    match credential.connector_type.as_str() {
        "docker" => docker(credential, docker_config),
        other => bail!("`login` cannot configure a local client for `{other}` credentials yet"),
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
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", value(credential, "username")?, value(credential, "password")?));
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
