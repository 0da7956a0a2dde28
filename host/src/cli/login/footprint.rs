//! What `login` wrote, per connector (`~/.config/airlock/logins.json`, 0600), so that `logout`
//! removes exactly that and leaves everything else in the user's files alone.

use super::{aws, docker, write_private};
use crate::cli::client::ClientConfig;
use crate::cli::helper::DockerRegistries;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One thing `login` wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Written {
    /// A file `login` created whole (a kubeconfig, a token file).
    File { path: PathBuf },
    /// One `[section]` of an INI file (an AWS profile).
    IniSection { path: PathBuf, header: String },
    /// A registry's `auths` / `credHelpers` entries in a docker-style JSON config.
    RegistryEntry { path: PathBuf, keys: Vec<String> },
    /// The docker helper's mapping of a registry to this connector.
    HelperRegistry { registry: String },
}

/// Everything `login` wrote, by connector.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Footprint(BTreeMap<String, Vec<Written>>);

impl Footprint {
    fn path() -> anyhow::Result<PathBuf> {
        Ok(ClientConfig::path().context("HOME is not set")?.with_file_name("logins.json"))
    }

    pub fn load() -> anyhow::Result<Self> {
        match std::fs::read(Self::path()?) {
            Ok(bytes) => serde_json::from_slice(&bytes).context("~/.config/airlock/logins.json is not valid JSON"),
            Err(_) => Ok(Self::default()),
        }
    }

    pub fn save(&self) -> anyhow::Result<()> {
        write_private(&Self::path()?, &serde_json::to_string_pretty(self)?)
    }

    /// Remember what a login of `connector` wrote.
    pub fn record(&mut self, connector: &str, written: Vec<Written>) {
        let entries = self.0.entry(connector.to_string()).or_default();
        for item in written {
            if !entries.contains(&item) {
                entries.push(item);
            }
        }
    }
}

/// Undo what `login` wrote for `connector` (every connector when `None`); describes each removal.
pub fn logout(connector: Option<&str>) -> anyhow::Result<Vec<String>> {
    let mut footprint = Footprint::load()?;
    let names: Vec<String> = match connector {
        Some(name) => vec![name.to_string()],
        None => footprint.0.keys().cloned().collect(),
    };
    let mut done = Vec::new();
    for name in names {
        for written in footprint.0.remove(&name).unwrap_or_default() {
            done.push(undo(&written)?);
        }
    }
    footprint.save()?;
    Ok(done)
}

fn undo(written: &Written) -> anyhow::Result<String> {
    Ok(match written {
        Written::File { path } => {
            let _ = std::fs::remove_file(path);
            format!("removed {}", path.display())
        }
        Written::IniSection { path, header } => {
            if let Ok(existing) = std::fs::read_to_string(path) {
                write_private(path, &aws::remove_ini_section(&existing, header))?;
            }
            format!("removed {header} from {}", path.display())
        }
        Written::RegistryEntry { path, keys } => {
            docker::remove_entries(path, keys)?;
            format!("removed {} from {}", keys.join(", "), path.display())
        }
        Written::HelperRegistry { registry } => {
            let mut registries = DockerRegistries::load()?;
            registries.0.remove(registry);
            registries.save()?;
            format!("the docker helper no longer serves {registry}")
        }
    })
}
