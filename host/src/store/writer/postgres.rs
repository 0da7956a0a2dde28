//! PostgreSQL's writer: a task that commits each batch through the pool as one statement.

use super::{Pending, gather, report};
use crate::store::{AuditRow, LeaseRow, audit, leases};
use sqlx::AnyPool;
use tokio::sync::mpsc;

/// Start the task committing `records` through `pool`.
pub(super) fn start(pool: AnyPool, mut records: mpsc::Receiver<Pending>) {
    tokio::spawn(async move {
        while let Some(first) = records.recv().await {
            let batch = gather(first, || records.try_recv().ok());
            let result = commit(&pool, &batch).await.map_err(|e| format!("{e:#}"));
            report(batch, result);
        }
    });
}

/// Commit `batch` in one round trip: its audit rows in one multi-row insert and its leases in
/// another, made a single atomic statement (the audit insert is a data-modifying `WITH` of the
/// lease insert).
async fn commit(pool: &AnyPool, batch: &[Pending]) -> anyhow::Result<()> {
    let audits: Vec<&AuditRow> = batch.iter().flat_map(|(record, _)| &record.audits).collect();
    let leases: Vec<&LeaseRow> = batch.iter().filter_map(|(record, _)| record.lease.as_ref()).collect();
    let sql = batch_sql(audits.len(), leases.len());
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
        query = leases::bind(query, row);
    }
    query.execute(pool).await?;
    Ok(())
}

/// The statement committing `audits` audit rows and `leases` leases (at least one of either).
fn batch_sql(audits: usize, leases: usize) -> String {
    let audit_insert =
        format!("INSERT INTO audit ({}) VALUES {}", audit::COLUMNS, placeholders(0, audits, audit::INSERT_WIDTH));
    let lease_insert = format!(
        "INSERT INTO leases ({}) VALUES {}",
        leases::COLUMNS,
        placeholders(audits * audit::INSERT_WIDTH, leases, leases::INSERT_WIDTH)
    );
    match (audits, leases) {
        (_, 0) => audit_insert,
        (0, _) => lease_insert,
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

#[cfg(test)]
mod tests {
    use super::super::test_rows::{audit_row, count, lease_row, store_with_connector};
    use super::commit;
    use crate::store::{Store, new_id};
    use std::time::Duration;

    /// A batch commits whole or not at all: a lease the database refuses takes its batch's
    /// audit rows with it, and a commit dropped at any point commits whole or not at all.
    #[tokio::test]
    async fn a_batch_commits_whole_or_not_at_all() {
        sqlx::any::install_default_drivers();
        let name = format!("airlock_unit_{}", new_id().replace('-', ""));
        let admin = sqlx::AnyPool::connect("postgres://postgres@127.0.0.1:5432/postgres").await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.unwrap();
        let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
        let store = store_with_connector(&url).await;

        let whole = [audit_row("whole"), lease_row("c1", "whole"), audit_row("whole"), lease_row("c1", "whole")];
        commit(store.pool(), &whole).await.unwrap();
        assert_eq!(count(&store, "audit", "whole").await, 2);
        assert_eq!(count(&store, "leases", "whole").await, 2);

        let refused = [audit_row("refused"), lease_row("c1", "refused"), lease_row("no-such-connector", "refused")];
        commit(store.pool(), &refused).await.expect_err("a lease of an unknown connector is refused");
        assert_eq!(count(&store, "audit", "refused").await, 0, "the failed batch's audit row was rolled back");
        assert_eq!(count(&store, "leases", "refused").await, 0, "and so was its valid lease");

        // Commits dropped after 0, 10, 20, … µs: each batch is in the database whole or not at all.
        for i in 0..40u64 {
            let key = format!("dropped-{i}");
            let batch = [audit_row(&key), lease_row("c1", &key)];
            let _ = tokio::time::timeout(Duration::from_micros(i * 10), commit(store.pool(), &batch)).await;
        }
        // Every pooled connection still commits what it writes.
        for _ in 0..16 {
            commit(store.pool(), &[audit_row("after"), lease_row("c1", "after")]).await.unwrap();
        }
        let reopened = Store::connect(&url).await.unwrap();
        assert_eq!(count(&reopened, "audit", "after").await, 16);
        for i in 0..40u64 {
            let key = format!("dropped-{i}");
            let (audits, leases) = (count(&reopened, "audit", &key).await, count(&reopened, "leases", &key).await);
            assert_eq!(audits, leases, "batch {i} was committed in part");
        }
    }
}
