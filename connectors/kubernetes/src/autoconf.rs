//! Auto-configuration from a kubeconfig (`$KUBECONFIG`, else `~/.kube/config`), as kubectl
//! reads it: the current context, or the context (or cluster) named by the resource id. The
//! host reads the file; this component sees no file system.

use crate::cluster::RESOURCE_TYPE;
use airlock_sdk::{AutoConfiguration, AutoConfigureInput, ConnectorError, Result};
use yaml_rust2::{Yaml, YamlLoader};

const FROM_ENV: &str = "$KUBECONFIG";
const DEFAULT: &str = "~/.kube/config";

pub fn from_kubeconfig(input: AutoConfigureInput) -> Result<AutoConfiguration> {
    let env = input.env.iter().find(|(k, v)| k == "KUBECONFIG" && !v.is_empty()).map(|(_, v)| v.clone());
    let file = |path: &str| input.files.iter().find(|f| f.path == path).map(|f| f.contents.clone());
    let (source, contents) = match (env, file(FROM_ENV), file(DEFAULT)) {
        (Some(path), None, _) => {
            return Err(invalid(format!("KUBECONFIG names `{path}`, which cannot be read")));
        }
        (Some(path), Some(contents), _) => (path, contents),
        (None, _, Some(contents)) => (DEFAULT.to_string(), contents),
        (None, _, None) => {
            return Err(invalid(format!("no kubeconfig found: KUBECONFIG is not set and {DEFAULT} does not exist")));
        }
    };
    let yaml = String::from_utf8(contents).map_err(|_| invalid(format!("`{source}` is not UTF-8 text")))?;
    let docs = YamlLoader::load_from_str(&yaml).map_err(|e| invalid(format!("`{source}` is not YAML: {e}")))?;
    let kubeconfig = docs.first().ok_or_else(|| invalid(format!("`{source}` is empty")))?;
    let named = |list: &str, name: &str| {
        kubeconfig[list].as_vec().into_iter().flatten().find(|e| e["name"].as_str() == Some(name)).cloned()
    };
    let context_name = match input.resource_id.as_deref() {
        Some(wanted) => kubeconfig["contexts"]
            .as_vec()
            .into_iter()
            .flatten()
            .find(|c| c["name"].as_str() == Some(wanted))
            .or_else(|| {
                let mut by_cluster = kubeconfig["contexts"]
                    .as_vec()
                    .into_iter()
                    .flatten()
                    .filter(|c| c["context"]["cluster"].as_str() == Some(wanted));
                by_cluster.next().filter(|_| by_cluster.next().is_none())
            })
            .and_then(|c| c["name"].as_str())
            .ok_or_else(|| {
                invalid(format!("`{source}` has no context (or single context of a cluster) named `{wanted}`"))
            })?
            .to_string(),
        None => kubeconfig["current-context"]
            .as_str()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| invalid(format!("`{source}` has no current context; name one with --resource-id")))?
            .to_string(),
    };
    let context = named("contexts", &context_name)
        .ok_or_else(|| invalid(format!("`{source}` has no context `{context_name}`")))?;
    let cluster_name = context["context"]["cluster"].as_str().unwrap_or_default().to_string();
    let cluster = named("clusters", &cluster_name)
        .ok_or_else(|| invalid(format!("`{source}` has no cluster `{cluster_name}` (context `{context_name}`)")))?;
    let user_name = context["context"]["user"].as_str().unwrap_or_default().to_string();
    let user = named("users", &user_name)
        .ok_or_else(|| invalid(format!("`{source}` has no user `{user_name}` (context `{context_name}`)")))?;
    let (cluster, user) = (&cluster["cluster"], &user["user"]);
    let mut attributes = vec![
        ("cluster_name".to_string(), cluster_name.clone()),
        (
            "server".into(),
            text(cluster, "server").ok_or_else(|| invalid(format!("cluster `{cluster_name}` has no server")))?,
        ),
    ];
    if cluster["insecure-skip-tls-verify"].as_bool() == Some(true) {
        attributes.push(("insecure".into(), "true".into()));
    }
    if let Some(ca) = text(cluster, "certificate-authority-data") {
        attributes.push(("certificate_authority".into(), ca));
    } else if text(cluster, "certificate-authority").is_some() {
        return Err(file_reference(&source, "certificate-authority"));
    }
    for field in ["client-certificate", "client-key", "tokenFile"] {
        if text(user, field).is_some() {
            return Err(file_reference(&source, field));
        }
    }
    if !user["exec"].is_badvalue() || !user["auth-provider"].is_badvalue() {
        return Err(ConnectorError::Unsupported(format!(
            "user `{user_name}` in `{source}` gets its credentials from an exec or auth-provider plugin; register the cloud's own connector (aws, gcp, azure) or a token"
        )));
    }
    let method = match (text(user, "username"), text(user, "password")) {
        (Some(username), Some(password)) => {
            attributes.extend([("username".into(), username), ("password".into(), password)]);
            "password"
        }
        _ => {
            let token = text(user, "token");
            let certificate = text(user, "client-certificate-data");
            let key = text(user, "client-key-data");
            if token.is_none() && (certificate.is_none() || key.is_none()) {
                return Err(invalid(format!(
                    "user `{user_name}` in `{source}` has neither a token, a username and password, nor a client certificate and key"
                )));
            }
            attributes.extend(token.map(|t| ("token".to_string(), t)));
            if let (Some(certificate), Some(key)) = (certificate, key) {
                attributes.extend([("client_certificate".into(), certificate), ("client_key".into(), key)]);
            }
            "token"
        }
    };
    if let Some(asked) = input.auth_method.as_deref().filter(|asked| *asked != method) {
        return Err(invalid(format!("user `{user_name}` in `{source}` configures `{method}`, not `{asked}`")));
    }
    Ok(AutoConfiguration {
        auth_method: method.into(),
        resource_type: Some(RESOURCE_TYPE.into()),
        resource_id: Some(cluster_name),
        attributes,
        expires_at: None,
    })
}

fn text(node: &Yaml, field: &str) -> Option<String> {
    node[field].as_str().filter(|v| !v.is_empty()).map(str::to_string)
}

fn invalid(message: String) -> ConnectorError {
    ConnectorError::InvalidConfig(message)
}

/// Files a kubeconfig points to are not read (only the kubeconfig itself is handed in).
fn file_reference(source: &str, field: &str) -> ConnectorError {
    invalid(format!(
        "`{source}` refers to a file for `{field}`; embed the data with `kubectl config view --raw --flatten > flat.config` and auto-configure with KUBECONFIG=flat.config"
    ))
}
