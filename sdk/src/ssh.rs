//! SSH through the host: the connector names a configured host and a key binding; the host
//! checks the server's host key against the admin's pinned keys, authenticates with the key
//! (which never enters the component) and runs only the command asked for.

use crate::host::ssh as raw;
use crate::{ConnectorError, Result};

pub use raw::{CommandOutput, SshError, SshTarget, UserCertificate};

/// A connection target under construction.
#[derive(Debug, Clone)]
pub struct Target(SshTarget);

impl Target {
    /// `username@host` (a `host[:port]` from the instance's configuration), authenticated with
    /// the private key in the `key` binding.
    pub fn new(host: impl Into<String>, username: impl Into<String>, key: &str) -> Self {
        Target(SshTarget {
            host: host.into(),
            username: username.into(),
            key: key.into(),
            passphrase: None,
            known_hosts: None,
            accept_unknown_host_keys: None,
        })
    }

    /// The binding holding the key's passphrase.
    pub fn passphrase(mut self, binding: &str) -> Self {
        self.0.passphrase = Some(binding.into());
        self
    }

    /// The attribute (or binding) with the accepted host keys.
    pub fn known_hosts(mut self, attribute: &str) -> Self {
        self.0.known_hosts = Some(attribute.into());
        self
    }

    /// The boolean attribute that, when `true`, lets the host accept an unknown host key.
    pub fn accept_unknown_host_keys(mut self, attribute: &str) -> Self {
        self.0.accept_unknown_host_keys = Some(attribute.into());
        self
    }

    /// Connect, check the host key and authenticate, then disconnect.
    pub fn check(&self) -> Result<()> {
        raw::run(&self.0, None).map(|_| ()).map_err(ConnectorError::from)
    }

    /// Connect, authenticate and run `command`.
    pub fn run(&self, command: &str) -> Result<CommandOutput> {
        raw::run(&self.0, Some(command)).map_err(ConnectorError::from)
    }
}

/// A fresh Ed25519 key pair with an OpenSSH user certificate for `principals`, signed on the
/// host with the CA key in the `ca_key` binding, valid for `valid_seconds` (at most one day).
pub fn issue_user_certificate(
    ca_key: &str,
    principals: &[String],
    valid_seconds: u64,
    key_id: &str,
) -> Result<UserCertificate> {
    raw::issue_user_certificate(ca_key, principals, valid_seconds, key_id).map_err(ConnectorError::from)
}

impl From<SshError> for ConnectorError {
    fn from(e: SshError) -> Self {
        match e {
            SshError::Denied(m) => ConnectorError::EgressDenied(m),
            SshError::HostKeyRejected(m) | SshError::Unauthorized(m) => ConnectorError::Unauthorized(m),
            SshError::UnknownBinding(m) | SshError::InvalidRequest(m) => ConnectorError::InvalidConfig(m),
            SshError::LimitExceeded(m) => ConnectorError::LimitExceeded(m),
            SshError::Timeout(m) | SshError::Connection(m) => ConnectorError::Upstream(m),
        }
    }
}
