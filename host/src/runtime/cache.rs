//! The compile cache: components compiled once, stored with an HMAC under a host-only key and
//! checked before they are loaded (loading precompiled code that was tampered with would let it
//! run anything, so an entry that fails the check is recompiled, never loaded).

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

const MAGIC: &[u8; 8] = b"AIRLOCK1";
const TAG_LEN: usize = 32;

/// A directory of integrity-protected precompiled components.
pub struct CompileCache {
    dir: PathBuf,
    key: [u8; 32],
}

impl CompileCache {
    /// Open (or create, mode 0700) the cache directory and its 0600 key file.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        fs::create_dir_all(dir)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        let key_path = dir.join("cache.key");
        let key = match fs::read(&key_path) {
            Ok(bytes) if bytes.len() == 32 => bytes.try_into().expect("32 bytes"),
            _ => {
                let mut key = [0u8; 32];
                rand::rng().fill_bytes(&mut key);
                write_private(&key_path, &key)?;
                key
            }
        };
        Ok(CompileCache { dir: dir.to_path_buf(), key })
    }

    /// The component for `wasm`: from the cache when a verified entry exists, else compiled and
    /// stored. Returns whether the cache was hit.
    pub fn load(&self, engine: &Engine, wasm: &[u8]) -> wasmtime::Result<(Component, bool)> {
        let id = entry_id(engine, wasm);
        let path = self.dir.join(format!("{id}.cwasm"));
        if let Ok(bytes) = fs::read(&path) {
            match self.verified(&id, &bytes) {
                // SAFETY: the bytes carry a valid MAC under our private key, so they are exactly
                // what `precompile_component` produced for this engine configuration.
                Some(cwasm) => match unsafe { Component::deserialize(engine, cwasm) } {
                    Ok(component) => return Ok((component, true)),
                    Err(e) => tracing::warn!("compile cache entry {id} did not load ({e:#}); recompiling"),
                },
                None => tracing::warn!("compile cache entry {id} failed its integrity check; recompiling"),
            }
        }
        let cwasm = engine.precompile_component(wasm)?;
        if let Err(e) = self.store(&id, &path, &cwasm) {
            tracing::warn!("cannot write compile cache entry {id}: {e}");
        }
        // SAFETY: these bytes were just produced by this engine.
        Ok((unsafe { Component::deserialize(engine, &cwasm)? }, false))
    }

    fn tag(&self, id: &str, cwasm: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(id.as_bytes());
        mac.update(cwasm);
        mac
    }

    fn verified<'a>(&self, id: &str, bytes: &'a [u8]) -> Option<&'a [u8]> {
        let rest = bytes.strip_prefix(MAGIC.as_slice())?;
        let (tag, cwasm) = rest.split_at_checked(TAG_LEN)?;
        self.tag(id, cwasm).verify_slice(tag).ok()?;
        Some(cwasm)
    }

    fn store(&self, id: &str, path: &Path, cwasm: &[u8]) -> std::io::Result<()> {
        let tag = self.tag(id, cwasm).finalize().into_bytes();
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let _ = fs::remove_file(&tmp);
        let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        file.write_all(MAGIC)?;
        file.write_all(&tag)?;
        file.write_all(cwasm)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    }
}

/// The entry name: the component's hash and the engine's compatibility hash.
fn entry_id(engine: &Engine, wasm: &[u8]) -> String {
    let mut engine_hash = std::hash::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut engine_hash);
    let mut digest = Sha256::new();
    digest.update(wasm);
    digest.update(engine_hash.finish().to_le_bytes());
    hex::encode(&digest.finalize()[..20])
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
