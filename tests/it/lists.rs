//! Lists read by key: paging gives every row once and in order (also when rows arrive between
//! page loads), counts stop at 1 000, each filter of the case list, the search by diary and case
//! number, handlers not seeing other units' drafts; and the cost of one request (one connection,
//! the statements of a case page).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Backend, Browser, TestApp, flow};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use kontosparr::db::page::{Cursor, Page};
use kontosparr::db::{self, DbConnection, schema};
use kontosparr::domain::Role;
use kontosparr::service::cases::{self, ListFilter};

dual!(
    case_list_pages_give_every_row_once_in_order,
    queue_and_review_pages_give_every_row_once_in_order,
    counts_stop_at_a_thousand,
    each_filter_of_the_case_list,
    search_by_diary_and_case_number,
    handlers_do_not_see_other_units_drafts,
    one_connection_and_few_statements_per_request,
);

/// Inserts `n` cases of `unit` in one statement: `status`, `kind`, `channel` are SQL over `i`
/// (1..=n); `updated_at` (and `submitted_at`) is 2026-01-01 plus `(i + offset) / 3` seconds, so
/// that rows share timestamps in threes (the id breaks the ties).
fn bulk(app: &TestApp, n: i64, unit: i64, offset: i64, status: &str, kind: &str, channel: &str) {
    let pg = app.backend() == Backend::Postgres;
    let ts = if pg {
        format!("TIMESTAMP '2026-01-01 00:00:00' + ((i + {offset}) / 3) * INTERVAL '1 second'")
    } else {
        format!("datetime('2026-01-01 00:00:00', printf('%+d seconds', (i + {offset}) / 3))")
    };
    let review = if pg {
        format!("DATE '2027-01-01' + ((i + {offset}) / 3)::int")
    } else {
        format!("date('2027-01-01', '+' || ((i + {offset}) / 3) || ' days')")
    };
    let pnr = "'195001010' || (100 + i % 900)";
    app.conn()
        .batch_execute(&format!(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) \
             INSERT INTO cases (kind, status, version, channel, unit_id, citizen_pnr, citizen_name, \
                                created_at, updated_at, submitted_at, review_due) \
             SELECT {kind}, {status}, 1, {channel}, {unit}, {pnr}, 'Lista Person', {ts}, {ts}, {ts}, \
                    CASE WHEN {status} = 'executed' THEN {review} END \
             FROM s"
        ))
        .expect("bulk insert");
}

/// The case ids a list page links to, in order.
fn ids(body: &str) -> Vec<i64> {
    body.split("<a href=\"/arenden/")
        .skip(1)
        .filter_map(|s| s.split('"').next()?.parse().ok())
        .collect()
}

/// A link of the pager (`rel="next"` / `rel="prev"`), unescaped.
fn link(body: &str, rel: &str) -> Option<String> {
    let end = body.find(&format!("\" rel=\"{rel}\""))?;
    let start = body[..end].rfind("href=\"")? + 6;
    Some(body[start..end].replace("&amp;", "&"))
}

/// The ids of every case, in the case list's order (newest change first).
fn all_in_list_order(app: &TestApp) -> Vec<i64> {
    use schema::cases::dsl as c;
    c::cases
        .order((c::updated_at.desc(), c::id.desc()))
        .select(c::id)
        .load(&mut app.conn() as &mut DbConnection)
        .expect("ids")
}

async fn case_list_pages_give_every_row_once_in_order(app: TestApp) {
    let unit = app.unit("A");
    let handler = app.user(&[Role::Handler], &[]);
    bulk(&app, 130, unit, 0, "'submitted'", "'lock'", "'eservice'");
    let expected = all_in_list_order(&app);
    let mut b = app.browser();
    app.login(&mut b, &handler).await;
    let first = b.get("/arenden").await;
    assert_eq!(first.status, 200);
    assert!(first.body.contains("130 ärenden."), "{}", first.body);
    assert_eq!(link(&first.body, "prev"), None);
    // Rows arriving between page loads: newer ones (they go before the page read) and older ones
    // (after the key: they are listed when their turn comes).
    bulk(&app, 5, unit, 10_000, "'submitted'", "'lock'", "'eservice'");
    bulk(&app, 4, unit, -1_000, "'submitted'", "'lock'", "'eservice'");
    let mut seen = ids(&first.body);
    let mut pages = vec![first.body.clone()];
    let mut next = link(&first.body, "next");
    while let Some(href) = next {
        assert!(href.contains("efter="), "{href}");
        assert!(!href.contains("19500101"), "a personnummer in {href}");
        let r = b.get(&href).await;
        assert_eq!(r.status, 200, "{href}");
        seen.extend(ids(&r.body));
        next = link(&r.body, "next");
        pages.push(r.body);
    }
    // Every row that was there at the start, once and in order; then the four older newcomers.
    let newest: Vec<i64> = all_in_list_order(&app);
    let older_newcomers: Vec<i64> = newest.iter().rev().take(4).rev().copied().collect();
    let mut want = expected.clone();
    want.extend(&older_newcomers);
    assert_eq!(seen, want);
    assert_eq!(pages.len(), 3, "50 + 50 + 34 rows");
    // Back from the last page: the previous pages again, the first one now starting with the five
    // newer rows.
    let mut back = vec![];
    let mut prev = link(pages.last().expect("page"), "prev");
    while let Some(href) = prev {
        assert!(href.contains("fore="), "{href}");
        let r = b.get(&href).await;
        back.push(ids(&r.body));
        prev = link(&r.body, "prev");
    }
    assert_eq!(back.len(), 3);
    assert_eq!(back[0], ids(&pages[1]));
    assert_eq!(back[1], ids(&pages[0]));
    assert_eq!(
        &back[2][..],
        &newest[..50],
        "the first page, with the newcomers"
    );
    // The page read is logged with its key.
    let objects: Vec<Option<String>> = {
        use schema::access_log::dsl as l;
        l::access_log
            .filter(l::action.eq("case_list_view"))
            .order(l::id.asc())
            .select(l::object)
            .load(&mut app.conn() as &mut DbConnection)
            .expect("log")
    };
    assert!(
        objects
            .iter()
            .flatten()
            .any(|o| o.starts_with("arenden?efter=") && !o.contains("19500101")),
        "{objects:?}"
    );
}

/// Every page of a list read through `next`, then back through `prev`.
fn walk<K: Clone>(
    mut read: impl FnMut(&Cursor<K>) -> Page<kontosparr::db::models::CaseSummary, K>,
) -> Vec<i64> {
    let mut out = vec![];
    let mut forward = vec![];
    let mut cursor = Cursor::First;
    loop {
        let p = read(&cursor);
        out.extend(p.rows.iter().map(|r| r.id));
        forward.push(p.rows.iter().map(|r| r.id).collect::<Vec<_>>());
        match p.next {
            Some((k, id)) => cursor = Cursor::After(k, id),
            None => break,
        }
    }
    let mut p = read(&cursor);
    let mut back = vec![p.rows.iter().map(|r| r.id).collect::<Vec<_>>()];
    while let Some((k, id)) = p.prev.clone() {
        p = read(&Cursor::Before(k, id));
        back.push(p.rows.iter().map(|r| r.id).collect());
    }
    back.reverse();
    assert_eq!(back, forward, "the same pages backwards");
    out
}

async fn queue_and_review_pages_give_every_row_once_in_order(app: TestApp) {
    let unit = app.unit("A");
    let handler = app.user(&[Role::Handler], &[]);
    let nurse = app.user(&[Role::Clinician], &[unit]);
    bulk(&app, 61, unit, 0, "'received'", "'lock'", "'eservice'");
    bulk(&app, 20, unit, 0, "'closed'", "'lock'", "'eservice'");
    bulk(&app, 57, unit, 7, "'executed'", "'lock'", "'eservice'");
    let (h, n) = (flow::ctx(&app, handler.id), flow::ctx(&app, nurse.id));
    let mut conn = app.conn();
    let c: &mut DbConnection = &mut conn;
    use schema::cases::dsl as k;
    let queue_order: Vec<i64> = k::cases
        .filter(k::status.eq("received"))
        .order((k::submitted_at.asc(), k::id.asc()))
        .select(k::id)
        .load(c)
        .expect("ids");
    assert_eq!(
        walk(|cur| cases::queue(c, &h, cur, 20).expect("queue")),
        queue_order
    );
    let mut review_order: Vec<i64> = k::cases
        .filter(k::review_due.is_not_null())
        .order((k::review_due.asc(), k::id.asc()))
        .select(k::id)
        .load(c)
        .expect("ids");
    assert_eq!(review_order.len(), 57);
    assert_eq!(
        walk(|cur| cases::reviews(c, &n, true, cur, 10).expect("reviews")),
        review_order
    );
    review_order.reverse();
    assert_eq!(
        walk(|cur| cases::reviews(c, &n, false, cur, 10).expect("reviews")),
        review_order
    );
}

async fn counts_stop_at_a_thousand(app: TestApp) {
    let unit = app.unit("A");
    let handler = app.user(&[Role::Handler], &[]);
    bulk(&app, 999, unit, 0, "'closed'", "'lock'", "'eservice'");
    let mut b = app.browser();
    app.login(&mut b, &handler).await;
    let at_cap_less_one = b.get("/arenden").await;
    assert!(at_cap_less_one.body.contains("999 ärenden."));
    assert!(!at_cap_less_one.body.contains("fler än"));
    bulk(&app, 1, unit, 0, "'closed'", "'lock'", "'eservice'");
    let at_cap = b.get("/arenden").await;
    assert!(at_cap.body.contains("1 000 ärenden."), "{}", at_cap.body);
    assert!(!at_cap.body.contains("fler än"));
    bulk(&app, 1, unit, 0, "'closed'", "'lock'", "'eservice'");
    let above = b.get("/arenden").await;
    assert!(
        above.body.contains("fler än 1 000 ärenden."),
        "{}",
        above.body
    );
    // A filter counts its own rows.
    let filtered = b.get("/arenden?status=submitted").await;
    assert!(filtered.body.contains("0 ärenden."), "{}", filtered.body);
}

async fn each_filter_of_the_case_list(app: TestApp) {
    let (a, bu) = (app.unit("A"), app.unit("B"));
    let handler = app.user(&[Role::Handler], &[]);
    let nurse = app.user(&[Role::Clinician], &[a]);
    // Unit A: 6 submitted e-service locks on 2026-01-01; unit B: 4 received paper unlocks and 3
    // closed emergency locks on 2026-03-02 (offset: two months of seconds × 3).
    bulk(&app, 6, a, 0, "'submitted'", "'lock'", "'eservice'");
    bulk(
        &app,
        4,
        bu,
        3 * 60 * 86_400,
        "'received'",
        "'unlock'",
        "'paper'",
    );
    bulk(
        &app,
        3,
        bu,
        3 * 60 * 86_400,
        "'closed'",
        "'lock'",
        "'emergency'",
    );
    let count = |body: &str| ids(body).len();
    let mut h = app.browser();
    app.login(&mut h, &handler).await;
    for (query, n) in [
        ("", 13),
        ("status=submitted", 6),
        ("status=received", 4),
        ("typ=unlock", 4),
        ("typ=lock", 9),
        ("kanal=paper", 4),
        ("kanal=emergency", 3),
        ("kanal=api", 0),
        (&format!("enhet={a}"), 6),
        (&format!("enhet={bu}"), 7),
        ("fran=2026-03-01", 7),
        ("till=2026-01-01", 6),
        ("fran=2026-01-02&till=2026-03-01", 0),
        (
            &format!("enhet={bu}&typ=lock&kanal=emergency&status=closed"),
            3,
        ),
        // Unknown codes are no filter.
        ("status=nonsense&typ=x&kanal=y", 13),
    ] {
        let r = h.get(&format!("/arenden?{query}")).await;
        assert_eq!(r.status, 200, "{query}");
        assert_eq!(count(&r.body), n, "{query}");
        assert!(r.body.contains(&format!("{} ärenden.", n)), "{query}");
    }
    // The filter shows what was chosen and keeps it in the page links.
    let r = h.get(&format!("/arenden?enhet={bu}&typ=lock")).await;
    assert!(
        r.body
            .contains(&format!("<option value=\"{bu}\" selected>"))
    );
    assert!(r.body.contains("<option value=\"lock\" selected>"));
    // A date that is not a date comes back beside its field, as typed.
    let r = h.get("/arenden?fran=1%20mars").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("id=\"fran-error\""), "{}", r.body);
    assert!(r.body.contains("value=\"1 mars\""));
    assert_eq!(count(&r.body), 13);
    // A clinician filters only within their units: another unit's filter shows nothing.
    let mut n = app.browser();
    app.login(&mut n, &nurse).await;
    assert_eq!(count(&n.get("/arenden").await.body), 6);
    assert_eq!(count(&n.get(&format!("/arenden?enhet={bu}")).await.body), 0);
    assert!(
        !n.get("/arenden")
            .await
            .body
            .contains(&format!("value=\"{bu}\""))
    );
}

async fn search_by_diary_and_case_number(app: TestApp) {
    let unit = app.unit("A");
    let handler = app.user(&[Role::Handler], &[]);
    let doctor = app.user_with(&[Role::Clinician], &[unit], true);
    let pnr = "19121212-1212";
    let id = flow::executed_lock(&app, unit, doctor.id, doctor.id, handler.id, pnr);
    let diary = db::cases::get(&mut app.conn(), id)
        .expect("db")
        .expect("case")
        .diary_number
        .expect("diary number");
    let mut h = app.browser();
    app.login(&mut h, &handler).await;
    let before = last_log_id(&app);
    let year_seq = diary.rsplit_once(' ').expect("number").1.to_string();
    for term in [
        diary.clone(),
        year_seq.clone(),
        format!("nr {id}"),
        id.to_string(),
    ] {
        let r = h.submit("/sok", "/sok", &[("pnr", &term)]).await;
        assert_eq!(r.status, 200, "{term}");
        assert_eq!(ids(&r.body), vec![id], "{term}");
        assert!(r.body.contains("1 ärenden."), "{term}");
    }
    // Each search logged, naming the citizen shown; nothing in the URL.
    let log: Vec<(String, Option<String>, Option<String>)> = {
        use schema::access_log::dsl as l;
        l::access_log
            .filter(l::id.gt(before))
            .filter(l::action.eq("case_search"))
            .select((l::action, l::object, l::personnummer))
            .load(&mut app.conn() as &mut DbConnection)
            .expect("log")
    };
    assert_eq!(log.len(), 4, "{log:?}");
    assert!(
        log.iter()
            .all(|(_, _, p)| p.as_deref() == Some("191212121212"))
    );
    assert!(
        log.iter()
            .any(|(_, o, _)| o.as_deref() == Some(&format!("sok?diarienummer={year_seq}")[..]))
    );
    // A number that finds nothing says so; one that is neither comes back with a message.
    let r = h.submit("/sok", "/sok", &[("pnr", "nr 999999")]).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Inga ärenden."));
    let r = h.submit("/sok", "/sok", &[("pnr", "Tolvan")]).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"pnr-error\"") && r.body.contains("value=\"Tolvan\""));
    // Paging a citizen's many cases goes by POST with the key, never by URL.
    bulk(&app, 60, unit, 0, "'closed'", "'lock'", "'eservice'");
    app.conn()
        .batch_execute("UPDATE cases SET citizen_pnr = '191212121212'")
        .expect("one citizen");
    let r = h.submit("/sok", "/sok", &[("pnr", pnr)]).await;
    assert!(r.body.contains("61 ärenden."), "{}", r.body);
    let first = ids(&r.body);
    assert_eq!(first.len(), 50);
    let key = crate::common::field_value(&r.body, "efter").expect("a next-page form");
    let r = h
        .submit("/sok", "/sok", &[("pnr", pnr), ("efter", &key)])
        .await;
    let second = ids(&r.body);
    assert_eq!(second.len(), 11);
    let mut all: Vec<i64> = first.into_iter().chain(second).collect();
    all.dedup();
    assert_eq!(all.len(), 61);
    assert!(all.windows(2).all(|w| w[0] > w[1]), "newest first");
}

async fn handlers_do_not_see_other_units_drafts(app: TestApp) {
    let (a, bu) = (app.unit("A"), app.unit("B"));
    let handler = app.user(&[Role::Handler], &[]);
    let handler_of_a = app.user(&[Role::Handler], &[a]);
    bulk(&app, 3, a, 0, "'draft'", "'lock'", "'eservice'");
    bulk(&app, 2, bu, 0, "'draft'", "'lock'", "'eservice'");
    bulk(&app, 4, bu, 0, "'submitted'", "'lock'", "'eservice'");
    let draft_of_b: i64 = {
        use schema::cases::dsl as k;
        k::cases
            .filter(k::unit_id.eq(bu))
            .filter(k::status.eq("draft"))
            .select(k::id)
            .first(&mut app.conn() as &mut DbConnection)
            .expect("draft")
    };
    let mut h = app.browser();
    app.login(&mut h, &handler).await;
    assert_eq!(ids(&h.get("/arenden").await.body).len(), 4);
    assert_eq!(ids(&h.get("/arenden?status=draft").await.body).len(), 0);
    // Another status: every unit's cases in it (the draft condition is implied, not applied).
    assert_eq!(ids(&h.get("/arenden?status=submitted").await.body).len(), 4);
    let r = h
        .submit("/sok", "/sok", &[("pnr", &format!("nr {draft_of_b}"))])
        .await;
    assert!(ids(&r.body).is_empty());
    let mut ha = app.browser();
    app.login(&mut ha, &handler_of_a).await;
    assert_eq!(ids(&ha.get("/arenden").await.body).len(), 7);
    assert_eq!(ids(&ha.get("/arenden?status=draft").await.body).len(), 3);
    assert_eq!(
        ids(&ha.get("/arenden?status=submitted").await.body).len(),
        4
    );
    // The service says the same.
    let ctx = flow::ctx(&app, handler.id);
    let page = cases::list(
        &mut app.conn(),
        &ctx,
        &ListFilter::default(),
        &Cursor::First,
        50,
    )
    .expect("list");
    assert!(page.rows.iter().all(|r| r.status.code() != "draft"));
}

fn last_log_id(app: &TestApp) -> i64 {
    use schema::access_log::dsl as l;
    l::access_log
        .select(diesel::dsl::max(l::id))
        .first::<Option<i64>>(&mut app.conn() as &mut DbConnection)
        .expect("log")
        .unwrap_or(0)
}

/// Counts the statements sent on connections to one database (diesel's instrumentation), so that
/// tests running side by side in one process do not count each other's.
mod counting {
    use diesel::connection::{Instrumentation, InstrumentationEvent};
    use std::collections::HashMap;
    use std::sync::Mutex;

    static STATEMENTS: Mutex<Option<HashMap<String, Vec<String>>>> = Mutex::new(None);

    struct Counter {
        url: String,
    }

    impl Instrumentation for Counter {
        fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
            match event {
                InstrumentationEvent::StartEstablishConnection { url, .. } => {
                    self.url = url.to_string();
                }
                InstrumentationEvent::StartQuery { query, .. } => {
                    let sql = query.to_string();
                    if let Ok(mut m) = STATEMENTS.lock() {
                        m.get_or_insert_with(HashMap::new)
                            .entry(self.url.clone())
                            .or_default()
                            .push(sql);
                    }
                }
                _ => {}
            }
        }
    }

    /// Counts from now on, for connections opened from now on.
    pub fn install() {
        let _ = diesel::connection::set_default_instrumentation(|| {
            Some(Box::new(Counter { url: String::new() }))
        });
    }

    /// The statements sent to `url` (a database URL or SQLite path) since the last call.
    pub fn take(url: &str) -> Vec<String> {
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        STATEMENTS
            .lock()
            .ok()
            .and_then(|mut m| m.as_mut().and_then(|m| m.remove(path)))
            .unwrap_or_default()
    }
}

async fn one_connection_and_few_statements_per_request(app: TestApp) {
    // Connections opened before the counter are not counted: start over with a fresh app on the
    // same kind of database, its pool opened after the counter.
    counting::install();
    let backend = app.backend();
    drop(app);
    let app = TestApp::start(backend).await;
    let unit = app.unit("A");
    let handler = app.user(&[Role::Handler], &[]);
    let doctor = app.user_with(&[Role::Clinician], &[unit], true);
    let id = flow::executed_lock(
        &app,
        unit,
        doctor.id,
        doctor.id,
        handler.id,
        "19121212-1212",
    );
    let mut b: Browser = app.browser();
    app.login(&mut b, &handler).await;
    // Warm: the unit cache filled by the first page.
    assert_eq!(b.get(&format!("/arenden/{id}")).await.status, 200);
    counting::take(&app.db.url);
    let checkouts = db::checkouts(&app.db.url);
    let r = b.get(&format!("/arenden/{id}")).await;
    assert_eq!(r.status, 200);
    let statements = counting::take(&app.db.url);
    assert_eq!(
        db::checkouts(&app.db.url) - checkouts,
        1,
        "one connection for the session and the page"
    );
    eprintln!(
        "case page, {backend:?}: {} statements\n  {}",
        statements.len(),
        statements.join("\n  ")
    );
    assert!(
        !statements
            .iter()
            .any(|s| s.trim_start().starts_with("SELECT 1") && !s.contains("FROM")),
        "no health query per checkout: {statements:?}"
    );
    assert!(
        !statements.iter().any(
            |s| (s.contains("FROM \"units\"") || s.contains("FROM `units`"))
                && !s.contains("user_units")
        ),
        "the unit comes from the cache: {statements:?}"
    );
    assert!(
        statements.len() <= 16, // 17 (PostgreSQL) and 18 (SQLite) before the unit cache
        "{} statements: {statements:?}",
        statements.len()
    );
    // A POST too: one connection for the session, the CSRF check and the work.
    let checkouts = db::checkouts(&app.db.url);
    let r = b.submit("/sok", "/sok", &[("pnr", "19121212-1212")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        db::checkouts(&app.db.url) - checkouts,
        2,
        "GET /sok + POST /sok"
    );
}
