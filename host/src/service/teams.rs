//! Teams: admins create them and choose their members; members see them (to share with them).

use super::input::check_name;
use super::{Actor, Service, ServiceError};
use crate::store::{Lookup, Role, TeamRow};
use serde::{Deserialize, Serialize};

/// A team as callers see it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TeamView {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    /// Member user names.
    pub members: Vec<String>,
}

/// A new team.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamRequest {
    /// 1-64 letters, digits, `-_.@`.
    #[schema(pattern = "^[A-Za-z0-9_.@-]{1,64}$")]
    pub name: String,
}

impl Service {
    pub async fn create_team(&self, actor: &Actor, request: &TeamRequest) -> Result<TeamView, ServiceError> {
        actor.check_admin("manage teams")?;
        check_name("team", &request.name, 64)?;
        if self.store.team(Lookup::Name(&request.name)).await?.is_some() {
            return Err(ServiceError::Conflict(format!("a team named `{}` already exists", request.name)));
        }
        let team =
            self.store.create_team(&request.name).await.map_err(|e| {
                match super::connectors::is_unique_violation(&e) {
                    true => ServiceError::Conflict(format!("a team named `{}` already exists", request.name)),
                    false => ServiceError::Internal(e),
                }
            })?;
        self.store.audit(actor.name(), "team.create", &team.name, "ok", "").await?;
        self.team_view(team).await
    }

    /// Every team (admins and members; consumers see none).
    pub async fn list_teams(&self, actor: &Actor) -> Result<Vec<TeamView>, ServiceError> {
        if actor.user.role == Role::Consumer {
            return Err(ServiceError::Forbidden("consumers may not list teams".into()));
        }
        let names = self.names().await?;
        Ok(self.store.list_teams().await?.into_iter().map(|t| view(t, &names)).collect())
    }

    pub async fn describe_team(&self, actor: &Actor, team: &str) -> Result<TeamView, ServiceError> {
        if actor.user.role == Role::Consumer {
            return Err(ServiceError::Forbidden("consumers may not list teams".into()));
        }
        let team = self.existing_team(team).await?;
        self.team_view(team).await
    }

    /// Delete a team; the grants naming it go with it.
    pub async fn delete_team(&self, actor: &Actor, team: &str) -> Result<(), ServiceError> {
        actor.check_admin("manage teams")?;
        let team = self.existing_team(team).await?;
        self.store.delete_team(&team.id).await?;
        self.store.audit(actor.name(), "team.delete", &team.name, "ok", "").await?;
        Ok(())
    }

    pub async fn add_team_member(&self, actor: &Actor, team: &str, user: &str) -> Result<TeamView, ServiceError> {
        actor.check_admin("manage teams")?;
        let team = self.existing_team(team).await?;
        let user = self.member(user).await?;
        self.store.add_team_member(&team.id, &user.id).await?;
        self.store.audit(actor.name(), "team.add", &team.name, "ok", &user.name).await?;
        self.team_view(self.existing_team(&team.id).await?).await
    }

    pub async fn remove_team_member(&self, actor: &Actor, team: &str, user: &str) -> Result<TeamView, ServiceError> {
        actor.check_admin("manage teams")?;
        let team = self.existing_team(team).await?;
        let user = self.member(user).await?;
        if !self.store.remove_team_member(&team.id, &user.id).await? {
            return Err(ServiceError::NotFound(format!("`{}` is not in the team `{}`", user.name, team.name)));
        }
        self.store.audit(actor.name(), "team.remove", &team.name, "ok", &user.name).await?;
        self.team_view(self.existing_team(&team.id).await?).await
    }

    /// A user the request names in its path: unknown is 404.
    async fn member(&self, id_or_name: &str) -> Result<crate::store::UserRow, ServiceError> {
        match self.user_named(id_or_name).await {
            Err(ServiceError::Invalid(_)) => Err(super::error::not_found("user", &super::input::printable(id_or_name))),
            found => found,
        }
    }

    /// A team the request names in its path: unknown is 404.
    async fn existing_team(&self, id_or_name: &str) -> Result<TeamRow, ServiceError> {
        self.store
            .team(Lookup::of(id_or_name))
            .await?
            .ok_or_else(|| super::error::not_found("team", &super::input::printable(id_or_name)))
    }

    async fn team_view(&self, team: TeamRow) -> Result<TeamView, ServiceError> {
        Ok(view(team, &self.names().await?))
    }
}

fn view(team: TeamRow, names: &super::sharing::Names) -> TeamView {
    let mut members: Vec<String> = team.members.iter().map(|id| names.user(id).to_string()).collect();
    members.sort();
    TeamView { id: team.id, name: team.name, created_at: team.created_at, members }
}
