//! Connector plugins in OCI registries, in the CNCF Wasm artifact layout (`wkg`, `oras`,
//! wasmCloud): a config of type `application/vnd.wasm.config.v0+json` and one `application/wasm`
//! layer. The CLI pulls and checks the artifact (media types, size, digest) and uploads the
//! component through the same install path as a file, so the server needs neither registry
//! credentials nor registry egress; signatures and approval apply as for any upload.

use super::client::Client;
use anyhow::{Context, anyhow, bail};
use futures::StreamExt as _;
use oci_client::client::{ClientConfig, ClientProtocol, Config, ImageLayer};
use oci_client::manifest::{OCI_IMAGE_MEDIA_TYPE, OciImageManifest};
use oci_client::secrets::RegistryAuth;
use oci_client::{Reference, client};
use sha2::{Digest, Sha256};

/// The config media type of a Wasm component artifact.
pub const WASM_CONFIG: &str = "application/vnd.wasm.config.v0+json";
/// The media type of its one layer.
pub const WASM_LAYER: &str = "application/wasm";
/// Largest component accepted (the server's upload limit).
const MAX_COMPONENT: u64 = crate::api::MAX_PLUGIN_BODY as u64;
/// Manifest types accepted when pulling.
const MANIFEST_TYPES: &[&str] = &[OCI_IMAGE_MEDIA_TYPE, "application/vnd.docker.distribution.manifest.v2+json"];

/// How to reach a registry.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RegistryArgs {
    /// Talk plain HTTP to the registry (a local registry without TLS).
    #[arg(long)]
    pub plain_http: bool,
    /// Take registry credentials from this docker connector (issued by the server) instead of
    /// the docker config and its credential helpers.
    #[arg(long, value_name = "CONNECTOR")]
    pub registry_connector: Option<String>,
}

/// A checked component pulled from a registry.
pub struct Pulled {
    pub wasm: Vec<u8>,
    /// `sha256:<hex>` of the component (the layer digest).
    pub digest: String,
}

/// Parse `registry/repo:tag` or `registry/repo@sha256:…`.
pub fn reference(text: &str) -> anyhow::Result<Reference> {
    text.parse().map_err(|e| anyhow!("`{text}` is not an OCI reference (registry/repository:tag or @sha256:…): {e}"))
}

/// Push a component as a Wasm artifact; returns the manifest URL the registry answered.
pub async fn push(
    api: Option<&Client>,
    wasm: Vec<u8>,
    target: &Reference,
    args: &RegistryArgs,
) -> anyhow::Result<String> {
    if wasm.len() as u64 > MAX_COMPONENT {
        bail!("the component is {} bytes; servers accept at most {MAX_COMPONENT}", wasm.len());
    }
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(&wasm)));
    let created = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let config = serde_json::json!({
        "created": created,
        "architecture": "wasm",
        "os": "wasip2",
        "layerDigests": [digest],
    });
    let layers = vec![ImageLayer::new(wasm, WASM_LAYER.into(), None)];
    let config = Config::new(serde_json::to_vec(&config)?, WASM_CONFIG.into(), None);
    let manifest = OciImageManifest::build(&layers, &config, None);
    let auth = auth(api, target, args).await?;
    let pushed = registry(target, args)
        .push(target, &layers, config, &auth, Some(manifest))
        .await
        .with_context(|| format!("pushing to `{target}` failed"))?;
    Ok(pushed.manifest_url)
}

/// The digest of the component a reference points at now (for `plugin outdated`).
pub async fn current_digest(api: Option<&Client>, source: &Reference, args: &RegistryArgs) -> anyhow::Result<String> {
    let (manifest, _) = manifest(api, source, args).await?;
    Ok(component_layer(source, &manifest)?.0)
}

/// Pull the component a reference points at, refusing anything that is not exactly one Wasm
/// layer of an allowed size whose bytes match its digest.
pub async fn pull(api: Option<&Client>, source: &Reference, args: &RegistryArgs) -> anyhow::Result<Pulled> {
    let (manifest, client) = manifest(api, source, args).await?;
    let (digest, size) = component_layer(source, &manifest)?;
    let mut stream = client
        .pull_blob_stream(source, digest.as_str())
        .await
        .with_context(|| format!("pulling the component of `{source}` failed"))?
        .stream;
    let mut wasm = Vec::with_capacity(size as usize);
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.with_context(|| format!("reading the component of `{source}` failed (nothing was installed)"))?;
        if (wasm.len() + chunk.len()) as u64 > MAX_COMPONENT {
            bail!("the component of `{source}` is larger than its manifest says; nothing was installed");
        }
        wasm.extend_from_slice(&chunk);
    }
    let actual = format!("sha256:{}", hex::encode(Sha256::digest(&wasm)));
    if actual != digest {
        bail!(
            "the component blob of `{source}` has the digest {actual}, not the {digest} its manifest names; nothing was installed"
        );
    }
    Ok(Pulled { wasm, digest })
}

/// The manifest of `source` as JSON, checked to be a Wasm component artifact, and the client
/// that fetched it (authenticated for the blob).
async fn manifest(
    api: Option<&Client>,
    source: &Reference,
    args: &RegistryArgs,
) -> anyhow::Result<(serde_json::Value, client::Client)> {
    let client = registry(source, args);
    let auth = auth(api, source, args).await?;
    let (raw, _) = client
        .pull_manifest_raw(source, &auth, MANIFEST_TYPES)
        .await
        .with_context(|| format!("fetching the manifest of `{source}` failed"))?;
    let manifest: serde_json::Value =
        serde_json::from_slice(&raw).with_context(|| format!("the manifest of `{source}` is not JSON"))?;
    Ok((manifest, client))
}

/// The component layer's digest and size, after checking the artifact's shape.
fn component_layer(source: &Reference, manifest: &serde_json::Value) -> anyhow::Result<(String, u64)> {
    let config_type = manifest["config"]["mediaType"].as_str().unwrap_or("none");
    if config_type != WASM_CONFIG {
        bail!(
            "`{source}` is not a Wasm component artifact: its config media type is `{config_type}` (expected `{WASM_CONFIG}`); nothing was installed"
        );
    }
    let layers = manifest["layers"].as_array().map(Vec::as_slice).unwrap_or_default();
    let [layer] = layers else {
        bail!("`{source}` has {} layers; a Wasm component artifact has exactly one", layers.len());
    };
    let layer_type = layer["mediaType"].as_str().unwrap_or("none");
    if layer_type != WASM_LAYER {
        bail!("the layer of `{source}` is `{layer_type}`, not `{WASM_LAYER}`; nothing was installed");
    }
    let size = layer["size"].as_u64().unwrap_or(u64::MAX);
    if size > MAX_COMPONENT {
        bail!(
            "the component of `{source}` is {size} bytes; servers accept at most {MAX_COMPONENT} (nothing was installed)"
        );
    }
    let digest =
        layer["digest"].as_str().filter(|d| d.starts_with("sha256:")).context("the layer has no sha256 digest")?;
    Ok((digest.to_string(), size))
}

fn registry(reference: &Reference, args: &RegistryArgs) -> client::Client {
    let protocol = match args.plain_http {
        true => ClientProtocol::HttpsExcept(vec![reference.resolve_registry().to_string()]),
        false => ClientProtocol::Https,
    };
    client::Client::new(ClientConfig { protocol, ..Default::default() })
}

/// Registry credentials: from a docker connector when asked, else the docker config (and its
/// credential helpers), else anonymous.
async fn auth(api: Option<&Client>, reference: &Reference, args: &RegistryArgs) -> anyhow::Result<RegistryAuth> {
    let registry = reference.resolve_registry().to_string();
    if let Some(connector) = &args.registry_connector {
        let api = api.context("--registry-connector needs the Airlock server")?;
        let scope = super::connector::Scope { resource_type: Some("docker-registry".into()), resource_id: None };
        let issued = super::connector::issue(api, connector, &scope, None, false).await?;
        let value = |name: &str| super::login::value(&issued.credential, name).map(str::to_string);
        return Ok(RegistryAuth::Basic(value("username")?, value("password")?));
    }
    Ok(match docker_credential::get_credential(&registry) {
        Ok(docker_credential::DockerCredential::UsernamePassword(user, password)) => {
            RegistryAuth::Basic(user, password)
        }
        Ok(docker_credential::DockerCredential::IdentityToken(token)) => RegistryAuth::Bearer(token),
        Err(_) => RegistryAuth::Anonymous,
    })
}
