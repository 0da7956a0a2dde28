//! AWS CLI / SDK profiles: `credential_process` (the default) or static keys (`--static`), in
//! the files `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE` name (0600, other profiles kept).

use super::footprint::Written;
use super::{Helper, home, value, write_private};
use crate::credentials::IssuedCredential;
use std::path::PathBuf;

pub fn configure(
    helper: &Helper,
    credential: &IssuedCredential,
    profile: &str,
    write_static: bool,
) -> anyhow::Result<Vec<Written>> {
    let env_path = |var: &str, default: &str| -> anyhow::Result<PathBuf> {
        Ok(std::env::var_os(var).map(PathBuf::from).unwrap_or(home()?.join(default)))
    };
    let credentials_path = env_path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials")?;
    let config_path = env_path("AWS_CONFIG_FILE", ".aws/config")?;
    let (section, config_header) = (format!("[{profile}]"), format!("[profile {profile}]"));
    let mut settings = vec![("region", value(credential, "region")?.to_string())];
    if let Ok(endpoint) = value(credential, "endpoint_url") {
        settings.push(("endpoint_url", endpoint.to_string()));
    }
    let mut written = vec![Written::IniSection { path: config_path.clone(), header: config_header.clone() }];
    let existing_credentials = std::fs::read_to_string(&credentials_path).unwrap_or_default();
    if write_static {
        let mut keys = vec![
            ("aws_access_key_id", value(credential, "aws_access_key_id")?),
            ("aws_secret_access_key", value(credential, "aws_secret_access_key")?),
        ];
        if let Ok(token) = value(credential, "aws_session_token") {
            keys.push(("aws_session_token", token));
        }
        for (name, value) in &keys {
            check_ini_value(name, value)?;
        }
        write_private(&credentials_path, &replace_ini_section(&existing_credentials, &section, &keys))?;
        written.push(Written::IniSection { path: credentials_path.clone(), header: section });
    } else {
        // Keys in the credentials file would win over credential_process: drop a static login's.
        if existing_credentials.lines().any(|l| l.trim() == section) {
            write_private(&credentials_path, &remove_ini_section(&existing_credentials, &section))?;
        }
        let mut command = vec![quote(&helper.program.to_string_lossy())];
        command.extend(helper.args("aws", credential).iter().map(|a| quote(a)));
        settings.push(("credential_process", command.join(" ")));
    }
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for (name, value) in &settings {
        check_ini_value(name, value)?;
    }
    let existing = std::fs::read_to_string(&config_path).unwrap_or_default();
    write_private(&config_path, &replace_ini_section(&existing, &config_header, &settings))?;
    match write_static {
        true => eprintln!(
            "Wrote credentials for the AWS profile `{profile}` ({}); they expire with the issued credential. Use it with --profile {profile}.",
            credentials_path.display()
        ),
        false => eprintln!(
            "Configured the AWS profile `{profile}` ({}) to fetch fresh credentials through Airlock (credential_process); use it with --profile {profile} or AWS_PROFILE={profile}.",
            config_path.display()
        ),
    }
    Ok(written)
}

/// A value from an issued credential must stay one INI value: a line break would let it add
/// settings (a `credential_process` of its own) to the user's AWS config.
fn check_ini_value(name: &str, value: &str) -> anyhow::Result<()> {
    if value.contains(['\r', '\n']) || value.trim_start().starts_with(['[', ';', '#']) {
        anyhow::bail!("the issued credential's `{name}` is not a single-line value; nothing was written");
    }
    Ok(())
}

/// Replace (or add) one `[section]` of an INI file, keeping the rest.
fn replace_ini_section(existing: &str, header: &str, body: &[(&str, &str)]) -> String {
    let mut out = remove_ini_section(existing, header);
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

/// An INI file without one `[section]`.
pub fn remove_ini_section(existing: &str, header: &str) -> String {
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
    out
}

/// One argument as a POSIX shell word (botocore splits `credential_process` with shlex).
fn quote(arg: &str) -> String {
    let plain = !arg.is_empty() && arg.chars().all(|c| c.is_ascii_alphanumeric() || "_-./:=@,+%".contains(c));
    match plain {
        true => arg.to_string(),
        false => format!("'{}'", arg.replace('\'', r"'\''")),
    }
}
