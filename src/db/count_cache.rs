//! "More than 1 000", remembered for a few seconds.
//!
//! A list counts its rows up to [`super::page::COUNT_CAP`] + 1 on every page load. Below the cap
//! that is a handful of rows and the number must be exact; above it the page says "fler än
//! 1 000", and counting the thousand and first row again on every load — most of an unfiltered
//! list's database time on PostgreSQL at ten years of data (bench/http, `EXPLAIN ANALYZE`: half a
//! millisecond of the server's CPU, against a tenth for the page itself) — tells nobody more. So a
//! node remembers, for [`MORE_THAN_TTL`], which queries counted above their cap, and answers "more
//! than" for them without counting. An exact count is never remembered.
//!
//! The key is the query's whole scope and filter (the caller's), so what one user's scope counted
//! is never another's answer; it is held in memory only, and holds no citizen data (a citizen's
//! own count is not cached). A list that falls to the cap or below shows "fler än 1 000" for at
//! most the TTL more.
//!
//! A serving node keeps one [`CountCache`] (in `AppState`), installed for a request's work by
//! `AppState::run` ([`with_counts`]); without one (jobs, the command line, tests calling the
//! services directly) every count is counted.

use super::page::Count;
use diesel::QueryResult;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a node trusts a count above its cap.
pub const MORE_THAN_TTL: Duration = Duration::from_secs(10);

/// Queries remembered at most; beyond it the stale ones go, and then all (a node has a few
/// hundred users, each with a few scopes and filters).
const MAX_KEYS: usize = 10_000;

#[derive(Debug)]
pub struct CountCache {
    ttl: Duration,
    above: Mutex<HashMap<String, Instant>>,
}

impl CountCache {
    pub fn new(ttl: Duration) -> CountCache {
        CountCache {
            ttl,
            above: Mutex::new(HashMap::new()),
        }
    }

    /// "More than `cap`" when the query `key` counted above it within the TTL; otherwise
    /// `count()` (the rows counted with a limit of `cap + 1`), remembered when above the cap.
    pub fn count(
        &self,
        key: String,
        cap: i64,
        count: impl FnOnce() -> QueryResult<i64>,
    ) -> QueryResult<Count> {
        if let Ok(above) = self.above.lock()
            && above.get(&key).is_some_and(|at| at.elapsed() < self.ttl)
        {
            return Ok(Count::MoreThan(cap));
        }
        let counted = Count::of(count()?, cap);
        if let Ok(mut above) = self.above.lock() {
            match counted {
                Count::MoreThan(_) => {
                    if above.len() >= MAX_KEYS {
                        let ttl = self.ttl;
                        above.retain(|_, at| at.elapsed() < ttl);
                        if above.len() >= MAX_KEYS {
                            above.clear();
                        }
                    }
                    above.insert(key, Instant::now());
                }
                Count::Exact(_) => {
                    above.remove(&key);
                }
            }
        }
        Ok(counted)
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<CountCache>>> = const { RefCell::new(None) };
}

/// Runs `f` with `cache` installed for this thread (what was installed before is put back, also
/// when `f` panics: the thread is reused).
pub fn with_counts<T>(cache: &Arc<CountCache>, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Arc<CountCache>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let before = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = before);
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.replace(Some(cache.clone()))));
    f()
}

/// A capped count through the installed cache, if any: `key` names the query (built only when a
/// cache is installed).
pub(super) fn count(
    key: impl FnOnce() -> String,
    cap: i64,
    count: impl FnOnce() -> QueryResult<i64>,
) -> QueryResult<Count> {
    match CURRENT.with(|c| c.borrow().clone()) {
        Some(cache) => cache.count(key(), cap, count),
        None => Ok(Count::of(count()?, cap)),
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)] // test code: a failed step is the failure
mod tests {
    use super::*;
    use std::cell::Cell;

    /// Counts `n` and notes that it counted.
    fn counter(n: i64, counted: &Cell<u32>) -> impl FnOnce() -> QueryResult<i64> + '_ {
        move || {
            counted.set(counted.get() + 1);
            Ok(n)
        }
    }

    #[test]
    fn above_the_cap_is_remembered_per_query_and_exact_counts_never() {
        let cache = CountCache::new(Duration::from_secs(60));
        let counted = Cell::new(0);
        let c = |key: &str, n| {
            cache
                .count(key.to_string(), 1_000, counter(n, &counted))
                .expect("count")
        };
        assert_eq!(c("all", 1_001), Count::MoreThan(1_000));
        assert_eq!(counted.get(), 1);
        // The same query again: not counted.
        assert_eq!(c("all", 3), Count::MoreThan(1_000));
        assert_eq!(counted.get(), 1);
        // Another scope or filter is counted for itself.
        assert_eq!(c("units 7", 12), Count::Exact(12));
        assert_eq!(counted.get(), 2);
        // An exact count is counted every time: it must be the number of now.
        assert_eq!(c("units 7", 13), Count::Exact(13));
        assert_eq!(counted.get(), 3);
    }

    #[test]
    fn a_stale_answer_is_counted_again() {
        let cache = CountCache::new(Duration::ZERO);
        let counted = Cell::new(0);
        for n in [1_001, 999] {
            cache
                .count("all".into(), 1_000, counter(n, &counted))
                .expect("count");
        }
        assert_eq!(counted.get(), 2);
        assert_eq!(
            cache
                .count("all".into(), 1_000, counter(999, &counted))
                .expect("count"),
            Count::Exact(999)
        );
    }

    #[test]
    fn without_a_cache_installed_every_count_counts_and_with_one_it_is_used() {
        let counted = Cell::new(0);
        for _ in 0..2 {
            count(|| "all".into(), 1_000, counter(1_001, &counted)).expect("count");
        }
        assert_eq!(counted.get(), 2);
        let cache = Arc::new(CountCache::new(Duration::from_secs(60)));
        with_counts(&cache, || {
            for _ in 0..2 {
                count(|| "all".into(), 1_000, counter(1_001, &counted)).expect("count");
            }
        });
        assert_eq!(counted.get(), 3);
        // Put back: nothing installed after.
        count(|| "all".into(), 1_000, counter(1_001, &counted)).expect("count");
        assert_eq!(counted.get(), 4);
    }
}
