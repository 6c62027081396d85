//! Argon2id password hashing at OWASP's minimum parameters (m = 19 MiB, t = 2, p = 1), which are
//! the `argon2` crate's defaults; a unit test pins them. Hashing runs on one dedicated thread.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

pub const M_COST_KIB: u32 = 19 * 1024;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

/// A hash of a random password at the same parameters. Verifying against it when an email is
/// unknown makes that answer cost the same time as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$2DKBq/VaWtPHNJzq9+U7Rg$aEvPBp1iBAYawcG5wV3PzmmAamUG+6rZvPlfgxUQMjU";

fn hasher() -> Argon2<'static> {
    let params = argon2::Params::new(M_COST_KIB, T_COST, P_COST, None)
        .unwrap_or_else(|_| argon2::Params::default());
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes synchronously (for the benchmark and tests); handlers use [`hash`].
pub fn hash_blocking(password: &str) -> Result<String, HashError> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Verifies synchronously. A malformed stored hash verifies as `false` (and is logged).
pub fn verify_blocking(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "stored password hash is malformed");
            false
        }
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// Runs `f` on the one thread that hashes passwords in this process, off the async runtime.
///
/// One thread, not tokio's blocking pool: each hash allocates Argon2's 19 MiB block, and glibc keeps
/// such a block in the arena of the thread that freed it. The blocking pool starts new threads as it
/// pleases (each with its own arena), which took a sandbox's peak RSS to 217 MiB over 1,000
/// registrations (`make bench-functions`); on one thread the block is reused.
async fn on_hashing_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    static WORKER: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> =
        std::sync::OnceLock::new();
    let worker = WORKER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("password-hashing".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job();
                }
            })
            .map_err(|e| tracing::error!(error = %e, "could not start the hashing thread"))
            .ok();
        std::sync::Mutex::new(tx)
    });
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = reply.send(f());
    });
    worker.lock().ok()?.send(job).ok()?;
    answer.await.ok()
}

pub async fn hash(password: String) -> Result<String, HashError> {
    on_hashing_thread(move || hash_blocking(&password))
        .await
        .unwrap_or_else(|| Err(HashError("the hashing thread is gone".into())))
}

/// Verifies `password` against `phc`, or against a dummy hash when there is no user, so both
/// failures take the same time.
pub async fn verify(password: String, phc: Option<String>) -> bool {
    let found = phc.is_some();
    let phc = phc.unwrap_or_else(|| DUMMY_HASH.to_string());
    let ok = on_hashing_thread(move || verify_blocking(&password, &phc))
        .await
        .unwrap_or(false);
    ok && found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_at_owasp_parameters_and_verify() {
        let h = hash_blocking("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_blocking("correct horse battery staple", &h));
        assert!(!verify_blocking("correct horse battery stapler", &h));
        assert!(!verify_blocking("x", "not a phc string"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_hashes_and_verifies_all_answer_on_the_one_thread() {
        let hashes = futures_join(
            (0..4)
                .map(|i| tokio::spawn(hash(format!("password number {i}"))))
                .collect(),
        )
        .await;
        for (i, h) in hashes.into_iter().enumerate() {
            let h = h.expect("hashed");
            assert!(verify(format!("password number {i}"), Some(h.clone())).await);
            assert!(!verify(format!("password number {}", i + 1), Some(h)).await);
        }
        assert!(
            !verify("anything".into(), None).await,
            "unknown user never verifies"
        );
    }

    async fn futures_join(
        handles: Vec<tokio::task::JoinHandle<Result<String, HashError>>>,
    ) -> Vec<Result<String, HashError>> {
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.expect("task"));
        }
        out
    }

    #[test]
    fn dummy_hash_has_the_same_parameters() {
        assert!(DUMMY_HASH.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        assert!(!verify("anything".into(), None).await);
    }
}
