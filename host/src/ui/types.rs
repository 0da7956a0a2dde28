//! Connector types and their documentation: resource types, auth methods, attributes and the
//! lifetimes of what they issue (what `connector describe-type` prints).

use super::error::UiError;
use super::layout::{page, segment};
use super::session::Session;
use crate::runtime::bindings::{AttributeKind, ConnectorSpec};
use crate::service::Service;
use axum::extract::{Path, State};
use maud::{Markup, html};
use std::sync::Arc;

pub async fn list(State(service): State<Arc<Service>>, session: Session) -> Result<Markup, UiError> {
    let specs = service.connector_types().await?;
    Ok(page(
        &session,
        "Connector types",
        html! {
            table {
                thead { tr { th scope="col" { "Type" } th scope="col" { "Name" } th scope="col" { "Resource types" } th scope="col" { "Auth methods" } } }
                tbody {
                    @for spec in &specs {
                        tr {
                            td { a href={ "/ui/types/" (segment(&spec.connector_type)) } { (spec.connector_type) } }
                            td { (spec.emoji) " " (spec.name) }
                            td { (spec.resource_types.iter().map(|r| r.resource_type.as_str()).collect::<Vec<_>>().join(", ")) }
                            td { (spec.auth_methods.iter().map(|m| m.auth_method.as_str()).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                }
            }
        },
    ))
}

pub async fn describe(
    State(service): State<Arc<Service>>,
    session: Session,
    Path(connector_type): Path<String>,
) -> Result<Markup, UiError> {
    let spec = service.connector_type(&connector_type).await?;
    Ok(page(&session, &format!("{} {}", spec.emoji, spec.name), docs(&spec)))
}

/// The documentation of one type.
fn docs(spec: &ConnectorSpec) -> Markup {
    html! {
        p { (spec.description) }
        p { a .button href={ "/ui/connectors/new?connector_type=" (segment(&spec.connector_type)) } { "Register a " (spec.connector_type) " connector" } }
        @if let Some(url) = spec.docs_url.as_ref().filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
            p { "Documentation: " a href=(url) rel="noreferrer" { (url) } }
        }
        h2 { "Resource types" }
        @for r in &spec.resource_types {
            section {
                h3 { (r.emoji) " " (r.name) " (" code { (r.resource_type) } ")" }
                p { (r.description) }
                dl {
                    dt { "Auth methods" } dd { (r.auth_methods.join(", ")) }
                    dt { "Instances" } dd { @if r.supports_instances { "one connector reaches many; name one with a resource id" } @else { "one per connector" } }
                    @if !r.id_formats.is_empty() { dt { "Id formats" } dd { @for f in &r.id_formats { code { (f) } " " } } }
                }
            }
        }
        h2 { "Auth methods" }
        @for m in &spec.auth_methods {
            section {
                h3 { (m.name) " (" code { (m.auth_method) } ")" }
                p { (m.description) }
                @if let Some(e) = &m.expiration {
                    p { "Issues temporary credentials: " (e.min_seconds) "–" (e.max_seconds) " s, " (e.default_seconds) " s by default." }
                }
                @if !m.releases_secrets.is_empty() {
                    p .warning { "Hands these long-lived secrets to clients (where admin policy allows): " (m.releases_secrets.join(", ")) }
                }
                table {
                    caption { "Attributes" }
                    thead { tr { th scope="col" { "Attribute" } th scope="col" { "Kind" } th scope="col" { "Required" } th scope="col" { "Description" } } }
                    tbody {
                        @for a in &m.attributes {
                            tr {
                                td { code { (a.name) } @if a.secret { " " span .tag { "secret" } } }
                                td { (kind(a.kind)) }
                                td { @if a.required { "yes" } @else { "no" } }
                                td { (a.description) @if let Some(d) = &a.default_value { " (default " code { (d) } ")" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn kind(kind: AttributeKind) -> &'static str {
    match kind {
        AttributeKind::Text => "text",
        AttributeKind::Integer => "integer",
        AttributeKind::Boolean => "boolean",
        AttributeKind::Url => "URL",
        AttributeKind::TextList => "list",
        AttributeKind::Json => "JSON",
    }
}
