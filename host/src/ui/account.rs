//! The caller's own things: leases of issued credentials (revocable) and API tokens.

use super::error::UiError;
use super::form::{Empty, Posted};
use super::layout::{action_button, csrf, new_token, page, segment, time};
use super::session::Session;
use crate::service::Service;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

type Svc = State<Arc<Service>>;

pub async fn leases(State(service): Svc, session: Session) -> Result<Markup, UiError> {
    let leases = service.list_leases(&session.actor).await?;
    let connectors: BTreeMap<String, String> = service
        .list_connectors(&session.actor, &Default::default())
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let now = crate::store::now();
    Ok(page(
        &session,
        "Leases",
        html! {
            p .hint { "Each issued credential is a lease; revoking one stops Airlock handing it out again." }
            @if leases.is_empty() { p { "No leases." } } @else {
                table {
                    thead { tr {
                        th scope="col" { "Lease" } th scope="col" { "Connector" } th scope="col" { "Resource" }
                        th scope="col" { "Expires" } th scope="col" { "State" } th scope="col" { span .visually-hidden { "Actions" } }
                    } }
                    tbody {
                        @for l in &leases {
                            tr {
                                td { code { (l.id) } }
                                td { (connectors.get(&l.connector_id).unwrap_or(&l.connector_id)) }
                                td { (l.resource_type) " " code { (l.resource_id.as_deref().unwrap_or("")) } }
                                td { (time(l.expires_at)) }
                                td { @if l.revoked { "revoked" } @else if l.expires_at <= now { "expired" } @else { "active" } }
                                td { @if !l.revoked && l.expires_at > now {
                                    (action_button(&session, &format!("/ui/leases/{}/revoke", segment(&l.id)), "Revoke", Some("Revoke this lease?")))
                                } }
                            }
                        }
                    }
                }
            }
        },
    ))
}

pub async fn revoke_lease(
    State(service): Svc,
    Path(lease): Path<String>,
    posted: Posted<Empty>,
) -> Result<Redirect, UiError> {
    service.revoke_lease(&posted.session.actor, &lease).await?;
    Ok(Redirect::to("/ui/leases"))
}

pub async fn tokens(State(service): Svc, session: Session) -> Result<Markup, UiError> {
    tokens_page(&service, &session, None).await
}

/// The caller's tokens; `created` is a token just made, shown this once.
async fn tokens_page(service: &Service, session: &Session, created: Option<(&str, &str)>) -> Result<Markup, UiError> {
    let tokens = service.list_tokens(&session.actor).await?;
    Ok(page(
        session,
        "API tokens",
        html! {
            @if let Some((name, token)) = created {
                (new_token(html! { "The token " code { (name) } " (shown once):" }, token))
            }
            table {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Id" } th scope="col" { "Created" } th scope="col" { span .visually-hidden { "Actions" } } } }
                tbody {
                    @for t in &tokens {
                        tr {
                            td { (t.name) } td { code { (t.id) } } td { (time(t.created_at)) }
                            td { (action_button(session, &format!("/ui/tokens/{}/revoke", segment(&t.id)), "Revoke", Some("Revoke this token? Sessions made with it end."))) }
                        }
                    }
                }
            }
            form method="post" action="/ui/tokens" {
                (csrf(session))
                fieldset {
                    legend { "New token" }
                    label for="token-name" { "Name" }
                    input #token-name name="name" required pattern="[A-Za-z0-9_.@-]{1,64}";
                    button type="submit" { "Create" }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
}

pub async fn create_token(State(service): Svc, posted: Posted<TokenForm>) -> Result<Response, UiError> {
    let created = service.create_token(&posted.session.actor, posted.form.name.trim()).await?;
    Ok(tokens_page(&service, &posted.session, Some((posted.form.name.trim(), &created.token))).await?.into_response())
}

pub async fn revoke_token(
    State(service): Svc,
    Path(token): Path<String>,
    posted: Posted<Empty>,
) -> Result<Redirect, UiError> {
    service.revoke_token(&posted.session.actor, &token).await?;
    Ok(Redirect::to("/ui/tokens"))
}
