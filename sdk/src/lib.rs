//! The SDK for Airlock service connectors.
//!
//! A connector is a WebAssembly component (built for `wasm32-wasip2`) that implements the
//! `airlock:connector` WIT world. It describes its connector type, verifies credentials, lists the
//! resources they reach and issues short-lived client credentials. It never sees a secret: secret
//! attributes are *credential bindings* the host applies to outbound requests on the connector's
//! behalf ([`http::Request::bearer`], [`http::Request::basic`], [`http::Request::aws_sigv4`], ...).
//!
//! ```no_run
//! use airlock_sdk::prelude::*;
//!
//! struct Echo;
//!
//! impl Connector for Echo {
//!     fn describe() -> ConnectorSpec {
//!         spec::connector("echo", "Echo", "Checks a token against an echo service.")
//!             .resource_type(spec::resource_type("echo-service", "Echo service"))
//!             .auth_method(
//!                 spec::auth_method("token", "Bearer token")
//!                     .attribute(spec::secret("token", "The API token"))
//!                     .attribute(spec::url("endpoint", "Service URL").egress()),
//!             )
//!             .build()
//!     }
//!
//!     fn verify(resource_type: Option<String>, _id: Option<String>) -> Result<Vec<ResourceListing>> {
//!         let endpoint = config::require("endpoint")?;
//!         http::Request::get(format!("{endpoint}/whoami")).bearer("token").send()?.ok()?;
//!         Ok(vec![listing("echo-service", vec![endpoint])])
//!     }
//!
//!     fn issue_client(request: ClientRequest) -> Result<ClientCredential> {
//!         Err(ConnectorError::Unsupported("echo issues no clients".into()))
//!     }
//! }
//!
//! airlock_sdk::export_connector!(Echo);
//! ```
//!
//! # Guide
//!
//! **The contract.** A connector exports `describe` (its [`ConnectorSpec`]: resource types with
//! id formats, auth methods with typed attributes, expiry bounds, the secrets a method hands to
//! clients, the origins it may always reach), `canonical-resource-id`, `verify`, `issue-client`
//! and optionally `auto-configure` — the methods of [`Connector`], registered with
//! [`export_connector!`]. What `describe` returns at install is what an admin approves: egress,
//! bindings and releases are enforced from that approved spec, so a connector cannot widen them
//! later.
//!
//! **Bindings.** Attributes built with [`spec::secret`] never enter the component. Name them in a
//! request ([`http::Request::bearer`], [`http::Request::basic`], [`http::Request::body_placeholders`],
//! [`http::Request::aws_sigv4`], [`http::Request::jwt`], [`http::Request::tls`] for a client
//! certificate key, [`ssh::Target::new`] for an SSH key) and the host applies them, only towards
//! the origins the binding may reach. A client credential refers to a long-lived secret with
//! [`CredentialValue::Binding`]; the host fills it in only where admin policy releases it. Prefer
//! minting a short-lived credential and returning it as [`CredentialValue::Secret`].
//!
//! **Egress.** Requests go to the origins in the spec's `egress_hosts` and the origins of
//! attributes marked [`spec::AttributeBuilder::egress`] (an endpoint, a registry), and only to
//! addresses the server's policy allows; a denial is [`ConnectorError::EgressDenied`].
//!
//! **Errors.** Return the [`ConnectorError`] kind that says what went wrong: `invalid-config`
//! for bad input, `unauthorized` when the upstream refused the credentials, `not-found`,
//! `upstream`, `unsupported`. [`http::Response::ok`] maps HTTP statuses. Never put a secret in
//! a message; the host redacts what it knows, but only the connector knows what it minted.
//!
//! **Testing.** [`testing::MockHost`] runs connector code natively in `cargo test`: script the
//! configuration, the bindings (by name) and HTTP responses, then assert the requests and the
//! credential uses the connector asked for. `airlock plugin new <name>` writes a crate with such
//! tests.
//!
//! **Publishing.** `cargo build --release --target wasm32-wasip2` builds the component; sign it
//! with `wasmsign2` for servers that require signatures, and `airlock plugin push <file>
//! <registry>/<repo>:<tag>` publishes it as a Wasm OCI artifact that `airlock plugin install`
//! pulls.

#![deny(missing_docs)]

#[allow(missing_docs, clippy::too_many_arguments)] // generated; the WIT contract documents it
pub mod bindings {
    //! The raw bindings generated from `wit/connector.wit`.
    wit_bindgen::generate!({
        world: "connector",
        path: "../wit",
        pub_export_macro: true,
        default_bindings_module: "airlock_sdk::bindings",
        additional_derives: [PartialEq],
    });
}

pub mod config;
mod host;
pub mod http;
pub mod log;
pub mod resource_id;
pub mod spec;
pub mod ssh;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
pub mod time;

pub use bindings::airlock::connector::types::{
    AttributeKind, AttributeSpec, AuthMethodSpec, AutoConfiguration, AutoConfigureInput, ClientCredential,
    ClientRequest, ConnectorError, ConnectorSpec, CredentialValue, ExpirationBounds, LocalFile, ResourceListing,
    ResourceTypeSpec,
};

/// The result type of connector operations.
pub type Result<T, E = ConnectorError> = std::result::Result<T, E>;

/// What a connector implements. Register the implementation with [`export_connector!`].
pub trait Connector {
    /// The static description of this connector type.
    fn describe() -> ConnectorSpec;

    /// The canonical form of a resource id. The default accepts ids as they are.
    fn canonical_resource_id(resource_type: String, resource_id: String) -> Result<String> {
        let _ = resource_type;
        Ok(resource_id)
    }

    /// Authenticate and list reachable resources (see the WIT `verify` export).
    fn verify(resource_type: Option<String>, resource_id: Option<String>) -> Result<Vec<ResourceListing>>;

    /// Mint a client credential for one resource.
    fn issue_client(request: ClientRequest) -> Result<ClientCredential>;

    /// Build a configuration from local files. The default says the type does not support it.
    fn auto_configure(input: AutoConfigureInput) -> Result<AutoConfiguration> {
        let _ = input;
        Err(ConnectorError::Unsupported("this connector type does not support auto-configuration".into()))
    }
}

impl ConnectorError {
    /// The error's message, whatever its kind.
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

/// A resource listing for one type.
pub fn listing(resource_type: &str, resource_ids: Vec<String>) -> ResourceListing {
    ResourceListing { resource_type: resource_type.into(), resource_ids, error: None }
}

/// Everything a connector usually needs.
pub mod prelude {
    pub use crate::{
        ClientCredential, ClientRequest, Connector, ConnectorError, ConnectorSpec, CredentialValue, ResourceListing,
        Result, config, http, listing, log, resource_id, spec, ssh, time,
    };
}

/// Export a [`Connector`] implementation as the component's `connector` world.
#[macro_export]
macro_rules! export_connector {
    ($ty:ident) => {
        impl $crate::bindings::Guest for $ty {
            fn describe() -> $crate::ConnectorSpec {
                <$ty as $crate::Connector>::describe()
            }
            fn canonical_resource_id(resource_type: String, resource_id: String) -> $crate::Result<String> {
                <$ty as $crate::Connector>::canonical_resource_id(resource_type, resource_id)
            }
            fn verify(
                resource_type: Option<String>,
                resource_id: Option<String>,
            ) -> $crate::Result<Vec<$crate::ResourceListing>> {
                <$ty as $crate::Connector>::verify(resource_type, resource_id)
            }
            fn issue_client(request: $crate::ClientRequest) -> $crate::Result<$crate::ClientCredential> {
                <$ty as $crate::Connector>::issue_client(request)
            }
            fn auto_configure(input: $crate::AutoConfigureInput) -> $crate::Result<$crate::AutoConfiguration> {
                <$ty as $crate::Connector>::auto_configure(input)
            }
        }
        $crate::bindings::export!($ty);
    };
}
