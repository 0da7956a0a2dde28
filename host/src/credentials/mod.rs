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
    #[error("the credential binding `{0}` names a field its JSON value does not have")]
    NoField(String),
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

    /// The secret value of a binding the host uses itself, where the value travels nowhere: an
    /// SSH private key authenticating to a host from the instance's own configuration (the
    /// caller checks the destination), an SSH CA key signing a certificate.
    pub fn for_host_use(&self, name: &str) -> Result<&str, BindingError> {
        let binding = self.by_name.get(name).ok_or_else(|| BindingError::Unknown(name.into()))?;
        Ok(binding.value.expose_secret())
    }

    /// The value a reference (`name` or `name#field`) stands for in a request to `origin`:
    /// the binding, or one string field of a JSON binding, under [`Bindings::for_sending`]'s rules.
    pub fn field_for_sending(&self, reference: &str, origin: &Origin) -> Result<String, BindingError> {
        let (name, field) = split_reference(reference);
        let value = self.for_sending(name, origin)?;
        match field {
            None => Ok(value.to_string()),
            Some(field) => json_field(value, field).ok_or_else(|| BindingError::NoField(reference.into())),
        }
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

    /// A field of a JSON binding (a credential file) that is not secret, such as a service
    /// account's `client_email` or `project_id`: connectors read it as the config attribute
    /// `<binding>#<field>`. Fields outside [`PUBLIC_JSON_FIELDS`] are never handed out.
    pub fn public_field(&self, name: &str, field: &str) -> Option<String> {
        if !PUBLIC_JSON_FIELDS.contains(&field) {
            return None;
        }
        json_field(self.by_name.get(name)?.value.expose_secret(), field)
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

/// Base64 HMAC-SHA256 of `message` with a base64-encoded key (Azure Shared Key and SAS); none
/// when the key is not base64.
pub fn hmac_sha256(key_base64: &str, message: &str) -> Option<String> {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let key = base64::engine::general_purpose::STANDARD.decode(key_base64.trim()).ok()?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).ok()?;
    mac.update(message.as_bytes());
    Some(base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// Fields of credential files (Google's service-account, authorized-user and external-account
/// JSON) that identify rather than authenticate; connectors may read them.
pub const PUBLIC_JSON_FIELDS: &[&str] = &[
    "type",
    "project_id",
    "quota_project_id",
    "client_email",
    "client_id",
    "private_key_id",
    "token_uri",
    "universe_domain",
    "audience",
    "subject_token_type",
    "token_url",
    "service_account_impersonation_url",
];

/// The string (or number) at `field` of a JSON object.
fn json_field(document: &str, field: &str) -> Option<String> {
    match serde_json::from_str::<serde_json::Value>(document).ok()?.get(field)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A binding reference: `name`, or `name#field` for one field of a JSON binding.
fn split_reference(reference: &str) -> (&str, Option<&str>) {
    match reference.split_once('#') {
        Some((name, field)) => (name, Some(field)),
        None => (reference, None),
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

    #[test]
    fn hmac_matches_azures_documented_shape_and_refuses_non_base64_keys() {
        // HMAC-SHA256 of "" with the all-zero 32-byte key, base64 (RFC 4231 style check value).
        let zero_key = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [0u8; 32]);
        assert_eq!(hmac_sha256(&zero_key, "").as_deref(), Some("thNnmggU2ex3L5XXeMNfxf8Wl8STcVZTxscSFEKSxa0="));
        assert_eq!(hmac_sha256("not base64!", "x"), None);
    }

    #[test]
    fn json_bindings_hand_out_public_fields_only_and_send_fields_by_reference() {
        let document = r#"{"type":"service_account","project_id":"p-1","client_email":"a@p-1.iam.gserviceaccount.com","private_key":"-----BEGIN PRIVATE KEY-----x","client_secret":"cs"}"#;
        let secrets = BTreeMap::from([(
            "sa".to_string(),
            (
                SecretString::from(document.to_string()),
                vec![OriginPattern::parse("https://oauth2.example.com").unwrap()],
            ),
        )]);
        let bindings = Bindings::new(secrets, Vec::new());
        assert_eq!(bindings.public_field("sa", "project_id").as_deref(), Some("p-1"));
        assert_eq!(bindings.public_field("sa", "type").as_deref(), Some("service_account"));
        assert_eq!(bindings.public_field("sa", "private_key"), None, "secret fields stay on the host");
        assert_eq!(bindings.public_field("sa", "client_secret"), None);
        assert_eq!(bindings.public_field("missing", "type"), None);
        let token_endpoint = origin("https://oauth2.example.com");
        assert_eq!(bindings.field_for_sending("sa#client_secret", &token_endpoint).unwrap(), "cs");
        assert!(matches!(bindings.field_for_sending("sa#nope", &token_endpoint), Err(BindingError::NoField(_))));
        assert!(matches!(
            bindings.field_for_sending("sa#client_secret", &origin("https://elsewhere.net")),
            Err(BindingError::NotAllowed { .. })
        ));
    }
}
