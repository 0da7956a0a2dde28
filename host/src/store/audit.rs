//! The audit trail: who did what to which target, and how it went. Details never hold secret
//! values (callers pass names only).
//!
//! Audit rows and new leases — the writes of the hot paths — go through one writer task that
//! commits them in batches (group commit): each caller still waits until its own row is
//! committed, so an acknowledged action always has its audit row and its lease, but a burst of
//! requests (and the lease and audit rows of one issuance) share one transaction instead of
//! queueing for the database's write lock.

use super::leases::LeaseRow;
use super::{Store, new_id, now};
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

/// Rows committed together at most.
const BATCH: usize = 64;

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

/// A row for the writer.
pub(crate) enum Write {
    Audit(AuditRow),
    Lease(Box<LeaseRow>),
}

type Pending = (Write, oneshot::Sender<Result<(), String>>);

/// A handle on the writer task.
#[derive(Clone)]
pub(crate) struct AuditWriter {
    queue: mpsc::Sender<Pending>,
}

impl AuditWriter {
    /// Start the writer task on `pool`.
    pub(crate) fn start(pool: AnyPool) -> Self {
        let (queue, mut rows) = mpsc::channel::<Pending>(4096);
        tokio::spawn(async move {
            while let Some(first) = rows.recv().await {
                let mut batch = vec![first];
                while batch.len() < BATCH {
                    match rows.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let result = commit(&pool, &batch).await.map_err(|e| format!("{e:#}"));
                for (_, done) in batch {
                    let _ = done.send(result.clone());
                }
            }
        });
        AuditWriter { queue }
    }

    /// Queue `write` and wait until it is committed.
    pub(crate) async fn write(&self, write: Write, operation: &'static str) -> anyhow::Result<()> {
        let stopped = || anyhow::anyhow!("the audit writer stopped");
        let (done, committed) = oneshot::channel();
        self.queue.send((write, done)).await.map_err(|_| stopped())?;
        crate::metrics::store(operation, committed)
            .await
            .map_err(|_| stopped())?
            .map_err(|e| anyhow::anyhow!("writing to the store: {e}"))
    }
}

/// The batch committed at once: its audit rows in one multi-row insert, then its leases. A
/// batch of audit rows only (lease reuse, most verbs) is that one statement, which is its own
/// transaction: one round trip to the database instead of three.
async fn commit(pool: &AnyPool, batch: &[Pending]) -> anyhow::Result<()> {
    let audits: Vec<&AuditRow> = batch
        .iter()
        .filter_map(|(write, _)| match write {
            Write::Audit(row) => Some(row),
            Write::Lease(_) => None,
        })
        .collect();
    if audits.len() == batch.len() {
        let mut connection = pool.acquire().await?;
        return insert(&mut connection, audits.into_iter()).await;
    }
    let mut tx = pool.begin().await?;
    if !audits.is_empty() {
        insert(&mut tx, audits.into_iter()).await?;
    }
    for (write, _) in batch {
        if let Write::Lease(lease) = write {
            super::leases::insert(&mut tx, lease).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// One multi-row insert for the audit rows of a batch.
async fn insert<'a>(
    connection: &mut sqlx::AnyConnection,
    rows: impl ExactSizeIterator<Item = &'a AuditRow>,
) -> anyhow::Result<()> {
    let placeholders: Vec<String> = (0..rows.len())
        .map(|i| {
            format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                i * 7 + 1,
                i * 7 + 2,
                i * 7 + 3,
                i * 7 + 4,
                i * 7 + 5,
                i * 7 + 6,
                i * 7 + 7
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO audit (id, at, actor, action, target, outcome, detail) VALUES {}",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for row in rows {
        query = query
            .bind(&row.id)
            .bind(row.at)
            .bind(&row.actor)
            .bind(&row.action)
            .bind(&row.target)
            .bind(&row.outcome)
            .bind(&row.detail);
    }
    query.execute(connection).await?;
    Ok(())
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
        let row = AuditRow {
            id: new_id(),
            at: now(),
            actor: storable(actor),
            action: storable(action),
            target: storable(target),
            outcome: storable(outcome),
            detail: storable(detail),
        };
        self.audit.write(Write::Audit(row), "audit").await
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
