//! Rules of instruction 002 the system holds, not just records (issue 13): the register check,
//! the journal note's date and sealing answer, decider roles, providers, the chefläkare's view,
//! the phone category, the diary, the unit certificate and the manager, and small things.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{self, Browser, Resp, TestApp, flow};
use kontosparr::domain::Role;
use kontosparr::service::ServiceError;
use kontosparr::service::admin;
use kontosparr::service::cases::{self, CallInput, Workflow};

dual!(
    register_check_is_compared_by_the_system,
    journal_note_date_and_sealing_answer,
    decider_role_comes_from_the_case_unit,
    api_and_paper_deciders_are_validated,
    providers_decide_checks_six_and_seven,
    chief_physician_sees_sent_locks_only,
    phone_cases_record_the_category,
    diary_has_dates_references_pages_and_a_print_view,
    unit_certificate_follows_the_manager,
    small_things,
);

const TOLVAN: &str = "19121212-1212";
/// A valid personnummer the population register does not know.
const UNKNOWN: &str = "19800101-0027";

fn version(page: &Resp) -> String {
    common::field_value(&page.body, "version").unwrap_or_default()
}

async fn action(b: &mut Browser, id: i64, name: &str, extra: &[(&str, &str)]) -> Resp {
    let page = b.get(&format!("/arenden/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let (t, v) = (page.csrf(), version(&page));
    let mut f: Vec<(&str, &str)> = vec![("csrf_token", &t), ("version", &v)];
    f.extend_from_slice(extra);
    b.post(&format!("/arenden/{id}/{name}"), &f).await
}

fn ver(app: &TestApp, id: i64) -> i32 {
    kontosparr::db::cases::get(&mut app.conn(), id)
        .unwrap()
        .unwrap()
        .version
}

/// A lock of `name`/`pnr` signed, sent and received by the handler; returns its id.
fn received(app: &TestApp, unit: i64, decider: i64, handler: i64, pnr: &str, name: &str) -> i64 {
    let (d, h) = (flow::ctx(app, decider), flow::ctx(app, handler));
    let wf = Workflow::from_config(&app.state.config);
    let mut input = flow::lock_input(unit, decider, pnr);
    input.citizen_name = name.into();
    let c = &mut app.conn();
    let id = cases::create_draft(c, &d, &input, &wf).unwrap();
    cases::sign(c, &d, id, ver(app, id), &wf).unwrap();
    cases::submit(c, &d, id, ver(app, id)).unwrap();
    cases::receive(c, &h, id, ver(app, id)).unwrap();
    id
}

async fn register_check_is_compared_by_the_system(app: TestApp) {
    let unit = app.unit("PSYK");
    let doctor = app.user_with(&[Role::Clinician], &[unit], true);
    let handler = app.user(&[Role::Handler], &[]);
    let mut h = app.browser();
    app.login(&mut h, &handler).await;
    // Exact: ticked without a note.
    let exact = received(
        &app,
        unit,
        doctor.id,
        handler.id,
        TOLVAN,
        "Tolvan Tolvansson",
    );
    let page = h.get(&format!("/arenden/{exact}")).await;
    assert!(
        page.body
            .contains("Namnet på blanketten stämmer med folkbokföringen.")
    );
    let r = action(
        &mut h,
        exact,
        "kontroll",
        &[("item", "register_match"), ("note", "")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Close (case and a missing middle name): the difference is shown; a note is required.
    let close = received(
        &app,
        unit,
        doctor.id,
        handler.id,
        TOLVAN,
        "tolvan tolvansson",
    );
    let page = h.get(&format!("/arenden/{close}")).await;
    assert!(page.body.contains("skiljer sig något"), "{}", page.body);
    assert!(page.body.contains("stora och små bokstäver skiljer sig"));
    let r = action(
        &mut h,
        close,
        "kontroll",
        &[("item", "register_match"), ("note", "")],
    )
    .await;
    assert_eq!(r.status, 409, "refused without a note: {}", r.body);
    assert!(r.body.contains("id=\"note-register_match-error\""));
    assert!(r.body.contains("Bekräfta i anteckningen"));
    let r = action(
        &mut h,
        close,
        "kontroll",
        &[
            ("item", "register_match"),
            ("note", "Samma person, stavning"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let checks = kontosparr::db::cases::checks(&mut app.conn(), close).unwrap();
    assert!(checks.iter().any(|c| c.item == "register_match"
        && c.note.contains("skiljer sig något")
        && c.note.contains("Samma person")));
    // Not in the register: blocked until the handler records why.
    let unknown = received(&app, unit, doctor.id, handler.id, UNKNOWN, "Okänd Person");
    let page = h.get(&format!("/arenden/{unknown}")).await;
    assert!(page.body.contains("finns inte i folkbokföringen"));
    let r = action(
        &mut h,
        unknown,
        "kontroll",
        &[("item", "register_match"), ("note", "")],
    )
    .await;
    assert!(
        r.body
            .contains("Personnumret finns inte i folkbokföringen. Skriv i anteckningen")
    );
    let checks = kontosparr::db::cases::checks(&mut app.conn(), unknown).unwrap();
    assert!(
        checks.iter().all(|c| c.item != "register_match"),
        "not ticked"
    );
    // A different name is not ticked without a note either.
    let other = received(&app, unit, doctor.id, handler.id, TOLVAN, "Elva Elvasson");
    let r = action(
        &mut h,
        other,
        "kontroll",
        &[("item", "register_match"), ("note", "")],
    )
    .await;
    assert!(r.body.contains("stämmer inte med folkbokföringen"));
}

async fn journal_note_date_and_sealing_answer(app: TestApp) {
    let unit = app.unit("PSYK");
    let doctor = app.user_with(&[Role::Clinician], &[unit], true);
    let d = flow::ctx(&app, doctor.id);
    let wf = Workflow::from_config(&app.state.config);
    // The example: a note of 2 January for a decision made on 23 November.
    let mut input = flow::lock_input(unit, doctor.id, TOLVAN);
    input.journal_note_date = "2026-01-02".into();
    let r = cases::create_draft(&mut app.conn(), &d, &input, &wf);
    let Err(ServiceError::Invalid(e)) = r else {
        panic!("an old note is refused: {r:?}")
    };
    assert!(e.get("journal_note_date").is_some_and(|m| {
        m.in_lang(kontosparr::i18n::Lang::Sv)
            .contains("mer än 30 dagar äldre än beslutet")
    }));
    // With a reason it is accepted, and signing is allowed.
    input.journal_note_reason = "Bedömningen är oförändrad sedan januari.".into();
    let id = cases::create_draft(&mut app.conn(), &d, &input, &wf).unwrap();
    cases::sign(&mut app.conn(), &d, id, ver(&app, id), &wf).unwrap();
    // The setting decides the window.
    let mut strict = wf.clone();
    strict.journal_note_max_age_days = 1;
    let mut recent = flow::lock_input(unit, doctor.id, TOLVAN);
    recent.journal_note_date = "2026-11-20".into();
    assert!(matches!(
        cases::create_draft(&mut app.conn(), &d, &recent, &strict),
        Err(ServiceError::Invalid(_))
    ));
    // Sealing unanswered: saved as a draft, but missing, never shown as "no".
    let mut unanswered = flow::lock_input(unit, doctor.id, TOLVAN);
    unanswered.journal_sealing = String::new();
    let id = cases::create_draft(&mut app.conn(), &d, &unanswered, &wf).unwrap();
    let row = kontosparr::db::cases::get(&mut app.conn(), id)
        .unwrap()
        .unwrap();
    assert!(!row.journal_sealing_answered);
    assert!(cases::missing_fields(&row).get("journal_sealing").is_some());
    let r = cases::sign(&mut app.conn(), &d, id, ver(&app, id), &wf);
    assert!(matches!(r, Err(ServiceError::Refused(_))), "{r:?}");
    let mut b = app.browser();
    app.login(&mut b, &doctor).await;
    let edit = b.get(&format!("/arenden/{id}/andra")).await;
    assert!(
        !edit.body.contains("value=\"no\" checked"),
        "no default answer"
    );
    let page = b.get(&format!("/arenden/{id}")).await;
    assert!(
        page.body
            .contains("Ange om patientens journal på 1177 också ska förseglas")
    );
    // A note dated after the paper form's decision is refused beside the field.
    let handler = app.user(&[Role::Handler], &[]);
    let h = flow::ctx(&app, handler.id);
    let mut paper = flow::lock_input(unit, doctor.id, TOLVAN);
    paper.arrival_date = "2026-11-22".into();
    paper.decider_name = "Doris Läkare".into();
    paper.decider_role = "licensed".into();
    paper.decided_on = "2026-11-19".into();
    let r = cases::register_paper(&mut app.conn(), &h, &paper, &wf);
    let Err(ServiceError::Invalid(e)) = r else {
        panic!("a note after the decision is refused: {r:?}")
    };
    assert!(e.get("journal_note_date").is_some_and(|m| {
        m.in_lang(kontosparr::i18n::Lang::Sv)
            .contains("senast samma dag som beslutet")
    }));
}

async fn decider_role_comes_from_the_case_unit(app: TestApp) {
    let a = app.unit("PSYK");
    let b = app.unit("ORTO");
    let manager = app.user_with(&[Role::Manager], &[a, b], true);
    let doctor = app.user_with(&[Role::Clinician], &[a], true);
    let set_unit = |id: i64, code: &str, mgr: String, mal: String| {
        let input = admin::UnitInput {
            code: code.into(),
            name: format!("Enhet {code}"),
            manager_user_id: mgr,
            medical_lead_user_id: mal,
            chief_physician_function: "Chefläkare".into(),
            chief_physician_email: "cl@example.se".into(),
            active: true,
        };
        admin::update_unit(&mut app.conn(), &app.ctx(), id, &input)
    };
    set_unit(a, "PSYK", manager.id.to_string(), doctor.id.to_string()).unwrap();
    // A MAL who may not decide is refused beside the field.
    let nurse = app.user(&[Role::Clinician], &[b]);
    let r = set_unit(b, "ORTO", String::new(), nurse.id.to_string());
    assert!(matches!(r, Err(ServiceError::Invalid(e)) if e.get("medical_lead_user_id").is_some()));
    let wf = Workflow::from_config(&app.state.config);
    let signed_role = |user: i64, unit: i64| {
        let ctx = flow::ctx(&app, user);
        let id = cases::create_draft(
            &mut app.conn(),
            &ctx,
            &flow::lock_input(unit, user, TOLVAN),
            &wf,
        )
        .unwrap();
        cases::sign(&mut app.conn(), &ctx, id, ver(&app, id), &wf).unwrap();
        kontosparr::db::cases::get(&mut app.conn(), id)
            .unwrap()
            .unwrap()
            .decider_role
    };
    assert_eq!(signed_role(manager.id, a), "Verksamhetschef");
    assert_eq!(
        signed_role(manager.id, b),
        "Legitimerad hälso- och sjukvårdspersonal med behandlingsansvar",
        "a manager of another unit is not this case's verksamhetschef"
    );
    assert_eq!(
        signed_role(doctor.id, a),
        "Medicinskt ansvarig läkare (MAL)"
    );
    // The page says who may decide, and in which role this user would sign.
    let mut br = app.browser();
    app.login(&mut br, &manager).await;
    let id = cases::create_draft(
        &mut app.conn(),
        &flow::ctx(&app, manager.id),
        &flow::lock_input(b, manager.id, TOLVAN),
        &wf,
    )
    .unwrap();
    let page = br.get(&format!("/arenden/{id}")).await;
    assert!(
        page.body
            .contains("Beslut fattas av legitimerad hälso- och sjukvårdspersonal")
    );
    assert!(page.body.contains(
        "Du signerar på detta ärende som Legitimerad hälso- och sjukvårdspersonal med behandlingsansvar"
    ));
}

async fn api_and_paper_deciders_are_validated(app: TestApp) {
    let unit = app.unit("PSYK");
    let doctor = app.user_with(&[Role::Clinician], &[unit], true);
    let handler = app.user(&[Role::Handler], &[]);
    let h = flow::ctx(&app, handler.id);
    let wf = Workflow::from_config(&app.state.config);
    let mut paper = flow::lock_input(unit, doctor.id, TOLVAN);
    paper.arrival_date = "2026-11-22".into();
    paper.decider_name = "Doris Läkare".into();
    paper.decider_role = "Överläkare".into();
    paper.decider_hsa_id = "SE123".into();
    paper.decided_on = "2026-11-21".into();
    let r = cases::register_paper(&mut app.conn(), &h, &paper, &wf);
    let Err(ServiceError::Invalid(e)) = r else {
        panic!("free text refused: {r:?}")
    };
    assert!(e.get("decider_role").is_some_and(|m| {
        m.in_lang(kontosparr::i18n::Lang::Sv)
            .contains("medicinskt ansvarig läkare")
    }));
    assert!(e.get("decider_hsa_id").is_some());
    paper.decider_role = "mal".into();
    paper.decider_hsa_id = "SE2321000131-P000000000042".into();
    let id = cases::register_paper(&mut app.conn(), &h, &paper, &wf).unwrap();
    let row = kontosparr::db::cases::get(&mut app.conn(), id)
        .unwrap()
        .unwrap();
    assert_eq!(row.decider_role, "Medicinskt ansvarig läkare (MAL)");
    // The API: a role outside the instruction's list is a field error.
    let token =
        kontosparr::service::intake::create_client(&mut app.conn(), &app.ctx(), "Barium").unwrap();
    let body = serde_json::json!({
        "kind": "lock", "unit_code": "PSYK", "citizen_personnummer": TOLVAN,
        "citizen_name": "Tolvan Tolvansson", "risk_kinds": ["hot"], "basis": ["security"],
        "situations": ["threat"], "assessment_reasons": "S", "assessment_risks": "R",
        "assessment_scope": "O", "requested_by": "staff", "journal_note_date": "2026-11-20",
        "chief_informed_date": "2026-11-20", "chief_informed_whom": "CL",
        "patient_informed_date": "2026-11-21", "journal_sealing_requested": false,
        "review_responsible_hsa_id": doctor.hsa_id, "decider_name": "Doris",
        "decider_hsa_id": "SE2321000131-E1", "decider_role": "Chef", "decided_on": "2026-11-20"
    });
    let client = awc::Client::default();
    let mut res = client
        .post(format!("{}/api/v1/arenden", app.base))
        .insert_header(("idempotency-key", "k1"))
        .insert_header(("authorization", format!("Bearer {token}")))
        .send_json(&body)
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let v: serde_json::Value = res.json().await.unwrap();
    assert!(v.to_string().contains("decider_role"), "{v}");
}

async fn providers_decide_checks_six_and_seven(app: TestApp) {
    let unit = app.unit("PSYK");
    let doctor = app.user_with(&[Role::Clinician], &[unit], true);
    let handler = app.user(&[Role::Handler], &[]);
    let add = |name: &str, org: &str, kind: &str, regional_id: bool| {
        admin::add_provider(
            &mut app.conn(),
            &app.ctx(),
            &admin::ProviderInput {
                name: name.into(),
                org_number: org.into(),
                kind: kind.into(),
                regional_id,
            },
        )
    };
    // Another public provider (a municipality) can be entered at all.
    let municipality = add("Kommunen", "212000-1355", "public", false).unwrap();
    let private_with_id = add("Vårdbolaget AB", "556677-8899", "private", true).unwrap();
    assert!(matches!(
        add("Okänd", "232100-0131", "", false),
        Err(ServiceError::Invalid(e)) if e.get("kind").is_some()
    ));
    let wf = Workflow::from_config(&app.state.config);
    let checks_for = |provider: i64| {
        let d = flow::ctx(&app, doctor.id);
        let mut input = flow::lock_input(unit, doctor.id, TOLVAN);
        input.care_provider = provider.to_string();
        let id = cases::create_draft(&mut app.conn(), &d, &input, &wf).unwrap();
        let h = flow::ctx(&app, handler.id);
        cases::view(&mut app.conn(), &h, id, app.state.register.as_ref(), false)
            .unwrap()
            .applicable_checks
    };
    let c = checks_for(municipality);
    assert!(
        c.contains(&"identity_by_phone"),
        "outside the region, no regional id"
    );
    assert!(!c.contains(&"provider_approved"), "not a private provider");
    let c = checks_for(private_with_id);
    assert!(!c.contains(&"identity_by_phone"), "has a regional id");
    assert!(c.contains(&"provider_approved"));
}

async fn chief_physician_sees_sent_locks_only(app: TestApp) {
    let unit = app.unit("PSYK");
    let doctor = app.user_with(&[Role::Clinician], &[unit], true);
    let handler = app.user(&[Role::Handler], &[]);
    let chief = app.user(&[Role::ChiefPhysician], &[unit]);
    let wf = Workflow::from_config(&app.state.config);
    let d = flow::ctx(&app, doctor.id);
    let draft = cases::create_draft(
        &mut app.conn(),
        &d,
        &flow::lock_input(unit, doctor.id, TOLVAN),
        &wf,
    )
    .unwrap();
    let lock = flow::executed_lock(&app, unit, doctor.id, doctor.id, handler.id, TOLVAN);
    let mut unlock = flow::lock_input(unit, doctor.id, TOLVAN);
    unlock.kind = "unlock".into();
    unlock.related_case_id = lock.to_string();
    let unlock = cases::create_draft(&mut app.conn(), &d, &unlock, &wf).unwrap();
    cases::sign(&mut app.conn(), &d, unlock, ver(&app, unlock), &wf).unwrap();
    cases::submit(&mut app.conn(), &d, unlock, ver(&app, unlock)).unwrap();
    let mut b = app.browser();
    app.login(&mut b, &chief).await;
    assert_eq!(b.get(&format!("/arenden/{lock}")).await.status, 200);
    assert_eq!(b.get(&format!("/arenden/{draft}")).await.status, 403);
    assert_eq!(b.get(&format!("/arenden/{unlock}")).await.status, 403);
    let list = b.get("/arenden").await;
    assert!(list.body.contains(&format!("/arenden/{lock}\"")));
    assert!(!list.body.contains(&format!("/arenden/{draft}\"")));
    assert!(!list.body.contains(&format!("/arenden/{unlock}\"")));
    let drafts = b.get("/arenden?status=draft").await;
    assert!(!drafts.body.contains(&format!("/arenden/{draft}\"")));
}

async fn phone_cases_record_the_category(app: TestApp) {
    let unit = app.unit("PSYK");
    let handler = app.user(&[Role::Handler], &[]);
    let mut h = app.browser();
    app.login(&mut h, &handler).await;
    let unit_s = unit.to_string();
    let mut fields: Vec<(&str, &str)> = vec![
        ("caller_name", "Sara Sjö"),
        ("caller_phone", "010-1"),
        ("caller_email", "sara@example.se"),
        ("unit_id", &unit_s),
        ("citizen_pnr", TOLVAN),
        ("citizen_name", "Tolvan Tolvansson"),
        ("requested_by", "staff"),
        ("helpdesk_ref", "RÄLS-1"),
    ];
    let r = h.submit("/nodtelefon", "/nodtelefon", &fields).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"category_chosen-error\""));
    assert!(r.body.contains("value=\"Sara Sjö\""));
    fields.push(("category_chosen", "true"));
    let r = h.submit("/nodtelefon", "/nodtelefon", &fields).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = h.get(r.location().unwrap()).await;
    assert!(page.body.contains("Kategori i ärendesystemet"));
    assert!(
        page.body
            .contains("1177 e-tjänster / Låsa konto vårdpersonal")
    );
    // No empty assessment labels on an emergency case.
    assert!(!page.body.contains("<dt>Skäl</dt>"));
    assert!(!page.body.contains("<dt>Omfattning</dt>"));
}

async fn diary_has_dates_references_pages_and_a_print_view(app: TestApp) {
    let unit = app.unit("PSYK");
    let doctor = app.user_with(&[Role::Clinician], &[unit], true);
    let handler = app.user(&[Role::Handler], &[]);
    let lock = flow::executed_lock(&app, unit, doctor.id, doctor.id, handler.id, TOLVAN);
    let lock_no = kontosparr::db::cases::get(&mut app.conn(), lock)
        .unwrap()
        .unwrap()
        .diary_number
        .unwrap();
    // An executed unlock referring to it.
    let wf = Workflow::from_config(&app.state.config);
    let (d, h) = (flow::ctx(&app, doctor.id), flow::ctx(&app, handler.id));
    let mut input = flow::lock_input(unit, doctor.id, TOLVAN);
    input.kind = "unlock".into();
    input.related_case_id = lock.to_string();
    let c = &mut app.conn();
    let u = cases::create_draft(c, &d, &input, &wf).unwrap();
    cases::sign(c, &d, u, ver(&app, u), &wf).unwrap();
    cases::submit(c, &d, u, ver(&app, u)).unwrap();
    cases::receive(c, &h, u, ver(&app, u)).unwrap();
    for item in ["register_match", "earlier_cases", "category"] {
        cases::check_item(
            c,
            &h,
            u,
            ver(&app, u),
            item,
            "ok",
            app.state.register.as_ref(),
        )
        .unwrap();
    }
    cases::verify(c, &h, u, ver(&app, u)).unwrap();
    let input = cases::ExecuteInput {
        version: ver(&app, u),
        helpdesk_ref: "RÄLS-1".into(),
        confirmed: true,
    };
    cases::execute(c, &h, u, &input, &wf).unwrap();
    // Fill the year past one page with emergency calls.
    for i in 0..50 {
        let call = CallInput {
            caller_name: format!("Ringare {i}"),
            caller_phone: "010-1".into(),
            caller_email: "r@example.se".into(),
            unit_id: unit.to_string(),
            citizen_pnr: TOLVAN.into(),
            citizen_name: "Tolvan Tolvansson".into(),
            requested_by: "staff".into(),
            category_chosen: true,
            helpdesk_ref: format!("RÄLS-{i}"),
            duplicate_reason: "Flera samtal i testet".into(),
            ..Default::default()
        };
        cases::register_call(c, &h, &call, &wf).unwrap();
    }
    let mut b = app.browser();
    app.login(&mut b, &handler).await;
    let page = b.get("/diarium?ar=2026").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Registrerat"), "a date column");
    assert!(page.body.contains("2026-11-23"), "the registration date");
    assert!(
        page.body.contains(&format!("Upplåser {lock_no}")),
        "{}",
        page.body
    );
    assert!(page.body.contains("52 registrerade ärenden"));
    assert_eq!(page.body.matches("<tr><td>KSD").count(), 50);
    assert!(
        page.body.contains("efter=50"),
        "keyset link to the next page"
    );
    let next = b.get("/diarium?ar=2026&efter=50").await;
    assert_eq!(next.body.matches("<tr><td>KSD").count(), 2);
    let print = b.get("/diarium/utskrift?ar=2026").await;
    assert_eq!(print.status, 200);
    assert_eq!(
        print.body.matches("<tr><td>KSD").count(),
        52,
        "the whole year"
    );
    assert!(!print.body.contains("Tolvan"), "no citizen data");
}

async fn unit_certificate_follows_the_manager(app: TestApp) {
    let unit = app.unit("PSYK");
    let manager = app.user_with(&[Role::Manager], &[unit], true);
    let admin_user = app.user(&[Role::Admin], &[]);
    let set_email = |email: &str| {
        let input = admin::UserInput {
            hsa_id: manager.hsa_id.clone(),
            name: manager.name.clone(),
            email: email.into(),
            roles: vec!["manager".into()],
            units: vec![unit.to_string()],
            is_decider: true,
            active: true,
        };
        admin::update_user(
            &mut app.conn(),
            &flow::ctx(&app, admin_user.id),
            manager.id,
            &input,
        )
        .unwrap();
    };
    set_email("chef@example.se");
    let input = admin::UnitInput {
        code: "PSYK".into(),
        name: "Psykiatri".into(),
        manager_user_id: manager.id.to_string(),
        chief_physician_function: "Chefläkare".into(),
        chief_physician_email: "cl@example.se".into(),
        active: true,
        ..Default::default()
    };
    admin::update_unit(&mut app.conn(), &app.ctx(), unit, &input).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let enc = crate::mail::Usage::Encryption;
    crate::mail::cert_at_t0(
        dir.path(),
        "other",
        "Annan",
        Some("annan@example.se"),
        365,
        enc,
    );
    crate::mail::cert_at_t0(
        dir.path(),
        "chef",
        "Chef",
        Some("chef@example.se"),
        365,
        enc,
    );
    let pem = |n: &str| std::fs::read_to_string(dir.path().join(format!("{n}.pem"))).unwrap();
    let r = admin::set_certificate(&mut app.conn(), &app.ctx(), unit, &pem("other"));
    assert!(
        matches!(&r, Err(ServiceError::Invalid(e)) if e.get("pem").is_some_and(|m| m.in_lang(kontosparr::i18n::Lang::Sv).contains("chef@example.se"))),
        "{r:?}"
    );
    admin::set_certificate(&mut app.conn(), &app.ctx(), unit, &pem("chef")).unwrap();
    assert!(
        admin::certificate(&mut app.conn(), &app.ctx(), unit)
            .unwrap()
            .is_some()
    );
    // The manager's address changes: the certificate is removed, and that is logged.
    set_email("ny.chef@example.se");
    assert!(
        admin::certificate(&mut app.conn(), &app.ctx(), unit)
            .unwrap()
            .is_none()
    );
    assert!(
        app.audit_actions()
            .iter()
            .any(|a| a == "unit_certificate_cleared")
    );
}

async fn small_things(app: TestApp) {
    let unit = app.unit("PSYK");
    let doctor = app.user_with(&[Role::Clinician], &[unit], true);
    let handler = app.user(&[Role::Handler], &[]);
    // The lock form says what a lock means for the citizen, and that the journal is separate.
    let mut b = app.browser();
    app.login(&mut b, &doctor).await;
    let form = b.get("/arenden/ny?typ=lock").await;
    assert!(
        form.body.contains(
            "inte kan logga in på 1177.se och därmed inte har digital kontakt med vården"
        )
    );
    assert!(form.body.contains("Journalen förseglas inte av låsningen"));
    // A 632-byte attachment is not "0 kB".
    let id = received(
        &app,
        unit,
        doctor.id,
        handler.id,
        TOLVAN,
        "Tolvan Tolvansson",
    );
    let mut pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n".to_vec();
    pdf.resize(632 - 6, b' ');
    pdf.extend_from_slice(b"%%EOF\n");
    assert_eq!(pdf.len(), 632);
    let mut h = app.browser();
    app.login(&mut h, &handler).await;
    let page = h.get(&format!("/arenden/{id}")).await;
    let token = page.csrf();
    let r = h
        .post_file(
            &format!("/arenden/{id}/bilagor"),
            &[("csrf_token", &token)],
            ("file", "blankett.pdf", &pdf),
        )
        .await;
    assert!(
        r.status == 303 || r.status == 200,
        "{} {}",
        r.status,
        r.body
    );
    let page = h.get(&format!("/arenden/{id}")).await;
    assert!(
        page.body.contains("(632 byte, nedladdning loggas)"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("0 kB"));
}
