//! Users and their API tokens (stored as SHA-256 hashes).

use super::{Store, new_id, now};
use serde::{Deserialize, Serialize};

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Plugins, users and every connector.
    Admin,
    /// Their own connectors, which they may share, and connectors granted to them.
    Member,
    /// Client credentials from connectors granted to them only (never more than `use`).
    Consumer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Consumer => "consumer",
        }
    }

    fn parse(s: &str) -> Role {
        match s {
            "admin" => Role::Admin,
            "member" => Role::Member,
            _ => Role::Consumer,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub created_at: i64,
}

/// A user with the ids of the teams they are in: what access checks need of a caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: UserRow,
    pub teams: Vec<String>,
}

type UserTuple = (String, String, String, i64);

fn user((id, name, role, created_at): UserTuple) -> UserRow {
    UserRow { id, name, role: Role::parse(&role), created_at }
}

impl Store {
    pub async fn count_users(&self) -> anyhow::Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(self.pool()).await?)
    }

    /// Create a user with a first token in one transaction.
    pub async fn create_user(&self, name: &str, role: Role, token_hash: &str) -> anyhow::Result<UserRow> {
        let _emptied = self.cache.empty_on_exit();
        let row = UserRow { id: new_id(), name: name.into(), role, created_at: now() };
        let mut tx = self.pool().begin().await?;
        sqlx::query("INSERT INTO users (id, name, role, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&row.id)
            .bind(&row.name)
            .bind(role.as_str())
            .bind(row.created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(new_id())
            .bind(&row.id)
            .bind("initial")
            .bind(token_hash)
            .bind(row.created_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// The user a token belongs to, with the teams they are in (one query: a row per team).
    pub async fn user_by_token(&self, token_hash: &str) -> anyhow::Result<Option<Principal>> {
        if let Some(principal) = self.cache.get(&self.cache.users, token_hash) {
            return Ok(Some(principal));
        }
        let generation = self.cache.generation();
        let rows: Vec<(String, String, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT u.id, u.name, u.role, u.created_at, m.team_id FROM users u JOIN tokens t ON t.user_id = u.id
             LEFT JOIN team_members m ON m.user_id = u.id WHERE t.token_hash = $1 ORDER BY m.team_id",
        )
        .bind(token_hash)
        .fetch_all(self.pool())
        .await?;
        let teams = rows.iter().filter_map(|r| r.4.clone()).collect();
        let Some((id, name, role, created_at, _)) = rows.into_iter().next() else {
            return Ok(None);
        };
        let principal = Principal { user: user((id, name, role, created_at)), teams };
        self.cache.put(&self.cache.users, token_hash.to_string(), principal.clone(), generation);
        Ok(Some(principal))
    }

    pub async fn user_by_name(&self, name: &str) -> anyhow::Result<Option<UserRow>> {
        let row: Option<UserTuple> = sqlx::query_as("SELECT id, name, role, created_at FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(user))
    }

    pub async fn user_by_id(&self, id: &str) -> anyhow::Result<Option<UserRow>> {
        let row: Option<UserTuple> = sqlx::query_as("SELECT id, name, role, created_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(user))
    }

    pub async fn list_users(&self) -> anyhow::Result<Vec<UserRow>> {
        let rows: Vec<UserTuple> =
            sqlx::query_as("SELECT id, name, role, created_at FROM users ORDER BY name").fetch_all(self.pool()).await?;
        Ok(rows.into_iter().map(user).collect())
    }

    /// Delete a user with their tokens, leases, team memberships and the grants naming them,
    /// in one transaction. Refused while they own connectors.
    pub async fn delete_user(&self, id: &str) -> anyhow::Result<bool> {
        let _emptied = self.cache.empty_on_exit();
        let mut tx = self.pool().begin().await?;
        super::grants::drop_grants_to(&mut tx, "user", id).await?;
        let done = sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn create_token(&self, user_id: &str, name: &str, token_hash: &str) -> anyhow::Result<TokenRow> {
        let _emptied = self.cache.empty_on_exit();
        let row = TokenRow { id: new_id(), user_id: user_id.into(), name: name.into(), created_at: now() };
        sqlx::query("INSERT INTO tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&row.id)
            .bind(&row.user_id)
            .bind(&row.name)
            .bind(token_hash)
            .bind(row.created_at)
            .execute(self.pool())
            .await?;
        Ok(row)
    }

    pub async fn list_tokens(&self, user_id: &str) -> anyhow::Result<Vec<TokenRow>> {
        let rows: Vec<(String, String, String, i64)> =
            sqlx::query_as("SELECT id, user_id, name, created_at FROM tokens WHERE user_id = $1 ORDER BY created_at")
                .bind(user_id)
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().map(|(id, user_id, name, created_at)| TokenRow { id, user_id, name, created_at }).collect())
    }

    pub async fn delete_token(&self, user_id: &str, id: &str) -> anyhow::Result<bool> {
        let _emptied = self.cache.empty_on_exit();
        let done = sqlx::query("DELETE FROM tokens WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
