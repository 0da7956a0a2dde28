//! Getting an OAuth2 access token for each auth method. The long-lived secrets (the service
//! account's private key, the user's refresh token and client secret, a configured token) stay
//! on the host: it signs the JWT assertion, fills the refresh grant's fields, or adds the
//! configured token to requests. What this component holds are the access tokens Google mints.

use crate::endpoints::Endpoints;
use airlock_sdk::http::{JwtAssertion, Request, form_urlencoded};
use airlock_sdk::{ConnectorError, Result, config, time};

/// The scope of every token, as ZenML asks for.
pub const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// Impersonated tokens live this long by default and at most (seconds).
pub const IMPERSONATION_MAX_SECS: u64 = 3600;

/// How requests are authorised: a token minted during this call, or the configured token,
/// which the host adds itself.
pub enum Access {
    Minted(Token),
    Configured,
}

/// An access token Google minted.
pub struct Token {
    pub access_token: String,
    /// Unix seconds.
    pub expires_at: u64,
}

impl Access {
    /// `request` with this access's `authorization` header.
    pub fn authorize(&self, request: Request) -> Request {
        match self {
            Access::Minted(token) => request.minted_bearer(&token.access_token),
            Access::Configured => request.bearer("token"),
        }
    }

    /// When this access stops working, if known.
    pub fn expires_at(&self) -> Option<u64> {
        match self {
            Access::Minted(token) => Some(token.expires_at),
            Access::Configured => None,
        }
    }
}

/// Authenticate with the instance's method; `lifetime` applies to impersonated tokens.
pub fn authenticate(endpoints: &Endpoints, lifetime: Option<u64>) -> Result<Access> {
    match config::auth_method().as_str() {
        "implicit" => Err(ConnectorError::Unsupported(
            "implicit authentication would use the server's own Google credentials; it is disabled on this server"
                .into(),
        )),
        "external-account" => Err(ConnectorError::Unsupported(
            "external-account (workload identity federation) needs the server's own ambient identity to obtain its subject token; it is disabled on this server".into(),
        )),
        "oauth2-token" => Ok(Access::Configured),
        "user-account" => {
            check_type("user_account_json", "authorized_user")?;
            refresh_grant(endpoints).map(Access::Minted)
        }
        "service-account" => {
            check_type("service_account_json", "service_account")?;
            jwt_grant(endpoints).map(Access::Minted)
        }
        "impersonation" => {
            check_type("service_account_json", "service_account")?;
            let source = jwt_grant(endpoints)?;
            let target = config::require("target_principal")?;
            impersonate(endpoints, &source, &target, lifetime.unwrap_or(IMPERSONATION_MAX_SECS)).map(Access::Minted)
        }
        other => Err(ConnectorError::InvalidConfig(format!("the gcp connector has no auth method `{other}`"))),
    }
}

/// Check a JSON credential's `type` (an identifying field the host lets connectors read).
fn check_type(binding: &str, expected: &str) -> Result<()> {
    match config::get(&format!("{binding}#type")) {
        Some(found) if found == expected => Ok(()),
        Some(found) => Err(ConnectorError::InvalidConfig(format!(
            "`{binding}` holds a `{found}` credential, but this auth method needs `\"type\": \"{expected}\"`"
        ))),
        None => Err(ConnectorError::InvalidConfig(format!(
            "`{binding}` is not a Google credential file: it has no `type` (expected `{expected}`)"
        ))),
    }
}

/// The service account's email, when the method acts as one.
pub fn service_account_email() -> Option<String> {
    match config::auth_method().as_str() {
        "service-account" => config::get("service_account_json#client_email"),
        "impersonation" => config::get("target_principal"),
        "oauth2-token" => config::get("service_account_email"),
        _ => None,
    }
}

/// The OAuth2 JWT-bearer grant: the host signs the assertion with the service account's key.
fn jwt_grant(endpoints: &Endpoints) -> Result<Token> {
    let url = endpoints.oauth2_token();
    let claims = serde_json::json!({"scope": SCOPE, "aud": url, "exp": time::now() + 3600});
    let response = Request::post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={{assertion}}")
        .jwt(JwtAssertion {
            key: "service_account_json".into(),
            claims: claims.to_string(),
            algorithm: "RS256".into(),
            key_id: None,
        })
        .send()?;
    token_response(response)
}

/// The OAuth2 refresh-token grant with the user's client id, secret and refresh token, which
/// the host fills in from the credential file.
fn refresh_grant(endpoints: &Endpoints) -> Result<Token> {
    let body = "grant_type=refresh_token&client_id={{user_account_json#client_id}}&client_secret={{user_account_json#client_secret}}&refresh_token={{user_account_json#refresh_token}}";
    let response = Request::post(endpoints.oauth2_token())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .body_placeholders(&[
            "user_account_json#client_id",
            "user_account_json#client_secret",
            "user_account_json#refresh_token",
        ])
        .send()?;
    token_response(response)
}

/// IAM Credentials `generateAccessToken` for `target`, authorised by `source`.
fn impersonate(endpoints: &Endpoints, source: &Token, target: &str, lifetime: u64) -> Result<Token> {
    if lifetime == 0 || lifetime > IMPERSONATION_MAX_SECS {
        return Err(ConnectorError::InvalidConfig(format!(
            "an impersonated token lives 1 to {IMPERSONATION_MAX_SECS} seconds, not {lifetime}"
        )));
    }
    let body = serde_json::json!({"scope": [SCOPE], "lifetime": format!("{lifetime}s")});
    let response = Request::post(endpoints.iam_credentials(&format!("serviceAccounts/{target}:generateAccessToken")))
        .header("content-type", "application/json")
        .body(body.to_string())
        .minted_bearer(&source.access_token)
        .send()?;
    let answer: serde_json::Value = google_result(response)?;
    let access_token = answer["accessToken"]
        .as_str()
        .ok_or_else(|| ConnectorError::Upstream("IAM Credentials returned no accessToken".into()))?;
    let expires_at = time::unix_seconds(answer["expireTime"].as_str().unwrap_or_default())?;
    Ok(Token { access_token: access_token.into(), expires_at })
}

/// A Credential Access Boundary token for one bucket, exchanged at STS for `access`'s token.
pub fn downscope(endpoints: &Endpoints, access: &Access, bucket: &str) -> Result<Token> {
    let boundary = boundary(bucket);
    let options = serde_json::json!({"accessBoundary": boundary}).to_string();
    let mut form = vec![
        ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"),
        ("subject_token_type", "urn:ietf:params:oauth:token-type:access_token"),
        ("requested_token_type", "urn:ietf:params:oauth:token-type:access_token"),
        ("options", options.as_str()),
    ];
    let request = Request::post(endpoints.sts_token()).header("content-type", "application/x-www-form-urlencoded");
    let request = match access {
        Access::Minted(token) => {
            form.push(("subject_token", token.access_token.as_str()));
            request.body(form_urlencoded(&form))
        }
        Access::Configured => request
            .body(format!("{}&subject_token={{{{token}}}}", form_urlencoded(&form)))
            .body_placeholders(&["token"]),
    };
    let token = token_response(request.send()?)?;
    // A down-scoped token never outlives the token it came from.
    let expires_at = match access.expires_at() {
        Some(source) => token.expires_at.min(source),
        None => token.expires_at,
    };
    Ok(Token { expires_at, ..token })
}

/// The access boundary: object read/write and bucket metadata on this one bucket only.
pub fn boundary(bucket: &str) -> serde_json::Value {
    serde_json::json!({
        "accessBoundaryRules": [{
            "availableResource": format!("//storage.googleapis.com/projects/_/buckets/{bucket}"),
            "availablePermissions": ["inRole:roles/storage.objectAdmin", "inRole:roles/storage.legacyBucketReader"],
        }]
    })
}

/// An OAuth2 token endpoint's answer (`access_token`, `expires_in`), or its error.
fn token_response(response: airlock_sdk::http::Response) -> Result<Token> {
    let answer: serde_json::Value = response.json().map_err(|_| {
        ConnectorError::Upstream(format!("the token endpoint answered HTTP {} without JSON", response.status()))
    })?;
    if !(200..300).contains(&response.status()) {
        let code = answer["error"].as_str().unwrap_or("error");
        let description = answer["error_description"].as_str().unwrap_or_default();
        let message = format!("Google refused the credentials ({code}: {description})");
        return Err(match (response.status(), code) {
            (400 | 401 | 403, "invalid_grant" | "invalid_client" | "unauthorized_client" | "access_denied") => {
                ConnectorError::Unauthorized(message)
            }
            (401 | 403, _) => ConnectorError::Unauthorized(message),
            (status, _) => {
                ConnectorError::Upstream(format!("the token endpoint answered HTTP {status} ({code}: {description})"))
            }
        });
    }
    let access_token = answer["access_token"]
        .as_str()
        .ok_or_else(|| ConnectorError::Upstream("the token endpoint returned no access_token".into()))?;
    let expires_in = answer["expires_in"].as_u64().unwrap_or(3600);
    Ok(Token { access_token: access_token.into(), expires_at: time::now() + expires_in })
}

/// The JSON of a successful Google API response, or the API's error.
pub fn google_result(response: airlock_sdk::http::Response) -> Result<serde_json::Value> {
    let status = response.status();
    let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap_or_default();
    if (200..300).contains(&status) {
        return Ok(body);
    }
    let message = body["error"]["message"].as_str().map(str::to_string).unwrap_or_else(|| {
        let mut text = response.text();
        text.truncate(200);
        text
    });
    let reason = format!("Google answered HTTP {status}: {}", message.trim());
    Err(match status {
        401 | 403 => ConnectorError::Unauthorized(reason),
        404 => ConnectorError::NotFound(reason),
        _ => ConnectorError::Upstream(reason),
    })
}
