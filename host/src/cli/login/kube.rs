//! Kubeconfig contexts: a user that runs Airlock's exec plugin (the default), or one holding
//! the issued token, client certificate or basic credentials (`--static`).

use super::footprint::Written;
use super::{Helper, home, value, write_private};
use crate::credentials::IssuedCredential;
use anyhow::bail;
use base64::Engine as _;
use std::path::PathBuf;

/// A kubeconfig with one cluster, user and context (JSON, which kubectl reads as YAML). The
/// user runs Airlock's exec plugin, or holds the issued credential with `--static`.
pub fn configure(
    helper: &Helper,
    credential: &IssuedCredential,
    path: Option<PathBuf>,
    write_static: bool,
) -> anyhow::Result<Vec<Written>> {
    let path = match path {
        Some(p) => p,
        None => home()?.join(format!(".kube/airlock-{}.config", helper.connector)),
    };
    let name = value(credential, "cluster_name")?;
    let mut cluster = serde_json::json!({ "server": value(credential, "server")? });
    if let Ok(ca) = value(credential, "certificate_authority") {
        cluster["certificate-authority-data"] = kube_data(ca).into();
    }
    if value(credential, "insecure").is_ok_and(|v| v == "true") {
        cluster["insecure-skip-tls-verify"] = true.into();
    }
    let user = match write_static {
        true => kube_user(credential)?,
        false => exec_user(helper, credential),
    };
    let config = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    });
    write_private(&path, &serde_json::to_string_pretty(&config)?)?;
    let how = match write_static {
        true => "with the issued credential (it stops working when that expires)",
        false => "fetching fresh credentials through Airlock's exec plugin",
    };
    eprintln!(
        "Wrote the kubeconfig context `{name}` to {path} {how}; use it with KUBECONFIG={path}.",
        path = path.display()
    );
    Ok(vec![Written::File { path }])
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

/// A kubeconfig user whose credentials come from `airlock credential kubectl` (no secret in
/// the file, none on a command line).
fn exec_user(helper: &Helper, credential: &IssuedCredential) -> serde_json::Value {
    serde_json::json!({
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": helper.program,
            "args": helper.args("kubectl", credential),
            "interactiveMode": "Never",
            "provideClusterInfo": false,
            "installHint": "airlock is needed to fetch credentials for this cluster (see `airlock connector login --help`)",
        }
    })
}
