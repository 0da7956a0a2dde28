//! Interactive registration (`register -i`): prompts for what the request is missing, with
//! hidden input for secrets.

use super::client::{Client, with_spinner};
use crate::runtime::bindings::{ConnectorSpec, ResourceListing};
use anyhow::{Context, anyhow};
use dialoguer::{Confirm, Input, Password, Select};
use serde_json::{Value, json};

/// Fill in the registration request by asking.
pub async fn fill_registration(request: &mut Value, specs: &[ConnectorSpec], api: &Client) -> anyhow::Result<()> {
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
    let method = match request["auth_method"].as_str() {
        Some(m) => {
            spec.auth_methods.iter().find(|a| a.auth_method == m).ok_or_else(|| anyhow!("unknown auth method `{m}`"))?
        }
        None => {
            let names: Vec<String> =
                spec.auth_methods.iter().map(|m| format!("{} ({})", m.name, m.auth_method)).collect();
            &spec.auth_methods[Select::new().with_prompt("Auth method").items(&names).default(0).interact()?]
        }
    };
    request["auth_method"] = json!(method.auth_method);
    for attr in &method.attributes {
        if request["configuration"].get(&attr.name).is_some() {
            continue;
        }
        let prompt = format!("{} ({}){}", attr.name, attr.description, if attr.required { "" } else { " [optional]" });
        let value = if attr.secret {
            Password::new().with_prompt(prompt).allow_empty_password(!attr.required).interact()?
        } else {
            let mut input = Input::<String>::new().with_prompt(prompt).allow_empty(!attr.required);
            if let Some(default) = &attr.default_value {
                input = input.default(default.clone());
            }
            input.interact_text()?
        };
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
