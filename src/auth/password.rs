//! Password hashing with argon2id (m = 19 MiB, t = 2, p = 1, the OWASP minimum). Callers run these
//! on a blocking thread, never on the async executor.
//!
//! Every hash runs on one of a few dedicated threads ([`Hashers`]), one per core, and the rest
//! wait their turn. More at once would not finish sooner (each is CPU-bound) but would each hold
//! 19 MiB: a login storm on the blocking pool (up to 512 threads) would otherwise grow the process
//! by gigabytes. The hashing threads run at a lower CPU priority (`nice` + [`HASH_NICE`]): when the
//! cores are busy, the pages of the people already at work come first and a login waits a little
//! longer, instead of a morning's login storm slowing every case page (bench/http, the storm row).

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};

/// How much higher the hashing threads' `nice` is than the process's. Linux gives a thread at
/// nice 5 about a third of the CPU time of one at 0 when both want a core, and all of a core
/// nobody else wants.
pub const HASH_NICE: i32 = 5;

/// A hash to run, given the thread's argon2 memory to reuse.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// The dedicated hashing threads: as many as cores, each keeping one argon2 buffer (19 MiB) for
/// the life of the process, fed by one queue. Allocating the memory per login let every blocking
/// thread's malloc arena keep its own 19 MiB, and a storm grew the process by hundreds of MB.
struct Hashers {
    /// `None` when no hashing thread could start.
    queue: Option<mpsc::Sender<Job>>,
}

impl Hashers {
    fn global() -> &'static Hashers {
        static H: OnceLock<Hashers> = OnceLock::new();
        H.get_or_init(|| {
            let (tx, rx) = mpsc::channel::<Job>();
            let rx = std::sync::Arc::new(Mutex::new(rx));
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            let mut started = 0;
            for i in 0..cores {
                let rx = rx.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("argon2-{i}"))
                    .spawn(move || {
                        lower_priority();
                        let mut memory = Vec::new();
                        loop {
                            // A poisoned lock only means another hashing thread panicked.
                            let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                            match job {
                                Ok(job) => run_caught(job, &mut memory),
                                Err(_) => return,
                            }
                        }
                    });
                if spawned.is_ok() {
                    started += 1;
                }
            }
            Hashers {
                queue: (started > 0).then_some(tx),
            }
        })
    }

    /// Runs `f` on a hashing thread and waits for its answer (on the caller's thread if no
    /// hashing thread could start); `None` if it panicked.
    fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Option<T> {
        let (answer, answered) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |memory| {
            let _ = answer.send(f(memory));
        });
        let unsent = match &self.queue {
            Some(queue) => queue.send(job).err().map(|e| e.0),
            None => Some(job),
        };
        if let Some(job) = unsent {
            let mut memory = Vec::new();
            run_caught(job, &mut memory);
        }
        answered.recv().ok()
    }
}

/// Runs a job, a panic in it caught so that the hashing thread lives on; the job's caller then
/// gets no answer.
fn run_caught(job: Job, memory: &mut Vec<Block>) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || job(memory)));
}

/// Lowers the calling thread's CPU priority by [`HASH_NICE`] below the process's (on Linux `nice`
/// is per thread), at most to 19.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: getpriority and setpriority only read their arguments; who = 0 is the calling
    // thread on Linux.
    unsafe {
        let now = libc::getpriority(libc::PRIO_PROCESS, 0);
        libc::setpriority(libc::PRIO_PROCESS, 0, (now + HASH_NICE).min(19));
    }
}

/// A buffer of at least `blocks` argon2 blocks, the thread's own grown when it is too small.
fn memory_for(memory: &mut Vec<Block>, blocks: usize) -> &mut [Block] {
    if memory.len() < blocks {
        *memory = vec![Block::default(); blocks];
    }
    &mut memory[..blocks]
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
    let password = password.to_owned();
    Hashers::global()
        .run(move |_| {
            hasher()?
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| HashError(e.to_string()))
        })
        .unwrap_or_else(|| Err(HashError("the hash panicked".into())))
}

/// True when `password` matches `stored`. A malformed hash never matches.
///
/// The argon2 memory (19 MiB) is the hashing thread's own, kept for the life of the process.
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
    let salt = salt.to_vec();
    let password = password.to_owned();
    Hashers::global()
        .run(move |memory| {
            let mut out = vec![0u8; expected.len()];
            let blocks = memory_for(memory, params.block_count());
            let ok = Argon2::new(algorithm, version, params)
                .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, blocks)
                .is_ok();
            // `Output` compares in constant time.
            ok && argon2::password_hash::Output::new(&out).is_ok_and(|o| o == expected)
        })
        .unwrap_or(false)
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
    fn no_more_hashes_at_once_than_cores_and_at_a_lower_priority() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let running = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..cores * 3)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                std::thread::spawn(move || {
                    Hashers::global().run(move |_| {
                        use std::sync::atomic::Ordering::SeqCst;
                        let now = running.fetch_add(1, SeqCst) + 1;
                        most.fetch_max(now, SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, SeqCst);
                        // SAFETY: getpriority only reads; who = 0 is this thread on Linux.
                        unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
                    })
                })
            })
            .collect();
        let mut nices = vec![];
        for t in threads {
            nices.push(t.join().ok().flatten());
        }
        let most = most.load(std::sync::atomic::Ordering::SeqCst);
        assert!(
            most <= cores && most >= 1,
            "{most} at once on {cores} cores"
        );
        // SAFETY: as above; this is the test's own thread.
        let ours = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
        for n in nices {
            assert_eq!(n, Some((ours + HASH_NICE).min(19)), "hashing thread's nice");
        }
    }

    #[test]
    fn a_panic_on_a_hashing_thread_answers_none_and_the_threads_live_on() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        for _ in 0..cores * 2 {
            assert_eq!(Hashers::global().run(|_| -> u8 { panic!("boom") }), None);
        }
        assert_eq!(Hashers::global().run(|_| 7), Some(7));
    }
}
