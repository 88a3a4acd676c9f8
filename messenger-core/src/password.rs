//! Password hashing: argon2id on dedicated idle-priority threads, each
//! reusing its working memory from one hash to the next.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{OnceCell, oneshot};

use crate::config::HashingCost;
use crate::error::Error;
use crate::priority;
use crate::user::Password;

/// One unit of hashing work, given the thread's reusable memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Hashes and verifies passwords on `concurrency` threads of its own, so a
/// login storm neither stalls async workers nor takes unbounded memory.
///
/// The threads run at idle CPU priority (Linux `SCHED_IDLE`): chat traffic
/// sharing the cores preempts a hash at once. Each hash needs `memory_kib`
/// of working memory (19 MiB by default), which each thread keeps and
/// reuses: freshly mapped memory costs thousands of page faults per hash
/// and returning it a long unmap, kernel work that delayed the async
/// workers sharing the core by milliseconds during a login storm.
///
/// The threads end when the last clone of the hasher is dropped. Unlike
/// `spawn_blocking` work, a hash in progress does not hold back a paused
/// Tokio test clock: it may auto-advance while a hash is awaited.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
    jobs: mpsc::Sender<Job>,
    dummy: Arc<OnceCell<String>>,
}

impl PasswordHasher {
    /// A hasher with `cost`, hashing on `concurrency` threads.
    pub fn new(cost: HashingCost, concurrency: usize) -> Result<Self, Error> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| Error::Internal(format!("bad argon2 parameters: {e}")))?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..concurrency.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name("messenger-argon2".into())
                .spawn(move || serve(&queue))
                .map_err(|e| Error::Internal(format!("cannot start a hashing thread: {e}")))?;
        }
        Ok(Self {
            params,
            jobs,
            dummy: Arc::new(OnceCell::new()),
        })
    }

    /// Runs `work` on a hashing thread, with that thread's memory.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, Error> {
        let (reply, answer) = oneshot::channel();
        let queued = ::metrics::gauge!(crate::metrics::HASHING_QUEUE);
        queued.increment(1.0);
        let waiting = queued.clone();
        let job: Job = Box::new(move |blocks| {
            waiting.decrement(1.0);
            // A caller that went away (a dropped request) costs no hash.
            if !reply.is_closed() {
                let _ = reply.send(work(blocks));
            }
        });
        let start = std::time::Instant::now();
        if self.jobs.send(job).is_err() {
            queued.decrement(1.0);
            return Err(Error::Internal("password hashing threads are gone".into()));
        }
        let out = answer
            .await
            .map_err(|_| Error::Internal("password hashing failed".into()));
        ::metrics::histogram!(crate::metrics::HASHING_SECONDS).record(start.elapsed());
        out
    }

    /// An argon2id PHC string for `password`, with a fresh random salt.
    pub async fn hash(&self, password: &Password) -> Result<String, Error> {
        let params = self.params.clone();
        let secret = password.expose().as_bytes().to_vec();
        self.run(move |blocks| {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
            let output = compute(
                &argon2,
                &params,
                &secret,
                &salt,
                Params::DEFAULT_OUTPUT_LEN,
                blocks,
            )?;
            let phc = PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params).map_err(internal)?,
                salt: Some(salt.as_salt()),
                hash: Some(output),
            };
            Ok(phc.to_string())
        })
        .await?
    }

    /// Whether `password` matches `phc`. With `phc = None` (an unknown user)
    /// it verifies against a dummy hash, so both cost the same time, and
    /// answers `false`.
    pub async fn verify(&self, password: &Password, phc: Option<&str>) -> Result<bool, Error> {
        let (phc, known) = match phc {
            Some(p) => (p.to_owned(), true),
            None => (self.dummy_hash().await?, false),
        };
        let secret = password.expose().as_bytes().to_vec();
        let matched = self
            .run(move |blocks| {
                let unreadable = |e: &dyn std::fmt::Display| {
                    Error::Internal(format!("stored password hash is unreadable: {e}"))
                };
                let parsed = PasswordHash::new(&phc).map_err(|e| unreadable(&e))?;
                // The parameters stored in the hash, so old hashes keep
                // working after a cost change.
                let params = Params::try_from(&parsed).map_err(|e| unreadable(&e))?;
                let algorithm =
                    Algorithm::try_from(parsed.algorithm).map_err(|e| unreadable(&e))?;
                let version = match parsed.version {
                    Some(v) => Version::try_from(v).map_err(|e| unreadable(&e))?,
                    None => Version::default(),
                };
                let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
                    return Err(unreadable(&"no salt or no hash"));
                };
                let argon2 = Argon2::new(algorithm, version, params.clone());
                let salt = SaltString::from_b64(salt.as_str()).map_err(|e| unreadable(&e))?;
                let output = compute(&argon2, &params, &secret, &salt, expected.len(), blocks)?;
                // `Output` compares in constant time.
                Ok(output == expected)
            })
            .await??;
        Ok(matched && known)
    }

    async fn dummy_hash(&self) -> Result<String, Error> {
        self.dummy
            .get_or_try_init(|| async {
                let filler =
                    Password::parse("dummy password for unknown users", &Default::default())?;
                self.hash(&filler).await
            })
            .await
            .cloned()
    }
}

/// A hashing thread: idle priority, one memory block, jobs until the
/// hasher is dropped.
fn serve(queue: &Mutex<mpsc::Receiver<Job>>) {
    if !priority::lower_current_thread() {
        tracing::debug!("password hashing runs at normal priority");
    }
    let mut blocks = Vec::new();
    loop {
        // The lock is held only while waiting, so one idle thread at a time
        // takes the next job.
        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = next else { return };
        // A panicking job drops its reply (the caller sees an error); the
        // thread and its memory stay for the next one.
        let _ = catch_unwind(AssertUnwindSafe(|| job(&mut blocks)));
    }
}

/// The raw argon2 output for `secret` and `salt`, computed in `blocks`
/// (grown to the size `params` needs).
fn compute(
    argon2: &Argon2<'_>,
    params: &Params,
    secret: &[u8],
    salt: &SaltString,
    output_len: usize,
    blocks: &mut Vec<Block>,
) -> Result<Output, Error> {
    let needed = params.block_count();
    if blocks.len() < needed {
        blocks.resize(needed, Block::default());
    }
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(internal)?;
    Output::init_with(output_len, |out| {
        argon2
            .hash_password_into_with_memory(secret, salt_bytes, out, &mut blocks[..needed])
            .map_err(Into::into)
    })
    .map_err(internal)
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("password hashing failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Limits;

    fn pw(s: &str) -> Password {
        Password::parse(s, &Limits::default()).unwrap()
    }

    #[tokio::test]
    async fn hashes_interoperate_with_the_argon2_crates_own_phc_api() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier};
        let cost = HashingCost::INSECURE_FAST;
        let h = PasswordHasher::new(cost, 1).unwrap();
        // Ours verifies with argon2's verifier...
        let ours = h.hash(&pw("interop pass")).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"interop pass", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"other", &parsed)
                .is_err()
        );
        // ...and hashes argon2 made (stored before this hasher) verify here,
        // with their own parameters.
        let params = Params::new(cost.memory_kib * 2, cost.iterations + 1, 1, None).unwrap();
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"interop pass", &salt)
            .unwrap()
            .to_string();
        assert!(h.verify(&pw("interop pass"), Some(&theirs)).await.unwrap());
        assert!(!h.verify(&pw("interop nope"), Some(&theirs)).await.unwrap());
    }

    #[tokio::test]
    async fn a_thread_keeps_its_memory_for_the_next_hash() {
        let cost = HashingCost::INSECURE_FAST;
        let h = PasswordHasher::new(cost, 1).unwrap();
        assert_eq!(h.run(|blocks| blocks.capacity()).await.unwrap(), 0);
        h.hash(&pw("grow the memory")).await.unwrap();
        let kept = h.run(|blocks| blocks.len()).await.unwrap();
        assert_eq!(kept, h.params.block_count());
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_at_idle_priority() {
        let h = PasswordHasher::new(HashingCost::INSECURE_FAST, 2).unwrap();
        // SAFETY: reads the calling thread's policy.
        let policy = h.run(|_| unsafe { libc::sched_getscheduler(0) });
        assert_eq!(policy.await.unwrap(), libc::SCHED_IDLE);
    }

    #[tokio::test]
    async fn a_panicking_job_fails_alone_and_the_thread_goes_on() {
        let h = PasswordHasher::new(HashingCost::INSECURE_FAST, 1).unwrap();
        let failed = h.run(|_| -> u8 { panic!("boom") }).await;
        assert!(matches!(failed, Err(Error::Internal(_))), "{failed:?}");
        let phc = h.hash(&pw("still hashing")).await.unwrap();
        assert!(h.verify(&pw("still hashing"), Some(&phc)).await.unwrap());
    }

    #[tokio::test]
    async fn an_abandoned_request_costs_no_hash() {
        let h = PasswordHasher::new(HashingCost::INSECURE_FAST, 1).unwrap();
        let (started_tx, started_rx) = oneshot::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        // Occupy the only thread, queue a hash behind it, then give up on it.
        let busy = h.clone();
        let blocker = tokio::spawn(async move {
            busy.run(move |_| {
                started_tx.send(()).unwrap();
                release_rx.recv().unwrap();
            })
            .await
        });
        started_rx.await.unwrap();
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = ran.clone();
        let abandoned = h.run(move |_| flag.store(true, std::sync::atomic::Ordering::SeqCst));
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(20), abandoned)
                .await
                .is_err()
        );
        release_tx.send(()).unwrap();
        blocker.await.unwrap().unwrap();
        // The queue is served in order: once this answers, the abandoned job
        // has had its turn.
        h.run(|_| ()).await.unwrap();
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[tokio::test]
    async fn hashes_are_argon2id_phc_and_verify() {
        let h = PasswordHasher::new(HashingCost::INSECURE_FAST, 2).unwrap();
        let phc = h.hash(&pw("correct horse")).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
        assert!(h.verify(&pw("correct horse"), Some(&phc)).await.unwrap());
        assert!(!h.verify(&pw("wrong horse"), Some(&phc)).await.unwrap());
        assert_ne!(phc, h.hash(&pw("correct horse")).await.unwrap(), "salted");
    }

    #[tokio::test]
    async fn default_cost_is_owasp() {
        let h = PasswordHasher::new(HashingCost::default(), 1).unwrap();
        let phc = h.hash(&pw("correct horse")).await.unwrap();
        assert!(phc.contains("m=19456,t=2,p=1"), "{phc}");
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        let h = PasswordHasher::new(HashingCost::INSECURE_FAST, 2).unwrap();
        assert!(
            !h.verify(&pw("dummy password for unknown users"), None)
                .await
                .unwrap()
        );
    }
}
