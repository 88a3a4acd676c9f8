//! Reader threads, each with its own connection. In WAL mode they read the
//! last committed state without waiting on the writer.

use crossbeam_channel::{Receiver, Sender};
use messenger_core::store::StoreError;
use rusqlite::Connection;
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce(&Connection) + Send>;

#[derive(Clone)]
pub(crate) struct Readers {
    tx: Sender<Job>,
}

impl Readers {
    pub(crate) fn spawn(conns: Vec<Connection>) -> std::io::Result<Self> {
        let (tx, rx) = crossbeam_channel::unbounded::<Job>();
        for (i, conn) in conns.into_iter().enumerate() {
            let rx: Receiver<Job> = rx.clone();
            std::thread::Builder::new()
                .name(format!("messenger-sqlite-reader-{i}"))
                .spawn(move || {
                    for job in rx {
                        job(&conn);
                    }
                })?;
        }
        Ok(Self { tx })
    }

    /// Runs `f` on a free reader and waits for its answer.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Box::new(move |conn| {
                let _ = reply.send(f(conn));
            }))
            .map_err(|_| StoreError::Unavailable("database readers stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("database reader dropped a read".into()))?
    }
}
