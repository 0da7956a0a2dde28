//! SQLite's writer: a thread with a connection of its own, which commits each batch with
//! statements prepared once. A caller's wait is one hand-over to this thread and one back; going
//! through the pool would add a hop to a writer task and two to the pool connection's worker
//! thread, and SQLite has a single writer anyway.
//!
//! The writer checkpoints the log itself, when nothing is queued, rather than letting SQLite do
//! it inside whichever commit crosses its threshold: that commit (and everyone waiting for it)
//! would wait for the copy and the `fsync`s.

use super::{Pending, gather, report};
use crate::store::leases::COLUMNS;
use anyhow::Context;
use rusqlite::{Connection, TransactionBehavior, params};
use std::path::Path;
use tokio::sync::mpsc;

/// Rows committed after which the writer checkpoints the log as soon as nothing is queued.
const CHECKPOINT_WHEN_IDLE: usize = 32;
/// Rows committed after which it checkpoints even with records queued, so the log stays
/// bounded under any load (at an issuance's three rows and eight pages per commit, about
/// SQLite's own threshold of 1,000 pages).
const CHECKPOINT_AT_MOST: usize = 256;

const AUDIT_INSERT: &str =
    "INSERT INTO audit (id, at, actor, action, target, outcome, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// Open the database at `path` for writing and start the thread committing `records`.
pub(super) fn start(path: &Path, records: mpsc::Receiver<Pending>) -> anyhow::Result<()> {
    let connection = open(path).with_context(|| format!("opening {} for the store's writer", path.display()))?;
    std::thread::Builder::new()
        .name("airlock-writer".into())
        .spawn(move || run(connection, records))
        .context("starting the store's writer thread")?;
    Ok(())
}

/// A connection set up like the pool's — WAL with NORMAL sync (a killed process loses no
/// committed transaction), foreign keys enforced, a wait for the write lock — except that it
/// leaves checkpoints to [`run`].
fn open(path: &Path) -> anyhow::Result<Connection> {
    let connection = Connection::open(path)?;
    let mode: String = connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        anyhow::bail!("the database stays in `{mode}` journal mode, not WAL");
    }
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    connection.pragma_update(None, "wal_autocheckpoint", 0)?;
    connection.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(connection)
}

/// Commit batches until every handle on the writer is gone, checkpointing between them.
fn run(mut connection: Connection, mut records: mpsc::Receiver<Pending>) {
    let mut since_checkpoint = 0;
    while let Some(first) = records.blocking_recv() {
        let batch = gather(first, &mut records);
        since_checkpoint += batch.iter().map(|(record, _)| record.rows()).sum::<usize>();
        let result = commit(&mut connection, &batch).map_err(|e| e.to_string());
        report(batch, result);
        let idle = records.is_empty();
        if since_checkpoint >= CHECKPOINT_AT_MOST || (idle && since_checkpoint >= CHECKPOINT_WHEN_IDLE) {
            if let Err(e) = checkpoint(&connection) {
                tracing::warn!("checkpointing the store's log: {e}");
            }
            since_checkpoint = 0;
        }
    }
}

/// Copy the log's frames into the database, as far as readers allow; the next commit then
/// starts the log over.
fn checkpoint(connection: &Connection) -> rusqlite::Result<()> {
    connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}

/// Commit `batch` in one transaction: all of it, or (on any error) none of it.
fn commit(connection: &mut Connection, batch: &[Pending]) -> rusqlite::Result<()> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut audit = transaction.prepare_cached(AUDIT_INSERT)?;
        for row in batch.iter().flat_map(|(record, _)| &record.audits) {
            audit.execute(params![row.id, row.at, row.actor, row.action, row.target, row.outcome, row.detail])?;
        }
        let mut lease = transaction.prepare_cached(&lease_insert())?;
        for row in batch.iter().filter_map(|(record, _)| record.lease.as_ref()) {
            lease.execute(params![
                row.id,
                row.connector_id,
                row.user_id,
                row.resource_type,
                row.resource_id,
                row.scope,
                row.expires_at,
                row.credential_expires_at,
                i64::from(row.revoked),
                row.sealed.key_id,
                row.sealed.sealed,
                row.created_at,
            ])?;
        }
    }
    transaction.commit()
}

/// The lease insert, its values numbered in [`COLUMNS`] order.
fn lease_insert() -> String {
    let values: Vec<String> = (1..=COLUMNS.split(',').count()).map(|i| format!("?{i}")).collect();
    format!("INSERT INTO leases ({COLUMNS}) VALUES ({})", values.join(", "))
}

#[cfg(test)]
mod tests {
    use super::super::test_rows::{audit_row, count, lease_row, store_with_connector};
    use super::super::{Record, Writer};
    use super::{commit, open};
    use crate::store::{AuditRow, Store};

    /// A batch commits whole or not at all: a lease the database refuses takes its batch's
    /// audit rows with it, and the connection commits the next batch normally.
    #[tokio::test]
    async fn a_batch_commits_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_connector(&Store::sqlite_url(dir.path())).await;
        let mut connection = open(&dir.path().join("airlock.db")).unwrap();

        let whole = [audit_row("whole"), lease_row("c1", "whole"), audit_row("whole"), lease_row("c1", "whole")];
        commit(&mut connection, &whole).unwrap();
        assert_eq!(count(&store, "audit", "whole").await, 2);
        assert_eq!(count(&store, "leases", "whole").await, 2);

        let refused = [audit_row("refused"), lease_row("c1", "refused"), lease_row("no-such-connector", "refused")];
        let error = commit(&mut connection, &refused).expect_err("a lease of an unknown connector is refused");
        assert!(error.to_string().contains("FOREIGN KEY"), "{error}");
        assert_eq!(count(&store, "audit", "refused").await, 0, "the failed batch's audit row was rolled back");
        assert_eq!(count(&store, "leases", "refused").await, 0, "and so was its valid lease");

        commit(&mut connection, &[audit_row("after"), lease_row("c1", "after")]).unwrap();
        assert!(connection.is_autocommit(), "no transaction is left open");
        assert_eq!(count(&store, "audit", "after").await, 1);
        assert_eq!(count(&store, "leases", "after").await, 1);
    }

    /// The writer keeps the log short: between commits when callers leave it idle, and at
    /// regular intervals when they never do.
    #[tokio::test]
    async fn the_writer_keeps_the_log_short() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_connector(&Store::sqlite_url(dir.path())).await;
        let writer = Writer::start_sqlite(&dir.path().join("airlock.db")).unwrap();
        let log = dir.path().join("airlock.db-wal");
        // The log starts empty (setting the store up wrote to it).
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(store.pool()).await.unwrap();
        assert_eq!(std::fs::metadata(&log).unwrap().len(), 0);
        // Each 1 KB row committed alone adds about 16 KB to an unchecked log.
        let write = |i: usize| {
            let audits = vec![AuditRow::new("tester", "client.issue", "c", "minted", &format!("{i:01000}"))];
            writer.write(Record { audits, lease: None }, "audit")
        };

        for i in 0..200 {
            write(i).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        let paused = std::fs::metadata(&log).unwrap().len();
        assert!(paused < (512 << 10), "the log grew to {paused} bytes with callers pausing (unchecked: 3 MB)");

        for i in 0..1500 {
            write(i).await.unwrap();
        }
        for result in futures::future::join_all((0..4000).map(write)).await {
            result.unwrap();
        }
        let busy = std::fs::metadata(&log).unwrap().len();
        assert!(busy < (5 << 20), "the log grew to {busy} bytes with the writer never idle (unchecked: 28 MB)");
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit").fetch_one(store.pool()).await.unwrap();
        assert_eq!(rows, 5700);
    }
}
