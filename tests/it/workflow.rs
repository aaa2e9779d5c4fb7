//! The case workflow end to end through the web, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{Browser, Resp, TestApp, TestUser};
use kontosparr::domain::Role;

dual!(
    lock_then_unlock_through_the_web,
    only_a_decider_signs_and_unsigned_cannot_be_sent,
    returned_case_is_completed_and_resubmitted,
    another_unit_cannot_see_or_change_a_case,
    two_people_acting_at_once_get_a_clear_conflict,
    diary_numbers_are_gapless_under_concurrency,
    emergency_call_then_form,
    paper_form_is_registered_with_arrival_stamp,
    views_are_logged_and_protected_names_masked,
    bad_input_comes_back_with_everything_typed,
    scanned_form_upload_and_logged_download,
    unlock_form_never_shows_another_units_lock,
    malformed_uploads_are_answered_and_release_their_connections,
    a_clinician_posting_a_handlers_step_is_refused_and_logged,
    a_form_shown_again_with_a_personnummer_is_a_logged_read,
);

const PNR: &str = "19121212-1212";

pub(crate) struct Region {
    pub(crate) unit: i64,
    pub(crate) doctor: TestUser,
    pub(crate) nurse: TestUser,
    pub(crate) handler: TestUser,
}

pub(crate) fn region(app: &TestApp) -> Region {
    let unit = app.unit("PSYK");
    Region {
        unit,
        doctor: app.user_with(&[Role::Clinician], &[unit], true),
        nurse: app.user(&[Role::Clinician], &[unit]),
        handler: app.user(&[Role::Handler], &[]),
    }
}

pub(crate) fn lock_fields(unit: i64, responsible: i64, pnr: &str) -> Vec<(&'static str, String)> {
    vec![
        ("kind", "lock".into()),
        ("unit_id", unit.to_string()),
        ("care_provider", "region".into()),
        ("citizen_pnr", pnr.into()),
        ("citizen_name", "Tolvan Tolvansson".into()),
        ("risk_kinds", "hot".into()),
        ("risk_kinds", "skada".into()),
        ("basis", "security".into()),
        ("situations", "threat".into()),
        (
            "assessment_reasons",
            "Närstående med hotbild läser patientens meddelanden.".into(),
        ),
        (
            "assessment_risks",
            "Risk för våld om bokade tider blir kända.".into(),
        ),
        ("assessment_scope", "Hela inloggningen på 1177.se.".into()),
        ("requested_by", "staff".into()),
        ("journal_note_date", "2026-11-20".into()),
        ("chief_informed_date", "2026-11-20".into()),
        ("chief_informed_whom", "Chefläkare Område 1".into()),
        ("patient_informed_date", "2026-11-21".into()),
        ("journal_sealing", "no".into()),
        ("review_responsible_user_id", responsible.to_string()),
        // Several locks for one citizen: a duplicate is confirmed (kept only when there is one).
        ("duplicate_reason", "Testfall: ny låsning".into()),
    ]
}

fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, x)| (*k, x.as_str())).collect()
}

fn case_id(r: &Resp) -> i64 {
    let loc = r
        .location()
        .unwrap_or_else(|| panic!("no redirect: {} {}", r.status, r.body));
    loc.trim_start_matches("/arenden/").parse().unwrap()
}

fn version(page: &Resp) -> String {
    common::field_value(&page.body, "version").unwrap_or_default()
}

/// POSTs a case action with the case page's token and version.
pub(crate) async fn action(b: &mut Browser, id: i64, name: &str, extra: &[(&str, &str)]) -> Resp {
    let page = b.get(&format!("/arenden/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let (t, v) = (page.csrf(), version(&page));
    let mut f: Vec<(&str, &str)> = vec![("csrf_token", &t), ("version", &v)];
    f.extend_from_slice(extra);
    b.post(&format!("/arenden/{id}/{name}"), &f).await
}

pub(crate) async fn create(b: &mut Browser, fields: &[(&'static str, String)], kind: &str) -> i64 {
    let r = b
        .submit(
            &format!("/arenden/ny?typ={kind}"),
            "/arenden/ny",
            &refs(fields),
        )
        .await;
    case_id(&r)
}

pub(crate) async fn handle_to_execution(b: &mut Browser, id: i64) -> Resp {
    assert_eq!(action(b, id, "ta-emot", &[]).await.status, 303);
    for item in ["register_match", "earlier_cases", "category"] {
        let r = action(b, id, "kontroll", &[("item", item), ("note", "")]).await;
        assert_eq!(r.status, 303, "{item}: {}", r.body);
    }
    assert_eq!(action(b, id, "verifiera", &[]).await.status, 303);
    let r = action(
        b,
        id,
        "verkstall",
        &[("helpdesk_ref", "RÄLS-123"), ("confirmed", "true")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    b.get(&format!("/arenden/{id}")).await
}

async fn lock_then_unlock_through_the_web(app: TestApp) {
    let r = region(&app);
    let mut doc = app.browser();
    app.login(&mut doc, &r.doctor).await;
    let id = create(&mut doc, &lock_fields(r.unit, r.nurse.id, PNR), "lock").await;
    let page = doc.get(&format!("/arenden/{id}")).await;
    assert!(page.body.contains("Utkast") && page.body.contains("Signera beslutet"));
    assert_eq!(action(&mut doc, id, "signera", &[]).await.status, 303);
    assert_eq!(action(&mut doc, id, "skicka", &[]).await.status, 303);
    assert!(
        doc.get(&format!("/arenden/{id}"))
            .await
            .body
            .contains("Inskickad")
    );

    let mut h = app.browser();
    app.login(&mut h, &r.handler).await;
    let queue = h.get("/handlaggning").await;
    assert!(queue.body.contains(&format!("/arenden/{id}\"")));
    let page = h.get(&format!("/arenden/{id}")).await;
    assert!(
        page.body.contains("Tolvan Tolvansson"),
        "register name shown to the handler"
    );
    // Verification needs the checklist.
    assert_eq!(action(&mut h, id, "ta-emot", &[]).await.status, 303);
    let early = action(&mut h, id, "verifiera", &[]).await;
    assert_eq!(early.status, 409);
    assert!(early.body.contains("kontrollpunkter"));
    for item in ["register_match", "earlier_cases", "category"] {
        assert_eq!(
            action(&mut h, id, "kontroll", &[("item", item), ("note", "")])
                .await
                .status,
            303
        );
    }
    assert_eq!(action(&mut h, id, "verifiera", &[]).await.status, 303);
    assert_eq!(
        action(
            &mut h,
            id,
            "verkstall",
            &[("helpdesk_ref", "RÄLS-1"), ("confirmed", "true")]
        )
        .await
        .status,
        303
    );
    let done = h.get(&format!("/arenden/{id}")).await;
    assert!(done.body.contains("KSD 2026-00001"), "{}", done.body);
    assert!(done.body.contains("Verkställd"));
    let diary = h.get("/diarium?ar=2026").await;
    assert!(diary.body.contains("KSD 2026-00001"));
    assert!(
        !diary.body.contains("1212"),
        "the diary has no citizen data"
    );

    // The unlock proposes the lock and refers to its number.
    let mut fields = lock_fields(r.unit, r.nurse.id, PNR);
    fields[0].1 = "unlock".into();
    let uid = create(&mut doc, &fields, "unlock").await;
    let upage = doc.get(&format!("/arenden/{uid}")).await;
    assert!(
        upage.body.contains("KSD 2026-00001"),
        "the earlier lock is proposed: {}",
        upage.body
    );
    assert_eq!(action(&mut doc, uid, "signera", &[]).await.status, 303);
    assert_eq!(action(&mut doc, uid, "skicka", &[]).await.status, 303);
    let done = handle_to_execution(&mut h, uid).await;
    assert!(done.body.contains("KSD 2026-00002"));
    assert!(
        done.body
            .contains("Hänvisning till tidigare ärende KSD 2026-00001")
    );
}

async fn only_a_decider_signs_and_unsigned_cannot_be_sent(app: TestApp) {
    let r = region(&app);
    let mut nurse = app.browser();
    app.login(&mut nurse, &r.nurse).await;
    let id = create(&mut nurse, &lock_fields(r.unit, r.nurse.id, PNR), "lock").await;
    let page = nurse.get(&format!("/arenden/{id}")).await;
    assert!(!page.body.contains("Signera beslutet"));
    let s = action(&mut nurse, id, "signera", &[]).await;
    assert_eq!(s.status, 409);
    assert!(s.body.contains("Bara en beslutsfattare"));
    let send = action(&mut nurse, id, "skicka", &[]).await;
    assert_eq!(send.status, 409);
    assert!(send.body.contains("signeras"));
    // The decider of the unit signs what the nurse prepared; then the nurse can send it.
    let mut doc = app.browser();
    app.login(&mut doc, &r.doctor).await;
    assert_eq!(action(&mut doc, id, "signera", &[]).await.status, 303);
    assert_eq!(action(&mut nurse, id, "skicka", &[]).await.status, 303);
    // An incomplete draft cannot be signed.
    let mut partial = lock_fields(r.unit, r.nurse.id, PNR);
    partial.retain(|(k, _)| *k != "assessment_scope");
    let pid = create(&mut doc, &partial, "lock").await;
    let p = doc.get(&format!("/arenden/{pid}")).await;
    assert!(p.body.contains("saknas"));
    assert_eq!(action(&mut doc, pid, "signera", &[]).await.status, 409);
}

async fn returned_case_is_completed_and_resubmitted(app: TestApp) {
    let r = region(&app);
    let mut doc = app.browser();
    app.login(&mut doc, &r.doctor).await;
    let id = create(&mut doc, &lock_fields(r.unit, r.nurse.id, PNR), "lock").await;
    action(&mut doc, id, "signera", &[]).await;
    action(&mut doc, id, "skicka", &[]).await;
    let mut h = app.browser();
    app.login(&mut h, &r.handler).await;
    let empty = action(&mut h, id, "retur", &[("reason", "  ")]).await;
    assert_eq!(empty.status, 409, "a reason is required");
    assert_eq!(
        action(
            &mut h,
            id,
            "retur",
            &[(
                "reason",
                "Datum för information till chefläkare saknas på blanketten."
            )]
        )
        .await
        .status,
        303
    );
    let page = doc.get(&format!("/arenden/{id}")).await;
    assert!(
        page.body.contains("Returnerat för komplettering")
            && page.body.contains("Datum för information till chefläkare")
    );
    // Editing removes the signature; the decider signs again and resubmits.
    let edit = doc.get(&format!("/arenden/{id}/andra")).await;
    let mut fields = lock_fields(r.unit, r.nurse.id, PNR);
    fields.push(("version", version(&edit)));
    fields[15].1 = "Chefläkare Område 2".into();
    let mut f = refs(&fields);
    let token = edit.csrf();
    f.push(("csrf_token", &token));
    let saved = doc.post(&format!("/arenden/{id}/andra"), &f).await;
    assert_eq!(
        saved.status,
        303,
        "{}",
        saved
            .body
            .split("<ul>")
            .nth(1)
            .unwrap_or("")
            .split("</ul>")
            .next()
            .unwrap_or("")
    );
    assert!(
        doc.get(&format!("/arenden/{id}"))
            .await
            .body
            .contains("Inte signerat")
    );
    assert_eq!(action(&mut doc, id, "skicka", &[]).await.status, 409);
    assert_eq!(action(&mut doc, id, "signera", &[]).await.status, 303);
    assert_eq!(action(&mut doc, id, "skicka", &[]).await.status, 303);
    let after = h.get(&format!("/arenden/{id}")).await;
    assert!(after.body.contains("Inskickad") && after.body.contains("Skickade in ärendet på nytt"));
    assert!(
        h.get("/handlaggning")
            .await
            .body
            .contains(&format!("/arenden/{id}\""))
    );
}

async fn another_unit_cannot_see_or_change_a_case(app: TestApp) {
    let r = region(&app);
    let other_unit = app.unit("BUP");
    let outsider = app.user_with(&[Role::Clinician, Role::Manager], &[other_unit], true);
    let mut doc = app.browser();
    app.login(&mut doc, &r.doctor).await;
    let id = create(&mut doc, &lock_fields(r.unit, r.nurse.id, PNR), "lock").await;
    let mut o = app.browser();
    app.login(&mut o, &outsider).await;
    assert_eq!(o.get(&format!("/arenden/{id}")).await.status, 403);
    assert_eq!(o.get(&format!("/arenden/{id}/andra")).await.status, 403);
    let token = o.get("/arenden").await.csrf();
    for a in ["signera", "skicka", "aterkalla", "andra", "visa-namn"] {
        let r = o
            .post(
                &format!("/arenden/{id}/{a}"),
                &[("csrf_token", &token), ("version", "1"), ("reason", "x")],
            )
            .await;
        assert_eq!(r.status, 403, "{a}");
    }
    // A tampered unit field in a new case is refused too.
    let fields = lock_fields(r.unit, outsider.id, "19570428-9999");
    let mut f = refs(&fields);
    f.push(("csrf_token", &token));
    assert_eq!(o.post("/arenden/ny", &f).await.status, 403);
    // The list shows nothing of the other unit; the auditor and admin see no cases at all.
    assert!(
        !o.get("/arenden")
            .await
            .body
            .contains(&format!("/arenden/{id}\""))
    );
    let auditor = app.user(&[Role::Auditor], &[]);
    let mut a = app.browser();
    app.login(&mut a, &auditor).await;
    assert_eq!(a.get(&format!("/arenden/{id}")).await.status, 403);
    assert_eq!(a.get("/arenden").await.status, 403);
    // Every refusal is logged, by whom: the outsider's two pages, five actions and the tampered
    // unit of a new case; the auditor's look at the case and at the case list.
    let denied: Vec<(Option<String>, Option<String>)> = {
        use diesel::prelude::*;
        use kontosparr::db::schema::access_log::dsl::*;
        access_log
            .filter(action.eq("access_denied"))
            .order(id.asc())
            .select((user_hsa_id, detail))
            .load(&mut app.conn() as &mut kontosparr::db::DbConnection)
            .unwrap()
    };
    let reasons: Vec<String> = denied
        .iter()
        .map(|(_, d)| refusal_code(d.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        reasons,
        [vec!["other_unit"; 8], vec!["role"; 2]].concat(),
        "{denied:?}"
    );
    let denied: Vec<Option<String>> = denied.into_iter().map(|(u, _)| u).collect();
    let mut expected = vec![Some(outsider.hsa_id.clone()); 8];
    expected.extend(vec![Some(auditor.hsa_id.clone()); 2]);
    assert_eq!(denied, expected, "attempts are logged");
}

async fn two_people_acting_at_once_get_a_clear_conflict(app: TestApp) {
    let r = region(&app);
    let other_handler = app.user(&[Role::Handler], &[]);
    let mut doc = app.browser();
    app.login(&mut doc, &r.doctor).await;
    let id = create(&mut doc, &lock_fields(r.unit, r.nurse.id, PNR), "lock").await;
    action(&mut doc, id, "signera", &[]).await;
    action(&mut doc, id, "skicka", &[]).await;
    let mut h1 = app.browser();
    app.login(&mut h1, &r.handler).await;
    let mut h2 = app.browser();
    app.login(&mut h2, &other_handler).await;
    let p1 = h1.get(&format!("/arenden/{id}")).await;
    let p2 = h2.get(&format!("/arenden/{id}")).await;
    let r1 = h1
        .post(
            &format!("/arenden/{id}/ta-emot"),
            &[("csrf_token", &p1.csrf()), ("version", &version(&p1))],
        )
        .await;
    assert_eq!(r1.status, 303);
    let r2 = h2
        .post(
            &format!("/arenden/{id}/retur"),
            &[
                ("csrf_token", &p2.csrf()),
                ("version", &version(&p2)),
                ("reason", "Fel"),
            ],
        )
        .await;
    assert_eq!(r2.status, 409);
    assert!(
        r2.body.contains("Ärendet har ändrats av någon annan"),
        "{}",
        r2.body
    );
    assert!(r2.body.contains("Tog emot ärendet"), "says what changed");
    assert!(
        h1.get(&format!("/arenden/{id}"))
            .await
            .body
            .contains("Mottagen")
    );
}

async fn diary_numbers_are_gapless_under_concurrency(app: TestApp) {
    use kontosparr::service::cases::{CallInput, register_call};
    let r = region(&app);
    let actor = kontosparr::service::session::load_holder(&mut app.conn(), r.handler.id)
        .unwrap()
        .staff()
        .cloned()
        .unwrap();
    let threads: Vec<_> = (0..50)
        .map(|i| {
            let pool = app.pool.clone();
            let ctx = kontosparr::service::Ctx {
                now: chrono::Utc::now(),
                client_addr: "t".into(),
                principal: kontosparr::service::Principal::Staff(actor.clone()),
            };
            let input = CallInput {
                caller_name: format!("Sköterska {i}"),
                caller_phone: "010-123".into(),
                caller_email: "sara.sjukskoterska@example.se".into(),
                unit_id: r.unit.to_string(),
                citizen_pnr: PNR.into(),
                citizen_name: "Tolvan".into(),
                citizen_protected: false,
                requested_by: "staff".into(),
                helpdesk_ref: format!("RÄLS-{i}"),
                category_chosen: true,
                // The same citizen 50 times: each call after the first is a confirmed duplicate.
                duplicate_reason: "Samtidighetstest".into(),
            };
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                let wf = kontosparr::service::cases::Workflow {
                    diary_prefix: "KSD".into(),
                    mail_from: "k@example.se".into(),
                    public_url: "http://x".into(),
                    journal_note_max_age_days: 30,
                    require_helpdesk_ref: true,
                };
                register_call(&mut conn, &ctx, &input, &wf).unwrap().1
            })
        })
        .collect();
    let mut numbers: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    numbers.sort();
    let year = chrono::Utc::now().format("%Y").to_string();
    let want: Vec<String> = (1..=50).map(|n| format!("KSD {year}-{n:05}")).collect();
    assert_eq!(numbers, want);
    assert_eq!(
        kontosparr::db::audit::verify(&mut app.conn())
            .unwrap()
            .broken,
        None
    );
}

async fn emergency_call_then_form(app: TestApp) {
    let r = region(&app);
    let mut h = app.browser();
    app.login(&mut h, &r.handler).await;
    let unit = r.unit.to_string();
    let bad = h
        .submit(
            "/nodtelefon",
            "/nodtelefon",
            &[
                ("caller_name", "Sara Sjö"),
                ("citizen_pnr", "19121212-1213"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("value=\"Sara Sjö\"") && bad.body.contains("id=\"citizen_pnr-error\"")
    );
    let res = h
        .submit(
            "/nodtelefon",
            "/nodtelefon",
            &[
                ("caller_name", "Sara Sjö, sjuksköterska"),
                ("caller_phone", "010-441 00 00"),
                ("caller_email", "sara@example.se"),
                ("unit_id", &unit),
                ("citizen_pnr", PNR),
                ("citizen_name", "Tolvan Tolvansson"),
                ("requested_by", "citizen"),
                ("category_chosen", "true"),
                ("helpdesk_ref", "RÄLS-7"),
            ],
        )
        .await;
    let id = case_id(&res);
    let page = h.get(&format!("/arenden/{id}")).await;
    assert!(page.body.contains("Låst – väntar på blankett"));
    assert!(page.body.contains("av invånaren"));
    assert!(page.body.contains("KSD 2026-00001"));
    assert!(
        h.get("/handlaggning")
            .await
            .body
            .contains(&format!("/arenden/{id}\""))
    );
    let form = h.get(&format!("/arenden/{id}/blankett")).await;
    assert_eq!(form.status, 200);
    let mut fields = lock_fields(r.unit, r.nurse.id, PNR);
    fields.push(("arrival_date", "2026-11-22".into()));
    fields.extend([
        ("decider_name", "Dr Doris Beslut".to_string()),
        ("decider_role", "Verksamhetschef".to_string()),
        ("decided_on", "2026-11-21".to_string()),
    ]);
    fields.push(("version", version(&form)));
    let token = form.csrf();
    let mut f = refs(&fields);
    f.push(("csrf_token", &token));
    let linked = h.post(&format!("/arenden/{id}/blankett"), &f).await;
    assert_eq!(linked.status, 303, "{}", linked.body);
    let page = h.get(&format!("/arenden/{id}")).await;
    assert!(
        page.body.contains("Verkställd")
            && page.body.contains("Kopplade den skriftliga blanketten")
    );
}

async fn paper_form_is_registered_with_arrival_stamp(app: TestApp) {
    let r = region(&app);
    let mut h = app.browser();
    app.login(&mut h, &r.handler).await;
    let mut fields = lock_fields(r.unit, r.nurse.id, PNR);
    fields.extend([
        ("arrival_date", "2026-11-21".to_string()),
        ("decider_name", "Dr Doris Beslut".to_string()),
        ("decider_role", "Verksamhetschef".to_string()),
        ("decided_on", "2026-11-21".to_string()),
    ]);
    let res = h.submit("/blankett", "/blankett", &refs(&fields)).await;
    let id = case_id(&res);
    let page = h.get(&format!("/arenden/{id}")).await;
    assert!(page.body.contains("Mottagen") && page.body.contains("Ankomststämplad 2026-11-21"));
    // Paper forms need the certification check (item 3) before verification.
    for item in ["register_match", "earlier_cases", "category"] {
        action(&mut h, id, "kontroll", &[("item", item), ("note", "")]).await;
    }
    assert_eq!(action(&mut h, id, "verifiera", &[]).await.status, 409);
    action(
        &mut h,
        id,
        "kontroll",
        &[("item", "certified"), ("note", "")],
    )
    .await;
    assert_eq!(action(&mut h, id, "verifiera", &[]).await.status, 303);
}

async fn views_are_logged_and_protected_names_masked(app: TestApp) {
    let r = region(&app);
    let mut doc = app.browser();
    app.login(&mut doc, &r.doctor).await;
    let mut fields = lock_fields(r.unit, r.nurse.id, "20000405-9937");
    fields[4].1 = "Cecilia Hemlig".into();
    fields.push(("citizen_protected", "true".into()));
    let id = create(&mut doc, &fields, "lock").await;
    let page = doc.get(&format!("/arenden/{id}")).await;
    assert!(!page.body.contains("Cecilia Hemlig"));
    assert!(page.body.contains("*****"));
    assert!(
        page.body.contains("20000405-9937"),
        "the personnummer is always shown"
    );
    let list = doc.get("/arenden").await;
    assert!(!list.body.contains("Cecilia Hemlig"));
    // Visa namnet: POST → redirect → GET; the reveal is logged once, a reload does not re-post.
    let posted = doc
        .post(
            &format!("/arenden/{id}/visa-namn"),
            &[("csrf_token", &page.csrf())],
        )
        .await;
    assert_eq!(posted.status, 303);
    let target = posted.location().unwrap().to_string();
    assert_eq!(target, format!("/arenden/{id}?avslojat=1"));
    let shown = doc.get(&target).await;
    assert!(shown.body.contains("Cecilia Hemlig"));
    let reloaded = doc.get(&target).await;
    assert!(reloaded.body.contains("Cecilia Hemlig"));
    let reveals = kontosparr::db::audit::latest(&mut app.conn(), 50, 0)
        .unwrap()
        .iter()
        .filter(|e| e.action == "case_reveal_name")
        .count();
    assert_eq!(reveals, 1, "one reveal, however often the page is loaded");
    // Without a reveal of one's own, the query shows nothing.
    let mut other = app.browser();
    let colleague = app.user(&[Role::Clinician], &[r.unit]);
    app.login(&mut other, &colleague).await;
    assert!(!other.get(&target).await.body.contains("Cecilia Hemlig"));
    let log = kontosparr::db::audit::latest(&mut app.conn(), 50, 0).unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "case_view" && e.personnummer.as_deref() == Some("200004059937"))
    );
    assert!(
        log.iter()
            .any(|e| e.action == "case_reveal_name" && e.unit_code.as_deref() == Some("PSYK"))
    );
    // A citizen the form did not mark, but the register does, is masked once a handler opens it.
    let mut plain = lock_fields(r.unit, r.nurse.id, "20210791-9967");
    plain[4].1 = "Hanna Registrerad".into();
    let hid = create(&mut doc, &plain, "lock").await;
    assert!(doc.get("/arenden").await.body.contains("Hanna Registrerad"));
    let mut h0 = app.browser();
    app.login(&mut h0, &r.handler).await;
    assert!(
        !h0.get(&format!("/arenden/{hid}"))
            .await
            .body
            .contains("Hanna Registrerad")
    );
    assert!(!doc.get("/arenden").await.body.contains("Hanna Registrerad"));
    // The handler's search by personnummer is logged, and the number is never in a URL.
    let mut h = app.browser();
    app.login(&mut h, &r.handler).await;
    let res = h.submit("/sok", "/sok", &[("pnr", "200004059937")]).await;
    assert_eq!(res.status, 200);
    // The case is still the unit's draft: handlers do not see other units' drafts in lists or
    // search results.
    assert!(!res.body.contains(&format!("/arenden/{id}\"")));
    let log = kontosparr::db::audit::latest(&mut app.conn(), 5, 0).unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "citizen_search"
                && e.personnummer.as_deref() == Some("200004059937"))
    );
}

async fn bad_input_comes_back_with_everything_typed(app: TestApp) {
    let r = region(&app);
    let mut doc = app.browser();
    app.login(&mut doc, &r.doctor).await;
    let mut fields = lock_fields(r.unit, r.nurse.id, "19121212-1213");
    fields.push(("journal_note_date", "2099-01-01".into()));
    fields.retain(|(k, v)| !(*k == "journal_note_date" && v == "2026-11-20"));
    let res = doc
        .submit("/arenden/ny", "/arenden/ny", &refs(&fields))
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Det finns fel i formuläret"));
    assert!(res.body.contains("id=\"citizen_pnr-error\"") && res.body.contains("kontrollsiffran"));
    assert!(res.body.contains("id=\"journal_note_date-error\""));
    assert!(res.body.contains("value=\"19121212-1213\""));
    assert!(
        res.body
            .contains("Närstående med hotbild läser patientens meddelanden.")
    );
    assert!(
        res.body
            .contains("id=\"risk_kinds-hot\" name=\"risk_kinds\" value=\"hot\" checked")
    );
    // Too long a text is refused on the server.
    let mut long = lock_fields(r.unit, r.nurse.id, PNR);
    long[9].1 = "x".repeat(4001);
    let res = doc.submit("/arenden/ny", "/arenden/ny", &refs(&long)).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("högst 4000 tecken"));
}

async fn scanned_form_upload_and_logged_download(app: TestApp) {
    let r = region(&app);
    let mut h = app.browser();
    app.login(&mut h, &r.handler).await;
    let mut fields = lock_fields(r.unit, r.nurse.id, PNR);
    fields.extend([
        ("arrival_date", "2026-11-21".to_string()),
        ("decider_name", "Dr Doris Beslut".to_string()),
        ("decider_role", "Verksamhetschef".to_string()),
        ("decided_on", "2026-11-21".to_string()),
    ]);
    let id = case_id(&h.submit("/blankett", "/blankett", &refs(&fields)).await);
    let page = h.get(&format!("/arenden/{id}")).await;
    let token = page.csrf();
    let path = format!("/arenden/{id}/bilagor");
    // Not a PDF, whatever the name says.
    let fake = h
        .post_file(
            &path,
            &[("csrf_token", &token)],
            ("file", "blankett.pdf", b"MZ\x90 this is an exe"),
        )
        .await;
    assert_eq!(fake.status, 409);
    assert!(fake.body.contains("inte en PDF"));
    // No CSRF token: refused.
    let pdf: &[u8] = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
    assert_eq!(
        h.post_file(&path, &[], ("file", "blankett.pdf", pdf))
            .await
            .status,
        403
    );
    let ok = h
        .post_file(
            &path,
            &[("csrf_token", &token)],
            ("file", "../../skannad blankett.pdf", pdf),
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let page = h.get(&format!("/arenden/{id}")).await;
    // Stored under the case's own name, never the uploaded one.
    assert!(page.body.contains("blankett-1.pdf"));
    assert!(!page.body.contains("skannad blankett.pdf"));
    let start = page.body.find(&format!("/arenden/{id}/bilagor/")).unwrap();
    let end = start + page.body[start..].find('"').unwrap();
    let link = page.body[start..end].to_string();
    let file = h.get(&link).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.header("content-type"), Some("application/pdf"));
    assert!(file.body.starts_with("%PDF-1.4"));
    let log = app.audit_actions();
    assert!(
        log.contains(&"attachment_added".to_string())
            && log.contains(&"attachment_download".to_string())
    );
    // Another unit's clinician cannot download it.
    let other = app.unit("ANNAN");
    let outsider = app.user(&[Role::Clinician], &[other]);
    let mut o = app.browser();
    app.login(&mut o, &outsider).await;
    assert_eq!(o.get(&link).await.status, 403);
    // Too large is refused on the server.
    let mut big = pdf.to_vec();
    big.extend(std::iter::repeat_n(b' ', 11 * 1024 * 1024));
    let r = h
        .post_file(&path, &[("csrf_token", &token)], ("file", "stor.pdf", &big))
        .await;
    assert_eq!(r.status, 413);
}

/// The log rows of one action naming one personnummer, with the user who caused them.
fn logged(app: &TestApp, what: &str, pnr_digits: &str) -> Vec<Option<String>> {
    use diesel::prelude::*;
    use kontosparr::db::schema::access_log::dsl::*;
    access_log
        .filter(action.eq(what))
        .filter(personnummer.eq(pnr_digits))
        .order(id.asc())
        .select(user_hsa_id)
        .load(&mut app.conn() as &mut kontosparr::db::DbConnection)
        .unwrap()
}

/// Issue 14's leak: the unlock form re-rendered for any typed personnummer listed that citizen's
/// locks from every unit, with diary numbers, and logged nothing.
async fn unlock_form_never_shows_another_units_lock(app: TestApp) {
    let r = region(&app);
    let lock =
        common::flow::executed_lock(&app, r.unit, r.doctor.id, r.nurse.id, r.handler.id, PNR);
    let diary = kontosparr::db::cases::get(&mut app.conn(), lock)
        .unwrap()
        .unwrap()
        .diary_number
        .unwrap();
    let other = app.unit("MAJ");
    let outsider = app.user_with(&[Role::Clinician, Role::Manager], &[other], true);
    let mut o = app.browser();
    app.login(&mut o, &outsider).await;

    // An unlock with a field missing comes back with the form: no lock of the other unit, by
    // diary number, by case id or by date.
    let mut fields = lock_fields(other, outsider.id, PNR);
    fields[0].1 = "unlock".into();
    fields.retain(|(k, _)| *k != "journal_note_date");
    let mut bad = refs(&fields);
    let token = o.get("/arenden/ny?typ=unlock").await.csrf();
    bad.push(("csrf_token", &token));
    bad.push(("journal_note_date", "igår"));
    let page = o.post("/arenden/ny", &bad).await;
    assert_eq!(page.status, 422, "{}", page.body);
    let year_seq = diary.rsplit(' ').next().unwrap();
    for shown in [
        diary.as_str(),
        year_seq,
        &format!("name=\"related_case_id\" value=\"{lock}\""),
        &format!("value=\"{lock}\""),
    ] {
        assert!(
            !page.body.contains(shown),
            "another unit's lock shown ({shown}): {}",
            page.body
        );
    }
    // The lookup of the personnummer is a logged read, even though it found nothing to show.
    assert_eq!(
        logged(&app, "unlock_form_locks", "191212121212"),
        vec![Some(outsider.hsa_id.clone())]
    );

    // Naming the lock by its id is refused as a field error, and does not reveal it either.
    let mut named = refs(&fields);
    let lock_id = lock.to_string();
    named.push(("related_case_id", &lock_id));
    named.push(("journal_note_date", "2026-11-20"));
    let token = o.get("/arenden/ny?typ=unlock").await.csrf();
    named.push(("csrf_token", &token));
    let refused = o.post("/arenden/ny", &named).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Välj en av invånarens verkställda låsningar.")
    );
    assert!(!refused.body.contains(diary.as_str()));

    // A complete unlock of the other unit is filed without a reference to the lock it cannot see.
    let mut full = refs(&fields);
    full.push(("journal_note_date", "2026-11-20"));
    let token = o.get("/arenden/ny?typ=unlock").await.csrf();
    full.push(("csrf_token", &token));
    let created = o.post("/arenden/ny", &full).await;
    let uid = case_id(&created);
    let row = kontosparr::db::cases::get(&mut app.conn(), uid)
        .unwrap()
        .unwrap();
    assert_eq!(row.related_case_id, None);
    assert!(
        !o.get(&format!("/arenden/{uid}"))
            .await
            .body
            .contains(diary.as_str())
    );

    // The lock's own unit is proposed its lock, and that too is logged.
    let mut doc = app.browser();
    app.login(&mut doc, &r.doctor).await;
    let mut own = lock_fields(r.unit, r.nurse.id, PNR);
    own[0].1 = "unlock".into();
    own.retain(|(k, _)| *k != "journal_note_date");
    let mut f = refs(&own);
    let token = doc.get("/arenden/ny?typ=unlock").await.csrf();
    f.push(("csrf_token", &token));
    f.push(("journal_note_date", "igår"));
    let page = doc.post("/arenden/ny", &f).await;
    assert!(page.body.contains(diary.as_str()), "{}", page.body);
    assert_eq!(
        logged(&app, "unlock_form_locks", "191212121212"),
        vec![
            Some(outsider.hsa_id.clone()),
            // The refused reference re-rendered the form: another logged lookup.
            Some(outsider.hsa_id.clone()),
            Some(r.doctor.hsa_id.clone())
        ]
    );
}

/// Open file descriptors of this process (the in-process server's sockets among them).
fn open_files() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Issue 14: a multipart upload holding only the CSRF part, without its closing boundary, was
/// never answered and its connection never released; a few hundred of them exhausted the open
/// files of the server.
async fn malformed_uploads_are_answered_and_release_their_connections(app: TestApp) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let auditor = app.user(&[Role::Auditor], &[]);
    let mut a = app.browser();
    app.login(&mut a, &auditor).await;
    let token = a.get("/diarium").await.csrf();
    assert!(!token.is_empty());
    let cookie = a.cookie.clone().unwrap();
    let addr = app.base.trim_start_matches("http://").to_string();
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
    );
    let request = format!(
        "POST /arenden/1/bilagor HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let before = open_files();
    let mut statuses = std::collections::BTreeMap::<String, usize>::new();
    for round in 0..4 {
        let mut open = Vec::new();
        for _ in 0..50 {
            let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
            s.write_all(request.as_bytes()).await.unwrap();
            open.push(s);
        }
        for mut s in open {
            let mut buf = vec![0u8; 512];
            let n = tokio::time::timeout(std::time::Duration::from_secs(15), s.read(&mut buf))
                .await
                .unwrap_or_else(|_| panic!("round {round}: a malformed upload got no answer"))
                .unwrap();
            let head = String::from_utf8_lossy(&buf[..n]);
            let status = head.split(' ').nth(1).unwrap_or("none").to_string();
            *statuses.entry(status).or_default() += 1;
        }
    }
    assert_eq!(
        statuses,
        [("400".to_string(), 200)].into_iter().collect(),
        "every malformed upload is refused as a bad request"
    );
    // The server lets go of every connection once the clients have gone.
    let mut after = open_files();
    for _ in 0..50 {
        if after <= before + 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        after = open_files();
    }
    assert!(
        after <= before + 2,
        "open files {before} before, {after} after 200 malformed uploads"
    );
    // And it still answers.
    assert_eq!(a.get("/diarium").await.status, 200);
}

/// Issue 14: a clinician posting a handler's action got 409 and no log row. A step the role may
/// not take at all is a refusal (403, logged with its reason); the case is untouched.
async fn a_clinician_posting_a_handlers_step_is_refused_and_logged(app: TestApp) {
    let r = region(&app);
    let mut doc = app.browser();
    app.login(&mut doc, &r.doctor).await;
    let id = create(&mut doc, &lock_fields(r.unit, r.nurse.id, PNR), "lock").await;
    assert_eq!(action(&mut doc, id, "signera", &[]).await.status, 303);
    assert_eq!(action(&mut doc, id, "skicka", &[]).await.status, 303);
    for step in ["ta-emot", "retur", "verifiera", "verkstall"] {
        let before = denied_reasons(&app);
        let refused = action(&mut doc, id, step, &[("reason", "x")]).await;
        assert_eq!(refused.status, 403, "{step}: {}", refused.body);
        assert!(refused.body.contains("Försöket har loggats"));
        let after = denied_reasons(&app);
        assert_eq!(after.len(), before.len() + 1, "{step} is logged once");
        assert_eq!(
            after.last().map(|(u, d)| (u.clone(), d.clone())),
            Some((Some(r.doctor.hsa_id.clone()), "role".to_string()))
        );
    }
    let row = kontosparr::db::cases::get(&mut app.conn(), id)
        .unwrap()
        .unwrap();
    assert_eq!(row.status, kontosparr::domain::case::Status::Submitted);
}

fn denied_reasons(app: &TestApp) -> Vec<(Option<String>, String)> {
    use diesel::prelude::*;
    use kontosparr::db::schema::access_log::dsl::*;
    access_log
        .filter(action.eq("access_denied"))
        .order(id.asc())
        .select((user_hsa_id, detail))
        .load::<(Option<String>, Option<String>)>(
            &mut app.conn() as &mut kontosparr::db::DbConnection
        )
        .unwrap()
        .into_iter()
        .map(|(u, d)| (u, refusal_code(&d.unwrap_or_default())))
        .collect()
}

/// A refusal's code, from its detail as an auditor reads it: `view_case unit:3; other_unit
/// (gäller en annan enhet)`.
fn refusal_code(stored: &str) -> String {
    let shown = kontosparr::messages::log::log_detail(kontosparr::i18n::Lang::Sv, stored);
    let last = shown.rsplit("; ").next().unwrap_or("");
    last.split(" (").next().unwrap_or("").to_string()
}

/// A form that comes back with a personnummer in it (an error re-render) shows that citizen:
/// the read is in the access log, by whom.
async fn a_form_shown_again_with_a_personnummer_is_a_logged_read(app: TestApp) {
    let r = region(&app);
    let mut doc = app.browser();
    app.login(&mut doc, &r.doctor).await;
    let mut fields = lock_fields(r.unit, r.nurse.id, PNR);
    fields.retain(|(k, _)| *k != "journal_note_date");
    let mut f = refs(&fields);
    let token = doc.get("/arenden/ny").await.csrf();
    f.push(("csrf_token", &token));
    f.push(("journal_note_date", "igår"));
    let page = doc.post("/arenden/ny", &f).await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("19121212-1212"));
    assert_eq!(
        logged(&app, "case_form_view", "191212121212"),
        vec![Some(r.doctor.hsa_id.clone())]
    );
}
