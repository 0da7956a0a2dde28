//! Outbound HTTP for connectors: every hop through the egress gate, credentials applied by the
//! host only towards the origin the guest addressed, budgets enforced, and responses that echo a
//! secret withheld.

use super::bindings::airlock::connector::http::{CredentialUse, HttpError, Method, Request, Response, TlsSettings};
use super::bindings::airlock::connector::ssh::SshError;
use super::limits::LimitExceeded;
use super::state::CallBudget;
use super::tls::{ResolvedTls, TlsClients};
use crate::credentials::{self, AppliedCredential, headers};
use crate::egress::{AddressPolicy, GatedResolver, Origin};
use crate::instance::{BindingUse, Instance};
use std::collections::HashMap;
use std::error::Error as _;
use std::net::IpAddr;
use std::sync::Arc;
use url::{Host, Url};

/// Redirect hops followed per request.
const MAX_REDIRECTS: usize = 5;
/// Secrets shorter than this are not searched for in responses (too many false matches).
const MIN_REFLECTION_LEN: usize = 8;

/// The shared HTTP client connectors' requests go through.
pub struct Outbound {
    client: reqwest::Client,
    addresses: Arc<AddressPolicy>,
    resolver: Arc<GatedResolver>,
    /// Clients with an instance's own TLS settings (private CA, client certificate).
    tls_clients: TlsClients,
}

/// What a guest's request carries besides the request itself.
#[derive(Default)]
pub(crate) struct Extras {
    /// A bearer token the guest minted itself, sent like a binding: to the first origin only.
    pub token: Option<String>,
    /// TLS settings for the first origin.
    pub tls: Option<TlsSettings>,
}

impl Outbound {
    /// A client whose name resolution drops addresses `addresses` denies; `dns_overrides` pins
    /// names to addresses (tests, split-horizon setups).
    pub fn new(addresses: AddressPolicy, dns_overrides: HashMap<String, Vec<IpAddr>>) -> Result<Self, reqwest::Error> {
        let addresses = Arc::new(addresses);
        let resolver = Arc::new(GatedResolver::new(addresses.clone(), dns_overrides));
        let client = builder(&resolver).build()?;
        Ok(Outbound { client, addresses, resolver, tls_clients: TlsClients::default() })
    }

    /// Send a guest's request for `instance`, following redirects through the gate. A minted
    /// token and TLS settings in `extras` apply to the first origin only, like bindings.
    pub(crate) async fn send(
        &self,
        instance: &Instance,
        budget: &mut CallBudget,
        request: Request,
        extras: Extras,
    ) -> Result<Response, HttpError> {
        let Extras { token, tls } = extras;
        if token.is_some() && request.credential.is_some() {
            return Err(HttpError::InvalidRequest(
                "a request carries either a minted token or a credential binding, not both".into(),
            ));
        }
        let mut url = parse_url(&request.url)?;
        if let Some((name, _)) = request.headers.iter().find(|(n, _)| headers::reserved_for_host(n)) {
            return Err(HttpError::ForbiddenHeader(format!(
                "connectors may not set the `{name}` header; name a credential binding instead"
            )));
        }
        let first = self.gate(instance, &url)?;
        let tls = match &tls {
            Some(settings) => {
                let resolved = ResolvedTls::resolve(settings, instance, &first)?;
                Some((self.tls_clients.client(&resolved, || builder(&self.resolver))?, resolved.key_binding))
            }
            None => None,
        };
        let mut method = request.method;
        let mut body = request.body;
        for _hop in 0..=MAX_REDIRECTS {
            budget.take_request().map_err(limit)?;
            let here = self.gate(instance, &url)?;
            // Credentials go only to the origin the guest addressed, never to a redirect target elsewhere.
            let mut hop_body = body.clone();
            // After a 303 turned the request into a GET, body-borne credentials have nowhere to go.
            let body_gone = hop_body.is_empty()
                && matches!(request.credential, Some(CredentialUse::BodyPlaceholder(_) | CredentialUse::Jwt(_)));
            let mut applied = match (&request.credential, here == first && !body_gone) {
                _ if here == first && token.is_some() => minted_bearer(token.as_deref().unwrap_or_default())?,
                (Some(credential), true) => credentials::apply(
                    credential,
                    method_name(method),
                    &url,
                    &request.headers,
                    &mut hop_body,
                    &instance.bindings,
                    &instance.config,
                )?,
                _ => AppliedCredential::default(),
            };
            let client = match &tls {
                Some((client, key_binding)) if here == first => {
                    applied.bindings.extend(key_binding.iter().cloned());
                    client
                }
                _ => &self.client,
            };
            let (window, window_limit) = budget.host_call_window();
            let started = std::time::Instant::now();
            let exchange = Self::exchange(client, budget, method, &url, &request.headers, &applied, hop_body);
            let outcome = tokio::time::timeout(window, exchange).await;
            crate::metrics::upstream(&instance.connector_type, started);
            if !applied.bindings.is_empty() {
                let status = match &outcome {
                    Ok(Ok(response)) => Some(response.status),
                    _ => None,
                };
                instance.binding_uses.lock().unwrap().push(BindingUse {
                    bindings: applied.bindings.iter().filter(|b| instance.bindings.contains(b)).cloned().collect(),
                    method: method_name(method),
                    origin: here.to_string(),
                    status,
                });
            }
            let response = match outcome {
                Ok(response) => response?,
                Err(_) => return Err(HttpError::Timeout(budget.timed_out(window_limit).to_string())),
            };
            // Origin and status only: paths and queries can carry presigned material.
            tracing::trace!(target: "airlock::outbound", origin = %here, method = method_name(method), status = response.status, "connector request");
            // A redirect is a response too: its Location and body must not carry a secret on.
            check_reflection(&response, &applied, instance)?;
            if let Some(next) = redirect_target(&url, &response) {
                let next = next?;
                let target = Origin::of(&next).map_err(HttpError::Denied)?;
                self.gate(instance, &next).map_err(|e| denied_redirect(&here, &target, e))?;
                if response.status == 303 || (matches!(response.status, 301 | 302) && method == Method::Post) {
                    method = Method::Get;
                    body.clear();
                }
                url = next;
                continue;
            }
            return Ok(response);
        }
        Err(HttpError::Connection(format!("more than {MAX_REDIRECTS} redirects")))
    }

    /// The addresses `host` resolves to that the address policy allows, with `port` (for SSH,
    /// which does not go through the HTTP client).
    pub(crate) async fn resolve(&self, host: &str, port: u16) -> Result<Vec<std::net::SocketAddr>, SshError> {
        use reqwest::dns::Resolve as _;
        if let Ok(ip) = host.parse::<IpAddr>() {
            self.addresses.check(ip).map_err(|e| SshError::Denied(format!("`{host}`: {e}")))?;
            return Ok(vec![std::net::SocketAddr::new(ip, port)]);
        }
        let name: reqwest::dns::Name =
            host.parse().map_err(|_| SshError::InvalidRequest(format!("`{host}` is not a host name")))?;
        match self.resolver.resolve(name).await {
            Ok(addresses) => Ok(addresses.map(|a| std::net::SocketAddr::new(a.ip(), port)).collect()),
            Err(e) if e.downcast_ref::<crate::egress::ResolvedToDenied>().is_some() => {
                Err(SshError::Denied(e.to_string()))
            }
            Err(e) => Err(SshError::Connection(format!("cannot resolve `{host}`: {e}"))),
        }
    }

    /// Check a URL against the instance's allowlist and, for IP literals, the address policy
    /// (names are checked by the resolver as they resolve).
    fn gate(&self, instance: &Instance, url: &Url) -> Result<Origin, HttpError> {
        let origin = instance.egress.check(url).map_err(HttpError::Denied)?;
        let literal = match url.host() {
            Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal {
            self.addresses.check(ip).map_err(|e| HttpError::Denied(format!("`{origin}`: {e}")))?;
        }
        Ok(origin)
    }

    /// One HTTP exchange, reading the body within the response-bytes budget.
    async fn exchange(
        client: &reqwest::Client,
        budget: &mut CallBudget,
        method: Method,
        url: &Url,
        headers: &[(String, String)],
        applied: &AppliedCredential,
        body: Vec<u8>,
    ) -> Result<Response, HttpError> {
        let method = reqwest::Method::from_bytes(method_name(method).as_bytes()).expect("valid method");
        let mut builder = client.request(method, url.clone());
        for (name, value) in headers.iter().chain(applied.headers.iter()) {
            builder = builder.header(name, value);
        }
        let mut response = builder.body(body).send().await.map_err(|e| transport_error(url, e))?;
        let status = response.status().as_u16();
        let encoding = response.headers().get("content-encoding").and_then(|v| v.to_str().ok()).unwrap_or("identity");
        if !encoding.eq_ignore_ascii_case("identity") {
            return Err(HttpError::InvalidRequest(format!(
                "the response is `{encoding}`-encoded; connectors receive identity-encoded responses only"
            )));
        }
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let header_bytes: usize = headers.iter().map(|(k, v)| k.len() + v.len() + 4).sum();
        budget.take_response_bytes(header_bytes as u64).map_err(limit)?;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(url, e))? {
            budget.take_response_bytes(chunk.len() as u64).map_err(limit)?;
            body.extend_from_slice(&chunk);
        }
        Ok(Response { status, headers, body })
    }
}

/// Idle pooled connections are dropped sooner than the shortest common server keep-alive
/// (Node's 5 s: Azurite, many APIs), so a request never goes out on a connection the server is
/// closing ("connection closed before message completed").
const POOL_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(4);

/// The settings every outbound client shares: no proxy, no automatic redirects (each hop is
/// gated), names resolved through the address policy.
fn builder(resolver: &Arc<GatedResolver>) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(resolver.clone())
        .connect_timeout(std::time::Duration::from_secs(10))
        .user_agent(concat!("airlock/", env!("CARGO_PKG_VERSION")))
}

/// The method's name on the wire.
pub(crate) fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
    }
}

fn limit(e: LimitExceeded) -> HttpError {
    HttpError::LimitExceeded(e.to_string())
}

fn denied_redirect(from: &Origin, to: &Origin, error: HttpError) -> HttpError {
    let reason = match error {
        HttpError::Denied(reason) => reason,
        other => format!("{other:?}"),
    };
    HttpError::Denied(format!("redirect from `{from}` to `{to}` refused: {reason}"))
}

/// Where a redirect points, if the response is one; a target with user info is refused.
fn redirect_target(url: &Url, response: &Response) -> Option<Result<Url, HttpError>> {
    if !matches!(response.status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = response.headers.iter().find(|(k, _)| k == "location")?;
    let next = url.join(&location.1).ok()?;
    Some(match has_userinfo(&next) {
        true => Err(HttpError::Denied("a redirect to a URL with user info is not followed".into())),
        false => Ok(next),
    })
}

/// Parse a URL a guest gave. User info (`user:pass@`) is refused: credentials reach a request
/// only through bindings the host applies.
pub(crate) fn parse_url(text: &str) -> Result<Url, HttpError> {
    let url = Url::parse(text).map_err(|e| HttpError::InvalidRequest(format!("`{text}` is not a URL: {e}")))?;
    if has_userinfo(&url) {
        return Err(HttpError::InvalidRequest(
            "URLs with user info (`user:password@host`) are refused; name a credential binding instead".into(),
        ));
    }
    Ok(url)
}

fn has_userinfo(url: &Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

/// Map a transport failure to a guest error; an address refused by the resolver is a denial.
fn transport_error(url: &Url, error: reqwest::Error) -> HttpError {
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(denied) = cause.downcast_ref::<crate::egress::ResolvedToDenied>() {
            return HttpError::Denied(denied.to_string());
        }
        source = cause.source();
    }
    let origin = Origin::of(url).map(|o| o.to_string()).unwrap_or_else(|_| url.to_string());
    let kind = if error.is_connect() {
        "cannot connect to"
    } else if error.is_timeout() {
        "timed out talking to"
    } else {
        "failed talking to"
    };
    // The innermost cause says what went wrong (a certificate error, a refused connection).
    let mut innermost = error.source();
    while let Some(next) = innermost.and_then(|c| c.source()) {
        innermost = Some(next);
    }
    let detail = innermost.map(|s| format!(": {s}")).unwrap_or_default();
    HttpError::Connection(format!("{kind} `{origin}`{detail}"))
}

/// `authorization: Bearer <token>` for a token the guest minted (no binding is used).
fn minted_bearer(token: &str) -> Result<AppliedCredential, HttpError> {
    let header = format!("Bearer {token}");
    if token.is_empty() || http::HeaderValue::from_str(&header).is_err() {
        return Err(HttpError::InvalidRequest("the token is empty or not a valid header value".into()));
    }
    Ok(AppliedCredential {
        headers: vec![("authorization".into(), header)],
        sensitive: vec![token.into()],
        bindings: Vec::new(),
    })
}

/// Refuse a response that carries a secret back (an echo endpoint, a reflecting error page, a
/// redirect whose Location repeats it), as sent or percent-encoded.
fn check_reflection(response: &Response, applied: &AppliedCredential, instance: &Instance) -> Result<(), HttpError> {
    let sent = applied.sensitive.iter().map(String::as_str).chain(instance.bindings.values());
    let mut needles: Vec<String> = Vec::new();
    for value in sent.filter(|n| n.len() >= MIN_REFLECTION_LEN) {
        let encoded: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
        if encoded != value {
            needles.push(encoded.replace('+', "%20"));
            needles.push(encoded);
        }
        needles.push(value.to_string());
    }
    for needle in &needles {
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        let in_headers = response.headers.iter().any(|(_, v)| finder.find(v.as_bytes()).is_some());
        if in_headers || finder.find(&response.body).is_some() {
            return Err(HttpError::SecretReflected(format!(
                "the response (HTTP {}) echoed a secret this connector holds; it was withheld",
                response.status
            )));
        }
    }
    Ok(())
}
