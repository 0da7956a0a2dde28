//! Tables for people, JSON for scripts.

use crate::credentials::IssuedCredential;
use crate::runtime::bindings::{AttributeKind, ConnectorSpec, ResourceListing};
use anyhow::anyhow;
use clap::{Args, ValueEnum};
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use serde::Serialize;

#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub format: Format,
}

impl OutputArgs {
    /// Print `value` as JSON, or the text `render` makes.
    pub fn print<T: Serialize + ?Sized>(&self, value: &T, render: impl FnOnce() -> String) -> anyhow::Result<()> {
        match self.format {
            Format::Json => println!("{}", serde_json::to_string_pretty(value)?),
            Format::Table => println!("{}", render()),
        }
        Ok(())
    }
}

fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic).set_header(header);
    table
}

fn yes_no(b: bool) -> &'static str {
    if b { "✔" } else { "-" }
}

/// `list-types`: one row per connector type.
pub fn types_table(specs: &[ConnectorSpec]) -> String {
    let mut t = table(&["NAME", "TYPE", "RESOURCE TYPES", "AUTH METHODS", "AUTO-CONFIGURE"]);
    for spec in specs {
        t.add_row(vec![
            spec.name.clone(),
            format!("{} {}", spec.emoji, spec.connector_type),
            spec.resource_types.iter().map(|r| format!("{} {}", r.emoji, r.resource_type)).collect::<Vec<_>>().join("\n"),
            spec.auth_methods.iter().map(|m| m.auth_method.as_str()).collect::<Vec<_>>().join("\n"),
            yes_no(spec.supports_auto_configuration).into(),
        ]);
    }
    t.to_string()
}

/// `describe-type`: the whole type, one resource type, or one auth method.
pub fn describe_type(spec: &ConnectorSpec, resource_type: Option<&str>, auth_method: Option<&str>, output: &OutputArgs) -> anyhow::Result<()> {
    if let Some(name) = resource_type {
        let rt = spec.resource_types.iter().find(|r| r.resource_type == name).ok_or_else(|| {
            anyhow!("connector type `{}` has no resource type `{name}` (available: {})", spec.connector_type,
                spec.resource_types.iter().map(|r| r.resource_type.as_str()).collect::<Vec<_>>().join(", "))
        })?;
        return output.print(rt, || {
            let mut t = table(&["PROPERTY", "VALUE"]);
            t.add_row(vec!["RESOURCE TYPE", &format!("{} {}", rt.emoji, rt.resource_type)]);
            t.add_row(vec!["NAME", &rt.name]);
            t.add_row(vec!["MULTIPLE INSTANCES", yes_no(rt.supports_instances)]);
            t.add_row(vec!["ID FORMATS", &rt.id_formats.join("\n")]);
            t.add_row(vec!["AUTH METHODS", &rt.auth_methods.join(", ")]);
            format!("{}\n\n{}", t, rt.description)
        });
    }
    if let Some(name) = auth_method {
        let method = spec.auth_methods.iter().find(|m| m.auth_method == name).ok_or_else(|| {
            anyhow!("connector type `{}` has no auth method `{name}` (available: {})", spec.connector_type,
                spec.auth_methods.iter().map(|m| m.auth_method.as_str()).collect::<Vec<_>>().join(", "))
        })?;
        return output.print(method, || {
            let mut text = format!("🔒 {} ({} / {})\n\n{}\n", method.name, spec.connector_type, method.auth_method, method.description);
            if let Some(b) = &method.expiration {
                text += &format!("\nTemporary credentials: {}s to {}s, {}s by default.\n", b.min_seconds, b.max_seconds, b.default_seconds);
            }
            if !method.releases_secrets.is_empty() {
                text += &format!(
                    "\n⚠ Clients receive the long-lived secret(s) {} as they are (only where admin policy allows).\n",
                    method.releases_secrets.join(", ")
                );
            }
            let mut t = table(&["ATTRIBUTE", "KIND", "SECRET", "REQUIRED", "DEFAULT", "DESCRIPTION"]);
            for a in &method.attributes {
                t.add_row(vec![
                    a.name.clone(),
                    kind_name(a.kind).into(),
                    yes_no(a.secret).into(),
                    yes_no(a.required).into(),
                    a.default_value.clone().unwrap_or_default(),
                    a.description.clone(),
                ]);
            }
            format!("{text}\n{t}")
        });
    }
    output.print(spec, || {
        let mut text = format!("{} {} (type: {})\n\n{}\n", spec.emoji, spec.name, spec.connector_type, spec.description);
        if let Some(docs) = &spec.docs_url {
            text += &format!("Docs: {docs}\n");
        }
        let mut rts = table(&["RESOURCE TYPE", "NAME", "MULTIPLE INSTANCES", "ID FORMATS", "AUTH METHODS"]);
        for r in &spec.resource_types {
            rts.add_row(vec![
                format!("{} {}", r.emoji, r.resource_type),
                r.name.clone(),
                yes_no(r.supports_instances).into(),
                r.id_formats.join("\n"),
                r.auth_methods.join(", "),
            ]);
        }
        let mut methods = table(&["AUTH METHOD", "NAME", "TEMPORARY CREDENTIALS", "RELEASES SECRETS TO CLIENTS"]);
        for m in &spec.auth_methods {
            methods.add_row(vec![
                m.auth_method.clone(),
                m.name.clone(),
                m.expiration.as_ref().map(|b| format!("{}–{}s (default {}s)", b.min_seconds, b.max_seconds, b.default_seconds)).unwrap_or_else(|| "-".into()),
                if m.releases_secrets.is_empty() { "-".into() } else { m.releases_secrets.join(", ") },
            ]);
        }
        let egress = if spec.egress_hosts.is_empty() { "-".to_string() } else { spec.egress_hosts.join(", ") };
        format!("{text}\n{rts}\n\n{methods}\n\nEgress: {egress} (plus hosts named in a connector's own configuration)")
    })
}

fn kind_name(kind: AttributeKind) -> &'static str {
    match kind {
        AttributeKind::Text => "text",
        AttributeKind::Integer => "integer",
        AttributeKind::Boolean => "boolean",
        AttributeKind::Url => "url",
        AttributeKind::TextList => "list",
        AttributeKind::Json => "json",
    }
}

/// Resources a connector reaches, one row per resource type.
pub fn resources_table(listings: &[ResourceListing]) -> String {
    let mut t = table(&["RESOURCE TYPE", "RESOURCE NAMES"]);
    for l in listings {
        let names = match &l.error {
            Some(e) => format!("error: {e}"),
            None => l.resource_ids.join("\n"),
        };
        t.add_row(vec![l.resource_type.clone(), names]);
    }
    t.to_string()
}

/// An issued client credential (secrets are shown: the caller asked for them).
pub fn credential_table(c: &IssuedCredential) -> String {
    let mut t = table(&["PROPERTY", "VALUE"]);
    t.add_row(vec!["CONNECTOR TYPE", &c.connector_type]);
    t.add_row(vec!["AUTH METHOD", &c.auth_method]);
    t.add_row(vec!["RESOURCE TYPE", &c.resource_type]);
    t.add_row(vec!["RESOURCE NAME", c.resource_id.as_deref().unwrap_or("<multiple>")]);
    t.add_row(vec!["EXPIRES AT", &c.expires_at.map(|e| e.to_string()).unwrap_or_else(|| "never".into())]);
    for (name, value) in &c.attributes {
        t.add_row(vec![name.to_uppercase(), value.value.clone()]);
    }
    t.to_string()
}
