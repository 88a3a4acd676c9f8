//! The writer thread: one connection, group commit.
//!
//! Every write request becomes a job. The thread takes all jobs waiting
//! (up to a batch size), runs each inside its own savepoint of one
//! transaction, commits once, and only then answers each job. Under load,
//! many posts share one commit; each is still acknowledged only after it
//! is durable.

use crossbeam_channel::{Receiver, Sender};
use messenger_core::StoreError;
use rusqlite::Connection;
use tokio::sync::oneshot;

/// Answers a job once its batch's commit is known.
type Done = Box<dyn FnOnce(Result<(), &rusqlite::Error>) + Send>;
/// Runs a job on the writer's connection (or learns the batch could not
/// start); says whether it succeeded and how to answer it.
type Job = Box<dyn FnOnce(Result<&Connection, &rusqlite::Error>) -> (bool, Done) + Send>;

#[derive(Clone)]
pub(crate) struct Writer {
    tx: Sender<Job>,
}

impl Writer {
    pub(crate) fn spawn(conn: Connection, max_batch: usize) -> std::io::Result<Self> {
        let (tx, rx) = crossbeam_channel::unbounded();
        std::thread::Builder::new()
            .name("messenger-sqlite-writer".into())
            .spawn(move || run(conn, rx, max_batch.max(1)))?;
        Ok(Self { tx })
    }

    /// Runs `f` in the next batch and waits for the batch to commit.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = match conn {
                Ok(conn) => f(conn),
                Err(e) => Err(StoreError::Unavailable(e.to_string().into())),
            };
            let ok = result.is_ok();
            let done: Done = Box::new(move |commit| {
                let answer = match commit {
                    Ok(()) => result,
                    Err(e) => Err(StoreError::Unavailable(
                        format!("commit failed: {e}").into(),
                    )),
                };
                let _ = reply.send(answer);
            });
            (ok, done)
        });
        self.tx
            .send(job)
            .map_err(|_| StoreError::Unavailable("database writer stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("database writer dropped a write".into()))?
    }
}

fn run(conn: Connection, rx: Receiver<Job>, max_batch: usize) {
    let mut jobs = Vec::with_capacity(max_batch);
    let mut dones = Vec::with_capacity(max_batch);
    while let Ok(first) = rx.recv() {
        jobs.push(first);
        jobs.extend(rx.try_iter().take(max_batch - 1));
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            tracing::error!(error = %e, "cannot begin a write transaction");
            for job in jobs.drain(..) {
                let (_, done) = job(Err(&e));
                done(Err(&e));
            }
            continue;
        }
        for job in jobs.drain(..) {
            // A savepoint per job: one failing job (a taken username) must
            // not sink the others in its batch.
            if let Err(e) = conn.execute_batch("SAVEPOINT job") {
                let (_, done) = job(Err(&e));
                dones.push(done);
                continue;
            }
            let (ok, done) = job(Ok(&conn));
            let end = if ok {
                "RELEASE job"
            } else {
                "ROLLBACK TO job; RELEASE job"
            };
            if let Err(e) = conn.execute_batch(end) {
                tracing::error!(error = %e, "cannot end a savepoint");
            }
            dones.push(done);
        }
        let commit = conn.execute_batch("COMMIT");
        if let Err(e) = &commit {
            tracing::error!(error = %e, "commit failed");
            let _ = conn.execute_batch("ROLLBACK");
        }
        for done in dones.drain(..) {
            done(commit.as_ref().map(|_| ()));
        }
    }
}
