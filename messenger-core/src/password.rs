//! Password hashing: argon2id, off the async workers, with bounded
//! concurrency, in memory that is reused from one hash to the next.

use std::sync::{Arc, Mutex};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{OnceCell, Semaphore};

use crate::config::HashingCost;
use crate::error::Error;
use crate::priority;
use crate::user::Password;

/// Hashes and verifies passwords on the blocking pool, at most
/// `concurrency` at a time, so a login storm neither stalls async workers
/// nor takes unbounded memory.
///
/// Each hash needs `memory_kib` of working memory (19 MiB by default).
/// It is kept and reused, at most one block per concurrent hash: freshly
/// mapped memory costs thousands of page faults per hash and returning it
/// a long unmap, kernel work that cannot be preempted and that delayed the
/// async workers sharing the core by milliseconds during a login storm.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
    dummy: Arc<OnceCell<String>>,
}

impl PasswordHasher {
    /// A hasher with `cost`, running at most `concurrency` hashes at once.
    pub fn new(cost: HashingCost, concurrency: usize) -> Result<Self, Error> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| Error::Internal(format!("bad argon2 parameters: {e}")))?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            memory: Arc::new(Mutex::new(Vec::new())),
            dummy: Arc::new(OnceCell::new()),
        })
    }

    /// Runs `work` on the blocking pool with a reused memory block, within
    /// the concurrency bound.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, Error> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::Internal("password hasher closed".into()))?;
        let memory = self.memory.clone();
        tokio::task::spawn_blocking(move || {
            let mut blocks = memory
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop()
                .unwrap_or_default();
            let out = priority::background(|| work(&mut blocks));
            memory
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(blocks);
            out
        })
        .await
        .map_err(|e| Error::Internal(format!("password hashing task failed: {e}")))
    }

    /// An argon2id PHC string for `password`, with a fresh random salt.
    pub async fn hash(&self, password: &Password) -> Result<String, Error> {
        let params = self.params.clone();
        let secret = password.expose().as_bytes().to_vec();
        self.blocking(move |blocks| {
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
            .blocking(move |blocks| {
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
        // The memory block is kept for the next hash, one per permit.
        assert_eq!(h.memory.lock().unwrap().len(), 1);
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
