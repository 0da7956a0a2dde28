//! Token and credential files for the Google and Azure tools (0600), which have no credential
//! helper hook Airlock can plug into.

use super::footprint::Written;
use super::{home, value, write_private};
use crate::credentials::IssuedCredential;
use anyhow::Context;
use std::path::PathBuf;

/// What the Google tools read: an access-token file (gcloud's `auth/access_token_file`, or a
/// token for `google.oauth2.credentials.Credentials`), or a credential file for
/// `GOOGLE_APPLICATION_CREDENTIALS` when the connector released the long-lived file.
pub fn gcp(credential: &IssuedCredential, path: Option<PathBuf>, connector: &str) -> anyhow::Result<Vec<Written>> {
    let dir = home()?.join(".config/airlock/gcp");
    if let Ok(token) = value(credential, "token") {
        let path = path.unwrap_or_else(|| dir.join(format!("{connector}.token")));
        write_private(&path, token)?;
        eprintln!(
            "Wrote a GCP access token to {path} (0600).\n  gcloud/gsutil: export CLOUDSDK_AUTH_ACCESS_TOKEN_FILE={path}\n  Python: google.oauth2.credentials.Credentials(open(\"{path}\").read())",
            path = path.display()
        );
        return Ok(vec![Written::File { path }]);
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
    Ok(vec![Written::File { path }])
}

/// A container's SAS URL (what `azcopy` and `ContainerClient.from_container_url` take) or an
/// Entra ID access token, in a 0600 file.
pub fn azure(credential: &IssuedCredential, path: Option<PathBuf>, connector: &str) -> anyhow::Result<Vec<Written>> {
    let dir = home()?.join(".config/airlock/azure");
    if let Ok(sas_url) = value(credential, "sas_url") {
        let path = path.unwrap_or_else(|| dir.join(format!("{connector}.sas")));
        write_private(&path, sas_url)?;
        eprintln!(
            "Wrote the container's SAS URL to {path} (0600).\n  azcopy: azcopy list \"$(cat {path})\"\n  Python: ContainerClient.from_container_url(open(\"{path}\").read())",
            path = path.display()
        );
        return Ok(vec![Written::File { path }]);
    }
    let token = value(credential, "token")?;
    let path = path.unwrap_or_else(|| dir.join(format!("{connector}.token")));
    write_private(&path, token)?;
    // Only the path is printed, never the credential.
    eprintln!("Wrote the issued Azure credential to {} (0600); send it as `Authorization: Bearer`.", path.display());
    Ok(vec![Written::File { path }])
}
