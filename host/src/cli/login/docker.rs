//! Registry credentials for docker, skopeo, podman and buildah: a `credHelpers` entry that
//! runs `docker-credential-airlock` (the default), or an `auths` entry holding the issued
//! credential (`--static`), in the docker config and the containers auth file (both 0600).
//! Docker Hub is written under both keys tools look it up by.

use super::footprint::Written;
use super::{Helper, Targets, home, value, write_private};
use crate::cli::helper::{DOCKER_HELPER, DockerRegistries, RegistryTarget, registry_key};
use crate::credentials::IssuedCredential;
use anyhow::Context;
use base64::Engine as _;
use std::path::{Path, PathBuf};

pub fn configure(helper: &Helper, credential: &IssuedCredential, targets: &Targets) -> anyhow::Result<Vec<Written>> {
    let registry = value(credential, "registry")?;
    let keys = match registry_key(registry).as_str() {
        "docker.io" => vec!["https://index.docker.io/v1/".to_string(), "docker.io".to_string()],
        key => vec![key.to_string()],
    };
    let files = [docker_config(targets)?, containers_auth(targets)?];
    let mut written = Vec::new();
    for path in files.iter().flatten() {
        let mut config = read_json(path)?;
        for key in &keys {
            match targets.write_static {
                true => {
                    let auth = base64::engine::general_purpose::STANDARD.encode(format!(
                        "{}:{}",
                        value(credential, "username")?,
                        value(credential, "password")?
                    ));
                    set(&mut config, "auths", key, serde_json::json!({ "auth": auth }));
                    remove(&mut config, "credHelpers", key);
                }
                false => {
                    set(&mut config, "credHelpers", key, "airlock".into());
                    remove(&mut config, "auths", key);
                }
            }
        }
        write_private(path, &serde_json::to_string_pretty(&config)?)?;
        written.push(Written::RegistryEntry { path: path.clone(), keys: keys.clone() });
    }
    let shown: Vec<String> = files.iter().flatten().map(|p| p.display().to_string()).collect();
    if targets.write_static {
        eprintln!(
            "Wrote credentials for `{registry}` to {}; they expire with the issued credential.",
            shown.join(" and ")
        );
        return Ok(written);
    }
    let mut registries = DockerRegistries::load()?;
    registries.0.insert(
        registry_key(registry),
        RegistryTarget {
            url: helper.url.clone(),
            connector: helper.connector.clone(),
            resource_type: Some(credential.resource_type.clone()),
            resource_id: credential.resource_id.clone(),
        },
    );
    registries.save()?;
    written.push(Written::HelperRegistry { registry: registry_key(registry) });
    let link = install_helper(helper, targets)?;
    eprintln!(
        "Configured `{registry}` in {} to fetch fresh credentials through `{DOCKER_HELPER}` ({}).",
        shown.join(" and "),
        link.display()
    );
    Ok(written)
}

/// Remove `keys` from a config's `auths` and `credHelpers`.
pub fn remove_entries(path: &Path, keys: &[String]) -> anyhow::Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let mut config = read_json(path)?;
    for key in keys {
        remove(&mut config, "auths", key);
        remove(&mut config, "credHelpers", key);
    }
    write_private(path, &serde_json::to_string_pretty(&config)?)
}

/// `<dir>/docker-credential-airlock` → this executable, so tools find the helper on PATH.
fn install_helper(helper: &Helper, targets: &Targets) -> anyhow::Result<PathBuf> {
    let dir = match &targets.helper_dir {
        Some(dir) => dir.clone(),
        None => home()?.join(".local/bin"),
    };
    std::fs::create_dir_all(&dir)?;
    let link = dir.join(DOCKER_HELPER);
    if std::fs::read_link(&link).ok().as_deref() != Some(helper.program.as_path()) {
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&helper.program, &link)
            .with_context(|| format!("cannot create the helper link {}", link.display()))?;
    }
    let on_path = std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d == dir));
    if !on_path {
        eprintln!("note: {} is not on PATH; add it so docker and skopeo find {DOCKER_HELPER}.", dir.display());
    }
    Ok(link)
}

fn docker_config(targets: &Targets) -> anyhow::Result<Option<PathBuf>> {
    let dir = match (&targets.docker_config, std::env::var_os("DOCKER_CONFIG")) {
        (Some(dir), _) => dir.clone(),
        (None, Some(dir)) => PathBuf::from(dir),
        (None, None) => home()?.join(".docker"),
    };
    Ok(Some(dir.join("config.json")))
}

/// The containers auth file: given, `$REGISTRY_AUTH_FILE`, or `$XDG_RUNTIME_DIR/containers/auth.json`
/// (none when the runtime directory is unset: the tools then read the docker config).
fn containers_auth(targets: &Targets) -> anyhow::Result<Option<PathBuf>> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    Ok(targets
        .containers_auth
        .clone()
        .or_else(|| env("REGISTRY_AUTH_FILE"))
        .or_else(|| env("XDG_RUNTIME_DIR").map(|d| d.join("containers/auth.json"))))
}

fn read_json(path: &Path) -> anyhow::Result<serde_json::Value> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| format!("{} is not valid JSON", path.display())),
        Err(_) => Ok(serde_json::json!({})),
    }
}

fn set(config: &mut serde_json::Value, section: &str, key: &str, entry: serde_json::Value) {
    if !config[section].is_object() {
        config[section] = serde_json::json!({});
    }
    config[section][key] = entry;
}

fn remove(config: &mut serde_json::Value, section: &str, key: &str) {
    if let Some(map) = config.get_mut(section).and_then(|s| s.as_object_mut()) {
        map.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::IssuedValue;

    /// Docker Hub is written under the key the docker CLI looks up and the one skopeo and
    /// podman use, in both files.
    #[test]
    fn docker_hub_is_written_under_both_keys() {
        let dir = tempfile::tempdir().unwrap();
        let plain = |v: &str| IssuedValue { value: v.into(), secret: false };
        let credential = IssuedCredential {
            connector_type: "docker".into(),
            auth_method: "password".into(),
            resource_type: "docker-registry".into(),
            resource_id: Some("docker.io".into()),
            attributes: vec![
                ("username".into(), plain("alice")),
                ("password".into(), IssuedValue { value: "s3cret".into(), secret: true }),
                ("registry".into(), plain("https://index.docker.io/v1/")),
            ],
            expires_at: None,
        };
        let targets = Targets {
            write_static: true,
            docker_config: Some(dir.path().join("docker")),
            containers_auth: Some(dir.path().join("containers/auth.json")),
            helper_dir: None,
            profile: None,
            kubeconfig: None,
            gcp_file: None,
            azure_file: None,
        };
        let helper = Helper { program: "airlock".into(), url: "http://127.0.0.1:9".into(), connector: "hub".into() };
        configure(&helper, &credential, &targets).unwrap();
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
        for file in [dir.path().join("docker/config.json"), dir.path().join("containers/auth.json")] {
            let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
            for key in ["https://index.docker.io/v1/", "docker.io"] {
                assert_eq!(written["auths"][key]["auth"], auth.as_str(), "{key} in {}", file.display());
            }
        }
    }
}
