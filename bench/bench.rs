//! Ten years of data: seeds a database with many cases and access-log rows, then times the
//! lookups people wait for (lists, queue, search, review list, diary, log page, a case view).
//!
//!     bench/run [sqlite|postgres] [CASES] [LOG_ROWS]
//!
//! Timings are wall-clock medians and 95th percentiles over repeated calls on this machine; they
//! are for comparing changes, not promises.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use diesel::connection::SimpleConnection;
use kontosparr::db::{self, DbConnection};
use kontosparr::domain::Role;
use kontosparr::service::{Ctx, cases, session};
use std::time::{Duration, Instant};

fn arg(n: usize, default: &str) -> String {
    std::env::args()
        .nth(n)
        .unwrap_or_else(|| default.to_string())
}

fn time<T>(label: &str, runs: usize, mut f: impl FnMut() -> T) {
    let mut d: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    d.sort();
    let p = |q: f64| d[((d.len() as f64 - 1.0) * q) as usize];
    println!(
        "{label:<48} median {:>9.2?}  p95 {:>9.2?}  ({runs} runs)",
        p(0.5),
        p(0.95)
    );
}

fn main() {
    let url = arg(1, "sqlite://./data/bench.db");
    let n_cases: i64 = arg(2, "200000").parse().expect("cases");
    let n_log: i64 = arg(3, "10000000").parse().expect("log rows");
    let pool = db::pool(&url, 4).expect("pool");
    let mut conn = pool.get().expect("conn");
    db::migrate(&mut conn).expect("migrate");
    let pg = matches!(*conn, DbConnection::Pg(_));

    // A unit, a handler and a clinician, through the services.
    let sys = Ctx {
        now: Utc::now(),
        client_addr: "bench".into(),
        principal: kontosparr::service::Principal::Operator,
    };
    let unit = kontosparr::service::admin::create_unit(
        &mut conn,
        &sys,
        &kontosparr::service::admin::UnitInput {
            code: "BENCH".into(),
            name: "Bänkenheten".into(),
            manager_user_id: String::new(),
            chief_physician_function: "CL".into(),
            chief_physician_email: "cl@example.se".into(),
            active: true,
        },
    )
    .expect("unit");
    let mk = |conn: &mut DbConnection, hsa: &str, role: Role| {
        let input = kontosparr::service::admin::UserInput {
            hsa_id: hsa.into(),
            name: format!("Bänk {hsa}"),
            email: "b@example.se".into(),
            roles: vec![role.code().into()],
            units: vec![unit.to_string()],
            is_decider: true,
            active: true,
        };
        kontosparr::service::admin::create_user(
            conn,
            &sys,
            &input,
            kontosparr::service::admin::FirstPassword::Link { hours: 1 },
        )
        .expect("user")
        .user_id
    };
    let handler = mk(&mut conn, "SE2321000131-B1", Role::Handler);
    let clinician = mk(&mut conn, "SE2321000131-B2", Role::Clinician);

    // Bulk rows in SQL (the services would take hours for ten years of data).
    let started = Instant::now();
    let series = |n: i64| {
        if pg {
            format!("SELECT g AS i FROM generate_series(1, {n}) AS g")
        } else {
            format!(
                "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s"
            )
        }
    };
    let ts = if pg { "now()" } else { "datetime('now')" };
    let pnr = if pg {
        "'19' || lpad(((i % 90) + 10)::text, 2, '0') || '0101' || lpad((i % 10000)::text, 4, '0')"
    } else {
        "'19' || printf('%02d', (i % 90) + 10) || '0101' || printf('%04d', i % 10000)"
    };
    // Ten years look like this: nearly everything closed, a few hundred open, and the locks of the
    // last three months waiting for their review.
    let statuses = "CASE i % 1000 WHEN 0 THEN 'submitted' WHEN 1 THEN 'received' WHEN 2 THEN 'draft' WHEN 3 THEN 'withdrawn' ELSE 'closed' END";
    let review = if pg {
        format!("CASE WHEN i > {n_cases} - 5000 AND i % 1000 > 3 THEN current_date + (i % 90) END")
    } else {
        format!(
            "CASE WHEN i > {n_cases} - 5000 AND i % 1000 > 3 THEN date('now', '+' || (i % 90) || ' days') END"
        )
    };
    let year_expr = "2016 + (i % 10)";
    conn.batch_execute(&format!(
        "INSERT INTO cases (kind, status, version, channel, unit_id, citizen_pnr, citizen_name, created_at, updated_at, submitted_at, diary_year, diary_seq, diary_number, review_due)
         SELECT 'lock', {statuses}, 1, 'eservice', {unit}, {pnr}, 'Bänk Person', {ts}, {ts}, {ts},
                CASE WHEN i % 1000 > 3 THEN {year_expr} END,
                CASE WHEN i % 1000 > 3 THEN i END,
                CASE WHEN i % 1000 > 3 THEN 'KSD ' || ({year_expr}) || '-' || i END,
                {review}
         FROM ({}) AS t",
        series(n_cases)
    ))
    .expect("cases");
    println!("seeded {n_cases} cases in {:.1?}", started.elapsed());
    let started = Instant::now();
    let batch = 1_000_000i64;
    let mut done = 0;
    while done < n_log {
        let n = batch.min(n_log - done);
        let base = done + 1_000_000_000; // far above any id the app writes
        conn.batch_execute(&format!(
            "INSERT INTO access_log (id, at, user_hsa_id, role, unit_code, action, object, personnummer, client_addr, detail)
             SELECT {base} + i, {ts}, 'SE2321000131-B1', 'handler', 'BENCH', 'case_view', 'case:' || (i % {n_cases} + 1), {pnr}, '127.0.0.1', NULL
             FROM ({}) AS t",
            series(n)
        ))
        .expect("log");
        done += n;
    }
    conn.batch_execute("ANALYZE;").ok();
    println!(
        "seeded {n_log} access-log rows in {:.1?}",
        started.elapsed()
    );

    let h = Ctx {
        now: Utc::now(),
        client_addr: "bench".into(),
        principal: kontosparr::service::Principal::Staff(
            session::load_actor(&mut conn, handler)
                .expect("actor")
                .expect("active"),
        ),
    };
    let c = Ctx {
        now: Utc::now(),
        client_addr: "bench".into(),
        principal: kontosparr::service::Principal::Staff(
            session::load_actor(&mut conn, clinician)
                .expect("actor")
                .expect("active"),
        ),
    };
    let register =
        kontosparr::register::FileRegister::demo(Utc::now().date_naive()).expect("register");
    let mid = n_cases / 2;
    time("case list, clinician, first page", 20, || {
        cases::list(&mut conn, &c, None, 50, 0).expect("list")
    });
    time("case list, clinician, page 2000", 20, || {
        cases::list(&mut conn, &c, None, 50, 50 * 1999).expect("list")
    });
    time("case list, handler, status=submitted", 20, || {
        cases::list(&mut conn, &h, Some("submitted"), 50, 0).expect("list")
    });
    time("handler queue, first page", 20, || {
        cases::queue(&mut conn, &h, 50, 0).expect("queue")
    });
    let check = kontosparr::domain::personnummer::luhn(&[5, 0, 0, 1, 0, 1, 0, 0, 5]);
    let pnr = format!("19500101-005{check}");
    time("search by personnummer (logged)", 20, || {
        cases::search_citizen(&mut conn, &h, &pnr).expect("search")
    });
    time("open a case (logged view)", 20, || {
        cases::view(&mut conn, &h, mid, &register, false).expect("view")
    });
    time("diary, one year, first page", 20, || {
        cases::diary(&mut conn, &h, 2020, 50, 0).expect("diary")
    });
    time("review list (clinician)", 20, || {
        kontosparr::service::cases::reviews(&mut conn, &c, true, 50, 0).expect("reviews")
    });
    time("access log, newest page", 20, || {
        db::audit::latest(&mut conn, 50, 0).expect("log")
    });
}
