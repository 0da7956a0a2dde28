//! Auto-configuration from the user's credentials and config files (`AWS_SHARED_CREDENTIALS_FILE`
//! and `AWS_CONFIG_FILE`, else `~/.aws/credentials` and `~/.aws/config`) and `AWS_*` variables
//! (read by the host and handed in; this component sees no file system). Like ZenML, long-lived
//! keys become the `session-token` method rather than `secret-key`. Errors name the files read.

use airlock_sdk::{AutoConfiguration, AutoConfigureInput, ConnectorError, Result};
use std::collections::BTreeMap;

type Ini = BTreeMap<String, BTreeMap<String, String>>;

/// Sections of an INI file (`[name]` or `[profile name]`, both keyed by `name`).
fn parse_ini(text: &str) -> Ini {
    let mut ini = Ini::new();
    let mut section = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().trim_start_matches("profile ").trim().to_string();
            ini.entry(section.clone()).or_default();
        } else if let Some((k, v)) = line.split_once('=') {
            ini.entry(section.clone()).or_default().insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    ini
}

struct Keys {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

fn keys_of(section: Option<&BTreeMap<String, String>>) -> Option<Keys> {
    let s = section?;
    Some(Keys {
        access_key_id: s.get("aws_access_key_id")?.clone(),
        secret_access_key: s.get("aws_secret_access_key")?.clone(),
        session_token: s.get("aws_session_token").cloned(),
    })
}

pub fn from_local(input: AutoConfigureInput) -> Result<AutoConfiguration> {
    let env: BTreeMap<String, String> = input.env.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    // The file a variable names (which must exist), else the default one (which may not).
    let file = |variable: &str, default: &str| -> Result<(String, Ini)> {
        let read = |declared: &str| {
            input.files.iter().find(|f| f.path == declared).map(|f| parse_ini(&String::from_utf8_lossy(&f.contents)))
        };
        match env.get(variable) {
            Some(path) => read(&format!("${variable}")).map(|ini| (path.clone(), ini)).ok_or_else(|| {
                ConnectorError::InvalidConfig(format!("{variable} names `{path}`, which cannot be read"))
            }),
            None => Ok((default.to_string(), read(default).unwrap_or_default())),
        }
    };
    let (credentials_file, credentials) = file("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")?;
    let (config_file, config) = file("AWS_CONFIG_FILE", "~/.aws/config")?;
    let profile = env.get("AWS_PROFILE").cloned().unwrap_or_else(|| "default".into());
    let profile_config = config.get(&profile);

    let region = env
        .get("AWS_REGION")
        .or_else(|| env.get("AWS_DEFAULT_REGION"))
        .or_else(|| profile_config.and_then(|c| c.get("region")))
        .cloned()
        .ok_or_else(|| {
            ConnectorError::InvalidConfig(format!(
                "no AWS region found: set AWS_REGION or `region` for profile `{profile}` in {config_file}"
            ))
        })?;
    let endpoint = env.get("AWS_ENDPOINT_URL").or_else(|| profile_config.and_then(|c| c.get("endpoint_url"))).cloned();
    let role_arn = profile_config.and_then(|c| c.get("role_arn")).cloned();

    let from_env = match (env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => Some(Keys {
            access_key_id: id.clone(),
            secret_access_key: secret.clone(),
            session_token: env.get("AWS_SESSION_TOKEN").cloned(),
        }),
        _ => None,
    };
    let keys = match (from_env, &role_arn) {
        (Some(keys), _) => keys,
        // A role profile: the long-lived keys live in its source profile.
        (None, Some(_)) => {
            let source = profile_config.and_then(|c| c.get("source_profile")).ok_or_else(|| {
                ConnectorError::InvalidConfig(format!(
                    "profile `{profile}` in {config_file} has a role_arn but no source_profile"
                ))
            })?;
            keys_of(credentials.get(source)).ok_or_else(|| {
                ConnectorError::InvalidConfig(format!("source profile `{source}` has no keys in {credentials_file}"))
            })?
        }
        (None, None) => keys_of(credentials.get(&profile)).ok_or_else(|| {
            ConnectorError::InvalidConfig(format!(
                "no AWS credentials found for profile `{profile}` (read AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, {credentials_file} and {config_file})"
            ))
        })?,
    };

    let auth_method = match (input.auth_method.as_deref(), &keys.session_token, &role_arn) {
        (Some(asked), _, _) => asked.to_string(),
        (None, Some(_), _) => "sts-token".into(),
        (None, None, Some(_)) => "iam-role".into(),
        (None, None, None) => "session-token".into(),
    };
    match (auth_method.as_str(), &keys.session_token, &role_arn) {
        ("sts-token", None, _) => {
            return Err(ConnectorError::InvalidConfig(
                "`sts-token` needs a session token, and the local credentials have none".into(),
            ));
        }
        ("secret-key" | "session-token" | "federation-token", Some(_), _) => {
            return Err(ConnectorError::InvalidConfig(format!(
                "the local credentials are temporary (they carry a session token); `{auth_method}` needs long-lived keys"
            )));
        }
        ("iam-role", _, None) => {
            return Err(ConnectorError::InvalidConfig(format!("`iam-role` needs a role_arn in profile `{profile}`")));
        }
        ("implicit", _, _) => {
            return Err(ConnectorError::Unsupported("implicit authentication is disabled on this server".into()));
        }
        _ => {}
    }

    let mut attributes = vec![
        ("region".to_string(), region),
        ("aws_access_key_id".into(), keys.access_key_id),
        ("aws_secret_access_key".into(), keys.secret_access_key),
    ];
    if let Some(endpoint) = endpoint {
        attributes.push(("endpoint_url".into(), endpoint));
    }
    if auth_method == "sts-token" {
        attributes.push(("aws_session_token".into(), keys.session_token.unwrap_or_default()));
    }
    if auth_method == "iam-role" {
        attributes.push(("role_arn".into(), role_arn.unwrap_or_default()));
    }
    let now = airlock_sdk::time::now();
    let generic = input.resource_type.as_deref().is_none_or(|rt| rt == crate::ids::GENERIC);
    Ok(AutoConfiguration {
        auth_method: auth_method.clone(),
        resource_type: input.resource_type,
        resource_id: if generic { None } else { input.resource_id },
        attributes,
        // A token's true expiry is unknown locally; assume an hour, as ZenML does.
        expires_at: (auth_method == "sts-token").then_some(now + 3600),
    })
}
