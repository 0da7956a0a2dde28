//! Connector pages: the filtered list, a connector's detail (configuration with secrets
//! hidden, expiry, grants), registration and update through forms driven by the type's spec
//! (secrets are password fields and never rendered back), verify, resources, delete, and
//! issuing a client credential shown once.

use super::error::UiError;
use super::form::{Empty, Posted};
use super::layout::{action_button, csrf, page, segment, time, when};
use super::session::Session;
use crate::runtime::bindings::{AttributeKind, AuthMethodSpec, ConnectorSpec, ResourceListing};
use crate::service::{
    ClientRequestBody, ConnectorFilter, ConnectorView, HIDDEN, RegisterRequest, Service, ServiceError, UpdateRequest,
};
use crate::store::Role;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

type Svc = State<Arc<Service>>;

/// The list's filters, as the query string carries them.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    connector_type: String,
    #[serde(default)]
    resource_type: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    expired: String,
}

fn non_empty(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

pub async fn list(State(service): Svc, session: Session, Query(q): Query<ListQuery>) -> Result<Markup, UiError> {
    let filter = ConnectorFilter {
        connector_type: non_empty(&q.connector_type),
        resource_type: non_empty(&q.resource_type),
        labels: non_empty(&q.label),
        owner: non_empty(&q.owner),
        expired: match q.expired.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        ..ConnectorFilter::default()
    };
    let connectors = service.list_connectors(&session.actor, &filter).await?;
    let types = service.connector_types().await?;
    let may_register = session.actor.user.role != Role::Consumer;
    Ok(page(
        &session,
        "Connectors",
        html! {
            @if may_register { p { a .button href="/ui/connectors/new" { "Register a connector" } } }
            form .filters method="get" action="/ui/connectors" role="search" {
                label { "Type " select name="connector_type" {
                    option value="" { "any" }
                    @for t in &types { option value=(t.connector_type) selected[q.connector_type == t.connector_type] { (t.connector_type) } }
                } }
                label { "Resource type " input name="resource_type" value=(q.resource_type) size="18"; }
                label { "Label " input name="label" value=(q.label) placeholder="key or key=value" size="16"; }
                label { "Owner " input name="owner" value=(q.owner) size="12"; }
                label { "Expired " select name="expired" {
                    option value="" { "either" }
                    option value="yes" selected[q.expired == "yes"] { "yes" }
                    option value="no" selected[q.expired == "no"] { "no" }
                } }
                button type="submit" { "Filter" }
            }
            @if connectors.is_empty() {
                p { "No connectors match." }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "Type" } th scope="col" { "Auth method" }
                        th scope="col" { "Resource types" } th scope="col" { "Resource" } th scope="col" { "Owner" }
                        th scope="col" { "Shared" } th scope="col" { "Labels" } th scope="col" { "Expires" }
                    } }
                    tbody {
                        @for c in &connectors {
                            tr {
                                td { a href={ "/ui/connectors/" (segment(&c.name)) } { (c.name) } }
                                td { (c.connector_type) }
                                td { (c.auth_method) }
                                td { (c.resource_types.join(", ")) }
                                td { (c.resource_id.as_deref().unwrap_or("-")) }
                                td { (c.owner) }
                                td { @if c.shared { "everyone" } @else { "-" } }
                                td { (labels(&c.labels)) }
                                td { (when(c.expires_at)) }
                            }
                        }
                    }
                }
            }
        },
    ))
}

fn labels(labels: &BTreeMap<String, String>) -> String {
    labels.iter().map(|(k, v)| if v.is_empty() { k.clone() } else { format!("{k}={v}") }).collect::<Vec<_>>().join(", ")
}

/// Whether the caller may share or transfer the connector (its owner or an admin).
fn may_share(session: &Session, view: &ConnectorView) -> bool {
    session.actor.is_admin() || view.owner_id == session.actor.user.id
}

pub async fn detail(State(service): Svc, session: Session, Path(connector): Path<String>) -> Result<Markup, UiError> {
    let view = service.describe_connector(&session.actor, &connector).await?;
    Ok(detail_page(&service, &session, &view, None).await)
}

/// A connector's page, with what a verify or listing found when there is one.
async fn detail_page(
    service: &Service,
    session: &Session,
    view: &ConnectorView,
    found: Option<(&str, Result<Vec<ResourceListing>, String>)>,
) -> Markup {
    let path = format!("/ui/connectors/{}", segment(&view.name));
    let manager = service.may_manage(&session.actor, &view.id).await;
    html! {
        (page(session, &format!("Connector {}", view.name), html! {
            dl .properties {
                dt { "Id" } dd { code { (view.id) } }
                dt { "Type" } dd { a href={ "/ui/types/" (segment(&view.connector_type)) } { (view.connector_type) } }
                dt { "Auth method" } dd { (view.auth_method) }
                dt { "Resource types" } dd { (view.resource_types.join(", ")) }
                dt { "Resource" } dd { (view.resource_id.as_deref().unwrap_or("any (name one when issuing)")) }
                dt { "Description" } dd { (view.description) }
                dt { "Labels" } dd { (labels(&view.labels)) }
                dt { "Session duration" } dd { (view.expiration_seconds.map(|s| format!("{s} s")).unwrap_or_else(|| "-".into())) }
                dt { "Expires" } dd { (when(view.expires_at)) }
                dt { "Owner" } dd { (view.owner) }
                dt { "Created" } dd { (time(view.created_at)) }
                dt { "Updated" } dd { (time(view.updated_at)) " (version " (view.version) ")" }
            }
            h2 { "Configuration" }
            table {
                thead { tr { th scope="col" { "Attribute" } th scope="col" { "Value" } } }
                tbody { @for (k, v) in &view.configuration { tr { td { code { (k) } } td { (v) } } } }
            }
            @if let Some((what, found)) = found {
                h2 #resources { (what) }
                @match found {
                    Ok(listings) => (resources_table(&listings)),
                    Err(message) => p .error role="alert" { (message) },
                }
            }
            h2 { "Use it" }
            div .actions {
                a .button href={ (path) "/resources" } { "List its resources" }
                @if manager {
                    (action_button(session, &format!("{path}/verify"), "Verify", None))
                    a .button href={ (path) "/edit" } { "Edit" }
                    (action_button(session, &format!("{path}/delete"), "Delete", Some("Delete this connector?")))
                }
            }
            form .issue method="post" action={ (path) "/issue" } {
                (csrf(session))
                fieldset {
                    legend { "Issue a client credential" }
                    label for="issue-rt" { "Resource type" }
                    select #issue-rt name="resource_type" {
                        @for rt in &view.resource_types { option value=(rt) { (rt) } }
                    }
                    label for="issue-id" { "Resource id" }
                    input #issue-id name="resource_id" value=[view.resource_id.as_deref()] placeholder="as the type's id formats allow";
                    label for="issue-exp" { "Lifetime in seconds (temporary credentials)" }
                    input #issue-exp name="expiration_seconds" inputmode="numeric";
                    button type="submit" { "Issue" }
                }
            }
            @if manager {
                h2 #grants { "Grants" }
                @if view.grants.is_empty() {
                    p { "No grants: only the owner and admins may use it." }
                } @else {
                    table {
                        thead { tr { th scope="col" { "Grantee" } th scope="col" { "Level" } th scope="col" { span .visually-hidden { "Actions" } } } }
                        tbody {
                            @for g in &view.grants {
                                tr {
                                    td { (g.grantee) }
                                    td { (g.level.as_str()) }
                                    td { @if may_share(session, view) {
                                        form .inline method="post" action={ (path) "/unshare" } {
                                            (csrf(session))
                                            input type="hidden" name="grantee" value=(g.grantee);
                                            button type="submit" { "Revoke" }
                                        }
                                    } }
                                }
                            }
                        }
                    }
                }
            }
            @if may_share(session, view) {
                form method="post" action={ (path) "/share" } {
                    (csrf(session))
                    fieldset {
                        legend { "Share" }
                        label for="share-grantee" { "Grantee" }
                        input #share-grantee name="grantee" required placeholder="user:alice, team:ml or everyone";
                        label for="share-level" { "Level" }
                        select #share-level name="level" {
                            option value="use" { "use: see, list resources, issue credentials" }
                            option value="manage" { "manage: also verify, update, delete" }
                        }
                        button type="submit" { "Grant" }
                    }
                }
                form method="post" action={ (path) "/transfer" } {
                    (csrf(session))
                    fieldset {
                        legend { "Transfer ownership" }
                        label for="transfer-owner" { "New owner (user name)" }
                        input #transfer-owner name="owner" required;
                        button type="submit" .danger data-confirm="Hand this connector to another owner?" { "Transfer" }
                    }
                }
            }
        }))
    }
}

fn resources_table(listings: &[ResourceListing]) -> Markup {
    html! {
        table .resources {
            thead { tr { th scope="col" { "Resource type" } th scope="col" { "Resources" } } }
            tbody {
                @for l in listings {
                    tr {
                        td { (l.resource_type) }
                        td {
                            @if let Some(error) = &l.error { span .error { (error) } }
                            @else if l.resource_ids.is_empty() { "(all reachable; no ids listed)" }
                            @else { ul { @for id in &l.resource_ids { li { code { (id) } } } } }
                        }
                    }
                }
            }
        }
    }
}

/// What a verify or listing found, or why it failed upstream; refusals are the page's error.
fn outcome(
    result: Result<crate::service::Warned<Vec<ResourceListing>>, ServiceError>,
) -> Result<Result<Vec<ResourceListing>, String>, UiError> {
    match result {
        Ok(warned) => Ok(Ok(warned.value)),
        Err(e @ (ServiceError::Forbidden(_) | ServiceError::NotFound(_) | ServiceError::Unauthenticated)) => {
            Err(e.into())
        }
        Err(e) => Ok(Err(e.to_string())),
    }
}

pub async fn resources(
    State(service): Svc,
    session: Session,
    Path(connector): Path<String>,
) -> Result<Markup, UiError> {
    let view = service.describe_connector(&session.actor, &connector).await?;
    let found = outcome(service.connector_resources(&session.actor, &connector, None, None).await)?;
    Ok(detail_page(&service, &session, &view, Some(("Resources", found))).await)
}

pub async fn verify(
    State(service): Svc,
    Path(connector): Path<String>,
    posted: Posted<Empty>,
) -> Result<Markup, UiError> {
    let session = posted.session;
    let view = service.describe_connector(&session.actor, &connector).await?;
    let found = outcome(service.verify_connector(&session.actor, &connector, None, None).await)?;
    let title = if found.is_ok() { "Verified: these resources are reachable" } else { "Verification failed" };
    Ok(detail_page(&service, &session, &view, Some((title, found))).await)
}

pub async fn delete(
    State(service): Svc,
    Path(connector): Path<String>,
    posted: Posted<Empty>,
) -> Result<Response, UiError> {
    service.delete_connector(&posted.session.actor, &connector).await?;
    Ok(Redirect::to("/ui/connectors").into_response())
}

/// The issue form.
#[derive(Deserialize)]
pub struct IssueForm {
    resource_type: String,
    #[serde(default)]
    resource_id: String,
    #[serde(default)]
    expiration_seconds: String,
}

/// Issue a client credential and show it once: not cached, not in any URL, gone on reload.
pub async fn issue(
    State(service): Svc,
    Path(connector): Path<String>,
    posted: Posted<IssueForm>,
) -> Result<Markup, UiError> {
    let Posted { session, form } = posted;
    let expiration_seconds = match non_empty(&form.expiration_seconds) {
        Some(text) => {
            Some(text.parse::<i64>().map_err(|_| UiError::bad_request("the lifetime must be a number of seconds"))?)
        }
        None => None,
    };
    let body = ClientRequestBody {
        resource_type: non_empty(&form.resource_type),
        resource_id: non_empty(&form.resource_id),
        expiration_seconds,
        reuse: Some(false),
    };
    let issued = service.issue_client(&session.actor, &connector, body).await?.value;
    let c = &issued.credential;
    Ok(page(
        &session,
        &format!("Credential from {connector}"),
        html! {
            p .warning role="status" { "Shown once: copy what you need now. It is not stored in this page's history or cache." }
            dl .properties {
                dt { "Type" } dd { (c.connector_type) " / " (c.auth_method) }
                dt { "Resource" } dd { (c.resource_type) " " code { (c.resource_id.as_deref().unwrap_or("")) } }
                dt { "Lease" } dd { code { (issued.lease_id) } }
                dt { "Expires" } dd {
                    @match c.expires_at {
                        Some(at) => {
                            (time(at as i64)) " "
                            span .countdown data-expires-at=(at) aria-live="polite" {}
                        },
                        None => "does not expire by itself",
                    }
                }
            }
            table .credential {
                thead { tr { th scope="col" { "Attribute" } th scope="col" { "Value" } th scope="col" { span .visually-hidden { "Copy" } } } }
                tbody {
                    @for (i, (name, value)) in c.attributes.iter().enumerate() {
                        tr {
                            td { code { (name) } }
                            td { textarea #{ "value-" (i) } readonly rows="1" aria-label=(name) { (value.value) } }
                            td { button type="button" .copy data-copy={ "value-" (i) } { "Copy" } }
                        }
                    }
                }
            }
            p { a href={ "/ui/connectors/" (segment(&connector)) } { "Back to " (connector) } " · " a href="/ui/leases" { "Leases" } }
        },
    ))
}

/// Which type and auth method the registration form is for.
#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    connector_type: String,
    #[serde(default)]
    auth_method: String,
}

pub async fn new_form(State(service): Svc, session: Session, Query(q): Query<NewQuery>) -> Result<Markup, UiError> {
    register_page(&service, &session, &q.connector_type, &q.auth_method, &BTreeMap::new(), None).await
}

/// The registration form: pick a type (and auth method), then fill in its attributes.
async fn register_page(
    service: &Service,
    session: &Session,
    connector_type: &str,
    auth_method: &str,
    values: &BTreeMap<String, String>,
    error: Option<String>,
) -> Result<Markup, UiError> {
    session.actor.check_can_register()?;
    let types = service.connector_types().await?;
    let spec = types.iter().find(|t| t.connector_type == connector_type);
    let method = spec.and_then(|s| pick_method(s, auth_method));
    Ok(page(
        session,
        "Register a connector",
        html! {
            @if let Some(error) = &error { p .error role="alert" { (error) } }
            form method="get" action="/ui/connectors/new" {
                fieldset {
                    legend { "Type and auth method" }
                    label for="pick-type" { "Connector type" }
                    select #pick-type name="connector_type" {
                        @for t in &types { option value=(t.connector_type) selected[t.connector_type == connector_type] { (t.emoji) " " (t.name) } }
                    }
                    @if let Some(spec) = spec {
                        label for="pick-method" { "Auth method" }
                        select #pick-method name="auth_method" {
                            @for m in &spec.auth_methods { option value=(m.auth_method) selected[Some(m) == method] { (m.name) } }
                        }
                    }
                    button type="submit" { "Choose" }
                }
            }
            @if let (Some(spec), Some(method)) = (spec, method) {
                form method="post" action="/ui/connectors/new" {
                    (csrf(session))
                    input type="hidden" name="connector_type" value=(spec.connector_type);
                    input type="hidden" name="auth_method" value=(method.auth_method);
                    fieldset {
                        legend { (spec.name) ", " (method.name) }
                        p .hint { (method.description) }
                        label for="f-name" { "Name" }
                        input #f-name name="name" required pattern="[A-Za-z0-9_.@-]{1,128}" value=[values.get("name")];
                        (common_fields(spec, values))
                        (attribute_fields(method, values, false))
                        label .check { input type="checkbox" name="verify" value="true" checked; " Verify before registering" }
                        label .check { input type="checkbox" name="shared" value="true" checked[values.contains_key("shared")]; " Share with everyone (use)" }
                        button type="submit" { "Register" }
                    }
                }
            }
        },
    ))
}

fn pick_method<'a>(spec: &'a ConnectorSpec, auth_method: &str) -> Option<&'a AuthMethodSpec> {
    spec.auth_methods.iter().find(|m| m.auth_method == auth_method).or(spec.auth_methods.first())
}

/// Resource scope, description, labels and lifetime: fields every connector has.
fn common_fields(spec: &ConnectorSpec, values: &BTreeMap<String, String>) -> Markup {
    html! {
        label for="f-rt" { "Resource type (empty: every type the auth method reaches)" }
        select #f-rt name="resource_type" {
            option value="" { "any" }
            @for r in &spec.resource_types { option value=(r.resource_type) selected[values.get("resource_type") == Some(&r.resource_type)] { (r.name) } }
        }
        label for="f-rid" { "Resource id (empty: many)" }
        input #f-rid name="resource_id" value=[values.get("resource_id")];
        label for="f-desc" { "Description" }
        input #f-desc name="description" value=[values.get("description")];
        label for="f-labels" { "Labels (one key=value per line)" }
        textarea #f-labels name="labels" rows="2" { (values.get("labels").map(String::as_str).unwrap_or("")) }
        label for="f-exp" { "Session duration in seconds (temporary credentials)" }
        input #f-exp name="expiration_seconds" inputmode="numeric" value=[values.get("expiration_seconds")];
    }
}

/// One input per attribute of the auth method: secrets are password fields whose value is
/// never sent back to the browser (on an edit, empty keeps the stored secret).
fn attribute_fields(method: &AuthMethodSpec, values: &BTreeMap<String, String>, editing: bool) -> Markup {
    html! {
        @for a in &method.attributes {
            @let id = format!("attr-{}", a.name);
            @let field = format!("attr.{}", a.name);
            label for=(id) { code { (a.name) } @if a.required { " (required)" } ": " (a.description) }
            @if a.secret {
                @if a.kind == AttributeKind::Json || a.name.contains("key") {
                    textarea #(id) name=(field) rows="3" autocomplete="off" spellcheck="false" .secret
                        placeholder=(if editing { "unchanged (stored); type to replace" } else { "" }) {}
                } @else {
                    input #(id) type="password" name=(field) autocomplete="new-password"
                        placeholder=(if editing { "unchanged (stored); type to replace" } else { "" });
                }
            } @else if a.kind == AttributeKind::Json {
                textarea #(id) name=(field) rows="3" { (values.get(&a.name).map(String::as_str).unwrap_or("")) }
            } @else if a.kind == AttributeKind::Boolean {
                select #(id) name=(field) {
                    option value="" { "default" }
                    option value="true" selected[values.get(&a.name).is_some_and(|v| v == "true")] { "true" }
                    option value="false" selected[values.get(&a.name).is_some_and(|v| v == "false")] { "false" }
                }
            } @else {
                input #(id) name=(field) type=(if a.kind == AttributeKind::Url { "url" } else { "text" })
                    value=[values.get(&a.name).or(a.default_value.as_ref())];
            }
        }
    }
}

/// Labels typed one `key=value` per line.
fn parse_labels(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once('=') {
            Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

/// A posted connector form: its plain fields and its attributes (`attr.<name>`, empty ones
/// dropped).
fn split_form(fields: Vec<(String, String)>) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let (mut plain, mut attributes) = (BTreeMap::new(), BTreeMap::new());
    for (key, value) in fields {
        match key.strip_prefix("attr.") {
            Some(name) if !value.is_empty() => {
                attributes.insert(name.to_string(), value);
            }
            Some(_) => {}
            None => {
                plain.insert(key, value);
            }
        }
    }
    (plain, attributes)
}

fn number(plain: &BTreeMap<String, String>, key: &str) -> Result<Option<i64>, String> {
    match plain.get(key).and_then(|v| non_empty(v)) {
        Some(text) => text.parse().map(Some).map_err(|_| format!("`{key}` must be a number")),
        None => Ok(None),
    }
}

pub async fn register(State(service): Svc, posted: Posted<Vec<(String, String)>>) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let (plain, configuration) = split_form(form);
    // What to fill the form with again if it is refused (secret inputs never take a value).
    let typed: BTreeMap<String, String> = plain.clone().into_iter().chain(configuration.clone()).collect();
    let get = |key: &str| plain.get(key).cloned().unwrap_or_default();
    let attempt = async {
        let request = RegisterRequest {
            name: get("name").trim().to_string(),
            connector_type: get("connector_type"),
            auth_method: non_empty(&get("auth_method")),
            resource_type: non_empty(&get("resource_type")),
            resource_id: non_empty(&get("resource_id")),
            configuration,
            description: get("description"),
            labels: parse_labels(&get("labels")),
            expiration_seconds: number(&plain, "expiration_seconds").map_err(UiError::bad_request)?,
            expires_at: None,
            expires_skew_tolerance: None,
            shared: plain.contains_key("shared"),
            verify: Some(plain.contains_key("verify")),
        };
        Ok::<_, UiError>(service.register(&session.actor, request).await?.value.0)
    };
    match attempt.await {
        Ok(view) => Ok(Redirect::to(&format!("/ui/connectors/{}", segment(&view.name))).into_response()),
        Err(UiError::Page { status, message }) => {
            // The form again with what was typed, secrets left out.
            let page =
                register_page(&service, &session, &get("connector_type"), &get("auth_method"), &typed, Some(message))
                    .await?;
            Ok((status, page).into_response())
        }
        Err(other) => Err(other),
    }
}

pub async fn edit_form(
    State(service): Svc,
    session: Session,
    Path(connector): Path<String>,
) -> Result<Markup, UiError> {
    let view = service.describe_connector(&session.actor, &connector).await?;
    edit_page(&service, &session, &view, None).await
}

async fn edit_page(
    service: &Service,
    session: &Session,
    view: &ConnectorView,
    error: Option<String>,
) -> Result<Markup, UiError> {
    let spec = service.connector_type(&view.connector_type).await?;
    let method =
        pick_method(&spec, &view.auth_method).ok_or_else(|| UiError::bad_request("the type has no auth method"))?;
    let mut values: BTreeMap<String, String> =
        view.configuration.iter().filter(|(_, v)| *v != HIDDEN).map(|(k, v)| (k.clone(), v.clone())).collect();
    values.extend([
        ("resource_type".to_string(), view.resource_type.clone().unwrap_or_default()),
        ("resource_id".to_string(), view.resource_id.clone().unwrap_or_default()),
        ("description".to_string(), view.description.clone()),
        ("labels".to_string(), view.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("\n")),
        ("expiration_seconds".to_string(), view.expiration_seconds.map(|s| s.to_string()).unwrap_or_default()),
    ]);
    let path = format!("/ui/connectors/{}", segment(&view.name));
    Ok(page(
        session,
        &format!("Edit {}", view.name),
        html! {
            @if let Some(error) = &error { p .error role="alert" { (error) } }
            form method="post" action={ (path) "/edit" } {
                (csrf(session))
                input type="hidden" name="version" value=(view.version);
                fieldset {
                    legend { (spec.name) ", " (method.name) }
                    (common_fields(&spec, &values))
                    (attribute_fields(method, &values, true))
                    label .check { input type="checkbox" name="verify" value="true" checked; " Verify before saving" }
                    button type="submit" { "Save" }
                }
            }
            p { a href=(path) { "Cancel" } }
        },
    ))
}

pub async fn update(
    State(service): Svc,
    Path(connector): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let (plain, configuration) = split_form(form);
    let view = service.describe_connector(&session.actor, &connector).await?;
    let get = |key: &str| plain.get(key).cloned().unwrap_or_default();
    // Labels are replaced: ones no longer typed are removed (set to empty).
    let mut labels: BTreeMap<String, String> = view.labels.keys().map(|k| (k.clone(), String::new())).collect();
    labels.extend(parse_labels(&get("labels")));
    let mut remove_attributes = Vec::new();
    for (field, now) in [("resource_type", view.resource_type.is_some()), ("resource_id", view.resource_id.is_some())] {
        if now && non_empty(&get(field)).is_none() {
            remove_attributes.push(field.to_string());
        }
    }
    let attempt = async {
        let update = UpdateRequest {
            resource_type: non_empty(&get("resource_type")),
            resource_id: non_empty(&get("resource_id")),
            configuration,
            remove_attributes,
            description: Some(get("description")),
            labels,
            expiration_seconds: number(&plain, "expiration_seconds").map_err(UiError::bad_request)?,
            verify: Some(plain.contains_key("verify")),
            ..UpdateRequest::default()
        };
        let version = get("version").parse().ok();
        Ok::<_, UiError>(service.update_connector(&session.actor, &connector, update, version).await?.value)
    };
    match attempt.await {
        Ok(view) => Ok(Redirect::to(&format!("/ui/connectors/{}", segment(&view.name))).into_response()),
        Err(UiError::Page { status, message }) => {
            Ok((status, edit_page(&service, &session, &view, Some(message)).await?).into_response())
        }
        Err(other) => Err(other),
    }
}
