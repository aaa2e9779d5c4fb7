//! Password hashing with argon2id (m = 19 MiB, t = 2, p = 1, the OWASP minimum). Callers run these
//! on a blocking thread, never on the async executor.
//!
//! At most as many hashes run at once as there are cores ([`HashPermits`]); the rest wait their
//! turn. More at once would not finish sooner (each is CPU-bound) but would each hold 19 MiB: a
//! login storm on the blocking pool (up to 512 threads) would otherwise grow the process by
//! gigabytes.

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{Condvar, Mutex, OnceLock};

/// A counting semaphore for blocking threads: argon2 runs on the blocking pool, not in async code.
struct HashPermits {
    free: Mutex<usize>,
    freed: Condvar,
    /// argon2 memory to reuse: never more buffers than permits.
    memory: Mutex<Vec<Vec<Block>>>,
}

struct Permit(&'static HashPermits);

impl HashPermits {
    fn global() -> &'static HashPermits {
        static P: OnceLock<HashPermits> = OnceLock::new();
        P.get_or_init(|| HashPermits {
            free: Mutex::new(std::thread::available_parallelism().map_or(2, |n| n.get())),
            freed: Condvar::new(),
            memory: Mutex::new(Vec::new()),
        })
    }

    fn acquire(&'static self) -> Permit {
        // A poisoned lock only means another hash panicked; the count is still right.
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Permit(self)
    }
}

impl Permit {
    /// A buffer of at least `blocks` argon2 blocks, reused when one is free.
    fn memory(&self, blocks: usize) -> Vec<Block> {
        let reused = self
            .0
            .memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop();
        match reused {
            Some(b) if b.len() >= blocks => b,
            _ => vec![Block::default(); blocks],
        }
    }

    fn give_back(&self, buffer: Vec<Block>) {
        self.0
            .memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(buffer);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|e| e.into_inner());
        *free += 1;
        self.0.freed.notify_one();
    }
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

fn hasher() -> Result<Argon2<'static>, HashError> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| HashError(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub fn hash(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    let _permit = HashPermits::global().acquire();
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// True when `password` matches `stored`. A malformed hash never matches.
///
/// The argon2 memory (19 MiB) comes from a pool of at most one buffer per hash permit, kept for
/// the life of the process: allocating it per login let every blocking thread's malloc arena keep
/// its own 19 MiB, and a login storm grew the process by hundreds of megabytes.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let permit = HashPermits::global().acquire();
    let mut blocks = permit.memory(params.block_count());
    let ok = Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut blocks[..])
        .is_ok();
    permit.give_back(blocks);
    // `Output` compares in constant time.
    ok && argon2::password_hash::Output::new(&out).is_ok_and(|o| o == expected)
}

/// Spends the same time as a real check, for an unknown user, so that timing does not tell
/// whether an account exists.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("kontosparr-dummy-password").unwrap_or_default());
    let _ = verify(password, stored);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_the_required_cost() {
        let h = hash("Blåbärssylt i juni 7").unwrap_or_default();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("Blåbärssylt i juni 7", &h));
        assert!(!verify("Blåbärssylt i juni 8", &h));
        assert!(!verify("x", "not a hash"));
        assert_ne!(
            h,
            hash("Blåbärssylt i juni 7").unwrap_or_default(),
            "salted"
        );
    }

    #[test]
    fn no_more_hashes_at_once_than_cores() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let running = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..cores * 3)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                std::thread::spawn(move || {
                    use std::sync::atomic::Ordering::SeqCst;
                    let _p = HashPermits::global().acquire();
                    let now = running.fetch_add(1, SeqCst) + 1;
                    most.fetch_max(now, SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    running.fetch_sub(1, SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().ok();
        }
        let most = most.load(std::sync::atomic::Ordering::SeqCst);
        assert!(
            most <= cores && most >= 1,
            "{most} at once on {cores} cores"
        );
    }
}
