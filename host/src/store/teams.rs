//! Teams: admin-managed groups of users that grants can name.

use super::{Store, new_id, now};
use serde::Serialize;

/// A team and the ids of its members.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    /// Member user ids.
    pub members: Vec<String>,
}

impl Store {
    pub async fn create_team(&self, name: &str) -> anyhow::Result<TeamRow> {
        let _emptied = self.cache.empty_on_exit();
        let row = TeamRow { id: new_id(), name: name.into(), created_at: now(), members: Vec::new() };
        sqlx::query("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&row.id)
            .bind(&row.name)
            .bind(row.created_at)
            .execute(self.pool())
            .await?;
        Ok(row)
    }

    /// Every team with its members, by name.
    pub async fn list_teams(&self) -> anyhow::Result<Vec<TeamRow>> {
        let teams: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT id, name, created_at FROM teams ORDER BY name").fetch_all(self.pool()).await?;
        let members: Vec<(String, String)> =
            sqlx::query_as("SELECT team_id, user_id FROM team_members ORDER BY user_id").fetch_all(self.pool()).await?;
        Ok(teams
            .into_iter()
            .map(|(id, name, created_at)| {
                let members = members.iter().filter(|(t, _)| *t == id).map(|(_, u)| u.clone()).collect();
                TeamRow { id, name, created_at, members }
            })
            .collect())
    }

    /// A team by id or by name.
    pub async fn team(&self, lookup: super::Lookup<'_>) -> anyhow::Result<Option<TeamRow>> {
        Ok(self.list_teams().await?.into_iter().find(|t| match lookup {
            super::Lookup::Id(id) => t.id == id,
            super::Lookup::Name(name) => t.name == name,
        }))
    }

    /// Delete a team, its memberships and the grants naming it, in one transaction; its members'
    /// leases on connectors granted to it are revoked.
    pub async fn delete_team(&self, id: &str) -> anyhow::Result<bool> {
        let _emptied = self.cache.empty_on_exit();
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "UPDATE leases SET revoked = 1 WHERE user_id IN (SELECT user_id FROM team_members WHERE team_id = $1)
             AND connector_id IN (SELECT connector_id FROM grants WHERE grantee_kind = 'team' AND grantee_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        super::grants::drop_grants_to(&mut tx, "team", id).await?;
        sqlx::query("DELETE FROM team_members WHERE team_id = $1").bind(id).execute(&mut *tx).await?;
        let done = sqlx::query("DELETE FROM teams WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Add a member (no change if they already are one, even when two adds race).
    pub async fn add_team_member(&self, team_id: &str, user_id: &str) -> anyhow::Result<()> {
        let _emptied = self.cache.empty_on_exit();
        sqlx::query("INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(team_id)
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Remove a member, revoking their leases on connectors granted to the team; false if they
    /// were not one.
    pub async fn remove_team_member(&self, team_id: &str, user_id: &str) -> anyhow::Result<bool> {
        let _emptied = self.cache.empty_on_exit();
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
            .bind(team_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE leases SET revoked = 1 WHERE user_id = $2
             AND connector_id IN (SELECT connector_id FROM grants WHERE grantee_kind = 'team' AND grantee_id = $1)",
        )
        .bind(team_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}
