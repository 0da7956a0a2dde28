//! Auto-configuration from what gcloud and the Google client libraries leave locally: the file
//! `GOOGLE_APPLICATION_CREDENTIALS` names, else gcloud's application-default credentials, and
//! the active project (`CLOUDSDK_CORE_PROJECT`, `GOOGLE_CLOUD_PROJECT`, gcloud's default
//! configuration). The method follows the credential's `type`, as ZenML does. The host reads
//! the files; this component sees no file system.

use airlock_sdk::{AutoConfiguration, AutoConfigureInput, ConnectorError, Result};

const GAC: &str = "$GOOGLE_APPLICATION_CREDENTIALS";
const ADC: &str = "~/.config/gcloud/application_default_credentials.json";
const GCLOUD_CONFIG: &str = "~/.config/gcloud/configurations/config_default";

pub fn from_local(input: AutoConfigureInput) -> Result<AutoConfiguration> {
    let env = |name: &str| input.env.iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.clone());
    let file = |path: &str| {
        input.files.iter().find(|f| f.path == path).map(|f| String::from_utf8_lossy(&f.contents).into_owned())
    };
    let read = match (env("GOOGLE_APPLICATION_CREDENTIALS"), file(GAC), file(ADC)) {
        (Some(path), None, _) => {
            return Err(ConnectorError::InvalidConfig(format!(
                "GOOGLE_APPLICATION_CREDENTIALS names `{path}`, which cannot be read"
            )));
        }
        (Some(path), Some(text), _) => (path, text),
        (None, _, Some(text)) => (ADC.to_string(), text),
        (None, _, None) => {
            return Err(ConnectorError::InvalidConfig(format!(
                "no Google credentials found: GOOGLE_APPLICATION_CREDENTIALS is not set and {ADC} does not exist (run `gcloud auth application-default login`)"
            )));
        }
    };
    let (source, text) = read;
    let credential: serde_json::Value = serde_json::from_str(&text)
        .map_err(|_| ConnectorError::InvalidConfig(format!("`{source}` is not a JSON credential file")))?;
    let kind = credential["type"].as_str().unwrap_or_default();
    let method = match kind {
        "service_account" => "service-account",
        "authorized_user" => "user-account",
        "external_account" => "external-account",
        other => {
            return Err(ConnectorError::Unsupported(format!(
                "`{source}` holds a `{other}` credential, which cannot be auto-configured (service_account, authorized_user or external_account)"
            )));
        }
    };
    if let Some(asked) = input.auth_method.as_deref().filter(|asked| *asked != method) {
        return Err(ConnectorError::InvalidConfig(match asked {
            "implicit" => "implicit authentication is disabled on this server".to_string(),
            "oauth2-token" | "impersonation" => format!("`{asked}` cannot be auto-configured; register it by hand"),
            _ => format!("`{source}` holds a `{kind}` credential, which configures `{method}`, not `{asked}`"),
        }));
    }
    let project = env("CLOUDSDK_CORE_PROJECT")
        .or_else(|| env("GOOGLE_CLOUD_PROJECT"))
        .or_else(|| file(GCLOUD_CONFIG).and_then(|ini| core_project(&ini)))
        .or_else(|| credential["project_id"].as_str().map(str::to_string))
        .or_else(|| credential["quota_project_id"].as_str().map(str::to_string))
        .ok_or_else(|| {
            ConnectorError::InvalidConfig(format!(
                "no GCP project found (read {source}, CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT and {GCLOUD_CONFIG}); set the active project with `gcloud config set project <id>`"
            ))
        })?;
    let document = match method {
        // Only what the refresh grant needs, as ZenML rebuilds it.
        "user-account" => {
            for field in ["client_id", "client_secret", "refresh_token"] {
                if credential[field].as_str().is_none() {
                    return Err(ConnectorError::InvalidConfig(format!("`{source}` has no `{field}`")));
                }
            }
            serde_json::json!({
                "type": "authorized_user",
                "client_id": credential["client_id"],
                "client_secret": credential["client_secret"],
                "refresh_token": credential["refresh_token"],
            })
            .to_string()
        }
        _ => text.trim().to_string(),
    };
    let binding = match method {
        "service-account" => "service_account_json",
        "user-account" => "user_account_json",
        _ => "external_account_json",
    };
    Ok(AutoConfiguration {
        auth_method: method.into(),
        resource_type: input.resource_type,
        resource_id: input.resource_id,
        attributes: vec![("project_id".into(), project), (binding.into(), document)],
        expires_at: None,
    })
}

/// `project` of the `[core]` section of a gcloud configuration file.
fn core_project(ini: &str) -> Option<String> {
    let mut in_core = false;
    for line in ini.lines().map(str::trim) {
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_core = section.trim() == "core";
        } else if in_core
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "project"
            && !value.trim().is_empty()
        {
            return Some(value.trim().to_string());
        }
    }
    None
}
