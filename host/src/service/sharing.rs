//! Sharing: grants of `use` or `manage` on a connector to a user, a team or everyone, and
//! handing a connector to another owner. Only its owner or an admin shares; every change is
//! audited and checked against the connector's version, so concurrent changes are not lost.

use super::access::Verb;
use super::{Actor, Service, ServiceError};
use crate::store::{ConnectorRow, Grant, Grantee, Level, Lookup, Role, TeamRow, UserRow};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Attempts at a grant change that keeps meeting another change to the same connector.
const ATTEMPTS: usize = 8;

/// A grant as callers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GrantView {
    /// `user:<name>`, `team:<name>` or `everyone`.
    pub grantee: String,
    pub level: Level,
}

/// A grant to set.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    /// `user:<name or id>`, `team:<name or id>` or `everyone`.
    pub grantee: String,
    /// `use` (see, list resources, obtain credentials) or `manage` (also verify, update, delete).
    pub level: Level,
}

/// A new owner.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// The new owner's user name or id (an admin or a member).
    pub owner: String,
}

/// User and team names by id, to show grants.
pub(crate) struct Names {
    users: BTreeMap<String, String>,
    teams: BTreeMap<String, String>,
}

impl Names {
    pub(crate) fn of(users: &[UserRow], teams: &[TeamRow]) -> Names {
        Names {
            users: users.iter().map(|u| (u.id.clone(), u.name.clone())).collect(),
            teams: teams.iter().map(|t| (t.id.clone(), t.name.clone())).collect(),
        }
    }

    pub(crate) fn user(&self, id: &str) -> &str {
        self.users.get(id).map_or("", String::as_str)
    }

    fn grantee(&self, grantee: &Grantee) -> String {
        match grantee {
            Grantee::User(id) => format!("user:{}", self.users.get(id).unwrap_or(id)),
            Grantee::Team(id) => format!("team:{}", self.teams.get(id).unwrap_or(id)),
            Grantee::Everyone => "everyone".into(),
        }
    }

    /// A connector's grants as the caller may see them: all of them for whoever may manage
    /// it, none for others.
    pub(crate) fn grants(&self, actor: &Actor, row: &ConnectorRow) -> Vec<GrantView> {
        if !actor.may(Verb::Manage, row) {
            return Vec::new();
        }
        row.grants.iter().map(|g| GrantView { grantee: self.grantee(&g.grantee), level: g.level }).collect()
    }
}

impl Service {
    /// Every user and team name by id.
    pub(crate) async fn names(&self) -> Result<Names, ServiceError> {
        Ok(Names::of(&self.store.list_users().await?, &self.store.list_teams().await?))
    }

    /// The names these connectors' views show: their owners and grantees. One connector with
    /// no grants to others (the common describe) costs one user lookup, not a listing.
    pub(crate) async fn names_for(&self, rows: &[&ConnectorRow]) -> Result<Names, ServiceError> {
        let mut users: BTreeSet<&str> = rows.iter().map(|r| r.owner_id.as_str()).collect();
        let mut teams = false;
        for grant in rows.iter().flat_map(|r| &r.grants) {
            match &grant.grantee {
                Grantee::User(id) => {
                    users.insert(id);
                }
                Grantee::Team(_) => teams = true,
                Grantee::Everyone => {}
            }
        }
        let users = match users.iter().collect::<Vec<_>>().as_slice() {
            [] => Vec::new(),
            [only] => self.store.user_by_id(only).await?.into_iter().collect(),
            _ => self.store.list_users().await?,
        };
        let teams = if teams { self.store.list_teams().await? } else { Vec::new() };
        Ok(Names::of(&users, &teams))
    }

    /// A connector's grants (for whoever may manage it).
    pub async fn list_grants(&self, actor: &Actor, connector: &str) -> Result<Vec<GrantView>, ServiceError> {
        let row = self.connector(actor, Verb::Manage, connector).await?;
        Ok(self.names_for(&[&row]).await?.grants(actor, &row))
    }

    /// Grant `level` on a connector to a grantee (replacing the level it had).
    pub async fn grant(
        &self,
        actor: &Actor,
        connector: &str,
        request: &GrantRequest,
    ) -> Result<Vec<GrantView>, ServiceError> {
        let grantee = self.grantee(&request.grantee).await?;
        let detail = format!("{} {}", request.grantee, request.level.as_str());
        self.change_access(actor, connector, "connector.grant", &detail, false, |row| {
            if grantee == Grantee::User(row.owner_id.clone()) {
                return Err(ServiceError::Invalid(format!("`{}` owns `{}` already", request.grantee, row.name)));
            }
            row.grants.retain(|g| g.grantee != grantee);
            row.grants.push(Grant { grantee: grantee.clone(), level: request.level });
            row.grants.sort_by(|a, b| a.grantee.cmp(&b.grantee));
            Ok(())
        })
        .await
    }

    /// Take back what a grantee was granted on a connector.
    pub async fn revoke_grant(
        &self,
        actor: &Actor,
        connector: &str,
        grantee_text: &str,
    ) -> Result<Vec<GrantView>, ServiceError> {
        let grantee = self.grantee(grantee_text).await?;
        self.change_access(actor, connector, "connector.revoke", grantee_text, true, |row| {
            let before = row.grants.len();
            row.grants.retain(|g| g.grantee != grantee);
            match row.grants.len() < before {
                true => Ok(()),
                false => Err(ServiceError::NotFound(format!("`{grantee_text}` holds no grant on `{}`", row.name))),
            }
        })
        .await
    }

    /// Hand a connector to another owner (an admin or a member). The previous owner keeps no
    /// access unless a grant gives it.
    pub async fn transfer(
        &self,
        actor: &Actor,
        connector: &str,
        request: &TransferRequest,
    ) -> Result<Vec<GrantView>, ServiceError> {
        let owner = self.user_named(&request.owner).await?;
        if owner.role == Role::Consumer {
            return Err(ServiceError::Invalid(format!(
                "`{}` is a consumer; consumers cannot own connectors",
                owner.name
            )));
        }
        let detail = format!("to {}", owner.name);
        self.change_access(actor, connector, "connector.transfer", &detail, true, |row| {
            row.owner_id = owner.id.clone();
            // The owner needs no grant of their own.
            row.grants.retain(|g| g.grantee != Grantee::User(owner.id.clone()));
            Ok(())
        })
        .await
    }

    /// Apply `change` to a connector's owner and grants, retrying when another change to the
    /// same connector came first; audited as `action`. A `narrowing` change also revokes the
    /// leases of everyone but the owner.
    async fn change_access(
        &self,
        actor: &Actor,
        connector: &str,
        action: &str,
        detail: &str,
        narrowing: bool,
        change: impl Fn(&mut ConnectorRow) -> Result<(), ServiceError>,
    ) -> Result<Vec<GrantView>, ServiceError> {
        for _ in 0..ATTEMPTS {
            let mut row = self.connector(actor, Verb::Share, connector).await?;
            change(&mut row)?;
            if self.store.set_access(&row.id, row.version, &row.owner_id, &row.grants, narrowing).await? {
                self.store.audit(actor.name(), action, &row.name, "ok", detail).await?;
                let row = self.store.get_connector(Lookup::Id(&row.id)).await?.unwrap_or(row);
                return Ok(self.names_for(&[&row]).await?.grants(actor, &row));
            }
        }
        Err(ServiceError::Conflict(format!("the connector `{connector}` kept changing; try again")))
    }

    /// A grantee named as `user:<name or id>`, `team:<name or id>` or `everyone`.
    async fn grantee(&self, text: &str) -> Result<Grantee, ServiceError> {
        match text.split_once(':') {
            _ if text == "everyone" => Ok(Grantee::Everyone),
            Some(("user", user)) => Ok(Grantee::User(self.user_named(user).await?.id)),
            Some(("team", team)) => Ok(Grantee::Team(self.team_named(team).await?.id)),
            _ => Err(ServiceError::Invalid(format!(
                "`{}` is not a grantee: write `user:<name>`, `team:<name>` or `everyone`",
                super::input::printable(text)
            ))),
        }
    }

    /// A user by name or id; an unknown one is the request's mistake.
    pub(crate) async fn user_named(&self, id_or_name: &str) -> Result<UserRow, ServiceError> {
        if id_or_name.len() > 128 || id_or_name.chars().any(char::is_control) {
            return Err(ServiceError::Invalid(format!("`{}` is not a user name", super::input::printable(id_or_name))));
        }
        self.user_lookup(id_or_name)
            .await?
            .ok_or_else(|| ServiceError::Invalid(format!("there is no user `{}`", super::input::printable(id_or_name))))
    }

    /// A team by name or id; an unknown one is the request's mistake.
    pub(crate) async fn team_named(&self, id_or_name: &str) -> Result<TeamRow, ServiceError> {
        self.store
            .team(Lookup::of(id_or_name))
            .await?
            .ok_or_else(|| ServiceError::Invalid(format!("there is no team `{}`", super::input::printable(id_or_name))))
    }
}
