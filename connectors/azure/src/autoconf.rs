//! Auto-configuration from what the Azure CLI leaves locally and the `AZURE_*` variables the
//! Azure SDKs read (the host reads the files; this component sees no file system). A safe method
//! is chosen: a service principal when its secret is at hand (`AZURE_CLIENT_SECRET`, or the
//! Azure CLI's `service_principal_entries.json`), otherwise a still-valid management token from
//! the Azure CLI's token cache as `access-token` (with its expiry), as ZenML does.

use airlock_sdk::{AutoConfiguration, AutoConfigureInput, ConnectorError, Result, time};

pub const PROFILE: &str = "~/.azure/azureProfile.json";
pub const SERVICE_PRINCIPALS: &str = "~/.azure/service_principal_entries.json";
pub const TOKEN_CACHE: &str = "~/.azure/msal_token_cache.json";

pub fn from_local(input: AutoConfigureInput) -> Result<AutoConfiguration> {
    let env = |name: &str| input.env.iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.clone());
    // The Azure CLI writes its JSON with a byte-order mark.
    let file = |path: &str| {
        input.files.iter().find(|f| f.path == path).and_then(|f| {
            let text = String::from_utf8_lossy(&f.contents).trim_start_matches('\u{feff}').to_string();
            serde_json::from_str::<serde_json::Value>(&text).ok()
        })
    };
    let profile = file(PROFILE);
    let default_subscription = profile
        .as_ref()
        .and_then(|p| p["subscriptions"].as_array()?.iter().find(|s| s["isDefault"].as_bool() == Some(true)).cloned());
    let subscription = env("AZURE_SUBSCRIPTION_ID")
        .or_else(|| default_subscription.as_ref().and_then(|s| s["id"].as_str().map(str::to_string)));
    let tenant = env("AZURE_TENANT_ID")
        .or_else(|| default_subscription.as_ref().and_then(|s| s["tenantId"].as_str().map(str::to_string)));
    let mut attributes: Vec<(String, String)> = Vec::new();
    let mut push = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            attributes.push((name.to_string(), value));
        }
    };
    push("subscription_id", subscription);

    let from_env = match (env("AZURE_CLIENT_ID"), env("AZURE_CLIENT_SECRET")) {
        (Some(id), Some(secret)) => Some((id, secret, tenant.clone())),
        _ => None,
    };
    let from_cli = file(SERVICE_PRINCIPALS).and_then(|entries| {
        let entry = entries.as_array()?.first()?.clone();
        Some((
            entry["client_id"].as_str()?.to_string(),
            entry["client_secret"].as_str()?.to_string(),
            entry["tenant"].as_str().map(str::to_string),
        ))
    });
    let asked = input.auth_method.as_deref();
    if let (Some((client_id, secret, tenant)), None | Some("service-principal")) = (from_env.or(from_cli), asked) {
        let tenant = tenant.ok_or_else(|| {
            ConnectorError::InvalidConfig("a service principal was found but no tenant: set AZURE_TENANT_ID".into())
        })?;
        push("client_id", Some(client_id));
        push("tenant_id", Some(tenant));
        push("client_secret", Some(secret));
        return Ok(configured("service-principal", &input, attributes, None));
    }
    match asked {
        None | Some("access-token") => {}
        Some("implicit") => {
            return Err(ConnectorError::Unsupported("implicit authentication is disabled on this server".into()));
        }
        Some(other) => {
            return Err(ConnectorError::InvalidConfig(format!(
                "`{other}` cannot be auto-configured from what was read (AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, {SERVICE_PRINCIPALS}, {TOKEN_CACHE})"
            )));
        }
    }
    let now = time::now();
    let token = file(TOKEN_CACHE).and_then(|cache| {
        cache["AccessToken"]
            .as_object()?
            .values()
            .filter(|t| {
                t["target"].as_str().is_some_and(|target| {
                    target.contains("management.core.windows.net") || target.contains("management.azure.com")
                })
            })
            .filter(|t| tenant.is_none() || t["realm"].as_str() == tenant.as_deref())
            .filter_map(|t| Some((t["secret"].as_str()?.to_string(), t["expires_on"].as_str()?.parse::<u64>().ok()?)))
            .filter(|(_, expires)| *expires > now + 60)
            .max_by_key(|(_, expires)| *expires)
    });
    let Some((token, expires_at)) = token else {
        return Err(ConnectorError::InvalidConfig(format!(
            "no Azure credentials found: read AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, {SERVICE_PRINCIPALS} and {TOKEN_CACHE} (no unexpired management token); run `az login`"
        )));
    };
    push("tenant_id", tenant);
    push("token", Some(token));
    Ok(configured("access-token", &input, attributes, Some(expires_at)))
}

fn configured(
    method: &str,
    input: &AutoConfigureInput,
    attributes: Vec<(String, String)>,
    expires_at: Option<u64>,
) -> AutoConfiguration {
    AutoConfiguration {
        auth_method: method.into(),
        resource_type: input.resource_type.clone(),
        resource_id: input.resource_id.clone(),
        attributes,
        expires_at,
    }
}
