//! Credential bindings: secrets the host uses on a connector's behalf without ever handing them
//! to the guest, and the rules for releasing them to clients.

mod apply;
pub mod headers;
mod jwt;
mod release;
mod sigv4;

pub use apply::{AppliedCredential, apply};
pub use release::{IssuedCredential, IssuedValue, ReleasePolicy, release};
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
    #[error(
        "the credential binding `{binding}` reaches `{origin}` only through a wildcard, so it may only sign requests there, not travel in them"
    )]
    SigningOnly { binding: String, origin: String },
    #[error(
        "`{origin}` is not the AWS endpoint of `{service}` in `{region}` nor an endpoint this connector is configured with, so the host does not sign for it with `{binding}`"
    )]
    NotAwsEndpoint { binding: String, origin: String, service: String, region: String },
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

    /// The secret value of a binding used to sign a request to `origin` (SigV4, JWT): the
    /// value itself does not leave the host.
    pub fn for_signing(&self, name: &str, origin: &Origin) -> Result<&str, BindingError> {
        let binding = self.by_name.get(name).ok_or_else(|| BindingError::Unknown(name.into()))?;
        let allowed = self.config_origins.contains(origin) || binding.hosts.iter().any(|p| p.matches(origin));
        if !allowed {
            return Err(BindingError::NotAllowed { binding: name.into(), origin: origin.to_string() });
        }
        Ok(binding.value.expose_secret())
    }

    /// The secret value of a binding that travels in a request to `origin` (a header or body).
    /// Only exact origins qualify: a wildcard such as `*.amazonaws.com` also covers hosts anyone
    /// can stand up (buckets, API gateways), where a raw secret would be readable.
    pub fn for_sending(&self, name: &str, origin: &Origin) -> Result<&str, BindingError> {
        let value = self.for_signing(name, origin)?;
        let binding = &self.by_name[name];
        let exact =
            self.config_origins.contains(origin) || binding.hosts.iter().any(|p| p.is_exact() && p.matches(origin));
        if !exact {
            return Err(BindingError::SigningOnly { binding: name.into(), origin: origin.to_string() });
        }
        Ok(value)
    }

    /// The secret value of a binding that signs an AWS request (SigV4) to `origin`. SigV4 puts
    /// the access key id and session token in the request, so besides the allowed hosts the
    /// origin must be one the binding may receive exactly: a configured endpoint or AWS's own
    /// endpoint for the signing service and region (`sigv4::is_aws_endpoint`).
    pub fn for_aws_signing(
        &self,
        name: &str,
        origin: &Origin,
        service: &str,
        region: &str,
    ) -> Result<&str, BindingError> {
        let value = self.for_signing(name, origin)?;
        if self.for_sending(name, origin).is_ok() || sigv4::is_aws_endpoint(origin, service, region) {
            return Ok(value);
        }
        Err(BindingError::NotAwsEndpoint {
            binding: name.into(),
            origin: origin.to_string(),
            service: service.into(),
            region: region.into(),
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use url::Url;

    fn origin(url: &str) -> Origin {
        Origin::of(&Url::parse(url).unwrap()).unwrap()
    }

    #[test]
    fn wildcard_hosts_allow_signing_but_not_sending_the_secret() {
        let secrets = BTreeMap::from([(
            "key".to_string(),
            (
                SecretString::from("s3cr3t-value".to_string()),
                vec![
                    OriginPattern::parse("https://*.example.com").unwrap(),
                    OriginPattern::parse("https://api.example.org").unwrap(),
                ],
            ),
        )]);
        let bindings = Bindings::new(secrets, vec![origin("https://registry.internal:5000")]);
        assert!(bindings.for_signing("key", &origin("https://sts.example.com")).is_ok());
        let err = bindings.for_sending("key", &origin("https://attacker-bucket.example.com")).unwrap_err();
        assert!(matches!(err, BindingError::SigningOnly { .. }), "{err}");
        assert!(bindings.for_sending("key", &origin("https://api.example.org")).is_ok());
        assert!(bindings.for_sending("key", &origin("https://registry.internal:5000")).is_ok());
        assert!(matches!(
            bindings.for_signing("key", &origin("https://elsewhere.net")),
            Err(BindingError::NotAllowed { .. })
        ));
        assert!(matches!(
            bindings.for_signing("other", &origin("https://api.example.org")),
            Err(BindingError::Unknown(_))
        ));
    }
}
