//! Lists a page at a time by key, never by OFFSET: a page is the rows after (or before) the sort
//! key and id of a row of the page before, read along an index, so page 2 000 costs what page 1
//! costs. Counts stop at a cap ("fler än 1 000") instead of counting every row.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

/// Rows a list counts at most; above it the list says "more than" instead of the number.
///
/// 1 000, as on the start page: a list is read a page at a time and narrowed by its filters; a
/// count beyond a thousand tells nobody more, and counting ten thousand rows on every page load
/// was most of an unfiltered list's cost at ten years of data (bench/http).
pub const COUNT_CAP: i64 = 1_000;

/// How many rows matched: exactly, or more than the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Exact(i64),
    MoreThan(i64),
}

impl Count {
    /// From the rows counted with a limit of `cap + 1`.
    pub fn of(counted: i64, cap: i64) -> Count {
        if counted > cap {
            Count::MoreThan(cap)
        } else {
            Count::Exact(counted)
        }
    }
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor<K> {
    /// The first page.
    First,
    /// The rows after this sort key and id (the next page).
    After(K, i64),
    /// The rows before this sort key and id (the previous page).
    Before(K, i64),
}

/// A sort key as it travels in a link (`efter=KEY~ID`, `fore=KEY~ID`): never a personnummer.
pub trait KeyText: Sized + Clone {
    fn to_text(&self) -> String;
    fn from_text(s: &str) -> Option<Self>;
}

/// Timestamps as microseconds since 1970 (UTC), exact to what both backends store; only years
/// 1–9999 (what both backends accept).
impl KeyText for NaiveDateTime {
    fn to_text(&self) -> String {
        self.and_utc().timestamp_micros().to_string()
    }
    fn from_text(s: &str) -> Option<Self> {
        let micros: i64 = s.parse().ok()?;
        chrono::DateTime::from_timestamp_micros(micros)
            .map(|t| t.naive_utc())
            .filter(|t| (1..=9999).contains(&t.year()))
    }
}

impl KeyText for NaiveDate {
    fn to_text(&self) -> String {
        self.format("%Y-%m-%d").to_string()
    }
    fn from_text(s: &str) -> Option<Self> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .filter(|d| (1..=9999).contains(&d.year()))
    }
}

/// Names (of units, staff, providers): the text itself, at most 200 characters. Used inside the
/// server only: links to name-sorted lists carry the id alone ([`named_cursor`]).
impl KeyText for String {
    fn to_text(&self) -> String {
        self.clone()
    }
    fn from_text(s: &str) -> Option<Self> {
        (s.chars().count() <= 200).then(|| s.to_string())
    }
}

/// Lists sorted by id alone.
impl KeyText for () {
    fn to_text(&self) -> String {
        String::new()
    }
    fn from_text(s: &str) -> Option<Self> {
        s.is_empty().then_some(())
    }
}

impl<K: KeyText> Cursor<K> {
    /// The cursor of a request's `efter` / `fore` parameters; anything unreadable is the first
    /// page.
    pub fn parse(after: Option<&str>, before: Option<&str>) -> Cursor<K> {
        let split = |s: &str| {
            let (k, id) = s.rsplit_once('~')?;
            Some((K::from_text(k)?, id.parse::<i64>().ok()?))
        };
        match (after.and_then(split), before.and_then(split)) {
            (Some((k, id)), _) => Cursor::After(k, id),
            (None, Some((k, id))) => Cursor::Before(k, id),
            _ => Cursor::First,
        }
    }

    pub fn is_first(&self) -> bool {
        matches!(self, Cursor::First)
    }

    /// The cursor as a short text for the access log (`efter`, `fore` or `forsta`).
    pub fn describe(&self) -> String {
        match self {
            Cursor::First => "forsta".into(),
            Cursor::After(k, id) => format!("efter={}", key_text(k, *id)),
            Cursor::Before(k, id) => format!("fore={}", key_text(k, *id)),
        }
    }
}

/// The cursor of a list sorted by name, from a link that carries only the row's id (`efter=~ID`):
/// a name (a member of staff's, a sole trader's) never goes in a link, a browser's history or a
/// proxy's log. `name_of` reads the name back by id; an id that is gone is the first page.
pub fn named_cursor(
    cursor: &Cursor<()>,
    name_of: impl FnOnce(i64) -> QueryResult<Option<String>>,
) -> QueryResult<Cursor<String>> {
    Ok(match cursor {
        Cursor::First => Cursor::First,
        Cursor::After((), id) => name_of(*id)?.map_or(Cursor::First, |n| Cursor::After(n, *id)),
        Cursor::Before((), id) => name_of(*id)?.map_or(Cursor::First, |n| Cursor::Before(n, *id)),
    })
}

/// `KEY~ID`, as the link carries it.
pub fn key_text<K: KeyText>(k: &K, id: i64) -> String {
    format!("{}~{id}", k.to_text())
}

/// One page of a list: its rows in list order, the keys to continue from, the capped count.
#[derive(Debug, Clone)]
pub struct Page<T, K> {
    pub rows: Vec<T>,
    /// The first row's key when there are rows before this page.
    pub prev: Option<(K, i64)>,
    /// The last row's key when there are rows after this page.
    pub next: Option<(K, i64)>,
    pub count: Count,
}

impl<T> Page<T, String> {
    /// The page with its keys reduced to ids, for links ([`named_cursor`] reads the names back).
    pub fn ids_only(self) -> Page<T, ()> {
        Page {
            rows: self.rows,
            prev: self.prev.map(|(_, id)| ((), id)),
            next: self.next.map(|(_, id)| ((), id)),
            count: self.count,
        }
    }
}

impl<T, K> Page<T, K> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U, K> {
        Page {
            rows: self.rows.into_iter().map(f).collect(),
            prev: self.prev,
            next: self.next,
            count: self.count,
        }
    }
}

/// Reads one page. `load(cursor, n)` returns at most `n` rows *in the cursor's direction* (for
/// `Before`: the list's order reversed, nearest the key first); `key` gives a row's sort key and
/// id. One more row than the page is read to know whether another page follows. A `Before` page
/// that reaches the start of the list is the first page, read again in full.
pub fn fetch<T, K: Clone>(
    cursor: &Cursor<K>,
    limit: i64,
    mut load: impl FnMut(&Cursor<K>, i64) -> QueryResult<Vec<T>>,
    key: impl Fn(&T) -> (K, i64),
    count: Count,
) -> QueryResult<Page<T, K>> {
    let limit = limit.max(1);
    let lim = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut rows = load(cursor, limit + 1)?;
    let more = rows.len() > lim;
    rows.truncate(lim);
    let (prev, next) = match cursor {
        Cursor::First => (None, more.then(|| rows.last().map(&key)).flatten()),
        Cursor::After(..) => (
            rows.first().map(&key),
            more.then(|| rows.last().map(&key)).flatten(),
        ),
        Cursor::Before(..) => {
            if !more {
                return fetch(&Cursor::First, limit, load, key, count);
            }
            rows.reverse();
            (rows.first().map(&key), rows.last().map(&key))
        }
    };
    Ok(Page {
        rows,
        prev,
        next,
        count,
    })
}

/// Applies a keyset cursor to a boxed query: the predicate and the order, on one sort column
/// and the id. `desc` lists newest first. The key is repeated as a plain bound (`col <= key`) so
/// that it is an index condition and the page starts at the key instead of filtering its way
/// there.
#[macro_export]
macro_rules! keyset {
    ($q:expr, $cursor:expr, $col:expr, $id:expr, desc) => {
        match $cursor {
            $crate::db::page::Cursor::First => $q.order(($col.desc(), $id.desc())),
            $crate::db::page::Cursor::After(k, i) => $q
                .filter($col.le(k.clone()))
                .filter($col.lt(k.clone()).or($id.lt(*i)))
                .order(($col.desc(), $id.desc())),
            $crate::db::page::Cursor::Before(k, i) => $q
                .filter($col.ge(k.clone()))
                .filter($col.gt(k.clone()).or($id.gt(*i)))
                .order(($col.asc(), $id.asc())),
        }
    };
    ($q:expr, $cursor:expr, $col:expr, $id:expr, asc) => {
        match $cursor {
            $crate::db::page::Cursor::First => $q.order(($col.asc(), $id.asc())),
            $crate::db::page::Cursor::After(k, i) => $q
                .filter($col.ge(k.clone()))
                .filter($col.gt(k.clone()).or($id.gt(*i)))
                .order(($col.asc(), $id.asc())),
            $crate::db::page::Cursor::Before(k, i) => $q
                .filter($col.le(k.clone()))
                .filter($col.lt(k.clone()).or($id.lt(*i)))
                .order(($col.desc(), $id.desc())),
        }
    };
}

/// `SELECT COUNT(*) FROM (<query>) AS capped`: counts the rows of a query that carries its own
/// LIMIT (the cap + 1), so that a count never reads more than the cap.
#[derive(Debug, Clone, Copy, QueryId)]
pub struct CountOf<Q>(pub Q);

impl<Q> Query for CountOf<Q> {
    type SqlType = diesel::sql_types::BigInt;
}

impl<Q, DB> QueryFragment<DB> for CountOf<Q>
where
    DB: diesel::backend::Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT COUNT(*) FROM (");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(") AS capped");
        Ok(())
    }
}

impl<Q, C> RunQueryDsl<C> for CountOf<Q> {}

#[cfg(test)]
#[allow(clippy::expect_used)] // test code: a failed step is the failure
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_what_links_carry() {
        let t = NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_micro_opt(8, 1, 2, 345_678))
            .expect("time");
        let text = key_text(&t, 42);
        assert_eq!(
            Cursor::<NaiveDateTime>::parse(Some(&text), None),
            Cursor::After(t, 42)
        );
        assert_eq!(
            Cursor::<NaiveDateTime>::parse(None, Some(&text)),
            Cursor::Before(t, 42)
        );
        let name = "Ada ~ Lovelace".to_string();
        assert_eq!(
            Cursor::<String>::parse(Some(&key_text(&name, 7)), None),
            Cursor::After(name, 7)
        );
        assert_eq!(
            Cursor::<()>::parse(Some(&key_text(&(), 9)), None),
            Cursor::After((), 9)
        );
        assert_eq!(
            Cursor::<NaiveDate>::parse(Some("+20000-01-01~1"), None),
            Cursor::First
        );
        for bad in [
            "",
            "x",
            "1~",
            "~1",
            "abc~1",
            "1~x",
            "99999999999999999999~1",
            "-9223372036854775808~1",
            "8000000000000000000~1",
        ] {
            assert_eq!(
                Cursor::<NaiveDateTime>::parse(Some(bad), None),
                Cursor::First,
                "{bad}"
            );
        }
    }

    #[test]
    fn counts_stop_at_the_cap() {
        assert_eq!(Count::of(0, 10), Count::Exact(0));
        assert_eq!(Count::of(10, 10), Count::Exact(10));
        assert_eq!(Count::of(11, 10), Count::MoreThan(10));
    }

    /// The rows of a sorted list, paged through `fetch` forwards and back.
    fn pages(all: &[i64], limit: i64) -> Vec<Vec<i64>> {
        let load = |c: &Cursor<()>, n: i64| -> QueryResult<Vec<i64>> {
            let n = n as usize;
            Ok(match c {
                Cursor::First => all.iter().copied().take(n).collect(),
                Cursor::After(_, id) => all.iter().copied().filter(|x| x > id).take(n).collect(),
                Cursor::Before(_, id) => all
                    .iter()
                    .rev()
                    .copied()
                    .filter(|x| x < id)
                    .take(n)
                    .collect(),
            })
        };
        let key = |x: &i64| ((), *x);
        let mut out = vec![];
        let mut cursor = Cursor::First;
        loop {
            let p = fetch(&cursor, limit, load, key, Count::Exact(0)).expect("page");
            out.push(p.rows.clone());
            match p.next {
                Some((k, id)) => cursor = Cursor::After(k, id),
                None => break,
            }
        }
        // Back from the last page to the first, page by page.
        let mut back = vec![out.last().cloned().unwrap_or_default()];
        let mut p = fetch(&cursor, limit, load, key, Count::Exact(0)).expect("page");
        while let Some((k, id)) = p.prev {
            p = fetch(&Cursor::Before(k, id), limit, load, key, Count::Exact(0)).expect("page");
            back.push(p.rows.clone());
        }
        back.reverse();
        assert_eq!(back, out, "the same pages backwards");
        out
    }

    proptest::proptest! {
        #[test]
        fn every_row_once_in_order(n in 0usize..40, limit in 1i64..7) {
            let all: Vec<i64> = (1..=n as i64).collect();
            let seen: Vec<i64> = pages(&all, limit).concat();
            proptest::prop_assert_eq!(seen, all);
        }
    }
}
