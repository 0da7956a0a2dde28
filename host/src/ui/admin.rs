//! Admin pages: plugins (digest, signature, what they may reach, approval, the diff of a
//! pending update), the audit log, users and teams. Members may look at teams.

use super::error::UiError;
use super::form::{Empty, Posted};
use super::layout::{action_button, csrf, new_token, page, segment, time};
use super::session::Session;
use crate::service::{Service, TeamRequest};
use crate::store::Role;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use std::sync::Arc;

type Svc = State<Arc<Service>>;

pub async fn plugins(State(service): Svc, session: Session) -> Result<Markup, UiError> {
    let plugins = service.list_plugins(&session.actor).await?;
    Ok(page(
        &session,
        "Plugins",
        html! {
            p .hint { "Install and update plugins with " code { "airlock plugin install|pull|update" } "; approve them here." }
            table {
                thead { tr {
                    th scope="col" { "Type" } th scope="col" { "State" } th scope="col" { "Signed by" }
                    th scope="col" { "SHA-256" } th scope="col" { "Egress hosts" } th scope="col" { "Updated" }
                } }
                tbody {
                    @for p in &plugins {
                        tr {
                            td { a href={ "/ui/plugins/" (segment(&p.connector_type)) } { (p.connector_type) } }
                            td { (state(p)) }
                            td { (p.signer.as_deref().unwrap_or(if p.builtin { "built in" } else { "unsigned" })) }
                            td { code .digest { (p.sha256.get(..16).unwrap_or(&p.sha256)) "…" } }
                            td { (p.egress_hosts.join(", ")) }
                            td { (time(p.updated_at)) }
                        }
                    }
                }
            }
        },
    ))
}

fn state(p: &crate::service::PluginView) -> &'static str {
    match (p.approved, p.pending_diff.is_some()) {
        (true, _) => "approved",
        (false, true) => "update awaiting approval",
        (false, false) => "awaiting approval",
    }
}

pub async fn plugin(
    State(service): Svc,
    session: Session,
    Path(connector_type): Path<String>,
) -> Result<Markup, UiError> {
    let p = service.describe_plugin(&session.actor, &connector_type).await?;
    let path = format!("/ui/plugins/{}", segment(&p.connector_type));
    Ok(page(
        &session,
        &format!("Plugin {}", p.connector_type),
        html! {
            dl .properties {
                dt { "Name" } dd { (p.name) }
                dt { "State" } dd { (state(&p)) }
                dt { "SHA-256" } dd { code .digest { (p.sha256) } }
                dt { "Signature" } dd { (p.signer.as_deref().map(|s| format!("verified, publisher key {s}")).unwrap_or_else(|| if p.builtin { "built in".into() } else { "unsigned".into() })) }
                dt { "Source" } dd { (p.source.as_deref().unwrap_or("uploaded")) }
                dt { "Installed by" } dd { (p.installed_by.as_deref().unwrap_or("-")) }
                dt { "Resource types" } dd { (p.resource_types.join(", ")) }
                dt { "Auth methods" } dd { (p.auth_methods.join(", ")) }
                dt { "Egress hosts" } dd { @if p.egress_hosts.is_empty() { "none" } @else { ul { @for h in &p.egress_hosts { li { code { (h) } } } } } }
                dt { "Secret hosts" } dd {
                    @if p.secret_hosts.is_empty() { "none besides the hosts a connector's own configuration names" }
                    @else { ul { @for (attr, hosts) in &p.secret_hosts { li { code { (attr) } ": " (hosts.join(", ")) } } } }
                }
                dt { "Releases secrets to clients" } dd {
                    @if p.releases_secrets.is_empty() { "none" }
                    @else { ul { @for (method, secrets) in &p.releases_secrets { li { (method) ": " (secrets.join(", ")) } } } }
                }
            }
            @if let Some(diff) = &p.pending_diff {
                h2 { "Change since the approved version" }
                pre .diff aria-label="Manifest diff" { (diff) }
            }
            div .actions {
                @if !p.approved {
                    form .inline method="post" action={ (path) "/approve" } {
                        (csrf(&session))
                        input type="hidden" name="sha256" value=(p.sha256);
                        button type="submit" { "Approve" }
                    }
                }
                @if !p.builtin { (action_button(&session, &format!("{path}/remove"), "Remove", Some("Remove this plugin?"))) }
                a .button href={ "/ui/types/" (segment(&p.connector_type)) } { "Documentation" }
            }
        },
    ))
}

/// The approve form: the digest of the component the admin was shown.
#[derive(Deserialize)]
pub struct ApproveForm {
    sha256: String,
}

pub async fn approve_plugin(
    State(service): Svc,
    Path(connector_type): Path<String>,
    posted: Posted<ApproveForm>,
) -> Result<Redirect, UiError> {
    service.approve_plugin(&posted.session.actor, &connector_type, Some(&posted.form.sha256)).await?;
    Ok(Redirect::to(&format!("/ui/plugins/{}", segment(&connector_type))))
}

pub async fn remove_plugin(
    State(service): Svc,
    Path(connector_type): Path<String>,
    posted: Posted<Empty>,
) -> Result<Redirect, UiError> {
    service.remove_plugin(&posted.session.actor, &connector_type).await?;
    Ok(Redirect::to("/ui/plugins"))
}

/// Audit filters and the page shown.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: String,
    page: Option<usize>,
}

/// Rows per audit page.
const AUDIT_PAGE: usize = 50;
/// Newest rows the filters search.
const AUDIT_WINDOW: i64 = 10_000;

pub async fn audit(State(service): Svc, session: Session, Query(q): Query<AuditQuery>) -> Result<Markup, UiError> {
    let rows = service.audit_log(&session.actor, AUDIT_WINDOW).await?;
    let matches = |field: &str, wanted: &str| wanted.is_empty() || field.contains(wanted.trim());
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| matches(&r.actor, &q.actor) && matches(&r.action, &q.action) && matches(&r.target, &q.target))
        .collect();
    let pages = rows.len().div_ceil(AUDIT_PAGE).max(1);
    let page_number = q.page.unwrap_or(1).clamp(1, pages);
    let shown = rows.iter().skip((page_number - 1) * AUDIT_PAGE).take(AUDIT_PAGE);
    let link = |n: usize| {
        let query = serde_urlencoded::to_string([
            ("actor", q.actor.as_str()),
            ("action", q.action.as_str()),
            ("target", q.target.as_str()),
            ("page", &n.to_string()),
        ])
        .unwrap_or_default();
        format!("/ui/audit?{query}")
    };
    Ok(page(
        &session,
        "Audit log",
        html! {
            form .filters method="get" action="/ui/audit" role="search" {
                label { "Actor " input name="actor" value=(q.actor) size="12"; }
                label { "Action " input name="action" value=(q.action) placeholder="connector.grant" size="16"; }
                label { "Target " input name="target" value=(q.target) size="16"; }
                button type="submit" { "Filter" }
            }
            table {
                thead { tr { th scope="col" { "When" } th scope="col" { "Actor" } th scope="col" { "Action" } th scope="col" { "Target" } th scope="col" { "Outcome" } th scope="col" { "Detail" } } }
                tbody {
                    @for r in shown {
                        tr { td { (time(r.at)) } td { (r.actor) } td { (r.action) } td { (r.target) } td { (r.outcome) } td { (r.detail) } }
                    }
                }
            }
            nav .pager aria-label="Audit pages" {
                @if page_number > 1 { a href=(link(page_number - 1)) rel="prev" { "Newer" } }
                span { "Page " (page_number) " of " (pages) " (" (rows.len()) " entries)" }
                @if page_number < pages { a href=(link(page_number + 1)) rel="next" { "Older" } }
            }
        },
    ))
}

pub async fn users(State(service): Svc, session: Session) -> Result<Markup, UiError> {
    users_page(&service, &session, None).await
}

async fn users_page(service: &Service, session: &Session, created: Option<(&str, &str)>) -> Result<Markup, UiError> {
    let users = service.list_users(&session.actor).await?;
    Ok(page(
        session,
        "Users",
        html! {
            @if let Some((name, token)) = created {
                (new_token(html! { "The API token of " code { (name) } " (shown once; hand it over safely):" }, token))
            }
            table {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Role" } th scope="col" { "Id" } th scope="col" { "Created" } th scope="col" { span .visually-hidden { "Actions" } } } }
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.name) } td { (u.role.as_str()) } td { code { (u.id) } } td { (time(u.created_at)) }
                            td { @if u.id != session.actor.user.id {
                                (action_button(session, &format!("/ui/users/{}/delete", segment(&u.name)), "Delete", Some("Delete this user and their tokens?")))
                            } }
                        }
                    }
                }
            }
            form method="post" action="/ui/users" {
                (csrf(session))
                fieldset {
                    legend { "New user" }
                    label for="user-name" { "Name" }
                    input #user-name name="name" required pattern="[A-Za-z0-9_.@-]{1,64}";
                    label for="user-role" { "Role" }
                    select #user-role name="role" {
                        option value="member" { "member: own connectors, granted ones" }
                        option value="consumer" { "consumer: credentials from granted connectors" }
                        option value="admin" { "admin: everything" }
                    }
                    button type="submit" { "Create" }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct UserForm {
    name: String,
    role: Role,
}

pub async fn create_user(State(service): Svc, posted: Posted<UserForm>) -> Result<Response, UiError> {
    let name = posted.form.name.trim();
    let created = service.create_user(&posted.session.actor, name, posted.form.role).await?;
    Ok(users_page(&service, &posted.session, Some((name, &created.token))).await?.into_response())
}

pub async fn delete_user(
    State(service): Svc,
    Path(user): Path<String>,
    posted: Posted<Empty>,
) -> Result<Redirect, UiError> {
    service.delete_user(&posted.session.actor, &user).await?;
    Ok(Redirect::to("/ui/users"))
}

pub async fn teams(State(service): Svc, session: Session) -> Result<Markup, UiError> {
    let teams = service.list_teams(&session.actor).await?;
    Ok(page(
        &session,
        "Teams",
        html! {
            p .hint { "Share a connector with a team from the connector's page (" code { "team:<name>" } ")." }
            table {
                thead { tr { th scope="col" { "Team" } th scope="col" { "Members" } th scope="col" { "Created" } } }
                tbody {
                    @for t in &teams {
                        tr { td { a href={ "/ui/teams/" (segment(&t.name)) } { (t.name) } } td { (t.members.join(", ")) } td { (time(t.created_at)) } }
                    }
                }
            }
            @if session.actor.is_admin() {
                form method="post" action="/ui/teams" {
                    (csrf(&session))
                    fieldset {
                        legend { "New team" }
                        label for="team-name" { "Name" }
                        input #team-name name="name" required pattern="[A-Za-z0-9_.@-]{1,64}";
                        button type="submit" { "Create" }
                    }
                }
            }
        },
    ))
}

pub async fn team(State(service): Svc, session: Session, Path(team): Path<String>) -> Result<Markup, UiError> {
    let team = service.describe_team(&session.actor, &team).await?;
    let path = format!("/ui/teams/{}", segment(&team.name));
    let admin = session.actor.is_admin();
    Ok(page(
        &session,
        &format!("Team {}", team.name),
        html! {
            table {
                thead { tr { th scope="col" { "Member" } th scope="col" { span .visually-hidden { "Actions" } } } }
                tbody {
                    @for m in &team.members {
                        tr { td { (m) } td { @if admin { (action_button(&session, &format!("{path}/members/{}/remove", segment(m)), "Remove", None)) } } }
                    }
                }
            }
            @if admin {
                form method="post" action={ (path) "/members" } {
                    (csrf(&session))
                    fieldset {
                        legend { "Add a member" }
                        label for="member-name" { "User name" }
                        input #member-name name="user" required;
                        button type="submit" { "Add" }
                    }
                }
                (action_button(&session, &format!("{path}/delete"), "Delete the team", Some("Delete this team? Its grants go with it.")))
            }
        },
    ))
}

pub async fn create_team(State(service): Svc, posted: Posted<TeamRequest>) -> Result<Redirect, UiError> {
    let team = service.create_team(&posted.session.actor, &posted.form).await?;
    Ok(Redirect::to(&format!("/ui/teams/{}", segment(&team.name))))
}

#[derive(Deserialize)]
pub struct MemberForm {
    user: String,
}

pub async fn add_member(
    State(service): Svc,
    Path(team): Path<String>,
    posted: Posted<MemberForm>,
) -> Result<Redirect, UiError> {
    let team = service.add_team_member(&posted.session.actor, &team, posted.form.user.trim()).await?;
    Ok(Redirect::to(&format!("/ui/teams/{}", segment(&team.name))))
}

pub async fn remove_member(
    State(service): Svc,
    Path((team, user)): Path<(String, String)>,
    posted: Posted<Empty>,
) -> Result<Redirect, UiError> {
    let team = service.remove_team_member(&posted.session.actor, &team, &user).await?;
    Ok(Redirect::to(&format!("/ui/teams/{}", segment(&team.name))))
}

pub async fn delete_team(
    State(service): Svc,
    Path(team): Path<String>,
    posted: Posted<Empty>,
) -> Result<Redirect, UiError> {
    service.delete_team(&posted.session.actor, &team).await?;
    Ok(Redirect::to("/ui/teams"))
}
