//! Strong login, sessions, CSRF and headers, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::Duration;
use common::{PASSWORD, TestApp, field_value};
use kontosparr::clock::Clock;
use kontosparr::domain::Role;

dual!(
    health_redirect_and_headers,
    login_needs_password_and_current_code,
    a_code_works_once,
    five_failures_block_the_account_from_that_address,
    unknown_user_and_wrong_password_look_alike,
    post_without_csrf_token_is_refused,
    sessions_time_out_and_end_server_side,
    disabling_a_user_ends_their_sessions,
    a_unit_made_on_another_node_is_the_users_at_once,
    enrolment_link_sets_password_and_totp,
    temporary_password_must_be_changed,
    recovery_code_works_once,
    the_login_page_speaks_the_browsers_language,
    a_user_who_chooses_english_reads_english,
    the_case_page_reads_its_session_in_its_own_run,
);

async fn health_redirect_and_headers(app: TestApp) {
    let mut b = app.browser();
    let h = b.get("/healthz").await;
    assert_eq!(h.status, 200);
    let r = b.get("/").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), Some("/login"));
    let login = b.get("/login").await;
    assert_eq!(login.status, 200);
    assert!(login.body.contains("<html lang=\"sv\">"));
    assert!(login.body.contains("Logga in"));
    for page in [&r, &login, &h] {
        let csp = page.header("content-security-policy").unwrap_or("");
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    }
    assert_eq!(login.header("cache-control"), Some("no-store"));
    let cookie = login.header("set-cookie").unwrap_or("");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    // No inline script or style anywhere in the page.
    assert!(!login.body.contains("<script") && !login.body.contains("style="));
    // Plain http on loopback: no HSTS.
    assert_eq!(login.header("strict-transport-security"), None);
}

async fn login_needs_password_and_current_code(app: TestApp) {
    let u = app.user(&[Role::Handler], &[]);
    let mut b = app.browser();
    // Password alone is not enough.
    let r = b.login(&u, PASSWORD, "").await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Inloggningen misslyckades"));
    // A wrong code is refused.
    let code = app.code(&u);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(b.login(&u, PASSWORD, wrong).await.status, 401);
    // A code from five minutes ago is refused.
    let old = kontosparr::auth::totp::code_at(
        &u.secret,
        kontosparr::auth::totp::step_of(app.clock.now().timestamp()) - 10,
    )
    .unwrap();
    if old != code {
        assert_eq!(b.login(&u, PASSWORD, &old).await.status, 401);
    }
    // Password and current code: in, with a new session id.
    let before = b.cookie.clone();
    let r = b.login(&u, PASSWORD, &code).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), Some("/"));
    assert_ne!(b.cookie, before, "a new session id at login");
    let home = b.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains(&u.name));
    let log = app.audit_actions();
    assert!(log.contains(&"login".to_string()));
    assert_eq!(log.iter().filter(|a| *a == "login_failed").count(), 3);
}

async fn a_code_works_once(app: TestApp) {
    let u = app.user(&[Role::Clinician], &[app.unit("A")]);
    let code = app.code(&u);
    let mut first = app.browser();
    assert_eq!(first.login(&u, PASSWORD, &code).await.status, 303);
    // The same code again, within its 30 seconds, from another browser: refused.
    let mut second = app.browser();
    assert_eq!(second.login(&u, PASSWORD, &code).await.status, 401);
    // The next step's code works.
    app.clock.advance(Duration::seconds(30));
    assert_eq!(second.login(&u, PASSWORD, &app.code(&u)).await.status, 303);
}

async fn five_failures_block_the_account_from_that_address(app: TestApp) {
    use kontosparr::service::Ctx;
    use kontosparr::service::auth::{LockoutPolicy, login};
    let u = app.user(&[Role::Handler], &[]);
    let mut b = app.browser();
    for _ in 0..5 {
        assert_eq!(
            b.login(&u, "fel lösenord igen", &app.code(&u)).await.status,
            401
        );
    }
    // Now even the right password and code are refused from this address, with the same answer.
    let r = b.login(&u, PASSWORD, &app.code(&u)).await;
    assert_eq!(r.status, 401);
    let log = app.audit_actions();
    assert!(log.contains(&"account_locked".to_string()), "{log:?}");
    assert!(log.contains(&"login_refused_locked".to_string()));
    // The same account from another address is not affected (nobody can lock a colleague out).
    app.clock.advance(Duration::seconds(30));
    let elsewhere = Ctx {
        now: app.clock.now(),
        client_addr: "192.0.2.44".into(),
        principal: kontosparr::service::Principal::Visitor,
    };
    let policy = LockoutPolicy {
        failures: 5,
        duration: Duration::minutes(15),
    };
    let other = login(
        &mut app.conn(),
        &elsewhere,
        &app.state.secrets,
        policy,
        &u.hsa_id,
        PASSWORD,
        &app.code(&u),
        None,
    );
    assert!(other.is_ok(), "{other:?}");
    // Fifteen minutes after the block began, this address opens again.
    app.clock.advance(Duration::minutes(15));
    assert_eq!(b.login(&u, PASSWORD, &app.code(&u)).await.status, 303);
}

fn without_token(body: &str) -> String {
    match field_value(body, "csrf_token") {
        Some(t) => body.replace(&t, "TOKEN"),
        None => body.to_string(),
    }
}

async fn unknown_user_and_wrong_password_look_alike(app: TestApp) {
    let u = app.user(&[Role::Handler], &[]);
    let mut b = app.browser();
    let wrong = b.login(&u, "inte rätt lösenord", &app.code(&u)).await;
    let ghost = common::TestUser {
        id: 0,
        hsa_id: u.hsa_id.replace("T0", "X9"),
        name: String::new(),
        secret: u.secret.clone(),
    };
    let unknown = b.login(&ghost, "inte rätt lösenord", &app.code(&u)).await;
    assert_eq!(wrong.status, unknown.status);
    // The pages differ only in the echoed HSA-ID.
    assert_eq!(
        without_token(&wrong.body).replace(&u.hsa_id, "ID"),
        without_token(&unknown.body).replace(&ghost.hsa_id, "ID")
    );
}

async fn post_without_csrf_token_is_refused(app: TestApp) {
    let admin = app.user(&[Role::Admin], &[]);
    let mut b = app.browser();
    b.get("/login").await;
    let r = b
        .post(
            "/login",
            &[
                ("hsa_id", &admin.hsa_id),
                ("password", PASSWORD),
                ("code", &app.code(&admin)),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("Formuläret kunde inte skickas"));
    assert!(r.header("content-security-policy").is_some());
    app.login(&mut b, &admin).await;
    // Logged in: admin changes and logout without a token, or with a wrong one, are refused.
    for (path, fields) in [
        (
            "/admin/vardgivare",
            vec![("name", "Vård AB"), ("org_number", "556677-8899")],
        ),
        ("/logout", vec![]),
        ("/admin/anvandare/ny", vec![("hsa_id", "SE2321000131-Z1")]),
    ] {
        assert_eq!(b.post(path, &fields).await.status, 403, "{path}");
        let mut with_wrong = vec![("csrf_token", "forged")];
        with_wrong.extend(fields.iter().cloned());
        assert_eq!(b.post(path, &with_wrong).await.status, 403, "{path}");
    }
    // Still logged in (the refused logout did nothing).
    assert_eq!(b.get("/").await.status, 200);
    // A valid token from a foreign origin is refused too.
    let token = b.get("/admin/vardgivare").await.csrf();
    b.origin = Some("https://evil.example".into());
    let r = b
        .post(
            "/admin/vardgivare",
            &[
                ("csrf_token", &token),
                ("name", "Vård AB"),
                ("org_number", "556677-8899"),
                ("kind", "private"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    b.origin = Some(app.base.clone());
    let r = b
        .post(
            "/admin/vardgivare",
            &[
                ("csrf_token", &token),
                ("name", "Vård AB"),
                ("org_number", "556677-8899"),
                ("kind", "private"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}

async fn sessions_time_out_and_end_server_side(app: TestApp) {
    let u = app.user(&[Role::Auditor], &[]);
    let mut b = app.browser();
    app.login(&mut b, &u).await;
    // Idle for 14 minutes: still in (and the visit counts as activity).
    app.clock.advance(Duration::minutes(14));
    assert_eq!(b.get("/").await.status, 200);
    // Then 16 minutes idle: out.
    app.clock.advance(Duration::minutes(16));
    assert_eq!(b.get("/").await.location(), Some("/login"));

    // Absolute limit: active every 10 minutes, still out after 10 hours.
    app.login(&mut b, &u).await;
    for _ in 0..59 {
        app.clock.advance(Duration::minutes(10));
        assert_eq!(b.get("/").await.status, 200);
    }
    app.clock.advance(Duration::minutes(10));
    assert_eq!(b.get("/").await.location(), Some("/login"));

    // Logout ends the session on the server: the old cookie is worthless.
    app.login(&mut b, &u).await;
    let stolen = b.cookie.clone();
    let token = b.get("/").await.csrf();
    let r = b.post("/logout", &[("csrf_token", &token)]).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Du är utloggad"));
    b.cookie = stolen;
    assert_eq!(b.get("/").await.location(), Some("/login"));
    assert!(app.audit_actions().contains(&"logout".to_string()));
}

async fn disabling_a_user_ends_their_sessions(app: TestApp) {
    let unit = app.unit("PSYK");
    let admin = app.user(&[Role::Admin], &[]);
    let nurse = app.user(&[Role::Clinician], &[unit]);
    let mut nb = app.browser();
    app.login(&mut nb, &nurse).await;
    let mut ab = app.browser();
    app.login(&mut ab, &admin).await;
    let path = format!("/admin/anvandare/{}", nurse.id);
    let unit_s = unit.to_string();
    let r = ab
        .submit(
            &path,
            &path,
            &[
                ("name", &nurse.name),
                ("email", "n@example.se"),
                ("roles", "clinician"),
                ("units", &unit_s),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(nb.get("/").await.location(), Some("/login"));
    assert!(app.audit_actions().contains(&"user_disabled".to_string()));
    // And the disabled user cannot log in.
    assert_eq!(
        nb.login(&nurse, PASSWORD, &app.code(&nurse)).await.status,
        401
    );
}

/// The request's principal reads its unit ids with the session (one statement) and their names
/// from this node's unit cache; a unit the cache has not seen — made on another node a moment
/// ago, so nothing emptied this node's cache — is read from the database, not dropped: a user
/// added to it has it on the next request.
async fn a_unit_made_on_another_node_is_the_users_at_once(app: TestApp) {
    use diesel::prelude::*;
    use kontosparr::db::schema::{units, user_units};
    let unit = app.unit("NODA");
    let nurse = app.user(&[Role::Clinician], &[unit]);
    let mut b = app.browser();
    app.login(&mut b, &nurse).await;
    // The account page lists the user's units; it also fills this node's unit cache.
    let page = b.get("/konto").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Enhet NODA"), "{}", page.body);
    assert!(!page.body.contains("Enhet på annan nod"));
    // Another node: the rows written straight to the database, past this node's cache.
    {
        let mut c = app.conn();
        let c: &mut kontosparr::db::DbConnection = &mut c;
        let now = kontosparr::db::ts(app.clock.now());
        diesel::insert_into(units::table)
            .values((
                units::code.eq("NODB"),
                units::name.eq("Enhet på annan nod"),
                units::chief_physician_function.eq("Chefläkare Område 1"),
                units::chief_physician_email.eq("chefslakare@example.se"),
                units::active.eq(true),
                units::created_at.eq(now),
                units::updated_at.eq(now),
            ))
            .execute(c)
            .expect("unit");
        let other: i64 = units::table
            .filter(units::code.eq("NODB"))
            .select(units::id)
            .first(c)
            .expect("id");
        diesel::insert_into(user_units::table)
            .values((
                user_units::user_id.eq(nurse.id),
                user_units::unit_id.eq(other),
            ))
            .execute(c)
            .expect("membership");
    }
    let page = b.get("/konto").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Enhet NODA"), "{}", page.body);
    assert!(
        page.body.contains("Enhet på annan nod"),
        "the unit made on another node is missing: {}",
        page.body
    );
}

async fn enrolment_link_sets_password_and_totp(app: TestApp) {
    let unit = app.unit("BUP");
    let admin = app.user(&[Role::Admin], &[]);
    let mut ab = app.browser();
    app.login(&mut ab, &admin).await;
    let unit_s = unit.to_string();
    // A form with errors comes back with what was typed and the errors beside the fields.
    let r = ab
        .submit(
            "/admin/anvandare/ny",
            "/admin/anvandare/ny",
            &[
                ("hsa_id", "SE123"),
                ("name", "Nora Nyström"),
                ("email", "nora@"),
                ("roles", "clinician"),
                ("is_decider", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Det finns fel i formuläret"));
    assert!(r.body.contains("value=\"Nora Nyström\""));
    assert!(r.body.contains("value=\"SE123\""));
    assert!(r.body.contains("id=\"hsa_id-error\""));
    assert!(r.body.contains("id=\"email-error\""));
    assert!(
        r.body.contains(
            "Vårdpersonal, verksamhetschefer och chefläkare måste höra till minst en enhet"
        )
    );
    assert!(
        r.body
            .contains("id=\"is_decider\" name=\"is_decider\" value=\"true\" checked")
    );
    let r = ab
        .submit(
            "/admin/anvandare/ny",
            "/admin/anvandare/ny",
            &[
                ("hsa_id", "se2321000131-p000000099999"),
                ("name", "Nora Nyström"),
                ("email", "nora@example.se"),
                ("roles", "clinician"),
                ("roles", "manager"),
                ("units", &unit_s),
                ("is_decider", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let start = r.body.find("/aktivera/").expect("link");
    let end = start + r.body[start..].find('<').expect("end");
    let link = r.body[start..end].to_string();

    let mut nb = app.browser();
    let page = nb.get(&link).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("SE2321000131-P000000099999"));
    let short = nb
        .post(
            &link,
            &[
                ("csrf_token", &page.csrf()),
                ("password", "kort"),
                ("confirm", "kort"),
            ],
        )
        .await;
    assert_eq!(short.status, 422);
    assert!(short.body.contains("minst 12 tecken"));
    let common = nb
        .post(
            &link,
            &[
                ("csrf_token", &page.csrf()),
                ("password", "Password1234!"),
                ("confirm", "Password1234!"),
            ],
        )
        .await;
    assert!(common.body.contains("för vanligt"));
    let new_pw = "Kanelbullar på fredag 12";
    let r = nb
        .post(
            &link,
            &[
                ("csrf_token", &page.csrf()),
                ("password", new_pw),
                ("confirm", new_pw),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), Some("/konto/tvafaktor"));
    // Not logged in yet: the start page sends to TOTP enrolment.
    assert_eq!(nb.get("/").await.location(), Some("/konto/tvafaktor"));
    let totp = nb.get("/konto/tvafaktor").await;
    assert!(totp.body.contains("<svg"));
    let s = totp.body.find("<code>").expect("secret") + 6;
    let secret: String = totp.body[s..s + totp.body[s..].find('<').unwrap()].replace(' ', "");
    let code = kontosparr::auth::totp::code_at(
        &secret,
        kontosparr::auth::totp::step_of(app.clock.now().timestamp()),
    )
    .unwrap();
    let bad = nb
        .post(
            "/konto/tvafaktor",
            &[("csrf_token", &totp.csrf()), ("code", "12")],
        )
        .await;
    assert_eq!(bad.status, 422);
    let done = nb
        .post(
            "/konto/tvafaktor",
            &[("csrf_token", &totp.csrf()), ("code", &code)],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body.matches("<li><code>").count(), 10);
    assert_eq!(nb.get("/").await.status, 200);
    // The link is used up.
    assert_eq!(app.browser().get(&link).await.status, 410);
    let log = app.audit_actions();
    for a in ["user_created", "password_set_by_link", "totp_enrolled"] {
        assert!(log.contains(&a.to_string()), "{a} in {log:?}");
    }
}

/// A clinician of `unit` made by an administrator with the temporary password `temp` (to be
/// changed at the first login).
fn temporary_user(app: &TestApp, hsa_id: &str, unit: i64, temp: &str) -> common::TestUser {
    let input = kontosparr::service::admin::UserInput {
        hsa_id: hsa_id.into(),
        name: "Tora Temp".into(),
        email: format!("{}@example.se", hsa_id.to_lowercase()),
        roles: vec!["clinician".into()],
        units: vec![unit.to_string()],
        is_decider: false,
        active: true,
    };
    kontosparr::service::admin::create_user(
        &mut app.conn(),
        &app.ctx(),
        &input,
        kontosparr::service::admin::FirstPassword::Temporary(temp),
    )
    .unwrap();
    common::TestUser {
        id: 0,
        hsa_id: hsa_id.into(),
        name: String::new(),
        secret: String::new(),
    }
}

async fn temporary_password_must_be_changed(app: TestApp) {
    let unit = app.unit("VC");
    let temp = "Tillfälligt lösenord 99";
    let u = temporary_user(&app, "SE2321000131-P7", unit, temp);
    let mut b = app.browser();
    let r = b.login(&u, temp, "").await;
    assert_eq!(r.location(), Some("/konto/nytt-losenord"));
    // Nothing else is reachable before the change.
    assert_eq!(b.get("/").await.location(), Some("/konto/nytt-losenord"));
    assert_eq!(b.get("/konto/tvafaktor").await.location(), Some("/login"));
    let same = b
        .submit(
            "/konto/nytt-losenord",
            "/konto/nytt-losenord",
            &[("password", temp), ("confirm", temp)],
        )
        .await;
    assert_eq!(same.status, 422);
    let mismatch = b
        .submit(
            "/konto/nytt-losenord",
            "/konto/nytt-losenord",
            &[
                ("password", "Ett nytt långt lösen"),
                ("confirm", "Ett annat långt lösen"),
            ],
        )
        .await;
    assert!(mismatch.body.contains("inte lika"));
    let ok = b
        .submit(
            "/konto/nytt-losenord",
            "/konto/nytt-losenord",
            &[
                ("password", "Ett nytt långt lösen"),
                ("confirm", "Ett nytt långt lösen"),
            ],
        )
        .await;
    assert_eq!(ok.location(), Some("/konto/tvafaktor"));
}

async fn recovery_code_works_once(app: TestApp) {
    let u = app.user(&[Role::Handler], &[]);
    let codes = kontosparr::auth::tokens::recovery_codes();
    let digests: Vec<String> = codes
        .iter()
        .map(|c| kontosparr::auth::tokens::recovery_digest(c))
        .collect();
    kontosparr::db::users::replace_recovery_codes(&mut app.conn(), u.id, &digests).unwrap();
    let mut b = app.browser();
    assert_eq!(
        b.login(&u, PASSWORD, &codes[3].to_uppercase()).await.status,
        303
    );
    let mut c = app.browser();
    assert_eq!(c.login(&u, PASSWORD, &codes[3]).await.status, 401);
}

async fn rate_limited(app: TestApp) {
    let u = app.user(&[Role::Handler], &[]);
    let mut b = app.browser();
    for _ in 0..3 {
        assert_eq!(b.login(&u, "fel", "000000").await.status, 401);
    }
    let r = b.login(&u, PASSWORD, &app.code(&u)).await;
    assert_eq!(r.status, 429);
    assert!(r.body.contains("För många inloggningsförsök"));
}

#[actix_web::test]
async fn login_attempts_are_rate_limited_per_address() {
    let app = TestApp::builder(common::Backend::Sqlite)
        .config(|c| c.login_rate_per_ip = 3)
        .start()
        .await;
    rate_limited(app).await;
}

#[actix_web::test]
async fn over_https_cookies_are_host_prefixed_and_hsts_is_sent() {
    let app = TestApp::builder(common::Backend::Sqlite)
        .config(|c| c.public_url = Some("https://kontosparr.example.se".into()))
        .start()
        .await;
    let mut b = app.browser();
    let r = b.get("/login").await;
    let cookie = r.header("set-cookie").unwrap_or("");
    assert!(cookie.starts_with("__Host-kontosparr="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("Path=/"));
    assert!(!cookie.contains("Domain"));
    assert!(
        r.header("strict-transport-security")
            .is_some_and(|h| h.contains("max-age="))
    );
}

/// The login page answers in English to `Accept-Language: en` and in Swedish otherwise, with
/// `<html lang>` to match; a failed login answers in the same language.
async fn the_login_page_speaks_the_browsers_language(app: TestApp) {
    let client = awc::Client::builder().disable_redirects().finish();
    let get = |lang: Option<&'static str>| {
        let mut req = client.get(format!("{}/login", app.base));
        if let Some(l) = lang {
            req = req.insert_header(("accept-language", l));
        }
        async move {
            let mut res = req.send().await.unwrap();
            let body = res.body().await.unwrap();
            String::from_utf8_lossy(&body).into_owned()
        }
    };
    let en = get(Some("en-GB,en;q=0.9")).await;
    assert!(en.contains("<html lang=\"en\">"), "{en}");
    assert!(en.contains("<h1>Log in</h1>") && en.contains("One-time code"));
    assert!(!en.contains("Engångskod"));
    for lang in [
        None,
        Some("sv-SE"),
        Some("de, fr"),
        Some("en;q=0.1, sv;q=0.9"),
    ] {
        let sv = get(lang).await;
        assert!(sv.contains("<html lang=\"sv\">"), "{lang:?}");
        assert!(
            sv.contains("<h1>Logga in</h1>") && sv.contains("Engångskod"),
            "{lang:?}"
        );
    }
    // A failed login keeps the visitor's language.
    let mut b = app.browser();
    let page = b.get("/login").await;
    let token = page.csrf();
    let body = serde_html_form::to_string([
        ("csrf_token", token.as_str()),
        ("hsa_id", "SE2321000131-X000000000001"),
        ("password", "fel"),
        ("code", "000000"),
    ])
    .unwrap();
    let mut res = client
        .post(format!("{}/login", app.base))
        .insert_header(("cookie", b.cookie.clone().unwrap()))
        .insert_header(("accept-language", "en"))
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .send_body(body)
        .await
        .unwrap();
    let failed = String::from_utf8_lossy(&res.body().await.unwrap()).into_owned();
    assert_eq!(res.status().as_u16(), 401, "{failed}");
    assert!(failed.contains("Login failed"), "{failed}");
}

/// The language a user chose on their own page, as stored.
fn stored_lang(app: &TestApp, user_id: i64) -> String {
    kontosparr::db::users::by_id(&mut app.conn(), user_id)
        .unwrap()
        .unwrap()
        .lang
}

/// A GET with the browser's cookie and an `Accept-Language` header.
async fn get_with_lang(app: &TestApp, b: &common::Browser, path: &str, lang: &str) -> String {
    let client = awc::Client::builder().disable_redirects().finish();
    let mut res = client
        .get(format!("{}{path}", app.base))
        .insert_header(("cookie", b.cookie.clone().unwrap()))
        .insert_header(("accept-language", lang))
        .send()
        .await
        .unwrap();
    String::from_utf8_lossy(&res.body().await.unwrap()).into_owned()
}

/// Swedish until the user chooses English on their own page (a radio button, POST with CSRF);
/// then the account page, the admin pages, their form errors and the error pages answer in
/// English with `<html lang="en">`, whatever the browser asks for — and in Swedish again when
/// the user chooses it. The choice is logged; a value that is not a language changes nothing.
async fn a_user_who_chooses_english_reads_english(app: TestApp) {
    let admin = app.user(&[Role::Admin], &[]);
    let other = app.user(&[Role::Admin], &[]);
    let mut b = app.browser();
    app.login(&mut b, &admin).await;
    let mut o = app.browser();
    app.login(&mut o, &other).await;

    // Swedish by default: the account page offers both languages, Swedish chosen.
    let account = b.get("/konto").await;
    assert_eq!(account.status, 200);
    assert!(account.body.contains("<html lang=\"sv\">"));
    assert!(
        account.body.contains("<h1>Mitt konto</h1>"),
        "{}",
        account.body
    );
    assert!(account.body.contains("Administratör") && account.body.contains(">Användare</a>"));
    assert!(
        account.body.contains("name=\"lang\" value=\"sv\" checked")
            && account.body.contains("name=\"lang\" value=\"en\">")
            && account.body.contains(">Svenska</label>")
            && account.body.contains(">English</label>")
    );
    let users = b.get("/admin/anvandare").await;
    assert!(
        users.body.contains("<html lang=\"sv\">")
            && users.body.contains("Sök på namn eller HSA-id")
    );
    assert_eq!(stored_lang(&app, admin.id), "sv");

    // Without the CSRF token nothing changes.
    let r = b.post("/konto/sprak", &[("lang", "en")]).await;
    assert_eq!(r.status, 403);
    assert_eq!(stored_lang(&app, admin.id), "sv");
    // A value that is not a language is refused, and nothing changes.
    let r = b.submit("/konto", "/konto/sprak", &[("lang", "de")]).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(stored_lang(&app, admin.id), "sv");

    // English chosen.
    let r = b.submit("/konto", "/konto/sprak", &[("lang", "en")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), Some("/konto?sparad=1"));
    assert_eq!(stored_lang(&app, admin.id), "en");
    let account = b.get("/konto?sparad=1").await;
    assert!(
        account.body.contains("<html lang=\"en\">"),
        "{}",
        account.body
    );
    assert!(account.body.contains("<h1>My account</h1>"));
    assert!(account.body.contains("Your language has been saved."));
    assert!(account.body.contains("name=\"lang\" value=\"en\" checked"));
    assert!(account.body.contains("Administrator") && account.body.contains(">Users</a>"));
    assert!(account.body.contains("Log out") && account.body.contains("All access is logged."));
    for swedish in ["Mitt konto", "Användare", "Logga ut", "Roller", "Enheter"] {
        assert!(
            !account.body.contains(swedish),
            "{swedish} on an English page"
        );
    }
    // An admin page, in English whatever the browser asks for.
    let users = get_with_lang(&app, &b, "/admin/anvandare", "sv-SE").await;
    assert!(users.contains("<html lang=\"en\">"), "{users}");
    assert!(users.contains("<h1>Users</h1>") && users.contains("Search by name or HSA-ID"));
    assert!(!users.contains("Sök på namn"));
    // A form's errors, worded in English.
    let bad = b
        .submit(
            "/admin/vardgivare",
            "/admin/vardgivare",
            &[("name", ""), ("org_number", "12")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("There is a problem with the form"),
        "{}",
        bad.body
    );
    assert!(
        bad.body.contains("Fill in this field.")
            && bad.body.contains("Enter an organisation number")
    );
    assert!(!bad.body.contains("Fyll i fältet"));
    // A refusal typed by the service, worded in English.
    let mine = b.get(&format!("/admin/anvandare/{}", admin.id)).await;
    let refused = b
        .post(
            &format!("/admin/anvandare/{}", admin.id),
            &[
                ("csrf_token", mine.csrf().as_str()),
                ("name", admin.name.as_str()),
                ("email", "a@example.se"),
                ("roles", "admin"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("You cannot deactivate yourself"),
        "{}",
        refused.body
    );
    // An error page.
    let missing = b.get("/admin/anvandare/999999").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("<html lang=\"en\">") && missing.body.contains("Page not found"));

    // The other user, who chose nothing, stays Swedish even when the browser asks for English.
    let theirs = get_with_lang(&app, &o, "/admin/anvandare", "en").await;
    assert!(theirs.contains("<html lang=\"sv\">") && theirs.contains("<h1>Användare</h1>"));

    // The choice is logged, by the user, with the language.
    {
        use diesel::prelude::*;
        use kontosparr::db::schema::access_log::dsl::*;
        let rows: Vec<(Option<String>, Option<String>)> = access_log
            .filter(action.eq("language_set"))
            .select((user_hsa_id, detail))
            .load(&mut app.conn() as &mut kontosparr::db::DbConnection)
            .unwrap();
        assert_eq!(
            rows,
            vec![(Some(admin.hsa_id.clone()), Some("en".to_string()))]
        );
    }

    // Back to Swedish.
    let r = b.submit("/konto", "/konto/sprak", &[("lang", "sv")]).await;
    assert_eq!(r.status, 303);
    let account = b.get("/konto").await;
    assert!(
        account.body.contains("<html lang=\"sv\">") && account.body.contains("<h1>Mitt konto</h1>")
    );
    assert_eq!(stored_lang(&app, admin.id), "sv");
}

/// The case page reads the session inside its own trip to the blocking pool (`web::principal`):
/// one `run` for the session, the access decision, the case and its logged view. The session's
/// rules hold on that path as on every other: no session or an expired one is sent to log in, a
/// half-way login to finish it, a refusal is logged, and pages (error pages too) are in the
/// user's language.
async fn the_case_page_reads_its_session_in_its_own_run(app: TestApp) {
    use common::flow;
    let unit = app.unit("PSYK");
    let other_unit = app.unit("ORT");
    let c = app.user_with(&[Role::Clinician], &[unit], true);
    let o = app.user(&[Role::Clinician], &[other_unit]);
    let wf = kontosparr::service::cases::Workflow::from_config(&app.state.config);
    let id = kontosparr::service::cases::create_draft(
        &mut app.conn(),
        &flow::ctx(&app, c.id),
        &flow::lock_input(unit, c.id, "191212121212"),
        &wf,
    )
    .unwrap();
    let path = format!("/arenden/{id}");
    let metrics = app.state.metrics.clone().unwrap();
    let logged = || app.audit_actions().len();

    let mut b = app.browser();
    app.login(&mut b, &c).await;
    let (runs, entries) = (metrics.blocking_runs(), logged());
    let page = b.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Tolvan Tolvansson"));
    assert_eq!(
        metrics.blocking_runs() - runs,
        1,
        "one trip for the whole page"
    );
    assert_eq!(logged() - entries, 1, "the view is logged");

    // The lists, one trip each too.
    let h = app.user(&[Role::Handler], &[]);
    let mut hb = app.browser();
    app.login(&mut hb, &h).await;
    for (handler, page) in [
        (false, "/"),
        (false, "/arenden"),
        (false, "/omprovningar"),
        (true, "/arenden?status=draft"),
        (true, "/handlaggning"),
        (true, "/diarium"),
    ] {
        let runs = metrics.blocking_runs();
        let r = if handler {
            hb.get(page).await
        } else {
            b.get(page).await
        };
        assert_eq!(r.status, 200, "{page}: {}", r.body);
        assert_eq!(metrics.blocking_runs() - runs, 1, "{page}");
    }

    // Another unit's clinician: refused, logged, in one trip.
    let mut ob = app.browser();
    app.login(&mut ob, &o).await;
    let (runs, entries) = (metrics.blocking_runs(), logged());
    let refused = ob.get(&path).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(!refused.body.contains("Tolvan"));
    assert_eq!(metrics.blocking_runs() - runs, 1);
    assert_eq!(logged() - entries, 1, "the refusal is logged");

    // No session: to the login page, without a trip to the database.
    let runs = metrics.blocking_runs();
    let anonymous = app.browser().get(&path).await;
    assert_eq!(anonymous.location(), Some("/login"));
    assert_eq!(metrics.blocking_runs(), runs);
    // A cookie that is no session: to the login page.
    let mut forged = app.browser();
    forged.cookie = Some(format!("{}=not-a-session", app.state.cookie_name()));
    assert_eq!(forged.get(&path).await.location(), Some("/login"));

    // The user's language, on the page and on its error page, whatever the browser asks for.
    let r = b.submit("/konto", "/konto/sprak", &[("lang", "en")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let english = get_with_lang(&app, &b, &path, "sv-SE").await;
    assert!(english.contains("<html lang=\"en\">"), "{english}");
    let missing = get_with_lang(&app, &b, "/arenden/999999999", "sv-SE").await;
    assert!(missing.contains("<html lang=\"en\">"), "{missing}");
    let no_page = get_with_lang(&app, &b, "/ingen-sadan-sida", "sv-SE").await;
    assert!(no_page.contains("<html lang=\"en\">"), "{no_page}");

    // The view counts as activity: 14 minutes idle twice, with a view between, is still in.
    app.clock.advance(Duration::minutes(14));
    assert_eq!(b.get(&path).await.status, 200);
    app.clock.advance(Duration::minutes(14));
    assert_eq!(b.get(&path).await.status, 200);
    // 16 minutes idle: out, and the session is gone on the server.
    app.clock.advance(Duration::minutes(16));
    assert_eq!(b.get(&path).await.location(), Some("/login"));
    assert_eq!(b.get("/").await.location(), Some("/login"));

    // Half-way through a login (a temporary password not yet changed): sent to finish it.
    let temp = "Tillfälligt lösenord 98";
    let t = temporary_user(&app, "SE2321000131-P8", unit, temp);
    let mut tb = app.browser();
    let r = tb.login(&t, temp, "").await;
    assert_eq!(r.location(), Some("/konto/nytt-losenord"));
    let entries = logged();
    assert_eq!(tb.get(&path).await.location(), Some("/konto/nytt-losenord"));
    assert_eq!(logged(), entries, "nothing of the case was read");
}
