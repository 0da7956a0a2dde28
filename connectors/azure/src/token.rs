//! Entra ID access tokens: the client-credentials grant (the host fills the secret) or a
//! configured token.

use crate::{AUTHORITY, MANAGEMENT_SCOPE, ids};
use airlock_sdk::prelude::*;

pub enum Token {
    Minted { access_token: String, expires_at: u64 },
    Configured,
}

impl Token {
    /// The client-credentials grant at `<authority>/<tenant>/oauth2/v2.0/token`.
    pub fn client_credentials() -> Result<Token> {
        let tenant = config::require("tenant_id")?;
        let client_id = config::require("client_id")?;
        for (name, value) in [("tenant_id", &tenant), ("client_id", &client_id)] {
            check_uuid(name, value)?;
        }
        let authority =
            config::get("authority_url").map(|a| a.trim_end_matches('/').to_string()).unwrap_or(AUTHORITY.into());
        let body = format!(
            "{}&client_secret={{{{client_secret}}}}",
            http::form_urlencoded(&[
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                ("scope", MANAGEMENT_SCOPE)
            ])
        );
        let response = http::Request::post(format!("{authority}/{tenant}/oauth2/v2.0/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .body_placeholders(&["client_secret"])
            .send()?;
        let answer: serde_json::Value = serde_json::from_slice(response.body()).unwrap_or_default();
        if !(200..300).contains(&response.status()) {
            let description =
                answer["error_description"].as_str().unwrap_or_default().lines().next().unwrap_or_default();
            let reason = format!(
                "Entra ID refused the credentials ({}: {description})",
                answer["error"].as_str().unwrap_or("error")
            );
            return Err(match response.status() {
                400 | 401 | 403 => ConnectorError::Unauthorized(reason),
                _ => ConnectorError::Upstream(reason),
            });
        }
        let access_token = answer["access_token"]
            .as_str()
            .ok_or_else(|| ConnectorError::Upstream("Entra ID returned no access_token".into()))?;
        let expires_in = answer["expires_in"].as_u64().unwrap_or(3600);
        Ok(Token::Minted { access_token: access_token.into(), expires_at: time::now() + expires_in })
    }

    pub fn configured() -> Token {
        Token::Configured
    }

    /// `request` with this token as its bearer (a minted one, or the configured binding).
    pub fn authorize(&self, request: http::Request) -> http::Request {
        match self {
            Token::Minted { access_token, .. } => request.minted_bearer(access_token),
            Token::Configured => request.bearer("token"),
        }
    }

    /// The minted access token, if this is one.
    pub fn minted(&self) -> Option<&str> {
        match self {
            Token::Minted { access_token, .. } => Some(access_token),
            Token::Configured => None,
        }
    }

    /// An `azure` client holding the token (`access-token`).
    pub fn client(&self, id: Option<String>) -> ClientCredential {
        let (token, expires_at) = match self {
            Token::Minted { access_token, expires_at } => {
                (CredentialValue::Secret(access_token.clone()), Some(*expires_at))
            }
            Token::Configured => (CredentialValue::Binding("token".into()), None),
        };
        let mut attributes = vec![("token".to_string(), token)];
        for name in ["tenant_id", "subscription_id"] {
            if let Some(value) = config::get(name) {
                attributes.push((name.into(), CredentialValue::Plain(value)));
            }
        }
        ClientCredential {
            connector_type: "azure".into(),
            auth_method: "access-token".into(),
            resource_type: ids::GENERIC.into(),
            resource_id: id,
            attributes,
            expires_at,
        }
    }
}

/// Azure ids are UUIDs (`8-4-4-4-12` hex digits).
pub fn check_uuid(name: &str, value: &str) -> Result<()> {
    let groups: Vec<&str> = value.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    let valid = groups.len() == 5
        && groups.iter().zip(lengths).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    match valid {
        true => Ok(()),
        false => Err(ConnectorError::InvalidConfig(format!(
            "`{name}` must be a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
        ))),
    }
}
