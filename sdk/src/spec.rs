//! Builders for the connector specification returned by `describe`.

use crate::{AttributeKind, AttributeSpec, AuthMethodSpec, ConnectorSpec, ExpirationBounds, ResourceTypeSpec};

/// Start a connector spec.
pub fn connector(connector_type: &str, name: &str, description: &str) -> ConnectorBuilder {
    ConnectorBuilder(ConnectorSpec {
        connector_type: connector_type.into(),
        name: name.into(),
        description: description.into(),
        emoji: String::new(),
        logo_url: None,
        docs_url: None,
        resource_types: Vec::new(),
        auth_methods: Vec::new(),
        supports_auto_configuration: false,
        auto_configure_files: Vec::new(),
        auto_configure_env: Vec::new(),
        egress_hosts: Vec::new(),
    })
}

/// Builds a [`ConnectorSpec`]. Auth methods added before or after resource types are linked to
/// every resource type that does not list its own.
pub struct ConnectorBuilder(ConnectorSpec);

impl ConnectorBuilder {
    /// An emoji shown beside the type's name.
    pub fn emoji(mut self, emoji: &str) -> Self {
        self.0.emoji = emoji.into();
        self
    }

    /// A documentation URL.
    pub fn docs_url(mut self, url: &str) -> Self {
        self.0.docs_url = Some(url.into());
        self
    }

    /// Add a resource type.
    pub fn resource_type(mut self, resource_type: ResourceTypeBuilder) -> Self {
        self.0.resource_types.push(resource_type.0);
        self
    }

    /// Add an auth method.
    pub fn auth_method(mut self, auth_method: AuthMethodBuilder) -> Self {
        self.0.auth_methods.push(auth_method.0);
        self
    }

    /// An origin (`scheme://host[:port]`, `*.` wildcards) the connector may always reach.
    pub fn egress(mut self, origin: &str) -> Self {
        self.0.egress_hosts.push(origin.into());
        self
    }

    /// Declare auto-configuration from these local files (`~/`-relative, or `$VAR` for the file a
    /// variable names) and environment variables.
    pub fn auto_configure(mut self, files: &[&str], env: &[&str]) -> Self {
        self.0.supports_auto_configuration = true;
        self.0.auto_configure_files = files.iter().map(|f| f.to_string()).collect();
        self.0.auto_configure_env = env.iter().map(|e| e.to_string()).collect();
        self
    }

    /// The finished spec.
    pub fn build(mut self) -> ConnectorSpec {
        let all: Vec<String> = self.0.auth_methods.iter().map(|m| m.auth_method.clone()).collect();
        for rt in &mut self.0.resource_types {
            if rt.auth_methods.is_empty() {
                rt.auth_methods = all.clone();
            }
        }
        self.0
    }
}

/// Start a resource type.
pub fn resource_type(resource_type: &str, name: &str) -> ResourceTypeBuilder {
    ResourceTypeBuilder(ResourceTypeSpec {
        resource_type: resource_type.into(),
        name: name.into(),
        description: String::new(),
        emoji: String::new(),
        auth_methods: Vec::new(),
        supports_instances: false,
        id_formats: Vec::new(),
    })
}

/// Builds a [`ResourceTypeSpec`].
pub struct ResourceTypeBuilder(ResourceTypeSpec);

impl ResourceTypeBuilder {
    /// A description (Markdown).
    pub fn description(mut self, description: &str) -> Self {
        self.0.description = description.into();
        self
    }

    /// An emoji.
    pub fn emoji(mut self, emoji: &str) -> Self {
        self.0.emoji = emoji.into();
        self
    }

    /// One connector may reach many resources of this type.
    pub fn multi_instance(mut self) -> Self {
        self.0.supports_instances = true;
        self
    }

    /// The accepted resource-id formats, for humans.
    pub fn id_formats(mut self, formats: &[&str]) -> Self {
        self.0.id_formats = formats.iter().map(|f| f.to_string()).collect();
        self
    }

    /// Restrict the auth methods that reach this type (default: all).
    pub fn auth_methods(mut self, methods: &[&str]) -> Self {
        self.0.auth_methods = methods.iter().map(|m| m.to_string()).collect();
        self
    }
}

/// Start an auth method.
pub fn auth_method(auth_method: &str, name: &str) -> AuthMethodBuilder {
    AuthMethodBuilder(AuthMethodSpec {
        auth_method: auth_method.into(),
        name: name.into(),
        description: String::new(),
        attributes: Vec::new(),
        expiration: None,
        releases_secrets: Vec::new(),
    })
}

/// Builds an [`AuthMethodSpec`].
pub struct AuthMethodBuilder(AuthMethodSpec);

impl AuthMethodBuilder {
    /// A description (Markdown).
    pub fn description(mut self, description: &str) -> Self {
        self.0.description = description.into();
        self
    }

    /// Add an attribute.
    pub fn attribute(mut self, attribute: AttributeBuilder) -> Self {
        self.0.attributes.push(attribute.0);
        self
    }

    /// The method issues temporary credentials with these lifetime bounds (seconds).
    pub fn expiration(mut self, min: u64, default: u64, max: u64) -> Self {
        self.0.expiration = Some(ExpirationBounds { min_seconds: min, max_seconds: max, default_seconds: default });
        self
    }

    /// The method hands these secret attributes to clients as they are.
    pub fn releases(mut self, secrets: &[&str]) -> Self {
        self.0.releases_secrets = secrets.iter().map(|s| s.to_string()).collect();
        self
    }
}

fn attribute(name: &str, description: &str, kind: AttributeKind, secret: bool) -> AttributeBuilder {
    AttributeBuilder(AttributeSpec {
        name: name.into(),
        description: description.into(),
        kind,
        secret,
        required: true,
        default_value: None,
        secret_hosts: Vec::new(),
        egress: false,
    })
}

/// A required text attribute.
pub fn text(name: &str, description: &str) -> AttributeBuilder {
    attribute(name, description, AttributeKind::Text, false)
}

/// A required secret attribute (a credential binding).
pub fn secret(name: &str, description: &str) -> AttributeBuilder {
    attribute(name, description, AttributeKind::Text, true)
}

/// A required URL attribute.
pub fn url(name: &str, description: &str) -> AttributeBuilder {
    attribute(name, description, AttributeKind::Url, false)
}

/// A required attribute of another kind.
pub fn of_kind(name: &str, description: &str, kind: AttributeKind) -> AttributeBuilder {
    attribute(name, description, kind, false)
}

/// Builds an [`AttributeSpec`].
pub struct AttributeBuilder(AttributeSpec);

impl AttributeBuilder {
    /// The attribute may be omitted.
    pub fn optional(mut self) -> Self {
        self.0.required = false;
        self
    }

    /// The value used when the attribute is omitted.
    pub fn default_value(mut self, value: &str) -> Self {
        self.0.default_value = Some(value.into());
        self.0.required = false;
        self
    }

    /// The value names a host this instance must reach (joins its egress allowlist).
    pub fn egress(mut self) -> Self {
        self.0.egress = true;
        self
    }

    /// What the value holds (the host validates it; JSON values may be given as a document, a
    /// JSON string or base64).
    pub fn kind(mut self, kind: AttributeKind) -> Self {
        self.0.kind = kind;
        self
    }

    /// Origins this secret may be sent to besides the config-derived ones.
    pub fn secret_hosts(mut self, origins: &[&str]) -> Self {
        self.0.secret_hosts = origins.iter().map(|o| o.to_string()).collect();
        self
    }
}
