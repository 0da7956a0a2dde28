//! Interactive registration and update (`register -i`, `update -i`): prompts for what the
//! request is missing, with hidden input for secrets (shown as typed with `-x`).

use super::client::{Client, with_spinner};
use crate::runtime::bindings::{AttributeSpec, AuthMethodSpec, ConnectorSpec, ResourceListing};
use crate::service::ConnectorView;
use anyhow::{Context, anyhow};
use dialoguer::{Confirm, Input, Password, Select};
use serde_json::{Value, json};

/// Fill in the registration request by asking; `show_secrets` echoes secret input.
pub async fn fill_registration(
    request: &mut Value,
    specs: &[ConnectorSpec],
    api: &Client,
    show_secrets: bool,
) -> anyhow::Result<()> {
    let spec = match request["connector_type"].as_str() {
        Some(t) => {
            specs.iter().find(|s| s.connector_type == t).ok_or_else(|| anyhow!("unknown connector type `{t}`"))?
        }
        None => {
            let names: Vec<String> =
                specs.iter().map(|s| format!("{} {} ({})", s.emoji, s.name, s.connector_type)).collect();
            let chosen = Select::new().with_prompt("Connector type").items(&names).default(0).interact()?;
            &specs[chosen]
        }
    };
    request["connector_type"] = json!(spec.connector_type);
    if request["name"].is_null() {
        let name: String = Input::new().with_prompt("Connector name").interact_text()?;
        request["name"] = json!(name);
    }
    let method = auth_method(request, spec, None)?;
    request["auth_method"] = json!(method.auth_method);
    for attr in &method.attributes {
        if request["configuration"].get(&attr.name).is_some() {
            continue;
        }
        let value = ask(attr, attr.default_value.as_deref(), show_secrets, "")?;
        if !value.is_empty() {
            request["configuration"][&attr.name] = json!(value);
        }
    }
    if request["resource_type"].is_null() && spec.resource_types.len() > 1 {
        let mut names: Vec<String> = vec!["all resource types (multi-type connector)".into()];
        names.extend(spec.resource_types.iter().map(|r| format!("{} {}", r.emoji, r.resource_type)));
        let chosen = Select::new().with_prompt("Resource type").items(&names).default(0).interact()?;
        if chosen > 0 {
            request["resource_type"] = json!(spec.resource_types[chosen - 1].resource_type);
        }
    } else if request["resource_type"].is_null() {
        request["resource_type"] = json!(spec.resource_types[0].resource_type);
    }
    let listings: Vec<ResourceListing> = with_spinner("verifying", api.post("/connectors/verify", request))
        .await
        .context("the configuration did not verify")?;
    let rt = request["resource_type"].as_str().map(str::to_string);
    let instances = spec.resource_types.iter().any(|r| Some(&r.resource_type) == rt.as_ref() && r.supports_instances);
    if let (true, Some(rt)) = (instances, rt) {
        let ids: Vec<String> =
            listings.iter().filter(|l| l.resource_type == rt).flat_map(|l| l.resource_ids.clone()).collect();
        if !ids.is_empty()
            && Confirm::new().with_prompt("Scope the connector to one resource?").default(false).interact()?
        {
            let chosen = Select::new().with_prompt("Resource").items(&ids).default(0).interact()?;
            request["resource_id"] = json!(ids[chosen]);
        }
    }
    Ok(())
}

/// The auth method the request names, or the one chosen from the type's (`current` first).
fn auth_method<'a>(
    request: &Value,
    spec: &'a ConnectorSpec,
    current: Option<&str>,
) -> anyhow::Result<&'a AuthMethodSpec> {
    if let Some(m) = request["auth_method"].as_str() {
        return spec
            .auth_methods
            .iter()
            .find(|a| a.auth_method == m)
            .ok_or_else(|| anyhow!("unknown auth method `{m}`"));
    }
    let names: Vec<String> = spec.auth_methods.iter().map(|m| format!("{} ({})", m.name, m.auth_method)).collect();
    let default = spec.auth_methods.iter().position(|m| Some(m.auth_method.as_str()) == current).unwrap_or(0);
    Ok(&spec.auth_methods[Select::new().with_prompt("Auth method").items(&names).default(default).interact()?])
}

/// One attribute's value; empty when the user left it empty. `current` is offered as the
/// default of a non-secret attribute; `hint` is added to the prompt.
fn ask(attr: &AttributeSpec, current: Option<&str>, show_secrets: bool, hint: &str) -> anyhow::Result<String> {
    let prompt =
        format!("{} ({}){}{hint}", attr.name, attr.description, if attr.required { "" } else { " [optional]" });
    Ok(if attr.secret && !show_secrets {
        Password::new().with_prompt(prompt).allow_empty_password(true).interact()?
    } else {
        let mut input = Input::<String>::new().with_prompt(prompt).allow_empty(true);
        if let Some(current) = current {
            input = input.default(current.to_string());
        }
        input.interact_text()?
    })
}

/// Fill in an update by asking, the connector's current values as defaults: the auth method,
/// each attribute (Enter keeps it, `-` removes an optional one; a secret is kept unless a new
/// value is typed) and the session duration of temporary methods.
pub fn fill_update(
    request: &mut Value,
    spec: &ConnectorSpec,
    current: &ConnectorView,
    show_secrets: bool,
) -> anyhow::Result<()> {
    let method = auth_method(request, spec, Some(&current.auth_method))?;
    request["auth_method"] = json!(method.auth_method);
    let same_method = method.auth_method == current.auth_method;
    for attr in &method.attributes {
        if request["configuration"].get(&attr.name).is_some() {
            continue;
        }
        let stored = current.configuration.get(&attr.name).filter(|_| same_method);
        let hint = match (stored.is_some(), attr.secret, attr.required) {
            (true, true, _) => " [set: Enter keeps it]",
            (true, false, false) => " [`-` removes it]",
            _ => "",
        };
        let shown = stored.filter(|_| !attr.secret).map(String::as_str).or(attr.default_value.as_deref());
        let value = ask(attr, shown, show_secrets, hint)?;
        match value.as_str() {
            "-" if !attr.required && stored.is_some() => {
                if let Some(removed) = request["remove_attributes"].as_array_mut() {
                    removed.push(json!(attr.name));
                }
            }
            "" => {}
            v if Some(v) == stored.map(String::as_str) => {}
            v => request["configuration"][&attr.name] = json!(v),
        }
    }
    if let (Some(bounds), true) = (&method.expiration, request["expiration_seconds"].is_null()) {
        let current = current.expiration_seconds.unwrap_or(bounds.default_seconds as i64);
        let seconds: i64 = Input::new()
            .with_prompt(format!("Session duration in seconds ({}–{})", bounds.min_seconds, bounds.max_seconds))
            .default(current)
            .interact_text()?;
        request["expiration_seconds"] = json!(seconds);
    }
    Ok(())
}
