//! Users, API tokens and the bootstrap admin.

use super::input::check_name;
use super::{Actor, Service, ServiceError, error::not_found};
use crate::store::{Lookup, Role, TokenRow, UserRow};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A token as shown once, at creation.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct NewToken {
    pub user: UserRow,
    pub token_id: Option<String>,
    pub token: String,
}

/// A fresh random API token.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("alk_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// How tokens are stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Service {
    /// On an empty store, create the `admin` user with `token` (or a generated one, returned so
    /// it can be printed once).
    pub async fn bootstrap_admin(&self, token: Option<String>) -> Result<Option<String>, ServiceError> {
        if self.store.count_users().await? > 0 {
            return Ok(None);
        }
        let token = token.unwrap_or_else(new_token);
        if token.len() < 16 {
            return Err(ServiceError::Invalid("AIRLOCK_ADMIN_TOKEN must be at least 16 characters".into()));
        }
        self.store.create_user("admin", Role::Admin, &hash_token(&token)).await?;
        self.store.audit("system", "user.bootstrap", "admin", "ok", "").await?;
        Ok(Some(token))
    }

    /// The user a bearer token belongs to.
    pub async fn authenticate(&self, token: &str) -> Result<Actor, ServiceError> {
        let principal = self.store.user_by_token(&hash_token(token)).await?.ok_or(ServiceError::Unauthenticated)?;
        Ok(Actor { user: principal.user, teams: principal.teams })
    }

    pub async fn create_user(&self, actor: &Actor, name: &str, role: Role) -> Result<NewToken, ServiceError> {
        actor.check_admin("manage users")?;
        check_name("user", name, 64)?;
        if self.store.user_by_name(name).await?.is_some() {
            return Err(ServiceError::Conflict(format!("a user named `{name}` already exists")));
        }
        let token = new_token();
        let user = self.store.create_user(name, role, &hash_token(&token)).await?;
        self.store.audit(actor.name(), "user.create", name, "ok", role.as_str()).await?;
        Ok(NewToken { user, token_id: None, token })
    }

    pub async fn list_users(&self, actor: &Actor) -> Result<Vec<UserRow>, ServiceError> {
        actor.check_admin("manage users")?;
        Ok(self.store.list_users().await?)
    }

    /// A user named by id or name (names never have the form of an id), or `None`.
    pub(crate) async fn user_lookup(&self, id_or_name: &str) -> Result<Option<UserRow>, ServiceError> {
        Ok(match Lookup::of(id_or_name) {
            Lookup::Id(id) => self.store.user_by_id(id).await?,
            Lookup::Name(name) => self.store.user_by_name(name).await?,
        })
    }

    /// Delete a user, addressed by id or by name (names never have the form of an id).
    pub async fn delete_user(&self, actor: &Actor, id_or_name: &str) -> Result<(), ServiceError> {
        actor.check_admin("manage users")?;
        let user = self.user_lookup(id_or_name).await?.ok_or_else(|| not_found("user", id_or_name))?;
        let name = user.name.as_str();
        if user.id == actor.user.id {
            return Err(ServiceError::Invalid("you cannot delete yourself".into()));
        }
        if self.store.list_connectors().await?.iter().any(|c| c.owner_id == user.id) {
            return Err(ServiceError::Conflict(format!(
                "`{name}` still owns connectors; delete them or transfer them to another owner first (`airlock connector transfer`)"
            )));
        }
        self.store.delete_user(&user.id).await?;
        self.store.audit(actor.name(), "user.delete", name, "ok", "").await?;
        Ok(())
    }

    /// A new token for the caller.
    pub async fn create_token(&self, actor: &Actor, name: &str) -> Result<NewToken, ServiceError> {
        check_name("token", name, 64)?;
        let token = new_token();
        let row = self.store.create_token(&actor.user.id, name, &hash_token(&token)).await?;
        self.store.audit(actor.name(), "token.create", name, "ok", "").await?;
        Ok(NewToken { user: actor.user.clone(), token_id: Some(row.id), token })
    }

    pub async fn list_tokens(&self, actor: &Actor) -> Result<Vec<TokenRow>, ServiceError> {
        Ok(self.store.list_tokens(&actor.user.id).await?)
    }

    pub async fn revoke_token(&self, actor: &Actor, id: &str) -> Result<(), ServiceError> {
        if !crate::store::is_id(id) || !self.store.delete_token(&actor.user.id, id).await? {
            return Err(not_found("token", id));
        }
        self.store.audit(actor.name(), "token.revoke", id, "ok", "").await?;
        Ok(())
    }

    pub async fn audit_log(&self, actor: &Actor, limit: i64) -> Result<Vec<crate::store::AuditRow>, ServiceError> {
        actor.check_admin("read the audit log")?;
        Ok(self.store.list_audit(limit.clamp(1, 10_000)).await?)
    }
}
