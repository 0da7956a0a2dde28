//! The audit trail: who did what to which target, and how it went. Details never hold secret
//! values (callers pass names only).
//!
//! Audit rows and new leases — the writes of the hot paths — go through one writer task that
//! commits them in batches (group commit): each caller hands over its rows as one record (an
//! issuance's lease with its audit rows) and waits until that record is committed, so an
//! acknowledged action always has its audit rows and its lease, but a burst of requests share
//! one transaction instead of queueing for the database's write lock.

use super::leases::LeaseRow;
use super::{Store, new_id, now};
use serde::{Deserialize, Serialize};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool};
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

/// One caller's rows for the writer: committed together, all or none.
pub(crate) struct Record {
    audits: Vec<AuditRow>,
    lease: Option<LeaseRow>,
}

impl Record {
    fn rows(&self) -> usize {
        self.audits.len() + usize::from(self.lease.is_some())
    }
}

type Pending = (Record, oneshot::Sender<Result<(), String>>);

/// A handle on the writer task.
#[derive(Clone)]
pub(crate) struct AuditWriter {
    queue: mpsc::Sender<Pending>,
}

impl AuditWriter {
    /// Start the writer task on `pool`. On SQLite the writer keeps one connection for itself:
    /// the database's only busy writer, its page cache stays valid from one commit to the next.
    pub(crate) fn start(pool: AnyPool, sqlite: bool) -> Self {
        let (queue, mut rows) = mpsc::channel::<Pending>(4096);
        tokio::spawn(async move {
            let mut held = None;
            while let Some(first) = rows.recv().await {
                let mut queued = first.0.rows();
                let mut batch = vec![first];
                while queued < BATCH {
                    match rows.try_recv() {
                        Ok(next) => {
                            queued += next.0.rows();
                            batch.push(next);
                        }
                        Err(_) => break,
                    }
                }
                let result = commit(&pool, &mut held, &batch, sqlite).await.map_err(|e| format!("{e:#}"));
                for (_, done) in batch {
                    let _ = done.send(result.clone());
                }
            }
        });
        AuditWriter { queue }
    }

    /// Queue `record` and wait until it is committed.
    async fn write(&self, record: Record, operation: &'static str) -> anyhow::Result<()> {
        let stopped = || anyhow::anyhow!("the audit writer stopped");
        let (done, committed) = oneshot::channel();
        self.queue.send((record, done)).await.map_err(|_| stopped())?;
        crate::metrics::store(operation, committed)
            .await
            .map_err(|_| stopped())?
            .map_err(|e| anyhow::anyhow!("writing to the store: {e}"))
    }
}

/// The batch committed at once, in one round trip to the database: its audit rows in one
/// multi-row insert and its leases in another, made one transaction (on SQLite the two
/// statements run between `BEGIN IMMEDIATE` and `COMMIT` in one execution; on PostgreSQL the
/// audit insert is a data-modifying `WITH` of the lease insert, a single atomic statement).
///
/// On SQLite the connection is kept in `held` for the next commit; otherwise it goes back to
/// the pool.
async fn commit(
    pool: &AnyPool,
    held: &mut Option<PoolConnection<Any>>,
    batch: &[Pending],
    sqlite: bool,
) -> anyhow::Result<()> {
    let audits: Vec<&AuditRow> = batch.iter().flat_map(|(record, _)| &record.audits).collect();
    let leases: Vec<&LeaseRow> = batch.iter().filter_map(|(record, _)| record.lease.as_ref()).collect();
    let sql = batch_sql(audits.len(), leases.len(), sqlite);
    let mut query = sqlx::query(&sql);
    for row in audits {
        query = query
            .bind(&row.id)
            .bind(row.at)
            .bind(&row.actor)
            .bind(&row.action)
            .bind(&row.target)
            .bind(&row.outcome)
            .bind(&row.detail);
    }
    for row in leases {
        query = super::leases::bind(query, row);
    }
    let mut connection = Unfinished(Some(match held.take() {
        Some(connection) => connection,
        None => pool.acquire().await?,
    }));
    if let Some(open) = connection.0.as_mut() {
        query.execute(&mut **open).await?;
    }
    let finished = connection.finished();
    if sqlite {
        *held = Some(finished);
    }
    Ok(())
}

/// A connection running a commit. Unless the commit finished (a statement failed after
/// `BEGIN`, or the commit was dropped mid-way), the connection may hold an open transaction: it
/// is closed, which rolls that back, instead of going back to the pool.
struct Unfinished(Option<PoolConnection<Any>>);

impl Unfinished {
    /// The commit finished: the connection is the caller's again.
    fn finished(mut self) -> PoolConnection<Any> {
        self.0.take().expect("a commit's connection is taken once")
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if let Some(connection) = self.0.as_mut() {
            connection.close_on_drop();
        }
    }
}

/// Audit row values per row.
const AUDIT_WIDTH: usize = 7;

/// The SQL committing `audits` audit rows and `leases` leases (at least one of either).
fn batch_sql(audits: usize, leases: usize, sqlite: bool) -> String {
    let audit_insert = format!(
        "INSERT INTO audit (id, at, actor, action, target, outcome, detail) VALUES {}",
        placeholders(0, audits, AUDIT_WIDTH)
    );
    let lease_insert = format!(
        "INSERT INTO leases ({}) VALUES {}",
        super::leases::COLUMNS,
        placeholders(audits * AUDIT_WIDTH, leases, super::leases::INSERT_WIDTH)
    );
    match (audits, leases) {
        (_, 0) => audit_insert,
        (0, _) => lease_insert,
        _ if sqlite => format!("BEGIN IMMEDIATE; {audit_insert}; {lease_insert}; COMMIT"),
        _ => format!("WITH audit_rows AS ({audit_insert}) {lease_insert}"),
    }
}

/// `($first+1, …), (…)`: `rows` tuples of `width` numbered parameters after `first`.
fn placeholders(first: usize, rows: usize, width: usize) -> String {
    (0..rows)
        .map(|row| {
            let numbers: Vec<String> = (1..=width).map(|i| format!("${}", first + row * width + i)).collect();
            format!("({})", numbers.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
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
        self.audit.write(Record { audits, lease }, operation).await
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

#[cfg(test)]
mod tests {
    use super::{AuditRow, LeaseRow, Pending, Record, commit};
    use crate::store::{Store, new_id};
    use crate::vault::Sealed;
    use std::time::Duration;

    fn audit_row(detail: &str) -> Pending {
        let row = AuditRow {
            id: new_id(),
            at: 1,
            actor: "tester".into(),
            action: "client.issue".into(),
            target: "c".into(),
            outcome: "minted".into(),
            detail: detail.into(),
        };
        (Record { audits: vec![row], lease: None }, tokio::sync::oneshot::channel().0)
    }

    fn lease_row(connector_id: &str, scope: &str) -> Pending {
        let row = LeaseRow {
            id: new_id(),
            connector_id: connector_id.into(),
            user_id: "u1".into(),
            resource_type: "aws-generic".into(),
            resource_id: None,
            scope: scope.into(),
            expires_at: 2,
            credential_expires_at: Some(2),
            revoked: false,
            sealed: Sealed { key_id: "k".into(), sealed: "s".into() },
            created_at: 1,
        };
        (Record { audits: Vec::new(), lease: Some(row) }, tokio::sync::oneshot::channel().0)
    }

    async fn count(store: &Store, table: &str, key: &str) -> i64 {
        let sql = match table {
            "audit" => "SELECT COUNT(*) FROM audit WHERE detail = $1",
            _ => "SELECT COUNT(*) FROM leases WHERE scope = $1",
        };
        sqlx::query_scalar(sql).bind(key).fetch_one(store.pool()).await.unwrap()
    }

    /// A batch of audit rows and leases commits in one go, all or nothing: a lease the
    /// database refuses takes its batch's audit rows with it, a commit dropped at any point
    /// commits whole or not at all, and no connection is handed out again with its transaction
    /// open.
    async fn a_batch_commits_whole_or_not_at_all(url: &str, sqlite: bool) {
        let store = Store::connect(url).await.unwrap();
        sqlx::query("INSERT INTO users (id, name, role, created_at) VALUES ('u1', 'owner', 'member', 1)")
            .execute(store.pool())
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO connectors (id, name, connector_type, auth_method, config, description, labels, owner_id, \
             shared, created_at, updated_at) VALUES ('c1', 'c', 'aws', 'session-token', '{}', '', '{}', 'u1', 0, 1, 2)",
        )
        .execute(store.pool())
        .await
        .unwrap();

        // One connection slot across the commits, as the writer keeps it.
        let mut held = None;
        let whole = [audit_row("whole"), lease_row("c1", "whole"), audit_row("whole"), lease_row("c1", "whole")];
        commit(store.pool(), &mut held, &whole, sqlite).await.unwrap();
        assert_eq!(count(&store, "audit", "whole").await, 2);
        assert_eq!(count(&store, "leases", "whole").await, 2);

        let refused = [audit_row("refused"), lease_row("c1", "refused"), lease_row("no-such-connector", "refused")];
        commit(store.pool(), &mut held, &refused, sqlite)
            .await
            .expect_err("a lease of an unknown connector is refused");
        assert_eq!(count(&store, "audit", "refused").await, 0, "the failed batch's audit row was rolled back");
        assert_eq!(count(&store, "leases", "refused").await, 0, "and so was its valid lease");

        // Commits dropped after 0, 10, 20, … µs: each batch is in the database whole or not at all.
        for i in 0..40u64 {
            let key = format!("dropped-{i}");
            let batch = [audit_row(&key), lease_row("c1", &key)];
            let _ =
                tokio::time::timeout(Duration::from_micros(i * 10), commit(store.pool(), &mut held, &batch, sqlite))
                    .await;
        }
        // Every pooled connection commits what it writes (none is stuck in an open transaction).
        for _ in 0..16 {
            commit(store.pool(), &mut held, &[audit_row("after"), lease_row("c1", "after")], sqlite).await.unwrap();
        }
        let reopened = Store::connect(url).await.unwrap();
        assert_eq!(count(&reopened, "audit", "after").await, 16);
        for i in 0..40u64 {
            let key = format!("dropped-{i}");
            let (audits, leases) = (count(&reopened, "audit", &key).await, count(&reopened, "leases", &key).await);
            assert_eq!(audits, leases, "batch {i} was committed in part");
        }
    }

    #[tokio::test]
    async fn a_batch_commits_whole_or_not_at_all_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        a_batch_commits_whole_or_not_at_all(&Store::sqlite_url(dir.path()), true).await;
    }

    #[tokio::test]
    async fn a_batch_commits_whole_or_not_at_all_on_postgres() {
        sqlx::any::install_default_drivers();
        let name = format!("airlock_unit_{}", new_id().replace('-', ""));
        let admin = sqlx::AnyPool::connect("postgres://postgres@127.0.0.1:5432/postgres").await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.unwrap();
        a_batch_commits_whole_or_not_at_all(&format!("postgres://postgres@127.0.0.1:5432/{name}"), false).await;
    }
}
