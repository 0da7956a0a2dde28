//! The `hyperai` connector: SSH access to HyperAI instances, with ZenML's four key methods.
//!
//! The private key never enters this component: the host authenticates with it. Unlike ZenML
//! (which accepts any host key), the host checks each server's host key against the connector's
//! `known_hosts` and refuses unknown keys unless an admin opts in. With an SSH CA key
//! configured, clients receive a fresh key pair and a short-lived OpenSSH user certificate
//! signed on the host instead of the long-lived key.

use airlock_sdk::AttributeKind;
use airlock_sdk::prelude::*;

const RESOURCE_TYPE: &str = "hyperai-instance";
/// User certificate lifetimes.
const CERTIFICATE_MIN_SECS: u64 = 10;
const CERTIFICATE_DEFAULT_SECS: u64 = 3600;
const CERTIFICATE_MAX_SECS: u64 = 86_400;

/// ZenML's auth methods: one per key algorithm, all with the same attributes.
const METHODS: &[(&str, &str)] =
    &[("rsa-key", "RSA key"), ("dsa-key", "DSA key"), ("ecdsa-key", "ECDSA key"), ("ed25519-key", "Ed25519 key")];

struct HyperAI;

impl Connector for HyperAI {
    fn describe() -> ConnectorSpec {
        let mut connector = spec::connector("hyperai", "HyperAI Connector", DESCRIPTION)
            .emoji("🤖")
            .docs_url("https://hyperai.ai")
            .resource_type(
                spec::resource_type(RESOURCE_TYPE, "HyperAI instance")
                    .emoji("🤖")
                    .multi_instance()
                    .id_formats(&["{hostname}"])
                    .description(RESOURCE_DESCRIPTION),
            );
        for (method, name) in METHODS {
            let description = match *method {
                "dsa-key" => DSA_KEY_DOCS,
                _ => KEY_DOCS,
            };
            connector = connector.auth_method(
                spec::auth_method(method, &format!("{name} (SSH)"))
                    .attribute(spec::secret("base64_ssh_key", "The private key file, base64-encoded (or as it is)"))
                    .attribute(spec::secret("ssh_passphrase", "The key's passphrase").optional())
                    .attribute(
                        spec::of_kind("hostnames", "The instances' hosts (`host` or `host:port`)", AttributeKind::TextList)
                            .egress(),
                    )
                    .attribute(spec::text("username", "The user to log in as"))
                    .attribute(
                        spec::text(
                            "known_hosts",
                            "Accepted host keys: known_hosts lines (`ssh-keyscan` output), public keys or SHA256: fingerprints",
                        )
                        .optional(),
                    )
                    .attribute(
                        spec::of_kind(
                            "accept_unknown_host_keys",
                            "Accept a host key not in known_hosts (ZenML's behaviour; logged with its fingerprint)",
                            AttributeKind::Boolean,
                        )
                        .default_value("false"),
                    )
                    .attribute(
                        spec::secret(
                            "ssh_ca_key",
                            "An SSH CA private key: clients then receive short-lived user certificates signed with it on the host",
                        )
                        .optional(),
                    )
                    .expiration(CERTIFICATE_MIN_SECS, CERTIFICATE_DEFAULT_SECS, CERTIFICATE_MAX_SECS)
                    .description(description)
                    .releases(&["base64_ssh_key", "ssh_passphrase"]),
            );
        }
        connector.build()
    }

    fn canonical_resource_id(resource_type: String, resource_id: String) -> Result<String> {
        check_resource_type(&resource_type)?;
        hostname(&resource_id)
    }

    fn verify(resource_type: Option<String>, resource_id: Option<String>) -> Result<Vec<ResourceListing>> {
        if let Some(rt) = &resource_type {
            check_resource_type(rt)?;
        }
        let hosts = match resource_id {
            Some(id) => vec![hostname(&id)?],
            None => hostnames()?,
        };
        for host in &hosts {
            target(host)?.check()?;
        }
        Ok(vec![listing(RESOURCE_TYPE, hosts)])
    }

    fn issue_client(request: ClientRequest) -> Result<ClientCredential> {
        check_resource_type(&request.resource_type)?;
        let host = match request.resource_id.as_deref() {
            Some(id) => hostname(id)?,
            None => match hostnames()?.as_slice() {
                [only] => only.clone(),
                _ => {
                    return Err(ConnectorError::InvalidConfig(
                        "this connector reaches several hosts: name one as the resource id".into(),
                    ));
                }
            },
        };
        let username = config::require("username")?;
        let mut attributes = vec![
            ("hostname".to_string(), CredentialValue::Plain(host.clone())),
            ("username".into(), CredentialValue::Plain(username.clone())),
        ];
        if let Some(known) = config::get("known_hosts").filter(|k| !k.trim().is_empty()) {
            attributes.push(("known_hosts".into(), CredentialValue::Plain(known)));
        }
        let mut expires_at = None;
        if config::has_binding("ssh_ca_key") {
            let seconds = request.expiration_seconds.unwrap_or(CERTIFICATE_DEFAULT_SECS);
            let key_id = format!("airlock:{username}@{host}");
            let issued = ssh::issue_user_certificate("ssh_ca_key", &[username], seconds, &key_id)?;
            attributes.extend([
                ("private_key".to_string(), CredentialValue::Secret(issued.private_key)),
                ("public_key".into(), CredentialValue::Plain(issued.public_key)),
                ("certificate".into(), CredentialValue::Plain(issued.certificate)),
            ]);
            expires_at = Some(issued.valid_before);
        } else if request.expiration_seconds.is_some() {
            return Err(ConnectorError::InvalidConfig(
                "an expiration applies to user certificates only: set `ssh_ca_key` to issue them".into(),
            ));
        } else {
            log::warn(
                "no ssh_ca_key is configured: the client receives the connector's long-lived key (where admin policy releases it)",
            );
            attributes.push(("base64_ssh_key".into(), CredentialValue::Binding("base64_ssh_key".into())));
            if config::has_binding("ssh_passphrase") {
                attributes.push(("ssh_passphrase".into(), CredentialValue::Binding("ssh_passphrase".into())));
            }
        }
        Ok(ClientCredential {
            connector_type: "hyperai".into(),
            auth_method: config::auth_method(),
            resource_type: RESOURCE_TYPE.into(),
            resource_id: Some(host),
            attributes,
            expires_at,
        })
    }
}

const DESCRIPTION: &str = "Gives SSH access to HyperAI instances with a private key that stays on the Airlock \
host. Host keys are checked against the connector's known_hosts (unknown keys are refused unless an admin \
opts in); with an SSH CA key, clients get short-lived OpenSSH user certificates instead of the key.";

const RESOURCE_DESCRIPTION: &str = "One HyperAI instance, named by one of the connector's `hostnames`. \
Clients receive the host, the user and either a fresh key pair with a user certificate (when the \
connector has an SSH CA key; the instance's sshd must trust the CA with TrustedUserCAKeys) or the \
configured key where admin policy releases it.\n\
The client is a `hyperai` credential with `hostname`, `username` and `known_hosts` (when configured), plus \
`private_key`, `public_key` and `certificate` (an Ed25519 key and an OpenSSH user certificate for `username` that \
permits a pty, valid 10 seconds to 1 day, 1 hour by default), or `base64_ssh_key` and `ssh_passphrase`.\n\
Verification connects over SSH from the Airlock host to each configured host (or the one named), checks its host \
key against `known_hosts`, authenticates and disconnects. Permissions: the `username` account on each instance, \
with the key's public half in its authorized_keys (or an sshd that trusts the CA).\n\
Ids: `host` or `host:port`, exactly as written in `hostnames` (no normalisation). Multiple instances: one connector \
may serve every host it lists; a client must name one when there are several.";

const KEY_DOCS: &str = "An SSH private key (base64 of the key file, or the file as it is), used on the Airlock \
host only, with `ssh_passphrase` when it is encrypted: SSH runs on the host, so the key never reaches connector \
code. As in ZenML the method names the key's algorithm; the key's type is not checked against it (DSA keys are \
refused).\n\
`hostnames` lists the instances (`host` or `host:port`) and `username` the account. The host checks each server's \
host key against `known_hosts` (`ssh-keyscan` lines, public keys or `SHA256:` fingerprints; `@revoked` honoured) \
and refuses unknown keys unless `accept_unknown_host_keys` is true (ZenML's behaviour: it accepts any key).\n\
With `ssh_ca_key` (an unencrypted SSH CA private key, also kept on the host) clients receive a fresh Ed25519 key \
pair and an OpenSSH user certificate for `username`, signed on the host and valid 10 seconds to 1 day (1 hour by \
default); the instances' sshd must trust the CA (TrustedUserCAKeys). Without it clients receive the configured key \
and passphrase, only where admin policy releases them, and no expiration can be requested.\n\
Recommended: set `ssh_ca_key`, so the long-lived key never leaves the host.";

const DSA_KEY_DOCS: &str = "A DSA private key. Listed for ZenML parity: OpenSSH no longer accepts DSA keys \
(disabled since 7.0, removed in 9.8), so the host refuses them.\n\
Generate a new key and use `ed25519-key` (or `ecdsa-key`, `rsa-key`) instead; the attributes are the same.";

fn check_resource_type(rt: &str) -> Result<()> {
    match rt {
        RESOURCE_TYPE => Ok(()),
        other => Err(ConnectorError::InvalidConfig(format!(
            "the hyperai connector has no resource type `{other}` ({RESOURCE_TYPE})"
        ))),
    }
}

/// The configured hosts.
fn hostnames() -> Result<Vec<String>> {
    let hosts = config::list("hostnames");
    if hosts.is_empty() {
        return Err(ConnectorError::InvalidConfig("`hostnames` lists no host".into()));
    }
    Ok(hosts)
}

/// A resource id: exactly one of the configured hosts (no trimming, as ZenML compares them).
fn hostname(id: &str) -> Result<String> {
    let hosts = hostnames()?;
    match hosts.iter().find(|h| *h == id) {
        Some(host) => Ok(host.clone()),
        None => Err(ConnectorError::InvalidConfig(format!(
            "`{}` is not one of this connector's hosts ({})",
            id.escape_debug(),
            hosts.join(", ")
        ))),
    }
}

/// How to reach `host` with this instance's key and host-key settings.
fn target(host: &str) -> Result<ssh::Target> {
    let mut target = ssh::Target::new(host, config::require("username")?, "base64_ssh_key")
        .accept_unknown_host_keys("accept_unknown_host_keys");
    if config::has_binding("ssh_passphrase") {
        target = target.passphrase("ssh_passphrase");
    }
    if config::get("known_hosts").is_some_and(|k| !k.trim().is_empty()) {
        target = target.known_hosts("known_hosts");
    }
    Ok(target)
}

airlock_sdk::export_connector!(HyperAI);
