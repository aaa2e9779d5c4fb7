//! SQLite's write-ahead log copied back into the database file by a thread of its own, so that
//! no request pays for it.
//!
//! By default SQLite checkpoints inside the commit that takes the WAL past 1 000 pages: that
//! request (holding the single writer's lock, so every other writer with it) writes the pages into
//! the database file and waits for two `fsync`s. Under load that is every hundred commits or so,
//! and it is where the case page's slowest one per cent waited (bench/http). The server's pool
//! (`db::server_pool`) turns that off on its connections, and [`spawn`] runs a passive checkpoint
//! every [`EVERY`] instead: it copies what no reader still needs without taking the writer's lock,
//! so writers go on meanwhile. The WAL starts over from its beginning only when a writer finds it
//! wholly copied back, and writers that keep appending while the checkpoint runs never let that
//! happen (bench/http grew it to 2.6 GB, and the next start spent 2.6 s reading it back). So once
//! the WAL is over [`RESTART_ABOVE`] pages, further passes catch up with the writers until one
//! finds at most [`LOCKED_PASS_PAGES`] new pages, and then one more runs holding this process's
//! writer lock: it copies only what came in during that short pass, and the next writer starts the
//! WAL over. (A single pass under the lock right after the first copied whatever the writers had
//! appended meanwhile, megabytes at a thousand case views a second: every writer stood still for
//! it, three times a second, and that was the case page's slowest one per cent in bench/http.)
//! Passive, like SQLite's own: a blocking (`RESTART`) checkpoint waits for
//! every reader while holding the writers back, and under load that held them for seconds.
//! Command-line tools and tests keep SQLite's own checkpoints.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::sqlite::SqliteConnection;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// How often the WAL is copied back.
pub const EVERY: Duration = Duration::from_millis(250);
/// WAL size (pages, 16 MiB at 4 KiB) above which the checkpoint makes sure it can start over.
pub const RESTART_ABOVE: i64 = 4_096;
/// Passes without the lock, at most, that catch up with the writers before the pass under it.
pub const CATCH_UP_PASSES: usize = 8;
/// The pass under the writer's lock runs once a pass without it found at most this many new
/// pages (1 MiB at 4 KiB pages): it then copies about as few, in a millisecond or so.
pub const LOCKED_PASS_PAGES: i64 = 256;
/// WAL pages left behind by a checkpoint above which the tracing log warns (about 400 MB at 4 KiB
/// pages): readers kept it from being copied back for a long time.
pub const WARN_ABOVE: i64 = 100_000;

/// What a checkpoint reported (`PRAGMA wal_checkpoint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct Outcome {
    /// 1 when the checkpoint could not run (another checkpoint held its lock).
    #[diesel(sql_type = BigInt)]
    pub busy: i64,
    /// Pages in the WAL.
    #[diesel(sql_type = BigInt)]
    pub log: i64,
    /// Pages of it now in the database file.
    #[diesel(sql_type = BigInt)]
    pub checkpointed: i64,
}

/// Runs one passive checkpoint.
pub fn run(conn: &mut SqliteConnection) -> QueryResult<Outcome> {
    diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(conn)
}

/// What the checkpoint thread has done (for tests and the operator's questions).
#[derive(Debug, Default)]
pub struct Stats {
    /// Checkpoints run.
    pub runs: AtomicI64,
    /// WAL pages in the database file after the newest run.
    pub checkpointed: AtomicI64,
    /// WAL pages after the newest run.
    pub log: AtomicI64,
    /// Checkpoints run under the writer's lock so that the WAL could start over.
    pub restarts: AtomicI64,
    /// The most pages one checkpoint under the writer's lock found appended since the pass
    /// before it (what the writers waited for).
    pub locked_pages_max: AtomicI64,
    /// Runs that found the WAL shorter than the run before left it: a writer had started it over
    /// from its beginning.
    pub started_over: AtomicI64,
}

/// The databases this process runs a checkpoint thread for ([`spawn`]).
static SPAWNED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Whether this process checkpoints the database at `path` by a thread of its own (then its
/// connections leave checkpoints to that thread).
pub fn spawned_for(path: &Path) -> bool {
    SPAWNED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .any(|p| p == path)
}

/// Starts the checkpoint thread on the database at `path`; it runs as long as the process.
pub fn spawn(path: &Path) -> std::io::Result<Arc<Stats>> {
    let stats = Arc::new(Stats::default());
    let path: PathBuf = path.to_path_buf();
    SPAWNED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(path.clone());
    let s = stats.clone();
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let mut conn = None;
            loop {
                std::thread::sleep(EVERY);
                if let Err(e) = once(&path, &mut conn, &s) {
                    // Opened again next time; SQLite keeps the WAL meanwhile (nothing is lost).
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                    conn = None;
                }
            }
        })?;
    Ok(stats)
}

fn once(
    path: &Path,
    conn: &mut Option<SqliteConnection>,
    stats: &Stats,
) -> Result<(), super::DbError> {
    let c = match conn {
        Some(c) => c,
        None => {
            let mut c = SqliteConnection::establish(&path.to_string_lossy())?;
            c.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA wal_autocheckpoint = 0;")?;
            conn.insert(c)
        }
    };
    let mut done = run(c)?;
    if done.log < stats.log.load(Ordering::Relaxed) {
        stats.started_over.fetch_add(1, Ordering::Relaxed);
    }
    if done.log > RESTART_ABOVE {
        // Writers appended while that pass copied. Catch up without the lock until a pass finds
        // little new (it was short, so little came in meanwhile either): the pass under the lock,
        // which keeps every writer of this process waiting, then copies only a few pages. Writers
        // faster than the copying get the lock after [`CATCH_UP_PASSES`] anyway: the WAL must
        // start over some time.
        for _ in 0..CATCH_UP_PASSES {
            let next = run(c)?;
            let appended = next.log - done.log;
            done = next;
            if appended <= LOCKED_PASS_PAGES {
                break;
            }
        }
        {
            // No writer of this process appends meanwhile: when this one copies everything back
            // (no reader still needs the WAL), the next writer starts the WAL from its beginning.
            let _writer = super::SqliteWriter::take();
            let before = done.log;
            done = run(c)?;
            stats.restarts.fetch_add(1, Ordering::Relaxed);
            stats
                .locked_pages_max
                .fetch_max(done.log - before, Ordering::Relaxed);
        }
    }
    let behind = done.log - done.checkpointed;
    if behind > WARN_ABOVE && stats.log.load(Ordering::Relaxed) <= WARN_ABOVE {
        tracing::warn!(
            pages = behind,
            "the SQLite WAL is not being copied back: long readers?"
        );
    }
    stats.runs.fetch_add(1, Ordering::Relaxed);
    stats.log.store(done.log, Ordering::Relaxed);
    stats
        .checkpointed
        .store(done.checkpointed, Ordering::Relaxed);
    Ok(())
}
