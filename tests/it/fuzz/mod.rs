//! Bad input at scale: randomized requests to every form (POST) route and every API route of the
//! router, sent with a valid session and CSRF token of an account of the right role (and some of
//! the wrong one), or the API's token. Bodies of 0 to 100 000 bytes: NUL bytes, invalid UTF-8,
//! unicode, control characters, wrong types, missing and duplicated fields, huge numbers,
//! malformed multipart and JSON. Afterwards: no response was a 5xx, every request was answered,
//! the server still serves pages, the access log verifies, and no personnummer sent is in the
//! tracing log.
//!
//! 10 000 requests in all: 5 000 per backend, from a fixed seed (printed) so a failure can be
//! replayed: `KONTOSPARR_FUZZ_SEED=<seed> cargo nextest run -E 'test(/fuzz::/)'`.
//! `KONTOSPARR_FUZZ_REQUESTS=<n>` sends more (by hand) or fewer per backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{self, Backend, TestApp, TestUser, flow};
use diesel::prelude::*;
use kontosparr::clock::Clock;
use kontosparr::db::{self, DbConnection, audit, schema};
use kontosparr::domain::Role;
use kontosparr::service::{admin, cases, intake, session};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};

mod fixture;
mod inputs;

use fixture::*;
use inputs::*;

dual!(randomized_requests_never_get_a_5xx);

/// Requests per backend unless `KONTOSPARR_FUZZ_REQUESTS` says otherwise (two backends: 10 000).
const REQUESTS_PER_BACKEND: usize = 5_000;
/// The seed unless `KONTOSPARR_FUZZ_SEED` says otherwise.
const DEFAULT_SEED: u64 = 0x6b73_6675_7a7a_0014;
/// Requests sent at once.
const IN_FLIGHT: usize = 4;
/// The longest body or value sent.
const MAX_LEN: usize = 100_000;

/// Whose session (or token) a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    /// No cookie at all.
    Nobody,
    /// A session before login (what the login form gets); a fresh one for each request.
    Visitor,
    /// Logged in with a temporary password: must choose a new one.
    ChangePassword,
    /// Password chosen, TOTP not yet enrolled.
    EnrolTotp,
    Clinician,
    Manager,
    Chief,
    Handler,
    Auditor,
    Admin,
    /// A fresh full session per request, for `/logout` (which ends it).
    Leaving,
    /// The intake API's bearer token.
    ApiClient,
}

/// Who may be sent as "the wrong role": everyone but the API client.
const ANYONE: &[Who] = &[
    Who::Nobody,
    Who::Visitor,
    Who::ChangePassword,
    Who::EnrolTotp,
    Who::Clinician,
    Who::Manager,
    Who::Chief,
    Who::Handler,
    Who::Auditor,
    Who::Admin,
];

#[derive(Debug, Clone, Copy)]
enum Body {
    /// `application/x-www-form-urlencoded` with these fields (the handler's form struct).
    Form(&'static [&'static str]),
    /// `multipart/form-data` (the scanned-form upload).
    Multipart,
    /// The intake API's JSON.
    Json,
    /// A GET.
    None,
}

struct Route {
    /// As the router registers it: `get`, `post`, or `route` (any method the path's other
    /// routes do not take; sent as GET, PUT, DELETE, PATCH, OPTIONS, TRACE or HEAD).
    method: &'static str,
    pattern: &'static str,
    /// The roles whose request the route is for (90 % of its requests).
    who: &'static [Who],
    body: Body,
    /// How often, relative to the others.
    weight: u32,
}

const CASE_FIELDS: &[&str] = &[
    "kind",
    "unit_id",
    "citizen_pnr",
    "citizen_name",
    "citizen_protected",
    "citizen_contact",
    "risk_kinds",
    "basis",
    "situations",
    "situation_other",
    "assessment_reasons",
    "assessment_risks",
    "assessment_scope",
    "requested_by",
    "journal_note_date",
    "chief_informed_date",
    "chief_informed_whom",
    "patient_informed_date",
    "patient_not_informed_reason",
    "journal_sealing",
    "review_responsible_user_id",
    "care_provider",
    "related_case_id",
    "arrival_date",
    "decider_name",
    "decider_hsa_id",
    "decider_role",
    "decided_on",
    "journal_note_reason",
    "duplicate_reason",
    "review_responsible_name",
    "review_responsible_email",
    "review_responsible_hsa_id",
    "version",
];
const USER_FIELDS: &[&str] = &[
    "hsa_id",
    "name",
    "email",
    "roles",
    "units",
    "is_decider",
    "active",
];
const UNIT_FIELDS: &[&str] = &[
    "code",
    "name",
    "manager_user_id",
    "medical_lead_user_id",
    "chief_physician_function",
    "chief_physician_email",
    "active",
];
const PASSWORD_FIELDS: &[&str] = &["password", "confirm"];
const AUDIT_SEARCH_FIELDS: &[&str] = &[
    "pnr", "user", "unit", "role", "action", "case_id", "from", "to", "before",
];
/// Routes that end the session they are sent with when they succeed: sent with a fresh session
/// (or none), never with one the run goes on with.
const ENDS_SESSION: &[&str] = &["/login", "/login/siths", "/logout", "/aktivera/{token}"];
const STAFF: &[Who] = &[Who::Clinician, Who::Handler, Who::Manager];

/// EVERY POST route and every `/api/` route of the router. A route added to `src/web` and missing
/// here fails [`every_form_and_api_route_is_fuzzed`]: add it, with the fields its form has.
const ROUTES: &[Route] = &[
    Route {
        method: "post",
        pattern: "/login",
        who: &[Who::Visitor],
        body: Body::Form(&["hsa_id", "password", "code"]),
        weight: 1,
    },
    Route {
        method: "post",
        pattern: "/login/siths",
        who: &[Who::Visitor],
        body: Body::Form(&[]),
        weight: 1,
    },
    Route {
        method: "post",
        pattern: "/logout",
        who: &[Who::Leaving],
        body: Body::Form(&[]),
        weight: 1,
    },
    Route {
        method: "post",
        pattern: "/aktivera/{token}",
        who: &[Who::Visitor],
        body: Body::Form(PASSWORD_FIELDS),
        weight: 2,
    },
    Route {
        method: "post",
        pattern: "/konto/nytt-losenord",
        who: &[Who::ChangePassword],
        body: Body::Form(PASSWORD_FIELDS),
        weight: 2,
    },
    Route {
        method: "post",
        pattern: "/konto/tvafaktor",
        who: &[Who::EnrolTotp],
        body: Body::Form(&["code"]),
        weight: 2,
    },
    Route {
        method: "post",
        pattern: "/arenden/ny",
        who: &[Who::Clinician, Who::Handler],
        body: Body::Form(CASE_FIELDS),
        weight: 4,
    },
    Route {
        method: "post",
        pattern: "/arenden/{id}/visa-namn",
        who: STAFF,
        body: Body::Form(&[]),
        weight: 1,
    },
    Route {
        method: "post",
        pattern: "/arenden/{id}/andra",
        who: &[Who::Clinician],
        body: Body::Form(CASE_FIELDS),
        weight: 3,
    },
    Route {
        method: "post",
        pattern: "/arenden/{id}/blankett",
        who: &[Who::Handler, Who::Clinician],
        body: Body::Form(CASE_FIELDS),
        weight: 2,
    },
    Route {
        method: "post",
        pattern: "/arenden/{id}/omprovning",
        who: &[Who::Clinician, Who::Manager, Who::Chief],
        body: Body::Form(&[
            "outcome",
            "patient_informed_date",
            "patient_not_informed_reason",
            "note",
            "version",
        ]),
        weight: 2,
    },
    Route {
        method: "post",
        pattern: "/arenden/{id}/bilagor",
        who: &[Who::Handler, Who::Clinician],
        body: Body::Multipart,
        weight: 3,
    },
    Route {
        method: "post",
        pattern: "/arenden/{id}/{action}",
        who: &[Who::Clinician, Who::Handler],
        body: Body::Form(&[
            "version",
            "reason",
            "item",
            "note",
            "helpdesk_ref",
            "plexus_ref",
            "confirmed",
            "outcome",
        ]),
        weight: 5,
    },
    Route {
        method: "post",
        pattern: "/konto/sprak",
        who: &[Who::Clinician, Who::Handler, Who::Admin, Who::Auditor],
        body: Body::Form(&["lang"]),
        weight: 1,
    },
    Route {
        method: "post",
        pattern: "/last-nu",
        who: &[Who::Handler, Who::Clinician, Who::Chief],
        body: Body::Form(&["pnr"]),
        weight: 2,
    },
    Route {
        method: "post",
        pattern: "/logg",
        who: &[Who::Auditor],
        body: Body::Form(AUDIT_SEARCH_FIELDS),
        weight: 2,
    },
    Route {
        method: "post",
        pattern: "/logg/export",
        who: &[Who::Auditor],
        body: Body::Form(AUDIT_SEARCH_FIELDS),
        weight: 1,
    },
    Route {
        method: "post",
        pattern: "/logg/utdrag",
        who: &[Who::Auditor],
        body: Body::Form(&["pnr", "name"]),
        weight: 1,
    },
    Route {
        method: "post",
        pattern: "/logg/utdrag/csv",
        who: &[Who::Auditor],
        body: Body::Form(&["pnr", "name"]),
        weight: 1,
    },
    Route {
        method: "post",
        pattern: "/logg/kontroller/ny",
        who: &[Who::Auditor],
        body: Body::Form(&[
            "from",
            "to",
            "scope",
            "sample_size",
            "findings",
            "outcome",
            "follow_up",
            "sample",
            "step",
        ]),
        weight: 2,
    },
    Route {
        method: "post",
        pattern: "/sok",
        who: &[Who::Handler],
        body: Body::Form(&["pnr"]),
        weight: 2,
    },
    Route {
        method: "post",
        pattern: "/nodtelefon",
        who: &[Who::Handler],
        body: Body::Form(&[
            "caller_name",
            "caller_phone",
            "caller_email",
            "unit_id",
            "citizen_pnr",
            "citizen_name",
            "citizen_protected",
            "requested_by",
            "helpdesk_ref",
            "category_chosen",
            "duplicate_reason",
        ]),
        weight: 2,
    },
    Route {
        method: "post",
        pattern: "/blankett",
        who: &[Who::Handler],
        body: Body::Form(CASE_FIELDS),
        weight: 3,
    },
    Route {
        method: "post",
        pattern: "/admin/anvandare",
        who: &[Who::Admin],
        body: Body::Form(&["q", "efter", "fore", "urval"]),
        weight: 1,
    },
    Route {
        method: "post",
        pattern: "/admin/anvandare/ny",
        who: &[Who::Admin],
        body: Body::Form(USER_FIELDS),
        weight: 2,
    },
    Route {
        method: "post",
        pattern: "/admin/anvandare/{id}",
        who: &[Who::Admin],
        body: Body::Form(USER_FIELDS),
        weight: 2,
    },
    Route {
        method: "post",
        pattern: "/admin/anvandare/{id}/aterstall",
        who: &[Who::Admin],
        body: Body::Form(&[]),
        weight: 1,
    },
    Route {
        method: "post",
        pattern: "/admin/enheter/ny",
        who: &[Who::Admin],
        body: Body::Form(UNIT_FIELDS),
        weight: 2,
    },
    Route {
        method: "post",
        pattern: "/admin/enheter/{id}",
        who: &[Who::Admin],
        body: Body::Form(UNIT_FIELDS),
        weight: 2,
    },
    Route {
        method: "post",
        pattern: "/admin/enheter/{id}/certifikat",
        who: &[Who::Admin],
        body: Body::Form(&["pem"]),
        weight: 2,
    },
    Route {
        method: "post",
        pattern: "/admin/post/{id}/skicka-igen",
        who: &[Who::Admin],
        body: Body::Form(&[]),
        weight: 1,
    },
    Route {
        method: "post",
        pattern: "/admin/vardgivare",
        who: &[Who::Admin],
        body: Body::Form(&["name", "org_number", "kind", "regional_id"]),
        weight: 2,
    },
    Route {
        method: "post",
        pattern: "/admin/vardgivare/{id}/godkand",
        who: &[Who::Admin],
        body: Body::Form(&["approved"]),
        weight: 1,
    },
    Route {
        method: "post",
        pattern: "/api/v1/arenden",
        who: &[Who::ApiClient],
        body: Body::Json,
        weight: 10,
    },
    Route {
        method: "route",
        pattern: "/api/v1/arenden",
        who: &[Who::ApiClient],
        body: Body::Json,
        weight: 1,
    },
    Route {
        method: "get",
        pattern: "/api/openapi.json",
        who: &[Who::ApiClient, Who::Nobody],
        body: Body::None,
        weight: 1,
    },
    Route {
        method: "route",
        pattern: "/api/openapi.json",
        who: &[Who::ApiClient, Who::Nobody],
        body: Body::None,
        weight: 1,
    },
];

/// The router's form routes (every POST) and its API routes (anything under `/api/`).
fn router_fuzzable_routes() -> Vec<(String, String)> {
    common::router_routes()
        .into_iter()
        .filter(|(method, path)| method == "post" || path.starts_with("/api/"))
        .collect()
}

#[test]
fn every_form_and_api_route_is_fuzzed() {
    let router = router_fuzzable_routes();
    assert!(router.len() > 20, "the parser found the routes: {router:?}");
    let table: Vec<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.pattern.to_string()))
        .collect();
    let missing: Vec<_> = router.iter().filter(|r| !table.contains(r)).collect();
    assert!(
        missing.is_empty(),
        "form or API routes of the router missing from tests/it/fuzz/mod.rs ROUTES (add them, with \
         their form's fields and the roles they are for): {missing:?}"
    );
    let stale: Vec<_> = table.iter().filter(|t| !router.contains(t)).collect();
    assert!(
        stale.is_empty(),
        "ROUTES names routes the router no longer has: {stale:?}"
    );
    for r in ROUTES {
        assert!(!r.who.is_empty() && r.weight > 0, "{}", r.pattern);
    }
}

/// Every way a personnummer could stand in `text`: each window of 10 and 12 digits in a run of
/// digits, and each `6 digits-4 digits` and `8 digits-4 digits` (one pass, so that thousands of
/// numbers are looked up in a log of megabytes at once).
fn number_windows(text: &str) -> std::collections::HashSet<&str> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let mut found = std::collections::HashSet::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        for len in [10, 12] {
            for s in start..=i.saturating_sub(len) {
                if s + len <= i {
                    found.insert(&text[s..s + len]);
                }
            }
        }
    }
    for (at, _) in text.match_indices('-') {
        for before in [6, 8] {
            if at >= before
                && at + 5 <= b.len()
                && digits(at - before..at)
                && digits(at + 1..at + 5)
            {
                found.insert(&text[at - before..at + 5]);
            }
        }
    }
    found
}

/// The ways a personnummer can be written, to look for in the log.
fn written_forms(digits: &str) -> [String; 4] {
    [
        digits.to_string(),
        format!("{}-{}", &digits[..8], &digits[8..]),
        format!("{}-{}", &digits[2..8], &digits[8..]),
        digits[2..].to_string(),
    ]
}

/// Sends a request; the status and the body, or why nothing came back.
async fn send(client: &awc::Client, base: &str, r: &Req) -> Result<(u16, String), String> {
    let mut req = client.request(r.method.clone(), format!("{base}{}", r.path));
    for (name, v) in &r.headers {
        if let Ok(v) = awc::http::header::HeaderValue::from_bytes(v) {
            req = req.insert_header((*name, v));
        }
    }
    let mut res = req
        .send_body(r.body.clone())
        .await
        .map_err(|e| e.to_string())?;
    let body = res
        .body()
        .limit(16 * 1024 * 1024)
        .await
        .map_err(|e| e.to_string())?;
    Ok((
        res.status().as_u16(),
        String::from_utf8_lossy(&body).into_owned(),
    ))
}

/// Sends a request and reads the answer. A connection the server closed after an answer may
/// fail the next send: then once more on a new connection (`true`). No answer twice is a failure.
async fn answer(
    client: &awc::Client,
    base: &str,
    req: &Req,
) -> (Result<(u16, String), String>, bool, std::time::Duration) {
    let sending = std::time::Instant::now();
    match send(client, base, req).await {
        Ok(r) => (Ok(r), false, sending.elapsed()),
        Err(_) => {
            let fresh = awc::Client::builder()
                .disable_redirects()
                .timeout(std::time::Duration::from_secs(60))
                .finish();
            (send(&fresh, base, req).await, true, sending.elapsed())
        }
    }
}

fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

async fn randomized_requests_never_get_a_5xx(app: TestApp) {
    let log = common::captured_log();
    let base_seed = env_number("KONTOSPARR_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let n = env_number("KONTOSPARR_FUZZ_REQUESTS").map_or(REQUESTS_PER_BACKEND, |n| n as usize);
    // Each backend gets requests of its own (10 000 different ones in all).
    let seed = match app.backend() {
        Backend::Sqlite => base_seed,
        Backend::Postgres => base_seed ^ 0x5a5a_5a5a_5a5a_5a5a,
    };
    eprintln!(
        "fuzz ({:?}): KONTOSPARR_FUZZ_SEED={base_seed:#x} (this backend's stream {seed:#x}), \
         {n} requests",
        app.backend()
    );
    let mut rng = StdRng::seed_from_u64(seed);
    let mut sent = BTreeSet::new();
    let setup = std::time::Instant::now();
    let fx = fixture(&app, &mut sent, &mut rng).await;
    let setup = setup.elapsed();
    let client = awc::Client::builder()
        .disable_redirects()
        .timeout(std::time::Duration::from_secs(60))
        .finish();
    let total_weight: u32 = ROUTES.iter().map(|r| r.weight).sum();
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut by_route: BTreeMap<(&str, &str), BTreeMap<u16, usize>> = BTreeMap::new();
    let mut time_by_route: BTreeMap<(&str, &str), std::time::Duration> = BTreeMap::new();
    let mut failures: Vec<String> = vec![];
    let mut retried = 0;
    let mut bytes = 0usize;
    let mut longest = 0usize;
    let started = std::time::Instant::now();
    let mut next = 0;
    while next < n {
        // A few at a time, as several browsers would (the stream of requests is the seed's; the
        // order the server serves a batch in is not).
        let batch: Vec<(usize, &Route, Req)> = (next..(next + IN_FLIGHT).min(n))
            .map(|i| {
                let mut pick = rng.gen_range(0..total_weight);
                let route = ROUTES
                    .iter()
                    .find(|r| {
                        if pick < r.weight {
                            true
                        } else {
                            pick -= r.weight;
                            false
                        }
                    })
                    .unwrap();
                (i, route, request(route, &fx, &app, &mut rng, &mut sent))
            })
            .collect();
        next += batch.len();
        let answers = futures_util::future::join_all(
            batch
                .iter()
                .map(|(_, _, req)| answer(&client, &app.base, req)),
        )
        .await;
        for ((i, route, req), (result, resent, took)) in batch.iter().zip(answers) {
            bytes += req.body.len();
            longest = longest.max(req.body.len());
            retried += usize::from(resent);
            let key = (route.pattern, route.method);
            *time_by_route.entry(key).or_default() += took;
            let describe = |what: &str| {
                format!(
                    "request {i}: {} {} ({}, {} body bytes, starting {:?}): {what}",
                    req.method,
                    req.path.chars().take(120).collect::<String>(),
                    route.pattern,
                    req.body.len(),
                    String::from_utf8_lossy(&req.body[..req.body.len().min(200)])
                )
            };
            match result {
                Ok((status, body)) => {
                    *statuses.entry(status).or_default() += 1;
                    *by_route.entry(key).or_default().entry(status).or_default() += 1;
                    if status >= 500 {
                        failures.push(describe(&format!(
                            "{status}: {}",
                            body.chars().take(300).collect::<String>()
                        )));
                    }
                }
                Err(e) => failures.push(describe(&format!("no answer: {e}"))),
            }
        }
    }
    let elapsed = started.elapsed();
    for ((pattern, method), st) in &by_route {
        eprintln!(
            "  {} {pattern}: {st:?} in {:.1} s",
            method.to_uppercase(),
            time_by_route[&(*pattern, *method)].as_secs_f64()
        );
    }

    // The server is alive and serves a page to a logged-in user.
    let mut b = app.browser();
    assert_eq!(b.get("/healthz").await.status, 200, "healthz after the run");
    assert_eq!(
        b.get("/login").await.status,
        200,
        "login page after the run"
    );
    b.cookie = Some(fx.sessions[&Who::Handler].cookie.clone());
    let queue = b.get("/handlaggning").await;
    assert_eq!(queue.status, 200, "the handler's queue after the run");

    // The access log is whole: everything sealed, and the chain verifies.
    let mut conn = app.conn();
    loop {
        match audit::seal_round(&mut conn, 5000).unwrap() {
            audit::Round::Sealed { sealed: 0, .. } => break,
            audit::Round::Sealed { .. } => {}
            audit::Round::Busy => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    let verified = audit::verify(&mut conn).unwrap();
    assert_eq!(verified.broken, None, "audit verify after the run");
    assert_eq!(verified.unsealed, 0);
    drop(conn);

    // No personnummer that was sent (or seeded) is in the tracing log, in any written form.
    let text = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    let in_log = number_windows(&text);
    let leaked: Vec<String> = sent
        .iter()
        .flat_map(|d| written_forms(d))
        .filter(|w| in_log.contains(w.as_str()))
        .collect();
    let checked = started.elapsed() - elapsed;
    let requests: usize = statuses.values().sum();
    let five = statuses.range(500..).map(|(_, n)| n).sum::<usize>();
    eprintln!(
        "FIGURES fuzz ({:?}): seed {seed:#x}; {requests} requests answered of {n} sent to {} \
         routes ({} MB of bodies, longest {longest} B; {retried} resent on a new connection); \
         statuses {statuses:?}; 5xx {five}; unanswered {}; {} personnummer sent, {} in the \
         tracing log ({} kB); {} access-log rows verified; {:.1} s ({:.0} req/s; setup {:.1} s, \
         checks after {:.1} s)",
        app.backend(),
        by_route.len(),
        bytes / 1_000_000,
        n - requests,
        sent.len(),
        leaked.len(),
        text.len() / 1000,
        verified.rows,
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        setup.as_secs_f64(),
        checked.as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {n} requests got a 5xx or no answer (seed {base_seed:#x}):\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        leaked.is_empty(),
        "personnummer sent in requests are in the tracing log: {leaked:?}"
    );
    if n >= 1000 {
        assert_eq!(
            by_route.len(),
            ROUTES.len(),
            "every route got requests: {:?}",
            by_route.keys()
        );
    }
}
