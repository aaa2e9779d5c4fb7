//! Every response that shows a citizen writes the access log, naming that citizen, in the same
//! transaction as the read: walked over every GET route of the router as every role.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{self, Browser, TestApp, TestUser, flow};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use kontosparr::db::{self, DbConnection, audit, schema};
use kontosparr::domain::Role;
use kontosparr::service::cases;

dual!(
    every_page_showing_a_citizen_logs_that_citizen,
    list_subjects_are_append_only_and_in_the_chain,
    no_log_no_list,
);

/// How a GET route of the router is walked.
enum Walk {
    /// The paths to GET (ids substituted from the seeded region).
    Paths(fn(&Seeded) -> Vec<String>),
    /// Not walked, and why.
    Skip(&'static str),
}

/// EVERY GET route of the router, as written in `src/web`. A route added there and missing here
/// fails [`routes_in_the_table_are_the_routers`]: add it with the paths that exercise it.
const ROUTES: &[(&str, Walk)] = &[
    ("/", Walk::Paths(|_| vec!["/".into()])),
    ("/login", Walk::Paths(|_| vec!["/login".into()])),
    // No provider is configured here (tests/it/oidc.rs walks them with one): not found.
    (
        "/login/oidc/{provider}",
        Walk::Paths(|_| vec!["/login/oidc/test".into()]),
    ),
    (
        "/login/oidc/{provider}/callback",
        Walk::Paths(|_| vec!["/login/oidc/test/callback?code=x&state=y".into()]),
    ),
    ("/utloggad", Walk::Paths(|_| vec!["/utloggad".into()])),
    ("/aktivera/{token}", Walk::Skip("a one-time enrolment link")),
    (
        "/konto/nytt-losenord",
        Walk::Paths(|_| vec!["/konto/nytt-losenord".into()]),
    ),
    (
        "/konto/tvafaktor",
        Walk::Paths(|_| vec!["/konto/tvafaktor".into()]),
    ),
    ("/konto", Walk::Paths(|_| vec!["/konto".into()])),
    (
        "/arenden",
        Walk::Paths(|_| {
            // Pages by key (after a far-future key: every row), and each filter.
            let mut v = vec![
                "/arenden".into(),
                "/arenden?efter=4102444800000000~1".into(),
                "/arenden?fore=0~0".into(),
                "/arenden?typ=lock".into(),
                "/arenden?typ=unlock".into(),
                "/arenden?kanal=eservice".into(),
                "/arenden?fran=2020-01-01&till=2030-12-31".into(),
            ];
            v.extend(
                ["draft", "submitted", "received", "executed"]
                    .iter()
                    .map(|st| format!("/arenden?status={st}")),
            );
            v.extend((1..=3).map(|u| format!("/arenden?enhet={u}")));
            // The start page's selections: unsigned drafts, decisions of a period, feedback.
            v.extend([
                "/arenden?status=draft&signerad=nej".into(),
                "/arenden?signerad=ja".into(),
                "/arenden?typ=lock&beslut_fran=2020-01-01&beslut_till=2030-12-31".into(),
                "/arenden?status=returned".into(),
                "/arenden?status=closed&fran=2020-01-01".into(),
            ]);
            v
        }),
    ),
    (
        "/arenden/csv",
        // The case list as a file: every filter, as the list (citizens logged as subjects).
        Walk::Paths(|_| {
            vec![
                "/arenden/csv".into(),
                "/arenden/csv?status=executed".into(),
                "/arenden/csv?typ=unlock".into(),
                "/arenden/csv?kanal=eservice".into(),
                "/arenden/csv?enhet=1".into(),
                "/arenden/csv?fran=2020-01-01&till=2030-12-31".into(),
            ]
        }),
    ),
    (
        "/arenden/ny",
        // The form takes only its kind from the query; a personnummer comes by POST.
        Walk::Paths(|_| {
            vec![
                "/arenden/ny".into(),
                "/arenden/ny?typ=lock".into(),
                "/arenden/ny?typ=unlock".into(),
            ]
        }),
    ),
    ("/arenden/{id}", Walk::Paths(|s| s.case_paths(""))),
    (
        "/arenden/{id}/andra",
        Walk::Paths(|s| s.case_paths("/andra")),
    ),
    (
        "/arenden/{id}/blankett",
        // `?fran=ID`: the form pre-filled from an incoming case (both cases' reads are logged).
        Walk::Paths(|s| {
            let mut v = s.case_paths("/blankett");
            if let Some(first) = s.cases.first() {
                v.extend(s.case_paths(&format!("/blankett?fran={first}")));
            }
            v
        }),
    ),
    (
        "/arenden/{id}/omprovning",
        Walk::Paths(|s| s.case_paths("/omprovning")),
    ),
    (
        "/omprovningar",
        Walk::Paths(|_| {
            vec![
                "/omprovningar".into(),
                "/omprovningar?ordning=fallande".into(),
                "/omprovningar?efter=2000-01-01~0".into(),
                "/omprovningar?ordning=fallande&efter=2999-01-01~0".into(),
                "/omprovningar?lage=forsenad".into(),
                "/omprovningar?lage=snart".into(),
                "/omprovningar?lage=snart&ordning=fallande".into(),
            ]
        }),
    ),
    (
        "/arenden/{id}/bilagor/{aid}",
        Walk::Paths(|s| s.attachments.clone()),
    ),
    (
        "/handlaggning",
        Walk::Paths(|_| {
            vec![
                "/handlaggning".into(),
                "/handlaggning?efter=0~0".into(),
                "/handlaggning?status=submitted".into(),
                "/handlaggning?status=form_pending".into(),
                "/handlaggning?status=form_pending&dagar=0".into(),
            ]
        }),
    ),
    ("/sok", Walk::Paths(|_| vec!["/sok".into()])),
    // The form only; the personnummer comes by POST (`citizen_now`, logged).
    ("/last-nu", Walk::Paths(|_| vec!["/last-nu".into()])),
    ("/nodtelefon", Walk::Paths(|_| vec!["/nodtelefon".into()])),
    ("/blankett", Walk::Paths(|_| vec!["/blankett".into()])),
    // The blank paper form: no citizen data.
    (
        "/blankett/tom",
        Walk::Paths(|_| vec!["/blankett/tom".into()]),
    ),
    (
        "/diarium",
        Walk::Paths(|_| {
            vec![
                "/diarium".into(),
                "/diarium?ar=2026".into(),
                "/diarium?ar=2026&efter=1".into(),
            ]
        }),
    ),
    (
        "/diarium/utskrift",
        Walk::Paths(|_| vec!["/diarium/utskrift?ar=2026".into()]),
    ),
    (
        "/diarium/csv",
        Walk::Paths(|_| vec!["/diarium/csv?ar=2026".into()]),
    ),
    ("/admin", Walk::Paths(|_| vec!["/admin".into()])),
    (
        "/admin/anvandare",
        Walk::Paths(|_| {
            vec![
                "/admin/anvandare".into(),
                "/admin/anvandare?urval=ofullstandig".into(),
            ]
        }),
    ),
    (
        "/admin/anvandare/ny",
        Walk::Paths(|_| vec!["/admin/anvandare/ny".into()]),
    ),
    (
        "/admin/anvandare/{id}",
        Walk::Paths(|s| {
            s.users
                .iter()
                .map(|u| format!("/admin/anvandare/{u}"))
                .collect()
        }),
    ),
    (
        "/admin/enheter",
        Walk::Paths(|_| {
            vec![
                "/admin/enheter".into(),
                "/admin/enheter?urval=utan-chef".into(),
                "/admin/enheter?urval=utan-certifikat".into(),
                "/admin/enheter?urval=certifikat".into(),
            ]
        }),
    ),
    (
        "/admin/enheter/ny",
        Walk::Paths(|_| vec!["/admin/enheter/ny".into()]),
    ),
    (
        "/admin/enheter/{id}",
        Walk::Paths(|s| {
            s.units
                .iter()
                .map(|u| format!("/admin/enheter/{u}"))
                .collect()
        }),
    ),
    ("/admin/post", Walk::Paths(|_| vec!["/admin/post".into()])),
    (
        "/admin/vardgivare",
        Walk::Paths(|_| vec!["/admin/vardgivare".into()]),
    ),
    (
        "/api/openapi.json",
        Walk::Paths(|_| vec!["/api/openapi.json".into()]),
    ),
    ("/logg", Walk::Paths(|_| vec!["/logg".into()])),
    ("/logg/utdrag", Walk::Paths(|_| vec!["/logg/utdrag".into()])),
    (
        "/logg/granska",
        Walk::Paths(|_| {
            vec![
                "/logg/granska".into(),
                "/logg/granska?from=2026-11-20&to=2026-11-30".into(),
            ]
        }),
    ),
    (
        "/logg/kontroller",
        Walk::Paths(|_| vec!["/logg/kontroller".into()]),
    ),
    (
        "/logg/kontroller/ny",
        Walk::Paths(|_| vec!["/logg/kontroller/ny".into()]),
    ),
    (
        "/logg/kontroller/{id}",
        Walk::Paths(|s| {
            s.checks
                .iter()
                .map(|c| format!("/logg/kontroller/{c}"))
                .collect()
        }),
    ),
    (
        "/statistik",
        // Counts only; the region, a unit, a period, and a bad filter (the page with errors).
        Walk::Paths(|s| {
            let mut v = vec![
                "/statistik".into(),
                "/statistik?fran=2020-01&till=2026-11".into(),
                "/statistik?fran=2026-13".into(),
            ];
            v.extend(s.units.iter().map(|u| format!("/statistik?enhet={u}")));
            v
        }),
    ),
    (
        "/statistik/csv",
        Walk::Paths(|s| {
            let mut v: Vec<String> = [
                "verkstallda",
                "ledtid",
                "blankett",
                "returnerade",
                "i-kraft",
                "omprovningar",
            ]
            .iter()
            .map(|t| format!("/statistik/csv?tabell={t}"))
            .collect();
            v.extend(
                s.units
                    .iter()
                    .map(|u| format!("/statistik/csv?tabell=ledtid&enhet={u}")),
            );
            v
        }),
    ),
    ("/healthz", Walk::Skip("no citizen data; a probe")),
    (
        "/metrics",
        Walk::Skip("served on the separate metrics listener only; counts, no citizen data"),
    ),
    ("/static/{name}", Walk::Skip("static files")),
];

/// The GET routes registered in `src/web` (see [`common::router_routes`]).
fn router_get_routes() -> Vec<String> {
    common::router_routes()
        .into_iter()
        .filter(|(method, _)| method == "get")
        .map(|(_, path)| path)
        .collect()
}

#[test]
fn routes_in_the_table_are_the_routers() {
    let router = router_get_routes();
    assert!(router.len() > 20, "the parser found the routes: {router:?}");
    let table: Vec<&str> = ROUTES.iter().map(|(p, _)| *p).collect();
    for (p, w) in ROUTES {
        if let Walk::Skip(why) = w {
            assert!(!why.is_empty(), "{p} is skipped without a reason");
        }
    }
    let missing: Vec<&String> = router
        .iter()
        .filter(|r| !table.contains(&r.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "GET routes of the router missing from tests/it/reads.rs ROUTES (add them, with paths \
         that exercise them): {missing:?}"
    );
    let stale: Vec<&&str> = table
        .iter()
        .filter(|t| !router.iter().any(|r| r == *t))
        .collect();
    assert!(
        stale.is_empty(),
        "ROUTES names routes the router no longer has: {stale:?}"
    );
}

struct Citizen {
    digits: String,
    display: String,
    /// A name no other seeded citizen has (the executed locks share the harness's name; a
    /// protected citizen's name is masked): a page showing it shows the citizen.
    name: Option<String>,
}

struct Seeded {
    citizens: Vec<Citizen>,
    cases: Vec<i64>,
    units: Vec<i64>,
    users: Vec<i64>,
    attachments: Vec<String>,
    /// Spot checks of the log, with a sample that shows citizens.
    checks: Vec<i64>,
}

impl Seeded {
    fn case_paths(&self, tail: &str) -> Vec<String> {
        self.cases
            .iter()
            .map(|id| format!("/arenden/{id}{tail}"))
            .collect()
    }
}

/// A valid personnummer (Luhn over the ten digits) as digits `YYYYMMDDNNNC`.
fn personnummer(date: &str, serial: u32) -> String {
    let body = format!("{}{serial:03}", &date[2..]);
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, ch)| {
            let d = ch.to_digit(10).unwrap() * if i % 2 == 0 { 2 } else { 1 };
            d / 10 + d % 10
        })
        .sum();
    format!("{date}{serial:03}{}", (10 - sum % 10) % 10)
}

fn citizen(date: &str, serial: u32) -> Citizen {
    let digits = personnummer(date, serial);
    let display = format!("{}-{}", &digits[..8], &digits[8..]);
    Citizen {
        digits,
        display,
        name: None,
    }
}

fn version(app: &TestApp, id: i64) -> i32 {
    db::cases::get(&mut app.conn(), id)
        .unwrap()
        .unwrap()
        .version
}

/// A region: two units, one user per role (the clinician a decider in unit A), and cases in
/// several states for distinct citizens, one of them with a scanned form attached.
struct Region {
    seeded: Seeded,
    people: Vec<(Role, TestUser)>,
}

async fn region(app: &TestApp) -> Region {
    let a = app.unit("RPA");
    let b = app.unit("RPB");
    let clinician = app.user_with(&[Role::Clinician], &[a], true);
    let manager = app.user(&[Role::Manager], &[a]);
    let chief = app.user(&[Role::ChiefPhysician], &[a]);
    let handler = app.user(&[Role::Handler], &[]);
    let auditor = app.user(&[Role::Auditor], &[]);
    let admin = app.user(&[Role::Admin], &[]);
    let doctor_b = app.user_with(&[Role::Clinician], &[b], true);
    let mut citizens: Vec<Citizen> = [
        ("19500101", 11),
        ("19610202", 22),
        ("19720303", 33),
        ("19830404", 44),
        ("19840505", 55),
        ("19850606", 66),
    ]
    .iter()
    .map(|(d, s)| citizen(d, *s))
    .collect();
    for (i, name) in [
        (0, "Alva Utkastsson"),
        (1, "Bruno Inskickadsson"),
        (2, "Cilla Mottagensdotter"),
    ] {
        citizens[i].name = Some(name.to_string());
    }
    let (d, h) = (flow::ctx(app, clinician.id), flow::ctx(app, handler.id));
    let wf = kontosparr::service::cases::Workflow::from_config(&app.state.config);
    let mut ids = vec![];
    let mut c = app.conn();
    // A draft, a submitted case and a received one in unit A.
    let named = |i: usize| {
        let mut input = flow::lock_input(a, clinician.id, &citizens[i].display);
        input.citizen_name = citizens[i].name.clone().unwrap();
        input
    };
    let draft = cases::create_draft(&mut c, &d, &named(0), &wf).unwrap();
    ids.push(draft);
    for (i, receive) in [(1, false), (2, true)] {
        let id = cases::create_draft(&mut c, &d, &named(i), &wf).unwrap();
        cases::sign(&mut c, &d, id, version(app, id), &wf).unwrap();
        cases::submit(&mut c, &d, id, version(app, id)).unwrap();
        if receive {
            cases::receive(&mut c, &h, id, version(app, id)).unwrap();
        }
        ids.push(id);
    }
    drop(c);
    // Executed locks: two in unit A (one protected citizen), one in unit B.
    ids.push(flow::executed_lock(
        app,
        a,
        clinician.id,
        clinician.id,
        handler.id,
        &citizens[3].display,
    ));
    let mut c = app.conn();
    let mut input = flow::lock_input(a, clinician.id, &citizens[4].display);
    input.citizen_protected = true;
    let protected = cases::create_draft(&mut c, &d, &input, &wf).unwrap();
    cases::sign(&mut c, &d, protected, version(app, protected), &wf).unwrap();
    cases::submit(&mut c, &d, protected, version(app, protected)).unwrap();
    ids.push(protected);
    drop(c);
    ids.push(flow::executed_lock(
        app,
        b,
        doctor_b.id,
        doctor_b.id,
        handler.id,
        &citizens[5].display,
    ));
    // A scanned form on the executed case in A, whose PDF shows the citizen's personnummer.
    let mut hb = app.browser();
    app.login(&mut hb, &handler).await;
    let executed = ids[3];
    let page = hb.get(&format!("/arenden/{executed}")).await;
    let pdf = format!(
        "%PDF-1.4\n% Personnummer {}\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n",
        citizens[3].display
    );
    let r = hb
        .post_file(
            &format!("/arenden/{executed}/bilagor"),
            &[("csrf_token", &page.csrf())],
            ("file", "blankett.pdf", pdf.as_bytes()),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = hb.get(&format!("/arenden/{executed}")).await;
    let start = page
        .body
        .find(&format!("/arenden/{executed}/bilagor/"))
        .unwrap();
    let end = start + page.body[start..].find('"').unwrap();
    let attachments = vec![page.body[start..end].to_string()];
    let people = vec![
        (Role::Clinician, clinician),
        (Role::Manager, manager),
        (Role::ChiefPhysician, chief),
        (Role::Handler, handler),
        (Role::Auditor, auditor),
        (Role::Admin, admin),
    ];
    let mut users: Vec<i64> = people.iter().map(|(_, u)| u.id).collect();
    users.push(doctor_b.id);
    // A spot check whose sample is every entry of the day so far (it shows the citizens).
    let auditor = &people[4].1;
    let actx = flow::ctx(app, auditor.id);
    let day = common::t0().date_naive().to_string();
    let mut input = kontosparr::service::audit::checks::CheckInput {
        from: day.clone(),
        to: day,
        sample_size: "200".into(),
        scope: "Alla läsningar".into(),
        findings: "Inga".into(),
        outcome: "no_remarks".into(),
        ..Default::default()
    };
    let mut c = app.conn();
    input.sample = kontosparr::service::audit::checks::draw_sample(&mut c, &actx, &input)
        .unwrap()
        .iter()
        .map(|e| e.id.to_string())
        .collect();
    let check = kontosparr::service::audit::checks::record_check(&mut c, &actx, &input).unwrap();
    drop(c);
    Region {
        seeded: Seeded {
            citizens,
            cases: ids,
            units: vec![a, b],
            users,
            attachments,
            checks: vec![check],
        },
        people,
    }
}

fn last_log_id(app: &TestApp) -> i64 {
    use schema::access_log::dsl::*;
    access_log
        .select(diesel::dsl::max(id))
        .first::<Option<i64>>(&mut app.conn() as &mut DbConnection)
        .unwrap()
        .unwrap_or(0)
}

/// The entries written after `after` by `hsa_id`, with the citizens each names (the
/// `personnummer` column and the subjects table).
fn entries_since(app: &TestApp, after: i64, hsa_id: &str) -> Vec<(i64, String, Vec<String>)> {
    use schema::access_log as l;
    let mut conn = app.conn();
    let rows: Vec<(i64, String, Option<String>)> = l::table
        .filter(l::id.gt(after))
        .filter(l::user_hsa_id.eq(hsa_id))
        .order(l::id.asc())
        .select((l::id, l::action, l::personnummer))
        .load(&mut conn as &mut DbConnection)
        .unwrap();
    rows.into_iter()
        .map(|(id, action, pnr)| {
            let mut named = audit::subjects(&mut conn, id).unwrap();
            named.extend(pnr);
            (id, action, named)
        })
        .collect()
}

async fn every_page_showing_a_citizen_logs_that_citizen(app: TestApp) {
    let Region { seeded, people } = region(&app).await;
    let mut walked = 0;
    let mut showing = 0;
    let mut checked = 0;
    let mut routes_walked = 0;
    let mut by_route: std::collections::BTreeMap<&str, usize> = Default::default();
    for (role, user) in &people {
        let mut b: Browser = app.browser();
        app.login(&mut b, user).await;
        for (pattern, walk) in ROUTES {
            let Walk::Paths(paths) = walk else { continue };
            routes_walked += 1;
            for path in paths(&seeded) {
                let before = last_log_id(&app);
                let r = b.get(&path).await;
                walked += 1;
                if r.status != 200 {
                    continue;
                }
                let shown: Vec<&Citizen> = seeded
                    .citizens
                    .iter()
                    .filter(|c| {
                        r.body.contains(&c.display)
                            || c.name.as_ref().is_some_and(|n| r.body.contains(n.as_str()))
                    })
                    .collect();
                if shown.is_empty() {
                    continue;
                }
                showing += 1;
                *by_route.entry(pattern).or_default() += 1;
                let entries = entries_since(&app, before, &user.hsa_id);
                for c in shown {
                    checked += 1;
                    assert!(
                        entries
                            .iter()
                            .any(|(_, _, named)| named.contains(&c.digits)),
                        "{role:?} GET {path} ({pattern}) showed {} ({:?}) but the access log has \
                         no entry of this request naming the citizen: {entries:?}",
                        c.display,
                        c.name
                    );
                }
            }
        }
    }
    eprintln!(
        "reads coverage ({:?}): {} routes × {} roles walked ({routes_walked} route walks, \
         {walked} requests), {showing} pages showed a seeded citizen, {checked} (page, citizen) \
         entries checked",
        app.backend(),
        ROUTES
            .iter()
            .filter(|(_, w)| matches!(w, Walk::Paths(_)))
            .count(),
        people.len()
    );
    eprintln!("pages showing a citizen, by route: {by_route:?}");
    // The walk did reach the pages that show citizens.
    assert!(showing >= 20, "only {showing} pages showed a citizen");
    let actions: Vec<String> = app.audit_actions();
    for a in ["case_list_view", "queue_view", "review_list_view"] {
        assert!(actions.iter().any(|x| x == a), "{a} logged: {actions:?}");
    }
}

/// A list entry names its citizens in the subjects table, append-only, and the hashed detail holds
/// their digest: a subject row added afterwards breaks `verify`.
async fn list_subjects_are_append_only_and_in_the_chain(app: TestApp) {
    let Region { seeded, people } = region(&app).await;
    let handler = &people[3].1;
    let mut b = app.browser();
    app.login(&mut b, handler).await;
    let before = last_log_id(&app);
    let r = b.get("/handlaggning").await;
    assert_eq!(r.status, 200);
    let mut conn = app.conn();
    let (id, detail): (i64, Option<String>) = {
        use schema::access_log as l;
        l::table
            .filter(l::id.gt(before))
            .filter(l::action.eq("queue_view"))
            .select((l::id, l::detail))
            .first(&mut conn as &mut DbConnection)
            .unwrap()
    };
    let named = audit::subjects(&mut conn, id).unwrap();
    // The queue: submitted (1, 4) and received (2) cases.
    let mut expected: Vec<String> = [1, 2, 4]
        .iter()
        .map(|i| seeded.citizens[*i].digits.clone())
        .collect();
    expected.sort();
    assert_eq!(named, expected);
    let detail = detail.unwrap();
    assert!(detail.contains("3 invånare; subjects-sha256="), "{detail}");
    // A per-citizen search needs the child table only: a case view names its citizen there too.
    let pnr = &seeded.citizens[3].digits;
    let naming = audit::entries_naming(&mut conn, pnr).unwrap();
    assert!(naming.len() >= 2, "{naming:?}");
    // Append-only on both backends.
    for sql in [
        format!("DELETE FROM access_log_subjects WHERE entry_id = {id}"),
        format!(
            "UPDATE access_log_subjects SET personnummer = '191212121212' WHERE entry_id = {id}"
        ),
    ] {
        let e = diesel::sql_query(&sql).execute(&mut conn as &mut DbConnection);
        assert!(e.is_err(), "{sql} was allowed");
    }
    while let audit::Round::Sealed { sealed, .. } = audit::seal_round(&mut conn, 1000).unwrap() {
        if sealed == 0 {
            break;
        }
    }
    let v = audit::verify(&mut conn).unwrap();
    assert_eq!(v.broken, None);
    // The archive carries a list entry's subjects and its offline check holds them to the digest.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("log.jsonl");
    let day = common::t0().date_naive();
    kontosparr::audit::export(
        &mut conn,
        (day - chrono::Days::new(1)).and_hms_opt(0, 0, 0).unwrap(),
        (day + chrono::Days::new(2)).and_hms_opt(0, 0, 0).unwrap(),
        &file,
    )
    .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("\"queue_view\""))
        .expect("the queue view is exported");
    assert!(
        line.contains(&format!("\"subjects\":[\"{}\"", expected[0])),
        "{line}"
    );
    let rep = kontosparr::audit::verify_archive(&file, None).unwrap();
    assert_eq!(rep.broken, None);
    let listed = format!("\"subjects\":[\"{}\"", expected[0]);
    let changed = line.replace(&listed, "\"subjects\":[\"191212121212\"");
    std::fs::write(&file, text.replace(line, &changed)).unwrap();
    let rep = kontosparr::audit::verify_archive(&file, None).unwrap();
    let (_, _, why) = rep.broken.expect("a changed subject is noticed offline");
    assert!(why.contains("subjects"), "{why}");
    // A citizen added to the entry afterwards (an INSERT, which no trigger refuses) is noticed.
    diesel::sql_query(format!(
        "INSERT INTO access_log_subjects (entry_id, personnummer) VALUES ({id}, '191212121212')"
    ))
    .execute(&mut conn as &mut DbConnection)
    .unwrap();
    let v = audit::verify(&mut conn).unwrap();
    let broken = v.broken.expect("verify notices the added subject");
    assert_eq!(broken.id, Some(id));
    assert!(broken.reason.contains("access_log_subjects"), "{broken:?}");
}

/// The list and its log are one transaction: when the log cannot be written, no page is shown.
async fn no_log_no_list(app: TestApp) {
    let Region { seeded, people } = region(&app).await;
    let mut conn = app.conn();
    // Subject rows refused from now on (as a full disk or a broken table would).
    match &mut *conn {
        DbConnection::Sqlite(_) => conn.batch_execute(
            "CREATE TRIGGER refuse_subjects BEFORE INSERT ON access_log_subjects \
             BEGIN SELECT RAISE(ABORT, 'refused'); END;",
        ),
        DbConnection::Pg(_) => conn.batch_execute(
            "CREATE FUNCTION refuse_subjects() RETURNS trigger AS $$ BEGIN \
             RAISE EXCEPTION 'refused'; END; $$ LANGUAGE plpgsql; \
             CREATE TRIGGER refuse_subjects BEFORE INSERT ON access_log_subjects \
             FOR EACH ROW EXECUTE FUNCTION refuse_subjects();",
        ),
    }
    .unwrap();
    drop(conn);
    for (i, path) in [
        (0, "/arenden"),
        (0, "/omprovningar"),
        (3, "/handlaggning"),
        (0, "/arenden/csv"),
        (3, "/arenden/csv"),
    ] {
        let (role, user) = &people[i];
        let mut b = app.browser();
        app.login(&mut b, user).await;
        let r = b.get(path).await;
        assert_eq!(r.status, 500, "{role:?} {path}: {}", r.body);
        for c in &seeded.citizens {
            assert!(!r.body.contains(&c.display), "{path} showed {}", c.display);
        }
    }
}
