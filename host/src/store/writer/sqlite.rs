//! SQLite's writer: one connection, with statements prepared once, shared by the callers
//! (SQLite has a single writer anyway). While commits come one at a time, a caller commits its
//! own record on its own thread: that costs no hand-over between threads. Under load, the
//! `airlock-writer` thread commits the records in large batches, so no caller's thread commits
//! for others. Neither ever checkpoints the write-ahead log (a checkpoint `fsync`s): the
//! `airlock-checkpoint` thread does, on its own connection, while commits go on.

use super::{BATCH, Pending, gather, report};
use crate::store::{audit, leases};
use anyhow::Context;
use rusqlite::{Connection, TransactionBehavior, params};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError, TryLockError, Weak};
use std::thread::Thread;
use std::time::Duration;

/// The connection, the records waiting for it, the thread committing a backlog and the one
/// checkpointing the log.
pub(crate) struct Committer {
    queue: Mutex<VecDeque<Pending>>,
    connection: Mutex<Connection>,
    backlog: Thread,
    /// Batches of a single record in a row: callers are not arriving faster than commits end.
    /// Below [`QUIET`], the backlog's thread commits every record: it batches a burst better
    /// than callers would.
    quiet: AtomicU32,
    checkpointer: Thread,
    /// Rows committed since the checkpointer was last woken.
    unchecked_rows: AtomicU32,
    /// Whether the checkpointer has a checkpoint to run.
    checkpoint_due: AtomicBool,
    /// Held through a whole checkpoint (a test holds checkpoints off with it).
    checkpointing: Mutex<()>,
}

/// Rows committed between checkpoints: at the two or three log pages a lone row's table and
/// index entries take, about SQLite's own default of 1,000 pages (fewer when rows are batched).
const CHECKPOINT_ROWS: u32 = 384;

/// Single-record batches in a row after which callers commit their own record.
const QUIET: u32 = 16;

/// Whether a turn waits for another connection's write lock.
#[derive(Clone, Copy, PartialEq)]
enum Wait {
    /// Up to [`BUSY_TIMEOUT`] (the backlog's thread).
    ForLock,
    /// Not at all (a caller's thread).
    No,
}

/// How long the backlog's thread waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// What one turn at the connection did.
#[derive(PartialEq)]
enum Turn {
    /// Another caller holds the connection (and looks at the queue once it lets go).
    Busy,
    /// A batch was committed (or none was queued); whether records are still queued.
    Done { more: bool },
}

impl Committer {
    /// Open the database at `path` for writing and start the backlog's and the checkpointer's
    /// threads.
    pub(super) fn open(path: &Path) -> anyhow::Result<Arc<Committer>> {
        let opening = || format!("opening {} for the store's writer", path.display());
        let connection = open(path).with_context(opening)?;
        // Commits never checkpoint: the checkpointer does, on its own connection.
        connection.pragma_update(None, "wal_autocheckpoint", 0).with_context(opening)?;
        let checkpoints = open(path).with_context(opening)?;
        let (backlog, give_backlog) = spawn("airlock-writer", |committer| commit_backlog(&committer))?;
        let (checkpointer, give_checkpointer) =
            spawn("airlock-checkpoint", move |committer| checkpoint_log(&committer, &checkpoints))?;
        let committer = Arc::new(Committer {
            queue: Mutex::new(VecDeque::with_capacity(BATCH)),
            connection: Mutex::new(connection),
            backlog,
            quiet: AtomicU32::new(0),
            checkpointer,
            unchecked_rows: AtomicU32::new(0),
            checkpoint_due: AtomicBool::new(false),
            checkpointing: Mutex::new(()),
        });
        let _ = give_backlog.send(Arc::downgrade(&committer));
        let _ = give_checkpointer.send(Arc::downgrade(&committer));
        Ok(committer)
    }

    /// Queue `pending`. If nothing else was queued, the last [`QUIET`] batches were single
    /// records and the connection is free, commit it here: this thread blocks for the commit (a
    /// fraction of a millisecond; it never checkpoints the log), but not for another
    /// connection's write lock. Otherwise leave it to the backlog's thread, which commits a
    /// burst in large batches.
    pub(super) fn submit(&self, pending: Pending) {
        let alone = {
            let mut queue = self.queue();
            queue.push_back(pending);
            queue.len() == 1 && self.quiet.load(Ordering::Relaxed) >= QUIET
        };
        if !alone || self.turn(Wait::No) == (Turn::Done { more: true }) {
            self.backlog.unpark();
        }
    }

    /// Commit one batch if the connection is free. Whoever holds the connection looks at the
    /// queue after letting go of it, so a record queued meanwhile is never left behind. With
    /// [`Wait::No`], a batch finding the database locked by another connection goes back to
    /// the queue's front, for the backlog's thread: a caller's thread does not wait for a lock.
    fn turn(&self, wait: Wait) -> Turn {
        let mut connection = match self.connection.try_lock() {
            Ok(connection) => connection,
            // A panic mid-commit rolled its transaction back; the connection is usable.
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return Turn::Busy,
        };
        let batch = {
            let mut queue = self.queue();
            queue.pop_front().map(|first| gather(first, || queue.pop_front()))
        };
        let committed = batch.map(|batch| {
            match batch.len() {
                1 => self.quiet.fetch_add(1, Ordering::Relaxed),
                _ => self.quiet.swap(0, Ordering::Relaxed),
            };
            let result = commit(&mut connection, &batch, wait);
            (batch, result)
        });
        drop(connection);
        match committed {
            Some((batch, Err(e))) if wait == Wait::No && is_busy(&e) => {
                self.quiet.store(0, Ordering::Relaxed);
                let mut queue = self.queue();
                for pending in batch.into_iter().rev() {
                    queue.push_front(pending);
                }
            }
            Some((batch, result)) => {
                if result.is_ok() {
                    self.committed(batch.iter().map(|(record, _)| record.rows()).sum());
                }
                report(batch, result.map_err(|e| e.to_string()));
            }
            None => {}
        }
        Turn::Done { more: !self.queue().is_empty() }
    }

    /// Count `rows` committed, and wake the checkpointer once enough are in the log.
    fn committed(&self, rows: usize) {
        let rows = u32::try_from(rows).unwrap_or(u32::MAX);
        let before = self.unchecked_rows.fetch_add(rows, Ordering::Relaxed);
        if before.saturating_add(rows) >= CHECKPOINT_ROWS {
            self.unchecked_rows.store(0, Ordering::Relaxed);
            self.checkpoint_due.store(true, Ordering::Release);
            self.checkpointer.unpark();
        }
    }

    /// Copy the log back into the database on `connection`: first while commits go on (a
    /// passive checkpoint), then the few frames committed meanwhile with the writer's
    /// connection held (a full checkpoint). The log starts over only once every frame in it is
    /// copied, and a full checkpoint waiting for a gap between commits could wait out a whole
    /// burst while the log grows. Callers finding the connection held leave their records to
    /// the backlog's thread, which is woken afterwards if any are queued.
    fn checkpoint(&self, connection: &Connection) -> rusqlite::Result<()> {
        let _running = self.checkpointing.lock().unwrap_or_else(PoisonError::into_inner);
        let run = |mode: &str| connection.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(()));
        run("PASSIVE")?;
        let writer = self.connection.lock().unwrap_or_else(PoisonError::into_inner);
        let full = run("FULL");
        drop(writer);
        if !self.queue().is_empty() {
            self.backlog.unpark();
        }
        full
    }

    fn queue(&self) -> MutexGuard<'_, VecDeque<Pending>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        // Both threads find the committer gone and end.
        self.backlog.unpark();
        self.checkpointer.unpark();
    }
}

/// Start a thread named `name` that runs `body` with the committer it is then sent.
fn spawn(
    name: &str,
    body: impl FnOnce(Weak<Committer>) + Send + 'static,
) -> anyhow::Result<(Thread, std::sync::mpsc::Sender<Weak<Committer>>)> {
    let (give, take) = std::sync::mpsc::channel::<Weak<Committer>>();
    let thread = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            if let Ok(committer) = take.recv() {
                body(committer);
            }
        })
        .with_context(|| format!("starting the store's {name} thread"))?;
    Ok((thread.thread().clone(), give))
}

/// The backlog's thread: woken when a caller left records queued, it commits batches until the
/// queue is empty or a caller holds the connection. It looks at the queue before it first
/// sleeps: a wake-up sent while it was being handed the committer is not lost.
fn commit_backlog(committer: &Weak<Committer>) {
    loop {
        let Some(committer) = committer.upgrade() else { return };
        while committer.turn(Wait::ForLock) == (Turn::Done { more: true }) {}
        drop(committer);
        std::thread::park();
    }
}

/// The checkpointer's thread: woken after every [`CHECKPOINT_ROWS`] rows, it checkpoints the
/// log (see [`Committer::checkpoint`]).
fn checkpoint_log(committer: &Weak<Committer>, connection: &Connection) {
    loop {
        let Some(committer) = committer.upgrade() else { return };
        if committer.checkpoint_due.swap(false, Ordering::Acquire)
            && let Err(e) = committer.checkpoint(connection)
        {
            tracing::warn!("checkpointing the store's log failed (retried after more commits): {e}");
        }
        drop(committer);
        std::thread::park();
    }
}

/// Whether `error` is SQLite's "database is locked" (another connection holds the write lock).
fn is_busy(error: &rusqlite::Error) -> bool {
    error.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
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
    connection.busy_timeout(BUSY_TIMEOUT)?;
    Ok(connection)
}

/// Commit `batch` in one transaction: all of it, or (on any error) none of it.
fn commit(connection: &mut Connection, batch: &[Pending], wait: Wait) -> rusqlite::Result<()> {
    connection.busy_timeout(if wait == Wait::ForLock { BUSY_TIMEOUT } else { Duration::ZERO })?;
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
    use super::super::Pending;
    use super::super::test_rows::{audit_row, count, lease_row, store_with_connector};
    use super::{Committer, QUIET, Wait, commit, open};
    use crate::store::Store;
    use std::time::Duration;
    use tokio::sync::oneshot;

    /// Submit the record of `pending` to `committer`; the receiver hears how its commit went.
    fn submit(committer: &Committer, pending: Pending) -> oneshot::Receiver<Result<(), String>> {
        let (record, _) = pending;
        let (done, committed) = oneshot::channel();
        committer.submit((record, done));
        committed
    }

    /// A batch commits whole or not at all: a lease the database refuses takes its batch's
    /// audit rows with it, and the connection commits the next batch normally.
    #[tokio::test]
    async fn a_batch_commits_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_connector(&Store::sqlite_url(dir.path())).await;
        let mut connection = open(&dir.path().join("airlock.db")).unwrap();

        let whole = [audit_row("whole"), lease_row("c1", "whole"), audit_row("whole"), lease_row("c1", "whole")];
        commit(&mut connection, &whole, Wait::ForLock).unwrap();
        assert_eq!(count(&store, "audit", "whole").await, 2);
        assert_eq!(count(&store, "leases", "whole").await, 2);

        let refused = [audit_row("refused"), lease_row("c1", "refused"), lease_row("no-such-connector", "refused")];
        let error =
            commit(&mut connection, &refused, Wait::ForLock).expect_err("a lease of an unknown connector is refused");
        assert!(error.to_string().contains("FOREIGN KEY"), "{error}");
        assert_eq!(count(&store, "audit", "refused").await, 0, "the failed batch's audit row was rolled back");
        assert_eq!(count(&store, "leases", "refused").await, 0, "and so was its valid lease");

        commit(&mut connection, &[audit_row("after"), lease_row("c1", "after")], Wait::ForLock).unwrap();
        assert!(connection.is_autocommit(), "no transaction is left open");
        assert_eq!(count(&store, "audit", "after").await, 1);
        assert_eq!(count(&store, "leases", "after").await, 1);
    }

    /// Every record submitted is committed and its caller told so, whoever commits it: callers
    /// racing from many threads (the backlog's thread batching) and, once commits are quiet,
    /// a lone caller itself, before `submit` returns.
    #[tokio::test]
    async fn every_submitted_record_is_committed() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_connector(&Store::sqlite_url(dir.path())).await;
        let committer = Committer::open(&dir.path().join("airlock.db")).unwrap();

        let threads: Vec<_> = (0..8)
            .map(|_| {
                let committer = committer.clone();
                std::thread::spawn(move || (0..200).map(|_| submit(&committer, audit_row("raced"))).collect::<Vec<_>>())
            })
            .collect();
        for thread in threads {
            for committed in thread.join().unwrap() {
                let outcome = tokio::time::timeout(Duration::from_secs(10), committed).await;
                outcome.expect("a queued record was left behind").unwrap().unwrap();
            }
        }
        assert_eq!(count(&store, "audit", "raced").await, 1600);

        let held = committer.clone();
        let lone = std::thread::spawn(move || {
            // A checkpoint holds the connection for a moment, and a lone record then goes to the
            // backlog's thread: none runs meanwhile.
            let _no_checkpoint = held.checkpointing.lock().unwrap();
            for _ in 0..=QUIET {
                submit(&held, audit_row("alone")).blocking_recv().unwrap().unwrap();
            }
            submit(&held, audit_row("alone")).try_recv()
        });
        assert_eq!(lone.join().unwrap(), Ok(Ok(())), "a lone record is committed by its caller");
        assert_eq!(count(&store, "audit", "alone").await, i64::from(QUIET) + 2);
    }

    /// A caller's thread does not wait while another connection holds the write lock: its
    /// record goes to the backlog's thread, which commits it once the lock is released.
    #[tokio::test]
    async fn a_caller_does_not_wait_for_another_connections_lock() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_connector(&Store::sqlite_url(dir.path())).await;
        let path = dir.path().join("airlock.db");
        let committer = Committer::open(&path).unwrap();
        for _ in 0..=QUIET {
            let committed = submit(&committer, audit_row("quiet"));
            committed.await.unwrap().unwrap();
        }

        let blocker = open(&path).unwrap();
        blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
        let started = std::time::Instant::now();
        let mut committed = submit(&committer, audit_row("locked out"));
        assert!(started.elapsed() < Duration::from_secs(2), "the caller waited {:?}", started.elapsed());
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(committed.try_recv().is_err(), "nothing commits while the lock is held");

        blocker.execute_batch("COMMIT").unwrap();
        let outcome = tokio::time::timeout(Duration::from_secs(10), committed).await;
        outcome.expect("the backlog's thread committed the record").unwrap().unwrap();
        assert_eq!(count(&store, "audit", "locked out").await, 1);
    }

    /// Commits never checkpoint the log (a checkpoint `fsync`s, and a caller's thread must not
    /// wait for that): the writer's connection has automatic checkpoints off, and the
    /// checkpointer keeps the log from growing, also while callers on many threads keep
    /// committing during its checkpoints.
    #[tokio::test]
    async fn the_log_is_checkpointed_off_the_committing_threads() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_connector(&Store::sqlite_url(dir.path())).await;
        let committer = Committer::open(&dir.path().join("airlock.db")).unwrap();
        let automatic: i64 =
            committer.connection.lock().unwrap().pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0)).unwrap();
        assert_eq!(automatic, 0, "the writer's commits do not checkpoint");

        let threads: Vec<_> = (0..8)
            .map(|_| {
                let committer = committer.clone();
                std::thread::spawn(move || {
                    for _ in 0..1500 {
                        let committed = submit(&committer, lease_row("c1", "logged"));
                        committed.blocking_recv().unwrap().unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(count(&store, "leases", "logged").await, 12_000);
        // Unchecked, these commits grow the log to about 50 MiB; checkpointed, its size depends
        // on how many commits come in during one checkpoint, not on how many come in all.
        let log = std::fs::metadata(dir.path().join("airlock.db-wal")).unwrap().len();
        assert!(log < 24 << 20, "the log grew to {} MiB", log >> 20);
    }

    /// A record submitted at once after the writer opens is committed: the wake-up reaches the
    /// backlog's thread even while that thread is still being handed the committer.
    #[tokio::test]
    async fn a_record_submitted_at_once_is_committed() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_connector(&Store::sqlite_url(dir.path())).await;
        for _ in 0..200 {
            let committer = Committer::open(&dir.path().join("airlock.db")).unwrap();
            let committed = submit(&committer, audit_row("at once"));
            let outcome = tokio::time::timeout(Duration::from_secs(5), committed).await;
            outcome.expect("the backlog's thread missed its wake-up").unwrap().unwrap();
        }
        assert_eq!(count(&store, "audit", "at once").await, 200);
    }
}
