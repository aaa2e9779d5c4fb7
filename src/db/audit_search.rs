//! Reading the access log for auditors: the search (keyset pages by id, newest first), a random
//! sample of a period, the rows the "entries to look at" rules scan, spot checks, and the names
//! behind the log's codes (users, units, citizens). Writes nothing to the log itself: the service
//! does, in the same transaction (docs/architecture.md, "The auditor's screens").

use super::DbConnection;
use super::models::AccessLogRow;
use super::prepared::in_list;
use super::schema::{
    access_log, access_log_cases, access_log_citizens, access_log_subjects,
    audit_spot_check_entries, audit_spot_checks, cases, user_roles, user_units, users,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use std::collections::{BTreeMap, BTreeSet, HashMap};

diesel::define_sql_function!(fn lower(x: Text) -> Text);

/// What a search asks for. Every part is optional; all given parts must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// A citizen (12 digits): entries naming them (`access_log_subjects`, found by
    /// `access_log_citizens` and the rows after its head).
    pub citizen: Option<String>,
    /// Entries by these users (HSA-IDs). `Some(empty)` matches nothing (a name no user has).
    pub users: Option<Vec<String>>,
    pub unit_code: Option<String>,
    pub role: Option<String>,
    pub action: Option<String>,
    /// Entries about one case (`object = case:ID`; on SQLite found by `access_log_cases` up to its
    /// head and the log rows after it, [`about_case`]).
    pub case_id: Option<i64>,
    /// From this time (UTC, inclusive) …
    pub from: Option<NaiveDateTime>,
    /// … to this time (UTC, exclusive).
    pub to: Option<NaiveDateTime>,
}

/// Applies the filters every search shares to a boxed query over `access_log` (alone or joined).
macro_rules! filtered {
    ($q:expr, $f:expr) => {{
        let mut q = $q;
        let f: &Filter = $f;
        if let Some(u) = &f.users {
            q = q.filter(access_log::user_hsa_id.eq_any(u.clone()));
        }
        if let Some(u) = &f.unit_code {
            q = q.filter(access_log::unit_code.eq(u.clone()));
        }
        if let Some(r) = &f.role {
            q = q.filter(access_log::role.eq(r.clone()));
        }
        if let Some(a) = &f.action {
            q = q.filter(access_log::action.eq(a.clone()));
        }
        if let Some(c) = f.case_id {
            q = q.filter(access_log::object.eq(format!("case:{c}")));
        }
        if let Some(t) = f.from {
            q = q.filter(access_log::at.ge(t));
        }
        if let Some(t) = f.to {
            q = q.filter(access_log::at.lt(t));
        }
        q
    }};
}

/// The entries naming the citizen `p` that match `f` (and are below `before`), newest first, from
/// one of the two places a citizen's entries are found: `access_log_citizens` up to its head, and
/// `access_log_subjects` after it (`db::audit::citizens_through`). `range` keeps to that part.
macro_rules! naming {
    ($t:ident, $p:expr, $f:expr, $range:expr, $before:expr) => {{
        let mut q = filtered!(
            access_log::table
                .inner_join($t::table)
                .filter($t::personnummer.eq($p.clone()))
                .filter($range)
                .into_boxed(),
            $f
        );
        if let Some(b) = $before {
            q = q.filter($t::entry_id.lt(b));
        }
        q.order($t::entry_id.desc())
    }};
}

/// The entries about case `case_id` that `access_log_cases` names up to its head `through`, match
/// `f` and are below `before`, newest first (SQLite's index by case, [`about_case`]).
macro_rules! case_indexed {
    ($case_id:expr, $f:expr, $through:expr, $before:expr) => {{
        let mut q = filtered!(
            access_log::table
                .inner_join(access_log_cases::table)
                .filter(access_log_cases::case_id.eq($case_id))
                .filter(access_log_cases::entry_id.le($through))
                .into_boxed(),
            $f
        );
        if let Some(b) = $before {
            q = q.filter(access_log_cases::entry_id.lt(b));
        }
        q.order(access_log_cases::entry_id.desc())
    }};
}

/// A citizen's entries newest first, at most `limit`: those after the citizen index's head
/// `through` (`tail`, the newest) and then, for what is left, those the index names (`indexed`).
/// Each part is given the number of rows it may return. With the head at 0 the index names
/// nothing (entry ids start at 1) and is not asked: on PostgreSQL, where no round runs, that was
/// a round trip for an empty answer on most searches (a citizen has fewer entries than a page).
fn newest_first<T>(
    conn: &mut DbConnection,
    limit: i64,
    through: i64,
    tail: impl FnOnce(&mut DbConnection, i64) -> QueryResult<Vec<T>>,
    indexed: impl FnOnce(&mut DbConnection, i64) -> QueryResult<Vec<T>>,
) -> QueryResult<Vec<T>> {
    let mut rows = tail(conn, limit)?;
    let rest = limit - rows.len() as i64;
    if rest > 0 && through > 0 {
        rows.extend(indexed(conn, rest)?);
    }
    Ok(rows)
}

/// One page of entries matching `f`, newest first (by id), below the cursor `before` when given:
/// keyset pagination, no OFFSET. A citizen search walks the subjects index
/// `(personnummer, entry_id)` backwards; the other filters have an index each ending in the id.
pub fn search(
    conn: &mut DbConnection,
    f: &Filter,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AccessLogRow>> {
    if f.users.as_ref().is_some_and(Vec::is_empty) {
        return Ok(vec![]);
    }
    match &f.citizen {
        Some(p) => {
            // The subject rows after the citizen index's head are the newest: they come first.
            let through = super::audit::citizens_through(conn)?;
            newest_first(
                conn,
                limit,
                through,
                |c, n| {
                    naming!(
                        access_log_subjects,
                        p,
                        f,
                        access_log_subjects::entry_id.gt(through),
                        before
                    )
                    .limit(n)
                    .select(AccessLogRow::as_select())
                    .load(c)
                },
                |c, n| {
                    naming!(
                        access_log_citizens,
                        p,
                        f,
                        access_log_citizens::entry_id.le(through),
                        before
                    )
                    .limit(n)
                    .select(AccessLogRow::as_select())
                    .load(c)
                },
            )
        }
        None => match about_case(conn, f)? {
            // SQLite, one case: the log rows after the case index's head, then those it names.
            Some((case_id, through)) => newest_first(
                conn,
                limit,
                through,
                |c, n| {
                    let ids = case_tail(c, f, case_id, through, before, n)?;
                    access_log::table
                        .filter(in_list(access_log::id, &ids))
                        .order(access_log::id.desc())
                        .select(AccessLogRow::as_select())
                        .load(c)
                },
                |c, n| {
                    case_indexed!(case_id, f, through, before)
                        .limit(n)
                        .select(AccessLogRow::as_select())
                        .load(c)
                },
            ),
            None => {
                let mut q = filtered!(access_log::table.into_boxed(), f);
                if let Some(b) = before {
                    q = q.filter(access_log::id.lt(b));
                }
                q.order(access_log::id.desc())
                    .limit(limit)
                    .select(AccessLogRow::as_select())
                    .load(conn)
            }
        },
    }
}

/// The ids of the log rows about case `case_id` after the case index's head `through` (and below
/// `before`) that match `f`, newest first, at most `limit`. The tail is read by the primary key
/// alone (the rounds keep it to a round or two of entries), and `f` applied to its ids in a second
/// statement: asked together with a period, SQLite would walk `access_log_at` over the whole
/// period instead.
fn case_tail(
    conn: &mut DbConnection,
    f: &Filter,
    case_id: i64,
    through: i64,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    let mut q = access_log::table
        .filter(access_log::id.gt(through))
        .filter(access_log::object.eq(format!("case:{case_id}")))
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(access_log::id.lt(b));
    }
    let tail: Vec<i64> = q
        .order(access_log::id.desc())
        .select(access_log::id)
        .load(conn)?;
    if tail.is_empty() {
        return Ok(tail);
    }
    filtered!(access_log::table.into_boxed(), f)
        .filter(in_list(access_log::id, &tail))
        .order(access_log::id.desc())
        .limit(limit)
        .select(access_log::id)
        .load(conn)
}

/// On SQLite, for a search about one case (and no citizen): the case and the case index's head
/// (the rounds' head it shares with the citizen index, `db::audit::citizens_through`), above 0. SQLite has no index on `object`: its rounds build
/// `access_log_cases` instead. None on PostgreSQL, which searches by its index on `object`.
fn about_case(conn: &mut DbConnection, f: &Filter) -> QueryResult<Option<(i64, i64)>> {
    match (f.case_id, &f.citizen) {
        (Some(case_id), None) => {
            let through = super::audit::citizens_through(conn)?;
            Ok((through > 0).then_some((case_id, through)))
        }
        _ => Ok(None),
    }
}

/// How many entries match, counted up to `cap + 1` (so "more than cap" can be said without
/// counting a whole table).
pub fn count_capped(conn: &mut DbConnection, f: &Filter, cap: i64) -> QueryResult<i64> {
    if f.users.as_ref().is_some_and(Vec::is_empty) {
        return Ok(0);
    }
    let citizen_only = Filter {
        citizen: None,
        ..f.clone()
    } == Filter::default();
    let through = match &f.citizen {
        Some(_) => super::audit::citizens_through(conn)?,
        None => 0,
    };
    let ids: Vec<i64> = match &f.citizen {
        // The citizen alone: the indexes answer without reading a log row.
        Some(p) if citizen_only => newest_first(
            conn,
            cap + 1,
            through,
            |c, n| {
                access_log_subjects::table
                    .filter(access_log_subjects::entry_id.gt(through))
                    .filter(access_log_subjects::personnummer.eq(p.clone()))
                    .order(access_log_subjects::entry_id.desc())
                    .limit(n)
                    .select(access_log_subjects::entry_id)
                    .load(c)
            },
            |c, n| {
                access_log_citizens::table
                    .filter(access_log_citizens::personnummer.eq(p.clone()))
                    .filter(access_log_citizens::entry_id.le(through))
                    .order(access_log_citizens::entry_id.desc())
                    .limit(n)
                    .select(access_log_citizens::entry_id)
                    .load(c)
            },
        )?,
        Some(p) => newest_first(
            conn,
            cap + 1,
            through,
            |c, n| {
                naming!(
                    access_log_subjects,
                    p,
                    f,
                    access_log_subjects::entry_id.gt(through),
                    None::<i64>
                )
                .limit(n)
                .select(access_log_subjects::entry_id)
                .load(c)
            },
            |c, n| {
                naming!(
                    access_log_citizens,
                    p,
                    f,
                    access_log_citizens::entry_id.le(through),
                    None::<i64>
                )
                .limit(n)
                .select(access_log_citizens::entry_id)
                .load(c)
            },
        )?,
        None => match about_case(conn, f)? {
            Some((case_id, through)) => newest_first(
                conn,
                cap + 1,
                through,
                |c, n| case_tail(c, f, case_id, through, None, n),
                |c, n| {
                    case_indexed!(case_id, f, through, None::<i64>)
                        .limit(n)
                        .select(access_log::id)
                        .load(c)
                },
            )?,
            None => filtered!(access_log::table.into_boxed(), f)
                .order(access_log::id.desc())
                .limit(cap + 1)
                .select(access_log::id)
                .load(conn)?,
        },
    };
    Ok(ids.len() as i64)
}

/// The citizens each entry names (subjects table), by entry id, each list sorted.
pub fn subjects_for(
    conn: &mut DbConnection,
    ids: &[i64],
) -> QueryResult<HashMap<i64, Vec<String>>> {
    let mut map: HashMap<i64, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(5_000) {
        let found: Vec<(i64, String)> = access_log_subjects::table
            .filter(in_list(access_log_subjects::entry_id, chunk))
            .order((
                access_log_subjects::entry_id.asc(),
                access_log_subjects::personnummer.asc(),
            ))
            .select((
                access_log_subjects::entry_id,
                access_log_subjects::personnummer,
            ))
            .load(conn)?;
        for (id, p) in found {
            map.entry(id).or_default().push(p);
        }
    }
    Ok(map)
}

/// HSA-IDs of users whose name contains `text` (any case), at most `limit`.
pub fn users_named(conn: &mut DbConnection, text: &str, limit: i64) -> QueryResult<Vec<String>> {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    users::table
        .filter(lower(users::name).like(format!("%{escaped}%")).escape('\\'))
        .order(users::hsa_id.asc())
        .limit(limit)
        .select(users::hsa_id)
        .load(conn)
}

/// Names of users by HSA-ID.
pub fn user_names(
    conn: &mut DbConnection,
    hsa_ids: &BTreeSet<String>,
) -> QueryResult<HashMap<String, String>> {
    let ids: Vec<&String> = hsa_ids.iter().collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(5_000) {
        let rows: Vec<(String, String)> = users::table
            .filter(in_list(users::hsa_id, chunk))
            .select((users::hsa_id, users::name))
            .load(conn)?;
        out.extend(rows);
    }
    Ok(out)
}

/// What the log can tell of a citizen from their cases: the newest name, and whether any case
/// marks them as having protected personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenFacts {
    pub name: String,
    pub protected: bool,
    /// The units of the citizen's cases.
    pub units: BTreeSet<i64>,
}

pub fn citizens(
    conn: &mut DbConnection,
    pnrs: &BTreeSet<String>,
) -> QueryResult<HashMap<String, CitizenFacts>> {
    let all: Vec<&String> = pnrs.iter().collect();
    let mut out: HashMap<String, CitizenFacts> = HashMap::new();
    for chunk in all.chunks(5_000) {
        let rows: Vec<(String, String, bool, i64)> = cases::table
            .filter(in_list(cases::citizen_pnr, chunk))
            .order(cases::id.desc())
            .select((
                cases::citizen_pnr,
                cases::citizen_name,
                cases::citizen_protected,
                cases::unit_id,
            ))
            .load(conn)?;
        for (pnr, name, protected, unit) in rows {
            let f = out.entry(pnr).or_insert_with(|| CitizenFacts {
                name,
                protected: false,
                units: BTreeSet::new(),
            });
            f.protected |= protected;
            f.units.insert(unit);
        }
    }
    Ok(out)
}

/// The diary numbers of cases by id (cases not yet registered have none).
pub fn diary_numbers(
    conn: &mut DbConnection,
    ids: &BTreeSet<i64>,
) -> QueryResult<HashMap<i64, String>> {
    let all: Vec<i64> = ids.iter().copied().collect();
    let mut out = HashMap::new();
    for chunk in all.chunks(5_000) {
        let rows: Vec<(i64, Option<String>)> = cases::table
            .filter(in_list(cases::id, chunk))
            .select((cases::id, cases::diary_number))
            .load(conn)?;
        out.extend(rows.into_iter().filter_map(|(i, d)| d.map(|d| (i, d))));
    }
    Ok(out)
}

/// A member of staff as the review rules see them: roles and units today, and the name (what
/// [`user_names`] gives, read here too so that a page needing both reads the users once).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaffFacts {
    pub name: String,
    pub roles: BTreeSet<String>,
    pub units: BTreeSet<i64>,
}

pub fn staff(
    conn: &mut DbConnection,
    hsa_ids: &BTreeSet<String>,
) -> QueryResult<HashMap<String, StaffFacts>> {
    let all: Vec<&String> = hsa_ids.iter().collect();
    let mut out: HashMap<String, StaffFacts> = HashMap::new();
    // One statement: each user once per pair of a role and a unit (a member of staff has a few
    // of each), NULL where there is none. Three statements before, each a round trip of the
    // auditor's every page of entries.
    for chunk in all.chunks(5_000) {
        let rows: Vec<(String, String, Option<String>, Option<i64>)> = users::table
            .left_join(user_roles::table.on(user_roles::user_id.eq(users::id)))
            .left_join(user_units::table.on(user_units::user_id.eq(users::id)))
            .filter(in_list(users::hsa_id, chunk))
            .select((
                users::hsa_id,
                users::name,
                user_roles::role.nullable(),
                user_units::unit_id.nullable(),
            ))
            .load(conn)?;
        for (hsa, name, role, unit) in rows {
            let f = out.entry(hsa).or_default();
            f.name = name;
            f.roles.extend(role);
            f.units.extend(unit);
        }
    }
    Ok(out)
}

/// The newest entries of a period that name a citizen and are not the auditors' own reading
/// (`audit_*`), at most `limit`: what the "entries to look at" rules scan.
pub fn citizen_entries_in(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<AccessLogRow>> {
    access_log::table
        .filter(access_log::at.ge(from))
        .filter(access_log::at.lt(to))
        .filter(access_log::user_hsa_id.is_not_null())
        .filter(access_log::action.not_like("audit\\_%").escape('\\'))
        .filter(diesel::dsl::exists(
            access_log_subjects::table.filter(access_log_subjects::entry_id.eq(access_log::id)),
        ))
        .order(access_log::id.desc())
        .limit(limit)
        .select(AccessLogRow::as_select())
        .load(conn)
}

/// `n` entries of a period drawn at random, without reading the whole period (it may hold
/// millions of rows at ten years of data): see [`sample_in`].
pub fn sample(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    n: i64,
) -> QueryResult<Vec<AccessLogRow>> {
    sample_in(conn, from, to, n, SMALL_PERIOD_FACTOR * n)
}

/// A period with at most this many entries per wanted sample row is drawn from whole.
const SMALL_PERIOD_FACTOR: i64 = 20;

/// `n` distinct entries of `[from, to)` at random. A period of at most `small` entries (counted
/// with a limit, so the count stays cheap) is shuffled whole: every entry equally likely. A larger
/// one is drawn by id: a random id between the period's first and last entry (found through the
/// `at` index), then the first entry of the period at or after it (the primary key). Ids come from
/// one sequence and are dense, so the draw is as good as uniform, and each costs two index
/// lookups however long the period. At most `4n` tries; the result is newest first.
pub fn sample_in(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    n: i64,
    small: i64,
) -> QueryResult<Vec<AccessLogRow>> {
    use rand::Rng;
    let period = || {
        access_log::table
            .filter(access_log::at.ge(from))
            .filter(access_log::at.lt(to))
    };
    let counted: i64 = period()
        .select(access_log::id)
        .limit(small + 1)
        .load::<i64>(conn)?
        .len() as i64;
    if counted <= small {
        return period()
            .order(diesel::dsl::sql::<BigInt>("random()"))
            .limit(n)
            .select(AccessLogRow::as_select())
            .load(conn);
    }
    let first: Option<i64> = period()
        .order((access_log::at.asc(), access_log::id.asc()))
        .select(access_log::id)
        .first(conn)
        .optional()?;
    let last: Option<i64> = period()
        .order((access_log::at.desc(), access_log::id.desc()))
        .select(access_log::id)
        .first(conn)
        .optional()?;
    let (Some(a), Some(b)) = (first, last) else {
        return Ok(vec![]);
    };
    let (lo, hi) = (a.min(b), a.max(b));
    let mut rng = rand::thread_rng();
    let mut picked: BTreeMap<i64, AccessLogRow> = BTreeMap::new();
    let mut tries = 0;
    while (picked.len() as i64) < n && tries < 4 * n {
        tries += 1;
        let r = rng.gen_range(lo..=hi);
        let row = period()
            .filter(access_log::id.ge(r))
            .order(access_log::id.asc())
            .select(AccessLogRow::as_select())
            .first(conn)
            .optional()?;
        if let Some(row) = row {
            picked.insert(row.id, row);
        }
    }
    Ok(picked.into_values().rev().collect())
}

/// Entries by id, newest first (a saved sample).
pub fn entries(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<AccessLogRow>> {
    let mut rows = vec![];
    for chunk in ids.chunks(5_000) {
        rows.extend(
            access_log::table
                .filter(access_log::id.eq_any(chunk))
                .select(AccessLogRow::as_select())
                .load(conn)?,
        );
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.id));
    Ok(rows)
}

/// A spot check as stored.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = audit_spot_checks)]
pub struct SpotCheck {
    pub id: i64,
    pub created_at: NaiveDateTime,
    pub user_id: i64,
    pub user_name: String,
    pub user_hsa_id: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub scope: String,
    pub sample_size: i32,
    pub findings: String,
    pub outcome: String,
    pub follow_up: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_spot_checks)]
pub struct NewSpotCheck<'a> {
    pub created_at: NaiveDateTime,
    pub user_id: i64,
    pub user_name: &'a str,
    pub user_hsa_id: &'a str,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub scope: &'a str,
    pub sample_size: i32,
    pub findings: &'a str,
    pub outcome: &'a str,
    pub follow_up: &'a str,
}

/// Stores a check and the entries of its sample; returns its id.
pub fn add_check(
    conn: &mut DbConnection,
    check: &NewSpotCheck<'_>,
    sample: &[i64],
) -> QueryResult<i64> {
    let insert = diesel::insert_into(audit_spot_checks::table).values(check);
    let id = match conn {
        DbConnection::Pg(c) => insert.returning(audit_spot_checks::id).get_result(c)?,
        DbConnection::Sqlite(c) => {
            insert.execute(c)?;
            diesel::select(diesel::dsl::sql::<BigInt>("last_insert_rowid()")).get_result(c)?
        }
    };
    let ids: BTreeSet<i64> = sample.iter().copied().collect();
    let rows: Vec<_> = ids
        .iter()
        .map(|e| {
            (
                audit_spot_check_entries::check_id.eq(id),
                audit_spot_check_entries::entry_id.eq(*e),
            )
        })
        .collect();
    for chunk in rows.chunks(1_000) {
        let insert = diesel::insert_into(audit_spot_check_entries::table).values(chunk.to_vec());
        match conn {
            DbConnection::Pg(c) => insert.execute(c)?,
            DbConnection::Sqlite(c) => insert.execute(c)?,
        };
    }
    Ok(id)
}

/// Spot checks, newest first, below the cursor `before`.
pub fn checks(
    conn: &mut DbConnection,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<SpotCheck>> {
    let mut q = audit_spot_checks::table.into_boxed();
    if let Some(b) = before {
        q = q.filter(audit_spot_checks::id.lt(b));
    }
    q.order(audit_spot_checks::id.desc())
        .limit(limit)
        .select(SpotCheck::as_select())
        .load(conn)
}

pub fn check(conn: &mut DbConnection, id: i64) -> QueryResult<Option<SpotCheck>> {
    audit_spot_checks::table
        .find(id)
        .select(SpotCheck::as_select())
        .first(conn)
        .optional()
}

/// The entry ids of a check's sample.
pub fn check_entries(conn: &mut DbConnection, id: i64) -> QueryResult<Vec<i64>> {
    audit_spot_check_entries::table
        .filter(audit_spot_check_entries::check_id.eq(id))
        .order(audit_spot_check_entries::entry_id.desc())
        .select(audit_spot_check_entries::entry_id)
        .load(conn)
}

/// Which of these ids are entries of the log written in the period (a sample posted back is
/// checked against it).
pub fn ids_in_period(
    conn: &mut DbConnection,
    ids: &[i64],
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<i64>> {
    access_log::table
        .filter(access_log::id.eq_any(ids))
        .filter(access_log::at.ge(from))
        .filter(access_log::at.lt(to))
        .select(access_log::id)
        .load(conn)
}
