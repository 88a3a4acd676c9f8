//! The writer thread: one connection, group commit.
//!
//! Every write request becomes a job. The thread takes all jobs waiting
//! (up to a batch size), runs each inside its own savepoint of one
//! transaction, commits once, and only then answers each job. Under load,
//! many posts share one commit; each is still acknowledged only after it
//! is durable.
//!
//! Erasing writes (edits and deletes) also schedule a truncating WAL
//! checkpoint: with `secure_delete` the database file's pages lose the old
//! text at the checkpoint, but the WAL keeps the old page images until it is
//! overwritten or truncated. The checkpoint runs as soon as the writer is
//! idle, and at the latest [`ERASE_WITHIN`] after the erasing commit.

use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use messenger_core::store::StoreError;
use rusqlite::Connection;
use tokio::sync::oneshot;

/// Answers a job once its batch's commit is known.
type Done = Box<dyn FnOnce(Result<(), &rusqlite::Error>) + Send>;
/// Runs a job on the writer's connection (or learns the batch could not
/// start); says whether it succeeded and how to answer it.
type Run = Box<dyn FnOnce(Result<&Connection, &rusqlite::Error>) -> (bool, Done) + Send>;

struct Job {
    run: Run,
    /// Whether the job may overwrite or remove text (edits, deletes), so a
    /// truncating checkpoint must follow its commit.
    erases: bool,
}

/// Longest time an erased text may stay in the WAL file after its commit
/// while writes keep the writer busy (an idle writer checkpoints at once).
pub(crate) const ERASE_WITHIN: Duration = Duration::from_secs(1);
/// How long an erasing checkpoint waits for readers before it gives way.
const CHECKPOINT_WAIT: Duration = Duration::from_millis(100);
/// When a checkpoint that gave way is tried again.
const CHECKPOINT_RETRY: Duration = Duration::from_millis(250);

#[derive(Clone)]
pub(crate) struct Writer {
    tx: Sender<Job>,
}

impl Writer {
    pub(crate) fn spawn(
        conn: Connection,
        max_batch: usize,
        busy_timeout: Duration,
    ) -> std::io::Result<Self> {
        let (tx, rx) = crossbeam_channel::unbounded();
        std::thread::Builder::new()
            .name("messenger-sqlite-writer".into())
            .spawn(move || run(conn, rx, max_batch.max(1), busy_timeout))?;
        Ok(Self { tx })
    }

    /// Runs `f` in the next batch and waits for the batch to commit.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.submit(false, f).await
    }

    /// [`Writer::write`] for a write that overwrites or removes text: the old
    /// text also leaves the WAL file soon after the commit.
    pub(crate) async fn erase<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.submit(true, f).await
    }

    async fn submit<T, F>(&self, erases: bool, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let run: Run = Box::new(move |conn| {
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
            .send(Job { run, erases })
            .map_err(|_| StoreError::Unavailable("database writer stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("database writer dropped a write".into()))?
    }
}

fn run(conn: Connection, rx: Receiver<Job>, max_batch: usize, busy_timeout: Duration) {
    let mut jobs = Vec::with_capacity(max_batch);
    let mut dones = Vec::with_capacity(max_batch);
    // The first erasing commit no checkpoint has followed yet, and when the
    // next checkpoint may be tried.
    let mut erased_since: Option<Instant> = None;
    let mut retry_at = Instant::now();
    loop {
        if let Some(since) = erased_since {
            let now = Instant::now();
            // Idle is the cheapest moment to rewrite the WAL; under load,
            // the bound decides.
            if now >= retry_at && (rx.is_empty() || now >= since + ERASE_WITHIN) {
                if checkpoint(&conn, busy_timeout) {
                    erased_since = None;
                } else {
                    retry_at = now + CHECKPOINT_RETRY;
                }
            }
        }
        let first = match erased_since {
            None => match rx.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
            Some(_) => match rx.recv_timeout(retry_at.saturating_duration_since(Instant::now())) {
                Ok(job) => job,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            },
        };
        jobs.push(first);
        jobs.extend(rx.try_iter().take(max_batch - 1));
        let erases = jobs.iter().any(|j| j.erases);
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            tracing::error!(error = %e, "cannot begin a write transaction");
            for job in jobs.drain(..) {
                let (_, done) = (job.run)(Err(&e));
                done(Err(&e));
            }
            continue;
        }
        for job in jobs.drain(..) {
            // A savepoint per job: one failing job (a taken username) must
            // not sink the others in its batch.
            if let Err(e) = conn.execute_batch("SAVEPOINT job") {
                let (_, done) = (job.run)(Err(&e));
                dones.push(done);
                continue;
            }
            let (ok, done) = (job.run)(Ok(&conn));
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
        if erases && commit.is_ok() && erased_since.is_none() {
            erased_since = Some(Instant::now());
        }
    }
}

/// Copies the WAL into the database file and truncates it, so page images
/// that held erased text are gone from both files; says whether it could.
/// It waits for readers of older snapshots only briefly, since it holds up
/// every write meanwhile: a long reader (a backup in progress) makes it try
/// again later.
fn checkpoint(conn: &Connection, busy_timeout: Duration) -> bool {
    let _ = conn.busy_timeout(CHECKPOINT_WAIT);
    let result = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        r.get::<_, i64>(0)
    });
    let _ = conn.busy_timeout(busy_timeout);
    match result {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => {
            tracing::error!(error = %e, "erasing checkpoint failed");
            false
        }
    }
}
