//! Group commit: one writer thread that owns the write connection and commits
//! the writes queued while the previous commit was syncing as one transaction.
//!
//! With `synchronous = FULL` every commit waits for the disk (one `fsync` of the
//! WAL). Committing each order alone caps a whole shop's throughput at the
//! disk's sync rate; batching the writes that arrive meanwhile amortises the
//! sync over the batch without weakening anything a caller sees:
//!
//! - each write runs inside its own `SAVEPOINT`, so a write that fails (a spent
//!   budget, a duplicate key) rolls back alone and the batch goes on;
//! - writes run one after the other on one connection, so each sees every
//!   earlier write of the batch (budgets and uniqueness hold as if serial);
//! - a caller hears its result only after the batch's `COMMIT` returned, so an
//!   acknowledged write is on disk; if the commit fails, every write of the
//!   batch fails with that error and none of them is applied.
//!
//! `BEGIN IMMEDIATE` still takes the file's write lock up front, so another
//! process on the same file (`carte report`, a second `carte serve`) waits on
//! `busy_timeout` instead of interleaving.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{backend, StoreError};

/// The most writes one commit carries; bounds a batch's latency.
const MAX_BATCH: usize = 128;

/// A write as the thread runs it: applies itself inside the batch's transaction
/// (or learns why the batch could not start) and returns what delivers its
/// outcome once the batch's commit is known.
type Job = Box<dyn FnOnce(Result<&Connection, StoreError>) -> Deliver + Send>;
type Deliver = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// The handle to the writer thread; dropping it lets the thread finish the
/// queued writes and exit.
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread on `conn`.
    pub(super) fn spawn(conn: Connection) -> std::io::Result<Writer> {
        let (jobs, queue) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name("carte-sqlite-writer".into())
            .spawn(move || run(conn, queue))?;
        Ok(Writer { jobs })
    }

    /// Runs `f` as one write of the next batch and returns its result once the
    /// batch is durably committed.
    pub(super) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, outcome) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = conn.and_then(|conn| in_savepoint(conn, f));
            Box::new(move |commit: Result<(), StoreError>| {
                // The caller may have gone away (a dropped request); nothing to tell then.
                let _ = reply.send(commit.and(result));
            })
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Backend("the SQLite writer thread has stopped".into()))?;
        outcome
            .await
            .map_err(|_| StoreError::Backend("the SQLite writer thread has stopped".into()))?
    }
}

/// How often the checkpointer copies the WAL back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Checkpoints the WAL from its own connection and thread, so the writer's
/// commits never stall on copying pages into the database file (the writer's
/// connection runs with `wal_autocheckpoint = 0`). A `PASSIVE` checkpoint
/// neither blocks nor waits for writers or readers; dropping the handle runs a
/// last checkpoint and stops the thread.
pub(super) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts the checkpointer thread on `conn`.
    pub(super) fn spawn(conn: Connection) -> std::io::Result<Checkpointer> {
        let (stop, stopped) = mpsc::channel::<()>();
        thread::Builder::new()
            .name("carte-sqlite-checkpoint".into())
            .spawn(move || loop {
                let last = !matches!(
                    stopped.recv_timeout(CHECKPOINT_EVERY),
                    Err(mpsc::RecvTimeoutError::Timeout)
                );
                // A failed checkpoint (a busy file) is retried on the next tick.
                let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                if last {
                    break;
                }
            })?;
        Ok(Checkpointer { _stop: stop })
    }
}

/// Runs `f` between `SAVEPOINT` and `RELEASE`, rolling its changes back when it
/// fails or panics.
fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.execute_batch("SAVEPOINT write").map_err(backend)?;
    let result = catch_unwind(AssertUnwindSafe(|| f(conn)))
        .unwrap_or_else(|_| Err(StoreError::Backend("a store write panicked".into())));
    let outcome = result.and_then(|value| {
        conn.execute_batch("RELEASE write")
            .map(|()| value)
            .map_err(backend)
    });
    if outcome.is_err() {
        conn.execute_batch("ROLLBACK TO write; RELEASE write")
            .map_err(backend)?;
    }
    outcome
}

/// The writer thread: waits for a write, takes every write queued behind it (up
/// to [`MAX_BATCH`]), runs them in one transaction, commits, and answers them all.
fn run(conn: Connection, queue: mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(error) = conn.execute_batch("BEGIN IMMEDIATE").map_err(backend) {
            // Not started (another process held the lock past the busy timeout):
            // tell each write why, without running it.
            for job in batch {
                job(Err(error.clone()))(Err(error.clone()));
            }
            continue;
        }
        let deliveries: Vec<Deliver> = batch.into_iter().map(|job| job(Ok(&conn))).collect();
        let commit = conn.execute_batch("COMMIT").map_err(backend);
        if commit.is_err() {
            // Leave no transaction open for the next batch.
            let _ = conn.execute_batch("ROLLBACK");
        }
        for deliver in deliveries {
            deliver(commit.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer_on(dir: &tempfile::TempDir) -> (Writer, Connection) {
        let path = dir.path().join("w.db");
        let conn = Connection::open(&path).expect("open");
        conn.busy_timeout(Duration::ZERO).expect("busy timeout");
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
             CREATE TABLE t (n INTEGER PRIMARY KEY);",
        )
        .expect("schema");
        let reader = Connection::open(&path).expect("open reader");
        (Writer::spawn(conn).expect("spawn"), reader)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_failing_write_rolls_back_alone_and_the_batch_commits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (writer, reader) = writer_on(&dir);
        let writer = std::sync::Arc::new(writer);
        let tasks: Vec<_> = (0..200i64)
            .map(|n| {
                let writer = writer.clone();
                tokio::spawn(async move {
                    writer
                        .write(move |conn| {
                            conn.execute("INSERT INTO t (n) VALUES (?1)", [n])
                                .map_err(backend)?;
                            if n % 2 == 1 {
                                return Err(StoreError::Backend(format!("odd {n}")));
                            }
                            Ok(n)
                        })
                        .await
                })
            })
            .collect();
        for (n, task) in (0..200i64).zip(tasks) {
            let result = task.await.expect("join");
            if n % 2 == 0 {
                assert_eq!(result, Ok(n));
            } else {
                assert_eq!(result, Err(StoreError::Backend(format!("odd {n}"))));
            }
        }
        let (rows, odd): (i64, i64) = reader
            .query_row(
                "SELECT count(*), count(*) FILTER (WHERE n % 2 = 1) FROM t",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("count");
        assert_eq!((rows, odd), (100, 0));
    }

    #[tokio::test]
    async fn a_panicking_write_is_an_error_and_the_writer_lives_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (writer, reader) = writer_on(&dir);
        let panicked = writer
            .write(|conn| -> Result<(), StoreError> {
                conn.execute("INSERT INTO t (n) VALUES (1)", [])
                    .map_err(backend)?;
                panic!("boom")
            })
            .await;
        assert!(matches!(panicked, Err(StoreError::Backend(_))));
        writer
            .write(|conn| {
                conn.execute("INSERT INTO t (n) VALUES (2)", [])
                    .map_err(backend)
            })
            .await
            .expect("the next write works");
        let ns: Vec<i64> = reader
            .prepare("SELECT n FROM t")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(ns, vec![2]);
    }

    #[tokio::test]
    async fn a_write_blocked_by_another_process_fails_cleanly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (writer, _) = writer_on(&dir);
        let other = Connection::open(dir.path().join("w.db")).expect("open");
        other
            .execute_batch("BEGIN IMMEDIATE")
            .expect("hold the lock");
        // The writer's connection has no busy timeout here: BEGIN fails at once.
        let blocked = writer.write(|_| Ok(())).await;
        assert!(
            matches!(blocked, Err(StoreError::Backend(ref m)) if m.contains("locked")),
            "{blocked:?}"
        );
        other.execute_batch("ROLLBACK").expect("release");
        writer
            .write(|_| Ok(()))
            .await
            .expect("works once the lock is free");
    }
}
