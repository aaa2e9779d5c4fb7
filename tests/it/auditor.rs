//! The auditor's screens: the log search (by citizen, keyset pages), its CSV export, a citizen's
//! extract, spot checks with a drawn sample, the entries to look at, and who may use them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Backend, Browser, TestApp, TestUser, flow};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kontosparr::clock::Clock;
use kontosparr::db::{self, DbConnection, audit, schema};
use kontosparr::domain::Role;
use kontosparr::service::audit::review::{self as rv, Rule};
use kontosparr::service::audit::{self as svc, SearchInput, checks};

dual!(
    done_when_the_handlers_list_view_is_found_exported_and_checked,
    extract_page_and_csv,
    details_are_read_in_the_auditors_language,
    a_sample_draws_n_entries_of_the_period,
    each_review_rule_finds_its_entry_and_not_a_harmless_one,
    only_auditors_reach_the_log_and_refusals_are_logged,
    keyset_pages_have_no_duplicates_or_gaps,
    a_search_counts_up_to_the_cap_and_says_more_than,
    a_citizens_entries_are_found_on_both_sides_of_the_index_head,
    a_cases_entries_are_found_on_both_sides_of_the_index_head,
    verify_names_a_citizen_named_by_an_entry_that_does_not_exist,
    bad_input_comes_back_with_the_fields,
    staff_facts_are_each_users_name_roles_and_units,
);

/// A valid personnummer (Luhn over the ten digits) as `YYYYMMDD-NNNC`.
fn pnr(date: &str, serial: u32) -> String {
    let body = format!("{}{serial:03}", &date[2..]);
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, ch)| {
            let d = ch.to_digit(10).unwrap() * if i % 2 == 0 { 2 } else { 1 };
            d / 10 + d % 10
        })
        .sum();
    format!("{date}-{serial:03}{}", (10 - sum % 10) % 10)
}

fn digits(display: &str) -> String {
    display.replace('-', "")
}

struct Region {
    a: i64,
    b: i64,
    clinician: TestUser,
    handler: TestUser,
    auditor: TestUser,
    admin: TestUser,
    /// Executed locks: two in unit A, one in unit B.
    citizens: Vec<String>,
}

fn region(app: &TestApp) -> Region {
    let a = app.unit("AUA");
    let b = app.unit("AUB");
    let clinician = app.user_with(&[Role::Clinician], &[a], true);
    let doctor_b = app.user_with(&[Role::Clinician], &[b], true);
    let handler = app.user(&[Role::Handler], &[]);
    let auditor = app.user(&[Role::Auditor], &[]);
    let admin = app.user(&[Role::Admin], &[]);
    let citizens = vec![
        pnr("19700101", 11),
        pnr("19710202", 22),
        pnr("19720303", 33),
    ];
    for (i, c) in citizens.iter().enumerate() {
        let (unit, d) = if i < 2 {
            (a, &clinician)
        } else {
            (b, &doctor_b)
        };
        flow::executed_lock(app, unit, d.id, d.id, handler.id, c);
    }
    Region {
        a,
        b,
        clinician,
        handler,
        auditor,
        admin,
        citizens,
    }
}

fn auditor_ctx(app: &TestApp, r: &Region) -> kontosparr::service::Ctx {
    flow::ctx(app, r.auditor.id)
}

/// The entries with this action, newest first: (id, personnummer, subjects).
fn logged(app: &TestApp, action: &str) -> Vec<(i64, Option<String>, Vec<String>)> {
    use schema::access_log as l;
    let mut conn = app.conn();
    let rows: Vec<(i64, Option<String>)> = l::table
        .filter(l::action.eq(action))
        .order(l::id.desc())
        .select((l::id, l::personnummer))
        .load(&mut conn as &mut DbConnection)
        .unwrap();
    rows.into_iter()
        .map(|(id, p)| (id, p, audit::subjects(&mut conn, id).unwrap()))
        .collect()
}

/// The first personnummer in a page's table body.
fn first_pnr(html: &str) -> String {
    let body = &html[html.find("<tbody>").unwrap()..];
    let bytes = body.as_bytes();
    for i in 0..bytes.len().saturating_sub(13) {
        let w = &bytes[i..i + 13];
        if w.iter().enumerate().all(|(j, c)| {
            if j == 8 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        }) {
            return String::from_utf8(w.to_vec()).unwrap();
        }
    }
    panic!("no personnummer in the list");
}

async fn post_search(b: &mut Browser, fields: &[(&str, &str)]) -> crate::common::Resp {
    let form = b.get("/logg").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let token = form.csrf();
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    b.post("/logg", &all).await
}

async fn done_when_the_handlers_list_view_is_found_exported_and_checked(app: TestApp) {
    let r = region(&app);
    // The handler opens the case list.
    let mut hb = app.browser();
    app.login(&mut hb, &r.handler).await;
    let list = hb.get("/arenden").await;
    assert_eq!(list.status, 200);
    let first = first_pnr(&list.body);
    let (view_id, view_at): (i64, NaiveDateTime) = {
        use schema::access_log as l;
        l::table
            .filter(l::action.eq("case_list_view"))
            .filter(l::user_hsa_id.eq(&r.handler.hsa_id))
            .select((l::id, l::at))
            .first(&mut app.conn() as &mut DbConnection)
            .unwrap()
    };
    // The auditor searches that personnummer: the list view is there, with time, unit and role.
    let mut ab = app.browser();
    app.login(&mut ab, &r.auditor).await;
    let res = post_search(&mut ab, &[("pnr", &first)]).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let time = svc::local(&view_at);
    let row_start = res.body.find(&time).expect("the list view's time is shown");
    let row = &res.body[row_start..row_start + res.body[row_start..].find("</tr>").unwrap()];
    for want in [
        r.handler.hsa_id.as_str(),
        r.handler.name.as_str(),
        "case_list_view",
        Role::Handler.label(),
        "alla enheter",
        first.as_str(),
    ] {
        assert!(row.contains(want), "{want} missing from the row: {row}");
    }
    // The search is logged, naming the citizen searched and those shown.
    let searches = logged(&app, "audit_search");
    let (_, p, named) = &searches[0];
    assert_eq!(p.as_deref(), Some(digits(&first).as_str()));
    assert!(named.contains(&digits(&first)), "{named:?}");
    // The result exports as CSV (BOM, `;`, CRLF), and the export is logged.
    let token = res.csrf();
    let csv = ab
        .post(
            "/logg/export",
            &[
                ("csrf_token", token.as_str()),
                ("pnr", &first),
                ("user", ""),
                ("from", ""),
            ],
        )
        .await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(!csv.header("content-disposition").unwrap().contains(&first));
    assert!(csv.body.starts_with('\u{feff}'), "a BOM first");
    assert!(
        csv.body.contains("\"Post\";\"Tid\";\"HSA-id\""),
        "{}",
        csv.body
    );
    let line = csv
        .body
        .split("\r\n")
        .find(|l| l.starts_with(&format!("\"{view_id}\";")))
        .expect("the list view is a row of the file");
    assert!(
        line.contains(&format!("\"{}\"", r.handler.hsa_id)),
        "{line}"
    );
    assert!(line.contains("\"case_list_view\""), "{line}");
    assert!(line.contains(&first), "{line}");
    let exports = logged(&app, "audit_export");
    assert_eq!(exports[0].1.as_deref(), Some(digits(&first).as_str()));
    // A spot check: draw a sample of today, record it, find it again.
    let day = app.clock.now().date_naive().to_string();
    let form = ab.get("/logg/kontroller/ny").await;
    assert_eq!(form.status, 200);
    let token = form.csrf();
    let drawn = ab
        .post(
            "/logg/kontroller/ny",
            &[
                ("csrf_token", token.as_str()),
                ("from", &day),
                ("to", &day),
                ("sample_size", "5"),
                ("step", "draw"),
            ],
        )
        .await;
    assert_eq!(drawn.status, 200, "{}", drawn.body);
    let ids: Vec<String> = drawn
        .body
        .match_indices("name=\"sample\" value=\"")
        .map(|(i, m)| {
            let s = &drawn.body[i + m.len()..];
            s[..s.find('"').unwrap()].to_string()
        })
        .collect();
    assert_eq!(ids.len(), 5, "five entries drawn");
    let mut fields: Vec<(&str, &str)> = vec![
        ("csrf_token", token.as_str()),
        ("from", &day),
        ("to", &day),
        ("sample_size", "5"),
        ("scope", "Handläggarnas läsningar av ärendelistan"),
        ("findings", "Alla läsningar hade stöd i ärenden."),
        ("outcome", "no_remarks"),
        ("follow_up", ""),
        ("step", "save"),
    ];
    fields.extend(ids.iter().map(|i| ("sample", i.as_str())));
    let saved = ab.post("/logg/kontroller/ny", &fields).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let to = saved.location().unwrap().to_string();
    let list = ab.get("/logg/kontroller").await;
    assert!(
        list.body
            .contains("Handläggarnas läsningar av ärendelistan"),
        "{}",
        list.body
    );
    let page = ab.get(&to).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Alla läsningar hade stöd i ärenden."));
    assert!(page.body.contains("5 poster i urvalet"), "{}", page.body);
    let stored: i64 = schema::audit_spot_check_entries::table
        .count()
        .get_result(&mut app.conn() as &mut DbConnection)
        .unwrap();
    assert_eq!(stored, 5);
    assert!(!logged(&app, "audit_spot_check").is_empty());
    assert!(!logged(&app, "audit_spot_check_view").is_empty());
}

async fn extract_page_and_csv(app: TestApp) {
    let r = region(&app);
    let citizen = &r.citizens[0];
    // A log value that a spreadsheet would run as a formula, naming the citizen.
    let mut conn = app.conn();
    let e = audit::NewEntry {
        user_hsa_id: Some("=HYPERLINK(\"http://x\")".into()),
        role: Some("clinician".into()),
        unit_code: Some("+AUA".into()),
        action: "case_view".into(),
        personnummer: Some(digits(citizen)),
        ..Default::default()
    };
    audit::append(&mut conn, db::ts(app.clock.now()), &e).unwrap();
    // A list view that showed this citizen beside another: the extract answers for this one.
    let list = audit::NewEntry {
        user_hsa_id: Some(r.handler.hsa_id.clone()),
        role: Some("handler".into()),
        action: "case_list_view".into(),
        object: Some("arenden?".into()),
        subjects: vec![digits(citizen), digits(&r.citizens[1])],
        ..Default::default()
    };
    db::write_tx(&mut conn, |c| {
        audit::append(c, db::ts(app.clock.now()), &list)
    })
    .unwrap();
    drop(conn);
    let mut ab = app.browser();
    app.login(&mut ab, &r.auditor).await;
    let form = ab.get("/logg/utdrag").await;
    assert_eq!(form.status, 200);
    let token = form.csrf();
    let page = ab
        .post(
            "/logg/utdrag",
            &[("csrf_token", token.as_str()), ("pnr", citizen)],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    // Which unit and role saw or changed the data, when, and in which case.
    for want in [
        "AUA",
        "Enhet AUA",
        Role::Clinician.label(),
        Role::Handler.label(),
        "case_execute",
        "KSD ",
        r.clinician.hsa_id.as_str(),
    ] {
        assert!(page.body.contains(want), "{want} missing");
    }
    let x = logged(&app, "audit_extract");
    assert_eq!(x[0].1.as_deref(), Some(digits(citizen).as_str()));
    // The list entry is in the extract, naming this citizen only: the other one on that list is
    // neither shown nor logged as shown.
    assert!(page.body.contains("case_list_view"), "{}", page.body);
    assert!(
        !page.body.contains(&r.citizens[1]) && !page.body.contains(&digits(&r.citizens[1])),
        "another citizen of a list entry is in the extract: {}",
        page.body
    );
    assert_eq!(x[0].2, vec![digits(citizen)]);
    let csv = ab
        .post(
            "/logg/utdrag/csv",
            &[("csrf_token", token.as_str()), ("pnr", citizen)],
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with('\u{feff}'));
    let mut lines = csv.body.split("\r\n");
    assert_eq!(
        lines.next().unwrap().trim_start_matches('\u{feff}'),
        "\"Tid\";\"Enhet\";\"Enhetens namn\";\"Roll\";\"Användare\";\"HSA-id\";\"Händelse\";\"Ärende\""
    );
    assert!(csv.body.ends_with("\r\n"));
    assert!(
        csv.body.contains("\"'=HYPERLINK(\"\"http://x\"\")\""),
        "a formula is defused: {}",
        csv.body
    );
    assert!(csv.body.contains("\"'+AUA\""), "{}", csv.body);
    assert!(csv.body.contains("\"AUA\";\"Enhet AUA\";\"Vårdpersonal\""));
    assert!(!logged(&app, "audit_extract_export").is_empty());
    // Another unit's citizen is not in this citizen's extract.
    assert!(!page.body.contains(&r.citizens[2]));
    let _ = r.b;
}

/// The row of a page's result table that holds `needle`.
fn row_with<'a>(html: &'a str, needle: &str) -> &'a str {
    let at = html
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not on the page"));
    let start = html[..at].rfind("<tr>").unwrap();
    &html[start..at + html[at..].find("</tr>").unwrap()]
}

/// The line of a CSV file for entry `id`.
fn csv_line(csv: &str, id: i64) -> &str {
    csv.split("\r\n")
        .find(|l| l.starts_with(&format!("\"{id}\";")))
        .unwrap_or_else(|| panic!("entry {id} not in the file: {csv}"))
}

/// An entry's detail is stored without words of any language and read in the auditor's: an
/// English auditor's search and CSV export say "3 cases; 3 citizens", a Swedish one's "3 ärenden;
/// 3 invånare". A row written as Swedish text before is shown as it was to both. The chain, digest
/// tail included, still verifies.
async fn details_are_read_in_the_auditors_language(app: TestApp) {
    let r = region(&app);
    let citizen = digits(&r.citizens[0]);
    // The handler's case list: one entry naming every citizen on the page.
    let mut hb = app.browser();
    app.login(&mut hb, &r.handler).await;
    assert_eq!(hb.get("/arenden").await.status, 200);
    let (view_id, stored): (i64, Option<String>) = {
        use schema::access_log as l;
        l::table
            .filter(l::action.eq("case_list_view"))
            .filter(l::user_hsa_id.eq(&r.handler.hsa_id))
            .select((l::id, l::detail))
            .first(&mut app.conn() as &mut DbConnection)
            .unwrap()
    };
    let stored = stored.unwrap();
    assert!(stored.starts_with("msg:"), "{stored}");
    assert!(
        !stored.contains("ärenden"),
        "no Swedish words stored: {stored}"
    );
    assert!(
        stored.contains("; 3 invånare; subjects-sha256="),
        "{stored}"
    );
    // A row from before, its detail Swedish text (with the subjects tail the log always wrote).
    let old_id = {
        let mut conn = app.conn();
        let e = audit::NewEntry {
            user_hsa_id: Some(r.handler.hsa_id.clone()),
            role: Some("handler".into()),
            action: "case_list_view".into(),
            object: Some("arenden".into()),
            detail: Some(kontosparr::i18n::Msg::from("2 ärenden")),
            subjects: vec![citizen.clone()],
            ..Default::default()
        };
        audit::append(&mut conn, db::ts(app.clock.now()), &e).unwrap()
    };
    let old_shown = "2 ärenden; 1 invånare";

    // An auditor who chose English.
    let english = app.user(&[Role::Auditor], &[]);
    let mut eb = app.browser();
    app.login(&mut eb, &english).await;
    let chosen = eb.submit("/konto", "/konto/sprak", &[("lang", "en")]).await;
    assert_eq!(chosen.status, 303, "{}", chosen.body);
    let mut sb = app.browser();
    app.login(&mut sb, &r.auditor).await;
    for (b, new_shown, header) in [
        (&mut eb, "3 cases; 3 citizens", ">Detail</th>"),
        (&mut sb, "3 ärenden; 3 invånare", ">Detalj</th>"),
    ] {
        let res = post_search(b, &[("pnr", &r.citizens[0])]).await;
        assert_eq!(res.status, 200, "{}", res.body);
        assert!(res.body.contains(header), "{}", res.body);
        let new_row = row_with(
            &res.body,
            &format!("<td class=\"audit-detail\">{new_shown}</td>"),
        );
        assert!(new_row.contains("case_list_view"), "{new_row}");
        assert!(
            !new_row.contains("subjects-sha256"),
            "no digest on the page: {new_row}"
        );
        let old_row = row_with(
            &res.body,
            &format!("<td class=\"audit-detail\">{old_shown}</td>"),
        );
        assert!(old_row.contains("case_list_view"), "{old_row}");
        // The CSV file keeps the digest; the words are the reader's.
        let token = res.csrf();
        let csv = b
            .post(
                "/logg/export",
                &[("csrf_token", token.as_str()), ("pnr", &r.citizens[0])],
            )
            .await;
        assert_eq!(csv.status, 200, "{}", csv.body);
        let line = csv_line(&csv.body, view_id);
        assert!(
            line.ends_with(&format!(
                "\"{new_shown}; subjects-sha256={}\"",
                &stored[stored.len() - 64..]
            )),
            "{line}"
        );
        let line = csv_line(&csv.body, old_id);
        assert!(
            line.contains(&format!("\"{old_shown}; subjects-sha256=")),
            "{line}"
        );
    }
    // The English auditor's own entries are stored without words too, and read in Swedish by a
    // Swedish auditor.
    let searches: Vec<(String, Option<String>)> = {
        use schema::access_log as l;
        l::table
            .filter(l::action.eq_any(["audit_search", "audit_export"]))
            .filter(l::user_hsa_id.eq(&english.hsa_id))
            .select((l::action, l::detail))
            .load(&mut app.conn() as &mut DbConnection)
            .unwrap()
    };
    assert_eq!(searches.len(), 2, "{searches:?}");
    for (_, d) in &searches {
        let d = d.as_deref().unwrap();
        assert!(d.starts_with("msg:"), "{d}");
        let sv = kontosparr::messages::log::log_detail(kontosparr::i18n::Lang::Sv, d);
        let en = kontosparr::messages::log::log_detail(kontosparr::i18n::Lang::En, d);
        assert!(
            sv.starts_with("invånare; ") && en.starts_with("citizen; "),
            "{sv} / {en}"
        );
    }
    // The chain, with the messages and the digests in it, verifies.
    let mut conn = app.conn();
    while let audit::Round::Sealed { sealed, .. } = audit::seal_round(&mut conn, 1000).unwrap() {
        if sealed == 0 {
            break;
        }
    }
    let report = audit::verify(&mut conn).unwrap();
    assert_eq!(report.broken, None, "{report:?}");
    assert!(report.rows >= 4, "{report:?}");
}

async fn a_sample_draws_n_entries_of_the_period(app: TestApp) {
    let r = region(&app);
    let ctx = auditor_ctx(&app, &r);
    let day = app.clock.now().date_naive();
    // Entries of another day, outside the period.
    let mut conn = app.conn();
    let old = NaiveDate::from_ymd_opt(2026, 1, 5)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    for _ in 0..5 {
        let e = audit::NewEntry {
            action: "old".into(),
            ..Default::default()
        };
        audit::append(&mut conn, old, &e).unwrap();
    }
    let input = checks::CheckInput {
        from: day.to_string(),
        to: day.to_string(),
        sample_size: "7".into(),
        ..Default::default()
    };
    let rows = checks::draw_sample(&mut conn, &ctx, &input).unwrap();
    assert_eq!(rows.len(), 7);
    let ids: std::collections::BTreeSet<i64> = rows.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), 7, "no entry twice");
    assert!(rows.iter().all(|r| r.at.date() == day && r.action != "old"));
    // The draw by id that a long period takes (forced here with a "small period" of 0), over
    // enough entries that 4n tries always find n distinct ones.
    for _ in 0..60 {
        let e = audit::NewEntry {
            action: "case_view".into(),
            ..Default::default()
        };
        audit::append(&mut conn, app.clock.now().naive_utc(), &e).unwrap();
    }
    let (start, end) = (
        old + chrono::Duration::days(1),
        old + chrono::Duration::days(400),
    );
    let by_id = kontosparr::db::audit_search::sample_in(&mut conn, start, end, 7, 0).unwrap();
    let distinct: std::collections::BTreeSet<i64> = by_id.iter().map(|r| r.id).collect();
    assert_eq!((by_id.len(), distinct.len()), (7, 7), "{by_id:?}");
    assert!(
        by_id
            .iter()
            .all(|r| r.at >= start && r.at < end && r.action != "old")
    );
    assert!(by_id.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let none = checks::CheckInput {
        from: "2020-01-01".into(),
        to: "2020-01-02".into(),
        sample_size: "7".into(),
        ..Default::default()
    };
    assert!(
        checks::draw_sample(&mut conn, &ctx, &none)
            .unwrap()
            .is_empty()
    );
    // The size is bounded.
    for bad in ["0", "201", "x"] {
        let i = checks::CheckInput {
            sample_size: bad.into(),
            ..input.clone()
        };
        assert!(matches!(
            checks::draw_sample(&mut conn, &ctx, &i),
            Err(kontosparr::service::ServiceError::Invalid(_))
        ));
    }
    // A sample saved with a check must be of its period.
    let save = checks::CheckInput {
        scope: "s".into(),
        findings: "f".into(),
        outcome: "remarks".into(),
        sample: vec![ids.iter().next().unwrap().to_string()],
        ..none
    };
    assert!(checks::record_check(&mut conn, &ctx, &save).is_err());
    assert!(!logged(&app, "audit_sample").is_empty());
}

/// Plants one entry by `user` at `at` naming `citizens`.
fn plant(app: &TestApp, user: &TestUser, at: NaiveDateTime, citizens: &[&str]) {
    let e = audit::NewEntry {
        user_hsa_id: Some(user.hsa_id.clone()),
        role: Some("clinician".into()),
        action: "case_list_view".into(),
        subjects: citizens.iter().map(|c| digits(c)).collect(),
        ..Default::default()
    };
    audit::append(&mut app.conn(), at, &e).unwrap();
}

async fn each_review_rule_finds_its_entry_and_not_a_harmless_one(app: TestApp) {
    let r = region(&app);
    let (a, b) = (r.a, r.b);
    let mut conn = app.conn();
    // A protected citizen with a case in unit A.
    let protected = pnr("19800101", 44);
    let mut input = flow::lock_input(a, r.clinician.id, &protected);
    input.citizen_protected = true;
    let d = flow::ctx(&app, r.clinician.id);
    let wf = kontosparr::service::cases::Workflow::from_config(&app.state.config);
    kontosparr::service::cases::create_draft(&mut conn, &d, &input, &wf).unwrap();
    drop(conn);
    let reader = app.user(&[Role::Clinician], &[a]);
    let quick = app.user(&[Role::Clinician], &[a]);
    let slow = app.user(&[Role::Clinician], &[a]);
    let night = app.user(&[Role::Clinician], &[a]);
    // Monday 2026-11-23, Swedish time = UTC + 1.
    let at = |h: u32, m: u32| {
        NaiveDate::from_ymd_opt(2026, 11, 23)
            .unwrap()
            .and_hms_opt(h - 1, m, 0)
            .unwrap()
    };
    let (a0, a1, b0) = (&r.citizens[0], &r.citizens[1], &r.citizens[2]);
    plant(&app, &reader, at(10, 0), &[&protected]); // protected
    plant(&app, &reader, at(10, 1), &[a0]); // harmless: their unit's citizen
    plant(&app, &reader, at(10, 2), &[b0]); // no case in the reader's unit
    plant(&app, &r.handler, at(10, 3), &[b0]); // a handler may
    plant(&app, &night, at(22, 30), &[a0]); // outside office hours
    for (i, c) in [a0, a1, &protected].iter().enumerate() {
        plant(&app, &quick, at(11, i as u32 * 2), &[c]); // three citizens in four minutes
        plant(&app, &slow, at(11 + i as u32, 0), &[c]); // three citizens in two hours
    }
    let _ = b;
    let settings = rv::Settings {
        thresholds: kontosparr::domain::audit_review::Thresholds {
            office_start: 8,
            office_end: 16,
            burst_citizens: 3,
            burst_minutes: 10,
        },
        scan_limit: 10_000,
    };
    let ctx = auditor_ctx(&app, &r);
    let page = rv::review(&mut app.conn(), &ctx, &settings, "2026-11-23", "2026-11-23").unwrap();
    let has = |rule: Rule, user: &TestUser, citizen: Option<&str>| {
        page.findings.iter().any(|f| {
            f.rule == rule
                && f.user_hsa_id == user.hsa_id
                && citizen.is_none_or(|c| f.citizen.as_ref().is_some_and(|x| x.pnr == digits(c)))
        })
    };
    assert!(has(Rule::Protected, &reader, Some(&protected)));
    assert!(!has(Rule::Protected, &reader, Some(a0)));
    assert!(has(Rule::NoCaseInUnit, &reader, Some(b0)));
    assert!(!has(Rule::NoCaseInUnit, &reader, Some(a0)));
    assert!(!has(Rule::NoCaseInUnit, &r.handler, Some(b0)));
    assert!(has(Rule::OffHours, &night, None));
    assert!(!has(Rule::OffHours, &reader, None));
    assert!(has(Rule::Burst, &quick, None));
    assert!(!has(Rule::Burst, &slow, None));
    // Each finding searches the entries behind it.
    let f = page
        .findings
        .iter()
        .find(|f| f.rule == Rule::Protected && f.user_hsa_id == reader.hsa_id)
        .unwrap();
    let behind = svc::search(&mut app.conn(), &ctx, &f.search, None).unwrap();
    assert_eq!(behind.rows.len(), 1, "{:?}", f.search);
    // The page: the findings with their links (the personnummer in a posted form), logged.
    let mut ab = app.browser();
    app.login(&mut ab, &r.auditor).await;
    let html = ab.get("/logg/granska?from=2026-11-23&to=2026-11-23").await;
    assert_eq!(html.status, 200, "{}", html.body);
    assert!(html.body.contains(&protected));
    assert!(
        html.body
            .contains(&format!("name=\"pnr\" value=\"{protected}\""))
    );
    assert!(!html.body.contains(&format!("?pnr={protected}")));
    let reviews = logged(&app, "audit_review");
    assert!(reviews[0].2.contains(&digits(&protected)), "{reviews:?}");
    // The default period is the last seven days.
    let html = ab.get("/logg/granska").await;
    assert_eq!(html.status, 200);
    assert!(html.body.contains("value=\"2026-11-17\""), "{}", html.body);
}

async fn only_auditors_reach_the_log_and_refusals_are_logged(app: TestApp) {
    let r = region(&app);
    for user in [&r.handler, &r.admin, &r.clinician] {
        let mut b = app.browser();
        app.login(&mut b, user).await;
        for path in [
            "/logg",
            "/logg/utdrag",
            "/logg/granska",
            "/logg/kontroller",
            "/logg/kontroller/ny",
        ] {
            let before = logged(&app, "access_denied").len();
            let res = b.get(path).await;
            assert_eq!(res.status, 403, "{} {path}", user.hsa_id);
            assert_eq!(logged(&app, "access_denied").len(), before + 1);
        }
        let token = b.get("/").await.csrf();
        let res = b
            .post(
                "/logg",
                &[("csrf_token", token.as_str()), ("pnr", &r.citizens[0])],
            )
            .await;
        assert_eq!(res.status, 403);
        assert!(!res.body.contains(&r.citizens[0]));
    }
    let detail: Option<String> = {
        use schema::access_log as l;
        l::table
            .filter(l::action.eq("access_denied"))
            .filter(l::user_hsa_id.eq(&r.admin.hsa_id))
            .select(l::detail)
            .first(&mut app.conn() as &mut DbConnection)
            .unwrap()
    };
    assert!(detail.unwrap().contains("read_audit_log"));
    // The nav shows the screens to auditors only.
    let mut b = app.browser();
    app.login(&mut b, &r.auditor).await;
    assert!(b.get("/").await.body.contains("href=\"/logg\""));
    let mut b = app.browser();
    app.login(&mut b, &r.admin).await;
    assert!(!b.get("/").await.body.contains("href=\"/logg\""));
}

async fn keyset_pages_have_no_duplicates_or_gaps(app: TestApp) {
    let r = region(&app);
    let citizen = pnr("19900101", 55);
    let mut planted = vec![];
    {
        let mut conn = app.conn();
        for i in 0..120 {
            let e = audit::NewEntry {
                user_hsa_id: Some("SE2321000131-P000000000999".into()),
                action: "planted".into(),
                personnummer: (i % 2 == 0).then(|| digits(&citizen)),
                ..Default::default()
            };
            planted.push(audit::append(&mut conn, db::ts(app.clock.now()), &e).unwrap());
        }
    }
    planted.reverse();
    let ctx = auditor_ctx(&app, &r);
    for (input, want) in [
        (
            SearchInput {
                action: "planted".into(),
                ..Default::default()
            },
            planted.clone(),
        ),
        (
            SearchInput {
                pnr: citizen.clone(),
                action: "planted".into(),
                ..Default::default()
            },
            planted
                .iter()
                .copied()
                .filter(|i| (i - planted[119]) % 2 == 0)
                .collect(),
        ),
    ] {
        let mut seen = vec![];
        let mut before = None;
        let mut pages = 0;
        loop {
            let page = svc::search(&mut app.conn(), &ctx, &input, before).unwrap();
            assert!(page.rows.len() as i64 <= svc::PAGE);
            seen.extend(page.rows.iter().map(|r| r.id));
            pages += 1;
            match page.next {
                Some(n) => before = Some(n),
                None => break,
            }
        }
        assert!(pages >= 2, "{pages} pages");
        assert_eq!(seen, want, "every entry once, newest first");
    }
    // Over HTTP the cursor travels in the form; the next page starts below it.
    let mut ab = app.browser();
    app.login(&mut ab, &r.auditor).await;
    let first = post_search(&mut ab, &[("action", "planted")]).await;
    let cursor = crate::common::field_value(&first.body, "before").unwrap();
    assert_eq!(cursor, planted[49].to_string());
    let token = first.csrf();
    let second = ab
        .post(
            "/logg",
            &[
                ("csrf_token", token.as_str()),
                ("action", "planted"),
                ("before", &cursor),
            ],
        )
        .await;
    assert_eq!(second.status, 200);
    assert!(second.body.contains("Till första sidan"));
    assert_eq!(
        crate::common::field_value(&second.body, "before").unwrap(),
        planted[99].to_string()
    );
}

async fn bad_input_comes_back_with_the_fields(app: TestApp) {
    let r = region(&app);
    let mut ab = app.browser();
    app.login(&mut ab, &r.auditor).await;
    let res = post_search(
        &mut ab,
        &[
            ("pnr", "19121212-1213"),
            ("user", "Testa"),
            ("from", "igår"),
            ("role", "root"),
        ],
    )
    .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("error-summary"));
    assert!(res.body.contains("value=\"19121212-1213\""));
    assert!(res.body.contains("value=\"igår\""));
    assert!(res.body.contains("ÅÅÅÅ-MM-DD TT:MM"));
    // A name finds the users it is part of.
    let found = post_search(&mut ab, &[("user", &r.handler.name.to_uppercase())]).await;
    assert_eq!(found.status, 200);
    assert!(found.body.contains(&r.handler.hsa_id));
    let form = ab.get("/logg/kontroller/ny").await;
    let token = form.csrf();
    let res = ab
        .post(
            "/logg/kontroller/ny",
            &[
                ("csrf_token", token.as_str()),
                ("from", "2026-11-23"),
                ("to", "2026-11-01"),
                ("sample_size", "5"),
                ("scope", "Omfattningen"),
                ("step", "save"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Omfattningen"));
    assert!(res.body.contains("Välj ett resultat."));
}

/// On PostgreSQL at some size, the citizen search walks the subjects index backwards.
#[actix_web::test]
async fn the_citizen_search_uses_the_subjects_index_on_postgres() {
    let app = TestApp::start(Backend::Postgres).await;
    let mut conn = app.conn();
    diesel::sql_query(
        "INSERT INTO access_log (at, action, user_hsa_id) \
         SELECT now() - (g || ' seconds')::interval, 'bulk', 'SE2321000131-P00000000' || (g % 50) \
         FROM generate_series(1, 60000) g",
    )
    .execute(&mut conn as &mut DbConnection)
    .unwrap();
    diesel::sql_query(
        "INSERT INTO access_log_subjects (entry_id, personnummer) \
         SELECT id, '19' || lpad((id % 5000)::text, 10, '0') FROM access_log",
    )
    .execute(&mut conn as &mut DbConnection)
    .unwrap();
    diesel::sql_query("ANALYZE access_log; ANALYZE access_log_subjects")
        .execute(&mut conn as &mut DbConnection)
        .ok();
    for t in ["access_log", "access_log_subjects"] {
        diesel::sql_query(format!("ANALYZE {t}"))
            .execute(&mut conn as &mut DbConnection)
            .unwrap();
    }
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    let plan: Vec<Line> = diesel::sql_query(
        "EXPLAIN SELECT access_log.id FROM access_log \
         INNER JOIN access_log_subjects ON access_log_subjects.entry_id = access_log.id \
         WHERE access_log_subjects.personnummer = '190000000042' \
         ORDER BY access_log_subjects.entry_id DESC LIMIT 51",
    )
    .load(&mut conn as &mut DbConnection)
    .unwrap();
    let text: Vec<String> = plan.into_iter().map(|l| l.line).collect();
    eprintln!("{}", text.join("\n"));
    assert!(
        text.iter().any(|l| l.contains("access_log_subjects_pnr")),
        "{text:?}"
    );
}

/// SQLite's plan for `sql` (EXPLAIN QUERY PLAN), its steps joined by "; ".
fn plan(conn: &mut DbConnection, sql: &str) -> String {
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }
    diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
        .load::<Line>(conn)
        .unwrap()
        .into_iter()
        .map(|l| l.detail)
        .collect::<Vec<_>>()
        .join("; ")
}

/// On SQLite the citizen search reads the index by citizen and the tail after its head by entry
/// id: neither scans a table (ten years are about fifteen million subject rows).
#[actix_web::test]
async fn the_citizen_search_reads_the_index_and_the_tail_by_key_on_sqlite() {
    let app = TestApp::start(Backend::Sqlite).await;
    let mut conn = app.conn();
    let tail = plan(
        &mut conn,
        "SELECT access_log.id FROM access_log \
         INNER JOIN access_log_subjects ON access_log_subjects.entry_id = access_log.id \
         WHERE access_log_subjects.personnummer = '190000000042' \
         AND access_log_subjects.entry_id > 1000 \
         ORDER BY access_log_subjects.entry_id DESC LIMIT 51",
    );
    assert!(
        tail.contains("SEARCH access_log_subjects") && tail.contains("entry_id>?"),
        "{tail}"
    );
    let indexed = plan(
        &mut conn,
        "SELECT access_log.id FROM access_log \
         INNER JOIN access_log_citizens ON access_log_citizens.entry_id = access_log.id \
         WHERE access_log_citizens.personnummer = '190000000042' \
         AND access_log_citizens.entry_id <= 1000 \
         ORDER BY access_log_citizens.entry_id DESC LIMIT 51",
    );
    assert!(
        indexed.contains("SEARCH access_log_citizens USING PRIMARY KEY (personnummer=?"),
        "{indexed}"
    );
    assert!(!indexed.contains("TEMP B-TREE"), "{indexed}");
}

/// On SQLite the log has no index on `object`: the rounds that build the citizen index build
/// `access_log_cases` up to the same head, and a search by case reads it and the log rows after
/// the head. Searched (in pages, with another criterion too) and counted across that line, each
/// entry about the case is found once, in order, and none about another case; `verify` holds the
/// index to the entries. (PostgreSQL keeps its index on `object`: the same answers.)
async fn a_cases_entries_are_found_on_both_sides_of_the_index_head(app: TestApp) {
    region(&app);
    let citizen = digits(&pnr("19900101", 79));
    let (case, other) = (424_242_i64, 424_243_i64);
    let plant_some = |from: usize| -> Vec<(i64, bool)> {
        let mut conn = app.conn();
        let mut about = vec![];
        for i in from..from + 40 {
            let object = if i % 3 == 2 { other } else { case };
            let e = audit::NewEntry {
                user_hsa_id: Some("SE2321000131-P000000000999".into()),
                action: if i % 4 == 0 { "case_edit" } else { "case_view" }.into(),
                object: Some(format!("case:{object}")),
                personnummer: Some(citizen.clone()),
                ..Default::default()
            };
            let id =
                db::write_tx(&mut conn, |c| audit::append(c, db::ts(app.clock.now()), &e)).unwrap();
            if object == case {
                about.push((id, i % 4 == 0));
            }
        }
        about
    };
    let through = |app: &TestApp| audit::index_head(&mut app.conn()).unwrap();
    db::write_tx(&mut app.conn(), |c| audit::index_citizens(c, None)).unwrap();
    let mut want = plant_some(0);
    db::write_tx(&mut app.conn(), |c| audit::index_citizens(c, Some(20))).unwrap();
    let head = through(&app);
    want.extend(plant_some(40));
    assert!(
        want.iter().any(|(i, _)| *i <= head) && want.iter().any(|(i, _)| *i > head),
        "the case has entries on both sides of the head"
    );
    let check = |app: &TestApp, label: &str| {
        let mut conn = app.conn();
        for edits_only in [false, true] {
            let expect: Vec<i64> = want
                .iter()
                .filter(|(_, edit)| !edits_only || *edit)
                .map(|(id, _)| *id)
                .rev()
                .collect();
            let filter = db::audit_search::Filter {
                case_id: Some(case),
                action: edits_only.then(|| "case_edit".to_string()),
                ..Default::default()
            };
            assert_eq!(
                db::audit_search::count_capped(&mut conn, &filter, 1_000).unwrap(),
                expect.len() as i64,
                "{label}: count, edits only {edits_only}"
            );
            assert_eq!(
                db::audit_search::count_capped(&mut conn, &filter, 3).unwrap(),
                4,
                "{label}: count to a cap, edits only {edits_only}"
            );
            let mut seen = vec![];
            let mut before = None;
            loop {
                let page = db::audit_search::search(&mut conn, &filter, before, 7).unwrap();
                assert!(
                    page.iter()
                        .all(|r| r.object.as_deref() == Some("case:424242")),
                    "{label}: only the case's entries"
                );
                seen.extend(page.iter().map(|r| r.id));
                match page.last() {
                    Some(last) if page.len() == 7 => before = Some(last.id),
                    _ => break,
                }
            }
            assert_eq!(
                seen, expect,
                "{label}: search pages, edits only {edits_only}"
            );
        }
    };
    check(&app, "half indexed");
    db::write_tx(&mut app.conn(), |c| audit::index_citizens(c, None)).unwrap();
    check(&app, "all indexed");
    let broken = || audit::verify(&mut app.conn()).unwrap().broken;
    assert_eq!(broken(), None);
    if app.db.backend == Backend::Sqlite {
        let run = |sql: &str| {
            diesel::sql_query(sql)
                .execute(&mut app.conn() as &mut DbConnection)
                .unwrap()
        };
        let (first, _) = want[0];
        // The index is append-only ...
        let e = diesel::sql_query("DELETE FROM access_log_cases")
            .execute(&mut app.conn() as &mut DbConnection);
        assert!(e.is_err(), "a delete from the index was allowed");
        // ... and, changed by someone with the database file, `verify` finds it.
        run("DROP TRIGGER access_log_cases_no_delete");
        run(&format!(
            "DELETE FROM access_log_cases WHERE entry_id = {first}"
        ));
        let b = broken().expect("a missing index row is found");
        assert_eq!(b.id, Some(first));
        assert!(b.reason.contains("lacks"), "{b:?}");
        run(&format!(
            "INSERT INTO access_log_cases (case_id, entry_id) VALUES ({other}, {first})"
        ));
        let b = broken().expect("an index row naming another case is found");
        assert_eq!(b.id, Some(first));
        assert!(b.reason.contains("not about"), "{b:?}");
        run(&format!(
            "DELETE FROM access_log_cases WHERE entry_id = {first}"
        ));
        run(&format!(
            "INSERT INTO access_log_cases (case_id, entry_id) VALUES ({case}, {first})"
        ));
        assert_eq!(broken(), None);
    }
}

/// On SQLite the search by case reads the index by case up to the head and the log rows after it
/// by id: neither scans the log (ten years are ten million rows), nor sorts.
#[actix_web::test]
async fn the_case_search_reads_the_index_and_the_tail_by_key_on_sqlite() {
    let app = TestApp::start(Backend::Sqlite).await;
    let mut conn = app.conn();
    let tail = plan(
        &mut conn,
        "SELECT access_log.id FROM access_log \
         WHERE access_log.id > 1000 AND access_log.object = 'case:42' \
         ORDER BY access_log.id DESC",
    );
    assert!(
        tail.contains("SEARCH access_log USING INTEGER PRIMARY KEY (rowid>?)"),
        "{tail}"
    );
    // The other criteria on the tail's ids: by the key, not by a whole period of `access_log_at`.
    let criteria = plan(
        &mut conn,
        "SELECT access_log.id FROM access_log \
         WHERE access_log.id IN (1001, 1002, 1003) AND access_log.object = 'case:42' \
         AND access_log.at >= '2020-01-01' AND access_log.at < '2026-01-01' \
         ORDER BY access_log.id DESC LIMIT 51",
    );
    assert!(
        criteria.contains("SEARCH access_log USING INTEGER PRIMARY KEY (rowid=?)"),
        "{criteria}"
    );
    let indexed = plan(
        &mut conn,
        "SELECT access_log.id FROM access_log \
         INNER JOIN access_log_cases ON access_log_cases.entry_id = access_log.id \
         WHERE access_log_cases.case_id = 42 AND access_log_cases.entry_id <= 1000 \
         ORDER BY access_log_cases.entry_id DESC LIMIT 51",
    );
    assert!(
        indexed.contains("SEARCH access_log_cases USING PRIMARY KEY (case_id=? AND entry_id<?)"),
        "{indexed}"
    );
    assert!(!indexed.contains("TEMP B-TREE"), "{indexed}");
}

/// The search counts its matches up to `COUNT_CAP` (by the subjects index alone for a citizen, or
/// with the other criteria), says "Fler än 1 000" beyond it, and counts exactly below it.
async fn a_search_counts_up_to_the_cap_and_says_more_than(app: TestApp) {
    let r = region(&app);
    let citizen = pnr("19900101", 66);
    let over = svc::COUNT_CAP + 5;
    {
        let mut conn = app.conn();
        db::write_tx(&mut conn, |c| {
            for i in 0..over {
                let e = audit::NewEntry {
                    user_hsa_id: Some("SE2321000131-P000000000999".into()),
                    action: if i < 7 { "rare" } else { "planted" }.into(),
                    personnummer: Some(digits(&citizen)),
                    ..Default::default()
                };
                audit::append(c, db::ts(app.clock.now()), &e)?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    }
    let ctx = auditor_ctx(&app, &r);
    let by = |action: &str| SearchInput {
        pnr: citizen.clone(),
        action: action.into(),
        ..Default::default()
    };
    let all = svc::search(&mut app.conn(), &ctx, &by(""), None).unwrap();
    assert_eq!(
        all.matched,
        svc::COUNT_CAP + 1,
        "counted to the cap and one more"
    );
    assert_eq!(all.rows.len() as i64, svc::PAGE);
    let rare = svc::search(&mut app.conn(), &ctx, &by("rare"), None).unwrap();
    assert_eq!(rare.matched, 7, "an exact count below the cap");
    let mut ab = app.browser();
    app.login(&mut ab, &r.auditor).await;
    let page = post_search(&mut ab, &[("pnr", citizen.as_str())]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Fler än 1 000 poster matchar"),
        "{}",
        page.body
    );
    let page = post_search(&mut ab, &[("pnr", citizen.as_str()), ("action", "rare")]).await;
    assert!(page.body.contains("7 poster matchar"), "{}", page.body);
}

/// SQLite's citizen index is built in rounds (`db::audit::index_citizens`): a citizen's entries
/// are those the index names up to its head and the subject rows after it. Searched, counted and
/// extracted across that line, each entry is found once, in order; a round takes whole entries and
/// moves the head forward; and a round that has run changes no answer. (On PostgreSQL no round
/// runs in the server and searches read every subject row whatever the head, `citizens_through`
/// being 0 there: with rounds run by hand each entry must still be found once.)
async fn a_citizens_entries_are_found_on_both_sides_of_the_index_head(app: TestApp) {
    region(&app);
    let citizen = pnr("19900101", 77);
    let other = pnr("19900101", 78);
    let plant_some = |from: usize| -> Vec<i64> {
        let mut conn = app.conn();
        let mut named = vec![];
        for i in from..from + 60 {
            let e = audit::NewEntry {
                user_hsa_id: Some("SE2321000131-P000000000999".into()),
                action: if i % 3 == 0 { "listed" } else { "viewed" }.into(),
                // Every other entry names the citizen: alone, or on a list beside another.
                personnummer: (i % 4 == 0).then(|| digits(&citizen)),
                subjects: match i % 4 {
                    2 => vec![digits(&other), digits(&citizen)],
                    _ => vec![],
                },
                ..Default::default()
            };
            let id =
                db::write_tx(&mut conn, |c| audit::append(c, db::ts(app.clock.now()), &e)).unwrap();
            if i % 2 == 0 {
                named.push(id);
            }
        }
        named
    };
    let through = |app: &TestApp| audit::index_head(&mut app.conn()).unwrap();
    // What the set-up logged is indexed first, so that the round below takes planted rows.
    db::write_tx(&mut app.conn(), |c| audit::index_citizens(c, None)).unwrap();
    let start = through(&app);
    let mut want = plant_some(0);
    // A round of at most 25 rows indexes whole entries only, and the head moves past them.
    let added = db::write_tx(&mut app.conn(), |c| audit::index_citizens(c, Some(25))).unwrap();
    assert!(added > 0 && added <= 25, "{added} rows");
    let head = through(&app);
    assert!(head > start, "the head moved: {start} -> {head}");
    want.extend(plant_some(60));
    assert!(
        want.iter().any(|i| *i <= head) && want.iter().any(|i| *i > head),
        "the citizen has entries on both sides of the head"
    );
    let check = |app: &TestApp, label: &str| {
        let mut conn = app.conn();
        assert_eq!(
            audit::entries_naming(&mut conn, &digits(&citizen)).unwrap(),
            want,
            "{label}: entries_naming, oldest first"
        );
        for (action, expect) in [("", want.clone()), ("listed", vec![])] {
            let expect: Vec<i64> = if action.is_empty() {
                expect
            } else {
                let listed: Vec<i64> = {
                    use schema::access_log as l;
                    l::table
                        .filter(l::action.eq(action))
                        .select(l::id)
                        .load(&mut conn as &mut DbConnection)
                        .unwrap()
                };
                want.iter()
                    .copied()
                    .filter(|i| listed.contains(i))
                    .collect()
            };
            // The database's search (the service's would log itself as one more entry naming
            // the citizen), in pages of 7.
            let filter = db::audit_search::Filter {
                citizen: Some(digits(&citizen)),
                action: (!action.is_empty()).then(|| action.to_string()),
                ..Default::default()
            };
            assert_eq!(
                db::audit_search::count_capped(&mut conn, &filter, 1_000).unwrap(),
                expect.len() as i64,
                "{label}: count {action:?}"
            );
            assert_eq!(
                db::audit_search::count_capped(&mut conn, &filter, 3).unwrap(),
                4.min(expect.len() as i64),
                "{label}: count to a cap {action:?}"
            );
            let mut seen = vec![];
            let mut before = None;
            loop {
                let page = db::audit_search::search(&mut conn, &filter, before, 7).unwrap();
                seen.extend(page.iter().map(|r| r.id));
                match page.last() {
                    Some(last) if page.len() == 7 => before = Some(last.id),
                    _ => break,
                }
            }
            let newest_first: Vec<i64> = expect.iter().rev().copied().collect();
            assert_eq!(seen, newest_first, "{label}: search pages {action:?}");
        }
    };
    check(&app, "half indexed");
    // The rest in one round: the same answers, and the head at the newest subject row.
    db::write_tx(&mut app.conn(), |c| audit::index_citizens(c, None)).unwrap();
    check(&app, "all indexed");
    let newest = *want.last().unwrap();
    assert!(through(&app) >= newest);
    assert_eq!(
        db::write_tx(&mut app.conn(), |c| audit::index_citizens(c, None)).unwrap(),
        0,
        "nothing left"
    );
    // One new entry naming two citizens: a round of one row takes it whole.
    let list = {
        let e = audit::NewEntry {
            action: "listed".into(),
            subjects: vec![digits(&other), digits(&citizen)],
            ..Default::default()
        };
        db::write_tx(&mut app.conn(), |c| {
            audit::append(c, db::ts(app.clock.now()), &e)
        })
        .unwrap()
    };
    assert_eq!(
        db::write_tx(&mut app.conn(), |c| audit::index_citizens(c, Some(1))).unwrap(),
        2
    );
    assert_eq!(through(&app), list);
    if app.db.backend == Backend::Sqlite {
        // The index is append-only and its head moves only forward.
        for sql in [
            "DELETE FROM access_log_citizens".to_string(),
            format!(
                "UPDATE access_log_citizens_head SET through_entry_id = {}",
                list - 1
            ),
        ] {
            let e = diesel::sql_query(&sql).execute(&mut app.conn() as &mut DbConnection);
            assert!(e.is_err(), "{sql} was allowed");
        }
    }
    // `verify` holds the index to the subjects: a row taken from it or added to it is found.
    let run = |sql: &str| {
        diesel::sql_query(sql)
            .execute(&mut app.conn() as &mut DbConnection)
            .unwrap();
    };
    let broken = || audit::verify(&mut app.conn()).unwrap().broken;
    assert_eq!(broken(), None);
    if app.db.backend == Backend::Sqlite {
        // As someone with the database file could.
        run("DROP TRIGGER access_log_citizens_no_delete");
    }
    let other = digits(&other);
    run(&format!(
        "DELETE FROM access_log_citizens WHERE entry_id = {list} AND personnummer = '{other}'"
    ));
    let b = broken().expect("a missing index row is found");
    assert_eq!(b.id, Some(list));
    assert!(b.reason.contains("lacks"), "{b:?}");
    run(&format!(
        "INSERT INTO access_log_citizens (personnummer, entry_id) VALUES ('{other}', {list})"
    ));
    assert_eq!(broken(), None);
    run(&format!(
        "INSERT INTO access_log_citizens (personnummer, entry_id) VALUES ('191212121212', {list})"
    ));
    let b = broken().expect("a stray index row is found");
    assert_eq!(b.id, Some(list));
    assert!(b.reason.contains("does not name"), "{b:?}");
}

/// A subject row whose entry does not exist was added by hand (only `append` writes subject
/// rows, in their entry's transaction, and entries are never deleted). PostgreSQL has no foreign key to refuse
/// it (the migration `subjects_fk_sqlite_only`): `audit verify` names it, on both backends.
async fn verify_names_a_citizen_named_by_an_entry_that_does_not_exist(app: TestApp) {
    region(&app);
    let mut conn = app.conn();
    assert_eq!(audit::verify(&mut conn).unwrap().broken, None);
    let missing: i64 = {
        use schema::access_log as l;
        l::table
            .select(diesel::dsl::max(l::id))
            .first::<Option<i64>>(&mut conn as &mut DbConnection)
            .unwrap()
            .unwrap()
            + 1_000
    };
    let insert = format!(
        "INSERT INTO access_log_subjects (entry_id, personnummer) VALUES ({missing}, '191212121212')"
    );
    if app.db.backend == Backend::Sqlite {
        // SQLite's foreign key refuses it, unless someone with the file switches the keys off.
        assert!(
            diesel::sql_query(&insert)
                .execute(&mut conn as &mut DbConnection)
                .is_err()
        );
        diesel::sql_query("PRAGMA foreign_keys = OFF")
            .execute(&mut conn as &mut DbConnection)
            .unwrap();
    }
    diesel::sql_query(&insert)
        .execute(&mut conn as &mut DbConnection)
        .unwrap();
    if app.db.backend == Backend::Sqlite {
        diesel::sql_query("PRAGMA foreign_keys = ON")
            .execute(&mut conn as &mut DbConnection)
            .unwrap();
    }
    let b = audit::verify(&mut conn)
        .unwrap()
        .broken
        .expect("the stray subject row is found");
    assert!(b.reason.contains(&format!("entry {missing}")), "{b:?}");
    assert!(b.reason.contains("does not exist"), "{b:?}");
}

/// The review rules' view of staff (`db::audit_search::staff`, one statement joining users to
/// their roles and units): each user's name, every role and every unit once, whatever the pairs
/// the join gives; a user with roles but no unit has no units; an HSA-ID nobody has is absent.
async fn staff_facts_are_each_users_name_roles_and_units(app: TestApp) {
    use std::collections::BTreeSet;
    let a = app.unit("SFA");
    let b = app.unit("SFB");
    let c = app.unit("SFC");
    let many = app.user(&[Role::Clinician, Role::Manager, Role::Handler], &[a, b, c]);
    let one = app.user(&[Role::Auditor], &[]);
    let other = app.user(&[Role::Clinician], &[b]);
    let asked: BTreeSet<String> = [
        many.hsa_id.clone(),
        one.hsa_id.clone(),
        "SE2321000131-X99999".to_string(),
    ]
    .into();
    let facts = db::audit_search::staff(&mut app.conn(), &asked).unwrap();
    assert_eq!(facts.len(), 2, "{facts:?}");
    let m = &facts[&many.hsa_id];
    assert_eq!(m.name, many.name);
    let codes =
        |rs: &[Role]| -> BTreeSet<String> { rs.iter().map(|r| r.code().to_string()).collect() };
    assert_eq!(
        m.roles,
        codes(&[Role::Clinician, Role::Manager, Role::Handler])
    );
    assert_eq!(m.units, [a, b, c].into());
    let o = &facts[&one.hsa_id];
    assert_eq!(o.name, one.name);
    assert_eq!(o.roles, codes(&[Role::Auditor]));
    assert!(o.units.is_empty(), "{o:?}");
    assert!(
        !facts.contains_key(&other.hsa_id),
        "only the users asked for"
    );
}
