//! Password hashing: argon2id, off the async workers, with bounded concurrency.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OnceCell, Semaphore};

use crate::config::HashingCost;
use crate::error::Error;
use crate::user::Password;

/// Hashes and verifies passwords on the blocking pool, at most
/// `concurrency` at a time, so a login storm neither stalls async workers
/// nor takes unbounded memory (each hash holds `memory_kib`).
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
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
            dummy: Arc::new(OnceCell::new()),
        })
    }

    fn argon2(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::Internal("password hasher closed".into()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Error::Internal(format!("password hashing task failed: {e}")))
    }

    /// An argon2id PHC string for `password`, with a fresh random salt.
    pub async fn hash(&self, password: &Password) -> Result<String, Error> {
        let params = self.params.clone();
        let secret = password.expose().as_bytes().to_vec();
        self.blocking(move || {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            Self::argon2(params)
                .hash_password(&secret, &salt)
                .map(|h| h.to_string())
                .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
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
            .blocking(move || {
                PasswordHash::new(&phc)
                    .map(|parsed| {
                        // Verify with the parameters stored in the hash, so
                        // old hashes keep working after a cost change.
                        Argon2::default().verify_password(&secret, &parsed).is_ok()
                    })
                    .map_err(|e| {
                        Error::Internal(format!("stored password hash is unreadable: {e}"))
                    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Limits;

    fn pw(s: &str) -> Password {
        Password::parse(s, &Limits::default()).unwrap()
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
