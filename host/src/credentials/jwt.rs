//! JWT assertions (e.g. GCP service-account OAuth), signed on the host.

use crate::runtime::bindings::airlock::connector::http::{HttpError, JwtAssertion};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use std::time::{SystemTime, UNIX_EPOCH};

/// Assertions live at most this long, whatever the guest asks for.
const MAX_LIFETIME_SECS: u64 = 3600;

/// Sign the assertion's claims with the key held in a binding (a PEM key, or a service-account
/// JSON key file with a `private_key` field). `iat` is set and `exp` capped at one hour; a
/// service-account key also supplies `iss` (its `client_email`) and the key id (`private_key_id`)
/// when the connector left them out, since the connector cannot read the key file.
pub(super) fn sign(assertion: &JwtAssertion, key: &str) -> Result<String, HttpError> {
    let invalid = |m: String| HttpError::InvalidRequest(m);
    let mut claims: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&assertion.claims)
        .map_err(|e| invalid(format!("JWT claims are not a JSON object: {e}")))?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    let requested_exp = claims.get("exp").and_then(|v| v.as_u64()).unwrap_or(now + MAX_LIFETIME_SECS);
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), requested_exp.min(now + MAX_LIFETIME_SECS).into());
    let key_file = serde_json::from_str::<serde_json::Value>(key).ok();
    let key_field = |name: &str| key_file.as_ref().and_then(|f| f[name].as_str()).map(str::to_string);
    if !claims.contains_key("iss")
        && let Some(email) = key_field("client_email")
    {
        claims.insert("iss".into(), email.into());
    }

    let pem = key_field("private_key").unwrap_or_else(|| key.to_string());
    let (algorithm, encoding_key) = match assertion.algorithm.as_str() {
        "RS256" => (Algorithm::RS256, EncodingKey::from_rsa_pem(pem.as_bytes())),
        "ES256" => (Algorithm::ES256, EncodingKey::from_ec_pem(pem.as_bytes())),
        other => return Err(invalid(format!("JWT algorithm `{other}` is not supported (RS256, ES256)"))),
    };
    // The key error never includes key material.
    let encoding_key = encoding_key.map_err(|_| {
        invalid(format!("the `{}` binding holds no usable {} private key", assertion.key, assertion.algorithm))
    })?;
    let mut header = Header::new(algorithm);
    header.kid = assertion.key_id.clone().or_else(|| key_field("private_key_id"));
    encode(&header, &claims, &encoding_key).map_err(|e| invalid(format!("cannot sign the JWT: {e}")))
}
