//! Persistence: one connection type over SQLite and PostgreSQL, a pool picked by the URL scheme,
//! embedded migrations, and the write transaction every use case runs in.

/// Runs a diesel query on the backend's own connection: `on_backend!(conn, |c| query.load(c))`.
///
/// Through the two-backend connection (`DbConnection`) diesel wraps every statement, and the
/// wrapper builds the statement's SQL text again on each run, even when the prepared statement is
/// cached (bench/http, `perf`: about a tenth of the server's CPU on a case view). On the inner
/// connection a statement with a static query id is found in the cache by its type alone. For
/// the hot reads of every request; the query is written once and compiled for each backend.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Pg($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

pub mod api;
pub mod attachments;
pub mod audit;
pub mod audit_search;
pub mod cases;
pub mod checkpoint;
pub mod count_cache;
pub mod health;
pub mod login_throttle;
pub mod models;
pub mod org;
pub mod outbox;
pub mod page;
pub mod prepared;
pub mod reminders;
pub mod review_list;
pub mod schema;
pub mod sessions;
pub mod settings;
pub mod stats;
pub mod types;
pub mod unit_cache;
pub mod users;
pub mod writer;

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] ConnectionError),
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::PoolError),
    /// Every connection stayed busy for the checkout timeout (the web layer's queue for them).
    #[error("every database connection stayed busy for {0:?}")]
    Busy(Duration),
    #[error("migrations: {0}")]
    Migration(String),
    #[error("cannot create the database directory {0}: {1}")]
    Directory(PathBuf, std::io::Error),
    #[error("cannot start the thread that checkpoints the SQLite WAL: {0}")]
    Thread(std::io::Error),
    #[error("unsupported DATABASE_URL scheme in {0:?}: use sqlite://PATH or postgres://…")]
    Scheme(String),
}

/// Where the database lives, decided by the URL scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Target {
    pub fn parse(url: &str) -> Result<Self, DbError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Target::Postgres(url.to_string()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            Ok(Target::Sqlite(PathBuf::from(path)))
        } else if let Some(path) = url.strip_prefix("sqlite:") {
            Ok(Target::Sqlite(PathBuf::from(path)))
        } else if !url.contains("://") && !url.is_empty() {
            Ok(Target::Sqlite(PathBuf::from(url)))
        } else {
            Err(DbError::Scheme(url.to_string()))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Target::Sqlite(_) => Backend::Sqlite,
            Target::Postgres(_) => Backend::Postgres,
        }
    }
}

/// An r2d2 manager that opens the right inner connection and sets SQLite up properly.
#[derive(Debug, Clone)]
pub struct Manager {
    target: Target,
    /// SQLite checkpoints in the commit that fills the WAL. False on the server's pool
    /// (`server_pool`): `checkpoint::spawn` does it, and the connections get a small page cache.
    autocheckpoint: bool,
}

impl Manager {
    pub fn new(target: Target) -> Self {
        Manager {
            target,
            autocheckpoint: true,
        }
    }

    fn open(&self) -> Result<DbConnection, DbError> {
        match &self.target {
            Target::Postgres(url) => Ok(DbConnection::Pg(PgConnection::establish(url)?)),
            Target::Sqlite(path) => {
                let mut c = SqliteConnection::establish(&path.to_string_lossy())?;
                // busy_timeout first, so that the other pragmas wait for a busy file too.
                // A page cache of 16 MiB per connection (SQLite's default is 2 MiB): the upper
                // levels of the access log's indexes stay in memory instead of being read again by
                // a system call each time (bench/http). Not on the server's pool, whose
                // connections only read outside the writes (`writer`): SQLite empties their cache
                // after every commit of the writer, so a larger one would only hold memory.
                // Temporary storage in memory: a statement that may fail half-way keeps the pages
                // it changed in a statement journal, which otherwise goes to a temporary file once
                // over 64 KiB — a list view's log entry changed that many, and every such entry
                // wrote, and at commit closed, a file (bench/http, `perf`).
                c.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                     PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384; \
                     PRAGMA journal_size_limit = 67108864; PRAGMA temp_store = MEMORY;",
                )?;
                if !self.autocheckpoint {
                    // The server's pool (`server_pool`).
                    c.batch_execute("PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -2048;")?;
                }
                Ok(DbConnection::Sqlite(c))
            }
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.open()
            .inspect(|_| CONNECT_FAILED_MS.store(0, std::sync::atomic::Ordering::Relaxed))
            .inspect_err(|_| {
                CONNECT_FAILED_MS.store(
                    Utc::now().timestamp_millis(),
                    std::sync::atomic::Ordering::Relaxed,
                );
                suspect_outage()
            })
            .map_err(|e| match e {
                DbError::Connect(c) => r2d2::Error::ConnectionError(c),
                DbError::Query(q) => r2d2::Error::QueryError(q),
                other => {
                    r2d2::Error::ConnectionError(ConnectionError::BadConnection(other.to_string()))
                }
            })
    }

    /// Tested on every checkout, but a round trip is made only while an outage is suspected
    /// (see [`suspect_outage`]): then a connection that the server dropped is thrown away here
    /// instead of failing the request that got it. Otherwise `has_broken` below decides on every
    /// return, without a round trip per request.
    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        if !outage_suspected() {
            return Ok(());
        }
        conn.batch_execute("SELECT 1").map_err(|e| {
            suspect_outage();
            r2d2::Error::QueryError(e)
        })
    }

    /// A connection goes back to the pool only if it is usable as new: not after a panic (it may
    /// still be inside a write transaction that nobody will end) and not when diesel saw it
    /// break (an open transaction, a failed commit or rollback, a lost server).
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        std::thread::panicking() || conn.is_broken()
    }
}

/// How long a checkout waits for a connection by default: a request fails (503) after this when
/// the database is down, rather than hanging.
pub const POOL_TIMEOUT: Duration = Duration::from_secs(2);

/// Until when (milliseconds since the epoch) checkouts test their connection: set on every sign
/// of a lost database, so that connections the server dropped are not handed out after it is
/// back. Process-wide: a lost server concerns every pool on it.
static SUSPECT_UNTIL_MS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
/// How long checkouts are tested after the last sign of a lost database.
const SUSPECT_FOR_MS: i64 = 60_000;

/// Records a sign that the database was lost (a failed connect, a dropped connection).
pub fn suspect_outage() {
    SUSPECT_UNTIL_MS.store(
        Utc::now().timestamp_millis() + SUSPECT_FOR_MS,
        std::sync::atomic::Ordering::Relaxed,
    );
}

/// When (ms since the epoch) the newest connect failed; 0 after a connect succeeded.
static CONNECT_FAILED_MS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
/// While a connect failed this recently (and none succeeded since), the database is known down.
const KNOWN_DOWN_FOR_MS: i64 = 3_000;
/// How long a checkout waits while the database is known down.
pub const KNOWN_DOWN_TIMEOUT: Duration = Duration::from_millis(250);

fn known_down() -> bool {
    let failed = CONNECT_FAILED_MS.load(std::sync::atomic::Ordering::Relaxed);
    failed > 0 && Utc::now().timestamp_millis() - failed < KNOWN_DOWN_FOR_MS
}

/// A connection from the pool for a request. It waits the pool's timeout, but only
/// [`KNOWN_DOWN_TIMEOUT`] while the database is known down (a connect failed in the last three
/// seconds — the pool keeps retrying in the background, at least every `pool_timeout_ms`), so
/// that during an outage every page after the first answers 503 at once, not after the timeout.
pub fn checkout(pool: &Pool) -> Result<PooledConn, DbError> {
    checkout_since(pool, std::time::Instant::now())
}

/// As [`checkout`], for a request that has already waited its turn since `asked`: the two waits
/// together stay within the checkout timeout.
pub fn checkout_since(pool: &Pool, asked: std::time::Instant) -> Result<PooledConn, DbError> {
    let left = checkout_timeout(pool).saturating_sub(asked.elapsed());
    Ok(pool.get_timeout(left.max(Duration::from_millis(1)))?)
}

/// How long a request waits for a connection of `pool` now: the pool's timeout, or
/// [`KNOWN_DOWN_TIMEOUT`] while the database is known down (see [`checkout`]).
pub fn checkout_timeout(pool: &Pool) -> Duration {
    if known_down() {
        KNOWN_DOWN_TIMEOUT.min(pool.connection_timeout())
    } else {
        pool.connection_timeout()
    }
}

/// Counts the connections handed out by the pools of one database URL (a request takes one:
/// tests hold it to that).
#[derive(Debug)]
struct CheckoutCounter(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl r2d2::HandleEvent for CheckoutCounter {
    fn handle_checkout(&self, _: r2d2::event::CheckoutEvent) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

type Counters = std::collections::BTreeMap<String, std::sync::Arc<std::sync::atomic::AtomicU64>>;
static CHECKOUTS: std::sync::Mutex<Counters> = std::sync::Mutex::new(Counters::new());

fn checkout_counter(url: &str) -> std::sync::Arc<std::sync::atomic::AtomicU64> {
    match CHECKOUTS.lock() {
        Ok(mut m) => m.entry(url.to_string()).or_default().clone(),
        Err(_) => Default::default(),
    }
}

/// How many connections the pools of `url` have handed out in this process.
pub fn checkouts(url: &str) -> u64 {
    checkout_counter(url).load(std::sync::atomic::Ordering::Relaxed)
}

fn outage_suspected() -> bool {
    SUSPECT_UNTIL_MS.load(std::sync::atomic::Ordering::Relaxed) > Utc::now().timestamp_millis()
}

/// The error means the database is unreachable (not that the query was wrong): the server
/// closed the connection, or a command could not be sent.
pub fn is_connection_lost(e: &diesel::result::Error) -> bool {
    use diesel::result::DatabaseErrorKind as K;
    matches!(
        e,
        diesel::result::Error::DatabaseError(K::ClosedConnection | K::UnableToSendCommand, _)
    )
}

impl DbError {
    /// The database is unreachable (down, or every connection is busy): answer 503, retry later.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Pool(_) | DbError::Connect(_) | DbError::Busy(_) => true,
            DbError::Query(q) => is_connection_lost(q),
            _ => false,
        }
    }
}

/// Builds the pool with the default checkout timeout ([`POOL_TIMEOUT`]).
pub fn pool(url: &str, max_size: u32) -> Result<Pool, DbError> {
    pool_with_timeout(url, max_size, POOL_TIMEOUT)
}

/// Builds the pool; a checkout waits at most `timeout`. Creates the SQLite file's directory when
/// needed.
pub fn pool_with_timeout(url: &str, max_size: u32, timeout: Duration) -> Result<Pool, DbError> {
    build_pool(url, max_size, timeout, true)
}

/// The server's pool: as [`pool_with_timeout`], and on SQLite the WAL is checkpointed by a thread
/// of its own ([`checkpoint`]), not inside a request's commit; what that thread has done is
/// returned beside the pool (None on PostgreSQL).
pub fn server_pool(
    url: &str,
    max_size: u32,
    timeout: Duration,
) -> Result<(Pool, Option<std::sync::Arc<checkpoint::Stats>>), DbError> {
    let pool = build_pool(url, max_size, timeout, false)?;
    let stats = match Target::parse(url)? {
        Target::Sqlite(path) => Some(checkpoint::spawn(&path).map_err(DbError::Thread)?),
        Target::Postgres(_) => None,
    };
    Ok((pool, stats))
}

fn build_pool(
    url: &str,
    max_size: u32,
    timeout: Duration,
    autocheckpoint: bool,
) -> Result<Pool, DbError> {
    let target = Target::parse(url)?;
    if let Target::Sqlite(path) = &target {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| DbError::Directory(dir.to_path_buf(), e))?;
        }
        // WAL is a property of the file: set it once, before the pool opens its connections.
        set_wal(path)?;
    }
    let p = r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(timeout)
        // `is_valid` makes a round trip only while an outage is suspected; otherwise `has_broken`
        // drops bad connections when they come back.
        .test_on_check_out(true)
        .event_handler(Box::new(CheckoutCounter(checkout_counter(url))))
        .build(Manager {
            target,
            autocheckpoint,
        })?;
    Ok(p)
}

/// Puts a SQLite file in WAL mode. Switching a fresh file's journal mode needs its exclusive lock,
/// and when two processes start at once SQLite may answer "database is locked" at once instead of
/// waiting on the busy timeout (it does so where waiting could deadlock): try again for a while.
fn set_wal(path: &std::path::Path) -> Result<(), DbError> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let tried = SqliteConnection::establish(&path.to_string_lossy())
            .map_err(DbError::from)
            .and_then(|mut c| {
                c.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")
                    .map_err(DbError::from)
            });
        match tried {
            Err(DbError::Query(diesel::result::Error::DatabaseError(_, info)))
                if (info.message().contains("locked") || info.message().contains("busy"))
                    && std::time::Instant::now() < deadline =>
            {
                tracing::info!("waiting for another instance to open the database");
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

pub fn backend(conn: &DbConnection) -> Backend {
    match conn {
        DbConnection::Pg(_) => Backend::Postgres,
        DbConnection::Sqlite(_) => Backend::Sqlite,
    }
}

/// The key of the PostgreSQL advisory lock held while migrations run (any fixed number; this one
/// spells "kontospr" in ASCII).
pub const MIGRATION_LOCK_KEY: i64 = 0x6b6f_6e74_6f73_7072;

/// How many busy timeouts (10 s each in the pool) an SQLite instance waits for another one's
/// migrations before giving up.
pub const MIGRATION_WAIT_TRIES: u32 = 60;

/// Applies every pending migration; returns how many ran.
///
/// Any number of instances may start at once on one database: the migrations run under a lock,
/// so one instance applies them and the others then find nothing pending.
/// * PostgreSQL: the session-level `pg_advisory_lock(MIGRATION_LOCK_KEY)`, released afterwards
///   (also when a migration fails; a lost connection releases it by itself).
/// * SQLite: one `BEGIN IMMEDIATE` transaction around all of them (each migration is a savepoint
///   in it); a second instance waits on the busy timeout and then sees them applied.
pub fn migrate(conn: &mut DbConnection) -> Result<usize, DbError> {
    let mig = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
    match conn {
        DbConnection::Pg(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .execute(c)?;
            let r = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len());
            let unlock =
                diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                    .execute(c);
            let n = r.map_err(mig)?;
            unlock?;
            Ok(n)
        }
        DbConnection::Sqlite(c) => {
            // Another instance's migrations may take longer than one busy timeout: keep waiting
            // (each try waits the connection's busy_timeout), as PostgreSQL waits for its lock.
            let mut tries = 0;
            loop {
                match AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE") {
                    Ok(()) => break,
                    Err(diesel::result::Error::DatabaseError(_, info))
                        if info.message().contains("locked") && tries < MIGRATION_WAIT_TRIES =>
                    {
                        tries += 1;
                        tracing::info!(tries, "waiting for another instance to finish migrating");
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            match c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()) {
                Ok(n) => {
                    AnsiTransactionManager::commit_transaction(c)?;
                    Ok(n)
                }
                Err(e) => {
                    let _ = AnsiTransactionManager::rollback_transaction(c);
                    Err(mig(e))
                }
            }
        }
    }
}

/// Reverts the newest `n` applied migrations (tests use it to make an older schema).
pub fn revert_last(conn: &mut DbConnection, n: usize) -> Result<usize, DbError> {
    let mig = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
    for _ in 0..n {
        match conn {
            DbConnection::Pg(c) => c.revert_last_migration(POSTGRES_MIGRATIONS).map(|_| ()),
            DbConnection::Sqlite(c) => c.revert_last_migration(SQLITE_MIGRATIONS).map(|_| ()),
        }
        .map_err(mig)?;
    }
    Ok(n)
}

/// Reverts every migration (used by the migration round-trip test).
pub fn revert_all(conn: &mut DbConnection) -> Result<usize, DbError> {
    let r = match conn {
        DbConnection::Pg(c) => c
            .revert_all_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    };
    r.map_err(|e| DbError::Migration(e.to_string()))
}

/// Serialises the work on one citizen's cases within the caller's transaction, so that two
/// requests cannot both find "no lock yet" and both file one (the duplicate-lock rule). PostgreSQL:
/// a transaction-level advisory lock keyed by the personnummer's digest (released at commit or
/// rollback). SQLite: nothing to do, `write_tx` already holds the single writer's lock.
pub fn lock_citizen(conn: &mut DbConnection, pnr: &str) -> diesel::QueryResult<()> {
    use sha2::Digest;
    if let DbConnection::Pg(c) = conn {
        let d = sha2::Sha256::digest(format!("kontosparr-citizen:{pnr}").as_bytes());
        let mut key = [0u8; 8];
        key.copy_from_slice(&d[..8]);
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(i64::from_be_bytes(key))
            .execute(c)?;
    }
    Ok(())
}

/// The writers of this process to its SQLite database queue here, in the order they came,
/// before `BEGIN IMMEDIATE`. Without it they queue in SQLite's busy handler, which sleeps in steps
/// of up to 100 ms between tries: with 64 requests waiting, a write transaction of a millisecond
/// left others asleep long after the lock was free (bench/http: most of SQLite's p99). Other
/// processes (the command line) still meet the busy timeout. One SQLite database per process.
///
/// Fair: an unlock hands the lock to the thread that has waited longest. The standard mutex lets
/// a thread that just arrived take it before the woken one, which can lose again and again: with
/// 64 requests queued that was the slowest one per cent of them (bench/http).
static SQLITE_WRITERS: parking_lot::FairMutex<()> = parking_lot::const_fair_mutex(());

thread_local! {
    /// This thread holds [`SQLITE_WRITERS`] (a nested `write_tx` does not take it again).
    static HOLDS_SQLITE_WRITERS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// How the writers of this process used [`SQLITE_WRITERS`] since it started: the operator's view
/// of SQLite's single writer (`/metrics`). Held time over wall time near 1 means every write
/// waits for the one before it: the writer, not the CPU, limits what the node serves (bench/http:
/// held 78–87 % of each page's run at 64 connections, a case view for about half a millisecond
/// and a list view for about one and a half).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WriterUse {
    /// Times the lock was taken (write transactions and checkpoint passes under it).
    pub taken: u64,
    /// Seconds spent waiting for it, summed over the waiters.
    pub waited_seconds: f64,
    /// Seconds it was held.
    pub held_seconds: f64,
}

static WRITERS_TAKEN: AtomicU64 = AtomicU64::new(0);
static WRITERS_WAITED_NS: AtomicU64 = AtomicU64::new(0);
static WRITERS_HELD_NS: AtomicU64 = AtomicU64::new(0);

/// [`WriterUse`] so far.
pub fn writer_use() -> WriterUse {
    let s = |ns: &AtomicU64| ns.load(Ordering::Relaxed) as f64 / 1e9;
    WriterUse {
        taken: WRITERS_TAKEN.load(Ordering::Relaxed),
        waited_seconds: s(&WRITERS_WAITED_NS),
        held_seconds: s(&WRITERS_HELD_NS),
    }
}

fn nanos(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Holds [`SQLITE_WRITERS`] for the current thread until dropped (and since when).
pub(crate) struct SqliteWriter(
    Option<(parking_lot::FairMutexGuard<'static, ()>, std::time::Instant)>,
);

/// Writers of this process queued for [`SQLITE_WRITERS`] now: while any is, a shared write
/// transaction is left open for the next one (`writer`'s group commit).
static WRITERS_WAITING: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn writers_waiting() -> usize {
    WRITERS_WAITING.load(Ordering::SeqCst)
}

impl SqliteWriter {
    /// The writers' lock for work that does not join a shared transaction: one left open on the
    /// writing connection is committed first.
    pub(crate) fn take() -> SqliteWriter {
        Self::take_joining(None)
    }

    /// The writers' lock for work that will join `joining`'s shared transaction, if it has one
    /// open (any other writer's is committed first).
    fn take_joining(joining: Option<&std::sync::Arc<writer::Writer>>) -> SqliteWriter {
        if holds_writers() {
            return SqliteWriter(None);
        }
        // Not poisoned by a panic: a writer's transaction that panicked is rolled back with the
        // connection it was on (a pool connection by `Manager::has_broken`, the writer's by
        // `writer::Writer::transaction`), and the lock guards nothing else.
        let asked = std::time::Instant::now();
        WRITERS_WAITING.fetch_add(1, Ordering::SeqCst);
        let guard = SQLITE_WRITERS.lock();
        WRITERS_WAITING.fetch_sub(1, Ordering::SeqCst);
        let got = std::time::Instant::now();
        WRITERS_TAKEN.fetch_add(1, Ordering::Relaxed);
        WRITERS_WAITED_NS.fetch_add(nanos(got - asked), Ordering::Relaxed);
        HOLDS_SQLITE_WRITERS.with(|h| h.set(true));
        let held = SqliteWriter(Some((guard, got)));
        writer::settle_open(joining);
        held
    }
}

impl Drop for SqliteWriter {
    fn drop(&mut self) {
        if let Some((guard, got)) = self.0.take() {
            WRITERS_HELD_NS.fetch_add(nanos(got.elapsed()), Ordering::Relaxed);
            drop(guard);
            HOLDS_SQLITE_WRITERS.with(|h| h.set(false));
            // The members of a commit this thread made are woken now, not while it held the lock.
            writer::wake_deferred();
        }
    }
}

/// This thread holds the writers' lock ([`SqliteWriter`]).
pub(crate) fn holds_writers() -> bool {
    HOLDS_SQLITE_WRITERS.with(|h| h.get())
}

/// Runs `f` in one write transaction. On SQLite it begins `IMMEDIATE`, so that two writers queue
/// instead of failing when a read turns into a write (this process's writers on
/// [`SQLITE_WRITERS`], others on the busy timeout). A web request's work may share its SQLite
/// transaction with the requests queued behind it (`writer`, group commit: the first in the
/// transaction itself, the others in a savepoint each); either way this returns Ok only once
/// `f`'s work is committed.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    let installed = if sqlite { writer::installed() } else { None };
    let joining = installed
        .as_ref()
        .filter(|(_, shared)| *shared)
        .map(|(w, _)| w);
    let lock = sqlite.then(|| SqliteWriter::take_joining(joining));
    // Work that has the writing connection installed runs its write transactions on it
    // (`writer`); a transaction cannot begin inside another, so `conn` has none open.
    let outermost = lock.as_ref().is_some_and(|l| l.0.is_some());
    let f = match installed {
        Some((w, shared)) if outermost => match w.transaction(shared, f) {
            Ok(writer::Step::Done(result)) => return result,
            Ok(writer::Step::Pending(seq, value)) => {
                // Another member commits the shared transaction: not while this one holds the
                // writers' lock.
                drop(lock);
                return w.wait_settled(seq).map(|()| value).map_err(E::from);
            }
            Err(f) => f,
        },
        _ => f,
    };
    tx_on(conn, f)
}

/// [`write_tx`]'s transaction on `conn` (the caller holds the writers' lock on SQLite).
fn tx_on<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
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

/// Runs `f` in one read-only transaction that sees one snapshot (PostgreSQL: REPEATABLE READ;
/// SQLite: a deferred read transaction), so that the several queries of one page agree.
pub fn read_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN")?,
        DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction_sql(
            c,
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        )?,
    }
    let result = f(conn);
    // Nothing was written: roll back either way.
    let end = match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::rollback_transaction(c),
        DbConnection::Pg(c) => AnsiTransactionManager::rollback_transaction(c),
    };
    let v = result?;
    end?;
    Ok(v)
}

/// A UTC timestamp with the precision both backends store (microseconds).
pub fn ts(t: DateTime<Utc>) -> NaiveDateTime {
    let n = t.naive_utc();
    n.with_nanosecond(n.nanosecond() / 1000 * 1000).unwrap_or(n)
}
