//! Tables for people, JSON for scripts.

use super::table::{Grid, paragraph};
use crate::credentials::IssuedCredential;
use crate::human::{rfc3339, time, when};
use crate::runtime::bindings::{AttributeKind, ConnectorSpec, ResourceListing};
use crate::service::{ConnectorResources, ConnectorView, GrantView, IssuedClient, PluginView, TeamView};
use crate::store::{AuditRow, LeaseRow, TokenRow, UserRow};
use anyhow::anyhow;
use clap::{Args, ValueEnum};
use serde::Serialize;

#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Table,
    Json,
    Yaml,
    Csv,
    Tsv,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format: a table for people; json or yaml (times in RFC 3339) or csv/tsv for scripts.
    #[arg(short = 'o', long = "output", value_enum, default_value_t)]
    pub format: Format,
}

impl OutputArgs {
    /// Print `value` as JSON, YAML, CSV or TSV, or the text `render` makes.
    pub fn print<T: Serialize + ?Sized>(&self, value: &T, render: impl FnOnce() -> String) -> anyhow::Result<()> {
        let machine = || anyhow::Ok(rfc3339_times(serde_json::to_value(value)?));
        match self.format {
            Format::Json => println!("{}", serde_json::to_string_pretty(&machine()?)?),
            Format::Yaml => print!("{}", yaml(&machine()?)?),
            Format::Csv => print!("{}", delimited(&records(&machine()?), b',')?),
            Format::Tsv => print!("{}", delimited(&records(&machine()?), b'\t')?),
            Format::Table => println!("{}", render()),
        }
        Ok(())
    }
}

/// Unix-second fields (`*_at`) as RFC 3339 text, as scripts reading JSON or YAML expect.
fn rfc3339_times(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(rfc3339_times).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, value)| {
                    let stamp = match (&value, key == "at" || key.ends_with("_at")) {
                        (Value::Number(n), true) => n.as_u64().map(rfc3339),
                        _ => None,
                    };
                    (key, stamp.map(Value::String).unwrap_or_else(|| rfc3339_times(value)))
                })
                .collect(),
        ),
        other => other,
    }
}

fn yaml(value: &serde_json::Value) -> anyhow::Result<String> {
    use yaml_rust2::yaml::{Hash, Yaml};
    fn convert(value: &serde_json::Value) -> Yaml {
        match value {
            serde_json::Value::Null => Yaml::Null,
            serde_json::Value::Bool(b) => Yaml::Boolean(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Yaml::Integer(i),
                None => Yaml::Real(n.to_string()),
            },
            serde_json::Value::String(s) => Yaml::String(s.clone()),
            serde_json::Value::Array(items) => Yaml::Array(items.iter().map(convert).collect()),
            serde_json::Value::Object(fields) => {
                Yaml::Hash(fields.iter().map(|(k, v)| (Yaml::String(k.clone()), convert(v))).collect::<Hash>())
            }
        }
    }
    let mut text = String::new();
    yaml_rust2::YamlEmitter::new(&mut text).dump(&convert(value))?;
    Ok(format!("{}\n", text.trim_start_matches("---\n").trim_start_matches("---")))
}

/// Rows for CSV/TSV: a list of objects becomes one row each (the first object's keys are the
/// header), one object one row; lists in a cell are joined with `,`, objects as `key=value`.
fn records(value: &serde_json::Value) -> Vec<Vec<String>> {
    use serde_json::Value;
    fn cell(value: &Value) -> String {
        match value {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(","),
            Value::Object(fields) => {
                fields.iter().map(|(k, v)| format!("{k}={}", cell(v))).collect::<Vec<_>>().join(",")
            }
            other => other.to_string(),
        }
    }
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let Some(Value::Object(first)) = items.first() else {
        return items.iter().map(|v| vec![cell(v)]).collect();
    };
    let header: Vec<String> = first.keys().cloned().collect();
    let mut rows = vec![header.clone()];
    rows.extend(items.iter().map(|item| header.iter().map(|k| cell(&item[k.as_str()])).collect()));
    rows
}

fn delimited(rows: &[Vec<String>], delimiter: u8) -> anyhow::Result<String> {
    let mut writer = csv::WriterBuilder::new().delimiter(delimiter).from_writer(Vec::new());
    for row in rows {
        writer.write_record(row)?;
    }
    Ok(String::from_utf8(writer.into_inner().map_err(|e| anyhow!("{e}"))?)?)
}

fn table(header: &[&str]) -> Grid {
    Grid::new(header)
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
            spec.resource_types
                .iter()
                .map(|r| format!("{} {}", r.emoji, r.resource_type))
                .collect::<Vec<_>>()
                .join("\n"),
            spec.auth_methods.iter().map(|m| m.auth_method.as_str()).collect::<Vec<_>>().join("\n"),
            yes_no(spec.supports_auto_configuration).into(),
        ]);
    }
    t.to_string()
}

/// `describe-type`: the whole type, one resource type, or one auth method.
pub fn describe_type(
    spec: &ConnectorSpec,
    resource_type: Option<&str>,
    auth_method: Option<&str>,
    output: &OutputArgs,
) -> anyhow::Result<()> {
    if let Some(name) = resource_type {
        let rt = spec.resource_types.iter().find(|r| r.resource_type == name).ok_or_else(|| {
            anyhow!(
                "connector type `{}` has no resource type `{name}` (available: {})",
                spec.connector_type,
                spec.resource_types.iter().map(|r| r.resource_type.as_str()).collect::<Vec<_>>().join(", ")
            )
        })?;
        return output.print(rt, || {
            let mut t = table(&["PROPERTY", "VALUE"]);
            t.add_row(vec!["RESOURCE TYPE", &format!("{} {}", rt.emoji, rt.resource_type)]);
            t.add_row(vec!["NAME", &rt.name]);
            t.add_row(vec!["MULTIPLE INSTANCES", yes_no(rt.supports_instances)]);
            t.add_row(vec!["ID FORMATS", &rt.id_formats.join("\n")]);
            t.add_row(vec!["AUTH METHODS", &rt.auth_methods.join(", ")]);
            format!("{}\n\n{}", t, paragraph(&rt.description))
        });
    }
    if let Some(name) = auth_method {
        let method = spec.auth_methods.iter().find(|m| m.auth_method == name).ok_or_else(|| {
            anyhow!(
                "connector type `{}` has no auth method `{name}` (available: {})",
                spec.connector_type,
                spec.auth_methods.iter().map(|m| m.auth_method.as_str()).collect::<Vec<_>>().join(", ")
            )
        })?;
        return output.print(method, || {
            let mut text = format!(
                "🔒 {} ({} / {})\n\n{}\n",
                method.name,
                spec.connector_type,
                method.auth_method,
                paragraph(&method.description)
            );
            if let Some(b) = &method.expiration {
                text += &format!(
                    "\nTemporary credentials: {}s to {}s, {}s by default.\n",
                    b.min_seconds, b.max_seconds, b.default_seconds
                );
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
        let mut text = format!(
            "{} {} (type: {})\n\n{}\n",
            spec.emoji,
            spec.name,
            spec.connector_type,
            paragraph(&spec.description)
        );
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
                m.expiration
                    .as_ref()
                    .map(|b| format!("{}–{}s (default {}s)", b.min_seconds, b.max_seconds, b.default_seconds))
                    .unwrap_or_else(|| "-".into()),
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

/// An issued client credential; secret values only with `show_secrets`.
pub fn credential_table(c: &IssuedCredential, show_secrets: bool) -> String {
    let mut t = table(&["PROPERTY", "VALUE"]);
    t.add_row(vec!["CONNECTOR TYPE", &c.connector_type]);
    t.add_row(vec!["AUTH METHOD", &c.auth_method]);
    t.add_row(vec!["RESOURCE TYPE", &c.resource_type]);
    t.add_row(vec!["RESOURCE NAME", c.resource_id.as_deref().unwrap_or("<multiple>")]);
    t.add_row(vec!["EXPIRES AT", &c.expires_at.map(|e| time(e as i64)).unwrap_or_else(|| "never".into())]);
    for (name, value) in &c.attributes {
        let shown =
            if value.secret && !show_secrets { "[HIDDEN] (use --show-secrets)".into() } else { value.value.clone() };
        t.add_row(vec![name.to_uppercase(), shown]);
    }
    t.to_string()
}

/// A column of `connector list`: its `--columns` key, header and cell (given how to write a
/// time).
struct ConnectorColumn {
    key: &'static str,
    header: &'static str,
    cell: fn(&ConnectorView, Stamp) -> String,
}

/// How a cell writes a time: for people in tables, RFC 3339 in CSV and TSV.
type Stamp = fn(i64) -> String;

fn machine_time(unix: i64) -> String {
    u64::try_from(unix).map(rfc3339).unwrap_or_else(|_| unix.to_string())
}

const CONNECTOR_COLUMNS: &[ConnectorColumn] = &[
    ConnectorColumn { key: "name", header: "NAME", cell: |c, _| c.name.clone() },
    ConnectorColumn { key: "id", header: "ID", cell: |c, _| c.id.clone() },
    ConnectorColumn { key: "type", header: "TYPE", cell: |c, _| c.connector_type.clone() },
    ConnectorColumn { key: "auth_method", header: "AUTH METHOD", cell: |c, _| c.auth_method.clone() },
    ConnectorColumn { key: "resource_types", header: "RESOURCE TYPES", cell: |c, _| c.resource_types.join("\n") },
    ConnectorColumn {
        key: "resource_name",
        header: "RESOURCE NAME",
        cell: |c, _| c.resource_id.clone().unwrap_or_else(|| "<multiple>".into()),
    },
    ConnectorColumn { key: "owner", header: "OWNER", cell: |c, _| c.owner.clone() },
    ConnectorColumn { key: "shared", header: "SHARED", cell: |c, _| yes_no(c.shared).into() },
    ConnectorColumn {
        key: "labels",
        header: "LABELS",
        cell: |c, _| c.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("\n"),
    },
    ConnectorColumn {
        key: "expires_at",
        header: "EXPIRES AT",
        cell: |c, stamp| c.expires_at.map(stamp).unwrap_or_else(|| "-".into()),
    },
    ConnectorColumn { key: "created_at", header: "CREATED AT", cell: |c, stamp| stamp(c.created_at) },
    ConnectorColumn { key: "updated_at", header: "UPDATED AT", cell: |c, stamp| stamp(c.updated_at) },
    ConnectorColumn { key: "description", header: "DESCRIPTION", cell: |c, _| c.description.clone() },
];

/// Columns `connector list` shows unless `--columns` names others.
pub const DEFAULT_CONNECTOR_COLUMNS: &str = "name,id,type,auth_method,resource_types,resource_name,owner,shared,labels";

/// `connector list`: the columns named (comma-separated keys) as a table, CSV or TSV, or every
/// field as JSON/YAML.
pub fn print_connectors(connectors: &[ConnectorView], columns: &str, output: &OutputArgs) -> anyhow::Result<()> {
    let chosen = columns
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|key| {
            CONNECTOR_COLUMNS.iter().find(|c| c.key == key).ok_or_else(|| {
                anyhow!(
                    "-c/--columns: no column `{key}` (available: {})",
                    CONNECTOR_COLUMNS.iter().map(|c| c.key).collect::<Vec<_>>().join(", ")
                )
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if chosen.is_empty() {
        return Err(anyhow!("-c/--columns: name at least one column"));
    }
    let delimiter = match output.format {
        Format::Csv => b',',
        Format::Tsv => b'\t',
        _ => {
            return output.print(connectors, || {
                let mut t = table(&chosen.iter().map(|c| c.header).collect::<Vec<_>>());
                for c in connectors {
                    t.add_row(chosen.iter().map(|col| (col.cell)(c, time)).collect::<Vec<_>>());
                }
                t.to_string()
            });
        }
    };
    let mut rows = vec![chosen.iter().map(|c| c.key.to_string()).collect::<Vec<_>>()];
    rows.extend(
        connectors.iter().map(|c| chosen.iter().map(|col| (col.cell)(c, machine_time).replace('\n', ",")).collect()),
    );
    print!("{}", delimited(&rows, delimiter)?);
    Ok(())
}

/// `connector describe`: properties and configuration (secrets hidden by the server).
pub fn connector_table(c: &ConnectorView) -> String {
    let mut props = table(&["PROPERTY", "VALUE"]);
    for (k, v) in [
        ("ID", c.id.clone()),
        ("NAME", c.name.clone()),
        ("TYPE", c.connector_type.clone()),
        ("AUTH METHOD", c.auth_method.clone()),
        ("RESOURCE TYPES", c.resource_types.join(", ")),
        ("RESOURCE NAME", c.resource_id.clone().unwrap_or_else(|| "<multiple>".into())),
        ("DESCRIPTION", c.description.clone()),
        ("SESSION DURATION", c.expiration_seconds.map(|s| format!("{s}s")).unwrap_or_else(|| "-".into())),
        ("EXPIRES AT", when(c.expires_at)),
        ("EXPIRES SKEW TOLERANCE", c.expires_skew_tolerance.map(|s| format!("{s}s")).unwrap_or_else(|| "-".into())),
        ("OWNER", c.owner.clone()),
        ("SHARED", yes_no(c.shared).into()),
        ("CREATED AT", time(c.created_at)),
        ("UPDATED AT", time(c.updated_at)),
    ] {
        props.add_row(vec![k.to_string(), v]);
    }
    let mut config = table(&["ATTRIBUTE", "VALUE"]);
    for (k, v) in &c.configuration {
        config.add_row(vec![k.clone(), v.clone()]);
    }
    match c.grants.is_empty() {
        true => format!("{props}\n\nConfiguration\n{config}"),
        false => format!("{props}\n\nConfiguration\n{config}\n\nGrants\n{}", grants_table(&c.grants)),
    }
}

/// `connector share|unshare|transfer`: who else may use or manage a connector.
pub fn grants_table(grants: &[GrantView]) -> String {
    if grants.is_empty() {
        return "No grants: only the owner and admins may use it.".into();
    }
    let mut t = table(&["GRANTEE", "LEVEL"]);
    for g in grants {
        t.add_row(vec![g.grantee.clone(), g.level.as_str().into()]);
    }
    t.to_string()
}

/// `team list`.
pub fn teams_table(teams: &[TeamView]) -> String {
    let mut t = table(&["NAME", "MEMBERS", "ID", "CREATED AT"]);
    for team in teams {
        t.add_row(vec![team.name.clone(), team.members.join(", "), team.id.clone(), time(team.created_at)]);
    }
    t.to_string()
}

/// `connector list-resources`.
pub fn all_resources_table(results: &[ConnectorResources]) -> String {
    let mut t = table(&["CONNECTOR", "ID", "TYPE", "RESOURCE TYPE", "RESOURCE NAMES"]);
    for r in results {
        if let Some(error) = &r.error {
            t.add_row(vec![
                r.name.clone(),
                r.id.clone(),
                r.connector_type.clone(),
                "-".into(),
                format!("error: {error}"),
            ]);
        }
        for l in &r.resources {
            let names = l.error.as_ref().map(|e| format!("error: {e}")).unwrap_or_else(|| l.resource_ids.join("\n"));
            t.add_row(vec![r.name.clone(), r.id.clone(), r.connector_type.clone(), l.resource_type.clone(), names]);
        }
    }
    t.to_string()
}

/// `connector describe --client`.
pub fn issued_table(issued: &IssuedClient, show_secrets: bool) -> String {
    let reuse = if issued.reused { "reused" } else { "newly minted" };
    format!(
        "{}\nLease {} ({reuse}), valid until {}",
        credential_table(&issued.credential, show_secrets),
        issued.lease_id,
        time(issued.lease_expires_at)
    )
}

/// `plugin list`.
pub fn plugins_table(plugins: &[PluginView]) -> String {
    let mut t = table(&["TYPE", "NAME", "BUILT-IN", "APPROVED", "SIGNER", "SHA-256"]);
    for p in plugins {
        t.add_row(vec![
            p.connector_type.clone(),
            p.name.clone(),
            yes_no(p.builtin).into(),
            yes_no(p.approved).into(),
            p.signer.clone().unwrap_or_else(|| "unsigned".into()),
            p.sha256[..16].to_string(),
        ]);
    }
    t.to_string()
}

/// `plugin outdated`: installed digests against what the tags point at now.
pub fn outdated_table(rows: &[serde_json::Value]) -> String {
    let mut t = table(&["TYPE", "SOURCE", "INSTALLED", "AVAILABLE", "STATUS"]);
    let short = |v: &serde_json::Value| v.as_str().unwrap_or_default().chars().take(19).collect::<String>();
    for row in rows {
        t.add_row(vec![
            row["connector_type"].as_str().unwrap_or_default().to_string(),
            row["source"].as_str().unwrap_or_default().to_string(),
            short(&row["installed"]),
            short(&row["available"]),
            row["status"].as_str().unwrap_or_default().to_string(),
        ]);
    }
    t.to_string()
}

/// `plugin describe`: the manifest an admin reviews.
pub fn plugin_table(p: &PluginView) -> String {
    let mut t = table(&["PROPERTY", "VALUE"]);
    let releases =
        p.releases_secrets.iter().map(|(m, s)| format!("{m}: {}", s.join(", "))).collect::<Vec<_>>().join("\n");
    let secret_hosts =
        p.secret_hosts.iter().map(|(a, h)| format!("{a}: {}", h.join(", "))).collect::<Vec<_>>().join("\n");
    for (k, v) in [
        ("TYPE", p.connector_type.clone()),
        ("NAME", p.name.clone()),
        ("SHA-256", p.sha256.clone()),
        ("SOURCE", p.source.clone().unwrap_or_else(|| "uploaded file".into())),
        ("BUILT-IN", yes_no(p.builtin).to_string()),
        ("APPROVED", yes_no(p.approved).to_string()),
        ("SIGNER", p.signer.clone().unwrap_or_else(|| "unsigned".into())),
        ("RESOURCE TYPES", p.resource_types.join(", ")),
        ("AUTH METHODS", p.auth_methods.join(", ")),
        ("EGRESS", if p.egress_hosts.is_empty() { "-".into() } else { p.egress_hosts.join("\n") }),
        ("RELEASES SECRETS TO CLIENTS", if releases.is_empty() { "-".into() } else { releases }),
        ("SECRET HOSTS", if secret_hosts.is_empty() { "-".into() } else { secret_hosts }),
        ("INSTALLED BY", p.installed_by.clone().unwrap_or_else(|| "built in".into())),
    ] {
        t.add_row(vec![k.to_string(), v]);
    }
    match &p.pending_diff {
        Some(diff) => format!("{t}\n\nChange since the approved version (approve to accept it):\n{diff}"),
        None => t.to_string(),
    }
}

pub fn users_table(users: &[UserRow]) -> String {
    let mut t = table(&["NAME", "ROLE", "ID", "CREATED AT"]);
    for u in users {
        t.add_row(vec![u.name.clone(), u.role.as_str().into(), u.id.clone(), time(u.created_at)]);
    }
    t.to_string()
}

pub fn tokens_table(tokens: &[TokenRow]) -> String {
    let mut t = table(&["NAME", "ID", "CREATED AT"]);
    for tok in tokens {
        t.add_row(vec![tok.name.clone(), tok.id.clone(), time(tok.created_at)]);
    }
    t.to_string()
}

/// `lease list`: connectors and users by name where `names` (id → name) knows them.
pub fn leases_table(leases: &[LeaseRow], names: &std::collections::BTreeMap<String, String>) -> String {
    let name = |id: &String| names.get(id).unwrap_or(id).clone();
    let mut t = table(&["ID", "CONNECTOR", "USER", "RESOURCE TYPE", "RESOURCE", "EXPIRES AT", "REVOKED"]);
    for l in leases {
        t.add_row(vec![
            l.id.clone(),
            name(&l.connector_id),
            name(&l.user_id),
            l.resource_type.clone(),
            l.resource_id.clone().unwrap_or_default(),
            time(l.expires_at),
            yes_no(l.revoked).into(),
        ]);
    }
    t.to_string()
}

pub fn audit_table(rows: &[AuditRow]) -> String {
    let mut t = table(&["AT", "ACTOR", "ACTION", "TARGET", "OUTCOME", "DETAIL"]);
    for r in rows {
        t.add_row(vec![
            time(r.at),
            r.actor.clone(),
            r.action.clone(),
            r.target.clone(),
            r.outcome.clone(),
            r.detail.clone(),
        ]);
    }
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_dates_with_how_far_away_they_are() {
        assert_eq!(time(1_764_424_980).split(" (").next().unwrap(), "2025-11-29 14:03 UTC");
        let now = crate::store::now();
        assert!(time(now + 3_600).ends_with("(in 1h0m)"), "{}", time(now + 3_600));
        assert!(time(now - 300).ends_with("(5m ago)"), "{}", time(now - 300));
        assert!(time(now + 3 * 86_400).ends_with("(in 3d)"));
    }
}
