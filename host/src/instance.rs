//! A connector instance prepared for a call: its configuration checked against the connector
//! type's spec and split into non-secret config and credential bindings.

use crate::credentials::Bindings;
use crate::egress::{Allowlist, EgressPolicy, Origin, OriginPattern, SshHost};
use crate::runtime::bindings::{AttributeKind, AttributeSpec, AuthMethodSpec, ConnectorSpec};
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// A connector configuration as a user gives it: every value is treated as secret until the
/// spec says otherwise.
#[derive(Debug, Default)]
pub struct ConnectorConfig {
    /// The auth method; may be omitted when the type has only one.
    pub auth_method: Option<String>,
    pub attributes: BTreeMap<String, SecretString>,
}

impl ConnectorConfig {
    /// A configuration from plain pairs.
    pub fn new<K: Into<String>, V: Into<String>>(
        auth_method: Option<&str>,
        attributes: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        ConnectorConfig {
            auth_method: auth_method.map(str::to_string),
            attributes: attributes.into_iter().map(|(k, v)| (k.into(), SecretString::from(v.into()))).collect(),
        }
    }
}

/// Why a configuration is not acceptable. Messages never contain attribute values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("connector type `{connector_type}` has no auth method `{auth_method}` (available: {available})")]
    UnknownAuthMethod { connector_type: String, auth_method: String, available: String },
    #[error("connector type `{0}` has several auth methods; choose one with --auth-method")]
    AuthMethodRequired(String),
    #[error("auth method `{auth_method}` has no attribute `{attribute}` (attributes: {available})")]
    UnknownAttribute { auth_method: String, attribute: String, available: String },
    #[error("the required attribute `{0}` is missing")]
    MissingAttribute(String),
    #[error("the attribute `{attribute}` is not a valid {kind}: {reason}")]
    InvalidValue { attribute: String, kind: String, reason: String },
    #[error("the plugin's spec is invalid: {0}")]
    InvalidSpec(String),
}

/// A connector instance ready to be handed to the runtime.
#[derive(Debug)]
pub struct Instance {
    pub connector_type: String,
    pub auth_method: String,
    /// Non-secret attributes, defaults applied.
    pub config: BTreeMap<String, String>,
    pub bindings: Bindings,
    pub egress: Allowlist,
    /// Hosts this instance may reach over SSH: the `host[:port]` items of its egress list
    /// attributes (empty when admin policy refuses config-named hosts).
    pub ssh_hosts: Vec<SshHost>,
    /// Names of the auth method's boolean attributes (what [`Instance::flag`] may read).
    flags: Vec<String>,
    /// Secrets the auth method hands to clients.
    pub releases: Vec<String>,
    /// Every use the host made of a binding during calls with this instance (for the audit).
    pub binding_uses: Mutex<Vec<BindingUse>>,
    /// What calls with this instance that still succeeded want the caller to know (egress
    /// denials the connector got past).
    warnings: Mutex<Vec<String>>,
}

/// The host used a credential binding on the connector's behalf.
#[derive(Debug, Clone)]
pub struct BindingUse {
    pub bindings: Vec<String>,
    pub method: &'static str,
    pub origin: String,
    pub status: Option<u16>,
}

impl Instance {
    /// Check `config` against `spec` and prepare the instance.
    pub fn prepare(
        spec: &ConnectorSpec,
        config: ConnectorConfig,
        policy: &EgressPolicy,
    ) -> Result<Instance, ConfigError> {
        let method = auth_method(spec, config.auth_method.as_deref())?;
        let mut plain = BTreeMap::new();
        let mut secrets = BTreeMap::new();
        let mut config_origins = Vec::new();
        let mut ssh_hosts = Vec::new();
        let mut attributes = config.attributes;
        if let Some(unknown) = attributes.keys().find(|k| !method.attributes.iter().any(|a| &a.name == *k)) {
            return Err(ConfigError::UnknownAttribute {
                auth_method: method.auth_method.clone(),
                attribute: unknown.clone(),
                available: method.attributes.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", "),
            });
        }
        for attr in &method.attributes {
            let given = attributes.remove(&attr.name).filter(|v| !v.expose_secret().is_empty());
            // Only a value the user gave names a host to reach: a plugin's default must not
            // widen its own egress (or where its secrets may go).
            let user_given = given.is_some();
            let value = given.or_else(|| attr.default_value.clone().map(SecretString::from));
            let Some(value) = value else {
                if attr.required {
                    return Err(ConfigError::MissingAttribute(attr.name.clone()));
                }
                continue;
            };
            let value = match validate(attr, value.expose_secret())? {
                Some(normalised) => SecretString::from(normalised),
                None => value,
            };
            if attr.egress && user_given && attr.kind == AttributeKind::TextList {
                // A list names several hosts: `http(s)://` items are web origins, the rest SSH hosts.
                for item in text_list(value.expose_secret()) {
                    let invalid = |reason: String| ConfigError::InvalidValue {
                        attribute: attr.name.clone(),
                        kind: "list of hosts".into(),
                        reason,
                    };
                    match item.contains("://") && !item.starts_with("ssh://") {
                        true => config_origins.push(Origin::from_config_value(&item).map_err(invalid)?),
                        false => ssh_hosts.push(SshHost::parse(&item).map_err(invalid)?),
                    }
                }
            } else if attr.egress && user_given {
                config_origins.push(Origin::from_config_value(value.expose_secret()).map_err(|reason| {
                    ConfigError::InvalidValue { attribute: attr.name.clone(), kind: "URL or host".into(), reason }
                })?);
            }
            if attr.secret {
                secrets.insert(attr.name.clone(), (value, patterns(&attr.secret_hosts)?));
            } else {
                plain.insert(attr.name.clone(), value.expose_secret().to_string());
            }
        }
        Ok(Instance {
            connector_type: spec.connector_type.clone(),
            auth_method: method.auth_method.clone(),
            config: plain,
            bindings: Bindings::new(secrets, config_origins.clone()),
            egress: Allowlist::new(patterns(&spec.egress_hosts)?, policy, config_origins),
            ssh_hosts: if policy.allow_config_hosts { ssh_hosts } else { Vec::new() },
            flags: method
                .attributes
                .iter()
                .filter(|a| a.kind == AttributeKind::Boolean)
                .map(|a| a.name.clone())
                .collect(),
            releases: method.releases_secrets.clone(),
            binding_uses: Mutex::default(),
            warnings: Mutex::default(),
        })
    }

    /// An instance with no configuration, for calls that need none (`describe`,
    /// `canonical-resource-id`, `auto-configure`). It can reach nothing.
    pub fn unconfigured(connector_type: &str) -> Instance {
        Instance {
            connector_type: connector_type.into(),
            auth_method: String::new(),
            config: BTreeMap::new(),
            bindings: Bindings::default(),
            egress: Allowlist::default(),
            ssh_hosts: Vec::new(),
            flags: Vec::new(),
            releases: Vec::new(),
            binding_uses: Mutex::default(),
            warnings: Mutex::default(),
        }
    }

    /// Whether `name` is a boolean attribute of this instance's auth method set to true (`true`,
    /// `1`, `yes`). Switches that weaken a check (`insecure`, unknown SSH host keys) are read only
    /// this way, so a connector cannot point them at some other attribute.
    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
            && self
                .config
                .get(name)
                .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
    }

    /// The secret attribute names of `spec`'s auth method `auth_method`.
    pub fn secret_names(spec: &ConnectorSpec, auth_method: &str) -> Vec<String> {
        spec.auth_methods
            .iter()
            .filter(|m| m.auth_method == auth_method)
            .flat_map(|m| m.attributes.iter().filter(|a| a.secret).map(|a| a.name.clone()))
            .collect()
    }

    /// Record warnings of a call that succeeded.
    pub fn warn(&self, warnings: Vec<String>) {
        self.warnings.lock().unwrap().extend(warnings);
    }

    /// Take the recorded warnings.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().unwrap())
    }

    /// Take the recorded binding uses.
    pub fn take_binding_uses(&self) -> Vec<BindingUse> {
        std::mem::take(&mut *self.binding_uses.lock().unwrap())
    }
}

fn auth_method<'a>(spec: &'a ConnectorSpec, requested: Option<&str>) -> Result<&'a AuthMethodSpec, ConfigError> {
    match requested {
        Some(name) => {
            spec.auth_methods.iter().find(|m| m.auth_method == name).ok_or_else(|| ConfigError::UnknownAuthMethod {
                connector_type: spec.connector_type.clone(),
                auth_method: name.into(),
                available: spec.auth_methods.iter().map(|m| m.auth_method.as_str()).collect::<Vec<_>>().join(", "),
            })
        }
        None => match spec.auth_methods.as_slice() {
            [only] => Ok(only),
            _ => Err(ConfigError::AuthMethodRequired(spec.connector_type.clone())),
        },
    }
}

fn patterns(origins: &[String]) -> Result<Vec<OriginPattern>, ConfigError> {
    origins.iter().map(|o| OriginPattern::parse(o).map_err(ConfigError::InvalidSpec)).collect()
}

/// The items of a text-list value: a JSON array of strings, or comma-separated.
fn text_list(value: &str) -> Vec<String> {
    match serde_json::from_str::<Vec<String>>(value) {
        Ok(items) => items,
        Err(_) => value.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
    }
}

/// Check a value against its attribute's kind; a JSON value given as a JSON string or as base64
/// comes back decoded. Errors describe the problem, never the value.
fn validate(attr: &AttributeSpec, value: &str) -> Result<Option<String>, ConfigError> {
    let invalid = |kind: &str, reason: String| ConfigError::InvalidValue {
        attribute: attr.name.clone(),
        kind: kind.into(),
        reason,
    };
    match attr.kind {
        AttributeKind::Text | AttributeKind::TextList => Ok(None),
        AttributeKind::Integer => {
            value.trim().parse::<i64>().map(|_| None).map_err(|_| invalid("integer", "expected digits".into()))
        }
        AttributeKind::Boolean => match value.trim().to_ascii_lowercase().as_str() {
            "true" | "false" | "1" | "0" | "yes" | "no" => Ok(None),
            _ => Err(invalid("boolean", "expected true or false".into())),
        },
        AttributeKind::Url => Origin::from_config_value(value)
            .map(|_| None)
            .map_err(|_| invalid("URL", "expected http(s)://host[:port][/path] or host[:port]".into())),
        AttributeKind::Json => json_document(value).map_err(|reason| invalid("JSON document", reason)),
    }
}

/// A JSON attribute given as a document (kept as it is), as a JSON string holding a document,
/// or as base64 of a document (both decoded), as ZenML accepts credential files.
fn json_document(value: &str) -> Result<Option<String>, String> {
    use base64::Engine as _;
    let position = |e: serde_json::Error| format!("parse error at line {} column {}", e.line(), e.column());
    match serde_json::from_str::<serde_json::Value>(value) {
        Ok(serde_json::Value::String(inner)) if serde_json::from_str::<serde_json::Value>(&inner).is_ok() => {
            Ok(Some(inner))
        }
        Ok(_) => Ok(None),
        Err(e) => {
            let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            let looks_base64 = !compact.is_empty()
                && compact.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'));
            if !looks_base64 {
                return Err(position(e));
            }
            use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
            let config = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
            let alphabet =
                if compact.contains(['-', '_']) { &base64::alphabet::URL_SAFE } else { &base64::alphabet::STANDARD };
            let decoded = GeneralPurpose::new(alphabet, config)
                .decode(&compact)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or("neither JSON nor base64-encoded JSON")?;
            serde_json::from_str::<serde_json::Value>(&decoded)
                .map(|_| Some(decoded))
                .map_err(|e| format!("base64-decoded, but not JSON ({})", position(e)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::bindings::{AttributeSpec, AuthMethodSpec};

    fn attribute(name: &str, kind: AttributeKind) -> AttributeSpec {
        AttributeSpec {
            name: name.into(),
            description: String::new(),
            kind,
            secret: false,
            required: false,
            default_value: None,
            secret_hosts: Vec::new(),
            egress: false,
        }
    }

    #[test]
    fn a_flag_is_read_from_a_declared_boolean_only() {
        let method = AuthMethodSpec {
            auth_method: "m".into(),
            name: "m".into(),
            description: String::new(),
            attributes: vec![
                attribute("insecure", AttributeKind::Boolean),
                attribute("retries", AttributeKind::Integer),
            ],
            expiration: None,
            releases_secrets: Vec::new(),
        };
        let spec = ConnectorSpec {
            connector_type: "t".into(),
            name: "t".into(),
            description: String::new(),
            emoji: String::new(),
            logo_url: None,
            docs_url: None,
            resource_types: Vec::new(),
            auth_methods: vec![method],
            supports_auto_configuration: false,
            auto_configure_files: Vec::new(),
            auto_configure_env: Vec::new(),
            egress_hosts: Vec::new(),
        };
        let config = ConnectorConfig::new(Some("m"), [("insecure", "yes"), ("retries", "1")]);
        let instance = Instance::prepare(&spec, config, &EgressPolicy::default()).unwrap();
        assert!(instance.flag("insecure"));
        assert!(!instance.flag("retries"), "an integer attribute set to 1 is not a switch");
        assert!(!instance.flag("missing"));
    }
}
