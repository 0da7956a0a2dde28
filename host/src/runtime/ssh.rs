//! SSH for connectors, on the host: connections only to the instance's configured hosts and to
//! addresses the policy allows, the server's host key checked against the admin's pinned keys,
//! public-key authentication with a key binding that never enters the sandbox, and OpenSSH user
//! certificates signed with a CA key binding.

use super::bindings::airlock::connector::ssh::{CommandOutput, SshError, SshTarget, UserCertificate};
use super::outbound::Outbound;
use super::state::CallBudget;
use crate::egress::SshHost;
use crate::instance::{BindingUse, Instance};
use base64::Engine as _;
use russh::keys::ssh_key::{self, HashAlg, LineEnding, PrivateKey, PublicKey, certificate};
use russh::keys::{PrivateKeyWithHashAlg, decode_secret_key};
use russh::{ChannelMsg, Disconnect, client};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use zeroize::Zeroizing;

/// Longest user certificate the host signs.
const MAX_CERTIFICATE_SECS: u64 = 86_400;
/// Certificates are valid from this long before they are signed (clock skew between hosts).
const BACKDATE_SECS: u64 = 60;
/// Principals one certificate may name.
const MAX_PRINCIPALS: usize = 32;

/// Connect to `target` for `instance`, authenticate and run `command` if given.
pub(crate) async fn run(
    outbound: &Outbound,
    instance: &Instance,
    budget: &mut CallBudget,
    target: SshTarget,
    command: Option<String>,
) -> Result<CommandOutput, SshError> {
    let host = SshHost::parse(&target.host).map_err(SshError::InvalidRequest)?;
    if !instance.ssh_hosts.contains(&host) {
        return Err(SshError::Denied(format!(
            "`{host}` is not one of this connector's configured hosts (or admin policy refuses hosts named in a connector's configuration)"
        )));
    }
    budget.take_request().map_err(|e| SshError::LimitExceeded(e.to_string()))?;
    let addresses = outbound.resolve(&host.host, host.port).await?;
    let key = private_key(instance, &target)?;
    let check = HostKeyCheck::new(instance, &target, &host)?;
    let outcome = check.outcome.clone();
    let (window, window_limit) = budget.host_call_window();
    let session = async {
        let stream = connect(&addresses, &host).await?;
        let config = Arc::new(client::Config { inactivity_timeout: Some(window), ..Default::default() });
        let mut session = client::connect_stream(config, stream, check).await.map_err(|e| {
            match outcome.lock().unwrap_or_else(|p| p.into_inner()).take() {
                Some(rejected) => SshError::HostKeyRejected(rejected),
                None => SshError::Connection(format!("SSH with `{host}` failed: {e}")),
            }
        })?;
        let hash = session.best_supported_rsa_hash().await.ok().flatten().flatten();
        let mut bindings = vec![target.key.clone()];
        bindings.extend(target.passphrase.clone());
        // The key is used from here on: audited whether or not the server accepts it.
        instance.binding_uses.lock().unwrap_or_else(|e| e.into_inner()).push(BindingUse {
            bindings,
            method: "SSH",
            origin: format!("ssh://{host}"),
            status: None,
        });
        let auth = session
            .authenticate_publickey(&target.username, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
            .await
            .map_err(|e| SshError::Connection(format!("SSH authentication with `{host}` failed: {e}")))?;
        if !auth.success() {
            return Err(SshError::Unauthorized(format!("`{host}` refused the key for user `{}`", target.username)));
        }
        let output = match &command {
            Some(command) => exec(&session, command, budget, &host).await?,
            None => CommandOutput { exit_status: None, stdout: Vec::new(), stderr: Vec::new() },
        };
        let _ = session.disconnect(Disconnect::ByApplication, "", "en").await;
        Ok(output)
    };
    match tokio::time::timeout(window, session).await {
        Ok(result) => result,
        Err(_) => Err(SshError::Timeout(budget.timed_out(window_limit).to_string())),
    }
}

/// A fresh Ed25519 key pair with a user certificate signed by the CA key in `ca_binding`.
pub(crate) fn issue_user_certificate(
    instance: &Instance,
    budget: &mut CallBudget,
    ca_binding: &str,
    principals: &[String],
    valid_seconds: u64,
    key_id: &str,
) -> Result<UserCertificate, SshError> {
    if !(1..=MAX_CERTIFICATE_SECS).contains(&valid_seconds) {
        return Err(SshError::InvalidRequest(format!(
            "a user certificate is valid 1 to {MAX_CERTIFICATE_SECS} seconds"
        )));
    }
    budget.take_request().map_err(|e| SshError::LimitExceeded(e.to_string()))?;
    let printable = |s: &str| !s.is_empty() && s.len() <= 256 && s.chars().all(|c| c.is_ascii_graphic());
    if principals.is_empty()
        || principals.len() > MAX_PRINCIPALS
        || !principals.iter().all(|p| printable(p) && !p.contains(','))
    {
        return Err(SshError::InvalidRequest(format!(
            "a certificate needs 1 to {MAX_PRINCIPALS} principals (user names without commas)"
        )));
    }
    if !printable(key_id) {
        return Err(SshError::InvalidRequest("the key id must be 1 to 256 printable characters".into()));
    }
    let ca_text = instance.bindings.for_host_use(ca_binding).map_err(|e| SshError::UnknownBinding(e.to_string()))?;
    let ca = decode_key(ca_binding, ca_text, None)?;
    let seed: Zeroizing<[u8; 32]> = Zeroizing::new(rand::random());
    let key = PrivateKey::from(ssh_key::private::Ed25519Keypair::from_seed(&seed));
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let valid_before = now + valid_seconds;
    let signing_error = |e: ssh_key::Error| SshError::InvalidRequest(format!("cannot sign the certificate: {e}"));
    let nonce: [u8; 16] = rand::random();
    let mut builder = certificate::Builder::new(
        nonce.to_vec(),
        key.public_key().key_data().clone(),
        now - BACKDATE_SECS,
        valid_before,
    )
    .map_err(signing_error)?;
    builder
        .serial(rand::random())
        .and_then(|b| b.key_id(key_id))
        .and_then(|b| b.cert_type(certificate::CertType::User))
        .and_then(|b| b.extension("permit-pty", ""))
        .map_err(signing_error)?;
    for principal in principals {
        builder.valid_principal(principal.clone()).map_err(signing_error)?;
    }
    let certificate = builder.sign(&ca).map_err(signing_error)?;
    let mut named = principals.join(",");
    named.truncate(200);
    instance.binding_uses.lock().unwrap_or_else(|e| e.into_inner()).push(BindingUse {
        bindings: vec![ca_binding.to_string()],
        method: "SSH-CERT",
        origin: format!("principals {named}"),
        status: None,
    });
    let text = |r: Result<String, ssh_key::Error>| r.map_err(signing_error);
    Ok(UserCertificate {
        private_key: key.to_openssh(LineEnding::LF).map_err(signing_error)?.to_string(),
        public_key: text(key.public_key().to_openssh())?,
        certificate: text(certificate.to_openssh())?,
        valid_before,
    })
}

/// The first address that accepts a TCP connection.
async fn connect(addresses: &[std::net::SocketAddr], host: &SshHost) -> Result<tokio::net::TcpStream, SshError> {
    let mut last = None;
    for address in addresses {
        match tokio::net::TcpStream::connect(address).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    let reason = last.map(|e| e.to_string()).unwrap_or_else(|| "no address".into());
    Err(SshError::Connection(format!("cannot connect to `{host}`: {reason}")))
}

/// Run one command, collecting its output within the response-bytes budget.
async fn exec(
    session: &client::Handle<HostKeyCheck>,
    command: &str,
    budget: &mut CallBudget,
    host: &SshHost,
) -> Result<CommandOutput, SshError> {
    let failed = |e: russh::Error| SshError::Connection(format!("running a command on `{host}` failed: {e}"));
    let mut channel = session.channel_open_session().await.map_err(failed)?;
    channel.exec(true, command).await.map_err(failed)?;
    let mut output = CommandOutput { exit_status: None, stdout: Vec::new(), stderr: Vec::new() };
    while let Some(message) = channel.wait().await {
        let (into, data) = match &message {
            ChannelMsg::Data { data } => (&mut output.stdout, data),
            ChannelMsg::ExtendedData { data, ext: 1 } => (&mut output.stderr, data),
            ChannelMsg::ExitStatus { exit_status } => {
                output.exit_status = Some(*exit_status);
                continue;
            }
            ChannelMsg::Close => break,
            _ => continue,
        };
        budget.take_response_bytes(data.len() as u64).map_err(|e| SshError::LimitExceeded(e.to_string()))?;
        into.extend_from_slice(data);
    }
    Ok(output)
}

/// The private key a target names, decrypted with its passphrase binding if given.
fn private_key(instance: &Instance, target: &SshTarget) -> Result<PrivateKey, SshError> {
    let binding =
        |name: &str| instance.bindings.for_host_use(name).map_err(|e| SshError::UnknownBinding(e.to_string()));
    let passphrase = target.passphrase.as_deref().map(binding).transpose()?;
    decode_key(&target.key, binding(&target.key)?, passphrase)
}

/// A private key given as OpenSSH or PEM text, or as base64 of either (ZenML's form).
fn decode_key(name: &str, value: &str, passphrase: Option<&str>) -> Result<PrivateKey, SshError> {
    let value = value.trim();
    let text = match value.starts_with("-----BEGIN") {
        true => Zeroizing::new(value.to_string()),
        false => {
            let compact = Zeroizing::new(value.chars().filter(|c| !c.is_whitespace()).collect::<String>());
            let decoded = base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()).map(Zeroizing::new);
            match decoded.ok().and_then(|d| String::from_utf8(d.to_vec()).ok()) {
                Some(text) => Zeroizing::new(text),
                None => return Err(not_a_key(name)),
            }
        }
    };
    // The parser's message never quotes the key; it is not passed on in any case.
    let key = decode_secret_key(&text, passphrase).map_err(|_| not_a_key(name))?;
    if key.algorithm() == ssh_key::Algorithm::Dsa {
        return Err(SshError::InvalidRequest(format!(
            "`{name}` is a DSA key, which OpenSSH no longer accepts (disabled since 7.0, removed in 9.8)"
        )));
    }
    Ok(key)
}

fn not_a_key(name: &str) -> SshError {
    SshError::InvalidRequest(format!(
        "`{name}` is not an OpenSSH or PEM private key (or base64 of one), or its passphrase is wrong"
    ))
}

/// Accepts the server's host key only if the admin pinned it, or if the admin opted in to
/// unknown keys (logged with the fingerprint).
pub(crate) struct HostKeyCheck {
    host: SshHost,
    accepted: Vec<Accepted>,
    accept_unknown: bool,
    /// Why the key was refused, for the error the caller sees.
    outcome: Arc<Mutex<Option<String>>>,
}

/// One accepted host key.
enum Accepted {
    Fingerprint(String),
    Key(Box<PublicKey>),
    Revoked(Box<PublicKey>),
}

impl HostKeyCheck {
    fn new(instance: &Instance, target: &SshTarget, host: &SshHost) -> Result<Self, SshError> {
        let known = match &target.known_hosts {
            Some(name) => match instance.config.get(name) {
                Some(value) => Some(value.clone()),
                None => Some(
                    instance
                        .bindings
                        .for_host_use(name)
                        .map_err(|_| SshError::InvalidRequest(format!("this instance has no attribute `{name}`")))?
                        .to_string(),
                ),
            },
            None => None,
        };
        let accepted = known.as_deref().map(|k| parse_known_hosts(k, host)).transpose()?.unwrap_or_default();
        let accept_unknown = target.accept_unknown_host_keys.as_deref().is_some_and(|name| instance.flag(name));
        Ok(HostKeyCheck { host: host.clone(), accepted, accept_unknown, outcome: Arc::default() })
    }

    fn verdict(&self, key: &PublicKey) -> Result<(), String> {
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        let same = |k: &PublicKey| k.key_data() == key.key_data();
        if self.accepted.iter().any(|a| matches!(a, Accepted::Revoked(k) if same(k))) {
            return Err(format!("the host key {fingerprint} of `{}` is marked @revoked", self.host));
        }
        let pinned = self.accepted.iter().any(|a| match a {
            Accepted::Fingerprint(f) => *f == fingerprint,
            Accepted::Key(k) => same(k),
            Accepted::Revoked(_) => false,
        });
        if pinned {
            return Ok(());
        }
        if self.accept_unknown {
            tracing::warn!(target: "airlock::ssh", host = %self.host, %fingerprint, "accepted an unknown SSH host key (the connector accepts unknown host keys)");
            return Ok(());
        }
        Err(format!(
            "the host key {fingerprint} of `{}` is not among the accepted keys: add it to the connector's known hosts (`ssh-keyscan -p {} {}`), or accept unknown host keys (an admin decision)",
            self.host, self.host.port, self.host.host
        ))
    }
}

impl client::Handler for HostKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(&mut self, server_public_key: &PublicKey) -> Result<bool, Self::Error> {
        match self.verdict(server_public_key) {
            Ok(()) => Ok(true),
            Err(reason) => {
                *self.outcome.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason);
                Ok(false)
            }
        }
    }
}

/// Accepted keys for `host` from `known_hosts` lines, bare public keys (`ssh-ed25519 AAAA...`)
/// and `SHA256:` fingerprints. Hashed host names and `@cert-authority` lines are not supported.
fn parse_known_hosts(text: &str, host: &SshHost) -> Result<Vec<Accepted>, SshError> {
    let names = [
        match host.port {
            22 => host.host.clone(),
            port => format!("[{}]:{port}", host.host),
        },
        format!("[{}]:{}", host.host, host.port),
    ];
    let mut accepted = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        if line.starts_with("SHA256:") {
            accepted.push(Accepted::Fingerprint(line.split_whitespace().next().unwrap_or_default().to_string()));
            continue;
        }
        if let Ok(key) = PublicKey::from_openssh(line) {
            accepted.push(Accepted::Key(Box::new(key)));
            continue;
        }
        let (marker, rest) = match line.strip_prefix('@') {
            Some(marked) => {
                marked.split_once(char::is_whitespace).map(|(m, r)| (Some(m), r.trim())).unwrap_or((None, ""))
            }
            None => (None, line),
        };
        let Some((patterns, key)) = rest.split_once(char::is_whitespace) else { continue };
        let matches = patterns.split(',').any(|p| names.iter().any(|n| p.eq_ignore_ascii_case(n)));
        if !matches || marker == Some("cert-authority") {
            continue;
        }
        let key = PublicKey::from_openssh(key.trim()).map_err(|_| {
            SshError::InvalidRequest(format!("a known_hosts line for `{host}` holds no valid public key"))
        })?;
        accepted.push(match marker {
            Some("revoked") => Accepted::Revoked(Box::new(key)),
            _ => Accepted::Key(Box::new(key)),
        });
    }
    Ok(accepted)
}
