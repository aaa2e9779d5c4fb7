//! Ten years of data: seeds a database with many cases and access-log rows, then times the
//! lookups people wait for (lists, queue, search, review list, diary, log page, a case view).
//!
//!     bench/run [sqlite|postgres] [CASES] [LOG_ROWS]
//!
//! `bench seed URL CASES LOG_ROWS` only seeds, and adds the staff `bench/http` logs in as
//! ([`bench_users`]): the access-log rows are inserted unsealed, as the application writes them,
//! and `bench/http` then seals them with `kontosparr audit seal`.
//!
//! `bench stats URL` times only the statistics page's figures on a database seeded before (the
//! seed gives the closed cases ten years of executions, channels, unlocks, returns, linked forms
//! and reviews: [`stats_history`]).
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
    // `bench stats URL`: only the statistics timings, on a database seeded before.
    if std::env::args().nth(1).as_deref() == Some("stats") {
        let pool = db::pool(&arg(2, "sqlite://./data/bench.db"), 4).expect("pool");
        let mut conn = pool.get().expect("conn");
        let conn: &mut DbConnection = &mut conn;
        let handler = db::users::by_hsa_id(conn, "SE2321000131-B1")
            .expect("user")
            .expect("the bench handler (seed first)")
            .id;
        let h = staff_ctx(conn, handler);
        stats_timings(conn, &h);
        return;
    }
    // `bench users URL`: only the users bench/http logs in as, on a database seeded before
    // (idempotent: the users there already are kept).
    if std::env::args().nth(1).as_deref() == Some("users") {
        let pool = db::pool(&arg(2, "sqlite://./data/bench.db"), 4).expect("pool");
        let mut conn = pool.get().expect("conn");
        db::migrate(&mut conn).expect("migrate");
        let conn: &mut DbConnection = &mut conn;
        let unit = db::org::unit_by_code(conn, "BENCH")
            .expect("unit")
            .expect("the bench unit (seed first)")
            .id;
        let n = bench_users(conn, unit);
        println!("created {n} bench users");
        return;
    }
    let seed_only = std::env::args().nth(1).as_deref() == Some("seed");
    let at = usize::from(seed_only);
    let url = arg(1 + at, "sqlite://./data/bench.db");
    let n_cases: i64 = arg(2 + at, "200000").parse().expect("cases");
    let n_log: i64 = arg(3 + at, "10000000").parse().expect("log rows");
    let pool = db::pool(&url, 4).expect("pool");
    let mut conn = pool.get().expect("conn");
    db::migrate(&mut conn).expect("migrate");
    let conn: &mut DbConnection = &mut conn;
    let (handler, clinician, unit) = seed(conn, n_cases, n_log);
    if seed_only {
        let started = Instant::now();
        let n = bench_users(conn, unit);
        println!("created {n} bench users in {:.1?}", started.elapsed());
        return;
    }
    timings(conn, handler, clinician, n_cases);
}

/// The password of every bench user.
pub const BENCH_PASSWORD: &str = "Bänkens lösenord 2026";
/// Users per role that `bench/http` logs in (one session each), and users kept for the login
/// storm (each logs in once per run: a TOTP code is good once per 30-second step).
pub const BENCH_PER_ROLE: usize = 64;
pub const BENCH_STORM_USERS: usize = 400;
/// The roles `bench/http` logs in as, with the letter in their HSA-IDs.
pub const BENCH_ROLES: &[(Role, &str)] = &[
    (Role::Handler, "H"),
    (Role::Clinician, "C"),
    (Role::Auditor, "A"),
];

/// Staff with a known password and TOTP secret (derived from the HSA-ID, see `bench/client.rs`):
/// `SE2321000131-B<letter><n>` for n in 1..=64 per role, and `SE2321000131-BS<n>` (handlers) for
/// the login storm. Created through the services, then given a password and TOTP directly (one
/// argon2 hash for all). Returns how many were created.
fn bench_users(conn: &mut DbConnection, unit: i64) -> usize {
    use kontosparr::service::admin::{FirstPassword, UserInput, create_user};
    let sys = Ctx {
        now: Utc::now(),
        client_addr: "bench".into(),
        principal: kontosparr::service::Principal::Operator,
    };
    let hash = kontosparr::auth::password::hash(BENCH_PASSWORD).expect("hash");
    let mut wanted: Vec<(String, Role)> = Vec::new();
    for (role, letter) in BENCH_ROLES {
        for n in 1..=BENCH_PER_ROLE {
            wanted.push((format!("SE2321000131-B{letter}{n}"), *role));
        }
    }
    for n in 1..=BENCH_STORM_USERS {
        wanted.push((format!("SE2321000131-BS{n}"), Role::Handler));
    }
    let mut created = 0;
    for (hsa, role) in wanted {
        if db::users::by_hsa_id(conn, &hsa).expect("user").is_some() {
            continue;
        }
        let input = UserInput {
            hsa_id: hsa.clone(),
            name: format!("Bänk {hsa}"),
            email: "b@example.se".into(),
            roles: vec![role.code().into()],
            units: vec![unit.to_string()],
            is_decider: true,
            active: true,
        };
        let id = create_user(conn, &sys, &input, FirstPassword::Link { hours: 1 })
            .expect("user")
            .user_id;
        let now = db::ts(Utc::now());
        db::users::set_password(conn, id, Some(&hash), false, now).expect("password");
        db::users::set_totp(conn, id, Some(&bench_totp_secret(&hsa)), None).expect("totp");
        created += 1;
    }
    created
}

/// The TOTP secret of a bench user: base32 of the first 20 bytes of SHA-256("bench-totp:" HSA-ID).
pub fn bench_totp_secret(hsa: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(format!("bench-totp:{hsa}").as_bytes());
    data_encoding::BASE32_NOPAD.encode(&d[..20])
}

/// Seeds `n_cases` cases and `n_log` unsealed access-log rows; returns (handler, clinician, unit).
fn seed(conn: &mut DbConnection, n_cases: i64, n_log: i64) -> (i64, i64, i64) {
    let pg = matches!(*conn, DbConnection::Pg(_));

    // A unit, a handler and a clinician, through the services.
    let sys = Ctx {
        now: Utc::now(),
        client_addr: "bench".into(),
        principal: kontosparr::service::Principal::Operator,
    };
    let unit = kontosparr::service::admin::create_unit(
        conn,
        &sys,
        &kontosparr::service::admin::UnitInput {
            code: "BENCH".into(),
            name: "Bänkenheten".into(),
            manager_user_id: String::new(),
            chief_physician_function: "CL".into(),
            chief_physician_email: "cl@example.se".into(),
            active: true,
            ..Default::default()
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
    let handler = mk(conn, "SE2321000131-B1", Role::Handler);
    let clinician = mk(conn, "SE2321000131-B2", Role::Clinician);

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
    // Each year's diary counter, as `next_diary_seq` keeps it: the next number given continues
    // after the seeded ones (and the diary page reads its total from it).
    conn.batch_execute(
        "INSERT INTO diary_counters (year, last_seq)
         SELECT diary_year, MAX(diary_seq) FROM cases WHERE diary_year IS NOT NULL GROUP BY diary_year
         ON CONFLICT (year) DO UPDATE SET last_seq = excluded.last_seq",
    )
    .expect("diary counters");
    println!("seeded {n_cases} cases in {:.1?}", started.elapsed());
    let started = Instant::now();
    stats_history(conn, pg, n_cases, handler);
    println!(
        "gave the closed cases ten years of history (statistics) in {:.1?}",
        started.elapsed()
    );
    let started = Instant::now();
    seed_log(conn, n_cases, n_log);
    conn.batch_execute("ANALYZE;").ok();
    println!(
        "seeded {n_log} access-log rows (sealed) in {:.1?}",
        started.elapsed()
    );
    (handler, clinician, unit)
}

/// `n_log` access-log entries spread over ten years, written sealed: each row gets its place in
/// the chain (`seal_seq`, `prev_hash`, `hash`, as the sealer would give it) and its subject row
/// as it is inserted, and the head moves to the last. Sealing them afterwards instead rewrote
/// every row once more and took most of an hour at ten million rows.
fn seed_log(conn: &mut DbConnection, n_cases: i64, n_log: i64) {
    use diesel::prelude::*;
    use kontosparr::db::audit::{Round, seal_round};
    use kontosparr::db::schema::{access_log, access_log_head, access_log_subjects};
    use kontosparr::domain::audit::{EntryFields, sealed_hash};
    // What the set-up wrote (the users' creation) is sealed first, so that the bulk continues
    // the chain from the head.
    let head = loop {
        match seal_round(conn, 10_000).expect("seal") {
            Round::Sealed { sealed: 0, head } => break head,
            _ => continue,
        }
    };
    let first: i64 = access_log::table
        .select(diesel::dsl::max(access_log::id))
        .first::<Option<i64>>(conn)
        .expect("max id")
        .unwrap_or(0)
        + 1;
    let pg = matches!(*conn, DbConnection::Pg(_));
    // A bench database: losing it in a crash costs a re-seed, so commits need not wait for disk.
    // The guard that refuses a sealed INSERT (only the sealer may seal) steps aside for the bulk,
    // which does the sealer's work itself, and is back before anything else runs. PostgreSQL:
    // every user trigger on the table (the guards are split in two since the migration
    // `log_insert_guard_when`; naming one of them let the other refuse the bulk).
    // SQLite: the guard is put back exactly as the migrations left it (its text read here), not as
    // a copy that would lag behind the next migration that changes it.
    let sqlite_guard: Option<String> = if pg {
        None
    } else {
        #[derive(QueryableByName)]
        struct Sql {
            #[diesel(sql_type = diesel::sql_types::Text)]
            sql: String,
        }
        Some(
            diesel::sql_query(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'access_log_insert_unsealed'",
            )
            .get_result::<Sql>(conn)
            .expect("the guard trigger")
            .sql,
        )
    };
    conn.batch_execute(if pg {
        "SET synchronous_commit = off; ALTER TABLE access_log DISABLE TRIGGER USER"
    } else {
        "PRAGMA synchronous = OFF; DROP TRIGGER access_log_insert_unsealed"
    })
    .expect("pragma");
    let step = (315_360_000 / n_log.max(1)).max(1);
    let start = (Utc::now() - chrono::Duration::seconds(step * n_log)).naive_utc();
    let start = start.date().and_hms_opt(0, 0, 0).expect("midnight");
    let (mut seq, mut prev) = (head.last_seq, head.last_hash);
    const ROWS: i64 = 1_000; // per INSERT (13 values each; SQLite allows 32 766)
    const PER_TX: i64 = 100; // INSERTs per transaction
    let mut i = 0i64;
    while i < n_log {
        db::write_tx(conn, |c| {
            for _ in 0..PER_TX {
                if i >= n_log {
                    break;
                }
                let n = ROWS.min(n_log - i);
                let mut rows = Vec::with_capacity(n as usize);
                let mut subjects = Vec::with_capacity(n as usize);
                for k in i + 1..=i + n {
                    let id = first + k - 1;
                    let at = start + chrono::Duration::seconds(k * step);
                    let pnr = format!("19{:02}0101{:04}", k % 90 + 10, k % 10_000);
                    let object = format!("case:{}", k % n_cases.max(1) + 1);
                    seq += 1;
                    let hash = sealed_hash(
                        &prev,
                        seq,
                        &EntryFields {
                            id,
                            at,
                            user_hsa_id: Some("SE2321000131-B1"),
                            role: Some("handler"),
                            unit_code: Some("BENCH"),
                            action: "case_view",
                            object: Some(&object),
                            personnummer: Some(&pnr),
                            client_addr: Some("127.0.0.1"),
                            detail: None,
                        },
                    );
                    subjects.push((
                        access_log_subjects::entry_id.eq(id),
                        access_log_subjects::personnummer.eq(pnr.clone()),
                    ));
                    rows.push((
                        access_log::id.eq(id),
                        access_log::at.eq(at),
                        access_log::user_hsa_id.eq("SE2321000131-B1"),
                        access_log::role.eq("handler"),
                        access_log::unit_code.eq("BENCH"),
                        access_log::action.eq("case_view"),
                        access_log::object.eq(object),
                        access_log::personnummer.eq(pnr),
                        access_log::client_addr.eq("127.0.0.1"),
                        access_log::prev_hash.eq(std::mem::replace(&mut prev, hash.clone())),
                        access_log::hash.eq(hash),
                        access_log::seal_seq.eq(seq),
                    ));
                }
                let insert = diesel::insert_into(access_log::table).values(&rows);
                let subject_insert =
                    diesel::insert_into(access_log_subjects::table).values(&subjects);
                match c {
                    DbConnection::Pg(c) => {
                        insert.execute(c)?;
                        subject_insert.execute(c)?;
                    }
                    DbConnection::Sqlite(c) => {
                        insert.execute(c)?;
                        subject_insert.execute(c)?;
                    }
                }
                i += n;
            }
            diesel::update(access_log_head::table.find(1))
                .set((
                    access_log_head::last_seq.eq(seq),
                    access_log_head::last_hash.eq(&prev),
                ))
                .execute(c)?;
            Ok::<_, diesel::result::Error>(())
        })
        .expect("log rows");
        if (i / ROWS) % 1_000 == 0 {
            println!("  {i} log rows");
        }
    }
    if pg {
        conn.batch_execute(
            "SELECT setval(pg_get_serial_sequence('access_log', 'id'), (SELECT MAX(id) FROM access_log))",
        )
        .expect("sequence");
    }
    if !pg {
        // SQLite's citizen index, as the server's rounds would have built it over the years (the
        // server's first rounds would otherwise take in ten years at once).
        let t = std::time::Instant::now();
        let n = conn
            .transaction(|c| kontosparr::db::audit::index_citizens(c, None))
            .expect("citizen index");
        println!("indexed {n} subject rows by citizen in {:.1?}", t.elapsed());
    }
    match sqlite_guard {
        None => conn.batch_execute(
            "SET synchronous_commit = on; ALTER TABLE access_log ENABLE TRIGGER USER",
        ),
        Some(guard) => conn.batch_execute(&format!("PRAGMA synchronous = NORMAL; {guard};")),
    }
    .expect("pragma");
}

/// Ten years of history for the statistics page: the closed cases executed evenly from 2016 on
/// (lead times up to 200 hours), a mix of channels, every fifth an unlock lifting the lock before
/// it, every tenth returned once, the emergency locks' forms linked after up to two weeks, and a
/// review of every second lock (on time or up to three days late).
fn stats_history(conn: &mut DbConnection, pg: bool, n_cases: i64, user: i64) {
    let step = (315_360_000 / n_cases.max(1)).max(1);
    let (executed, lead, linked) = if pg {
        (
            format!("timestamp '2016-01-01 08:00' + (id * {step}) * interval '1 second'"),
            "executed_at - (id % 200) * interval '1 hour'".to_string(),
            "executed_at + (id % 14) * interval '1 day' + interval '3 hours'".to_string(),
        )
    } else {
        (
            format!("datetime('2016-01-01 08:00', '+' || (id * {step}) || ' seconds')"),
            "datetime(executed_at, '-' || (id % 200) || ' hours')".to_string(),
            "datetime(executed_at, '+' || (id % 14) || ' days', '+3 hours')".to_string(),
        )
    };
    let due = if pg {
        "(executed_at + interval '3 months')::date"
    } else {
        "date(executed_at, '+3 months')"
    };
    let decided = if pg {
        format!("{due} + CAST(id % 7 - 3 AS INTEGER)")
    } else {
        format!("date({due}, printf('%+d days', id % 7 - 3))")
    };
    let decided_at = if pg {
        format!("({decided})::timestamp + interval '9 hours'")
    } else {
        format!("datetime({decided}, '+9 hours')")
    };
    conn.batch_execute(&format!(
        "UPDATE cases SET executed_at = {executed}, \
           channel = CASE id % 20 WHEN 0 THEN 'paper' WHEN 1 THEN 'emergency' WHEN 2 THEN 'api' ELSE 'eservice' END, \
           returned_count = CASE WHEN id % 10 = 3 THEN 1 ELSE 0 END \
         WHERE status = 'closed';
         UPDATE cases SET submitted_at = {lead} WHERE executed_at IS NOT NULL;
         UPDATE cases SET form_linked_at = {linked} WHERE channel = 'emergency' AND executed_at IS NOT NULL;
         UPDATE cases SET kind = 'unlock', related_case_id = id - 1 \
         WHERE id % 5 = 0 AND id > 1 AND channel <> 'emergency' AND executed_at IS NOT NULL;
         INSERT INTO reviews (case_id, decided_at, user_id, outcome, next_review, due_on, decided_on) \
         SELECT id, {decided_at}, {user}, 'keep', NULL, {due}, {decided} FROM cases \
         WHERE kind = 'lock' AND executed_at IS NOT NULL AND id % 2 = 0;"
    ))
    .expect("statistics history");
}

fn timings(conn: &mut DbConnection, handler: i64, clinician: i64, n_cases: i64) {
    let h = Ctx {
        now: Utc::now(),
        client_addr: "bench".into(),
        principal: kontosparr::service::Principal::Staff(
            session::load_holder(conn, handler)
                .expect("actor")
                .staff()
                .cloned()
                .expect("active"),
        ),
    };
    let c = Ctx {
        now: Utc::now(),
        client_addr: "bench".into(),
        principal: kontosparr::service::Principal::Staff(
            session::load_holder(conn, clinician)
                .expect("actor")
                .staff()
                .cloned()
                .expect("active"),
        ),
    };
    let register =
        kontosparr::register::FileRegister::demo(Utc::now().date_naive()).expect("register");
    let mid = n_cases / 2;
    use kontosparr::db::page::Cursor;
    let all = cases::ListFilter::default();
    let submitted = cases::ListFilter {
        status: Some("submitted".into()),
        ..Default::default()
    };
    time("case list, clinician, first page", 20, || {
        cases::list(conn, &c, &all, &Cursor::First, 50).expect("list")
    });
    // Page 2000 by key: the rows after the middle case (what "Nästa" links to from there).
    let middle = db::cases::get(conn, mid)
        .expect("case")
        .expect("middle case");
    let deep = Cursor::After(middle.updated_at, middle.id);
    time(
        "case list, clinician, a page deep in the list (by key)",
        20,
        || cases::list(conn, &c, &all, &deep, 50).expect("list"),
    );
    time("case list, handler, status=submitted", 20, || {
        cases::list(conn, &h, &submitted, &Cursor::First, 50).expect("list")
    });
    time("handler queue, first page", 20, || {
        cases::queue(conn, &h, &Cursor::First, 50).expect("queue")
    });
    let check = kontosparr::domain::personnummer::luhn(&[5, 0, 0, 1, 0, 1, 0, 0, 5]);
    let pnr = format!("19500101-005{check}");
    time("search by personnummer (logged)", 20, || {
        cases::search(conn, &h, &pnr, &Cursor::First, 50).expect("search")
    });
    time("open a case (logged view)", 20, || {
        cases::view(conn, &h, mid, &register, false).expect("view")
    });
    time("diary, one year, first page", 20, || {
        cases::diary_page(conn, &h, 2020, None, 50).expect("diary")
    });
    time("review list (clinician)", 20, || {
        kontosparr::service::cases::reviews(conn, &c, true, &Cursor::First, 50).expect("reviews")
    });
    let start =
        kontosparr::service::start::Settings::from_config(&kontosparr::config::Config::default());
    time("start page counts (handler)", 20, || {
        kontosparr::service::start::start(conn, &h, &start).expect("start")
    });
    time("start page counts (clinician)", 20, || {
        kontosparr::service::start::start(conn, &c, &start).expect("start")
    });
    time("access log, newest page", 20, || {
        db::audit::latest(conn, 50, 0).expect("log")
    });
    stats_timings(conn, &h);
}

fn staff_ctx(conn: &mut DbConnection, user: i64) -> Ctx {
    Ctx {
        now: Utc::now(),
        client_addr: "bench".into(),
        principal: kontosparr::service::Principal::Staff(
            session::load_holder(conn, user)
                .expect("actor")
                .staff()
                .cloned()
                .expect("active"),
        ),
    }
}

/// The statistics page: seven GROUP BY queries over the period (one of them for the locks in
/// force when it begins), for the region over ten years and the last twelve months, and for one
/// unit.
fn stats_timings(conn: &mut DbConnection, h: &Ctx) {
    let today = kontosparr::domain::review::swedish_date(Utc::now());
    let year = kontosparr::domain::stats::Period::last_year(today);
    let filter = |from: &str, to: &str, unit: Option<&str>| {
        kontosparr::service::stats::filter(Some(from), Some(to), unit, today).expect("filter")
    };
    let ten = filter("2016-01", "2025-12", None);
    let last = filter(&year.from.to_string(), &year.to.to_string(), None);
    let unit = db::org::all_units(conn).expect("units")[0].id.to_string();
    let one = filter("2016-01", "2025-12", Some(&unit));
    time("statistics, the region, ten years (120 months)", 10, || {
        kontosparr::service::stats::statistics(conn, h, &ten).expect("stats")
    });
    time("statistics, the region, the last 12 months", 10, || {
        kontosparr::service::stats::statistics(conn, h, &last).expect("stats")
    });
    time("statistics, one unit, ten years", 10, || {
        kontosparr::service::stats::statistics(conn, h, &one).expect("stats")
    });
}
