//! SQLite: the one connection a serving process writes with.
//!
//! SQLite throws away a connection's whole page cache when the connection begins a transaction
//! after another connection of the file has committed. The server's writes are serialised anyway
//! ([`super::SqliteWriter`]), but each ran on whichever pool connection its request held, so each
//! began with a cold cache and read its pages again by `pread` — the upper levels of the access
//! log's indexes included (bench/http, `perf`: 11–15 % of the server's CPU under load). Here every
//! write transaction of the web requests and the jobs runs on one connection instead, which keeps
//! its cache from one transaction to the next, and that cache is larger ([`CACHE_KIB`]) since
//! there is one of it.
//!
//! The connection is installed for a piece of work with [`with_writer`] (the web layer's and the
//! jobs' `run`); [`super::write_tx`] then begins its transaction on it rather than on the
//! connection it was given. Without one installed (the command line, tests calling the services
//! directly), or while it cannot be opened, writes run on the given connection as before.

use super::{DbConnection, Manager, Target};
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The writer's page cache, KiB (the server's pool connections keep SQLite's 2 MiB): the hot part
/// of every index the writes touch.
pub const CACHE_KIB: i64 = 65_536;

/// A shared transaction takes at most this many requests' work before it commits.
const BATCH_MAX: u32 = 32;

/// ... and is committed by the first member to finish once its first member has waited this long
/// for the commit, so that a steady queue of writers cannot keep its first members waiting.
const BATCH_MAX_AGE: Duration = Duration::from_millis(2);

/// How long a member waits for its shared transaction to be committed before it gives up with an
/// error (its work may then still be committed: the page is not shown, which is the safe side).
const SETTLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The writing connection of one SQLite database, opened when first needed.
///
/// **Group commit.** The web requests' write transactions on it (each request's work and its
/// access-log entry) may share one SQLite transaction: the first runs in the transaction itself
/// (when it fails, the transaction is rolled back), each one after it inside its own savepoint,
/// released when its work succeeds and rolled back when it fails, and the shared transaction
/// is committed once, by the member that finds no other writer waiting (or the batch full or
/// old). A member's `write_tx` returns only after that commit: nothing it read is shown, and
/// nothing it did is reported done, unless its log entry is committed with it; when the commit
/// fails, every member fails. A commit on SQLite writes every page the transaction changed to the
/// WAL; a case view changes the same few pages (the log's last leaves) as the one before it, so
/// one commit for several of them writes those pages once (bench/http, `perf`: committing was
/// about a third of the time the one writer was held).
///
/// The transaction stays open only while another writer of this process is queued for
/// [`super::SqliteWriter`]: that writer either joins it, or, when it does not share (the jobs,
/// the checkpoint's locked pass, a write on another connection), commits it first
/// ([`settle_open`]). So a batch is never left open with no one to close it.
pub struct Writer {
    target: Target,
    slot: Mutex<Slot>,
    settled: Arc<Outcomes>,
}

/// The shared transactions' outcomes and the condition their members wait on. Behind an `Arc` of
/// its own so that the member that commits can wake the others after it has let go of the
/// writers' lock ([`wake_deferred`]).
#[derive(Default)]
struct Outcomes {
    settled: Mutex<Settled>,
    cv: Condvar,
}

/// When a commit's members are woken.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wake {
    /// At once: the thread goes on to other work while it holds the writers' lock (a job's own
    /// transaction, the checkpoint's locked pass), which must not keep the members waiting.
    Now,
    /// When this thread lets go of the writers' lock, which it does as soon as it returns: the
    /// member that commits. Woken while it still held the lock, the members ran on the two cores
    /// beside it and its successor and preempted them (`sched:sched_switch`, bench/http's case
    /// page: about 600 preemptions a second of the lock's holder, 486 of them by other blocking
    /// threads), and queued on `settled` while the committer still held it (1 196 switches a
    /// second).
    AfterUnlock,
}

thread_local! {
    /// Outcomes whose members wait to be woken when this thread lets go of the writers' lock.
    static DEFERRED: RefCell<Vec<Arc<Outcomes>>> = const { RefCell::new(Vec::new()) };
}

/// Wakes the members of commits published by this thread while it held the writers' lock
/// ([`Wake::AfterUnlock`]); called by [`super::SqliteWriter`] once the lock is released.
pub(super) fn wake_deferred() {
    let waiting = DEFERRED.with(|d| std::mem::take(&mut *d.borrow_mut()));
    for o in waiting {
        o.cv.notify_all();
    }
}

/// The connection and the shared transaction open on it, if any.
#[derive(Default)]
struct Slot {
    conn: Option<DbConnection>,
    open: Option<Batch>,
    next_seq: u64,
}

struct Batch {
    seq: u64,
    members: u32,
    /// When its first member's work was done (the longest a member has waited for the commit).
    since: Option<Instant>,
}

/// The shared transactions settled so far: all up to `through`, and the recent failures.
#[derive(Default)]
struct Settled {
    through: u64,
    failed: VecDeque<(u64, String)>,
}

/// What a write transaction on the writer came to.
pub(super) enum Step<T, E> {
    /// Committed, or failed: the answer.
    Done(Result<T, E>),
    /// Done, in a shared transaction that another member will commit: wait for `seq`.
    Pending(u64, T),
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("target", &self.target)
            .finish()
    }
}

/// The writer with a shared transaction open, for a writer that does not share to commit first.
static OPEN: parking_lot::Mutex<Option<Arc<Writer>>> = parking_lot::const_mutex(None);

/// Commits the shared transaction left open for the next writer, unless that writer is `joining`
/// it. Called by [`super::SqliteWriter::take`] as soon as the writers' lock is held.
pub(super) fn settle_open(joining: Option<&Arc<Writer>>) {
    let open = OPEN.lock().take();
    if let Some(w) = open {
        if joining.is_some_and(|j| Arc::ptr_eq(j, &w)) {
            *OPEN.lock() = Some(w);
        } else {
            let mut slot = w.lock_slot();
            if let Err(why) = w.settle(&mut slot, Wake::Now) {
                tracing::warn!(error = %why, "a shared write transaction could not be committed");
            }
        }
    }
}

fn db_error(message: String) -> diesel::result::Error {
    diesel::result::Error::DatabaseError(
        diesel::result::DatabaseErrorKind::Unknown,
        Box::new(message),
    )
}

impl Writer {
    /// The writer for a database URL: None for PostgreSQL (its writers share no cache to lose).
    pub fn for_url(url: &str) -> Option<Arc<Writer>> {
        match Target::parse(url) {
            Ok(target @ Target::Sqlite(_)) => Some(Arc::new(Writer {
                target,
                slot: Mutex::new(Slot::default()),
                settled: Arc::new(Outcomes::default()),
            })),
            _ => None,
        }
    }

    fn open(&self) -> Result<DbConnection, super::DbError> {
        use diesel::connection::SimpleConnection;
        // Checkpoints as the pool's connections do: by the checkpoint thread when the server
        // runs one for this file, otherwise in the commit that fills the WAL (SQLite's own).
        let autocheckpoint = match &self.target {
            Target::Sqlite(path) => !super::checkpoint::spawned_for(path),
            Target::Postgres(_) => true,
        };
        let mut c = Manager {
            target: self.target.clone(),
            autocheckpoint,
        }
        .open()?;
        c.batch_execute(&format!("PRAGMA cache_size = -{CACHE_KIB};"))?;
        Ok(c)
    }

    /// The slot, after work that panicked on it: that work's connection is closed (SQLite rolls
    /// back what it left) and its shared transaction, if any, failed.
    fn lock_slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        match self.slot.lock() {
            Ok(slot) => slot,
            Err(poisoned) => {
                let mut slot = poisoned.into_inner();
                self.fail(&mut slot, "the work before panicked".into());
                self.slot.clear_poison();
                slot
            }
        }
    }

    /// Ends the shared transaction by closing its connection (SQLite rolls it back), and tells
    /// its members.
    fn fail(&self, slot: &mut Slot, why: String) {
        slot.conn = None;
        if let Some(b) = slot.open.take() {
            self.publish(b.seq, Err(why), Wake::Now);
        }
    }

    /// Commits the shared transaction, if one is open, and tells its members.
    fn settle(&self, slot: &mut Slot, wake: Wake) -> Result<(), String> {
        let Some(b) = slot.open.take() else {
            return Ok(());
        };
        {
            let mut open = OPEN.lock();
            if open
                .as_ref()
                .is_some_and(|w| std::ptr::eq(Arc::as_ptr(w), self))
            {
                *open = None;
            }
        }
        let outcome = match slot.conn.as_mut() {
            Some(DbConnection::Sqlite(c)) => {
                AnsiTransactionManager::commit_transaction(c).map_err(|e| e.to_string())
            }
            _ => Err("the writing connection is gone".to_string()),
        };
        if outcome.is_err() {
            slot.conn = None;
        }
        self.publish(b.seq, outcome.clone(), wake);
        outcome
    }

    fn publish(&self, seq: u64, outcome: Result<(), String>, wake: Wake) {
        let mut s = match self.settled.settled.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        s.through = s.through.max(seq);
        if let Err(why) = outcome {
            s.failed.push_back((seq, why));
            if s.failed.len() > 64 {
                s.failed.pop_front();
            }
        }
        // Let go first: a member woken finds `settled` free instead of sleeping on it again.
        drop(s);
        if wake == Wake::AfterUnlock && super::holds_writers() {
            DEFERRED.with(|d| d.borrow_mut().push(self.settled.clone()));
        } else {
            self.settled.cv.notify_all();
        }
    }

    /// Waits until the shared transaction `seq` is settled: Ok when it was committed.
    pub(super) fn wait_settled(&self, seq: u64) -> Result<(), diesel::result::Error> {
        let s = match self.settled.settled.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        let (s, timeout) = match self
            .settled
            .cv
            .wait_timeout_while(s, SETTLE_TIMEOUT, |s| s.through < seq)
        {
            Ok(r) => r,
            Err(p) => p.into_inner(),
        };
        if timeout.timed_out() && s.through < seq {
            return Err(db_error(
                "the shared write transaction was not committed in time".into(),
            ));
        }
        match s.failed.iter().find(|(q, _)| *q == seq) {
            Some((_, why)) => Err(db_error(why.clone())),
            None => Ok(()),
        }
    }

    /// Runs `f` in a write transaction on the writing connection, opening it when needed; `Err(f)`
    /// when it cannot be opened (logged), for the caller to run `f` elsewhere. `shared`: `f` may
    /// join the shared transaction (see [`Writer`]); otherwise it has one of its own. The caller
    /// holds the writers' lock. A connection that broke, or that work panicked on, is dropped and
    /// opened again next time.
    pub(super) fn transaction<T, E, F>(
        self: &Arc<Self>,
        shared: bool,
        f: F,
    ) -> Result<Step<T, E>, F>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        use diesel::r2d2::R2D2Connection;
        let mut slot = self.lock_slot();
        if !shared {
            // Whatever was left open is committed before this work begins its own (its members
            // are told how that went).
            if let Err(why) = self.settle(&mut slot, Wake::Now) {
                tracing::warn!(error = %why, "a shared write transaction could not be committed");
            }
        }
        if slot.conn.is_none() {
            match self.open() {
                Ok(c) => slot.conn = Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot open the SQLite writer connection");
                    return Err(f);
                }
            }
        }
        // The first work of a transaction has it to itself until it is done (no savepoint: when
        // it fails, the transaction is rolled back); later ones join in a savepoint each.
        let joining = slot.open.is_some();
        if joining {
            // This work's own savepoint inside the shared transaction.
            let saved = match slot.conn.as_mut() {
                Some(DbConnection::Sqlite(c)) => AnsiTransactionManager::begin_transaction(c),
                _ => Err(db_error("the writing connection is not SQLite".into())),
            };
            if let Err(e) = saved {
                self.fail(&mut slot, e.to_string());
                return Ok(Step::Done(Err(e.into())));
            }
        } else {
            let begun = match slot.conn.as_mut() {
                Some(DbConnection::Sqlite(c)) => {
                    AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
                }
                _ => Err(db_error("the writing connection is not SQLite".into())),
            };
            if let Err(e) = begun {
                if slot.conn.as_mut().is_some_and(|c| c.is_broken()) {
                    slot.conn = None;
                }
                return Ok(Step::Done(Err(e.into())));
            }
            slot.next_seq += 1;
            slot.open = Some(Batch {
                seq: slot.next_seq,
                members: 0,
                since: None,
            });
        }
        let Some(conn) = slot.conn.as_mut() else {
            return Err(f);
        };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn)));
        let result = match result {
            Ok(r) => r,
            Err(panic) => {
                self.fail(&mut slot, "work in the shared transaction panicked".into());
                drop(slot);
                std::panic::resume_unwind(panic)
            }
        };
        let end = match (slot.conn.as_mut(), joining, result.is_ok()) {
            (Some(DbConnection::Sqlite(_)), false, true) => Ok(()),
            (Some(DbConnection::Sqlite(c)), true, true) => {
                AnsiTransactionManager::commit_transaction(c)
            }
            // A savepoint rolled back and released, or the whole transaction (the first work).
            (Some(DbConnection::Sqlite(c)), _, false) => {
                AnsiTransactionManager::rollback_transaction(c)
            }
            _ => Err(db_error("the writing connection is gone".into())),
        };
        if !joining && result.is_err() && end.is_ok() {
            // Rolled back, and no one else's work was in it.
            if let Some(b) = slot.open.take() {
                self.publish(b.seq, Ok(()), Wake::AfterUnlock);
            }
            return Ok(Step::Done(result));
        }
        if let Err(e) = end {
            // The savepoint could not be released or rolled back (SQLite may have rolled the whole
            // transaction back on an I/O error): nobody's work in it stands.
            self.fail(&mut slot, e.to_string());
            return Ok(Step::Done(match result {
                Ok(_) => Err(e.into()),
                Err(err) => Err(err),
            }));
        }
        let Some(batch) = slot.open.as_mut() else {
            return Ok(Step::Done(Err(
                db_error("no transaction open".into()).into()
            )));
        };
        let seq = batch.seq;
        if result.is_ok() {
            batch.members += 1;
        }
        // The first to finish always waits for the next (someone is queued).
        let first = batch.since.is_none();
        let since = *batch.since.get_or_insert_with(Instant::now);
        let keep_open = shared
            && super::writers_waiting() > 0
            && batch.members < BATCH_MAX
            && (first || since.elapsed() < BATCH_MAX_AGE);
        if keep_open {
            *OPEN.lock() = Some(self.clone());
            return Ok(match result {
                Ok(v) => Step::Pending(seq, v),
                Err(e) => Step::Done(Err(e)),
            });
        }
        // The caller lets go of the writers' lock as soon as this returns: its members are woken
        // then.
        let committed = self.settle(&mut slot, Wake::AfterUnlock);
        if slot.conn.as_mut().is_some_and(|c| c.is_broken()) {
            slot.conn = None;
        }
        Ok(Step::Done(match (result, committed) {
            (Ok(v), Ok(())) => Ok(v),
            (Ok(_), Err(why)) => Err(db_error(why).into()),
            (Err(e), _) => Err(e),
        }))
    }
}

thread_local! {
    /// The writer installed on this thread, and whether its work may share transactions.
    static INSTALLED: RefCell<Option<(Arc<Writer>, bool)>> = const { RefCell::new(None) };
}

/// Runs `work` with `writer` (if any) as this thread's writing connection, each write transaction
/// of its own (the jobs: a round of the indexer or the sealer is long, and requests that finished
/// before it should not wait for it).
pub fn with_writer<T>(writer: Option<&Arc<Writer>>, work: impl FnOnce() -> T) -> T {
    install(writer.map(|w| (w.clone(), false)), work)
}

/// As [`with_writer`], with the write transactions shared (group commit, see [`Writer`]): the web
/// requests, short and many.
pub fn with_shared_writer<T>(writer: Option<&Arc<Writer>>, work: impl FnOnce() -> T) -> T {
    install(writer.map(|w| (w.clone(), true)), work)
}

fn install<T>(writer: Option<(Arc<Writer>, bool)>, work: impl FnOnce() -> T) -> T {
    /// Puts back what was installed before, also when `work` panics (the thread is reused).
    struct Restore(Option<(Arc<Writer>, bool)>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let before = self.0.take();
            INSTALLED.with(|w| *w.borrow_mut() = before);
        }
    }
    let _restore = Restore(INSTALLED.with(|w| w.replace(writer)));
    work()
}

/// This thread's writing connection, if one is installed, and whether it shares transactions.
pub(super) fn installed() -> Option<(Arc<Writer>, bool)> {
    INSTALLED.with(|w| w.borrow().clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{self, write_tx};
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;

    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn cache_size(c: &mut DbConnection) -> i64 {
        diesel::sql_query("SELECT cache_size AS n FROM pragma_cache_size()")
            .get_result::<N>(c)
            .map(|r| r.n)
            .unwrap_or(0)
    }

    /// Whether this connection's session has the temporary table `mark` (one connection's own).
    fn has_mark(c: &mut DbConnection) -> bool {
        diesel::sql_query("SELECT count(*) AS n FROM temp.sqlite_master WHERE name = 'mark'")
            .get_result::<N>(c)
            .map(|r| r.n == 1)
            .unwrap_or(false)
    }

    fn setup() -> Option<(tempfile::TempDir, String)> {
        let dir = tempfile::tempdir().ok()?;
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        Some((dir, url))
    }

    #[test]
    fn installed_writes_run_on_one_connection_and_others_on_their_own()
    -> Result<(), Box<dyn std::error::Error>> {
        let (_dir, url) = setup().ok_or("no temporary directory")?;
        let pool = db::pool(&url, 2)?;
        let mut a = pool.get()?;
        let mut b = pool.get()?;
        let writer = Writer::for_url(&url);
        assert!(writer.is_some());
        with_writer(writer.as_ref(), || -> Result<(), diesel::result::Error> {
            // The first write transaction, from connection a, marks the connection it ran on.
            let size = write_tx(&mut a, |c| {
                c.batch_execute("CREATE TEMP TABLE mark (x)")?;
                Ok::<_, diesel::result::Error>(cache_size(c))
            })?;
            assert_eq!(size, -CACHE_KIB, "ran on the writer, with its cache");
            // The second, from connection b, finds the mark: the same connection.
            assert!(write_tx(&mut b, |c| Ok::<_, diesel::result::Error>(
                has_mark(c)
            ))?);
            // Neither pool connection is that one.
            assert!(!has_mark(&mut a) && !has_mark(&mut b));
            assert_eq!(cache_size(&mut a), -16_384);
            Ok(())
        })?;
        // Nothing installed: the connection given.
        assert!(!write_tx(&mut a, |c| Ok::<_, diesel::result::Error>(
            has_mark(c)
        ))?);
        Ok(())
    }

    #[test]
    fn work_that_panics_inside_its_transaction_leaves_a_usable_writer()
    -> Result<(), Box<dyn std::error::Error>> {
        let (_dir, url) = setup().ok_or("no temporary directory")?;
        let pool = db::pool(&url, 1)?;
        let mut a = pool.get()?;
        let writer = Writer::for_url(&url);
        with_writer(writer.as_ref(), || -> Result<(), diesel::result::Error> {
            write_tx(&mut a, |c| c.batch_execute("CREATE TABLE t (x)"))?;
            let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _ = write_tx(&mut a, |c| -> Result<(), diesel::result::Error> {
                    c.batch_execute("INSERT INTO t VALUES (1)")?;
                    panic!("work failed half-way")
                });
            }));
            assert!(panicked.is_err());
            // The next write begins (no transaction left open) and the half-done one is gone.
            write_tx(&mut a, |c| c.batch_execute("INSERT INTO t VALUES (2)"))?;
            Ok(())
        })?;
        let n = diesel::sql_query("SELECT count(*) AS n FROM t").get_result::<N>(&mut a)?;
        assert_eq!(n.n, 1);
        Ok(())
    }

    #[test]
    fn the_writer_is_uninstalled_after_a_panic_and_is_sqlite_only() {
        let Some((_dir, url)) = setup() else {
            panic!("no temporary directory")
        };
        let writer = Writer::for_url(&url);
        let panicked = std::panic::catch_unwind(|| {
            with_writer(writer.as_ref(), || {
                assert!(installed().is_some());
                panic!("work failed")
            })
        });
        assert!(panicked.is_err());
        assert!(installed().is_none());
        assert!(Writer::for_url("postgres://u@127.0.0.1/db").is_none());
    }

    /// Group commit, step by step: the first request's work is done while a second is queued for
    /// the writers' lock, so its transaction is left open for the second to join.
    mod shared {
        use super::*;
        use std::sync::mpsc;
        use std::thread;
        use std::time::{Duration, Instant};

        fn count(c: &mut DbConnection, x: i64) -> i64 {
            diesel::sql_query("SELECT count(*) AS n FROM t WHERE x = ?")
                .bind::<BigInt, _>(x)
                .get_result::<N>(c)
                .map(|r| r.n)
                .unwrap_or(-1)
        }

        fn insert(c: &mut DbConnection, x: i64) -> Result<(), diesel::result::Error> {
            diesel::sql_query("INSERT INTO t (x) VALUES (?)")
                .bind::<BigInt, _>(x)
                .execute(c)
                .map(|_| ())
        }

        /// Until another writer is queued for the writers' lock (at most 10 s).
        fn until_queued() -> bool {
            let t0 = Instant::now();
            while db::writers_waiting() == 0 {
                if t0.elapsed() > Duration::from_secs(10) {
                    return false;
                }
                thread::sleep(Duration::from_millis(1));
            }
            true
        }

        struct Setup {
            _dir: tempfile::TempDir,
            pool: db::Pool,
            writer: Arc<Writer>,
        }

        fn setup_t() -> Result<Setup, Box<dyn std::error::Error>> {
            let (dir, url) = super::setup().ok_or("no temporary directory")?;
            let pool = db::pool(&url, 4)?;
            let writer = Writer::for_url(&url).ok_or("no writer")?;
            pool.get()?
                .batch_execute("CREATE TABLE t (x INTEGER NOT NULL)")?;
            Ok(Setup {
                _dir: dir,
                pool,
                writer,
            })
        }

        /// Runs `second` (on its own thread, its own pool connection) once the first request's
        /// work is done and the second is queued; returns both answers. The first inserts 1.
        fn first_then<T: Send + 'static>(
            s: &Setup,
            second: impl FnOnce(db::Pool, Arc<Writer>) -> T + Send + 'static,
        ) -> Result<(Result<(), diesel::result::Error>, T), Box<dyn std::error::Error>> {
            let (first, (), second) = first_then_seeing(s, second, || ())?;
            Ok((first, second))
        }

        /// The first's answer, what was seen the moment it returned, and the second's answer.
        type Seen<R, T> = (Result<(), diesel::result::Error>, R, T);

        /// [`first_then`], with what `seen` reads the moment the first's `write_tx` returns.
        fn first_then_seeing<T: Send + 'static, R>(
            s: &Setup,
            second: impl FnOnce(db::Pool, Arc<Writer>) -> T + Send + 'static,
            seen: impl FnOnce() -> R,
        ) -> Result<Seen<R, T>, Box<dyn std::error::Error>> {
            let (queue_tx, queue_rx) = mpsc::channel::<()>();
            let (pool, writer) = (s.pool.clone(), s.writer.clone());
            let other = thread::spawn(move || {
                let _ = queue_rx.recv();
                second(pool, writer)
            });
            let mut a = s.pool.get()?;
            let first = with_shared_writer(Some(&s.writer), || {
                write_tx(&mut a, |c| {
                    insert(c, 1)?;
                    // The second asks for the writers' lock while this one holds it.
                    let _ = queue_tx.send(());
                    assert!(until_queued(), "the second writer queued");
                    Ok::<_, diesel::result::Error>(())
                })
            });
            let seen = seen();
            let second = other.join().map_err(|_| "the second writer panicked")?;
            Ok((first, seen, second))
        }

        #[test]
        fn a_queued_request_joins_the_transaction_and_both_are_committed_once()
        -> Result<(), Box<dyn std::error::Error>> {
            let s = setup_t()?;
            let (first, second) = first_then(&s, |pool, writer| {
                let mut b = pool.get().map_err(|e| e.to_string())?;
                let mut other = pool.get().map_err(|e| e.to_string())?;
                with_shared_writer(Some(&writer), || {
                    write_tx(&mut b, |c| {
                        // Joined: the first's row is there, in the same transaction, which is
                        // still open (another connection does not see the row yet).
                        let seen = (count(c, 1), count(&mut other, 1));
                        insert(c, 2)?;
                        Ok::<_, diesel::result::Error>(seen)
                    })
                })
                .map_err(|e| e.to_string())
            })?;
            assert!(first.is_ok(), "{first:?}");
            assert_eq!(
                second,
                Ok((1, 0)),
                "the second ran inside the first's transaction, not yet committed"
            );
            let mut c = s.pool.get()?;
            assert_eq!(
                (count(&mut c, 1), count(&mut c, 2)),
                (1, 1),
                "both committed"
            );
            Ok(())
        }

        /// A member waiting for the shared commit is woken by it (once the committer has let go
        /// of the writers' lock), not by its wait's timeout.
        #[test]
        fn a_waiting_member_is_woken_by_the_commit() -> Result<(), Box<dyn std::error::Error>> {
            let s = setup_t()?;
            let t0 = Instant::now();
            let (first, second) = first_then(&s, |pool, writer| {
                let mut b = pool.get().map_err(|e| e.to_string())?;
                with_shared_writer(Some(&writer), || write_tx(&mut b, |c| insert(c, 2)))
                    .map_err(|e| e.to_string())
            })?;
            assert!(first.is_ok() && second.is_ok(), "{first:?} {second:?}");
            assert!(
                t0.elapsed() < SETTLE_TIMEOUT / 3,
                "the first member returned after {:?}: its wait timed out, nobody woke it",
                t0.elapsed()
            );
            Ok(())
        }

        /// A job that commits the open transaction before its own wakes that transaction's
        /// members at once, not when it lets go of the writers' lock after its own work.
        #[test]
        fn members_are_woken_before_a_job_that_committed_for_them_is_done()
        -> Result<(), Box<dyn std::error::Error>> {
            use std::sync::atomic::{AtomicBool, Ordering};
            let s = setup_t()?;
            let job_done = Arc::new(AtomicBool::new(false));
            let done = job_done.clone();
            let (first, job_was_done, job) = first_then_seeing(
                &s,
                move |pool, writer| -> Result<(), String> {
                    let mut b = pool.get().map_err(|e| e.to_string())?;
                    with_writer(Some(&writer), || {
                        write_tx(&mut b, |c| {
                            insert(c, 2)?;
                            // A long round, holding the writers' lock.
                            thread::sleep(Duration::from_secs(3));
                            done.store(true, Ordering::SeqCst);
                            Ok::<_, diesel::result::Error>(())
                        })
                    })
                    .map_err(|e| e.to_string())
                },
                || job_done.load(Ordering::SeqCst),
            )?;
            assert!(first.is_ok() && job.is_ok(), "{first:?} {job:?}");
            assert!(
                !job_was_done,
                "the first member was woken only when the job let go of the writers' lock"
            );
            Ok(())
        }

        #[test]
        fn a_member_that_fails_loses_only_its_own_work() -> Result<(), Box<dyn std::error::Error>> {
            let s = setup_t()?;
            let (first, second) = first_then(&s, |pool, writer| {
                let mut b = pool.get().map_err(|e| e.to_string())?;
                with_shared_writer(Some(&writer), || {
                    write_tx(&mut b, |c| {
                        insert(c, 2)?;
                        Err::<(), _>(diesel::result::Error::RollbackTransaction)
                    })
                })
                .map_err(|e| e.to_string())
            })?;
            assert!(first.is_ok(), "{first:?}");
            assert!(second.is_err());
            let mut c = s.pool.get()?;
            assert_eq!((count(&mut c, 1), count(&mut c, 2)), (1, 0));
            Ok(())
        }

        #[test]
        fn when_the_shared_transaction_fails_every_member_fails()
        -> Result<(), Box<dyn std::error::Error>> {
            let s = setup_t()?;
            let (first, second) = first_then(&s, |pool, writer| {
                let mut b = pool.get().map_err(|e| e.to_string())?;
                let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    with_shared_writer(Some(&writer), || {
                        let _ = write_tx(&mut b, |c| -> Result<(), diesel::result::Error> {
                            insert(c, 2)?;
                            panic!("work failed inside the shared transaction")
                        });
                    })
                }));
                Ok::<bool, String>(panicked.is_err())
            })?;
            assert_eq!(second, Ok(true));
            // The first's work was done, but its transaction was not committed: it must not be
            // told otherwise (a page shown without its log entry).
            assert!(
                first.is_err(),
                "the first member fails with the transaction"
            );
            let mut c = s.pool.get()?;
            assert_eq!((count(&mut c, 1), count(&mut c, 2)), (0, 0));
            // And the writer goes on.
            let mut a = s.pool.get()?;
            with_shared_writer(Some(&s.writer), || write_tx(&mut a, |c| insert(c, 3)))?;
            assert_eq!(count(&mut c, 3), 1);
            Ok(())
        }

        #[test]
        fn a_writer_that_does_not_share_commits_the_open_transaction_first()
        -> Result<(), Box<dyn std::error::Error>> {
            let s = setup_t()?;
            let (first, second) = first_then(&s, |pool, writer| {
                let mut b = pool.get().map_err(|e| e.to_string())?;
                // A job's write (its own transaction): the first's row is committed before it
                // begins, so another connection sees it from inside the job's work.
                with_writer(Some(&writer), || {
                    write_tx(&mut b, |c| {
                        insert(c, 2)?;
                        Ok::<_, diesel::result::Error>(())
                    })
                })
                .map_err(|e| e.to_string())?;
                let mut other = pool.get().map_err(|e| e.to_string())?;
                Ok::<i64, String>(count(&mut other, 1))
            })?;
            assert!(first.is_ok(), "{first:?}");
            assert_eq!(second, Ok(1));
            let mut c = s.pool.get()?;
            assert_eq!(count(&mut c, 2), 1);
            Ok(())
        }

        #[test]
        fn a_write_on_another_connection_commits_the_open_transaction_first()
        -> Result<(), Box<dyn std::error::Error>> {
            let s = setup_t()?;
            let (first, second) = first_then(&s, |pool, _writer| {
                // No writer installed (the command line): its own connection, which would wait
                // on SQLite's busy timeout if the shared transaction were still open.
                let mut b = pool.get().map_err(|e| e.to_string())?;
                let t0 = Instant::now();
                write_tx(&mut b, |c| insert(c, 2)).map_err(|e| e.to_string())?;
                Ok::<Duration, String>(t0.elapsed())
            })?;
            assert!(first.is_ok(), "{first:?}");
            let took = second?;
            assert!(took < Duration::from_secs(5), "no busy wait: {took:?}");
            let mut c = s.pool.get()?;
            assert_eq!((count(&mut c, 1), count(&mut c, 2)), (1, 1));
            Ok(())
        }

        #[test]
        fn a_first_request_that_fails_leaves_nothing_and_the_next_begins_anew()
        -> Result<(), Box<dyn std::error::Error>> {
            let s = setup_t()?;
            let mut a = s.pool.get()?;
            let failed = with_shared_writer(Some(&s.writer), || {
                write_tx(&mut a, |c| {
                    insert(c, 1)?;
                    Err::<(), _>(diesel::result::Error::RollbackTransaction)
                })
            });
            assert!(failed.is_err());
            with_shared_writer(Some(&s.writer), || write_tx(&mut a, |c| insert(c, 2)))?;
            let mut c = s.pool.get()?;
            assert_eq!((count(&mut c, 1), count(&mut c, 2)), (0, 1));
            Ok(())
        }

        #[test]
        fn alone_a_request_commits_its_own_transaction() -> Result<(), Box<dyn std::error::Error>> {
            let s = setup_t()?;
            let mut a = s.pool.get()?;
            with_shared_writer(Some(&s.writer), || write_tx(&mut a, |c| insert(c, 1)))?;
            // Committed on return: another connection sees it.
            let mut c = s.pool.get()?;
            assert_eq!(count(&mut c, 1), 1);
            Ok(())
        }
    }
}
