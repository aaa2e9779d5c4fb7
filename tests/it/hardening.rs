//! Small hardening fixes, each pinned by a test; those that touch the database run on SQLite and
//! on PostgreSQL. The section numbers are the items of the hardening list.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{self, PASSWORD, TestApp};
use chrono::Duration;
use kontosparr::clock::Clock;
use kontosparr::db;
use kontosparr::domain::Role;
use kontosparr::service::auth::{LockoutPolicy, login};
use kontosparr::service::{Ctx, ServiceError};
use serde_json::{Value, json};

dual!(
    a_panic_in_a_write_transaction_does_not_reach_the_next_request,
    a_huge_page_number_is_an_empty_page,
    a_nul_byte_is_refused_with_400,
    names_and_search_terms_refuse_control_characters,
    the_staff_search_keeps_its_term_out_of_addresses,
    intake_checks_the_token_first_and_wants_json,
    login_throttle_is_per_account_and_address,
    scanned_forms_are_stored_and_sent_under_the_cases_own_name,
);

// ---------------------------------------------------------------------------------------------
// 1. The pool never hands out a connection left inside a transaction.

async fn a_panic_in_a_write_transaction_does_not_reach_the_next_request(app: TestApp) {
    // One connection only, so that the next checkout gets the one the panic returned (or a new
    // one, if the pool threw it away).
    let pool = db::pool(&app.db.url, 1).expect("pool");
    let p2 = pool.clone();
    let panicked = std::thread::spawn(move || {
        let mut conn = p2.get().expect("conn");
        let _ = db::write_tx(&mut conn, |c| -> Result<(), diesel::result::Error> {
            db::settings::set(c, "hardening_panicked", "ja")?;
            panic!("a bug in the middle of a write transaction");
        });
    })
    .join();
    assert!(panicked.is_err(), "the thread panicked");
    // The next request writes and commits through the same pool.
    let mut conn = pool.get().expect("conn after the panic");
    db::write_tx(&mut conn, |c| db::settings::set(c, "hardening_after", "ja"))
        .expect("a write transaction after the panic");
    drop(conn);
    // Seen from another connection: the later write is committed, the panicked one is not.
    let mut other = app.conn();
    assert_eq!(
        db::settings::get(&mut other, "hardening_after").unwrap(),
        Some("ja".to_string()),
        "the write after the panic must be committed, not nested in the dead transaction"
    );
    assert_eq!(
        db::settings::get(&mut other, "hardening_panicked").unwrap(),
        None
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Lists are paged by key: a key from nowhere (huge, negative, out of the backends' range, not
// a key at all) is the first page or an empty one, never an error.

async fn a_huge_page_number_is_an_empty_page(app: TestApp) {
    let unit = app.unit("A");
    let admin = app.user(&[Role::Admin], &[]);
    let handler = app.user(&[Role::Handler], &[]);
    let nurse = app.user(&[Role::Clinician], &[unit]);
    let mut a = app.browser();
    app.login(&mut a, &admin).await;
    let mut h = app.browser();
    app.login(&mut h, &handler).await;
    let mut n = app.browser();
    app.login(&mut n, &nurse).await;
    let max = i64::MAX;
    let keys = [
        format!("efter=~{max}"),
        format!("fore=~{max}"),
        format!("efter={max}~{max}"),
        format!("fore=-{max}~-{max}"),
        "efter=8000000000000000000~1".to_string(),
        "efter=Zzzz~1".to_string(),
        "fore=%2B20000-01-01~1".to_string(),
        format!("sida={max}"),
    ];
    for key in &keys {
        for path in [
            format!("/admin/anvandare?{key}"),
            format!("/admin/anvandare?q=Testa&{key}"),
            format!("/admin/enheter?{key}"),
            format!("/admin/vardgivare?{key}"),
            format!("/admin/post?{key}"),
        ] {
            let r = a.get(&path).await;
            assert_eq!(r.status, 200, "{path}: {}", r.body);
        }
        for path in [
            format!("/arenden?{key}"),
            format!("/arenden?status=draft&{key}"),
            format!("/handlaggning?{key}"),
        ] {
            let r = h.get(&path).await;
            assert_eq!(r.status, 200, "{path}: {}", r.body);
        }
        let r = n.get(&format!("/omprovningar?{key}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
}

// ---------------------------------------------------------------------------------------------
// 3. NUL bytes and control characters.

async fn a_nul_byte_is_refused_with_400(app: TestApp) {
    let admin = app.user(&[Role::Admin], &[]);
    let mut a = app.browser();
    app.login(&mut a, &admin).await;
    // In a query string: a clear Swedish page, not a database error.
    for path in [
        "/admin/anvandare?q=%00",
        "/admin/anvandare?q=a%00b&sida=1",
        "/arenden?status=%00",
    ] {
        let r = a.get(path).await;
        assert_eq!(r.status, 400, "{path}: {}", r.body);
        assert!(r.body.contains("nolltecken"), "{}", r.body);
    }
    // In a form body.
    let page = a.get("/admin/enheter/ny").await;
    assert_eq!(page.status, 200);
    let token = page.csrf();
    let r = a
        .post(
            "/admin/enheter/ny",
            &[
                ("csrf_token", &token),
                ("code", "NUL"),
                ("name", "Enhet\0X"),
            ],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("nolltecken"));
    // Still working afterwards.
    assert_eq!(a.get("/admin/anvandare?q=Testa").await.status, 200);
    // The intake API answers in JSON, in the query string and in the body.
    let token =
        kontosparr::service::intake::create_client(&mut app.conn(), &app.ctx(), "Barium").unwrap();
    let client = awc::Client::default();
    let mut res = client
        .post(format!("{}/api/v1/arenden?x=%00", app.base))
        .insert_header(("authorization", format!("Bearer {token}")))
        .send_json(&json!({}))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let v: Value = res.json().await.unwrap();
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nolltecken")
    );
    let (status, v) = api_post(
        &app,
        &token,
        Some("application/json"),
        br#"{"citizen_name":"a\u0000b"}"#,
    )
    .await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nolltecken"),
        "{v}"
    );
}

async fn names_and_search_terms_refuse_control_characters(app: TestApp) {
    use kontosparr::service::admin::{self, FirstPassword, ProviderInput, UnitInput, UserInput};
    let field_error = |r: Result<i64, ServiceError>, field: &str| match r {
        Err(ServiceError::Invalid(e)) => e.get(field).map(ToString::to_string),
        other => panic!("expected a field error, got {other:?}"),
    };
    let unit = |name: &str| UnitInput {
        code: "CTRL".into(),
        name: name.into(),
        manager_user_id: String::new(),
        chief_physician_function: "Chefläkare Område 1".into(),
        chief_physician_email: "chefslakare@example.se".into(),
        active: true,
        ..Default::default()
    };
    for bad in [
        "Enhet\r\nX",
        "Enhet\nX",
        "Enhet\tX",
        "Enhet\u{1b}[31mX",
        "Enhet\u{0}X",
    ] {
        let msg = field_error(
            admin::create_unit(&mut app.conn(), &app.ctx(), &unit(bad)),
            "name",
        );
        assert!(
            msg.is_some_and(|m| m.contains("otillåtet tecken")),
            "{bad:?}"
        );
    }
    admin::create_unit(&mut app.conn(), &app.ctx(), &unit("Enhet Åsa-Öst")).expect("a clean name");
    let user = UserInput {
        hsa_id: "SE2321000131-C00001".into(),
        name: "Anna\r\nBcc: x".into(),
        email: "anna@example.se".into(),
        roles: vec!["handler".into()],
        units: vec![],
        is_decider: false,
        active: true,
    };
    let r = admin::create_user(
        &mut app.conn(),
        &app.ctx(),
        &user,
        FirstPassword::Temporary(PASSWORD),
    )
    .map(|c| c.user_id);
    assert!(field_error(r, "name").is_some_and(|m| m.contains("otillåtet tecken")));
    let provider = ProviderInput {
        name: "Vård\nAB".into(),
        org_number: "232100-0131".into(),
        kind: "private".into(),
        regional_id: false,
    };
    let r = admin::add_provider(&mut app.conn(), &app.ctx(), &provider);
    assert!(field_error(r, "name").is_some_and(|m| m.contains("otillåtet tecken")));
    // A search term with a line break: the error next to the search field, no search.
    let a_user = app.user(&[Role::Admin], &[]);
    let mut a = app.browser();
    app.login(&mut a, &a_user).await;
    let r = a
        .submit(
            "/admin/anvandare",
            "/admin/anvandare",
            &[("q", "Testa\nTestsson")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("id=\"q-error\""), "{}", r.body);
    assert!(r.body.contains("otillåtet tecken"));
    assert!(r.body.contains("aria-invalid=\"true\""));
    let ok = a
        .submit("/admin/anvandare", "/admin/anvandare", &[("q", "Testa")])
        .await;
    assert!(!ok.body.contains("id=\"q-error\""));
}

/// The administrator's staff search is a POST (the term, and the page key of its pages, in the
/// body): what is typed there — a name, an HSA-id, by mistake a personnummer — never reaches an
/// address, a browser's history or a proxy's log. A term in an address is not used.
async fn the_staff_search_keeps_its_term_out_of_addresses(app: TestApp) {
    let admin = app.user(&[Role::Admin], &[]);
    for _ in 0..55 {
        app.user(&[Role::Handler], &[]);
    }
    let mut a = app.browser();
    app.login(&mut a, &admin).await;
    let rows = |body: &str| body.matches("<td><a href=\"/admin/anvandare/").count();
    let list = a.get("/admin/anvandare").await;
    assert!(
        list.body
            .contains("<form method=\"post\" action=\"/admin/anvandare\""),
        "{}",
        list.body
    );
    // The unsearched list pages by links that carry the row's id, never a name.
    assert!(
        list.body.contains("href=\"/admin/anvandare?efter=%7E"),
        "{}",
        list.body
    );
    assert!(
        !list
            .body
            .split("href=\"")
            .any(|h| h.split('"').next().is_some_and(|h| h.contains("Testsson"))),
        "a name in a link"
    );
    let next = list
        .body
        .split("href=\"/admin/anvandare?efter=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to the next page")
        .to_string();
    let page2 = a.get(&format!("/admin/anvandare?efter={next}")).await;
    assert_eq!(rows(&page2.body), 6, "56 users, 50 a page");
    // 56 users are called Testa Testsson: two pages, the second reached by a POST with the key.
    let first = a
        .submit("/admin/anvandare", "/admin/anvandare", &[("q", "Testsson")])
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(rows(&first.body), 50);
    assert!(!first.body.contains("q=Testsson"), "{}", first.body);
    assert!(!first.body.contains("?efter="), "no page link for a search");
    let key = first
        .body
        .split("name=\"efter\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a POST button for the next page")
        .to_string();
    let second = a
        .submit(
            "/admin/anvandare",
            "/admin/anvandare",
            &[("q", "Testsson"), ("efter", &key)],
        )
        .await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(rows(&second.body), 6);
    assert!(second.body.contains("name=\"fore\""));
    // One user by HSA-id.
    let one = a
        .submit("/admin/anvandare", "/admin/anvandare", &[("q", "T00003")])
        .await;
    assert_eq!(rows(&one.body), 1, "{}", one.body);
    // In an address the term is not used: the list, unsearched.
    let bookmarked = a.get("/admin/anvandare?q=T00003").await;
    assert_eq!(bookmarked.status, 200);
    assert_eq!(rows(&bookmarked.body), 50);
    assert!(!bookmarked.body.contains("value=\"T00003\""));
}

// ---------------------------------------------------------------------------------------------
// 5. The intake API: the bearer token first (401), then `Content-Type: application/json` (415).

async fn api_post(
    app: &TestApp,
    token: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> (u16, Value) {
    let client = awc::Client::default();
    let mut req = client
        .post(format!("{}/api/v1/arenden", app.base))
        .insert_header(("idempotency-key", "k-1"));
    if !token.is_empty() {
        req = req.insert_header(("authorization", format!("Bearer {token}")));
    }
    if let Some(ct) = content_type {
        req = req.insert_header(("content-type", ct));
    }
    let mut res = req.send_body(body.to_vec()).await.unwrap();
    let status = res.status().as_u16();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    (status, v)
}

async fn intake_checks_the_token_first_and_wants_json(app: TestApp) {
    let token =
        kontosparr::service::intake::create_client(&mut app.conn(), &app.ctx(), "Barium").unwrap();
    // A wrong token is 401 whatever the body: no schema error is shown to a stranger.
    for (ct, body) in [
        (Some("application/json"), &b"{\"kind\": 1}"[..]),
        (Some("application/json"), &b"not json"[..]),
        (Some("text/plain"), &b"{}"[..]),
        (None, &b"{}"[..]),
    ] {
        let (status, v) = api_post(&app, "fel-token", ct, body).await;
        assert_eq!(status, 401, "{ct:?} {v}");
        assert_eq!(v["errors"][0]["field"], "Authorization", "{v}");
        let (status, _) = api_post(&app, "", ct, body).await;
        assert_eq!(status, 401);
    }
    // A valid token without JSON: 415 with a JSON error.
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/jsonx"),
    ] {
        let (status, v) = api_post(&app, &token, ct, b"{}").await;
        assert_eq!(status, 415, "{ct:?} {v}");
        assert_eq!(v["errors"][0]["field"], "Content-Type", "{v}");
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("application/json")
        );
    }
    // With JSON (a charset parameter is fine), the schema is checked.
    for ct in [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
    ] {
        let (status, v) = api_post(&app, &token, Some(ct), b"{}").await;
        assert_eq!(status, 400, "{ct} {v}");
    }
}

// ---------------------------------------------------------------------------------------------
// 6. The login throttle: per (account, client address).

async fn login_throttle_is_per_account_and_address(app: TestApp) {
    let u = app.user(&[Role::Handler], &[]);
    let policy = LockoutPolicy {
        failures: 5,
        duration: Duration::minutes(15),
    };
    // Each attempt at its own TOTP step, so that no code is refused as replayed.
    let attempt = |addr: &str, password: &str| {
        app.clock.advance(Duration::seconds(30));
        let ctx = Ctx {
            now: app.clock.now(),
            client_addr: addr.into(),
            principal: kontosparr::service::Principal::Visitor,
        };
        login(
            &mut app.conn(),
            &ctx,
            &app.state.secrets,
            policy,
            &u.hsa_id,
            password,
            &app.code(&u),
            None,
        )
    };
    let attacker = "203.0.113.9";
    let office = "192.0.2.10";
    for n in 1..=3 {
        assert!(attempt(attacker, "fel lösenord").is_err(), "failure {n}");
    }
    // The 4th failure does not block yet: the right password still works from there…
    assert!(attempt(attacker, "fel lösenord").is_err());
    assert!(attempt(attacker, PASSWORD).is_ok(), "after four failures");
    // …and a success starts the count again.
    for _ in 0..4 {
        assert!(attempt(attacker, "fel lösenord").is_err());
    }
    let count = |action: &str| app.audit_actions().iter().filter(|a| *a == action).count();
    assert_eq!(count("account_locked"), 0);
    // The 5th failure blocks the account from that address.
    assert!(attempt(attacker, "fel lösenord").is_err());
    assert_eq!(count("account_locked"), 1);
    let blocked_at = app.clock.now();
    // The attempt right after, with the right password: refused, same answer as any failure.
    assert!(matches!(
        attempt(attacker, PASSWORD),
        Err(ServiceError::LoginFailed)
    ));
    assert_eq!(count("login_refused_locked"), 1);
    // The same account from another address logs in all along.
    assert!(
        attempt(office, PASSWORD).is_ok(),
        "another address is not affected"
    );
    // Another account from the attacker's address is not affected either.
    let v = app.user(&[Role::Handler], &[]);
    app.clock.advance(Duration::seconds(30));
    let ctx = Ctx {
        now: app.clock.now(),
        client_addr: attacker.into(),
        principal: kontosparr::service::Principal::Visitor,
    };
    assert!(
        login(
            &mut app.conn(),
            &ctx,
            &app.state.secrets,
            policy,
            &v.hsa_id,
            PASSWORD,
            &app.code(&v),
            None
        )
        .is_ok()
    );
    // One second before fifteen minutes: still blocked (the code is fresh, the step unused).
    let at = |t: chrono::DateTime<chrono::Utc>| Ctx {
        now: t,
        client_addr: attacker.into(),
        principal: kontosparr::service::Principal::Visitor,
    };
    let code_at = |t: chrono::DateTime<chrono::Utc>| {
        kontosparr::auth::totp::code_at(&u.secret, kontosparr::auth::totp::step_of(t.timestamp()))
            .unwrap()
    };
    let before = blocked_at + Duration::minutes(15) - Duration::seconds(1);
    app.clock.set(before);
    let r = login(
        &mut app.conn(),
        &at(before),
        &app.state.secrets,
        policy,
        &u.hsa_id,
        PASSWORD,
        &code_at(before),
        None,
    );
    assert!(
        matches!(r, Err(ServiceError::LoginFailed)),
        "still blocked just before"
    );
    // Exactly fifteen minutes after the block: open again.
    let exactly = blocked_at + Duration::minutes(15);
    app.clock.set(exactly);
    let r = login(
        &mut app.conn(),
        &at(exactly),
        &app.state.secrets,
        policy,
        &u.hsa_id,
        PASSWORD,
        &code_at(exactly),
        None,
    );
    assert!(r.is_ok(), "open at exactly fifteen minutes: {r:?}");
}

// ---------------------------------------------------------------------------------------------
// 11. A scanned form is stored and sent as `blankett-<n>.pdf`, never the uploaded name.

async fn scanned_forms_are_stored_and_sent_under_the_cases_own_name(app: TestApp) {
    let unit = app.unit("A");
    let doctor = app.user_with(&[Role::Clinician], &[unit], true);
    let nurse = app.user(&[Role::Clinician], &[unit]);
    let handler = app.user(&[Role::Handler], &[]);
    let id =
        common::flow::executed_lock(&app, unit, doctor.id, nurse.id, handler.id, "19121212-1212");
    let mut h = app.browser();
    app.login(&mut h, &handler).await;
    let page = h.get(&format!("/arenden/{id}")).await;
    let token = page.csrf();
    // A PDF that is also an HTML page, named to be opened as one.
    let polyglot: &[u8] =
        b"%PDF-1.4\n<html><script>alert(document.cookie)</script></html>\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
    let path = format!("/arenden/{id}/bilagor");
    for name in ["x.html", "\"; filename=evil.html", "andra.pdf"] {
        let r = h
            .post_file(&path, &[("csrf_token", &token)], ("file", name, polyglot))
            .await;
        assert_eq!(r.status, 303, "{name}: {}", r.body);
    }
    let page = h.get(&format!("/arenden/{id}")).await;
    for n in 1..=3 {
        assert!(
            page.body.contains(&format!(">blankett-{n}.pdf<")),
            "{}",
            page.body
        );
    }
    assert!(
        !page.body.contains("x.html")
            && !page.body.contains("evil")
            && !page.body.contains("andra.pdf")
    );
    let start = page.body.find(&format!("/arenden/{id}/bilagor/")).unwrap();
    let end = start + page.body[start..].find('"').unwrap();
    let file = h.get(&page.body[start..end]).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.header("content-type"), Some("application/pdf"));
    assert_eq!(file.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        file.header("content-disposition"),
        Some("attachment; filename=\"blankett-1.pdf\"")
    );
    // Numbers are per case: another case starts at 1.
    let other =
        common::flow::executed_lock(&app, unit, doctor.id, nurse.id, handler.id, "19121212-1212");
    let r = h
        .post_file(
            &format!("/arenden/{other}/bilagor"),
            &[("csrf_token", &token)],
            ("file", "y.html", polyglot),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = h.get(&format!("/arenden/{other}")).await;
    assert!(page.body.contains(">blankett-1.pdf<") && !page.body.contains("blankett-2.pdf"));
}

// ---------------------------------------------------------------------------------------------
// 9. No ANSI colour codes when the log is not a terminal.

#[test]
fn the_log_has_no_colour_codes_when_not_a_terminal() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("stderr.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kontosparr"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("k.db").display()),
        )
        .env(
            "KONTOSPARR_ATTACHMENTS_DIR",
            dir.path().join("files").display().to_string(),
        )
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut text = String::new();
    for _ in 0..200 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        text.clear();
        std::fs::File::open(&log_path)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        if text.contains("listening") || child.try_wait().unwrap().is_some() {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        text.contains("listening"),
        "the server did not start: {text}"
    );
    assert!(text.contains("INFO"), "{text}");
    assert!(
        !text.contains("\x1b["),
        "colour codes in a log file: {text:?}"
    );
}
