//! The `oauth2` connector: any API behind an OAuth2 authorization server, as ZenML's generic
//! OAuth2 connector. Clients always receive a short-lived bearer token: the client secret and
//! the refresh token go to the token endpoint through the host (body placeholders) and never
//! enter this component.

use airlock_sdk::prelude::*;

const RESOURCE_TYPE: &str = "oauth2-api";

struct OAuth2;

impl Connector for OAuth2 {
    fn describe() -> ConnectorSpec {
        let api = || spec::url("api_url", "The API's base URL (the resource)").egress();
        let grant = |m: spec::AuthMethodBuilder| {
            m.attribute(api())
                .attribute(spec::url("token_url", "The authorization server's token endpoint").egress())
                .attribute(spec::text("client_id", "The OAuth2 client ID"))
                .attribute(spec::text("scope", "Space-separated scopes to ask for").optional())
                .attribute(spec::text("audience", "The audience to ask for (Auth0, Okta)").optional())
        };
        spec::connector("oauth2", "OAuth2 Service Connector", DESCRIPTION)
            .emoji("🔑")
            .docs_url("https://www.rfc-editor.org/rfc/rfc6749")
            .resource_type(
                spec::resource_type(RESOURCE_TYPE, "OAuth2-protected API")
                    .emoji("🔑")
                    .id_formats(&["{api_url}"])
                    .description(API_DOCS),
            )
            .auth_method(
                grant(spec::auth_method("client-credentials", "OAuth2 client credentials"))
                    .attribute(spec::secret("client_secret", "The OAuth2 client secret"))
                    .description(CLIENT_CREDENTIALS_DOCS),
            )
            .auth_method(
                grant(spec::auth_method("refresh-token", "OAuth2 refresh token"))
                    .attribute(spec::secret("refresh_token", "The refresh token"))
                    .attribute(spec::secret("client_secret", "The client secret (confidential clients)").optional())
                    .description(REFRESH_TOKEN_DOCS),
            )
            .auth_method(
                spec::auth_method("token", "OAuth2 access token")
                    .attribute(api())
                    .attribute(spec::secret("access_token", "An access token"))
                    .description(TOKEN_DOCS)
                    .releases(&["access_token"]),
            )
            .build()
    }

    fn canonical_resource_id(resource_type: String, resource_id: String) -> Result<String> {
        check_resource_type(&resource_type)?;
        api_url(Some(&resource_id))
    }

    fn verify(resource_type: Option<String>, resource_id: Option<String>) -> Result<Vec<ResourceListing>> {
        if let Some(rt) = &resource_type {
            check_resource_type(rt)?;
        }
        let api = api_url(resource_id.as_deref())?;
        if config::auth_method() == "token" {
            log::warn("a static access token cannot be verified without calling the API; listed as configured");
        } else {
            token()?;
        }
        Ok(vec![listing(RESOURCE_TYPE, vec![api])])
    }

    fn issue_client(request: ClientRequest) -> Result<ClientCredential> {
        check_resource_type(&request.resource_type)?;
        if request.expiration_seconds.is_some() {
            return Err(ConnectorError::InvalidConfig(
                "the authorization server sets the token's lifetime, so an expiration cannot be set".into(),
            ));
        }
        let api = api_url(request.resource_id.as_deref())?;
        let (value, expires_at) = match config::auth_method().as_str() {
            "token" => (CredentialValue::Binding("access_token".into()), None),
            _ => {
                let (access_token, expires_at) = token()?;
                (CredentialValue::Secret(access_token), expires_at)
            }
        };
        Ok(ClientCredential {
            connector_type: "oauth2".into(),
            auth_method: "token".into(),
            resource_type: RESOURCE_TYPE.into(),
            resource_id: Some(api.clone()),
            attributes: vec![("api_url".into(), CredentialValue::Plain(api)), ("access_token".into(), value)],
            expires_at,
        })
    }
}

const DESCRIPTION: &str = "Gives access to any API behind an OAuth2 authorization server (client credentials or \
a refresh token). Clients always receive a short-lived bearer token; the client secret and refresh token \
stay on the Airlock host.";

// What `airlock connector describe-type oauth2 -r oauth2-api` / `-a <auth method>` prints.

const API_DOCS: &str = "One HTTP API behind an OAuth2 authorization server, named by the connector's `api_url`.\n\
Clients receive a bearer access token with its expiry: an `oauth2` credential (`token` method) with `api_url` and \
`access_token`, expiring as the token endpoint's `expires_in` says (no expiry when it says nothing). The grant \
methods fetch a fresh token from the token endpoint; `token` hands out the configured token itself, only where \
admin policy releases it. The authorization server sets the lifetime, so no expiration can be requested.\n\
Permissions: what the authorization server grants the client (`scope`, `audience`) and the API allows.\n\
The id is the connector's `api_url` (a trailing `/` is ignored): one connector is one API.";

const CLIENT_CREDENTIALS_DOCS: &str = "The client-credentials grant; the host sends the client secret to the token \
endpoint only. Configure `api_url`, `token_url`, `client_id`, `client_secret` and the optional `scope` and \
`audience` (Auth0, Okta).\n\
The host fills the secret into the form body of the POST to `token_url` (the `client_secret` parameter), so connector \
code never sees it; authorization servers that accept HTTP Basic client authentication only are not supported. \
Verification fetches a token.\n\
Clients receive short-lived access tokens only, never the secret. Recommended for machine-to-machine access.";

const REFRESH_TOKEN_DOCS: &str = "The refresh-token grant; the host sends the refresh token (and client secret) to \
the token endpoint only. Rotating refresh tokens are not supported.\n\
Configure `api_url`, `token_url`, `client_id`, `refresh_token`, `client_secret` for confidential clients (public \
clients send only `client_id`) and the optional `scope` and `audience`. Both secrets are filled into the form body \
by the host, so connector code never sees them. Verification fetches a token.\n\
Clients receive short-lived access tokens only. When the server answers with a new refresh token it is ignored (a \
warning is logged) and the configured one is kept, so a server that invalidates a refresh token once used stops \
working after the first grant.";

const TOKEN_DOCS: &str = "A token the user obtained. Clients receive it as it is (only where admin policy allows); \
it cannot be verified without calling the API.\n\
Configure `api_url` and `access_token`. Verification only reports the API as configured, and a server started \
with `--release-secrets never` refuses these clients. Airlock does not know the token's expiry: record it with \
`--expires-at`.\n\
Prefer a grant method: it keeps the long-lived secret on the host and hands clients short-lived tokens.";

fn check_resource_type(rt: &str) -> Result<()> {
    match rt {
        RESOURCE_TYPE => Ok(()),
        other => Err(ConnectorError::InvalidConfig(format!(
            "the oauth2 connector has no resource type `{other}` (oauth2-api)"
        ))),
    }
}

/// The configured API URL; a given id must name the same API.
fn api_url(id: Option<&str>) -> Result<String> {
    let configured = config::require("api_url")?.trim_end_matches('/').to_string();
    match id {
        Some(id) if id.trim_end_matches('/') != configured => {
            Err(ConnectorError::InvalidConfig(format!("`{id}` is not this connector's API: it reaches `{configured}`")))
        }
        _ => Ok(configured),
    }
}

/// A fresh access token from the token endpoint (`expires_in` → Unix seconds).
fn token() -> Result<(String, Option<u64>)> {
    let method = config::auth_method();
    let client_id = config::require("client_id")?;
    let mut form: Vec<(&str, String)> = vec![("client_id", client_id)];
    let mut placeholders = Vec::new();
    match method.as_str() {
        "client-credentials" => {
            form.push(("grant_type", "client_credentials".into()));
            placeholders.push("client_secret");
        }
        "refresh-token" => {
            form.push(("grant_type", "refresh_token".into()));
            placeholders.push("refresh_token");
            if config::has_binding("client_secret") {
                placeholders.push("client_secret");
            }
        }
        other => return Err(ConnectorError::InvalidConfig(format!("the oauth2 connector has no grant for `{other}`"))),
    }
    for optional in ["scope", "audience"] {
        if let Some(value) = config::get(optional).filter(|v| !v.is_empty()) {
            form.push((optional, value));
        }
    }
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut body = http::form_urlencoded(&pairs);
    for name in &placeholders {
        body.push_str(&format!("&{name}={{{{{name}}}}}"));
    }
    let response = http::Request::post(config::require("token_url")?)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(body)
        .body_placeholders(&placeholders)
        .send()?;
    let answer: serde_json::Value = serde_json::from_slice(response.body()).unwrap_or_default();
    if !(200..300).contains(&response.status()) {
        let reason = format!(
            "the token endpoint refused the grant (HTTP {}: {} {})",
            response.status(),
            answer["error"].as_str().unwrap_or("error"),
            answer["error_description"].as_str().unwrap_or_default()
        );
        return Err(match response.status() {
            400 | 401 | 403 => ConnectorError::Unauthorized(reason),
            _ => ConnectorError::Upstream(reason),
        });
    }
    if answer["refresh_token"].is_string() && method == "refresh-token" {
        log::warn(
            "the token endpoint rotated the refresh token; rotation is not supported, the configured one is kept",
        );
    }
    let access_token = answer["access_token"]
        .as_str()
        .ok_or_else(|| ConnectorError::Upstream("the token endpoint returned no access_token".into()))?;
    Ok((access_token.into(), answer["expires_in"].as_u64().map(|s| time::now() + s)))
}

airlock_sdk::export_connector!(OAuth2);
