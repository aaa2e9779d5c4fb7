//! The units, cached: every list page shows them in its filter and every case page reads its
//! unit (for the page and for the access log's unit code), and they change a few times a year.
//!
//! A serving node keeps one [`UnitCache`] (in `AppState`); `AppState::run` installs it on the
//! blocking thread for the request's work, where `db::org::unit` and `db::org::all_units` read
//! from it. Without one installed (jobs, the command line) they query as before.
//!
//! *Across processes* a cached list lives at most [`UNIT_CACHE_TTL`]: a unit changed on another
//! node is seen here within that time. *In this process* every change through
//! `db::org::insert_unit` / `update_unit` empties the cache at once and again when the changing
//! request ends (after its commit), and a generation counter keeps a read that began before a
//! change from storing what it read; the rest of the changing request reads the database.

use super::DbConnection;
use super::models::Unit;
use diesel::QueryResult;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a node trusts its copy of the units.
pub const UNIT_CACHE_TTL: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
pub struct UnitCache {
    ttl: Option<Duration>,
    generation: AtomicU64,
    held: Mutex<Option<(Instant, Arc<Vec<Unit>>)>>,
}

impl UnitCache {
    pub fn new(ttl: Duration) -> UnitCache {
        UnitCache {
            ttl: Some(ttl),
            ..Default::default()
        }
    }

    /// Every unit (ordered by name), from the cache while it is fresh.
    pub fn all(
        &self,
        load: impl FnOnce() -> QueryResult<Vec<Unit>>,
    ) -> QueryResult<Arc<Vec<Unit>>> {
        let ttl = self.ttl.unwrap_or(UNIT_CACHE_TTL);
        if let Ok(held) = self.held.lock()
            && let Some((at, units)) = held.as_ref()
            && at.elapsed() < ttl
        {
            return Ok(units.clone());
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let units = Arc::new(load()?);
        if let Ok(mut held) = self.held.lock()
            && self.generation.load(Ordering::SeqCst) == generation
        {
            *held = Some((Instant::now(), units.clone()));
        }
        Ok(units)
    }

    /// Forgets the units (they changed).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut held) = self.held.lock() {
            *held = None;
        }
    }
}

thread_local! {
    /// The cache of the request being worked on this thread, and whether the work changed units.
    static CURRENT: RefCell<Option<(Arc<UnitCache>, bool)>> = const { RefCell::new(None) };
}

/// Runs `f` with `cache` installed for this thread; empties it again afterwards if `f` changed
/// a unit (its transaction has ended by then).
pub fn with_cache<T>(cache: &Arc<UnitCache>, f: impl FnOnce() -> T) -> T {
    CURRENT.with(|c| *c.borrow_mut() = Some((cache.clone(), false)));
    let out = f();
    let changed = CURRENT.with(|c| c.borrow_mut().take().is_some_and(|(_, changed)| changed));
    if changed {
        cache.invalidate();
    }
    out
}

/// The cache for reads on this thread, unless none is installed or this work changed units.
pub(super) fn current() -> Option<Arc<UnitCache>> {
    CURRENT.with(|c| match c.borrow().as_ref() {
        Some((cache, false)) => Some(cache.clone()),
        _ => None,
    })
}

/// Units changed on this thread: empty the cache now, read the database for the rest of this
/// work, and empty the cache again when the work ends.
pub(super) fn changed() {
    CURRENT.with(|c| {
        if let Some((cache, changed)) = c.borrow_mut().as_mut() {
            cache.invalidate();
            *changed = true;
        }
    })
}

/// Every unit through the cache when one is installed.
pub(super) fn all_or(
    conn: &mut DbConnection,
    load: impl FnOnce(&mut DbConnection) -> QueryResult<Vec<Unit>>,
) -> QueryResult<Arc<Vec<Unit>>> {
    match current() {
        Some(cache) => cache.all(|| load(conn)),
        None => load(conn).map(Arc::new),
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)] // test code: a failed step is the failure
mod tests {
    use super::*;

    fn unit(id: i64) -> Unit {
        Unit {
            id,
            code: format!("U{id}"),
            name: format!("Enhet {id}"),
            manager_user_id: None,
            medical_lead_user_id: None,
            chief_physician_function: String::new(),
            chief_physician_email: String::new(),
            active: true,
            created_at: chrono::NaiveDateTime::default(),
            updated_at: chrono::NaiveDateTime::default(),
        }
    }

    #[test]
    fn read_once_until_changed_or_stale() {
        let cache = UnitCache::new(Duration::from_secs(60));
        let mut loads = 0;
        for _ in 0..3 {
            cache
                .all(|| {
                    loads += 1;
                    Ok(vec![unit(1)])
                })
                .expect("units");
        }
        assert_eq!(loads, 1);
        cache.invalidate();
        cache.all(|| Ok(vec![unit(2)])).expect("units");
        assert_eq!(cache.all(|| Ok(vec![])).expect("units")[0].id, 2);

        let stale = UnitCache::new(Duration::ZERO);
        stale.all(|| Ok(vec![unit(1)])).expect("units");
        assert_eq!(stale.all(|| Ok(vec![unit(3)])).expect("units")[0].id, 3);
    }

    #[test]
    fn a_read_that_began_before_a_change_is_not_kept() {
        let cache = UnitCache::new(Duration::from_secs(60));
        cache
            .all(|| {
                cache.invalidate(); // the change lands while the read is under way
                Ok(vec![unit(1)])
            })
            .expect("units");
        assert_eq!(cache.all(|| Ok(vec![unit(2)])).expect("units")[0].id, 2);
    }

    #[test]
    fn a_change_turns_the_cache_off_for_the_rest_of_the_work() {
        let cache = Arc::new(UnitCache::new(Duration::from_secs(60)));
        with_cache(&cache, || {
            assert!(current().is_some());
            changed();
            assert!(current().is_none());
            cache.all(|| Ok(vec![unit(9)])).expect("units");
        });
        // Emptied again when the work ended.
        assert_eq!(cache.all(|| Ok(vec![unit(4)])).expect("units")[0].id, 4);
        assert!(current().is_none());
    }
}
