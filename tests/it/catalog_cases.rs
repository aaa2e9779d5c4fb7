//! The case pages and the case services' messages in the reader's language (issue 8): a
//! clinician and a handler who chose English file, sign, send and handle a lock in English —
//! headings, statuses, the timeline, a refusal, a field error and a conflict — while a colleague
//! who chose nothing reads the same case in Swedish. On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::workflow::{action, create, lock_fields, region};

use common::Browser;

dual!(an_english_reader_handles_a_lock_in_english);

const PNR: &str = "19121212-1212";

async fn choose_english(b: &mut Browser) {
    let r = b.submit("/konto", "/konto/sprak", &[("lang", "en")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
}

/// Swedish headings, labels and statuses of the case pages that must not show in English.
const SWEDISH: &[&str] = &[
    "Händelser",
    "Begäran",
    ">Invånare<",
    "Handläggning",
    "Nästa steg",
    "Signera beslutet",
    "Utkast",
    "Inskickad",
    "Verkställd",
    "Grund för låsning",
    ">Kontrollpunkter<",
    "<h2>Tidigare ärenden",
    "Det gick inte",
];

fn english(page: &common::Resp, what: &str) {
    assert!(
        page.body.contains("<html lang=\"en\">"),
        "{what}: {}",
        page.body
    );
    for sv in SWEDISH {
        if let Some(at) = page.body.find(sv) {
            panic!(
                "{what}: {sv:?} on an English page: …{}…",
                &page.body[at.saturating_sub(300)..(at + 100).min(page.body.len())]
            );
        }
    }
}

async fn an_english_reader_handles_a_lock_in_english(app: common::TestApp) {
    let r = region(&app);
    let mut doc = app.browser();
    app.login(&mut doc, &r.doctor).await;
    choose_english(&mut doc).await;
    let mut nurse = app.browser();
    app.login(&mut nurse, &r.nurse).await;

    // The form.
    let form = doc.get("/arenden/ny").await;
    assert_eq!(form.status, 200);
    english(&form, "form");
    for en in [
        "New request to lock",
        "Grounds for the lock",
        "Through access to 1177.se the patient is at risk of",
        "Threat",
        "Documentation before transfer",
        "Save draft",
    ] {
        assert!(form.body.contains(en), "form: {en:?} missing");
    }
    // A field error from the case service, in English.
    let mut bad = lock_fields(r.unit, r.nurse.id, PNR);
    bad.retain(|(k, _)| *k != "journal_sealing");
    bad.push(("journal_sealing", "maybe".into()));
    bad.retain(|(k, _)| *k != "risk_kinds");
    bad.push(("risk_kinds", "nonsense".into()));
    let refs: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let again = doc.submit("/arenden/ny", "/arenden/ny", &refs).await;
    assert_eq!(again.status, 422, "{}", again.body);
    english(&again, "form again");
    assert!(
        again.body.contains("Choose yes or no.") && again.body.contains("Choose from the options."),
        "{}",
        again.body
    );

    let id = create(&mut doc, &lock_fields(r.unit, r.nurse.id, PNR), "lock").await;
    let page = doc.get(&format!("/arenden/{id}")).await;
    english(&page, "draft");
    for en in [
        "Draft",
        "Sign the decision",
        "Citizen",
        "Request",
        "Events",
        "Created the case",
        "Harm",
        "Threat",
    ] {
        assert!(
            page.body.contains(en),
            "draft: {en:?} missing: {}",
            page.body
        );
    }
    // A refusal by the lifecycle, worded in English: not signed yet.
    let early = action(&mut doc, id, "skicka", &[]).await;
    assert_eq!(early.status, 409, "{}", early.body);
    english(&early, "refusal");
    assert!(
        early
            .body
            .contains("The decision must be signed by a decision-maker"),
        "{}",
        early.body
    );
    assert_eq!(action(&mut doc, id, "signera", &[]).await.status, 303);
    // A conflict (an old version), worded in English with the latest events.
    let page = doc.get(&format!("/arenden/{id}")).await;
    let stale = doc
        .post(
            &format!("/arenden/{id}/skicka"),
            &[("csrf_token", page.csrf().as_str()), ("version", "0")],
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(
        stale.body.contains("Someone else has changed the case")
            && stale.body.contains("Signed the decision"),
        "{}",
        stale.body
    );
    assert!(!stale.body.contains("Signerade beslutet"));
    assert_eq!(action(&mut doc, id, "skicka", &[]).await.status, 303);
    let sent = doc.get(&format!("/arenden/{id}")).await;
    english(&sent, "submitted");
    assert!(sent.body.contains("Submitted") && sent.body.contains("Submitted the case"));

    // The handler, in English too.
    let mut h = app.browser();
    app.login(&mut h, &r.handler).await;
    choose_english(&mut h).await;
    let queue = h.get("/handlaggning").await;
    english(&queue, "queue");
    assert!(queue.body.contains("<h1>Case handling</h1>") && queue.body.contains("1 cases."));
    assert_eq!(action(&mut h, id, "ta-emot", &[]).await.status, 303);
    let received = h.get(&format!("/arenden/{id}")).await;
    english(&received, "received");
    assert!(
        received.body.contains("Checks")
            && received
                .body
                .contains("Earlier cases for the personal identity number have been searched")
            && !received.body.contains("Receive the case"),
        "{}",
        received.body
    );
    let unchecked = action(&mut h, id, "verifiera", &[]).await;
    assert_eq!(unchecked.status, 409);
    assert!(
        unchecked
            .body
            .contains("Every check must be done before the case is checked."),
        "{}",
        unchecked.body
    );
    // The execution's field errors, in English.
    for item in ["register_match", "earlier_cases", "category"] {
        let r = action(&mut h, id, "kontroll", &[("item", item), ("note", "")]).await;
        assert_eq!(r.status, 303, "{item}: {}", r.body);
    }
    assert_eq!(action(&mut h, id, "verifiera", &[]).await.status, 303);
    let unconfirmed = action(&mut h, id, "verkstall", &[("helpdesk_ref", "RÄLS-1")]).await;
    assert_eq!(unconfirmed.status, 409, "{}", unconfirmed.body);
    assert!(
        unconfirmed
            .body
            .contains("Confirm that the step has been done in the 1177 e-services staff tool."),
        "{}",
        unconfirmed.body
    );
    let done = handle_to_execution_from_verified(&mut h, id).await;
    english(&done, "executed");
    for en in [
        "Carried out",
        "Registered the registration number",
        "Carried out in the 1177 e-services staff tool",
        "Received the case",
    ] {
        assert!(done.body.contains(en), "executed: {en:?} missing");
    }

    // The timeline's details are stored as messages and read in English too.
    for en in [
        "The name matches the population register",
        "Confirmed as carried out in the 1177 e-services staff tool; helpdesk ticket RÄLS-123.",
        "Registration number KSD",
    ] {
        assert!(
            done.body.contains(en),
            "executed: {en:?} missing: {}",
            done.body
        );
    }
    assert!(!done.body.contains("Bekräftat verkställt") && !done.body.contains("Namnet stämmer"));
    // An entry written before details were stored as messages is shown as it was stored.
    kontosparr::db::cases::add_event(
        &mut app.conn() as &mut kontosparr::db::DbConnection,
        id,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap(),
        None,
        "Kontospärr",
        "Återkoppling levererad till verksamhetschefen",
        "Äldre fritext utan meddelande",
    )
    .unwrap();
    let old = h.get(&format!("/arenden/{id}")).await;
    assert!(
        old.body
            .contains("Feedback delivered to the head of the unit – Äldre fritext utan meddelande"),
        "{}",
        old.body
    );

    // A colleague who chose nothing reads the same case in Swedish, word for word as before.
    let sv = nurse.get(&format!("/arenden/{id}")).await;
    assert!(sv.body.contains("<html lang=\"sv\">"));
    for s in [
        "Verkställd",
        "Händelser",
        "Signerade beslutet",
        "Registrerade diarienummer",
        "Tog emot ärendet",
        "Namnet stämmer med folkbokföringen",
        "Bekräftat verkställt i 1177 e-tjänster personalverktyg; hjälpärende RÄLS-123.",
        "Återkoppling levererad till verksamhetschefen – Äldre fritext utan meddelande",
    ] {
        assert!(sv.body.contains(s), "Swedish: {s:?} missing");
    }
}

/// The last step of `workflow::handle_to_execution`, from a verified case.
async fn handle_to_execution_from_verified(b: &mut Browser, id: i64) -> common::Resp {
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
