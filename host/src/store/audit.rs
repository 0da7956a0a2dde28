//! The audit trail: who did what to which target, and how it went. Details never hold secret
//! values (callers pass names and hashes only).

use super::{new_id, now, Store};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: String,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub detail: String,
}

impl Store {
    pub async fn audit(&self, actor: &str, action: &str, target: &str, outcome: &str, detail: &str) -> anyhow::Result<()> {
        sqlx::query("INSERT INTO audit (id, at, actor, action, target, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(new_id())
            .bind(now())
            .bind(actor)
            .bind(action)
            .bind(target)
            .bind(outcome)
            .bind(detail)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn list_audit(&self, limit: i64) -> anyhow::Result<Vec<AuditRow>> {
        let rows: Vec<(String, i64, String, String, String, String, String)> =
            sqlx::query_as("SELECT id, at, actor, action, target, outcome, detail FROM audit ORDER BY id DESC LIMIT $1")
                .bind(limit)
                .fetch_all(self.pool())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, at, actor, action, target, outcome, detail)| AuditRow { id, at, actor, action, target, outcome, detail })
            .collect())
    }
}
