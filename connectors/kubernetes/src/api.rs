//! Calls to the API server, authenticated by the host: basic or bearer credentials, the
//! cluster's own CA and the client certificate come from this instance's configuration.

use airlock_sdk::http::{Request, Response, TlsSettings};
use airlock_sdk::prelude::*;
use serde_json::{Value, json};

/// A request to `path` on the API server, carrying the configured credentials.
fn request(method: http::Method, path: &str) -> Result<Request> {
    let server = config::require("server")?;
    let mut request = Request::new(method, format!("{}{path}", server.trim_end_matches('/')))
        .header("accept", "application/json")
        .tls(TlsSettings {
            certificate_authority: config::get("certificate_authority")
                .filter(|ca| !ca.trim().is_empty())
                .map(|_| "certificate_authority".into()),
            insecure: Some("insecure".into()),
            client_certificate: config::has_binding("client_key")
                .then(|| ("client_certificate".into(), "client_key".into())),
        });
    if config::auth_method() == "password" {
        request = request.basic("username", "password");
    } else if config::has_binding("token") {
        request = request.bearer("token");
    }
    Ok(request)
}

/// POST a JSON object and read the JSON answer, mapping Kubernetes `Status` errors.
fn post(path: &str, body: Value) -> Result<Value> {
    let response = request(http::Method::Post, path)?
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .map_err(unreachable)?;
    status_error(&response)?;
    response.json()
}

/// Who the credentials authenticate as (`username` and groups), by a SelfSubjectReview: unlike
/// `GET /version`, which most clusters answer anonymously, it needs an authenticated user.
/// Clusters older than 1.28 get the beta, then a SelfSubjectRulesReview.
pub fn who_am_i() -> Result<String> {
    let review = |version: &str| {
        post(
            &format!("/apis/authentication.k8s.io/{version}/selfsubjectreviews"),
            json!({"apiVersion": format!("authentication.k8s.io/{version}"), "kind": "SelfSubjectReview"}),
        )
    };
    let answer = match review("v1") {
        Err(ConnectorError::NotFound(_)) => review("v1beta1"),
        other => other,
    };
    match answer {
        Ok(review) => {
            let user = &review["status"]["userInfo"];
            let name = user["username"].as_str().unwrap_or("an unnamed user");
            if name == "system:anonymous" {
                return Err(ConnectorError::Unauthorized(
                    "the API server treats these credentials as anonymous".into(),
                ));
            }
            let groups: Vec<&str> = user["groups"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            Ok(format!("`{name}` (groups: {})", groups.join(", ")))
        }
        Err(ConnectorError::NotFound(_)) => {
            // Before 1.27 there is no SelfSubjectReview; a rules review still needs an
            // authenticated user (system:basic-user is bound to system:authenticated only).
            post(
                "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": {"namespace": "default"}}),
            )?;
            Ok("an authenticated user (this API server has no SelfSubjectReview)".into())
        }
        Err(e) => Err(e),
    }
}

/// A token for `namespace/account` from the TokenRequest API, with its expiry (Unix seconds;
/// the API server may shorten the lifetime asked for).
pub fn token_request(namespace: &str, account: &str, seconds: u64) -> Result<(String, u64)> {
    for (what, value) in [("namespace", namespace), ("service_account", account)] {
        if !is_dns_subdomain(value) {
            return Err(ConnectorError::InvalidConfig(format!(
                "`{}` is not a valid {what} name (lowercase letters, digits, `-` and `.`, at most 253 characters)",
                value.escape_debug()
            )));
        }
    }
    let mut spec = json!({"expirationSeconds": seconds});
    let audiences = config::list("token_audiences");
    if !audiences.is_empty() {
        spec["audiences"] = json!(audiences);
    }
    let answer = post(
        &format!("/api/v1/namespaces/{namespace}/serviceaccounts/{account}/token"),
        json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}),
    )
    .map_err(|e| match e {
        ConnectorError::NotFound(m) => ConnectorError::NotFound(format!(
            "the service account `{namespace}/{account}` does not exist on this cluster ({m})"
        )),
        ConnectorError::Unauthorized(m) => ConnectorError::Unauthorized(format!(
            "the connector's credentials may not mint tokens for `{namespace}/{account}` (RBAC needs `create` on `serviceaccounts/token`): {m}"
        )),
        other => other,
    })?;
    let token = answer["status"]["token"]
        .as_str()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ConnectorError::Upstream("the TokenRequest answer holds no token".into()))?;
    let expiry = answer["status"]["expirationTimestamp"]
        .as_str()
        .ok_or_else(|| ConnectorError::Upstream("the TokenRequest answer holds no expirationTimestamp".into()))?;
    Ok((token.to_string(), time::unix_seconds(expiry)?))
}

/// A Kubernetes `Status` error as a connector error, with the API server's own message.
fn status_error(response: &Response) -> Result<()> {
    let code = response.status();
    if (200..300).contains(&code) {
        return Ok(());
    }
    let status: Value = serde_json::from_slice(response.body()).unwrap_or_default();
    let mut message = status["message"].as_str().map(str::to_string).unwrap_or_else(|| response.text());
    message.truncate(300);
    let message = format!("the API server answered HTTP {code}: {}", message.trim());
    Err(match code {
        401 | 403 => ConnectorError::Unauthorized(message),
        404 => ConnectorError::NotFound(message),
        400 | 422 => ConnectorError::InvalidConfig(message),
        _ => ConnectorError::Upstream(message),
    })
}

/// Say which server could not be reached (TLS failures included).
fn unreachable(error: ConnectorError) -> ConnectorError {
    match error {
        ConnectorError::Upstream(m) => {
            let server = config::get("server").unwrap_or_default();
            ConnectorError::Upstream(format!("cannot talk to the API server `{server}`: {m}"))
        }
        other => other,
    }
}

/// A lowercase RFC 1123 subdomain, as Kubernetes names namespaces and service accounts.
fn is_dns_subdomain(name: &str) -> bool {
    let alphanumeric = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            let bytes = label.as_bytes();
            !bytes.is_empty()
                && alphanumeric(bytes[0])
                && alphanumeric(bytes[bytes.len() - 1])
                && bytes.iter().all(|&b| alphanumeric(b) || b == b'-')
        })
}
