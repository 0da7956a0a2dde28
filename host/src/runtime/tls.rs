//! Per-instance TLS for connector requests: an API server's own CA, `insecure`, and client
//! certificates whose private keys stay on the host. The values come from the instance's
//! configuration (the guest only names attributes), and one HTTP client is built per distinct
//! setting and reused.

use super::bindings::airlock::connector::http::{HttpError, TlsSettings};
use crate::egress::Origin;
use crate::instance::Instance;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use zeroize::Zeroizing;

/// Clients kept before the cache is emptied (each distinct CA / identity is one entry).
const MAX_CLIENTS: usize = 256;

/// TLS material for one request, resolved from an instance's configuration.
pub(crate) struct ResolvedTls {
    ca: Option<Vec<u8>>,
    insecure: bool,
    /// PEM certificate chain followed by the PEM private key.
    identity: Option<Zeroizing<Vec<u8>>>,
    /// The binding holding the client key (audited as a use when the request goes out).
    pub(crate) key_binding: Option<String>,
}

impl ResolvedTls {
    /// Read the settings' values from `instance` for a request to `origin`. A client key must be
    /// a binding allowed to reach `origin`.
    pub(crate) fn resolve(settings: &TlsSettings, instance: &Instance, origin: &Origin) -> Result<Self, HttpError> {
        let text = |name: &str| -> Result<String, HttpError> {
            if let Some(value) = instance.config.get(name) {
                return Ok(value.clone());
            }
            if instance.bindings.contains(name) {
                return Ok(instance.bindings.for_signing(name, origin)?.to_string());
            }
            Err(HttpError::InvalidRequest(format!("this connector instance has no attribute `{name}`")))
        };
        let ca = match &settings.certificate_authority {
            Some(name) => Some(pem(name, &text(name)?)?.to_vec()),
            None => None,
        };
        let insecure = settings.insecure.as_deref().is_some_and(|name| instance.flag(name));
        if insecure && ca.is_some() {
            return Err(HttpError::InvalidRequest(
                "a certificate authority and `insecure` together are refused (as kubectl refuses them): drop one"
                    .into(),
            ));
        }
        let (identity, key_binding) = match &settings.client_certificate {
            Some((certificate, key)) => {
                if !instance.bindings.contains(key) {
                    return Err(HttpError::UnknownBinding(format!(
                        "the client key `{key}` must be a credential binding of this instance"
                    )));
                }
                let mut identity = pem(certificate, &text(certificate)?)?;
                identity.push(b'\n');
                identity.extend_from_slice(&pem(key, instance.bindings.for_signing(key, origin)?)?);
                (Some(identity), Some(key.clone()))
            }
            None => (None, None),
        };
        Ok(ResolvedTls { ca, insecure, identity, key_binding })
    }

    /// A digest naming this setting in the client cache.
    fn digest(&self) -> [u8; 32] {
        let mut hash = Sha256::new();
        for part in [self.ca.as_deref(), self.identity.as_deref().map(|v| v.as_slice())] {
            hash.update(part.map(|p| p.len() as u64 + 1).unwrap_or(0).to_le_bytes());
            hash.update(part.unwrap_or_default());
        }
        hash.update([u8::from(self.insecure)]);
        hash.finalize().into()
    }
}

/// HTTP clients by TLS setting.
#[derive(Default)]
pub(crate) struct TlsClients {
    clients: Mutex<HashMap<[u8; 32], reqwest::Client>>,
}

impl TlsClients {
    /// The client for `tls`, building it from `base` (the gated resolver and timeouts) if new.
    pub(crate) fn client(
        &self,
        tls: &ResolvedTls,
        base: impl FnOnce() -> reqwest::ClientBuilder,
    ) -> Result<reqwest::Client, HttpError> {
        let key = tls.digest();
        if let Some(client) = self.clients.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(client.clone());
        }
        let mut builder = base();
        if let Some(ca) = &tls.ca {
            builder = builder.tls_built_in_root_certs(false);
            let certificates = reqwest::Certificate::from_pem_bundle(ca)
                .map_err(|e| HttpError::InvalidRequest(format!("the certificate authority is not PEM: {e}")))?;
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        if tls.insecure {
            builder = builder.danger_accept_invalid_certs(true);
        }
        if let Some(identity) = &tls.identity {
            // The key is not named in the error: its parser's message never quotes it.
            let identity = reqwest::Identity::from_pem(identity).map_err(|_| {
                HttpError::InvalidRequest(
                    "the client certificate and key are not a PEM certificate chain and a matching PEM private key"
                        .into(),
                )
            })?;
            builder = builder.identity(identity);
        }
        let client = builder
            .build()
            .map_err(|e| HttpError::InvalidRequest(format!("cannot set up TLS for this request: {e}")))?;
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if clients.len() >= MAX_CLIENTS {
            clients.clear();
        }
        clients.insert(key, client.clone());
        Ok(client)
    }
}

/// PEM text as given, or decoded from base64 (kubeconfig's `*-data` form).
fn pem(name: &str, value: &str) -> Result<Zeroizing<Vec<u8>>, HttpError> {
    let value = value.trim();
    if value.starts_with("-----BEGIN") {
        return Ok(Zeroizing::new(value.as_bytes().to_vec()));
    }
    let compact = Zeroizing::new(value.chars().filter(|c| !c.is_whitespace()).collect::<String>());
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(compact.as_bytes()))
        .ok()
        .map(Zeroizing::new)
        .filter(|d| d.trim_ascii_start().starts_with(b"-----BEGIN"));
    decoded.ok_or_else(|| HttpError::InvalidRequest(format!("`{name}` holds neither PEM nor base64-encoded PEM")))
}
