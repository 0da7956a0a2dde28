//! Applying a credential binding to an outbound request, on the host.

use super::{BindingError, Bindings, jwt, sigv4};
use crate::egress::Origin;
use crate::runtime::bindings::airlock::connector::http::{CredentialUse, HttpError};
use base64::Engine as _;
use std::collections::BTreeMap;
use url::Url;

/// What applying a credential changed: headers to add and values that must never come back in a
/// response (the injected header values, substituted body fragments, signed assertions).
#[derive(Default)]
pub struct AppliedCredential {
    pub headers: Vec<(String, String)>,
    pub sensitive: Vec<String>,
    /// The bindings used (names only).
    pub bindings: Vec<String>,
}

impl std::fmt::Debug for AppliedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppliedCredential([REDACTED])")
    }
}

impl From<BindingError> for HttpError {
    fn from(e: BindingError) -> Self {
        match e {
            BindingError::Unknown(_) | BindingError::NoField(_) => HttpError::UnknownBinding(e.to_string()),
            BindingError::NotAllowed { .. }
            | BindingError::SigningOnly { .. }
            | BindingError::NotAwsEndpoint { .. } => HttpError::BindingNotAllowed(e.to_string()),
        }
    }
}

/// Apply `credential` to a request for `url`. The body may be rewritten (placeholders, JWT
/// assertions); headers to add are returned.
pub fn apply(
    credential: &CredentialUse,
    method: &str,
    url: &Url,
    guest_headers: &[(String, String)],
    body: &mut Vec<u8>,
    bindings: &Bindings,
    config: &BTreeMap<String, String>,
) -> Result<AppliedCredential, HttpError> {
    let origin = Origin::of(url).map_err(HttpError::InvalidRequest)?;
    let secret = |name: &str| bindings.for_sending(name, &origin);
    let signing_key = |name: &str| bindings.for_signing(name, &origin);
    let mut applied = AppliedCredential { bindings: binding_names(credential), ..Default::default() };
    match credential {
        CredentialUse::Bearer(name) => {
            let token = secret(name)?;
            applied.sensitive.push(token.to_string());
            applied.headers.push(("authorization".into(), format!("Bearer {token}")));
        }
        CredentialUse::Basic((user, password)) => {
            let username = match bindings.contains(user) {
                true => secret(user)?.to_string(),
                false => config.get(user).cloned().ok_or_else(|| {
                    HttpError::UnknownBinding(format!(
                        "`{user}` is neither a credential binding nor a config attribute"
                    ))
                })?,
            };
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{}", secret(password)?));
            applied.sensitive.push(encoded.clone());
            applied.headers.push(("authorization".into(), format!("Basic {encoded}")));
        }
        CredentialUse::Header((header, name)) => {
            let value = secret(name)?;
            http::HeaderName::try_from(header.as_str())
                .map_err(|_| HttpError::InvalidRequest(format!("`{header}` is not a header name")))?;
            if super::headers::is_transport_header(header) {
                return Err(HttpError::ForbiddenHeader(format!("a credential cannot go into the `{header}` header")));
            }
            applied.sensitive.push(value.to_string());
            applied.headers.push((header.to_ascii_lowercase(), value.to_string()));
        }
        CredentialUse::BodyPlaceholder(names) => {
            let content_type = header_value(guest_headers, "content-type").unwrap_or_default();
            for name in names {
                let value = bindings.field_for_sending(name, &origin)?;
                let encoded = encode_for(content_type, &value);
                substitute(body, &format!("{{{{{name}}}}}"), &encoded)?;
                applied.sensitive.extend([encoded, value]);
            }
        }
        CredentialUse::AwsSigv4(signing) => {
            let key = |name: &str| bindings.for_aws_signing(name, &origin, &signing.service, &signing.region);
            applied.headers = sigv4::sign_headers(signing, method, url, guest_headers, body, &key)?;
        }
        CredentialUse::Jwt(assertion) => {
            let key = signing_key(&assertion.key)?;
            let token = jwt::sign(assertion, key)?;
            substitute(body, "{{assertion}}", &token)?;
            applied.sensitive.push(token);
        }
    }
    Ok(applied)
}

fn binding_names(credential: &CredentialUse) -> Vec<String> {
    match credential {
        CredentialUse::Bearer(b) | CredentialUse::Header((_, b)) => vec![b.clone()],
        CredentialUse::Basic((user, password)) => vec![user.clone(), password.clone()],
        CredentialUse::BodyPlaceholder(names) => {
            names.iter().map(|n| n.split_once('#').map_or(n.as_str(), |(binding, _)| binding).to_string()).collect()
        }
        CredentialUse::AwsSigv4(s) if s.temporary.is_some() => Vec::new(),
        CredentialUse::AwsSigv4(s) => [Some(&s.access_key_id), Some(&s.secret_access_key), s.session_token.as_ref()]
            .into_iter()
            .flatten()
            .cloned()
            .collect(),
        CredentialUse::Jwt(j) => vec![j.key.clone()],
    }
}

fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// The value encoded for the body it goes into, so it cannot break out of its field.
fn encode_for(content_type: &str, value: &str) -> String {
    if content_type.starts_with("application/x-www-form-urlencoded") {
        form_urlencoded::byte_serialize(value.as_bytes()).collect()
    } else if content_type.contains("json") {
        let quoted = serde_json::to_string(value).expect("strings serialise");
        quoted[1..quoted.len() - 1].to_string()
    } else {
        value.to_string()
    }
}

fn substitute(body: &mut Vec<u8>, placeholder: &str, value: &str) -> Result<(), HttpError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| HttpError::InvalidRequest("a body with placeholders must be UTF-8".into()))?;
    if !text.contains(placeholder) {
        return Err(HttpError::InvalidRequest(format!("the body has no `{placeholder}` placeholder")));
    }
    *body = text.replace(placeholder, value).into_bytes();
    Ok(())
}
