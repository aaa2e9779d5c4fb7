//! What the fuzz run works with: a region (units, one user of each role, cases in several
//! states, an API client, enrolment links) and a session of each role, made directly.

use super::*;

/// A session's cookie and its CSRF token.
#[derive(Clone)]
pub(super) struct Sess {
    pub(super) cookie: String,
    pub(super) csrf: String,
}

/// What the run has to work with: ids to put in paths and fields, and a session per role.
pub(super) struct Fixture {
    pub(super) unit_a: i64,
    pub(super) unit_code: String,
    pub(super) clinician: TestUser,
    pub(super) cases: Vec<i64>,
    pub(super) victim_users: Vec<i64>,
    pub(super) victim_units: Vec<i64>,
    pub(super) outbox: Vec<i64>,
    pub(super) providers: Vec<i64>,
    pub(super) link_tokens: Vec<String>,
    pub(super) api_token: String,
    /// Logged in with a temporary password (a fresh session at that stage for each request).
    pub(super) temporary: i64,
    /// Password chosen, TOTP to enrol (likewise).
    pub(super) enrolling: i64,
    pub(super) sessions: BTreeMap<Who, Sess>,
}

/// A full, directly made session for `user` (`None`: a visitor's), at `stage`.
pub(super) fn session_for(app: &TestApp, user: Option<i64>, stage: session::Stage) -> Sess {
    let mut conn = app.conn();
    let token = session::create(&mut conn, user, stage, app.clock.now(), "127.0.0.1").unwrap();
    let row = db::sessions::find(&mut conn, &kontosparr::auth::tokens::digest(&token))
        .unwrap()
        .unwrap();
    Sess {
        cookie: format!("{}={token}", app.state.cookie_name()),
        csrf: row.csrf_token,
    }
}

/// A fresh session of a user half-way through logging in, the user put back where the stage
/// begins (an earlier request of the run may have completed it): `temporary`, logged in with a
/// temporary password that must be changed; otherwise, password chosen and TOTP to enrol, with
/// the pending secret that the form's page makes.
pub(super) fn enrolling_session(app: &TestApp, user: i64, temporary: bool) -> Sess {
    use session::Stage;
    let mut conn = app.conn();
    let now = app.clock.now();
    db::users::set_password(
        &mut conn,
        user,
        Some(common::password_hash()),
        temporary,
        db::ts(now),
    )
    .unwrap();
    db::users::set_totp(&mut conn, user, None, None).unwrap();
    let stage = if temporary {
        Stage::ChangePassword
    } else {
        Stage::EnrolTotp
    };
    let token = session::create(&mut conn, Some(user), stage, now, "127.0.0.1").unwrap();
    let s = session::load(&mut conn, &token, now, app.state.timeouts())
        .unwrap()
        .unwrap();
    if !temporary {
        kontosparr::service::auth::pending_totp_secret(&mut conn, &app.state.secrets, &s).unwrap();
    }
    Sess {
        cookie: format!("{}={token}", app.state.cookie_name()),
        csrf: s.csrf_token,
    }
}

/// A valid personnummer (or samordningsnummer), as its twelve digits, in a random written form;
/// the digits are remembered to be looked for in the log.
pub(super) fn personnummer(rng: &mut StdRng, sent: &mut BTreeSet<String>) -> String {
    let year = rng.gen_range(1930..=2015);
    let month = rng.gen_range(1..=12);
    let mut day = rng.gen_range(1..=28);
    if rng.gen_bool(0.1) {
        day += 60; // samordningsnummer
    }
    let serial = rng.gen_range(1..=999);
    let ten = format!("{:02}{month:02}{day:02}{serial:03}", year % 100);
    let d: Vec<u8> = ten.bytes().map(|b| b - b'0').collect();
    let check = kontosparr::domain::personnummer::luhn(&d);
    let digits = format!("{year}{month:02}{day:02}{serial:03}{check}");
    sent.insert(digits.clone());
    match rng.gen_range(0..4) {
        0 => format!("{}-{}", &digits[..8], &digits[8..]),
        1 => digits,
        2 => format!("{}-{}", &digits[2..8], &digits[8..]),
        _ => digits[2..].to_string(),
    }
}

pub(super) async fn fixture(
    app: &TestApp,
    sent: &mut BTreeSet<String>,
    rng: &mut StdRng,
) -> Fixture {
    use session::Stage;
    let a = app.unit("FZA");
    let b = app.unit("FZB");
    let v = app.unit("FZV");
    let clinician = app.user_with(&[Role::Clinician], &[a], true);
    let manager = app.user(&[Role::Manager], &[a]);
    let chief = app.user(&[Role::ChiefPhysician], &[a]);
    let handler = app.user(&[Role::Handler], &[]);
    let auditor = app.user(&[Role::Auditor], &[]);
    let admin_user = app.user(&[Role::Admin], &[]);
    let doctor_b = app.user_with(&[Role::Clinician], &[b], true);
    let victim_users = vec![
        app.user(&[Role::Clinician], &[v]).id,
        app.user(&[Role::Manager], &[v]).id,
    ];
    // Cases in several states, in unit A and one in unit B.
    let (d, h) = (flow::ctx(app, clinician.id), flow::ctx(app, handler.id));
    let version = |id| {
        db::cases::get(&mut app.conn(), id)
            .unwrap()
            .unwrap()
            .version
    };
    let wf = cases::Workflow::from_config(&app.state.config);
    let mut ids = vec![];
    for step in 0..3 {
        let pnr = personnummer(rng, sent);
        let mut c = app.conn();
        let id =
            cases::create_draft(&mut c, &d, &flow::lock_input(a, clinician.id, &pnr), &wf).unwrap();
        if step >= 1 {
            cases::sign(&mut c, &d, id, version(id), &wf).unwrap();
            cases::submit(&mut c, &d, id, version(id)).unwrap();
        }
        if step >= 2 {
            cases::receive(&mut c, &h, id, version(id)).unwrap();
        }
        ids.push(id);
    }
    let pnr = personnummer(rng, sent);
    ids.push(flow::executed_lock(
        app,
        a,
        clinician.id,
        clinician.id,
        handler.id,
        &pnr,
    ));
    let pnr = personnummer(rng, sent);
    ids.push(flow::executed_lock(
        app,
        b,
        doctor_b.id,
        doctor_b.id,
        handler.id,
        &pnr,
    ));
    let call = cases::CallInput {
        caller_name: "Sara Sjö".into(),
        caller_phone: "010-1".into(),
        caller_email: "sara@example.se".into(),
        unit_id: a.to_string(),
        citizen_pnr: personnummer(rng, sent),
        citizen_name: "Tolvan".into(),
        citizen_protected: false,
        requested_by: "staff".into(),
        helpdesk_ref: "RÄLS-1".into(),
        category_chosen: true,
        duplicate_reason: String::new(),
    };
    let (call_id, _) = cases::register_call(&mut app.conn(), &h, &call, &wf).unwrap();
    ids.push(call_id);
    let mut conn = app.conn();
    let provider = admin::add_provider(
        &mut conn,
        &app.ctx(),
        &admin::ProviderInput {
            name: "Fuzzklinikens Vård AB".into(),
            org_number: "556677-8899".into(),
            kind: "private".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let outbox: Vec<i64> = schema::outbox::table
        .select(schema::outbox::id)
        .load(&mut conn as &mut DbConnection)
        .unwrap();
    let api_token = intake::create_client(&mut conn, &app.ctx(), "Fuzz").unwrap();
    let new_user = |n: u32, first: admin::FirstPassword| {
        admin::create_user(
            &mut app.conn(),
            &app.ctx(),
            &admin::UserInput {
                hsa_id: format!("SE2321000131-FZ{n}"),
                name: format!("Nyanställd {n}"),
                email: format!("ny{n}@example.se"),
                roles: vec!["handler".into()],
                units: vec![],
                is_decider: false,
                active: true,
            },
            first,
        )
        .unwrap()
    };
    let link = new_user(1, admin::FirstPassword::Link { hours: 48 });
    let temporary = new_user(
        2,
        admin::FirstPassword::Temporary("Tillfälligt lösenord 99"),
    );
    let enrolling = new_user(
        3,
        admin::FirstPassword::Temporary("Tillfälligt lösenord 98"),
    );
    drop(conn);
    let mut sessions = BTreeMap::new();
    for (who, u) in [
        (Who::Clinician, &clinician),
        (Who::Manager, &manager),
        (Who::Chief, &chief),
        (Who::Handler, &handler),
        (Who::Auditor, &auditor),
        (Who::Admin, &admin_user),
    ] {
        sessions.insert(who, session_for(app, Some(u.id), Stage::Full));
    }
    // Every session works before the run.
    let mut check = app.browser();
    check.cookie = Some(sessions[&Who::Handler].cookie.clone());
    assert_eq!(check.get("/handlaggning").await.status, 200);
    Fixture {
        unit_a: a,
        unit_code: "FZA".into(),
        clinician,
        cases: ids,
        victim_users,
        victim_units: vec![v],
        outbox,
        providers: vec![provider],
        link_tokens: vec![link.enrolment_token.unwrap()],
        api_token,
        temporary: temporary.user_id,
        enrolling: enrolling.user_id,
        sessions,
    }
}
