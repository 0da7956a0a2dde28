//! `login`: configure local tools from a connector. By default the tools fetch short-lived
//! credentials themselves through Airlock's helpers (AWS `credential_process`, a kubectl exec
//! plugin, a docker credential helper); `--static` writes the issued credential instead. What
//! `login` writes is recorded ([`footprint`]) so that `logout` can remove it.

mod aws;
mod docker;
mod files;
mod footprint;
mod kube;

use crate::credentials::IssuedCredential;
use anyhow::{Context, bail};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

/// Where `login` writes, when not the tools' defaults, and how.
#[derive(Debug, Default, clap::Args)]
pub struct Targets {
    /// Write the issued credential itself (it stops working when it expires) instead of
    /// configuring the tool to fetch fresh ones through Airlock.
    #[arg(long = "static")]
    pub write_static: bool,
    /// Docker config directory [default: $DOCKER_CONFIG or ~/.docker].
    #[arg(long)]
    pub docker_config: Option<PathBuf>,
    /// Containers auth file skopeo and podman read [default: $REGISTRY_AUTH_FILE or
    /// $XDG_RUNTIME_DIR/containers/auth.json].
    #[arg(long)]
    pub containers_auth: Option<PathBuf>,
    /// Directory for the `docker-credential-airlock` helper link; must be on PATH [default: ~/.local/bin].
    #[arg(long)]
    pub helper_dir: Option<PathBuf>,
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

/// The command a tool runs to fetch credentials: this binary, aimed at this server.
pub struct Helper {
    /// The `airlock` executable.
    pub program: PathBuf,
    /// The server URL.
    pub url: String,
    pub connector: String,
}

impl Helper {
    /// `airlock --url <url> credential <kind> <connector> [-r <type>] [--resource-id <id>]`
    /// as arguments (the program not included).
    fn args(&self, kind: &str, credential: &IssuedCredential) -> Vec<String> {
        let mut args = vec!["--url".into(), self.url.clone(), "credential".into(), kind.into(), self.connector.clone()];
        args.extend(["--resource-type".into(), credential.resource_type.clone()]);
        if let Some(id) = &credential.resource_id {
            args.extend(["--resource-id".into(), id.clone()]);
        }
        args
    }
}

/// Configure the local client for this credential's type.
pub fn configure(helper: &Helper, credential: &IssuedCredential, targets: Targets) -> anyhow::Result<()> {
    let connector = helper.connector.as_str();
    let mut written = footprint::Footprint::load()?;
    let wrote = match credential.connector_type.as_str() {
        "docker" => docker::configure(helper, credential, &targets)?,
        "aws" => {
            let profile = targets.profile.clone().unwrap_or_else(|| format!("airlock-{connector}"));
            aws::configure(helper, credential, &profile, targets.write_static)?
        }
        "kubernetes" => kube::configure(helper, credential, targets.kubeconfig, targets.write_static)?,
        "gcp" => files::gcp(credential, targets.gcp_file, connector)?,
        "azure" => files::azure(credential, targets.azure_file, connector)?,
        other => bail!("`login` cannot configure a local client for `{other}` credentials"),
    };
    written.record(connector, wrote);
    written.save()
}

/// Undo what `login` wrote for `connector` (or every connector) and drop cached credentials.
pub fn logout(connector: Option<&str>) -> anyhow::Result<()> {
    for done in footprint::logout(connector)? {
        eprintln!("{done}");
    }
    let cached = super::cache::forget(connector)?;
    eprintln!("Removed {cached} cached credential(s).");
    Ok(())
}

fn home() -> anyhow::Result<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from).context("HOME is not set")
}

/// Write `text` to `path` (mode 0600) through a temporary file.
pub(super) fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // A name of its own per writer: helpers of several tools may write the same file at once.
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let tmp = path.with_extension(format!("airlock-tmp-{}-{nanos}", std::process::id()));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    Ok(written?)
}

/// The value of one attribute of an issued credential.
pub(super) fn value<'a>(credential: &'a IssuedCredential, name: &str) -> anyhow::Result<&'a str> {
    credential
        .attributes
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.value.as_str())
        .with_context(|| format!("the issued credential has no `{name}`"))
}
