//! The writer connection's own thread. Every task that writes (and a start's read,
//! which its commit follows) is queued to one thread that owns the writer connection
//! and runs the tasks in arrival order: a task is one hand-off to a thread that is
//! already running and whose connection and page cache are already warm, instead of a
//! lock taken then a hand-off to whichever thread of tokio's blocking pool is free.
//! The queue is std's channel (unbounded, FIFO); the answer comes back on a tokio
//! oneshot, so the request waits without a thread.
//!
//! A task still queued when its wait is over (the store's `wait_timeout`) is not run:
//! it answers `Unavailable`, so a request refused for waiting too long never writes
//! later; nor is a task whose request has gone (cancelled, timed out): nobody would
//! learn what it did. A task that panics closes the connection (its transaction state is unknown);
//! the next task opens a new one.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Sender, channel};
use std::time::{Duration, Instant};

use diesel::sqlite::SqliteConnection;
use stickycalls_domain::StoreError;

/// A queued task: given the writer's slot (empty until opened, or after a panic).
type Job = Box<dyn FnOnce(&mut Option<SqliteConnection>) + Send>;

/// The queue to the writer thread. The thread ends when every clone is dropped.
#[derive(Clone)]
pub(crate) struct Writer {
    jobs: Sender<Job>,
    path: String,
    wait: Duration,
}

impl Writer {
    /// Starts the thread; the connection to `path` opens with its first task.
    pub(crate) fn start(path: &str, wait: Duration) -> std::io::Result<Self> {
        let (jobs, queue) = channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || {
                let mut slot = None;
                while let Ok(job) = queue.recv() {
                    job(&mut slot);
                }
            })?;
        Ok(Self {
            jobs,
            path: path.to_owned(),
            wait,
        })
    }

    /// Runs `task` on the writer connection, after the tasks queued before it.
    pub(crate) async fn run<R, E>(
        &self, task: impl FnOnce(&mut SqliteConnection) -> Result<R, E> + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel::<Result<R, E>>();
        let deadline = Instant::now() + self.wait;
        let path = self.path.clone();
        let job: Job = Box::new(move |slot| {
            if reply.is_closed() {
                return;
            }
            if Instant::now() > deadline {
                let _ = reply.send(Err(E::from(StoreError::Unavailable(anyhow::anyhow!(
                    "the writer connection was not free in time"
                )))));
                return;
            }
            let ran = catch_unwind(AssertUnwindSafe(|| {
                let conn = match slot.as_mut() {
                    Some(conn) => conn,
                    None => slot.insert(crate::pool::open_writer(&path).map_err(E::from)?),
                };
                task(conn)
            }));
            let outcome = ran.unwrap_or_else(|_| {
                // The panic was printed by the hook; the transaction's state is unknown.
                *slot = None;
                Err(E::from(StoreError::Unknown(anyhow::anyhow!(
                    "a SQLite task panicked"
                ))))
            });
            // The request may have gone away while it ran: what it did stands.
            let _ = reply.send(outcome);
        });
        self.jobs.send(job).map_err(|_| {
            E::from(StoreError::Unavailable(anyhow::anyhow!(
                "the SQLite writer thread has stopped"
            )))
        })?;
        answer.await.map_err(|_| {
            E::from(StoreError::Unknown(anyhow::anyhow!(
                "a SQLite task ended without an answer"
            )))
        })?
    }
}

#[cfg(test)]
mod tests {
    use diesel::RunQueryDsl;
    use diesel::connection::SimpleConnection;

    use super::*;

    /// A database file in the temporary directory, removed (with its WAL) on drop.
    struct File(String);

    impl File {
        fn new() -> Self {
            let name = format!("stickycalls-writer-{}.db", uuid::Uuid::new_v4());
            Self(std::env::temp_dir().join(name).display().to_string())
        }
    }

    impl Drop for File {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.0));
            }
        }
    }

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    fn rows(conn: &mut SqliteConnection) -> Result<i64, StoreError> {
        let count: Count = diesel::sql_query("SELECT count(*) AS n FROM t")
            .get_result(conn)
            .map_err(|e| StoreError::Unknown(e.into()))?;
        Ok(count.n)
    }

    /// A writer on `file` whose table `t` exists.
    async fn with_table(file: &File, wait: Duration) -> Writer {
        let writer = Writer::start(&file.0, wait).unwrap();
        writer
            .run(|c| {
                c.batch_execute("CREATE TABLE t (n INTEGER)")
                    .map_err(|e| StoreError::Unknown(e.into()))
            })
            .await
            .unwrap();
        writer
    }

    fn insert(conn: &mut SqliteConnection) -> Result<(), StoreError> {
        conn.batch_execute("INSERT INTO t VALUES (1)")
            .map_err(|e| StoreError::Unknown(e.into()))
    }

    /// Tasks run in the order they were queued, one at a time; a task that waited
    /// past the store's wait answers `Unavailable` and never writes.
    #[tokio::test]
    async fn tasks_run_in_order_and_a_task_that_waited_too_long_never_writes() {
        let file = File::new();
        let writer = with_table(&file, Duration::from_millis(200)).await;
        // The thread is busy for longer than the second task may wait.
        let busy = writer.run(|c| {
            std::thread::sleep(Duration::from_millis(400));
            insert(c)
        });
        let late = writer.run(insert);
        let (busy, late) = tokio::join!(busy, late);
        busy.unwrap();
        assert!(matches!(late, Err(StoreError::Unavailable(_))), "{late:?}");
        assert_eq!(writer.run(rows).await.unwrap(), 1, "only the first insert");
    }

    /// A task whose request was dropped while it waited in the queue is not run.
    #[tokio::test]
    async fn a_task_whose_request_has_gone_is_not_run() {
        let file = File::new();
        let writer = with_table(&file, Duration::from_secs(5)).await;
        let busy = writer.clone();
        let busy = tokio::spawn(async move {
            busy.run(|c| {
                std::thread::sleep(Duration::from_millis(300));
                insert(c)
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let gone = writer.clone();
        let gone = tokio::spawn(async move { gone.run(insert).await });
        // Queued behind the busy task, then its request goes away.
        tokio::time::sleep(Duration::from_millis(50)).await;
        gone.abort();
        assert!(gone.await.unwrap_err().is_cancelled());
        busy.await.unwrap().unwrap();
        assert_eq!(
            writer.run(rows).await.unwrap(),
            1,
            "only the busy task's insert"
        );
    }

    /// A task that panics answers an error and closes the connection; the thread goes
    /// on, and the next task opens a new connection to the same file.
    #[tokio::test]
    async fn a_panicking_task_closes_the_connection_and_the_next_task_runs() {
        let file = File::new();
        let writer = Writer::start(&file.0, Duration::from_secs(5)).unwrap();
        writer
            .run(|c| {
                c.batch_execute("CREATE TABLE t (n INTEGER); CREATE TEMP TABLE mark (n INTEGER)")
                    .map_err(|e| StoreError::Unknown(e.into()))
            })
            .await
            .unwrap();
        let panicked: Result<(), StoreError> = writer
            .run(|c| {
                insert(c)?;
                panic!("a bug in a task")
            })
            .await;
        assert!(matches!(panicked, Err(StoreError::Unknown(_))));
        // A temporary table lives as long as its connection: gone, so it is a new one.
        let mark = writer
            .run(|c| {
                c.batch_execute("SELECT n FROM mark")
                    .map_err(|e| StoreError::Unknown(e.into()))
            })
            .await;
        assert!(mark.is_err(), "the connection that panicked was closed");
        assert_eq!(writer.run(rows).await.unwrap(), 1);
    }
}
