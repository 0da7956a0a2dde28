//! Minimal OCI image layouts for pushing to a registry with `skopeo`: an image (one empty
//! layer) and Wasm component artifacts in the CNCF layout, written here rather than by Airlock.

use sha2::{Digest, Sha256};
use std::path::Path;

/// The CNCF Wasm artifact config media type.
pub const WASM_CONFIG: &str = "application/vnd.wasm.config.v0+json";

/// Write an OCI layout with one image tagged `latest` into `dir`.
pub fn write_image(dir: &Path) {
    let layer = [0u8; 1024]; // an empty tar archive
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{}", hex::encode(Sha256::digest(layer)))]},
    });
    write_layout(
        dir,
        "latest",
        ("application/vnd.oci.image.config.v1+json", config.to_string().as_bytes()),
        &[("application/vnd.oci.image.layer.v1.tar", &layer)],
    );
}

/// Write a Wasm component artifact tagged `tag`: `config_type` (normally [`WASM_CONFIG`]) and
/// one `application/wasm` layer.
pub fn write_wasm_artifact(dir: &Path, tag: &str, config_type: &str, wasm: &[u8]) {
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(wasm)));
    let config = serde_json::json!({"architecture": "wasm", "os": "wasip2", "layerDigests": [digest]});
    write_layout(dir, tag, (config_type, config.to_string().as_bytes()), &[("application/wasm", wasm)]);
}

/// An OCI layout with one manifest tagged `tag` in `dir`.
fn write_layout(dir: &Path, tag: &str, config: (&str, &[u8]), layers: &[(&str, &[u8])]) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| -> (String, usize) {
        let digest = hex::encode(Sha256::digest(bytes));
        std::fs::write(blobs.join(&digest), bytes).unwrap();
        (format!("sha256:{digest}"), bytes.len())
    };
    let (config_digest, config_size) = put(config.1);
    let layers: Vec<serde_json::Value> = layers
        .iter()
        .map(|(media_type, bytes)| {
            let (digest, size) = put(bytes);
            serde_json::json!({"mediaType": media_type, "digest": digest, "size": size})
        })
        .collect();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": config.0, "digest": config_digest, "size": config_size},
        "layers": layers,
    });
    let (manifest_digest, manifest_size) = put(manifest.to_string().as_bytes());
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest, "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    });
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}
