//! Outbound HTTP through the host's egress gate.
//!
//! Secrets are never in the request the connector builds: it names a credential binding and the
//! host applies it (header injection, body placeholders, AWS SigV4, JWT assertions) only towards
//! the hosts that binding may reach.

use crate::host::http as raw;
use crate::{ConnectorError, Result};

pub use raw::{AwsSigning, CredentialUse, HttpError, JwtAssertion, Method, TemporaryAwsCredentials, TlsSettings};

/// A request under construction.
#[derive(Debug, Clone)]
pub struct Request {
    inner: raw::Request,
    /// A bearer token the connector minted itself ([`Request::minted_bearer`]).
    token: Option<String>,
    /// The instance's own TLS settings ([`Request::tls`]).
    tls: Option<TlsSettings>,
}

impl Request {
    /// A request with the given method.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            inner: raw::Request { method, url: url.into(), headers: Vec::new(), body: Vec::new(), credential: None },
            token: None,
            tls: None,
        }
    }

    /// A `GET` request.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }

    /// A `POST` request.
    pub fn post(url: impl Into<String>) -> Self {
        Self::new(Method::Post, url)
    }

    /// Add a header (`authorization`-type headers are refused by the host).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.inner.headers.push((name.into(), value.into()));
        self
    }

    /// Set the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.inner.body = body.into();
        self
    }

    /// Set an `application/x-www-form-urlencoded` body from name/value pairs (encoded here).
    pub fn form(self, pairs: &[(&str, &str)]) -> Self {
        self.header("content-type", "application/x-www-form-urlencoded").body(form_urlencoded(pairs))
    }

    /// Let the host apply a credential binding.
    pub fn credential(mut self, credential: CredentialUse) -> Self {
        self.inner.credential = Some(credential);
        self
    }

    /// `authorization: Bearer <binding>`.
    pub fn bearer(self, binding: &str) -> Self {
        self.credential(CredentialUse::Bearer(binding.into()))
    }

    /// `authorization: Basic` with `username` (a binding or a config attribute) and a password binding.
    pub fn basic(self, username: &str, password_binding: &str) -> Self {
        self.credential(CredentialUse::Basic((username.into(), password_binding.into())))
    }

    /// Sign with AWS SigV4 using credential bindings.
    pub fn aws_sigv4(self, signing: AwsSigning) -> Self {
        self.credential(CredentialUse::AwsSigv4(signing))
    }

    /// Let the host replace `{{<reference>}}` in the body with each referenced binding
    /// (`name`, or `name#field` for one field of a JSON binding), encoded for the content type.
    pub fn body_placeholders(self, references: &[&str]) -> Self {
        self.credential(CredentialUse::BodyPlaceholder(references.iter().map(|r| r.to_string()).collect()))
    }

    /// Let the host sign a JWT with a key binding and put it where the body says `{{assertion}}`.
    pub fn jwt(self, assertion: JwtAssertion) -> Self {
        self.credential(CredentialUse::Jwt(assertion))
    }

    /// `authorization: Bearer <token>` for a token this connector minted during the call (an
    /// OAuth2 access token); the host sends it only to this request's origin.
    pub fn minted_bearer(mut self, token: &str) -> Self {
        self.token = Some(token.to_string());
        self
    }

    /// Use TLS settings from this instance's configuration (attribute and binding names): a
    /// private CA, `insecure`, a client certificate whose key the host holds.
    pub fn tls(mut self, settings: TlsSettings) -> Self {
        self.tls = Some(settings);
        self
    }

    /// Send and wait for the whole response.
    pub fn send(self) -> Result<Response> {
        match (&self.token, &self.tls) {
            (Some(_), Some(_)) => {
                return Err(ConnectorError::InvalidConfig(
                    "a request carries either a minted token or TLS settings, not both".into(),
                ));
            }
            (Some(token), None) => raw::send_with_token(&self.inner, token),
            (None, Some(tls)) => raw::send_tls(&self.inner, tls),
            (None, None) => raw::send(&self.inner),
        }
        .map(Response)
        .map_err(ConnectorError::from)
    }
}

/// A received response.
#[derive(Debug, Clone)]
pub struct Response(pub raw::Response);

impl Response {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.0.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.0.body
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.0.body)
            .map_err(|e| ConnectorError::Upstream(format!("unexpected response body: {e}")))
    }

    /// This response if its status is 2xx; otherwise the matching error (401/403 → unauthorized,
    /// 404 → not found, anything else → upstream), with a short excerpt of the body.
    pub fn ok(self) -> Result<Self> {
        let status = self.status();
        if (200..300).contains(&status) {
            return Ok(self);
        }
        let mut excerpt = self.text();
        excerpt.truncate(200);
        let message = format!("HTTP {status}: {}", excerpt.trim());
        Err(match status {
            401 | 403 => ConnectorError::Unauthorized(message),
            404 => ConnectorError::NotFound(message),
            _ => ConnectorError::Upstream(message),
        })
    }
}

/// A presigned URL (AWS SigV4 query signing), signed by the host.
pub fn presign(
    method: Method,
    url: &str,
    headers: Vec<(String, String)>,
    expires_seconds: u32,
    signing: AwsSigning,
) -> Result<String> {
    raw::presign(&raw::PresignRequest { method, url: url.into(), headers, expires_seconds, signing })
        .map_err(ConnectorError::from)
}

/// Base64 HMAC-SHA256 of `message` keyed with a binding holding a base64 key (Azure Shared Key,
/// SAS), computed by the host for a signature meant for `origin` (`scheme://host[:port]`).
pub fn hmac_sha256(binding: &str, message: &str, origin: &str) -> Result<String> {
    raw::sign_hmac_sha256(binding, message, origin).map_err(ConnectorError::from)
}

impl From<HttpError> for ConnectorError {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::Denied(m) => ConnectorError::EgressDenied(m),
            HttpError::LimitExceeded(m) => ConnectorError::LimitExceeded(m),
            HttpError::ForbiddenHeader(m)
            | HttpError::UnknownBinding(m)
            | HttpError::BindingNotAllowed(m)
            | HttpError::InvalidRequest(m) => ConnectorError::InvalidConfig(m),
            HttpError::SecretReflected(m) | HttpError::Timeout(m) | HttpError::Connection(m) => {
                ConnectorError::Upstream(m)
            }
        }
    }
}

/// `application/x-www-form-urlencoded` text of name/value pairs (append a `{{binding}}`
/// placeholder yourself: encoding would hide it from the host).
pub fn form_urlencoded(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v))).collect::<Vec<_>>().join("&")
}

fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
