//! Secrets at rest: XChaCha20-Poly1305 under a master key. Every sealed value records the id of
//! the key that sealed it and is bound to its row (the row's identity is the associated data), so
//! a ciphertext copied to another row does not open.
//!
//! Keys come from `AIRLOCK_MASTER_KEY` (comma-separated base64 keys, the first one current) or
//! from `<data dir>/master.key` (one base64 key per line, the first one current), created with
//! mode 0600 on first run.

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

const NONCE_LEN: usize = 24;

/// One master key.
struct MasterKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl MasterKey {
    fn new(bytes: &[u8]) -> anyhow::Result<Self> {
        if bytes.len() != 32 {
            bail!("a master key must be 32 bytes (base64-encoded), not {}", bytes.len());
        }
        Ok(MasterKey { id: hex::encode(&Sha256::digest(bytes)[..6]), cipher: XChaCha20Poly1305::new(bytes.into()) })
    }
}

/// Where the keys came from, so rotation knows whether it can add one.
enum Source {
    Env,
    File(PathBuf),
}

/// The master keys: the current one seals, any of them opens.
pub struct Keyring {
    keys: Vec<MasterKey>,
    source: Source,
}

/// A sealed secret: the key id and base64(nonce ‖ ciphertext).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sealed {
    pub key_id: String,
    pub sealed: String,
}

impl Keyring {
    /// Load from `AIRLOCK_MASTER_KEY`, else from (or create) `<data_dir>/master.key`.
    pub fn load(data_dir: &Path) -> anyhow::Result<Keyring> {
        if let Ok(env) = std::env::var("AIRLOCK_MASTER_KEY") {
            let keys = parse_keys(env.split(',')).context("AIRLOCK_MASTER_KEY")?;
            return Ok(Keyring { keys, source: Source::Env });
        }
        let path = data_dir.join("master.key");
        if !path.exists() {
            write_key_file(&path, &[generate_key()])?;
        }
        let text =
            Zeroizing::new(std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?);
        let keys = parse_keys(text.lines()).with_context(|| format!("reading {}", path.display()))?;
        Ok(Keyring { keys, source: Source::File(path) })
    }

    /// The id of the key new secrets are sealed with.
    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Seal `plaintext` for the row named by `aad`.
    pub fn seal(&self, aad: &str, plaintext: &[u8]) -> Sealed {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = key
            .cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad: aad.as_bytes() })
            .expect("XChaCha20-Poly1305 encryption does not fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        Sealed { key_id: key.id.clone(), sealed: B64.encode(out) }
    }

    /// Open a sealed value of the row named by `aad`. Errors never include secret material.
    pub fn open(&self, aad: &str, sealed: &Sealed) -> anyhow::Result<Zeroizing<Vec<u8>>> {
        let key = self.keys.iter().find(|k| k.id == sealed.key_id).with_context(|| {
            format!("secret sealed with master key {} which is not loaded (rotated away?)", sealed.key_id)
        })?;
        let bytes = B64.decode(&sealed.sealed).context("sealed secret is not base64")?;
        if bytes.len() < NONCE_LEN {
            bail!("sealed secret is truncated");
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().expect("split at the nonce length");
        let plain =
            key.cipher.decrypt(&XNonce::from(nonce), Payload { msg: ciphertext, aad: aad.as_bytes() }).map_err(
                |_| anyhow::anyhow!("sealed secret failed authentication (tampered, or sealed for another row)"),
            )?;
        Ok(Zeroizing::new(plain))
    }

    /// Make a new current key (file-managed keys only); older keys stay loaded to open old rows.
    pub fn add_key(&mut self) -> anyhow::Result<()> {
        let Source::File(path) = &self.source else {
            bail!("master keys come from AIRLOCK_MASTER_KEY: put the new key first in it and run the rotation again");
        };
        let new = generate_key();
        let mut lines = vec![new.clone()];
        lines.extend(Zeroizing::new(std::fs::read_to_string(path)?).lines().map(|l| Zeroizing::new(l.to_string())));
        write_key_file(path, &lines)?;
        self.keys.insert(0, MasterKey::new(&B64.decode(new.as_bytes())?)?);
        Ok(())
    }

    /// Forget every key but the current one (after all rows were re-sealed with it).
    pub fn retire_old_keys(&mut self) -> anyhow::Result<()> {
        self.keys.truncate(1);
        if let Source::File(path) = &self.source {
            let text = Zeroizing::new(std::fs::read_to_string(path)?);
            let first = Zeroizing::new(text.lines().next().unwrap_or_default().to_string());
            write_key_file(path, &[first])?;
        }
        Ok(())
    }
}

fn generate_key() -> Zeroizing<String> {
    let mut key = Zeroizing::new([0u8; 32]);
    rand::rng().fill_bytes(key.as_mut());
    Zeroizing::new(B64.encode(key.as_ref()))
}

fn parse_keys<'a>(lines: impl Iterator<Item = &'a str>) -> anyhow::Result<Vec<MasterKey>> {
    let keys = lines
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let bytes = Zeroizing::new(B64.decode(l).map_err(|_| anyhow::anyhow!("a master key is not valid base64"))?);
            MasterKey::new(&bytes)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if keys.is_empty() {
        bail!("no master key found");
    }
    Ok(keys)
}

fn write_key_file(path: &Path, lines: &[Zeroizing<String>]) -> anyhow::Result<()> {
    let tmp = path.with_extension("key.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
    for line in lines {
        writeln!(file, "{}", line.as_str())?;
    }
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn sealed_values_open_only_for_their_row_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let ring = Keyring::load(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join("master.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let sealed = ring.seal("connector-1/password", b"hunter2");
        assert!(!sealed.sealed.contains("hunter2"));
        assert_eq!(ring.open("connector-1/password", &sealed).unwrap().as_slice(), b"hunter2");
        assert!(ring.open("connector-2/password", &sealed).is_err());
        let mut tampered = sealed.clone();
        tampered.sealed.replace_range(40..41, if &tampered.sealed[40..41] == "A" { "B" } else { "A" });
        assert!(ring.open("connector-1/password", &tampered).is_err());
    }

    #[test]
    fn rotation_keeps_old_rows_readable_until_retired() {
        let dir = tempfile::tempdir().unwrap();
        let mut ring = Keyring::load(dir.path()).unwrap();
        let old = ring.seal("row", b"v");
        ring.add_key().unwrap();
        assert_ne!(ring.current_id(), old.key_id);
        assert_eq!(ring.open("row", &old).unwrap().as_slice(), b"v");
        let new = ring.seal("row", b"v");
        ring.retire_old_keys().unwrap();
        assert!(ring.open("row", &old).is_err());
        let reloaded = Keyring::load(dir.path()).unwrap();
        assert_eq!(reloaded.open("row", &new).unwrap().as_slice(), b"v");
    }
}
