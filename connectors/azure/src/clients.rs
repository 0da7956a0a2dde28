//! Clients of other connector types: `kubernetes` for AKS (from the cluster's kubeconfig) and
//! `docker` for ACR (from the Entra → ACR token exchange).

use crate::arm::Arm;
use crate::ids;
use airlock_sdk::prelude::*;
use yaml_rust2::YamlLoader;

/// ACR refresh tokens last three hours.
const ACR_TOKEN_SECS: u64 = 3 * 3600;

/// A `kubernetes` client for `cluster` (`<rg>/<name>`) from its user (or admin) kubeconfig.
pub fn kubernetes(arm: &Arm, cluster: &str) -> Result<ClientCredential> {
    let admin = config::get("aks_admin_credentials").is_some_and(|v| matches!(v.trim(), "true" | "1" | "yes"));
    let yaml = arm.cluster_kubeconfig(cluster, admin)?;
    let bad = |what: &str| ConnectorError::Upstream(format!("AKS returned a kubeconfig without {what}"));
    let docs = YamlLoader::load_from_str(&yaml)
        .map_err(|e| ConnectorError::Upstream(format!("AKS returned a kubeconfig that is not YAML: {e}")))?;
    let config = docs.first().ok_or_else(|| bad("a document"))?;
    let context_name = config["current-context"].as_str().ok_or_else(|| bad("a current context"))?;
    let named = |list: &str, name: &str| {
        config[list].as_vec().into_iter().flatten().find(|e| e["name"].as_str() == Some(name)).cloned()
    };
    let context = named("contexts", context_name).ok_or_else(|| bad("its current context"))?;
    let entry = named("clusters", context["context"]["cluster"].as_str().unwrap_or_default())
        .ok_or_else(|| bad("the context's cluster"))?;
    let user = named("users", context["context"]["user"].as_str().unwrap_or_default())
        .ok_or_else(|| bad("the context's user"))?;
    let text = |v: &yaml_rust2::Yaml, what: &str| v.as_str().map(str::to_string).ok_or_else(|| bad(what));
    let mut attributes = vec![
        (
            "cluster_name".to_string(),
            CredentialValue::Plain(entry["name"].as_str().unwrap_or(context_name).to_string()),
        ),
        ("server".into(), CredentialValue::Plain(text(&entry["cluster"]["server"], "a server")?)),
        (
            "certificate_authority".into(),
            CredentialValue::Plain(text(&entry["cluster"]["certificate-authority-data"], "a CA")?),
        ),
    ];
    let credentials = &user["user"];
    match (
        credentials["token"].as_str(),
        credentials["client-certificate-data"].as_str(),
        credentials["client-key-data"].as_str(),
    ) {
        (Some(token), _, _) => attributes.push(("token".into(), CredentialValue::Secret(token.into()))),
        (None, Some(certificate), Some(key)) => {
            attributes.push(("client_certificate".into(), CredentialValue::Plain(certificate.into())));
            attributes.push(("client_key".into(), CredentialValue::Secret(key.into())));
        }
        _ => {
            return Err(ConnectorError::Unsupported(format!(
                "the AKS cluster `{cluster}` authenticates users through Entra ID (kubelogin); its kubeconfig holds no token or client certificate"
            )));
        }
    }
    Ok(ClientCredential {
        connector_type: "kubernetes".into(),
        auth_method: "token".into(),
        resource_type: ids::AKS.into(),
        resource_id: Some(cluster.into()),
        attributes,
        expires_at: None,
    })
}

/// A `docker` client for an ACR registry: the principal's Entra token exchanged at the
/// registry's `/oauth2/exchange` for an ACR refresh token, which `docker login` takes as the
/// password of the null-GUID user (as `az acr login` does); never the admin credentials.
pub fn docker(arm: &Arm, registry: &str) -> Result<ClientCredential> {
    let Some(token) = arm.token.minted() else {
        return Err(ConnectorError::Unsupported(
            "a configured access token cannot be exchanged at ACR (it would travel to a wildcard host); use service-principal".into(),
        ));
    };
    let endpoint = config::get("registry_endpoint_url")
        .map(|e| e.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("https://{registry}"));
    let mut form = vec![("grant_type", "access_token"), ("service", registry), ("access_token", token)];
    let tenant = config::get("tenant_id");
    if let Some(tenant) = &tenant {
        form.push(("tenant", tenant));
    }
    let response = http::Request::post(format!("{endpoint}/oauth2/exchange")).form(&form).send()?;
    let answer: serde_json::Value = serde_json::from_slice(response.body()).unwrap_or_default();
    if !(200..300).contains(&response.status()) {
        let message = answer["errors"][0]["message"].as_str().unwrap_or_default();
        let reason = format!("ACR refused the token exchange (HTTP {}: {message})", response.status());
        return Err(match response.status() {
            401 | 403 => ConnectorError::Unauthorized(reason),
            _ => ConnectorError::Upstream(reason),
        });
    }
    let refresh = answer["refresh_token"]
        .as_str()
        .ok_or_else(|| ConnectorError::Upstream("ACR returned no refresh_token".into()))?;
    Ok(ClientCredential {
        connector_type: "docker".into(),
        auth_method: "password".into(),
        resource_type: ids::ACR.into(),
        resource_id: Some(registry.into()),
        attributes: vec![
            ("username".into(), CredentialValue::Plain("00000000-0000-0000-0000-000000000000".into())),
            ("password".into(), CredentialValue::Secret(refresh.into())),
            ("registry".into(), CredentialValue::Plain(registry.into())),
        ],
        expires_at: Some(time::now() + ACR_TOKEN_SECS),
    })
}
