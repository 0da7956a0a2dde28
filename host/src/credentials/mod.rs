//! Credential bindings: secrets the host uses on a connector's behalf without ever handing them
//! to the guest, and the rules for releasing them to clients.

mod apply;
mod jwt;
mod release;
mod sigv4;

pub use apply::{apply, AppliedCredential};
pub use release::{release, IssuedCredential, IssuedValue, ReleasePolicy};
pub use sigv4::presign;

use crate::egress::{Origin, OriginPattern};
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;

/// A secret attribute of a connector instance, usable only towards its allowed origins.
#[derive(Debug)]
pub struct Binding {
    value: SecretString,
    /// Patterns from the spec's `secret-hosts`.
    hosts: Vec<OriginPattern>,
}

/// The credential bindings of one connector instance.
#[derive(Debug, Default)]
pub struct Bindings {
    by_name: BTreeMap<String, Binding>,
    /// Origins derived from the instance's config, where every binding may go.
    config_origins: Vec<Origin>,
}

/// Why a binding could not be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BindingError {
    #[error("this connector instance has no credential binding `{0}`")]
    Unknown(String),
    #[error("the credential binding `{binding}` may not be sent to `{origin}`")]
    NotAllowed { binding: String, origin: String },
}

impl Bindings {
    /// Bindings over the given secrets; each may reach its own `hosts` plus the config origins.
    pub fn new(secrets: BTreeMap<String, (SecretString, Vec<OriginPattern>)>, config_origins: Vec<Origin>) -> Self {
        let by_name = secrets.into_iter().map(|(name, (value, hosts))| (name, Binding { value, hosts })).collect();
        Bindings { by_name, config_origins }
    }

    /// The binding names (never their values).
    pub fn names(&self) -> Vec<String> {
        self.by_name.keys().cloned().collect()
    }

    /// Whether a binding exists.
    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// The secret value of a binding that may be sent to `origin`.
    pub fn for_origin(&self, name: &str, origin: &Origin) -> Result<&str, BindingError> {
        let binding = self.by_name.get(name).ok_or_else(|| BindingError::Unknown(name.into()))?;
        let allowed = self.config_origins.contains(origin) || binding.hosts.iter().any(|p| p.matches(origin));
        if !allowed {
            return Err(BindingError::NotAllowed { binding: name.into(), origin: origin.to_string() });
        }
        Ok(binding.value.expose_secret())
    }

    /// A binding's value for release to a client (see [`release`]).
    fn value(&self, name: &str) -> Option<&str> {
        self.by_name.get(name).map(|b| b.value.expose_secret())
    }

    /// Every secret value, for redaction and reflection checks.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.by_name.values().map(|b| b.value.expose_secret())
    }
}
