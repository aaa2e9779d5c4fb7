//! The statistics page (issue 11): exact figures for a seeded region on both backends (counts by
//! channel, medians and 90th percentiles, shares, locks in force, reviews), "< 5" in a unit's
//! view and not in the region's, the CSV (BOM, `;`, the same cells), who may see what (refusals
//! logged), and no personnummer anywhere.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Browser, TestApp, TestUser, flow};
use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use kontosparr::db::{self, DbConnection, schema::access_log, schema::cases, schema::reviews};
use kontosparr::domain::Role;
use kontosparr::service::cases as svc_cases;

dual!(
    figures_for_a_seeded_region,
    small_counts_are_hidden_in_a_units_view,
    who_sees_the_statistics,
    filters_are_checked,
    migration_fills_in_older_cases_and_reviews,
);

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A valid personnummer (Luhn) as digits `YYYYMMDDNNNC`.
fn personnummer(n: u32) -> String {
    let date = format!("19{:02}0{}1{}", 40 + n % 50, 1 + n % 9, n % 3);
    let body = format!("{}{:03}", &date[2..], n % 1000);
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, ch)| {
            let d = ch.to_digit(10).unwrap() * if i % 2 == 0 { 2 } else { 1 };
            d / 10 + d % 10
        })
        .sum();
    format!("{date}{:03}{}", n % 1000, (10 - sum % 10) % 10)
}

/// One case as the statistics see it, inserted directly (the services would need the clock
/// moved for every step of every case).
#[derive(Default, Clone)]
struct Seed {
    kind: &'static str,
    channel: &'static str,
    status: &'static str,
    unit: i64,
    submitted: Option<NaiveDateTime>,
    executed: Option<NaiveDateTime>,
    linked: Option<NaiveDateTime>,
    related: Option<i64>,
    review_due: Option<NaiveDate>,
    returned: i32,
}

fn lock(unit: i64, channel: &'static str, executed: &str, lead_hours: i64) -> Seed {
    let e = at(executed);
    Seed {
        kind: "lock",
        channel,
        status: "executed",
        unit,
        submitted: Some(e - Duration::hours(lead_hours)),
        executed: Some(e),
        ..Default::default()
    }
}

struct Region {
    a: i64,
    b: i64,
    handler: TestUser,
    manager_a: TestUser,
    chief_a: TestUser,
    clinician_a: TestUser,
    /// Every citizen seeded (digits).
    citizens: Vec<String>,
}

fn insert(app: &TestApp, s: &Seed, pnr: &str) -> i64 {
    let mut c = app.conn();
    let c: &mut DbConnection = &mut c;
    let now = s.executed.or(s.submitted).unwrap_or(at("2026-01-01 00:00"));
    diesel::insert_into(cases::table)
        .values((
            cases::kind.eq(s.kind),
            cases::status.eq(s.status),
            cases::channel.eq(s.channel),
            cases::unit_id.eq(s.unit),
            cases::citizen_pnr.eq(pnr),
            cases::citizen_name.eq("Statistik Testsson"),
            cases::created_at.eq(now),
            cases::updated_at.eq(now),
            cases::submitted_at.eq(s.submitted),
            cases::executed_at.eq(s.executed),
            cases::form_linked_at.eq(s.linked),
            cases::related_case_id.eq(s.related),
            cases::review_due.eq(s.review_due),
            cases::returned_count.eq(s.returned),
        ))
        .execute(c)
        .unwrap();
    cases::table
        .select(cases::id)
        .order(cases::id.desc())
        .first(c)
        .unwrap()
}

fn review(app: &TestApp, case: i64, user: i64, due: &str, decided: &str, next: Option<&str>) {
    let mut c = app.conn();
    diesel::insert_into(reviews::table)
        .values((
            reviews::case_id.eq(case),
            reviews::decided_at.eq(at(&format!("{decided} 08:00"))),
            reviews::user_id.eq(user),
            reviews::outcome.eq(if next.is_some() { "keep" } else { "unlock" }),
            reviews::next_review.eq(next.map(day)),
            reviews::due_on.eq(Some(day(due))),
            reviews::decided_on.eq(Some(day(decided))),
        ))
        .execute(&mut c as &mut DbConnection)
        .unwrap();
}

fn set_clock(app: &TestApp, s: &str) {
    app.clock.set(Utc.from_utc_datetime(&at(s)));
}

/// Units A and B, and the cases of the figures the tests expect (the comments give the Swedish
/// month each time falls in).
async fn region(app: &TestApp) -> Region {
    let a = app.unit("STA");
    let b = app.unit("STB");
    let handler = app.user(&[Role::Handler], &[]);
    let manager_a = app.user(&[Role::Manager, Role::Clinician], &[a]);
    let chief_a = app.user(&[Role::ChiefPhysician], &[a]);
    let clinician_a = app.user_with(&[Role::Clinician], &[a], true);
    let mut citizens = vec![];
    let mut n = 0;
    let mut add = |s: Seed| {
        n += 1;
        let pnr = personnummer(n);
        citizens.push(pnr.clone());
        insert(app, &s, &pnr)
    };
    // Before the period (August–November 2026): locks in force when it begins.
    let mut a1 = lock(a, "eservice", "2026-05-12 10:00", 24);
    a1.review_due = Some(day("2026-08-20")); // never reviewed: overdue in August
    add(a1);
    let mut a2 = lock(a, "eservice", "2026-05-12 11:00", 24);
    a2.review_due = Some(day("2026-11-10")); // kept on 10 Aug; not reviewed since: overdue in November
    let a2 = add(a2);
    let a3 = add(lock(a, "eservice", "2026-07-15 09:00", 24)); // lifted in October
    let mut b1 = lock(b, "eservice", "2026-06-05 10:00", 24);
    b1.review_due = Some(day("2026-12-10"));
    let b1 = add(b1);
    // August: one lock in B (2 h).
    let mut b3 = lock(b, "eservice", "2026-08-03 10:00", 2);
    b3.review_due = Some(day("2027-02-02"));
    let b3 = add(b3);
    // September: six e-service locks in A (1, 2, 3, 4, 10, 20 h; two returned, one twice), two
    // paper locks (5, 6 h; the second at 23:30 on 30 September, Swedish time), three emergency
    // locks, and one lock in B (100 h).
    for (i, (lead, returned)) in [(1, 0), (2, 0), (3, 0), (4, 0), (10, 1), (20, 2)]
        .into_iter()
        .enumerate()
    {
        let mut s = lock(a, "eservice", &format!("2026-09-15 12:{i:02}"), lead);
        s.returned = returned;
        add(s);
    }
    add(lock(a, "paper", "2026-09-20 12:00", 5));
    add(lock(a, "paper", "2026-09-30 21:30", 6));
    // Emergency locks on 28 September; their forms linked in October after 4, 6 and 9 days.
    for days in [4, 6, 9] {
        let e = at("2026-09-28 12:00");
        add(Seed {
            kind: "lock",
            channel: "emergency",
            status: "executed",
            unit: a,
            submitted: Some(e),
            executed: Some(e),
            linked: Some(e + Duration::days(days)),
            ..Default::default()
        });
    }
    add(lock(b, "eservice", "2026-09-15 10:00", 100));
    // October: five API locks in A (24, 24, 48, 48, 72 h; the first at 00:30 on 1 October,
    // Swedish time, 22:30 UTC the day before), and the unlock of A3 (12 h).
    for (i, lead) in [24, 24, 48, 48, 72].into_iter().enumerate() {
        let when = if i == 0 {
            "2026-09-30 22:30".to_string()
        } else {
            format!("2026-10-20 12:{i:02}")
        };
        add(lock(a, "api", &when, lead));
    }
    let mut unlock = lock(a, "eservice", "2026-10-10 10:00", 12);
    unlock.kind = "unlock";
    unlock.related = Some(a3);
    add(unlock);
    // Reviews: A2 kept on time in August; A3 decided (unlock) on time in October; B1 late in
    // September; B3 on time in November.
    review(
        app,
        a2,
        clinician_a.id,
        "2026-08-12",
        "2026-08-10",
        Some("2026-11-10"),
    );
    review(app, a3, clinician_a.id, "2026-10-15", "2026-10-01", None);
    review(
        app,
        b1,
        clinician_a.id,
        "2026-09-05",
        "2026-09-10",
        Some("2026-12-10"),
    );
    review(
        app,
        b3,
        clinician_a.id,
        "2026-11-03",
        "2026-11-02",
        Some("2027-02-02"),
    );

    // November, through the services: a lock in A returned once for completion, sent again on
    // 3 November 08:00 and executed at 14:00 (6 h).
    let pnr = personnummer(900);
    citizens.push(pnr.clone());
    let display = format!("{}-{}", &pnr[..8], &pnr[8..]);
    let wf = svc_cases::Workflow::from_config(&app.state.config);
    let mut input = flow::lock_input(a, clinician_a.id, &display);
    for d in [
        &mut input.journal_note_date,
        &mut input.chief_informed_date,
        &mut input.patient_informed_date,
    ] {
        *d = "2026-10-30".into();
    }
    let v = |id| {
        db::cases::get(&mut app.conn(), id)
            .unwrap()
            .unwrap()
            .version
    };
    set_clock(app, "2026-11-02 08:00");
    let (d, h) = (
        || flow::ctx(app, clinician_a.id),
        || flow::ctx(app, handler.id),
    );
    let mut c = app.conn();
    let id = svc_cases::create_draft(&mut c, &d(), &input, &wf).unwrap();
    svc_cases::sign(&mut c, &d(), id, v(id), &wf).unwrap();
    svc_cases::submit(&mut c, &d(), id, v(id)).unwrap();
    svc_cases::receive(&mut c, &h(), id, v(id)).unwrap();
    set_clock(app, "2026-11-02 10:00");
    svc_cases::return_case(&mut c, &h(), id, v(id), "Saknar signatur", &wf).unwrap();
    set_clock(app, "2026-11-03 08:00");
    svc_cases::submit(&mut c, &d(), id, v(id)).unwrap();
    svc_cases::receive(&mut c, &h(), id, v(id)).unwrap();
    for item in ["register_match", "earlier_cases", "category"] {
        let note = if item == "register_match" {
            "Kontrollerad"
        } else {
            ""
        };
        svc_cases::check_item(
            &mut c,
            &h(),
            id,
            v(id),
            item,
            note,
            app.state.register.as_ref(),
        )
        .unwrap();
    }
    svc_cases::verify(&mut c, &h(), id, v(id)).unwrap();
    set_clock(app, "2026-11-03 14:00");
    let exec = svc_cases::ExecuteInput {
        helpdesk_ref: "RÄLS-1".into(),
        confirmed: true,
        version: v(id),
    };
    svc_cases::execute(&mut c, &h(), id, &exec, &wf).unwrap();
    // The return was counted in its own transaction.
    assert_eq!(db::stats::returned_count(&mut c, id).unwrap(), 1);
    // A review through the service records the date it answered and the day it was decided.
    set_clock(app, "2026-11-23 12:00");
    let due = db::cases::get(&mut c, id).unwrap().unwrap().review_due;
    assert_eq!(due, Some(day("2027-02-03")));
    let r = svc_cases::ReviewInput {
        outcome: "keep".into(),
        patient_informed_date: "2026-11-20".into(),
        version: Some(v(id)),
        ..Default::default()
    };
    svc_cases::review(&mut c, &d(), id, &r).unwrap();
    let stored: (Option<NaiveDate>, Option<NaiveDate>) = reviews::table
        .filter(reviews::case_id.eq(id))
        .select((reviews::due_on, reviews::decided_on))
        .first(&mut c as &mut DbConnection)
        .unwrap();
    assert_eq!(stored, (Some(day("2027-02-03")), Some(day("2026-11-23"))));
    drop(c);
    Region {
        a,
        b,
        handler,
        manager_a,
        chief_a,
        clinician_a,
        citizens,
    }
}

const PERIOD: &str = "fran=2026-08&till=2026-11";

/// A CSV as rows of fields (every field is quoted; none holds `;` or a quote here).
fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.split(';')
                .map(|f| f.trim_matches('"').to_string())
                .collect()
        })
        .collect()
}

async fn csv(b: &mut Browser, table: &str, query: &str) -> Vec<Vec<String>> {
    let r = b
        .get(&format!("/statistik/csv?tabell={table}&{query}"))
        .await;
    assert_eq!(r.status, 200, "{table}: {}", r.body);
    assert!(r.body.starts_with('\u{feff}'), "{table}: UTF-8 with a BOM");
    assert!(
        r.header("content-type")
            .unwrap_or("")
            .starts_with("text/csv"),
        "{table}"
    );
    let disposition = r.header("content-disposition").unwrap_or("").to_string();
    assert!(
        disposition.contains(&format!("statistik-{table}-2026-08-2026-11")),
        "{disposition}"
    );
    assert!(r.body.contains("\";\""), "`;` between fields");
    rows(&r.body)
}

fn strs(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect()
}

/// The rows after the header.
fn body(rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    rows.into_iter().skip(1).collect()
}

async fn figures_for_a_seeded_region(app: TestApp) {
    let r = region(&app).await;
    let mut b = app.browser();
    app.login(&mut b, &r.handler).await;
    // The whole region: nothing hidden.
    let executed = csv(&mut b, "verkstallda", PERIOD).await;
    assert_eq!(
        executed[0][0..3],
        [
            "Månad",
            "Låsning: e-tjänst (Kontospärr)",
            "Låsning: pappersblankett"
        ]
    );
    assert_eq!(
        body(executed),
        strs(&[
            &["2026-08", "1", "0", "0", "0", "0", "0", "0", "1", "0"],
            &["2026-09", "7", "2", "3", "0", "0", "0", "0", "12", "0"],
            &["2026-10", "0", "0", "0", "5", "1", "0", "0", "5", "1"],
            &["2026-11", "1", "0", "0", "0", "0", "0", "0", "1", "0"],
        ])
    );
    // Lead times in hours: September 1, 2, 3, 4, 5, 6, 10, 20, 100 → median 5, p90 (9th of 9)
    // 100; October 12, 24, 24, 48, 48, 72 → median 36, p90 (6th of 6) 72.
    assert_eq!(
        body(csv(&mut b, "ledtid", PERIOD).await),
        strs(&[
            &["2026-08", "1", "2,0", "2,0"],
            &["2026-09", "9", "5,0", "100,0"],
            &["2026-10", "6", "36,0", "72,0"],
            &["2026-11", "1", "6,0", "6,0"],
        ])
    );
    // Forms linked in October after 4, 6 and 9 days.
    assert_eq!(
        body(csv(&mut b, "blankett", PERIOD).await),
        strs(&[
            &["2026-08", "0", "–", "–"],
            &["2026-09", "0", "–", "–"],
            &["2026-10", "3", "6,0", "9,0"],
            &["2026-11", "0", "–", "–"],
        ])
    );
    assert_eq!(
        body(csv(&mut b, "returnerade", PERIOD).await),
        strs(&[
            &["2026-08", "1", "0", "0,0"],
            &["2026-09", "9", "2", "22,2"],
            &["2026-10", "6", "0", "0,0"],
            &["2026-11", "1", "1", "100,0"],
        ])
    );
    // In force when the period began: A1, A2, A3, B1; then + B3; + 12; + 5 − A3; + the November lock.
    assert_eq!(
        body(csv(&mut b, "i-kraft", PERIOD).await),
        strs(&[
            &["2026-08", "5"],
            &["2026-09", "17"],
            &["2026-10", "21"],
            &["2026-11", "22"]
        ])
    );
    assert_eq!(
        body(csv(&mut b, "omprovningar", PERIOD).await),
        strs(&[
            &["2026-08", "1", "0", "1"],
            &["2026-09", "0", "1", "0"],
            &["2026-10", "1", "0", "0"],
            &["2026-11", "1", "0", "1"],
        ])
    );
    // The service's own figures, to the second: the September median of the region is 5 h.
    let ctx = flow::ctx(&app, r.handler.id);
    let f = kontosparr::service::stats::filter(
        Some("2026-08"),
        Some("2026-11"),
        None,
        day("2026-11-23"),
    )
    .unwrap();
    let s = kontosparr::service::stats::statistics(&mut app.conn(), &ctx, &f).unwrap();
    assert!(!s.suppressed);
    assert_eq!(s.months[1].lead.median, Some(5.0 * 3600.0));
    assert_eq!(s.months[1].lead.p90, Some(100.0 * 3600.0));
    assert_eq!(s.months[2].form_link.median, Some(6.0 * 86400.0));

    // One unit, by the handler: the same figures, small ones hidden.
    let a = format!("{PERIOD}&enhet={}", r.a);
    assert_eq!(
        body(csv(&mut b, "ledtid", &a).await),
        strs(&[
            &["2026-08", "0", "–", "–"],
            // 8 cases (1, 2, 3, 4, 5, 6, 10, 20 h) but two paper ones are "< 5": the total is
            // not exact; the median (4.5) and p90 (20) are over at least 5 cases.
            &["2026-09", "≥ 5", "4,5", "20,0"],
            &["2026-10", "≥ 5", "36,0", "72,0"],
            &["2026-11", "< 5", "–", "–"],
        ])
    );

    // The page: every section with a chart, a summary, a table and its CSV link; no personnummer.
    let page = b.get(&format!("/statistik?{PERIOD}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for t in [
        "verkstallda",
        "ledtid",
        "blankett",
        "returnerade",
        "i-kraft",
        "omprovningar",
    ] {
        assert!(page.body.contains(&format!("id=\"{t}\"")), "{t}");
        assert!(
            page.body
                .contains(&format!("aria-labelledby=\"{t}-chart-title\"")),
            "{t}"
        );
        assert!(
            page.body
                .contains(&format!("<figcaption id=\"{t}-summary\">")),
            "{t}"
        );
        assert!(
            page.body.contains(&format!(
                "/statistik/csv?tabell={t}&amp;{}",
                PERIOD.replace('&', "&amp;")
            )),
            "{t}"
        );
    }
    assert!(page.body.contains("role=\"img\""));
    assert!(!page.body.contains("<script"), "no JavaScript");
    assert!(!page.body.contains("style=\""), "no inline style");
    assert!(
        page.body
            .contains("<th scope=\"row\">2026-09</th><td>9</td><td>5,0</td><td>100,0</td>")
    );
    assert!(
        page.body
            .contains("Ledtid från inskickat till verkställt, 2026-08 – 2026-11.")
    );
    assert!(page.body.contains(
        "Median (timmar): senast 6,0 (2026-11). Högst 36,0 (2026-10). \
         90:e percentilen (timmar): senast 6,0 (2026-11). Högst 100,0 (2026-09)."
    ));
    let mut bodies = vec![page.body];
    for t in ["verkstallda", "ledtid", "omprovningar"] {
        for q in [PERIOD.to_string(), a.clone()] {
            bodies.push(b.get(&format!("/statistik/csv?tabell={t}&{q}")).await.body);
        }
    }
    bodies.push(b.get(&format!("/statistik?{a}")).await.body);
    for body in &bodies {
        for p in &r.citizens {
            let display = format!("{}-{}", &p[..8], &p[8..]);
            assert!(
                !body.contains(p.as_str()) && !body.contains(&display),
                "{p} shown"
            );
        }
        assert!(
            !body.contains("Statistik Testsson"),
            "a citizen's name shown"
        );
    }
    // Each download is logged (table and filter, no citizen); viewing the page is not.
    let mut c = app.conn();
    let exports: Vec<(Option<String>, Option<String>, Option<String>)> = access_log::table
        .filter(access_log::action.eq("stats_export"))
        .select((
            access_log::object,
            access_log::personnummer,
            access_log::role,
        ))
        .load(&mut c as &mut DbConnection)
        .unwrap();
    assert_eq!(exports.len(), 13);
    assert!(
        exports
            .iter()
            .all(|(_, p, r)| p.is_none() && r.as_deref() == Some("handler"))
    );
    assert!(
        exports
            .iter()
            .any(|(o, _, _)| o.as_deref() == Some(&*format!("statistik/csv?tabell=ledtid&{a}")))
    );
    let views: i64 = access_log::table
        .filter(access_log::action.like("stats%"))
        .filter(access_log::action.ne("stats_export"))
        .count()
        .get_result(&mut c as &mut DbConnection)
        .unwrap();
    assert_eq!(views, 0);
    let _ = r.b;
}

async fn small_counts_are_hidden_in_a_units_view(app: TestApp) {
    let r = region(&app).await;
    // The manager of A sees A (their only unit) without choosing it: suppressed.
    let mut m = app.browser();
    app.login(&mut m, &r.manager_a).await;
    let expected_executed = strs(&[
        &["2026-08", "0", "0", "0", "0", "0", "0", "0", "0", "0"],
        // 6 e-service, 2 paper, 3 emergency: the total of 11 would give the hidden ones away.
        &["2026-09", "6", "< 5", "< 5", "0", "0", "0", "0", "≥ 5", "0"],
        &["2026-10", "0", "0", "0", "5", "< 5", "0", "0", "5", "< 5"],
        &["2026-11", "< 5", "0", "0", "0", "0", "0", "0", "< 5", "0"],
    ]);
    assert_eq!(
        body(csv(&mut m, "verkstallda", PERIOD).await),
        expected_executed
    );
    assert_eq!(
        body(csv(&mut m, "returnerade", PERIOD).await),
        strs(&[
            &["2026-08", "0", "0", "–"],
            // 2 returned of a total that is not exact: neither the count nor a share.
            &["2026-09", "≥ 5", "< 5", "–"],
            &["2026-10", "≥ 5", "0", "–"],
            &["2026-11", "< 5", "< 5", "–"],
        ])
    );
    assert_eq!(
        body(csv(&mut m, "blankett", PERIOD).await),
        strs(&[
            &["2026-08", "0", "–", "–"],
            &["2026-09", "0", "–", "–"],
            // Three forms: "< 5", and no median or percentile over them.
            &["2026-10", "< 5", "–", "–"],
            &["2026-11", "0", "–", "–"],
        ])
    );
    assert_eq!(
        body(csv(&mut m, "i-kraft", PERIOD).await),
        strs(&[
            &["2026-08", "< 5"],
            &["2026-09", "14"],
            &["2026-10", "18"],
            &["2026-11", "19"]
        ])
    );
    assert_eq!(
        body(csv(&mut m, "omprovningar", PERIOD).await),
        strs(&[
            &["2026-08", "< 5", "0", "< 5"],
            &["2026-09", "0", "0", "0"],
            &["2026-10", "< 5", "0", "0"],
            &["2026-11", "0", "0", "< 5"],
        ])
    );
    // The page says so, and shows "< 5" in its tables and dashed bars in its charts.
    let page = m.get(&format!("/statistik?{PERIOD}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("visas som ”&lt; 5”"),
        "the page explains the rule"
    );
    assert!(page.body.contains("<td>&lt; 5</td>"));
    assert!(page.body.contains("<td>≥ 5</td>"));
    assert!(page.body.contains("stroke-dasharray"));
    assert!(page.body.contains("Enheter: Enhet STA (STA)."));
    assert!(page.body.contains(
        "Låsningar, alla kanaler: senast &lt; 5 (2026-11). Högst 5 (2026-10). \
         2 månader visas inte exakt (streckade staplar)."
    ));
    // The chefläkare of A sees the same; the handler choosing A too.
    let mut ch = app.browser();
    app.login(&mut ch, &r.chief_a).await;
    assert_eq!(
        body(csv(&mut ch, "verkstallda", PERIOD).await),
        expected_executed
    );
    let mut h = app.browser();
    app.login(&mut h, &r.handler).await;
    let q = format!("{PERIOD}&enhet={}", r.a);
    let r2 = h
        .get(&format!("/statistik/csv?tabell=verkstallda&{q}"))
        .await;
    assert_eq!(body(rows(&r2.body)), expected_executed);
    assert!(
        r2.header("content-disposition")
            .unwrap_or("")
            .contains("-STA.csv"),
        "the file names the unit"
    );
    // Not in the region's view.
    let region = body(csv(&mut h, "verkstallda", PERIOD).await);
    assert!(
        !region
            .iter()
            .flatten()
            .any(|c| c.contains('<') || c.contains('≥'))
    );
}

async fn who_sees_the_statistics(app: TestApp) {
    let r = region(&app).await;
    // Each detail as an auditor reading Swedish sees it (stored, it is a message).
    let denied = |app: &TestApp| -> Vec<(Option<String>, Option<String>)> {
        access_log::table
            .filter(access_log::action.eq("access_denied"))
            .select((access_log::user_hsa_id, access_log::detail))
            .load::<(Option<String>, Option<String>)>(&mut app.conn() as &mut DbConnection)
            .unwrap()
            .into_iter()
            .map(|(u, d)| {
                (
                    u,
                    d.map(|d| {
                        kontosparr::messages::log::log_detail(kontosparr::i18n::Lang::Sv, &d)
                    }),
                )
            })
            .collect()
    };
    // A clinician: refused, and the attempt logged.
    let mut c = app.browser();
    app.login(&mut c, &r.clinician_a).await;
    for path in [
        format!("/statistik?{PERIOD}"),
        format!("/statistik/csv?tabell=ledtid&{PERIOD}"),
        "/statistik?fran=x".to_string(),
    ] {
        let resp = c.get(&path).await;
        assert_eq!(resp.status, 403, "{path}");
    }
    let d = denied(&app);
    assert_eq!(d.len(), 3, "{d:?}");
    assert!(d.iter().all(
        |(u, det)| u.as_deref() == Some(r.clinician_a.hsa_id.as_str())
            && det.as_deref() == Some("statistics; role (rollen tillåter det inte)")
    ));
    // The manager of A asking for B: refused (other unit), logged; their own: fine.
    let mut m = app.browser();
    app.login(&mut m, &r.manager_a).await;
    let resp = m.get(&format!("/statistik?{PERIOD}&enhet={}", r.b)).await;
    assert_eq!(resp.status, 403);
    let resp = m
        .get(&format!(
            "/statistik/csv?tabell=i-kraft&{PERIOD}&enhet={}",
            r.b
        ))
        .await;
    assert_eq!(resp.status, 403);
    let d = denied(&app);
    let other = format!(
        "statistics unit:{}; other_unit (gäller en annan enhet)",
        r.b
    );
    assert_eq!(
        d.iter()
            .filter(|(_, det)| det.as_deref() == Some(&*other))
            .count(),
        2,
        "{d:?}"
    );
    let own = m.get(&format!("/statistik?{PERIOD}&enhet={}", r.a)).await;
    assert_eq!(own.status, 200);
    // The manager's unit list holds their own unit only; the handler's every unit.
    assert!(
        own.body
            .contains(&format!("<option value=\"{}\" selected>", r.a))
    );
    assert!(!own.body.contains(&format!("<option value=\"{}\"", r.b)));
    let mut h = app.browser();
    app.login(&mut h, &r.handler).await;
    let all = h.get("/statistik").await;
    assert_eq!(all.status, 200);
    assert!(all.body.contains(&format!("<option value=\"{}\"", r.b)));
    // The menu links the page for those who may see it.
    assert!(all.body.contains("href=\"/statistik\""));
    assert!(!c.get("/").await.body.contains("href=\"/statistik\""));
}

async fn filters_are_checked(app: TestApp) {
    let r = region(&app).await;
    let mut h = app.browser();
    app.login(&mut h, &r.handler).await;
    for (q, field) in [
        ("fran=2026-13&till=2026-11", "fran"),
        ("fran=2026-10&till=2026-08", "fran"),
        ("fran=2016-01&till=2026-11", "fran"),
        ("fran=2026-01&till=2027-01", "till"),
        ("enhet=abc", "enhet"),
        ("enhet=999999", "enhet"),
    ] {
        let resp = h.get(&format!("/statistik?{q}")).await;
        assert_eq!(resp.status, 422, "{q}: {}", resp.body);
        assert!(resp.body.contains("error-summary"), "{q}");
        assert!(resp.body.contains(&format!("href=\"#{field}\"")), "{q}");
        let csv = h.get(&format!("/statistik/csv?tabell=ledtid&{q}")).await;
        assert!(
            csv.status == 400 || csv.status == 422,
            "{q}: {}",
            csv.status
        );
    }
    // Ten years is the most.
    let ten = h.get("/statistik?fran=2016-12&till=2026-11").await;
    assert_eq!(ten.status, 200);
    assert_eq!(ten.body.matches("<th scope=\"row\">").count(), 6 * 120);
    assert_eq!(h.get("/statistik/csv?tabell=nej").await.status, 400);
}

/// Cases and reviews recorded before the statistics' migration: the returns are counted from the
/// timeline, and each review gets the Swedish date it was decided on and the due date it answered
/// (the previous review's next date, or three calendar months after the execution's Swedish date,
/// clamped), across summer time on both backends.
async fn migration_fills_in_older_cases_and_reviews(app: TestApp) {
    use diesel::connection::SimpleConnection;
    use diesel_migrations::MigrationHarness;
    let unit = app.unit("STM");
    let user = app.user(&[Role::Clinician], &[unit]);
    let mut conn = app.conn();
    let c: &mut DbConnection = &mut conn;
    let mut reverted = 0;
    loop {
        let last = match &mut *c {
            DbConnection::Sqlite(c) => c.revert_last_migration(db::SQLITE_MIGRATIONS),
            DbConnection::Pg(c) => c.revert_last_migration(db::POSTGRES_MIGRATIONS),
        }
        .unwrap();
        reverted += 1;
        if last.to_string().replace('-', "") == "20261220000301" {
            break;
        }
    }
    let case = |pnr: &str, executed: &str| {
        format!(
            "INSERT INTO cases (kind, status, channel, unit_id, citizen_pnr, created_at, updated_at, executed_at) \
             VALUES ('lock', 'executed', 'eservice', {unit}, '{pnr}', '{executed}', '{executed}', '{executed}');"
        )
    };
    // Executed at 00:30 on 31 January, Swedish time; at 01:30 on 29 March (before the clocks go
    // forward at 01:00 UTC).
    c.batch_execute(&case("194001011232", "2026-01-30 23:30:00"))
        .unwrap();
    c.batch_execute(&case("194102021242", "2026-03-29 00:30:00"))
        .unwrap();
    let ids: Vec<i64> = cases::table
        .filter(cases::unit_id.eq(unit))
        .order(cases::id.asc())
        .select(cases::id)
        .load(c)
        .unwrap();
    let (c1, c2) = (ids[0], ids[1]);
    let u = user.id;
    c.batch_execute(&format!(
        "INSERT INTO case_events (case_id, at, actor_name, action) VALUES \
         ({c1}, '2026-01-20 10:00:00', 'H', 'Returnerade för komplettering'), \
         ({c1}, '2026-01-21 10:00:00', 'H', 'Skickade in ärendet på nytt'), \
         ({c1}, '2026-01-22 10:00:00', 'H', 'Returnerade för komplettering'), \
         ({c2}, '2026-03-20 10:00:00', 'H', 'Tog emot ärendet'); \
         INSERT INTO reviews (case_id, decided_at, user_id, outcome, next_review) VALUES \
         ({c1}, '2026-04-29 22:30:00', {u}, 'keep', '2026-07-30'), \
         ({c1}, '2026-07-31 10:00:00', {u}, 'unlock', NULL), \
         ({c2}, '2026-10-24 22:30:00', {u}, 'keep', '2027-01-25'), \
         ({c2}, '2026-10-25 23:30:00', {u}, 'keep', '2027-01-26');"
    ))
    .unwrap();
    assert_eq!(db::migrate(c).unwrap(), reverted);
    let returned: Vec<i32> = cases::table
        .filter(cases::id.eq_any([c1, c2]))
        .order(cases::id.asc())
        .select(cases::returned_count)
        .load(c)
        .unwrap();
    assert_eq!(returned, vec![2, 0]);
    let got: Vec<(i64, Option<NaiveDate>, Option<NaiveDate>)> = reviews::table
        .filter(reviews::case_id.eq_any([c1, c2]))
        .order(reviews::id.asc())
        .select((reviews::case_id, reviews::due_on, reviews::decided_on))
        .load(c)
        .unwrap();
    let d = |s| Some(day(s));
    assert_eq!(
        got,
        vec![
            // 00:30 on 30 April (summer time); due 30 April (31 January + 3 months, clamped).
            (c1, d("2026-04-30"), d("2026-04-30")),
            (c1, d("2026-07-30"), d("2026-07-31")),
            // 00:30 on 25 October (still summer time); due 29 June.
            (c2, d("2026-06-29"), d("2026-10-25")),
            // 00:30 on 26 October (winter time again).
            (c2, d("2027-01-25"), d("2026-10-26")),
        ]
    );
    // The same first due dates as the application's own rule.
    for (executed, due) in [
        ("2026-01-30 23:30", "2026-04-30"),
        ("2026-03-29 00:30", "2026-06-29"),
    ] {
        let t = Utc.from_utc_datetime(&at(executed));
        assert_eq!(kontosparr::domain::review::review_due(t), day(due));
    }
}
