//! Filling binding references in issued client credentials, where policy allows.

use super::Bindings;
use crate::runtime::bindings::airlock::connector::types::{ClientCredential, CredentialValue};
use serde::{Deserialize, Serialize};

/// Whether long-lived secrets may be handed to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReleasePolicy {
    /// Release the secrets an auth method declares in `releases-secrets`.
    #[default]
    AsDeclared,
    /// Never release long-lived secrets; only minted, short-lived credentials reach clients.
    Never,
}

/// One attribute of an issued credential, with its value filled in.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IssuedValue {
    pub value: String,
    /// Secret values are hidden in listings and only shown to the client that asked.
    pub secret: bool,
}

/// A client credential as handed to the client, secrets filled in.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IssuedCredential {
    pub connector_type: String,
    pub auth_method: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    /// `[[name, {value, secret}], ...]` in the order the connector gave them.
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub attributes: Vec<(String, IssuedValue)>,
    /// Unix seconds.
    pub expires_at: Option<u64>,
}

/// Fill every `binding(name)` reference: only when the auth method declares that it releases
/// `name` and the policy allows it.
pub fn release(
    credential: ClientCredential,
    declared: &[String],
    bindings: &Bindings,
    policy: ReleasePolicy,
) -> Result<IssuedCredential, String> {
    let attributes = credential
        .attributes
        .iter()
        .map(|(attr, value)| {
            let issued = match value {
                CredentialValue::Plain(v) => IssuedValue { value: v.clone(), secret: false },
                CredentialValue::Secret(v) => IssuedValue { value: v.clone(), secret: true },
                CredentialValue::Binding(name) => {
                    if !declared.iter().any(|d| d == name) {
                        return Err(format!(
                            "the connector tried to release the secret `{name}`, which its auth method does not declare"
                        ));
                    }
                    if policy == ReleasePolicy::Never {
                        return Err(format!(
                            "this credential would hand the long-lived secret `{name}` to the client, and policy forbids releasing secrets"
                        ));
                    }
                    let value = bindings.value(name).ok_or_else(|| format!("the secret `{name}` is not set"))?;
                    IssuedValue { value: value.to_string(), secret: true }
                }
            };
            Ok((attr.clone(), issued))
        })
        .collect::<Result<_, String>>()?;
    Ok(IssuedCredential {
        connector_type: credential.connector_type,
        auth_method: credential.auth_method,
        resource_type: credential.resource_type,
        resource_id: credential.resource_id,
        attributes,
        expires_at: credential.expires_at,
    })
}
