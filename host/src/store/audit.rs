//! The audit trail: who did what to which target, and how it went. Details never hold secret
//! values (callers pass names only).
//!
//! Rows are committed by the store's writer (see [`super::writer`]).

use super::leases::LeaseRow;
use super::writer::Record;
use super::{Store, new_id, now};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRow {
    pub id: String,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub detail: String,
}

/// An audit row's columns, in the order the writers bind them.
pub(super) const COLUMNS: &str = "id, at, actor, action, target, outcome, detail";

/// How many values a writer binds per audit row.
pub(super) const INSERT_WIDTH: usize = 7;

impl AuditRow {
    /// A row stamped now, its text made storable (see [`storable`]).
    pub fn new(actor: &str, action: &str, target: &str, outcome: &str, detail: &str) -> AuditRow {
        AuditRow {
            id: new_id(),
            at: now(),
            actor: storable(actor),
            action: storable(action),
            target: storable(target),
            outcome: storable(outcome),
            detail: storable(detail),
        }
    }
}

/// Audit text as every store can hold it: a NUL (which PostgreSQL refuses in text, and which
/// would fail the whole batch) becomes U+FFFD. Details may quote a plugin's own messages.
fn storable(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

impl Store {
    /// Record an action; returns once the row is committed.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        outcome: &str,
        detail: &str,
    ) -> anyhow::Result<()> {
        self.record(vec![AuditRow::new(actor, action, target, outcome, detail)], None).await
    }

    /// Commit `audits` and `lease` (an issuance's) in one transaction; returns once they are
    /// committed.
    pub async fn record(&self, audits: Vec<AuditRow>, lease: Option<LeaseRow>) -> anyhow::Result<()> {
        let _emptied = lease.is_some().then(|| self.cache.leases_on_exit());
        let operation = if lease.is_some() { "insert_lease" } else { "audit" };
        self.writer.write(Record { audits, lease }, operation).await
    }

    pub async fn list_audit(&self, limit: i64) -> anyhow::Result<Vec<AuditRow>> {
        let rows: Vec<(String, i64, String, String, String, String, String)> = sqlx::query_as(
            "SELECT id, at, actor, action, target, outcome, detail FROM audit ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, at, actor, action, target, outcome, detail)| AuditRow {
                id,
                at,
                actor,
                action,
                target,
                outcome,
                detail,
            })
            .collect())
    }
}
