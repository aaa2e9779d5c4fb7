//! The three-month review and the missing-form chase, with the clock set, on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::{NaiveDate, TimeZone, Utc};
use common::{TestApp, flow};
use kontosparr::clock::Clock;
use kontosparr::domain::Role;
use kontosparr::service::cases::Workflow;
use kontosparr::service::reminders::{Policy, run_due, sent_keys};

dual!(
    review_due_and_each_reminder_once,
    downtime_catches_up_once_and_restarts_send_nothing_twice,
    two_instances_send_each_reminder_once,
    missing_form_is_chased_until_linked,
    review_keep_locked_or_open_an_unlock,
    the_case_pages_parts_are_their_own_reads,
);

fn at(y: i32, m: u32, d: u32, h: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().unwrap()
}

struct World {
    unit: i64,
    doctor: i64,
    nurse: i64,
    handler: i64,
    chief_email: &'static str,
}

fn world(app: &TestApp) -> World {
    let unit = app.unit("PSYK");
    let manager = app.user_with(&[Role::Manager], &[unit], true);
    let input = kontosparr::service::admin::UnitInput {
        code: "PSYK".into(),
        name: "Psykiatri".into(),
        manager_user_id: manager.id.to_string(),
        chief_physician_function: "Chefläkare".into(),
        chief_physician_email: "chefslakare@example.se".into(),
        active: true,
        ..Default::default()
    };
    kontosparr::service::admin::update_unit(&mut app.conn(), &app.ctx(), unit, &input).unwrap();
    World {
        unit,
        doctor: app.user_with(&[Role::Clinician], &[unit], true).id,
        nurse: app.user(&[Role::Clinician], &[unit]).id,
        handler: app.user(&[Role::Handler], &[]).id,
        chief_email: "chefslakare@example.se",
    }
}

fn policy(app: &TestApp) -> Policy {
    Policy::from_config(&app.state.config)
}

fn run(app: &TestApp) -> usize {
    run_due(
        &mut app.conn(),
        app.clock.now(),
        policy(app),
        &Workflow::from_config(&app.state.config),
    )
    .unwrap()
}

fn reminder_mail(app: &TestApp) -> Vec<(String, String)> {
    use diesel::prelude::*;
    use kontosparr::db::schema::outbox::dsl::*;
    outbox
        .filter(kind.eq("reminder"))
        .order(id.asc())
        .select((recipient, message))
        .load::<(String, Vec<u8>)>(&mut app.conn() as &mut kontosparr::db::DbConnection)
        .unwrap()
        .into_iter()
        .map(|(r, m)| (r, String::from_utf8_lossy(&m).into_owned()))
        .collect()
}

async fn review_due_and_each_reminder_once(app: TestApp) {
    let w = world(&app);
    // Executed Monday 30 Nov 2026, 10:00 in Stockholm.
    app.clock.set(at(2026, 11, 30, 9));
    let id = flow::executed_lock(&app, w.unit, w.doctor, w.nurse, w.handler, "19121212-1212");
    let case = kontosparr::db::cases::get(&mut app.conn(), id)
        .unwrap()
        .unwrap();
    assert_eq!(case.review_due, NaiveDate::from_ymd_opt(2027, 2, 28));
    // Two weeks and a day before: nothing yet.
    app.clock.set(at(2027, 2, 12, 9));
    assert_eq!(run(&app), 0);
    // From 14 days before (Monday 15 Feb): one reminder, once.
    app.clock.set(at(2027, 2, 15, 9));
    assert_eq!(run(&app), 1);
    assert_eq!(run(&app), 0);
    // Outside office hours nothing goes out: Sunday 28 Feb (the due date), or 06:00 on a weekday.
    app.clock.set(at(2027, 2, 28, 10));
    assert_eq!(run(&app), 0);
    app.clock.set(at(2027, 3, 1, 5));
    assert_eq!(run(&app), 0);
    app.clock.set(at(2027, 3, 1, 9));
    assert_eq!(run(&app), 1, "the due reminder, caught up on Monday");
    app.clock.set(at(2027, 3, 8, 9));
    assert_eq!(run(&app), 1, "a week overdue");
    app.clock.set(at(2027, 3, 10, 9));
    assert_eq!(run(&app), 0, "weekly, not daily");
    let now = kontosparr::db::ts(app.clock.now());
    assert!(kontosparr::db::users::set_lang(&mut app.conn(), w.nurse, "en", now).unwrap());
    app.clock.set(at(2027, 3, 15, 9));
    assert_eq!(run(&app), 1, "two weeks overdue: escalated");
    assert_eq!(
        sent_keys(&mut app.conn(), id).unwrap(),
        vec![
            "review-before",
            "review-due",
            "review-overdue-1",
            "review-overdue-2"
        ]
    );
    let mail = reminder_mail(&app);
    // Responsible person and manager each time, plus the chefläkare function when escalated.
    assert_eq!(mail.len(), 2 + 2 + 2 + 3);
    // Each in the recipient's language: the responsible nurse chose English (before the
    // escalation), the manager and the chefläkare function (not a user) get Swedish.
    let nurse_email = kontosparr::db::users::by_id(&mut app.conn(), w.nurse)
        .unwrap()
        .unwrap()
        .email;
    let english = |m: &str| m.contains("Subject: Overdue review of a locked login to 1177.se");
    let (before, escalated) = mail.split_at(6);
    assert!(before.iter().all(|(_, m)| !english(m)));
    for (to, m) in escalated {
        assert_eq!(english(m), *to == nurse_email, "{to}: {m}");
    }
    assert!(escalated.iter().any(|(to, _)| *to == nurse_email));
    assert!(mail.iter().any(|(r, _)| r == w.chief_email));
    for (_, m) in &mail {
        for secret in ["19121212", "121212-1212", "Tolvan", "KSD"] {
            assert!(
                !m.contains(secret),
                "no personal data in a reminder: {secret}"
            );
        }
        assert!(m.contains(&format!("/arenden/{id}/omprovning")));
    }
}

async fn downtime_catches_up_once_and_restarts_send_nothing_twice(app: TestApp) {
    let w = world(&app);
    app.clock.set(at(2026, 11, 30, 9));
    let id = flow::executed_lock(&app, w.unit, w.doctor, w.nurse, w.handler, "19121212-1212");
    // The server was down from before the first reminder until three weeks after the due date.
    app.clock.set(at(2027, 3, 22, 9));
    assert_eq!(run(&app), 1, "one reminder, not a burst");
    assert_eq!(
        sent_keys(&mut app.conn(), id).unwrap(),
        vec!["review-overdue-3"]
    );
    // A restart (another pass at the same time) sends nothing again.
    assert_eq!(run(&app), 0);
}

async fn two_instances_send_each_reminder_once(app: TestApp) {
    let w = world(&app);
    app.clock.set(at(2026, 11, 30, 9));
    for pnr in ["19121212-1212", "19570428-9999", "19460823-9986"] {
        flow::executed_lock(&app, w.unit, w.doctor, w.nurse, w.handler, pnr);
    }
    app.clock.set(at(2027, 2, 15, 9));
    let now = app.clock.now();
    let wf = Workflow::from_config(&app.state.config);
    let p = policy(&app);
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let pool = app.pool.clone();
            let wf = wf.clone();
            std::thread::spawn(move || run_due(&mut pool.get().unwrap(), now, p, &wf).unwrap())
        })
        .collect();
    let total: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(total, 3);
    assert_eq!(reminder_mail(&app).len(), 6);
}

async fn missing_form_is_chased_until_linked(app: TestApp) {
    use kontosparr::service::cases::{CallInput, register_call};
    let w = world(&app);
    app.clock.set(at(2026, 11, 30, 9));
    let h = flow::ctx(&app, w.handler);
    let input = CallInput {
        caller_name: "Sara Sjö".into(),
        caller_phone: "010-1".into(),
        caller_email: "sara@example.se".into(),
        unit_id: w.unit.to_string(),
        citizen_pnr: "19121212-1212".into(),
        citizen_name: "Tolvan".into(),
        citizen_protected: false,
        requested_by: "citizen".into(),
        helpdesk_ref: "RÄLS-1".into(),
        category_chosen: true,
        duplicate_reason: String::new(),
    };
    let wf = Workflow::from_config(&app.state.config);
    let (id, _) = register_call(&mut app.conn(), &h, &input, &wf).unwrap();
    app.clock.set(at(2026, 12, 1, 9));
    assert_eq!(run(&app), 0, "not yet");
    app.clock.set(at(2026, 12, 3, 9));
    assert_eq!(run(&app), 1);
    assert_eq!(run(&app), 0);
    let mail = reminder_mail(&app);
    // The caller is told to help the citizen send the form (the citizen asked for the lock).
    assert!(
        mail.iter()
            .any(|(r, m)| r == "sara@example.se" && m.replace("=\r\n", "").contains("uppdrag"))
    );
    // Linking the form ends the chase.
    let h = flow::ctx(&app, w.handler);
    let version = kontosparr::db::cases::get(&mut app.conn(), id)
        .unwrap()
        .unwrap()
        .version;
    let mut form = flow::lock_input(w.unit, w.nurse, "19121212-1212");
    form.arrival_date = "2026-12-03".into();
    form.decider_name = "Dr Doris Beslut".into();
    form.decider_role = "Verksamhetschef".into();
    form.decided_on = "2026-11-29".into();
    form.version = version;
    kontosparr::service::cases::link_form(
        &mut app.conn(),
        &h,
        id,
        &form,
        &kontosparr::service::cases::Workflow::from_config(&app.state.config),
    )
    .unwrap();
    app.clock.set(at(2026, 12, 9, 9));
    assert_eq!(run(&app), 0);
}

async fn review_keep_locked_or_open_an_unlock(app: TestApp) {
    let w = world(&app);
    app.clock.set(at(2026, 11, 30, 9));
    let id = flow::executed_lock(&app, w.unit, w.doctor, w.nurse, w.handler, "19121212-1212");
    app.clock.set(at(2027, 2, 25, 9));
    // A decider reviews (002 §3.1; `tests/it/lifecycle.rs` refuses the nurse).
    let nurse = kontosparr::db::users::by_id(&mut app.conn(), w.doctor)
        .unwrap()
        .unwrap();
    let nurse = common::TestUser {
        id: nurse.id,
        hsa_id: nurse.hsa_id,
        name: nurse.name,
        secret: nurse.totp_secret.unwrap(),
    };
    let mut b = app.browser();
    app.login(&mut b, &nurse).await;
    let list = b.get("/omprovningar").await;
    assert!(list.body.contains("2027-02-28") && list.body.contains("Snart"));
    let page = b.get(&format!("/arenden/{id}/omprovning")).await;
    assert_eq!(page.status, 200);
    // Nothing chosen: errors beside the fields, the note kept.
    let bad = b
        .post(
            &format!("/arenden/{id}/omprovning"),
            &[
                ("csrf_token", &page.csrf()),
                ("note", "Samtal med patienten."),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"outcome\"") && bad.body.contains("Samtal med patienten."));
    let keep = b
        .post(
            &format!("/arenden/{id}/omprovning"),
            &[
                ("csrf_token", &page.csrf()),
                ("outcome", "keep"),
                ("patient_informed_date", "2027-02-24"),
            ],
        )
        .await;
    assert_eq!(keep.status, 303, "{}", keep.body);
    let case = b.get(&format!("/arenden/{id}")).await;
    assert!(
        case.body.contains("förblir låst") && case.body.contains("2027-05-25"),
        "next review three months on"
    );
    // Unlock: a pre-filled unlock that references the lock.
    let page = b.get(&format!("/arenden/{id}/omprovning")).await;
    let r = b
        .post(
            &format!("/arenden/{id}/omprovning"),
            &[
                ("csrf_token", &page.csrf()),
                ("outcome", "unlock"),
                ("patient_not_informed_reason", "patient_safety"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let edit = r.location().unwrap().to_string();
    assert!(edit.ends_with("/andra"));
    let new_id = edit
        .trim_start_matches("/arenden/")
        .trim_end_matches("/andra");
    let unlock = b.get(&format!("/arenden/{new_id}")).await;
    assert!(
        unlock.body.contains("Upplåsning") && unlock.body.contains("KSD 2026-00001"),
        "{}",
        unlock.body
    );
    let log = app.audit_actions();
    assert!(
        log.contains(&"case_review_keep".to_string())
            && log.contains(&"case_review_unlock".to_string())
    );
    // Another unit cannot review it.
    let other = app.unit("ANNAN");
    let outsider = app.user(&[Role::Clinician], &[other]);
    let mut o = app.browser();
    app.login(&mut o, &outsider).await;
    assert_eq!(
        o.get(&format!("/arenden/{id}/omprovning")).await.status,
        403
    );
}

/// The case page reads a case's timeline, checklist, attachments and mail deliveries in one
/// statement (`db::cases::parts`, a `UNION ALL` sharing columns between the four): each row must
/// come back as the table's own read gives it, field by field, in the same order.
async fn the_case_pages_parts_are_their_own_reads(app: TestApp) {
    use kontosparr::db::{attachments, cases, outbox};
    let w = world(&app);
    app.clock.set(at(2026, 11, 30, 9));
    let id = flow::executed_lock(&app, w.unit, w.doctor, w.nurse, w.handler, "19121212-1212");
    let now = kontosparr::db::ts(app.clock.now());
    let mut conn = app.conn();
    let c = &mut conn;
    for (name, size, by) in [("b.pdf", 2_048, Some(w.doctor)), ("a.jpg", 17, None)] {
        attachments::insert(
            c,
            id,
            name,
            size,
            &format!("sha-{name}"),
            &format!("key-{name}"),
            by,
            now,
        )
        .unwrap();
    }
    outbox::insert(
        c,
        &outbox::NewMessage {
            kind: "notice",
            case_id: Some(id),
            unit_id: Some(w.unit),
            recipient: "",
            encrypted: true,
            message: b"x",
            status: "failed",
            last_error: "ingen mottagare",
        },
        now,
    )
    .unwrap();
    // Every column with a value of its own: attempts and the time sent too.
    {
        use diesel::prelude::*;
        use kontosparr::db::schema::outbox as o;
        diesel::update(o::table.filter(o::kind.eq("notice")))
            .set((o::attempts.eq(3), o::sent_at.eq(Some(now))))
            .execute(c)
            .unwrap();
    }
    // A timeline entry by nobody, with a plain detail (no message), beside the workflow's own.
    cases::add_event(c, id, now, None, "Folkbokföringen", "Anteckning", "fritext").unwrap();
    // A check with a note of its own, sorted before the workflow's (the checklist is by item).
    cases::set_check(c, id, "0-extra", w.nurse, "Sköterska", now, "en notering").unwrap();
    let cases::CaseParts {
        events,
        checks,
        attachments: files,
        deliveries,
    } = cases::parts(c, id).unwrap();
    let own_events = cases::events(c, id).unwrap();
    let own_checks = cases::checks(c, id).unwrap();
    assert!(
        own_events
            .iter()
            .any(|e| e.user_id.is_none() && e.detail_msg.is_none())
            && own_events
                .iter()
                .any(|e| e.user_id.is_some() && e.detail_msg.is_some()),
        "{own_events:?}"
    );
    assert!(
        own_checks.len() >= 2 && own_checks.iter().any(|k| k.note == "en notering"),
        "{own_checks:?}"
    );
    assert_eq!(format!("{events:?}"), format!("{own_events:?}"));
    assert_eq!(format!("{checks:?}"), format!("{own_checks:?}"));
    let own_files = attachments::for_case(c, id).unwrap();
    let own_deliveries = outbox::for_case(c, id).unwrap();
    assert_eq!(files.len(), 2);
    assert!(
        own_deliveries
            .iter()
            .any(|d| d.encrypted && d.attempts == 3 && d.sent_at.is_some()),
        "{own_deliveries:?}"
    );
    assert_eq!(format!("{files:?}"), format!("{own_files:?}"));
    assert_eq!(format!("{deliveries:?}"), format!("{own_deliveries:?}"));
}
