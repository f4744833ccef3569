//! Key reads gathered: the keyring's one hot read (a customer's wrapped key missing from
//! a server's cache) is asked by many requests at once when callers are many, each
//! for another key. Reads asked on one thread while that thread's read is in flight
//! wait for it to end and go out together as one statement (`scope = ANY($1)`), so a
//! burst of misses costs one round trip and one statement instead of one each. One
//! queue per keyring pool, so a read is answered on the thread that asked (see
//! [`crate::keyring::PgKeyring`]).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use anyhow::anyhow;
use stickycalls_domain::StoreError;
use tokio::sync::oneshot;

/// What a waiting read is answered with.
type Answer = Result<Option<String>, StoreError>;

/// The reads waiting on one pool, and whether a task is sending them.
#[derive(Default)]
pub(crate) struct Queue {
    waiting: Mutex<Waiting>,
}

#[derive(Default)]
struct Waiting {
    reads: Vec<(String, oneshot::Sender<Answer>)>,
    sending: bool,
}

impl Queue {
    /// Queues a read of `scope`; true if the caller must start the task that sends the
    /// queue ([`Queue::next`] until it says stop), none being under way.
    pub(crate) fn push(&self, scope: &str) -> (bool, oneshot::Receiver<Answer>) {
        let (tx, rx) = oneshot::channel();
        let mut waiting = self.lock();
        waiting.reads.push((scope.to_owned(), tx));
        let start = !waiting.sending;
        waiting.sending = true;
        (start, rx)
    }

    /// The reads to send now, every one queued so far; `None` (and the sending task
    /// stops) when none is left.
    pub(crate) fn next(&self) -> Option<Vec<(String, oneshot::Sender<Answer>)>> {
        let mut waiting = self.lock();
        if waiting.reads.is_empty() {
            waiting.sending = false;
            return None;
        }
        Some(std::mem::take(&mut waiting.reads))
    }

    /// The sending task ended without finishing (it panicked): reads still queued are
    /// answered as unavailable by dropping them, and the next read starts a new task.
    pub(crate) fn abandon(&self) {
        let mut waiting = self.lock();
        waiting.reads.clear();
        waiting.sending = false;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Answers each read of `batch` from `found` (the keys one statement read for all of
/// them), or with the statement's error.
pub(crate) fn answer(
    batch: Vec<(String, oneshot::Sender<Answer>)>, found: Result<Vec<(String, String)>, StoreError>,
) {
    match found {
        Ok(rows) => {
            let rows: HashMap<String, String> = rows.into_iter().collect();
            for (scope, tx) in batch {
                // A reader that gave up (its request ended) is not waiting: nothing to do.
                let _ = tx.send(Ok(rows.get(&scope).cloned()));
            }
        }
        Err(e) => {
            for (_, tx) in batch {
                let _ = tx.send(Err(copy(&e)));
            }
        }
    }
}

/// The same error for each reader of a failed batch (a store error is not `Clone`).
fn copy(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(cause) => StoreError::Unavailable(anyhow!("{cause:#}")),
        StoreError::Unknown(cause) => StoreError::Unknown(anyhow!("{cause:#}")),
    }
}

/// A read whose sending task went away before answering.
pub(crate) fn dropped() -> StoreError {
    StoreError::Unavailable(anyhow!("the keyring read was abandoned"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_asked_while_one_is_out_go_together_and_each_gets_its_own() {
        let queue = Queue::default();
        let (first, a) = queue.push("t/c/a");
        let (second, b) = queue.push("t/c/b");
        let (third, a_again) = queue.push("t/c/a");
        assert!(
            first && !second && !third,
            "only the first read starts a task"
        );
        let batch = queue.next().expect("three reads waiting");
        assert_eq!(batch.len(), 3);
        answer(batch, Ok(vec![("t/c/a".into(), "wk1.a".into())]));
        assert_eq!(a.await.unwrap().unwrap().as_deref(), Some("wk1.a"));
        assert_eq!(a_again.await.unwrap().unwrap().as_deref(), Some("wk1.a"));
        assert_eq!(b.await.unwrap().unwrap(), None, "a scope without a key");
        assert!(queue.next().is_none(), "nothing left: the task stops");
        assert!(queue.push("t/c/c").0, "the next read starts a task again");
    }

    #[tokio::test]
    async fn a_failed_statement_fails_each_read_of_its_batch_alike() {
        let queue = Queue::default();
        let (_, a) = queue.push("t/c/a");
        let (_, b) = queue.push("t/c/b");
        let failed = StoreError::Unavailable(anyhow!("no connection in time"));
        answer(queue.next().unwrap(), Err(failed));
        for read in [a, b] {
            assert!(matches!(
                read.await.unwrap(),
                Err(StoreError::Unavailable(_))
            ));
        }
    }

    #[tokio::test]
    async fn reads_left_by_a_task_that_died_are_unavailable_and_the_next_starts_anew() {
        let queue = Queue::default();
        let (_, a) = queue.push("t/c/a");
        queue.abandon();
        assert!(
            a.await.is_err(),
            "the waiting read hears that nobody will answer"
        );
        assert!(
            queue.push("t/c/b").0,
            "a new task is started for the next read"
        );
    }
}
