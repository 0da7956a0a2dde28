//! The store's writer. Audit rows and new leases — the writes of the hot paths — are committed
//! in batches (group commit): each caller hands over its rows as one record (an issuance's lease
//! with its audit rows) and waits until that record is committed, so an acknowledged action
//! always has its audit rows and its lease, but a burst of requests share one transaction
//! instead of queueing for the database's write lock.
//!
//! SQLite's callers commit on one shared connection ([`sqlite`]); PostgreSQL's writer
//! is a task on the pool ([`postgres`]).

mod postgres;
mod sqlite;

use super::{AuditRow, LeaseRow};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Rows committed together at most.
const BATCH: usize = 64;

/// One caller's rows for the writer: committed together, all or none.
pub(crate) struct Record {
    pub(crate) audits: Vec<AuditRow>,
    pub(crate) lease: Option<LeaseRow>,
}

impl Record {
    fn rows(&self) -> usize {
        self.audits.len() + usize::from(self.lease.is_some())
    }
}

/// A record and where to say how its commit went.
type Pending = (Record, oneshot::Sender<Result<(), String>>);

/// A handle on the writer.
#[derive(Clone)]
pub(crate) enum Writer {
    /// SQLite: the caller commits when the connection is free (see [`sqlite`]).
    Sqlite(Arc<sqlite::Committer>),
    /// PostgreSQL: a task commits what callers queue.
    Postgres(mpsc::Sender<Pending>),
}

impl Writer {
    /// The writer of the SQLite database at `path`: its connection is opened now.
    pub(crate) fn start_sqlite(path: &std::path::Path) -> anyhow::Result<Writer> {
        Ok(Writer::Sqlite(sqlite::Committer::open(path)?))
    }

    /// The writer of a PostgreSQL database, committing through `pool`.
    pub(crate) fn start_postgres(pool: sqlx::AnyPool) -> Writer {
        let (queue, records) = mpsc::channel(4096);
        postgres::start(pool, records);
        Writer::Postgres(queue)
    }

    /// Hand over `record` and wait until it is committed; `operation` labels the wait in metrics.
    pub(crate) async fn write(&self, record: Record, operation: &'static str) -> anyhow::Result<()> {
        let stopped = || anyhow::anyhow!("the store's writer stopped");
        let (done, committed) = oneshot::channel();
        let wait = async {
            match self {
                Writer::Sqlite(committer) => committer.submit((record, done)),
                Writer::Postgres(queue) => queue.send((record, done)).await.map_err(|_| stopped())?,
            }
            committed.await.map_err(|_| stopped())
        };
        crate::metrics::store(operation, wait).await?.map_err(|e| anyhow::anyhow!("writing to the store: {e}"))
    }
}

/// `first` and the records `next` hands out after it, up to [`BATCH`] rows (a record is never
/// split).
fn gather(first: Pending, mut next: impl FnMut() -> Option<Pending>) -> Vec<Pending> {
    let mut rows = first.0.rows();
    let mut batch = vec![first];
    while rows < BATCH {
        let Some(pending) = next() else { break };
        rows += pending.0.rows();
        batch.push(pending);
    }
    batch
}

/// Tell every caller of `batch` how its commit went.
fn report(batch: Vec<Pending>, result: Result<(), String>) {
    for (_, done) in batch {
        let _ = done.send(result.clone());
    }
}

#[cfg(test)]
mod test_rows {
    use super::{AuditRow, LeaseRow, Pending, Record};
    use crate::store::{Store, new_id};
    use crate::vault::Sealed;

    /// A record of one audit row whose detail is `detail`.
    pub(super) fn audit_row(detail: &str) -> Pending {
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

    /// A record of one lease of `connector_id` whose scope is `scope`.
    pub(super) fn lease_row(connector_id: &str, scope: &str) -> Pending {
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

    /// Rows of `table` (audit by detail, leases by scope) with `key`.
    pub(super) async fn count(store: &Store, table: &str, key: &str) -> i64 {
        let sql = match table {
            "audit" => "SELECT COUNT(*) FROM audit WHERE detail = $1",
            _ => "SELECT COUNT(*) FROM leases WHERE scope = $1",
        };
        sqlx::query_scalar(sql).bind(key).fetch_one(store.pool()).await.unwrap()
    }

    /// A store with the user and connector the test leases belong to.
    pub(super) async fn store_with_connector(url: &str) -> Store {
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
        store
    }
}
