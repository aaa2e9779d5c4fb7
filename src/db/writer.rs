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
//!
//! Group commit: write transactions that come while another writer holds the lock share one
//! SQLite transaction, each in a savepoint of its own ([`Writer::run_member`]). A case view writes
//! a dozen pages (the access log's row, its indexes' leaves, the subject row), most of them the
//! same few hot pages for every view; one transaction per view wrote each of them to the WAL again,
//! tens of megabytes a second that the checkpoint then copied back and fsynced under load. A
//! member whose savepoint fails is rolled back alone; one that succeeds returns only after its
//! group's COMMIT, so nothing is shown that its log entry might not outlive. A group commits when
//! no writer is waiting, at [`GROUP_MAX`] members or after [`GROUP_MAX_AGE`]; a writer that does
//! not join it (another connection, the checkpoint's pass under the lock) commits it first.

use super::{DbConnection, Manager, Target};
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The writer's page cache, KiB (the server's pool connections keep SQLite's 2 MiB): the hot part
/// of every index the writes touch.
pub const CACHE_KIB: i64 = 65_536;
/// Most write transactions one group commit holds ([`Writer::run_member`]).
pub const GROUP_MAX: u64 = 32;
/// A group commits once its first member began this long ago, writers waiting or not.
pub const GROUP_MAX_AGE: Duration = Duration::from_millis(4);
/// A member waits this long for its group to commit before it takes the writers' lock itself and
/// commits what is open (never needed while the hand-over works; logged when it is).
const MEMBER_WAIT: Duration = Duration::from_millis(250);

/// The writing connection of one SQLite database, opened when first needed.
pub struct Writer {
    target: Target,
    slot: Mutex<Slot>,
    /// Groups that have ended, for their members waiting outside the writers' lock.
    ended: Mutex<Ended>,
    ended_cv: Condvar,
    next_group: AtomicU64,
    /// What the group commits did (tests, the operator's questions).
    pub stats: GroupStats,
}

/// The connection and the group transaction open on it.
#[derive(Default)]
struct Slot {
    conn: Option<DbConnection>,
    group: Option<Group>,
}

/// A write transaction on the writing connection that several requests' write transactions share,
/// each in a savepoint of its own: one COMMIT (and one copy of each page it touched in the WAL)
/// for all of them.
#[derive(Debug, Clone, Copy)]
struct Group {
    id: u64,
    members: u64,
    began: Instant,
}

/// Groups up to `through` have ended; `failed` names the recent ones whose COMMIT failed.
#[derive(Default)]
struct Ended {
    through: u64,
    failed: VecDeque<(u64, String)>,
}

/// Counters of the group commits.
#[derive(Debug, Default)]
pub struct GroupStats {
    /// Group transactions committed or rolled back.
    pub groups: AtomicU64,
    /// Write transactions run in them.
    pub members: AtomicU64,
    /// The most members one group had.
    pub largest: AtomicU64,
    /// Members that found their group still open after [`MEMBER_WAIT`] and committed it
    /// themselves.
    pub rescued: AtomicU64,
}

/// How a member's write transaction ended ([`Writer::run_member`]).
pub(super) enum Member<T> {
    /// Committed, or failed: the result is final.
    Done(T),
    /// Its savepoint is released into group `0`, which the next writer commits (or joins): the
    /// result holds once that group has committed ([`Writer::wait_for`]).
    Pending(u64, T),
}

/// The writer whose group transaction is open, if any: a writer that does not join it (another
/// connection, the checkpoint's pass under the lock) commits it first ([`commit_open_group`]).
static OPEN: Mutex<Option<Arc<Writer>>> = Mutex::new(None);

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("target", &self.target)
            .finish()
    }
}

impl Writer {
    /// The writer for a database URL: None for PostgreSQL (its writers share no cache to lose).
    pub fn for_url(url: &str) -> Option<Arc<Writer>> {
        match Target::parse(url) {
            Ok(target @ Target::Sqlite(_)) => Some(Arc::new(Writer {
                target,
                slot: Mutex::new(Slot::default()),
                ended: Mutex::new(Ended::default()),
                ended_cv: Condvar::new(),
                next_group: AtomicU64::new(1),
                stats: GroupStats::default(),
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

    /// The slot, recovered when work panicked on it: the connection is closed (SQLite rolls back
    /// what it left, the open group with it) and that group's members are told it failed.
    fn lock_slot(&self) -> MutexGuard<'_, Slot> {
        match self.slot.lock() {
            Ok(slot) => slot,
            Err(poisoned) => {
                let mut slot = poisoned.into_inner();
                slot.conn = None;
                if let Some(g) = slot.group.take() {
                    self.end(g, Some("the write transaction was abandoned".into()));
                }
                self.slot.clear_poison();
                slot
            }
        }
    }

    /// Records that group `g` ended (failed with a message, or committed) and wakes its members.
    fn end(&self, g: Group, failed: Option<String>) {
        if let Ok(mut open) = OPEN.lock()
            && open.as_ref().is_some_and(|w| std::ptr::eq(&**w, self))
        {
            *open = None;
        }
        self.stats.groups.fetch_add(1, Ordering::Relaxed);
        self.stats.members.fetch_add(g.members, Ordering::Relaxed);
        self.stats.largest.fetch_max(g.members, Ordering::Relaxed);
        let mut ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        ended.through = ended.through.max(g.id);
        if let Some(message) = failed {
            tracing::warn!(group = g.id, members = g.members, error = %message, "group commit failed");
            ended.failed.push_back((g.id, message));
            while ended.failed.len() > 256 {
                ended.failed.pop_front();
            }
        }
        self.ended_cv.notify_all();
    }

    /// Commits the group open on `slot`, if any (the caller holds the writers' lock).
    fn commit_group(&self, slot: &mut Slot) -> Result<(), diesel::result::Error> {
        let Some(g) = slot.group.take() else {
            return Ok(());
        };
        let end = match slot.conn.as_mut() {
            Some(DbConnection::Sqlite(c)) => AnsiTransactionManager::commit_transaction(c),
            Some(DbConnection::Pg(c)) => AnsiTransactionManager::commit_transaction(c),
            None => Err(diesel::result::Error::BrokenTransactionManager),
        };
        if end.is_err()
            || slot.conn.as_mut().is_some_and(|c| {
                use diesel::r2d2::R2D2Connection;
                c.is_broken()
            })
        {
            slot.conn = None;
        }
        self.end(g, end.as_ref().err().map(ToString::to_string));
        end
    }

    /// Runs `f`, one write transaction, on the writing connection (the caller holds the writers'
    /// lock), opening the connection when needed; `Err(f)` when it cannot be opened (logged), for
    /// the caller to run `f` elsewhere.
    ///
    /// Group commit: `f` runs in a savepoint of the group transaction open on the connection,
    /// which begins (`BEGIN IMMEDIATE`) when none is. When no other writer is waiting, or the
    /// group is full ([`GROUP_MAX`]) or old ([`GROUP_MAX_AGE`]), it commits and `f`'s result is
    /// final; otherwise it stays open for the next writer and `f`'s result holds only once that
    /// group has committed: the caller releases the lock and then [`Writer::wait_for`]s it. An
    /// `f` that fails is rolled back to its savepoint and touches nothing of the others'. Each
    /// commit writes each page once for the whole group, where one transaction per page view
    /// wrote a dozen pages to the WAL each (bench/http).
    pub(super) fn run_member<T, E, F>(
        self: &Arc<Self>,
        f: F,
        waiting: bool,
    ) -> Result<Member<Result<T, E>>, F>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        use diesel::r2d2::R2D2Connection;
        // A group on another writer (another database of this process) ends first.
        commit_open_group_except(Some(self));
        let mut slot = self.lock_slot();
        if slot.conn.is_none() {
            match self.open() {
                Ok(c) => slot.conn = Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot open the SQLite writer connection");
                    return Err(f);
                }
            }
        }
        let slot = &mut *slot;
        let Some(conn) = slot.conn.as_mut() else {
            return Err(f);
        };
        if slot.group.is_none() {
            let began = match conn {
                DbConnection::Sqlite(c) => {
                    AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
                }
                DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction(c),
            };
            if let Err(e) = began {
                if conn.is_broken() {
                    slot.conn = None;
                }
                return Ok(Member::Done(Err(e.into())));
            }
            slot.group = Some(Group {
                id: self.next_group.fetch_add(1, Ordering::Relaxed),
                members: 0,
                began: Instant::now(),
            });
            if let Ok(mut open) = OPEN.lock() {
                *open = Some(self.clone());
            }
        }
        let result = savepoint(conn, f);
        let Some(mut g) = slot.group else {
            return Ok(Member::Done(result));
        };
        g.members += 1;
        slot.group = Some(g);
        let depth = match conn {
            DbConnection::Sqlite(c) => {
                AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
            }
            DbConnection::Pg(c) => {
                AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
            }
        };
        // (Not `is_broken`: diesel counts an open transaction as broken.)
        if !matches!(depth, Ok(Some(d)) if d.get() == 1) {
            // The savepoint could not end (SQLite rolls a whole transaction back on some
            // errors): the group is gone, for every member.
            slot.conn = None;
            slot.group = None;
            self.end(g, Some("the group's transaction broke".into()));
            return Ok(Member::Done(match result {
                Ok(_) => Err(diesel::result::Error::BrokenTransactionManager.into()),
                Err(e) => Err(e),
            }));
        }
        if waiting && g.members < GROUP_MAX && g.began.elapsed() < GROUP_MAX_AGE {
            return Ok(match result {
                Ok(v) => Member::Pending(g.id, Ok(v)),
                // Rolled back to its savepoint: nothing of it to commit.
                Err(e) => Member::Done(Err(e)),
            });
        }
        let end = self.commit_group(slot);
        Ok(Member::Done(match (result, end) {
            (Ok(v), Ok(())) => Ok(v),
            (Ok(_), Err(e)) => Err(e.into()),
            (Err(e), _) => Err(e),
        }))
    }

    /// Waits until group `id` has ended; its error if its COMMIT failed. The caller does not hold
    /// the writers' lock.
    pub(super) fn wait_for(&self, id: u64) -> Result<(), diesel::result::Error> {
        let deadline = Instant::now() + MEMBER_WAIT;
        let mut ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        while ended.through < id {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                drop(ended);
                // No writer came to commit it: commit it here (taking the lock commits what is
                // open).
                self.stats.rescued.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(group = id, "group commit not handed over; committing it");
                drop(super::SqliteWriter::take());
                ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
                if ended.through < id {
                    return Err(diesel::result::Error::BrokenTransactionManager);
                }
                break;
            }
            ended = match self.ended_cv.wait_timeout(ended, left) {
                Ok((e, _)) => e,
                Err(p) => p.into_inner().0,
            };
        }
        match ended.failed.iter().find(|(g, _)| *g == id) {
            Some((_, message)) => Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::Unknown,
                Box::new(message.clone()),
            )),
            None => Ok(()),
        }
    }
}

/// `f` in a savepoint of the transaction open on `conn`: released when it succeeds, rolled back
/// to when it fails.
fn savepoint<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction(c)?,
        DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    let result = f(conn);
    let end = match (&result, &mut *conn) {
        (Ok(_), DbConnection::Sqlite(c)) => AnsiTransactionManager::commit_transaction(c),
        (Ok(_), DbConnection::Pg(c)) => AnsiTransactionManager::commit_transaction(c),
        (Err(_), DbConnection::Sqlite(c)) => AnsiTransactionManager::rollback_transaction(c),
        (Err(_), DbConnection::Pg(c)) => AnsiTransactionManager::rollback_transaction(c),
    };
    match (result, end) {
        (Ok(v), Ok(())) => Ok(v),
        (Ok(_), Err(e)) => Err(e.into()),
        (Err(e), _) => Err(e),
    }
}

/// Commits the open group transaction, if any, unless it is `keep`'s: for a writer that does not
/// join it. The caller holds the writers' lock.
pub(super) fn commit_open_group_except(keep: Option<&Arc<Writer>>) {
    let open = OPEN.lock().ok().and_then(|o| o.clone());
    let Some(w) = open else { return };
    if keep.is_some_and(|k| Arc::ptr_eq(k, &w)) {
        return;
    }
    let mut slot = w.lock_slot();
    // A failed COMMIT is logged and told to the group's members; this writer goes on.
    let _ = w.commit_group(&mut slot);
}

thread_local! {
    static INSTALLED: RefCell<Option<Arc<Writer>>> = const { RefCell::new(None) };
}

/// Runs `work` with `writer` (if any) as this thread's writing connection.
pub fn with_writer<T>(writer: Option<&Arc<Writer>>, work: impl FnOnce() -> T) -> T {
    /// Puts back what was installed before, also when `work` panics (the thread is reused).
    struct Restore(Option<Arc<Writer>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let before = self.0.take();
            INSTALLED.with(|w| *w.borrow_mut() = before);
        }
    }
    let _restore = Restore(INSTALLED.with(|w| w.replace(writer.cloned())));
    work()
}

/// This thread's writing connection, if one is installed.
pub(super) fn installed() -> Option<Arc<Writer>> {
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

    fn count(c: &mut DbConnection, sql: &str) -> i64 {
        diesel::sql_query(sql)
            .get_result::<N>(c)
            .map(|r| r.n)
            .unwrap_or(-1)
    }

    /// Writers that come while others write share one transaction, each in a savepoint: a write
    /// that returns is committed (another connection sees it at once), a write that failed left
    /// nothing, and fewer COMMITs ran than writes.
    #[test]
    fn concurrent_writes_commit_in_groups_and_each_stands_alone()
    -> Result<(), Box<dyn std::error::Error>> {
        let (_dir, url) = setup().ok_or("no temporary directory")?;
        let pool = db::pool(&url, 9)?;
        let writer = Writer::for_url(&url).ok_or("no writer")?;
        let mut c = pool.get()?;
        with_writer(Some(&writer), || {
            write_tx(&mut c, |c| c.batch_execute("CREATE TABLE t (x INTEGER)"))
        })?;
        let threads: Vec<_> = (0..8i64)
            .map(|t| {
                let (pool, writer) = (pool.clone(), writer.clone());
                std::thread::spawn(move || -> Result<i64, String> {
                    let mut own = pool.get().map_err(|e| e.to_string())?;
                    let mut committed = 0;
                    for i in 0..100i64 {
                        let x = t * 1000 + i;
                        let fail = i % 7 == 0;
                        let r = with_writer(Some(&writer), || {
                            write_tx(&mut own, |c| {
                                c.batch_execute(&format!("INSERT INTO t VALUES ({x})"))?;
                                if fail {
                                    return Err(diesel::result::Error::RollbackTransaction);
                                }
                                Ok(())
                            })
                        });
                        // Seen from this thread's own connection, not the writer's.
                        let seen = count(
                            &mut own,
                            &format!("SELECT count(*) AS n FROM t WHERE x = {x}"),
                        );
                        match (r, fail) {
                            (Ok(()), false) if seen == 1 => committed += 1,
                            (Err(_), true) if seen == 0 => {}
                            (r, _) => return Err(format!("write {x}: {r:?}, seen {seen}")),
                        }
                    }
                    Ok(committed)
                })
            })
            .collect();
        let mut committed = 0;
        for t in threads {
            committed += t.join().map_err(|_| "a writer panicked")??;
        }
        assert_eq!(committed, 8 * (100 - 15));
        assert_eq!(count(&mut c, "SELECT count(*) AS n FROM t"), committed);
        let s = &writer.stats;
        let (groups, members) = (
            s.groups.load(Ordering::Relaxed),
            s.members.load(Ordering::Relaxed),
        );
        assert_eq!(members, 1 + 800, "every write ran in a group");
        assert!(groups < members, "{groups} groups for {members} writes");
        assert!(s.largest.load(Ordering::Relaxed) > 1);
        assert_eq!(s.rescued.load(Ordering::Relaxed), 0);
        Ok(())
    }

    /// A group left open for a writer that then does not join it (the checkpoint's pass under
    /// the lock, a write on another connection) commits when that writer takes the lock, and a
    /// member that nobody relieves commits its group itself.
    #[test]
    fn an_open_group_commits_for_a_writer_that_does_not_join_or_after_a_wait()
    -> Result<(), Box<dyn std::error::Error>> {
        let (_dir, url) = setup().ok_or("no temporary directory")?;
        let pool = db::pool(&url, 2)?;
        let writer = Writer::for_url(&url).ok_or("no writer")?;
        let mut other = pool.get()?;
        let pending = |x: i64| -> Result<u64, Box<dyn std::error::Error>> {
            let lock = db::SqliteWriter::take_joining();
            let m = writer
                .run_member(
                    move |c: &mut DbConnection| {
                        c.batch_execute(&format!(
                            "CREATE TABLE IF NOT EXISTS t (x INTEGER); INSERT INTO t VALUES ({x})"
                        ))
                    },
                    true,
                )
                .map_err(|_| "no writing connection")?;
            drop(lock);
            match m {
                Member::Pending(id, r) => {
                    r?;
                    Ok(id)
                }
                Member::Done(_) => Err("committed at once".into()),
            }
        };
        let first = pending(1)?;
        // Not committed yet: another connection does not see it.
        assert_eq!(
            count(
                &mut other,
                "SELECT count(*) AS n FROM sqlite_master WHERE name = 't'"
            ),
            0
        );
        // A writer that does not join: the group commits before it goes on.
        drop(db::SqliteWriter::take());
        writer.wait_for(first)?;
        assert_eq!(count(&mut other, "SELECT count(*) AS n FROM t"), 1);
        // Nobody comes: the member commits it after its wait.
        let second = pending(2)?;
        writer.wait_for(second)?;
        assert_eq!(count(&mut other, "SELECT count(*) AS n FROM t"), 2);
        assert_eq!(writer.stats.rescued.load(Ordering::Relaxed), 1);
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
}
