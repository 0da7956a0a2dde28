//! SQLite's writer: a thread with a connection of its own, which commits each batch with
//! statements prepared once. A caller's wait is one hand-over to this thread and one back; going
//! through the pool would add a hop to a writer task and two to the pool connection's worker
//! thread, and SQLite has a single writer anyway.

use super::{Pending, gather, report};
use crate::store::{audit, leases};
use anyhow::Context;
use rusqlite::{Connection, TransactionBehavior, params};
use std::path::Path;
use std::sync::LazyLock;
use tokio::sync::mpsc;

/// Open the database at `path` for writing and start the thread committing `records`.
pub(super) fn start(path: &Path, records: mpsc::Receiver<Pending>) -> anyhow::Result<()> {
    let connection = open(path).with_context(|| format!("opening {} for the store's writer", path.display()))?;
    std::thread::Builder::new()
        .name("airlock-writer".into())
        .spawn(move || run(connection, records))
        .context("starting the store's writer thread")?;
    Ok(())
}

/// A connection set up like the pool's: WAL with NORMAL sync (a killed process loses no
/// committed transaction), foreign keys enforced, and a wait for the write lock.
fn open(path: &Path) -> anyhow::Result<Connection> {
    let connection = Connection::open(path)?;
    let mode: String = connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        anyhow::bail!("the database stays in `{mode}` journal mode, not WAL");
    }
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    connection.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(connection)
}

/// Commit batches until every handle on the writer is gone.
fn run(mut connection: Connection, mut records: mpsc::Receiver<Pending>) {
    while let Some(first) = records.blocking_recv() {
        let batch = gather(first, &mut records);
        let result = commit(&mut connection, &batch).map_err(|e| e.to_string());
        report(batch, result);
    }
}

/// Commit `batch` in one transaction: all of it, or (on any error) none of it.
fn commit(connection: &mut Connection, batch: &[Pending]) -> rusqlite::Result<()> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut audit = transaction.prepare_cached(&AUDIT_INSERT)?;
        for row in batch.iter().flat_map(|(record, _)| &record.audits) {
            audit.execute(params![row.id, row.at, row.actor, row.action, row.target, row.outcome, row.detail])?;
        }
        let mut lease = transaction.prepare_cached(&LEASE_INSERT)?;
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

static AUDIT_INSERT: LazyLock<String> = LazyLock::new(|| insert("audit", audit::COLUMNS, audit::INSERT_WIDTH));
static LEASE_INSERT: LazyLock<String> = LazyLock::new(|| insert("leases", leases::COLUMNS, leases::INSERT_WIDTH));

/// A one-row insert into `table`, its `width` values numbered in `columns` order.
fn insert(table: &str, columns: &str, width: usize) -> String {
    let values: Vec<String> = (1..=width).map(|i| format!("?{i}")).collect();
    format!("INSERT INTO {table} ({columns}) VALUES ({})", values.join(", "))
}

#[cfg(test)]
mod tests {
    use super::super::test_rows::{audit_row, count, lease_row, store_with_connector};
    use super::{commit, open};
    use crate::store::Store;

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
}
