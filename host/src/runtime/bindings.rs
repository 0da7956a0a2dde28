//! Host-side bindings generated from `wit/connector.wit`.

wasmtime::component::bindgen!({
    world: "connector",
    path: "../wit",
    imports: { "airlock:connector/http.send": async, "airlock:connector/http.send-with-token": async,
               "airlock:connector/http.send-tls": async, "airlock:connector/ssh.run": async },
    exports: { default: async },
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq, utoipa::ToSchema],
});

pub use self::airlock::connector::types::{
    AttributeKind, AttributeSpec, AuthMethodSpec, CredentialValue, ExpirationBounds, LocalFile, ResourceTypeSpec,
};

impl ConnectorError {
    /// A stable code for APIs and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            ConnectorError::InvalidConfig(_) => "invalid-config",
            ConnectorError::Unauthorized(_) => "unauthorized",
            ConnectorError::NotFound(_) => "not-found",
            ConnectorError::Upstream(_) => "upstream",
            ConnectorError::LimitExceeded(_) => "limit-exceeded",
            ConnectorError::Unsupported(_) => "unsupported",
            ConnectorError::EgressDenied(_) => "egress-denied",
        }
    }

    /// The connector's message.
    pub fn message(&self) -> &str {
        match self {
            ConnectorError::InvalidConfig(m)
            | ConnectorError::Unauthorized(m)
            | ConnectorError::NotFound(m)
            | ConnectorError::Upstream(m)
            | ConnectorError::LimitExceeded(m)
            | ConnectorError::Unsupported(m)
            | ConnectorError::EgressDenied(m) => m,
        }
    }
}
