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
use std::cell::RefCell;
use std::sync::{Arc, Mutex};

/// The writer's page cache, KiB (the server's pool connections keep SQLite's 2 MiB): the hot part
/// of every index the writes touch.
pub const CACHE_KIB: i64 = 65_536;

/// The writing connection of one SQLite database, opened when first needed.
pub struct Writer {
    target: Target,
    conn: Mutex<Option<DbConnection>>,
}

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
                conn: Mutex::new(None),
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

    /// Runs `on(connection, f)` on the writing connection, opening it when needed; `Err(f)` when
    /// it cannot be opened (logged), for the caller to run `f` elsewhere. A connection that broke,
    /// or that work panicked on, is dropped and opened again next time. The caller holds the
    /// writers' lock.
    pub(super) fn run<T, F>(
        &self,
        f: F,
        on: impl FnOnce(&mut DbConnection, F) -> T,
    ) -> Result<T, F> {
        use diesel::r2d2::R2D2Connection;
        let mut slot = match self.conn.lock() {
            Ok(slot) => slot,
            Err(poisoned) => {
                // Work panicked on the connection, perhaps inside its transaction: close it
                // (SQLite rolls back what it left) and open a new one.
                let mut slot = poisoned.into_inner();
                *slot = None;
                self.conn.clear_poison();
                slot
            }
        };
        if slot.is_none() {
            match self.open() {
                Ok(c) => *slot = Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot open the SQLite writer connection");
                    return Err(f);
                }
            }
        }
        let Some(conn) = slot.as_mut() else {
            return Err(f);
        };
        let out = on(conn, f);
        if conn.is_broken() {
            *slot = None;
        }
        Ok(out)
    }
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
