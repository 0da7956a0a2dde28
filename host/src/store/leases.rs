//! Leases: one per issued client credential, with the credential sealed for reuse.

use super::{Store, now};
use crate::vault::Sealed;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LeaseRow {
    pub id: String,
    pub connector_id: String,
    pub user_id: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    /// Identifies (connector, requester, resource, lifetime) for reuse.
    #[serde(skip)]
    #[schema(ignore)]
    pub scope: String,
    /// Until when the credential may be handed out again.
    pub expires_at: i64,
    /// The credential's own expiry, if it has one.
    pub credential_expires_at: Option<i64>,
    pub revoked: bool,
    #[serde(skip)]
    #[schema(ignore)]
    pub sealed: Sealed,
    pub created_at: i64,
}

type LeaseTuple = (String, String, String, String, Option<String>, String, i64, Option<i64>, i64, String, String, i64);

/// A lease's columns, in the order [`lease`] reads and [`bind`] binds them.
pub(super) const COLUMNS: &str = "id, connector_id, user_id, resource_type, resource_id, scope, expires_at, credential_expires_at, revoked, key_id, sealed, created_at";

fn lease(t: LeaseTuple) -> LeaseRow {
    LeaseRow {
        id: t.0,
        connector_id: t.1,
        user_id: t.2,
        resource_type: t.3,
        resource_id: t.4,
        scope: t.5,
        expires_at: t.6,
        credential_expires_at: t.7,
        revoked: t.8 != 0,
        sealed: Sealed { key_id: t.9, sealed: t.10 },
        created_at: t.11,
    }
}

/// How many values [`bind`] binds per lease.
pub(super) const INSERT_WIDTH: usize = 12;

/// Bind one lease's values (in [`COLUMNS`] order) to PostgreSQL's writer's batch statement.
pub(super) fn bind<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    row: &'q LeaseRow,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(&row.id)
        .bind(&row.connector_id)
        .bind(&row.user_id)
        .bind(&row.resource_type)
        .bind(&row.resource_id)
        .bind(&row.scope)
        .bind(row.expires_at)
        .bind(row.credential_expires_at)
        .bind(row.revoked as i64)
        .bind(&row.sealed.key_id)
        .bind(&row.sealed.sealed)
        .bind(row.created_at)
}

impl Store {
    /// The newest unrevoked lease for `scope` still valid at `valid_until`.
    pub async fn reusable_lease(&self, scope: &str, valid_until: i64) -> anyhow::Result<Option<LeaseRow>> {
        if let Some(lease) = self.cache.get(&self.cache.leases, scope)
            && !lease.revoked
            && lease.expires_at > valid_until
        {
            return Ok(Some(lease));
        }
        let generation = self.cache.generation();
        let sql = format!(
            "SELECT {COLUMNS} FROM leases WHERE scope = $1 AND revoked = 0 AND expires_at > $2 ORDER BY expires_at DESC LIMIT 1"
        );
        let query = sqlx::query_as(&sql).bind(scope).bind(valid_until).fetch_optional(self.pool());
        let row: Option<LeaseTuple> = crate::metrics::store("reusable_lease", query).await?;
        let found = row.map(lease);
        if let Some(lease) = &found {
            self.cache.put(&self.cache.leases, scope.to_string(), lease.clone(), generation);
        }
        Ok(found)
    }

    /// Whether the store answers (a query that reads nothing).
    pub async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("SELECT 1").execute(self.pool()).await?;
        Ok(())
    }

    /// How many leases are neither revoked nor expired.
    pub async fn count_active_leases(&self) -> anyhow::Result<i64> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM leases WHERE revoked = 0 AND expires_at > $1")
            .bind(now())
            .fetch_one(self.pool())
            .await?;
        Ok(count)
    }

    /// Leases, newest first; only `user_id`'s when given.
    pub async fn list_leases(&self, user_id: Option<&str>) -> anyhow::Result<Vec<LeaseRow>> {
        let rows: Vec<LeaseTuple> = match user_id {
            Some(user) => {
                sqlx::query_as(&format!("SELECT {COLUMNS} FROM leases WHERE user_id = $1 ORDER BY created_at DESC"))
                    .bind(user)
                    .fetch_all(self.pool())
                    .await?
            }
            None => {
                sqlx::query_as(&format!("SELECT {COLUMNS} FROM leases ORDER BY created_at DESC"))
                    .fetch_all(self.pool())
                    .await?
            }
        };
        Ok(rows.into_iter().map(lease).collect())
    }

    pub async fn get_lease(&self, id: &str) -> anyhow::Result<Option<LeaseRow>> {
        let row: Option<LeaseTuple> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM leases WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(lease))
    }

    pub async fn revoke_lease(&self, id: &str) -> anyhow::Result<bool> {
        let _emptied = self.cache.leases_on_exit();
        let done = sqlx::query("UPDATE leases SET revoked = 1, expires_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
