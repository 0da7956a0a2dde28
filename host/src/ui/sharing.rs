//! The share, revoke and transfer forms of a connector's page.

use super::error::UiError;
use super::form::Posted;
use super::layout::segment;
use crate::service::{GrantRequest, Service, TransferRequest};
use crate::store::Level;
use axum::extract::{Path, State};
use axum::response::Redirect;
use serde::Deserialize;
use std::sync::Arc;

type Svc = State<Arc<Service>>;

#[derive(Deserialize)]
pub struct ShareForm {
    grantee: String,
    level: Level,
}

#[derive(Deserialize)]
pub struct UnshareForm {
    grantee: String,
}

#[derive(Deserialize)]
pub struct TransferForm {
    owner: String,
}

fn back_to(connector: &str) -> Redirect {
    Redirect::to(&format!("/ui/connectors/{}#grants", segment(connector)))
}

pub async fn share(
    State(s): Svc,
    Path(connector): Path<String>,
    posted: Posted<ShareForm>,
) -> Result<Redirect, UiError> {
    let request = GrantRequest { grantee: posted.form.grantee.trim().to_string(), level: posted.form.level };
    s.grant(&posted.session.actor, &connector, &request).await?;
    Ok(back_to(&connector))
}

pub async fn unshare(
    State(s): Svc,
    Path(connector): Path<String>,
    posted: Posted<UnshareForm>,
) -> Result<Redirect, UiError> {
    s.revoke_grant(&posted.session.actor, &connector, posted.form.grantee.trim()).await?;
    Ok(back_to(&connector))
}

/// After a transfer the previous owner may no longer see the connector: back to the list.
pub async fn transfer(
    State(s): Svc,
    Path(connector): Path<String>,
    posted: Posted<TransferForm>,
) -> Result<Redirect, UiError> {
    let request = TransferRequest { owner: posted.form.owner.trim().to_string() };
    s.transfer(&posted.session.actor, &connector, &request).await?;
    Ok(Redirect::to("/ui/connectors"))
}
