//! A test kit: run a connector natively in `cargo test` against a mock host — no wasmtime, no
//! server. Script the configuration, the credential bindings (by name: their values never exist
//! in a test, as they never enter a component) and HTTP responses; then assert the requests the
//! connector made, including which credential use it asked the host for.
//!
//! ```
//! use airlock_sdk::http::{CredentialUse, Method};
//! use airlock_sdk::prelude::*;
//! use airlock_sdk::testing::MockHost;
//!
//! fn whoami() -> Result<u16> {
//!     let endpoint = config::require("endpoint")?;
//!     Ok(http::Request::get(format!("{endpoint}/whoami")).bearer("token").send()?.status())
//! }
//!
//! let (status, calls) = MockHost::new("token")
//!     .config("endpoint", "https://api.example.com")
//!     .binding("token")
//!     .respond(Method::Get, "https://api.example.com/whoami", 200, r#"{"user":"ci"}"#)
//!     .run(whoami);
//! assert_eq!(status.unwrap(), 200);
//! assert_eq!(calls.requests[0].credential, Some(CredentialUse::Bearer("token".into())));
//! ```
//!
//! Requests no response was scripted for fail as the egress gate fails them (`denied`); a
//! credential use naming a binding the instance does not have fails as the host fails it.
//! Presigned URLs and HMAC signatures are placeholders (`mock-signature`): the host computes the
//! real ones. SSH answers are scripted per host with [`MockHost::ssh_output`].

use crate::bindings::airlock::connector::http::{CredentialUse, HttpError, Method, Request, Response, TlsSettings};
use crate::bindings::airlock::connector::log::Level;
use crate::bindings::airlock::connector::ssh::{CommandOutput, SshTarget, UserCertificate};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// The scripted host a test runs a connector against.
#[derive(Debug, Default, Clone)]
pub struct MockHost {
    auth_method: String,
    config: BTreeMap<String, String>,
    bindings: Vec<String>,
    responses: Vec<(Method, String, Response)>,
    ssh: BTreeMap<String, CommandOutput>,
    certificate: Option<UserCertificate>,
    calls: Calls,
}

/// What the connector asked of the host during [`MockHost::run`].
#[derive(Debug, Default, Clone)]
pub struct Calls {
    /// HTTP requests, in order.
    pub requests: Vec<RecordedRequest>,
    /// Log lines, in order.
    pub logs: Vec<(Level, String)>,
    /// SSH targets and the command run (`None`: connect and authenticate only).
    pub ssh: Vec<(SshTarget, Option<String>)>,
}

/// One HTTP request the connector sent.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// The method.
    pub method: Method,
    /// The URL as the connector gave it.
    pub url: String,
    /// Headers the connector set (the host adds credentials after this).
    pub headers: Vec<(String, String)>,
    /// The body as the connector built it (placeholders not filled).
    pub body: Vec<u8>,
    /// The credential use the connector asked the host to apply.
    pub credential: Option<CredentialUse>,
    /// A bearer token the connector minted and sent with `send-with-token`.
    pub minted_token: Option<String>,
    /// TLS settings it asked for (`send-tls`).
    pub tls: Option<TlsSettings>,
}

thread_local! {
    static HOST: RefCell<Option<MockHost>> = const { RefCell::new(None) };
}

impl MockHost {
    /// A host for an instance configured with `auth_method`.
    pub fn new(auth_method: &str) -> Self {
        MockHost { auth_method: auth_method.into(), ..Default::default() }
    }

    /// A non-secret attribute (or `<binding>#<field>` for a credential file's public field).
    pub fn config(mut self, name: &str, value: &str) -> Self {
        self.config.insert(name.into(), value.into());
        self
    }

    /// A credential binding the instance has (a secret attribute that is set).
    pub fn binding(mut self, name: &str) -> Self {
        self.bindings.push(name.into());
        self
    }

    /// Answer requests for `method` and exactly `url` (query included) with `status` and `body`;
    /// several scripted answers for one request are used in order, the last one repeatedly.
    pub fn respond(mut self, method: Method, url: &str, status: u16, body: impl Into<Vec<u8>>) -> Self {
        let response = Response { status, headers: Vec::new(), body: body.into() };
        self.responses.push((method, url.into(), response));
        self
    }

    /// What running a command over SSH on `host` prints.
    pub fn ssh_output(mut self, host: &str, exit_status: u32, stdout: &str) -> Self {
        let output = CommandOutput { exit_status: Some(exit_status), stdout: stdout.into(), stderr: Vec::new() };
        self.ssh.insert(host.into(), output);
        self
    }

    /// The certificate `issue-user-certificate` returns.
    pub fn user_certificate(mut self, certificate: UserCertificate) -> Self {
        self.certificate = Some(certificate);
        self
    }

    /// Run `f` (a connector function) against this host; returns its result and what it asked.
    pub fn run<T>(self, f: impl FnOnce() -> T) -> (T, Calls) {
        HOST.with(|host| *host.borrow_mut() = Some(self));
        let result = f();
        let host = HOST.with(|host| host.borrow_mut().take()).expect("the mock host is installed");
        (result, host.calls)
    }
}

/// Run `f` with the installed mock host.
fn with<T>(f: impl FnOnce(&mut MockHost) -> T) -> T {
    HOST.with(|host| {
        let mut host = host.borrow_mut();
        let host = host.as_mut().expect("no mock host: run connector code inside `MockHost::run` in native tests");
        f(host)
    })
}

impl MockHost {
    fn send(
        &mut self,
        request: &Request,
        minted_token: Option<&str>,
        tls: Option<&TlsSettings>,
    ) -> Result<Response, HttpError> {
        self.calls.requests.push(RecordedRequest {
            method: request.method,
            url: request.url.clone(),
            headers: request.headers.clone(),
            body: request.body.clone(),
            credential: request.credential.clone(),
            minted_token: minted_token.map(str::to_string),
            tls: tls.cloned(),
        });
        for name in request.credential.iter().flat_map(binding_names) {
            if !self.bindings.contains(&name) && !self.config.contains_key(&name) {
                return Err(HttpError::UnknownBinding(format!(
                    "this connector instance has no credential binding `{name}`"
                )));
            }
        }
        let matching: Vec<usize> = (0..self.responses.len())
            .filter(|&i| self.responses[i].0 == request.method && self.responses[i].1 == request.url)
            .collect();
        match matching.as_slice() {
            [] => Err(HttpError::Denied(format!(
                "the mock host has no response for {:?} {}",
                request.method, request.url
            ))),
            [only] => Ok(self.responses[*only].2.clone()),
            [first, ..] => Ok(self.responses.remove(*first).2),
        }
    }
}

/// The binding names a credential use refers to (`name#field` → `name`).
fn binding_names(credential: &CredentialUse) -> Vec<String> {
    let base = |r: &String| r.split('#').next().unwrap_or_default().to_string();
    match credential {
        CredentialUse::Bearer(b) => vec![b.clone()],
        CredentialUse::Basic((_, password)) => vec![password.clone()],
        CredentialUse::Header((_, b)) => vec![b.clone()],
        CredentialUse::BodyPlaceholder(references) => references.iter().map(base).collect(),
        CredentialUse::AwsSigv4(s) if s.temporary.is_some() => Vec::new(),
        CredentialUse::AwsSigv4(s) => vec![s.access_key_id.clone(), s.secret_access_key.clone()],
        CredentialUse::Jwt(j) => vec![j.key.clone()],
    }
}

/// The native stand-ins for the host imports, with the generated functions' signatures.
pub(crate) mod imports {
    pub mod config {
        use super::super::with;

        pub fn auth_method() -> String {
            with(|h| h.auth_method.clone())
        }

        pub fn get(name: &str) -> Option<String> {
            with(|h| h.config.get(name).cloned())
        }

        pub fn entries() -> Vec<(String, String)> {
            with(|h| h.config.iter().filter(|(k, _)| !k.contains('#')).map(|(k, v)| (k.clone(), v.clone())).collect())
        }

        pub fn bindings() -> Vec<String> {
            with(|h| h.bindings.clone())
        }
    }

    pub mod http {
        use super::super::with;
        pub use crate::bindings::airlock::connector::http::*;

        pub fn send(request: &Request) -> Result<Response, HttpError> {
            with(|h| h.send(request, None, None))
        }

        pub fn send_with_token(request: &Request, token: &str) -> Result<Response, HttpError> {
            with(|h| h.send(request, Some(token), None))
        }

        pub fn send_tls(request: &Request, tls: &TlsSettings) -> Result<Response, HttpError> {
            with(|h| h.send(request, None, Some(tls)))
        }

        pub fn presign(request: &PresignRequest) -> Result<String, HttpError> {
            let separator = if request.url.contains('?') { '&' } else { '?' };
            Ok(format!("{}{separator}X-Amz-Signature=mock-signature", request.url))
        }

        pub fn sign_hmac_sha256(binding: &str, _message: &str, _origin: &str) -> Result<String, HttpError> {
            with(|h| match h.bindings.iter().any(|b| b == binding) {
                true => Ok("mock-signature".into()),
                false => Err(HttpError::UnknownBinding(format!("no credential binding `{binding}`"))),
            })
        }
    }

    pub mod ssh {
        use super::super::with;
        pub use crate::bindings::airlock::connector::ssh::*;

        pub fn run(target: &SshTarget, command: Option<&str>) -> Result<CommandOutput, SshError> {
            with(|h| {
                h.calls.ssh.push((target.clone(), command.map(str::to_string)));
                if !h.bindings.contains(&target.key) {
                    return Err(SshError::UnknownBinding(format!("no credential binding `{}`", target.key)));
                }
                match command {
                    None => Ok(CommandOutput { exit_status: None, stdout: Vec::new(), stderr: Vec::new() }),
                    Some(_) => h.ssh.get(&target.host).cloned().ok_or_else(|| {
                        SshError::Connection(format!("the mock host has no SSH output for `{}`", target.host))
                    }),
                }
            })
        }

        pub fn issue_user_certificate(
            _ca_key: &str,
            _principals: &[String],
            _valid_seconds: u64,
            _key_id: &str,
        ) -> Result<UserCertificate, SshError> {
            with(|h| h.certificate.clone())
                .ok_or_else(|| SshError::InvalidRequest("the mock host has no user certificate scripted".into()))
        }
    }

    pub mod log {
        use super::super::with;
        pub use crate::bindings::airlock::connector::log::Level;

        pub fn log(level: Level, message: &str) {
            with(|h| h.calls.logs.push((level, message.to_string())));
        }
    }
}
