//! Errors from loading a component and from calling it.

use super::bindings::ConnectorError;
use super::limits::LimitExceeded;

/// A component could not become a plugin.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("not a valid WebAssembly component: {0}")]
    Malformed(String),
    #[error("the component imports {}, which the Airlock host does not provide (connectors may import airlock:connector/{{config,http,log}} and WASI 0.2 cli, io, clocks and random; files, environment and sockets are empty)", .0.join(", "))]
    UnsupportedImports(Vec<String>),
    #[error("the component does not implement the airlock:connector@0.1.0 `connector` world: {0}")]
    WrongWorld(String),
    #[error("the component's describe call failed: {0}")]
    Describe(CallError),
    #[error("the component's spec is invalid: {0}")]
    InvalidSpec(String),
    /// The component describes itself differently from the spec an admin approved.
    #[error(
        "the `{0}` plugin now describes itself differently from the spec an admin approved (egress hosts, secrets or auth methods may have changed); it is refused until an admin reinstalls it and approves the new spec"
    )]
    SpecChanged(String),
}

/// A call into a connector failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// A sandbox budget ran out.
    #[error(transparent)]
    Limit(#[from] LimitExceeded),
    /// The egress gate refused what the connector tried to reach.
    #[error("egress denied: {0}")]
    EgressDenied(String),
    /// The connector reported an error.
    #[error("{}", .0.message())]
    Connector(ConnectorError),
    /// The connector trapped (a panic, an invalid operation).
    #[error("the connector crashed: {0}")]
    Trap(String),
    /// The connector's result cannot be used (e.g. it tried to release a secret it may not).
    #[error("the connector returned an unusable result: {0}")]
    BadResult(String),
}

impl CallError {
    /// A stable code for APIs and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            CallError::Limit(_) => "limit-exceeded",
            CallError::EgressDenied(_) => "egress-denied",
            CallError::Connector(e) => e.code(),
            CallError::Trap(_) => "connector-crashed",
            CallError::BadResult(_) => "bad-connector-result",
        }
    }
}
