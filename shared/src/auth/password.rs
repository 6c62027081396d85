//! Argon2id password hashing at OWASP's minimum parameters (m = 19 MiB, t = 2, p = 1), which are
//! the `argon2` crate's defaults; a unit test pins them. Hashing runs on one dedicated thread.

use argon2::Argon2;
use argon2::password_hash::phc::{Output, PasswordHash};

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

thread_local! {
    /// Argon2's working memory (19 MiB at our parameters), allocated once per hashing thread and
    /// reused: allocating it per hash made glibc keep freed blocks around until a sandbox held
    /// ~220 MiB after a few dozen registrations (docs/performance.md).
    static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Argon2 of `password` and `salt` into `out`, in this thread's reused working memory.
fn hash_into(
    argon: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let blocks = argon.params().block_count();
    BLOCKS.with(|cell| {
        let mut memory = cell.borrow_mut();
        if memory.len() != blocks {
            memory.clear();
            memory.resize(blocks, argon2::Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut memory[..])
    })
}

const HASH_LEN: usize = 32;
const SALT_LEN: usize = 16;

/// Hashes synchronously (for the benchmark and tests); handlers use [`hash`]. The result is the
/// standard PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), as the `argon2` crate's
/// own `hash_password` writes it.
pub fn hash_blocking(password: &str) -> Result<String, HashError> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    let salt: [u8; SALT_LEN] = rand::random();
    let mut out = [0u8; HASH_LEN];
    hash_into(&hasher(), password.as_bytes(), &salt, &mut out)
        .map_err(|e| HashError(e.to_string()))?;
    Ok(format!(
        "$argon2id$v=19$m={M_COST_KIB},t={T_COST},p={P_COST}${}${}",
        b64.encode(salt),
        b64.encode(out)
    ))
}

/// Verifies synchronously, with the parameters the stored hash names. A malformed stored hash, or
/// one that is not Argon2id, verifies as `false` (and is logged).
pub fn verify_blocking(password: &str, phc: &str) -> bool {
    match recompute(password, phc) {
        // `Output`'s equality is the crate's constant-time comparison.
        Ok((expected, actual)) => expected == actual,
        Err(e) => {
            tracing::error!(error = %e, "stored password hash is malformed");
            false
        }
    }
}

/// The stored hash, and that of `password` under its salt and parameters.
fn recompute(password: &str, phc: &str) -> Result<(Output, Output), String> {
    let parsed = PasswordHash::new(phc).map_err(|e| e.to_string())?;
    if parsed.algorithm.as_str() != "argon2id" {
        return Err(format!("algorithm {} is not argon2id", parsed.algorithm));
    }
    let params = argon2::Params::try_from(&parsed).map_err(|e| e.to_string())?;
    let version = match parsed.version {
        None | Some(0x13) => argon2::Version::V0x13,
        Some(0x10) => argon2::Version::V0x10,
        Some(v) => return Err(format!("unknown version {v}")),
    };
    let salt: Vec<u8> = parsed.salt.ok_or("no salt")?.as_ref().to_vec();
    let expected = parsed.hash.ok_or("no hash")?;
    let argon = Argon2::new(argon2::Algorithm::Argon2id, version, params);
    let mut actual = vec![0u8; expected.len()];
    hash_into(&argon, password.as_bytes(), &salt, &mut actual).map_err(|e| e.to_string())?;
    let actual = Output::new(&actual).map_err(|e| e.to_string())?;
    Ok((expected, actual))
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
    fn hashes_interoperate_with_the_argon2_crates_own_phc_strings() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // Stored by earlier versions (the crate's hash_password): still verify.
        let old = hasher()
            .hash_password(b"stored before the change")
            .unwrap()
            .to_string();
        assert!(verify_blocking("stored before the change", &old));
        assert!(!verify_blocking("stored before the chang", &old));
        // Ours: the crate verifies them.
        let ours = hash_blocking("written now").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(hasher().verify_password(b"written now", &parsed).is_ok());
        assert!(hasher().verify_password(b"written no", &parsed).is_err());
        // Not Argon2id, or not a hash at all: false.
        assert!(!verify_blocking("x", &old.replace("argon2id", "argon2i")));
        assert!(!verify_blocking("x", "$argon2id$v=19$m=19456,t=2,p=1$"));
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
