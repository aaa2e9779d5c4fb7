//! The start page per role (issue 11): each count is a link to a list of exactly the rows
//! counted, a user of another unit neither sees nor counts them, the page shows no citizen (and
//! so writes no citizen to the access log) while the lists behind it log theirs, and a signed
//! lock queues a notice without personal data to the chefläkare of the area.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Browser, TestApp, TestUser, flow};
use chrono::{Duration, TimeZone, Utc};
use diesel::prelude::*;
use kontosparr::clock::Clock;
use kontosparr::db::{self, DbConnection, schema};
use kontosparr::domain::Role;
use kontosparr::service::admin::{self, FirstPassword, UnitInput, UserInput};
use kontosparr::service::cases::{self, CallInput, CaseInput, Workflow};
use std::collections::BTreeSet;

dual!(
    handler_start_page_counts_today_s_work,
    unit_staff_see_and_count_their_units_only,
    chief_physician_start_page_and_notice_on_signing,
    auditor_start_page_and_spot_checks_due,
    admin_start_page_and_its_selections,
    the_lists_behind_stay_within_the_policy,
);

fn wf(app: &TestApp) -> Workflow {
    Workflow::from_config(&app.state.config)
}

fn ver(app: &TestApp, id: i64) -> i32 {
    db::cases::get(&mut app.conn(), id)
        .unwrap()
        .unwrap()
        .version
}

/// A valid personnummer (1950-01-01, serial `n`), 12 digits.
fn pnr(n: u32) -> String {
    let base = format!("500101{:03}", n % 1000);
    let sum: u32 = base
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let v = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            v / 10 + v % 10
        })
        .sum();
    format!("19{base}{}", (10 - sum % 10) % 10)
}

/// A lock of `unit` whose dates are today's (so that it can be signed whenever the clock is).
fn input(app: &TestApp, unit: i64, responsible: i64, pnr: &str) -> CaseInput {
    let today = kontosparr::clock::swedish_today(app.clock.now()).to_string();
    let mut i = flow::lock_input(unit, responsible, pnr);
    i.journal_note_date = today.clone();
    i.chief_informed_date = today.clone();
    i.patient_informed_date = today;
    i
}

fn draft(app: &TestApp, by: &TestUser, unit: i64, pnr: &str) -> i64 {
    cases::create_draft(
        &mut app.conn(),
        &flow::ctx(app, by.id),
        &input(app, unit, by.id, pnr),
        &wf(app),
    )
    .unwrap()
}

fn sign(app: &TestApp, by: &TestUser, id: i64) {
    cases::sign(
        &mut app.conn(),
        &flow::ctx(app, by.id),
        id,
        ver(app, id),
        &wf(app),
    )
    .unwrap();
}

/// Filed, signed and sent by a decider.
fn submitted(app: &TestApp, decider: &TestUser, unit: i64, pnr: &str) -> i64 {
    let id = draft(app, decider, unit, pnr);
    sign(app, decider, id);
    cases::submit(
        &mut app.conn(),
        &flow::ctx(app, decider.id),
        id,
        ver(app, id),
    )
    .unwrap();
    id
}

fn returned(app: &TestApp, handler: &TestUser, id: i64) {
    cases::return_case(
        &mut app.conn(),
        &flow::ctx(app, handler.id),
        id,
        ver(app, id),
        "Datum saknas.",
        &wf(app),
    )
    .unwrap();
}

fn call(app: &TestApp, handler: &TestUser, unit: i64, pnr: &str) -> i64 {
    let input = CallInput {
        caller_name: "Sara Sjuksköterska".into(),
        caller_phone: "031-100 00".into(),
        caller_email: "sara@example.se".into(),
        unit_id: unit.to_string(),
        citizen_pnr: pnr.into(),
        citizen_name: "Nora Nödsson".into(),
        requested_by: "staff".into(),
        helpdesk_ref: "RÄLS-1".into(),
        category_chosen: true,
        ..Default::default()
    };
    cases::register_call(
        &mut app.conn(),
        &flow::ctx(app, handler.id),
        &input,
        &wf(app),
    )
    .unwrap()
    .0
}

async fn login(app: &TestApp, u: &TestUser) -> Browser {
    let mut b = app.browser();
    app.login(&mut b, u).await;
    b
}

/// The count shown for the link to `href` on a start page (`&` as in the HTML: `&amp;`): the
/// link whose text holds the count (`<strong>`), not a menu link to the same list.
fn count_on(body: &str, href: &str) -> String {
    let link = format!("<a href=\"{}\">", href.replace('&', "&amp;"));
    body.match_indices(&link)
        .find_map(|(at, _)| {
            let text = &body[at..at + body[at..].find("</a>")?];
            let start = text.find("<strong>")? + 8;
            let end = text.find("</strong>")?;
            Some(text[start..end].to_string())
        })
        .unwrap_or_else(|| panic!("no count linking to {href} on the start page:\n{body}"))
}

/// The cases a list page links to (`/arenden/ID"`).
fn ids(body: &str) -> BTreeSet<i64> {
    body.split("<a href=\"/arenden/")
        .skip(1)
        .filter_map(|s| s.split('"').next()?.parse().ok())
        .collect()
}

fn set(v: &[i64]) -> BTreeSet<i64> {
    v.iter().copied().collect()
}

/// GETs the list a start page links to and returns the cases on it (status 200 required).
async fn list(b: &mut Browser, href: &str) -> BTreeSet<i64> {
    let r = b.get(href).await;
    assert_eq!(r.status, 200, "{href}: {}", r.body);
    ids(&r.body)
}

fn log_len(app: &TestApp) -> i64 {
    schema::access_log::table
        .count()
        .get_result(&mut app.conn() as &mut DbConnection)
        .unwrap()
}

/// The newest access-log entry of `action`: its object and the citizens it names.
fn newest(app: &TestApp, action: &str) -> (String, BTreeSet<String>) {
    use schema::{access_log as l, access_log_subjects as s};
    let c = &mut app.conn() as &mut DbConnection;
    let (id, object): (i64, Option<String>) = l::table
        .filter(l::action.eq(action))
        .order(l::id.desc())
        .select((l::id, l::object))
        .first(c)
        .unwrap();
    let named: Vec<String> = s::table
        .filter(s::entry_id.eq(id))
        .select(s::personnummer)
        .load(c)
        .unwrap();
    (object.unwrap_or_default(), named.into_iter().collect())
}

fn pnrs_of(app: &TestApp, ids: &[i64]) -> BTreeSet<String> {
    ids.iter()
        .map(|id| {
            db::cases::get(&mut app.conn(), *id)
                .unwrap()
                .unwrap()
                .citizen_pnr
        })
        .collect()
}

/// The handler's page: new and resubmitted cases with the oldest named by number, emergency
/// locks waiting for their form (and those past the reminder interval), failed mail and
/// certificates running out — each a link to exactly those rows; no citizen on the page.
async fn handler_start_page_counts_today_s_work(app: TestApp) {
    let (a, b) = (app.unit("A"), app.unit("B"));
    let doc_a = app.user_with(&[Role::Clinician], &[a], true);
    let doc_b = app.user_with(&[Role::Clinician], &[b], true);
    let handler = app.user(&[Role::Handler], &[]);
    let s1 = submitted(&app, &doc_a, a, &pnr(1));
    app.clock.advance(Duration::hours(2));
    let s2 = submitted(&app, &doc_b, b, &pnr(2));
    // Received: in the queue, not new.
    let r = submitted(&app, &doc_a, a, &pnr(3));
    cases::receive(
        &mut app.conn(),
        &flow::ctx(&app, handler.id),
        r,
        ver(&app, r),
    )
    .unwrap();
    // Returned and sent again: new once more.
    let again = submitted(&app, &doc_a, a, &pnr(4));
    returned(&app, &handler, again);
    cases::submit(
        &mut app.conn(),
        &flow::ctx(&app, doc_a.id),
        again,
        ver(&app, again),
    )
    .unwrap();
    // Still returned: the unit's, not the handler's.
    let back = submitted(&app, &doc_a, a, &pnr(5));
    returned(&app, &handler, back);
    // A draft: not sent.
    draft(&app, &doc_a, a, &pnr(6));
    // Emergency locks: one waiting four days (past the three-day reminder), one new.
    let e1 = call(&app, &handler, a, &pnr(7));
    app.clock.advance(Duration::days(4));
    let e2 = call(&app, &handler, b, &pnr(8));
    // A failed message; certificates: A's runs out in 10 days, B's in 100.
    let now = db::ts(app.clock.now());
    db::outbox::insert(
        &mut app.conn(),
        &db::outbox::NewMessage {
            kind: "feedback",
            case_id: Some(s1),
            unit_id: Some(a),
            recipient: "chef@example.se",
            encrypted: false,
            message: b"x",
            status: "failed",
            last_error: "550 no such user",
        },
        now,
    )
    .unwrap();
    for (unit, days) in [(a, 10), (b, 100)] {
        db::outbox::set_certificate(
            &mut app.conn(),
            unit,
            "PEM",
            "CN=chef",
            now - Duration::days(300),
            now + Duration::days(days),
            "ab",
            now,
        )
        .unwrap();
    }

    let mut br = login(&app, &handler).await;
    let before = log_len(&app);
    let home = br.get("/").await;
    assert_eq!(home.status, 200);
    assert_eq!(
        log_len(&app),
        before,
        "the start page names no citizen: no entry"
    );
    for n in 1..=8 {
        let p = pnr(n);
        for shown in [
            p.clone(),
            p[2..].to_string(),
            format!("{}-{}", &p[..8], &p[8..]),
        ] {
            assert!(!home.body.contains(&shown), "{shown} on the start page");
        }
    }
    assert!(!home.body.contains("Tolvan") && !home.body.contains("Nödsson"));

    let new = "/handlaggning?status=submitted";
    assert_eq!(count_on(&home.body, new), "3");
    assert_eq!(list(&mut br, new).await, set(&[s1, s2, again]));
    // The list behind logs the citizens it shows, under its selection.
    let (object, named) = newest(&app, "queue_view");
    assert!(
        object.starts_with("handlaggning?status=submitted"),
        "{object}"
    );
    assert_eq!(named, pnrs_of(&app, &[s1, s2, again]));
    // The oldest new cases are named by number, oldest first.
    let oldest_at = |id: i64| {
        home.body
            .find(&format!("<a href=\"/arenden/{id}\">"))
            .unwrap()
    };
    assert!(oldest_at(s1) < oldest_at(s2));

    let forms = "/handlaggning?status=form_pending";
    assert_eq!(count_on(&home.body, forms), "2");
    assert_eq!(list(&mut br, forms).await, set(&[e1, e2]));
    let overdue = "/handlaggning?status=form_pending&dagar=3";
    assert_eq!(count_on(&home.body, overdue), "1");
    assert_eq!(list(&mut br, overdue).await, set(&[e1]));
    assert!(oldest_at(e1) < oldest_at(e2), "overdue first");

    // The failed message, and the two emergency locks' feedback: their units have no manager.
    assert_eq!(count_on(&home.body, "/admin/post"), "3");
    let mail = br.get("/admin/post").await;
    assert_eq!(mail.status, 200, "a handler reads the failed mail");
    assert_eq!(ids(&mail.body), set(&[s1, e1, e2]));
    assert!(
        !mail.body.contains("skicka-igen"),
        "resending is the admin's"
    );

    let certs = "/admin/enheter?urval=certifikat";
    assert_eq!(count_on(&home.body, certs), "1");
    let units = br.get(certs).await;
    assert_eq!(units.status, 200);
    assert!(units.body.contains("Enhet A") && !units.body.contains("Enhet B"));
}

/// A manager's page counts their units' returned cases, unsigned drafts, overdue reviews,
/// reviews due within 14 days and feedback received; a clinician of another unit sees and
/// counts only theirs.
async fn unit_staff_see_and_count_their_units_only(app: TestApp) {
    let (a, b) = (app.unit("A"), app.unit("B"));
    let manager = app.user_with(&[Role::Manager, Role::Clinician], &[a], true);
    let nurse = app.user(&[Role::Clinician], &[a]);
    let doc_b = app.user_with(&[Role::Clinician], &[b], true);
    let handler = app.user(&[Role::Handler], &[]);
    // Executed on 2026-11-23 (review due 2027-02-23), 2026-12-03 (due 2027-03-03) and
    // 2026-12-18 (due 2027-03-18); B's on the first day too.
    let l1 = flow::executed_lock(&app, a, manager.id, nurse.id, handler.id, &pnr(1));
    let l1b = flow::executed_lock(&app, b, doc_b.id, doc_b.id, handler.id, &pnr(2));
    app.clock.advance(Duration::days(10));
    let l2 = flow::executed_lock(&app, a, manager.id, nurse.id, handler.id, &pnr(3));
    app.clock.advance(Duration::days(15));
    let l3 = flow::executed_lock(&app, a, manager.id, nurse.id, handler.id, &pnr(4));
    app.clock
        .set(Utc.with_ymd_and_hms(2027, 2, 25, 9, 0, 0).single().unwrap());
    let ret_a = submitted(&app, &manager, a, &pnr(5));
    returned(&app, &handler, ret_a);
    let ret_b = submitted(&app, &doc_b, b, &pnr(6));
    returned(&app, &handler, ret_b);
    let d1 = draft(&app, &nurse, a, &pnr(7));
    let d2 = draft(&app, &manager, a, &pnr(8));
    let signed = draft(&app, &manager, a, &pnr(9));
    sign(&app, &manager, signed);
    let db_draft = draft(&app, &doc_b, b, &pnr(10));
    // Feedback received: l2 closed today, l3 closed 40 days ago.
    let now = app.clock.now();
    for (id, at) in [(l2, now), (l3, now - Duration::days(40))] {
        diesel::update(schema::cases::table.find(id))
            .set((
                schema::cases::status.eq("closed"),
                schema::cases::updated_at.eq(db::ts(at)),
            ))
            .execute(&mut app.conn() as &mut DbConnection)
            .unwrap();
    }

    let mut m = login(&app, &manager).await;
    let home = m.get("/").await;
    assert_eq!(home.status, 200);
    assert!(!home.body.contains("Att göra i handläggningen"));
    let checks: [(&str, &str, BTreeSet<i64>); 5] = [
        ("/arenden?status=returned", "1", set(&[ret_a])),
        ("/arenden?status=draft&signerad=nej", "2", set(&[d1, d2])),
        ("/omprovningar?lage=forsenad", "1", set(&[l1])),
        ("/omprovningar?lage=snart", "1", set(&[l2])),
        ("/arenden?status=closed&fran=2027-01-27", "1", set(&[l2])),
    ];
    for (href, n, want) in &checks {
        assert_eq!(&count_on(&home.body, href), n, "{href}");
        assert_eq!(&list(&mut m, href).await, want, "{href}");
    }
    // The review list behind logs its citizens, under its selection.
    m.get("/omprovningar?lage=forsenad").await;
    let (object, named) = newest(&app, "review_list_view");
    assert!(object.starts_with("omprovningar?lage=forsenad"), "{object}");
    assert_eq!(named, pnrs_of(&app, &[l1]));

    let mut other = login(&app, &doc_b).await;
    let home_b = other.get("/").await;
    for (href, n, want) in [
        ("/arenden?status=returned", "1", set(&[ret_b])),
        ("/arenden?status=draft&signerad=nej", "1", set(&[db_draft])),
        ("/omprovningar?lage=forsenad", "1", set(&[l1b])),
        ("/omprovningar?lage=snart", "0", set(&[])),
    ] {
        assert_eq!(count_on(&home_b.body, href), n, "{href}");
        assert_eq!(list(&mut other, href).await, want, "{href}");
    }
}

/// Signing a lock queues a notice to the chefläkare of the area (the chief physicians of the
/// unit and its chefläkare mailbox) with no personnummer or name; an unlock does not. The chief
/// physician's page counts the area's lock decisions this month and its overdue reviews.
async fn chief_physician_start_page_and_notice_on_signing(app: TestApp) {
    use schema::outbox;
    let (a, b) = (app.unit("A"), app.unit("B"));
    let operator = app.ctx();
    let mut unit_a =
        admin::UnitInput::from_unit(admin::unit(&mut app.conn(), &operator, a).unwrap());
    unit_a.chief_physician_email = "chef.a@example.se".into();
    admin::update_unit(&mut app.conn(), &operator, a, &unit_a).unwrap();
    let doc_a = app.user_with(&[Role::Clinician], &[a], true);
    let doc_b = app.user_with(&[Role::Clinician], &[b], true);
    let handler = app.user(&[Role::Handler], &[]);
    let chief_a = app.user(&[Role::ChiefPhysician], &[a]);
    let chief_b = app.user(&[Role::ChiefPhysician], &[b]);
    let email = |u: &TestUser| {
        db::users::by_id(&mut app.conn(), u.id)
            .unwrap()
            .unwrap()
            .email
    };

    let la = draft(&app, &doc_a, a, &pnr(1));
    let before: i64 = outbox::table
        .count()
        .get_result(&mut app.conn() as &mut DbConnection)
        .unwrap();
    sign(&app, &doc_a, la);
    let sent: Vec<(String, Vec<u8>)> = outbox::table
        .filter(outbox::kind.eq("lock_signed_notice"))
        .filter(outbox::case_id.eq(la))
        .select((outbox::recipient, outbox::message))
        .load(&mut app.conn() as &mut DbConnection)
        .unwrap();
    let after: i64 = outbox::table
        .count()
        .get_result(&mut app.conn() as &mut DbConnection)
        .unwrap();
    assert_eq!(after - before, 2, "one message per recipient, nothing else");
    let to: BTreeSet<String> = sent.iter().map(|(r, _)| r.clone()).collect();
    assert_eq!(
        to,
        [email(&chief_a), "chef.a@example.se".to_string()]
            .into_iter()
            .collect()
    );
    assert!(!to.contains(&email(&chief_b)));
    let p = pnr(1);
    for (_, m) in &sent {
        let text = String::from_utf8_lossy(m).replace("=\r\n", "");
        for secret in [
            p.clone(),
            p[2..].to_string(),
            format!("{}-{}", &p[..8], &p[8..]),
            format!("{}-{}", &p[2..8], &p[8..]),
            "Tolvan".into(),
            "Tolvansson".into(),
        ] {
            assert!(!text.contains(&secret), "{secret} in the notice");
        }
        assert!(
            text.contains(&format!("/arenden/{la}")),
            "the link to the case"
        );
        assert!(text.contains("Subject:"));
    }
    let events: Vec<String> = schema::case_events::table
        .filter(schema::case_events::case_id.eq(la))
        .select(schema::case_events::action)
        .load(&mut app.conn() as &mut DbConnection)
        .unwrap();
    assert!(
        events.iter().any(|e| e.contains("chefläkaren")),
        "{events:?}"
    );

    // An executed lock of A (decided today) and an unlock of it: the unlock's signature sends
    // no notice.
    let x = flow::executed_lock(&app, a, doc_a.id, doc_a.id, handler.id, &pnr(2));
    let mut unlock = input(&app, a, doc_a.id, &pnr(2));
    unlock.kind = "unlock".into();
    unlock.related_case_id = x.to_string();
    let u = cases::create_draft(
        &mut app.conn(),
        &flow::ctx(&app, doc_a.id),
        &unlock,
        &wf(&app),
    )
    .unwrap();
    sign(&app, &doc_a, u);
    let unlock_notices: i64 = outbox::table
        .filter(outbox::kind.eq("lock_signed_notice"))
        .filter(outbox::case_id.eq(u))
        .count()
        .get_result(&mut app.conn() as &mut DbConnection)
        .unwrap();
    assert_eq!(unlock_notices, 0);
    let lb = submitted(&app, &doc_b, b, &pnr(3));

    // Signed but not sent: not yet the chefläkare's to see or count.
    let decided = "/arenden?typ=lock&beslut_fran=2026-11-01&beslut_till=2026-11-23";
    let mut c = login(&app, &chief_a).await;
    let home = c.get("/").await;
    assert_eq!(count_on(&home.body, decided), "1");
    assert_eq!(list(&mut c, decided).await, set(&[x]));
    cases::submit(
        &mut app.conn(),
        &flow::ctx(&app, doc_a.id),
        la,
        ver(&app, la),
    )
    .unwrap();
    let home = c.get("/").await;
    assert_eq!(count_on(&home.body, decided), "2");
    assert_eq!(list(&mut c, decided).await, set(&[x, la]));
    let (object, named) = newest(&app, "case_list_view");
    assert!(object.contains("beslut_fran=2026-11-01"), "{object}");
    assert_eq!(named, pnrs_of(&app, &[x, la]));
    let mut cb = login(&app, &chief_b).await;
    let home_b = cb.get("/").await;
    assert_eq!(count_on(&home_b.body, decided), "1");
    assert_eq!(list(&mut cb, decided).await, set(&[lb]));

    // Three months on: x's review is overdue in A's area, not in B's.
    app.clock
        .set(Utc.with_ymd_and_hms(2027, 2, 25, 9, 0, 0).single().unwrap());
    let mut c = login(&app, &chief_a).await;
    let home = c.get("/").await;
    let overdue = "/omprovningar?lage=forsenad";
    assert_eq!(count_on(&home.body, overdue), "1");
    assert_eq!(list(&mut c, overdue).await, set(&[x]));
    assert_eq!(
        count_on(
            &home.body,
            "/arenden?typ=lock&beslut_fran=2027-02-01&beslut_till=2027-02-25"
        ),
        "0"
    );
    let mut cb = login(&app, &chief_b).await;
    assert_eq!(count_on(&cb.get("/").await.body, overdue), "0");
}

/// The auditor's page: the entries to look at (the same count as the page behind it) and
/// whether a spot check is due (none recorded in `audit_spot_check_days`).
async fn auditor_start_page_and_spot_checks_due(app: TestApp) {
    let unit = app.unit("A");
    let doc = app.user_with(&[Role::Clinician], &[unit], true);
    let handler = app.user(&[Role::Handler], &[]);
    let auditor = app.user(&[Role::Auditor], &[]);
    // A protected citizen's case read by the handler: an entry to look at.
    let id = submitted(&app, &doc, unit, &pnr(1));
    diesel::update(schema::cases::table.find(id))
        .set(schema::cases::citizen_protected.eq(true))
        .execute(&mut app.conn() as &mut DbConnection)
        .unwrap();
    let mut h = login(&app, &handler).await;
    assert_eq!(h.get(&format!("/arenden/{id}")).await.status, 200);

    let mut a = login(&app, &auditor).await;
    let home = a.get("/").await;
    assert_eq!(home.status, 200);
    let settings = kontosparr::service::audit::review::Settings::from_config(&app.state.config);
    let found = kontosparr::service::audit::review::review(
        &mut app.conn(),
        &flow::ctx(&app, auditor.id),
        &settings,
        "",
        "",
    )
    .unwrap();
    assert!(!found.findings.is_empty());
    assert_eq!(
        count_on(&home.body, "/logg/granska"),
        found.findings.len().to_string()
    );
    assert!(
        home.body
            .contains("Ingen stickprovskontroll är registrerad")
    );
    assert!(home.body.contains("En stickprovskontroll ska göras"));
    assert!(
        !home.body.contains(&pnr(1)[2..]),
        "no citizen on the start page"
    );

    let today = kontosparr::clock::swedish_today(app.clock.now());
    db::audit_search::add_check(
        &mut app.conn(),
        &db::audit_search::NewSpotCheck {
            created_at: db::ts(app.clock.now()),
            user_id: auditor.id,
            user_name: &auditor.name,
            user_hsa_id: &auditor.hsa_id,
            period_from: today - Duration::days(7),
            period_to: today,
            scope: "Stickprov",
            sample_size: 0,
            findings: "Inga",
            outcome: "no_remarks",
            follow_up: "",
        },
        &[],
    )
    .unwrap();
    let home = a.get("/").await;
    assert!(
        home.body
            .contains(&format!("registrerades {today} (0 dagar sedan)"))
    );
    assert!(!home.body.contains("En stickprovskontroll ska göras"));
    app.clock.advance(Duration::days(30));
    let mut a = login(&app, &auditor).await;
    let home = a.get("/").await;
    assert!(home.body.contains("(30 dagar sedan)"), "{}", home.body);
    assert!(home.body.contains("En stickprovskontroll ska göras"));
}

/// The admin's page: users who never finished enrolment, active units without a manager with
/// an e-mail address, without a certificate, with one running out, and failed mail — each a
/// link to exactly those rows.
async fn admin_start_page_and_its_selections(app: TestApp) {
    let (a, b, c) = (app.unit("A"), app.unit("B"), app.unit("C"));
    let admin_user = app.user(&[Role::Admin], &[]);
    let manager = app.user(&[Role::Manager], &[b, c]);
    let operator = app.ctx();
    for unit in [b, c] {
        let mut u = UnitInput::from_unit(admin::unit(&mut app.conn(), &operator, unit).unwrap());
        u.manager_user_id = manager.id.to_string();
        admin::update_unit(&mut app.conn(), &operator, unit, &u).unwrap();
    }
    // A user made with an enrolment link who never used it.
    admin::create_user(
        &mut app.conn(),
        &operator,
        &UserInput {
            hsa_id: "SE2321000131-T09999".into(),
            name: "Otto Oaktiverad".into(),
            email: "otto@example.se".into(),
            roles: vec!["clinician".into()],
            units: vec![a.to_string()],
            is_decider: false,
            active: true,
        },
        FirstPassword::Link { hours: 1 },
    )
    .unwrap();
    let now = db::ts(app.clock.now());
    for (unit, days) in [(b, 10), (c, 200)] {
        db::outbox::set_certificate(
            &mut app.conn(),
            unit,
            "PEM",
            "CN=chef",
            now - Duration::days(300),
            now + Duration::days(days),
            "ab",
            now,
        )
        .unwrap();
    }
    for _ in 0..2 {
        db::outbox::insert(
            &mut app.conn(),
            &db::outbox::NewMessage {
                kind: "notice",
                case_id: None,
                unit_id: Some(a),
                recipient: "",
                encrypted: false,
                message: b"",
                status: "failed",
                last_error: "ingen mottagare",
            },
            now,
        )
        .unwrap();
    }
    let mut br = login(&app, &admin_user).await;
    let home = br.get("/").await;
    assert_eq!(home.status, 200);
    let users = "/admin/anvandare?urval=ofullstandig";
    assert_eq!(count_on(&home.body, users), "1");
    let page = br.get(users).await;
    assert!(page.body.contains("Otto Oaktiverad") && !page.body.contains(&manager.name));
    for (href, n, shown) in [
        ("/admin/enheter?urval=utan-chef", "1", "Enhet A"),
        ("/admin/enheter?urval=utan-certifikat", "1", "Enhet A"),
        ("/admin/enheter?urval=certifikat", "1", "Enhet B"),
    ] {
        assert_eq!(count_on(&home.body, href), n, "{href}");
        let page = br.get(href).await;
        assert_eq!(page.status, 200);
        let listed: Vec<&str> = ["Enhet A", "Enhet B", "Enhet C"]
            .into_iter()
            .filter(|u| page.body.contains(&format!(">{u}<")))
            .collect();
        assert_eq!(listed, vec![shown], "{href}");
    }
    assert_eq!(count_on(&home.body, "/admin/post"), "2");
    // The selections keep to their lists when paged and filtered: the pager keeps `urval`.
    assert!(br.get(users).await.body.contains("name=\"urval\""));
}

/// Who reads what behind the start page: the failed mail for admins and handlers only, the
/// units for admins (handlers: only those whose certificate runs out); refusals are logged. A
/// role's page has only its own sections.
async fn the_lists_behind_stay_within_the_policy(app: TestApp) {
    let unit = app.unit("A");
    let clinician = app.user(&[Role::Clinician], &[unit]);
    let handler = app.user(&[Role::Handler], &[]);
    let auditor = app.user(&[Role::Auditor], &[]);
    let mut c = login(&app, &clinician).await;
    let home = c.get("/").await;
    assert!(home.body.contains("På era enheter"));
    assert!(!home.body.contains("/admin/post") && !home.body.contains("/handlaggning?"));
    let denied = |app: &TestApp| {
        app.audit_actions()
            .iter()
            .filter(|a| *a == "access_denied")
            .count()
    };
    let d0 = denied(&app);
    assert_eq!(c.get("/admin/post").await.status, 403);
    assert_eq!(c.get("/admin/enheter?urval=certifikat").await.status, 403);
    assert_eq!(denied(&app), d0 + 2, "each refusal is logged");
    let mut h = login(&app, &handler).await;
    assert_eq!(h.get("/admin/post").await.status, 200);
    assert_eq!(h.get("/admin/enheter?urval=certifikat").await.status, 200);
    assert_eq!(h.get("/admin/enheter").await.status, 403);
    assert_eq!(h.get("/admin/enheter?urval=utan-chef").await.status, 403);
    let mut a = login(&app, &auditor).await;
    let home = a.get("/").await;
    assert!(home.body.contains("Logguppföljning"));
    assert!(!home.body.contains("På era enheter") && !home.body.contains("/handlaggning?"));
    assert_eq!(a.get("/admin/post").await.status, 403);
}
