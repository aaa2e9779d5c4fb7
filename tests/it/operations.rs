//! Operations: the health check writes, a database outage is answered fast and recovered from,
//! mail leases, metrics, request ids, the systemd unit and encrypted TOTP secrets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Backend, TestApp};
use kontosparr::clock::Clock;
use kontosparr::db;

async fn healthz_writes_a_heartbeat(app: TestApp) {
    let mut b = app.browser();
    let r = b.get("/healthz").await;
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));
    let first = db::health::last_beat(&mut app.conn(), &app.state.node).unwrap();
    assert_eq!(first, Some(db::ts(app.clock.now())));
    app.clock.advance(chrono::Duration::seconds(90));
    assert_eq!(b.get("/healthz").await.status, 200);
    let second = db::health::last_beat(&mut app.conn(), &app.state.node).unwrap();
    assert_eq!(
        second,
        Some(db::ts(app.clock.now())),
        "the row is updated, not added"
    );
}

dual!(healthz_writes_a_heartbeat);

/// With every connection taken (as when the database hangs), a page waits at most the pool's
/// checkout timeout (2 s) and answers the Swedish 503 page; it works again once one is free.
async fn pages_fail_fast_when_no_connection_comes(app: TestApp) {
    use kontosparr::domain::Role;
    let unit = app.unit("OPS1");
    let u = app.user(&[Role::Clinician], &[unit]);
    let mut b = app.browser();
    app.login(&mut b, &u).await;
    assert_eq!(b.get("/").await.status, 200);
    let held: Vec<_> = (0..app.pool.max_size()).map(|_| app.conn()).collect();
    let started = std::time::Instant::now();
    let r = b.get("/").await;
    let took = started.elapsed();
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("Försök igen om en stund"), "{}", r.body);
    assert!(!r.body.contains("panicked") && !r.body.contains("r2d2"));
    assert_eq!(r.header("retry-after"), Some("10"));
    assert!(
        took >= std::time::Duration::from_millis(1900)
            && took < std::time::Duration::from_millis(2600),
        "503 after {took:?}"
    );
    let h = b.get("/healthz").await;
    assert_eq!((h.status, h.body.as_str()), (503, "database unavailable"));
    // The intake API answers 503 too (the e-form platform retries), in JSON.
    let mut api = awc::Client::default()
        .post(format!("{}/api/v1/arenden", app.base))
        .insert_header(("authorization", "Bearer whatever"))
        .insert_header(("idempotency-key", "k1"))
        .send_json(&serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(api.status().as_u16(), 503);
    assert!(api.headers().contains_key("retry-after"));
    let v: serde_json::Value = api.json().await.unwrap();
    assert!(v.to_string().contains("inget sparades"), "{v}");
    println!("all connections taken: page 503 after {took:?}");
    drop(held);
    assert_eq!(b.get("/").await.status, 200);
    assert_eq!(b.get("/healthz").await.status, 200);
}

dual!(pages_fail_fast_when_no_connection_comes);

/// A PostgreSQL cluster of the test's own (initdb into a temporary directory, `pg_ctl` on a free
/// port), so that it can be stopped and started under a running app. As root the server runs as
/// `postgres` (via `runuser`), as `scripts/test` does.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
    pub port: u16,
}

impl Cluster {
    /// None (and a message) when the PostgreSQL server binaries are not installed.
    pub fn init() -> Option<Cluster> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|b| b.join("initdb").exists())
            .max()?;
        let dir = tempfile::Builder::new()
            .prefix("ks-outage-")
            .tempdir()
            .unwrap();
        let port = crate::common::free_port();
        let c = Cluster { dir, bin, port };
        if c.is_root() {
            let ok = std::process::Command::new("chown")
                .args(["-R", "postgres"])
                .arg(c.dir.path())
                .status()
                .unwrap();
            assert!(ok.success(), "chown the cluster directory to postgres");
        }
        let data = c.data();
        c.run(
            "initdb",
            &["-D", &data, "-A", "trust", "-U", "postgres", "-N"],
        );
        Some(c)
    }

    fn is_root(&self) -> bool {
        std::process::Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let mut cmd = if self.is_root() {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            std::process::Command::new(&exe)
        };
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-l", &log, "-w", "-o", &opts, "start"],
        );
    }

    /// Stops the server at once, as a crash would (no checkpoint, connections cut).
    pub fn stop_immediate(&self) {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new(if self.is_root() { "runuser" } else { "sh" })
            .args(if self.is_root() {
                vec!["-u", "postgres", "--"]
            } else {
                vec!["-c", "exec \"$0\" \"$@\""]
            })
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", &self.data(), "-m", "immediate", "stop"])
            .output();
    }
}

/// Polls `path` until it answers `status`, for at most `limit`; returns how long it took.
async fn until_status(
    b: &mut crate::common::Browser,
    path: &str,
    status: u16,
    limit: std::time::Duration,
) -> std::time::Duration {
    let started = std::time::Instant::now();
    loop {
        let r = b.get(path).await;
        if r.status == status {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "{path} still {} after {limit:?}: {}",
            r.status,
            r.body
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The database goes away under load and comes back: while it is away `/healthz` and the pages
/// answer 503 (Swedish, no stack trace) within about 2 s; once it is back everything works again
/// without restarting the app — the health check, a page, and a write (a new login).
#[actix_web::test]
async fn a_database_outage_is_answered_fast_and_recovered_from() {
    use kontosparr::domain::Role;
    use std::time::{Duration, Instant};
    let Some(cluster) = Cluster::init() else {
        println!("SKIPPED: no PostgreSQL server binaries under /usr/lib/postgresql");
        return;
    };
    cluster.start();
    let app = TestApp::builder(Backend::Postgres)
        .database_url(&cluster.url())
        .start()
        .await;
    let unit = app.unit("OUT1");
    let u = app.user(&[Role::Clinician], &[unit]);
    let mut b = app.browser();
    app.login(&mut b, &u).await;
    assert_eq!(b.get("/").await.status, 200);

    // Load: four clients keep asking for the start page (a session lookup each) until told to
    // stop; every answer must be a 200 or a 503, never anything else.
    let stop = std::rc::Rc::new(std::cell::Cell::new(false));
    let mut load = vec![];
    for _ in 0..4 {
        let (stop, cookie, base) = (stop.clone(), b.cookie.clone(), app.base.clone());
        load.push(actix_web::rt::spawn(async move {
            let mut c = crate::common::Browser::new(&base);
            c.cookie = cookie;
            let (mut ok, mut unavailable, mut slowest) = (0u32, 0u32, Duration::ZERO);
            while !stop.get() {
                let t = Instant::now();
                let r = c.get("/").await;
                slowest = slowest.max(t.elapsed());
                match r.status {
                    200 => ok += 1,
                    503 => unavailable += 1,
                    s => panic!("a page under an outage answered {s}: {}", r.body),
                }
                actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            }
            (ok, unavailable, slowest)
        }));
    }
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;

    let down_at = Instant::now();
    cluster.stop_immediate();
    println!("cluster stopped in {:?}", down_at.elapsed());
    for i in 0..3 {
        let t = Instant::now();
        let h = b.get("/healthz").await;
        let healthz = t.elapsed();
        assert_eq!((h.status, h.body.as_str()), (503, "database unavailable"));
        let t = Instant::now();
        let p = b.get("/").await;
        let page = t.elapsed();
        assert_eq!(p.status, 503, "{}", p.body);
        assert!(p.body.contains("Försök igen om en stund"), "{}", p.body);
        assert!(!p.body.contains("panicked") && !p.body.contains("postgres"));
        println!("down, round {i}: /healthz 503 in {healthz:?}, / 503 in {page:?}");
        // The first page of an outage may wait out the pool's timeout (2 s) before a connect has
        // failed and the database is known down; the bound allows the scheduling around that
        // timeout, as the load's bound below does (a bound of exactly 2 s failed at 2.0017 s).
        assert!(healthz < Duration::from_secs(2), "healthz took {healthz:?}");
        assert!(page < Duration::from_millis(2500), "page took {page:?}");
    }

    let up_at = Instant::now();
    cluster.start();
    println!("cluster started in {:?}", up_at.elapsed());
    let healthy = until_status(&mut b, "/healthz", 200, Duration::from_secs(20)).await;
    let page = until_status(&mut b, "/", 200, Duration::from_secs(20)).await;
    println!(
        "back up: /healthz 200 after {healthy:?}, / 200 {page:?} later ({:?} after the restart)",
        up_at.elapsed()
    );
    // A write: a new login (a session row and an access-log row).
    let mut fresh = app.browser();
    app.login(&mut fresh, &u).await;
    assert_eq!(fresh.get("/").await.status, 200);
    // And the pool is healthy again: a burst of pages all succeed.
    for _ in 0..20 {
        assert_eq!(b.get("/").await.status, 200);
    }

    stop.set(true);
    let (mut ok, mut unavailable, mut slowest) = (0, 0, Duration::ZERO);
    for l in load {
        let (o, u, s) = l.await.unwrap();
        (ok, unavailable, slowest) = (ok + o, unavailable + u, slowest.max(s));
    }
    println!("load: {ok} pages 200, {unavailable} pages 503, slowest answer {slowest:?}");
    assert!(ok > 0 && unavailable > 0);
    assert!(slowest < Duration::from_millis(2500), "slowest {slowest:?}");
}

/// A message claimed by a worker that died (claimed, never finished) is taken over by another
/// worker once the 45-second lease has run out — not before — and the dead worker can neither
/// renew nor finish it afterwards. A live worker that renews keeps it.
async fn a_dead_workers_mail_is_retried_within_a_minute(app: TestApp) {
    use kontosparr::db::outbox::{self, NewMessage};
    use kontosparr::service::outbox::LEASE;
    let mut conn = app.conn();
    let c = &mut conn;
    let now = || db::ts(app.clock.now());
    for recipient in ["a@example.se", "b@example.se"] {
        let m = NewMessage {
            kind: "test",
            case_id: None,
            unit_id: None,
            recipient,
            encrypted: false,
            message: b"Subject: x\r\n\r\nx",
            status: "pending",
            last_error: "",
        };
        outbox::insert(c, &m, now()).unwrap();
    }
    assert!(LEASE <= chrono::Duration::seconds(60), "a lease of {LEASE}");
    let claim = |c: &mut db::DbConnection, worker: &str| {
        let at = app.clock.now();
        db::write_tx(c, |c| {
            outbox::claim_due(c, db::ts(at), 20, worker, db::ts(at + LEASE))
        })
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect::<Vec<_>>()
    };
    let dead = claim(c, "dead");
    assert_eq!(dead.len(), 2);
    let (lost, kept) = (dead[0], dead[1]);
    // A live worker renews the second message halfway through; the first one nobody renews.
    app.clock.advance(chrono::Duration::seconds(30));
    assert!(
        claim(c, "other").is_empty(),
        "taken over before the lease ran out"
    );
    assert!(outbox::renew(c, kept, "dead", db::ts(app.clock.now() + LEASE)).unwrap());
    app.clock.advance(chrono::Duration::seconds(14));
    assert!(claim(c, "other").is_empty(), "taken over at 44 s");
    app.clock.advance(chrono::Duration::seconds(2));
    assert_eq!(
        claim(c, "other"),
        vec![lost],
        "taken over at 46 s, the renewed one kept"
    );
    // The first worker has lost it: it may not renew (so it does not send) nor record an outcome.
    assert!(!outbox::renew(c, lost, "dead", db::ts(app.clock.now() + LEASE)).unwrap());
    assert!(!outbox::finish(c, lost, "dead", "sent", now(), "", Some(now())).unwrap());
    assert!(outbox::finish(c, lost, "other", "sent", now(), "", Some(now())).unwrap());
    assert!(outbox::finish(c, kept, "dead", "sent", now(), "", Some(now())).unwrap());
    let d = outbox::get(c, lost).unwrap().unwrap();
    assert_eq!((d.status.as_str(), d.attempts), ("sent", 2));
}

dual!(a_dead_workers_mail_is_retried_within_a_minute);

/// Every response carries a fresh `X-Request-Id`; an error page shows the same id as its
/// reference, and the request's log lines carry it (also the error line logged on a blocking
/// thread for a 503).
async fn the_request_id_is_on_the_page_the_header_and_the_log(app: TestApp) {
    use kontosparr::domain::Role;
    let log = crate::common::captured_log();
    let mut b = app.browser();
    let r = b.get("/finns-inte").await;
    assert_eq!(r.status, 404);
    let id = r.header("x-request-id").unwrap().to_string();
    assert_eq!(id.len(), 16, "{id}");
    assert!(
        r.body.contains(&format!("Referens: <code>{id}</code>")),
        "{}",
        r.body
    );
    let other = b.get("/finns-inte").await;
    assert_ne!(
        other.header("x-request-id"),
        Some(id.as_str()),
        "a new id per request"
    );
    assert!(b.get("/healthz").await.header("x-request-id").is_some());

    // A 503 (no connection to be had): the page's reference is the header's id, and both the
    // request line and the error line of the log carry it.
    let unit = app.unit("RID1");
    let u = app.user(&[Role::Clinician], &[unit]);
    app.login(&mut b, &u).await;
    let held: Vec<_> = (0..app.pool.max_size()).map(|_| app.conn()).collect();
    let r = b.get("/").await;
    drop(held);
    assert_eq!(r.status, 503);
    let id503 = r.header("x-request-id").unwrap().to_string();
    assert!(r.body.contains("ange referensen nedan"), "{}", r.body);
    assert!(r.body.contains(&format!("Referens: <code>{id503}</code>")));

    let text = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    let lines_of = |id: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.contains(&format!("request{{id={id}}}")))
            .map(str::to_string)
            .collect()
    };
    let l404 = lines_of(&id);
    assert!(
        l404.iter().any(|l| l.contains("status=404")),
        "no log line with {id}:\n{text}"
    );
    let l503 = lines_of(&id503);
    assert!(l503.iter().any(|l| l.contains("status=503")), "{l503:?}");
    assert!(
        l503.iter().any(|l| l.contains("request failed")),
        "{l503:?}"
    );
}

dual!(the_request_id_is_on_the_page_the_header_and_the_log);

/// The value of the first series named `name` whose labels include every `label="value"` given.
fn series(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .find(|l| labels.iter().all(|want| l.contains(want)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// `/metrics` is served on its own listener only, in the Prometheus text format: requests by
/// route pattern and status with latency histograms, the outbox, the pool, the reminder job and
/// the access log's unsealed rows, each series with the node's name.
async fn metrics_are_served_apart_with_sane_values(app: TestApp) {
    use kontosparr::db::outbox::{self, NewMessage};
    use kontosparr::domain::Role;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = kontosparr::web::metrics::server(app.state.clone(), listener).unwrap();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let mut b = app.browser();
    assert_eq!(
        b.get("/metrics").await.status,
        404,
        "never on the public listener"
    );
    for _ in 0..3 {
        assert_eq!(b.get("/healthz").await.status, 200);
    }
    let unit = app.unit("MET1");
    let u = app.user(&[Role::Clinician], &[unit]);
    app.login(&mut b, &u).await;
    let r = b.get("/arenden/987654").await;
    assert!(r.status >= 400, "{}", r.status);
    let m = NewMessage {
        kind: "test",
        case_id: None,
        unit_id: None,
        recipient: "x@example.se",
        encrypted: false,
        message: b"x",
        status: "pending",
        last_error: "",
    };
    let five_min_ago = db::ts(app.clock.now() - chrono::Duration::minutes(5));
    outbox::insert(&mut app.conn(), &m, five_min_ago).unwrap();
    let failed = NewMessage {
        status: "failed",
        ..m
    };
    outbox::insert(&mut app.conn(), &failed, five_min_ago).unwrap();

    let mut scraper = crate::common::Browser::new(&format!("http://{addr}"));
    let held = app.conn();
    let r = scraper.get("/metrics").await;
    drop(held);
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let t = r.body;
    let node = format!("node=\"{}\"", app.state.node);
    let get = |name: &str, labels: &[&str]| {
        let mut all = labels.to_vec();
        all.push(&node);
        series(&t, name, &all).unwrap_or_else(|| panic!("no {name} {labels:?} in\n{t}"))
    };
    let h = "kontosparr_http_request_duration_seconds";
    let healthz = ["route=\"/healthz\"", "method=\"GET\"", "status=\"200\""];
    assert_eq!(get(&format!("{h}_count"), &healthz), 3.0);
    assert!(get(&format!("{h}_sum"), &healthz) > 0.0);
    assert_eq!(
        get(&format!("{h}_bucket"), &[healthz[0], "le=\"+Inf\""]),
        3.0
    );
    assert_eq!(
        get(
            &format!("{h}_count"),
            &["route=\"/login\"", "method=\"POST\"", "status=\"303\""]
        ),
        1.0
    );
    // The pattern, not the path: no id from the URL in a label.
    assert!(get(&format!("{h}_count"), &["route=\"/arenden/{id}\""]) >= 1.0);
    assert!(!t.contains("987654"));
    assert_eq!(
        get(
            &format!("{h}_count"),
            &["route=\"(none)\"", "status=\"404\""]
        ),
        1.0
    );

    assert_eq!(get("kontosparr_outbox_depth", &[]), 1.0);
    assert_eq!(get("kontosparr_outbox_oldest_age_seconds", &[]), 300.0);
    assert_eq!(get("kontosparr_outbox_failed", &[]), 1.0);
    assert_eq!(get("kontosparr_database_up", &[]), 1.0);
    let (in_use, idle) = (
        get("kontosparr_db_pool_connections", &["state=\"in_use\""]),
        get("kontosparr_db_pool_connections", &["state=\"idle\""]),
    );
    let max = get("kontosparr_db_pool_max_connections", &[]);
    assert!(
        in_use >= 1.0 && idle >= 0.0 && in_use + idle <= max,
        "{in_use} {idle} {max}"
    );
    // No sealer runs in the tests: on PostgreSQL the login's rows wait unsealed; SQLite's single
    // writer sealed them as it appended them.
    let (unsealed, age) = (
        get("kontosparr_access_log_unsealed_rows", &[]),
        get("kontosparr_access_log_unsealed_oldest_age_seconds", &[]),
    );
    match app.backend() {
        Backend::Postgres => assert!(unsealed >= 1.0 && age >= 0.0, "{unsealed} {age}"),
        Backend::Sqlite => assert_eq!((unsealed, age), (0.0, 0.0)),
    }
    // SQLite's one writer: the login's writes took it, and held it for some time; PostgreSQL's
    // writers run side by side and have no such series.
    let w = "kontosparr_sqlite_writer";
    match app.backend() {
        Backend::Sqlite => {
            let taken = get(&format!("{w}_taken_total"), &[]);
            let (waited, held) = (
                get(&format!("{w}_wait_seconds_total"), &[]),
                get(&format!("{w}_held_seconds_total"), &[]),
            );
            assert!(taken >= 2.0, "{taken}");
            assert!(
                held > 0.0 && held < 60.0 && waited >= 0.0,
                "{held} {waited}"
            );
            // A second scrape counts on from the first, after one more write.
            kontosparr::db::write_tx(&mut app.conn(), |_| Ok::<_, diesel::result::Error>(()))
                .unwrap();
            let again = scraper.get("/metrics").await.body;
            let taken_again = series(&again, &format!("{w}_taken_total"), &[&node]).unwrap();
            assert_eq!(taken_again, taken + 1.0, "{again}");
        }
        Backend::Postgres => assert!(!t.contains(w), "{t}"),
    }
    // The reminder job has not run: the lag is the time since start (the login moved the clock).
    let lag = get("kontosparr_reminder_lag_seconds", &[]);
    assert!((30.0..3600.0).contains(&lag), "{lag}");
    handle.stop(false).await;
}

dual!(metrics_are_served_apart_with_sane_values);

/// `deploy/kontosparr.service` passes `systemd-analyze verify` (with ExecStart pointed at the
/// binary just built, which must exist for verify) and keeps its hardening; skipped with a
/// message where systemd-analyze is not installed.
#[test]
fn the_systemd_unit_verifies_and_is_hardened() {
    let unit_path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/kontosparr.service");
    let unit = std::fs::read_to_string(unit_path).unwrap();
    for directive in [
        "User=kontosparr",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/kontosparr",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=\n",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "SystemCallFilter=@system-service",
        "MemoryDenyWriteExecute=yes",
        "UMask=0077",
    ] {
        assert!(unit.contains(directive), "the unit lacks {directive:?}");
    }
    let have = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        println!("SKIPPED: systemd-analyze is not installed; the unit was not verified");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("kontosparr.service");
    std::fs::write(
        &copy,
        unit.replace(
            "/usr/local/bin/kontosparr",
            env!("CARGO_BIN_EXE_kontosparr"),
        ),
    )
    .unwrap();
    let out = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify: {stderr}");
    let complaints: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("kontosparr.service"))
        .collect();
    assert!(complaints.is_empty(), "{complaints:?}");
    // The exposure score systemd computes for the unit (0 = locked down, 10 = exposed).
    let sec = std::process::Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(&copy)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&sec.stdout);
    match text
        .lines()
        .find_map(|l| l.split("exposure level for kontosparr.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<f64>().ok())
    {
        Some(score) => {
            println!("systemd-analyze security: exposure {score}");
            assert!(score <= 2.0, "exposure {score}:\n{text}");
        }
        None => println!("systemd-analyze security --offline is not supported here; not scored"),
    }
}

/// Every TOTP secret and pending secret in the database, as stored.
fn stored_secrets(app: &TestApp) -> Vec<String> {
    let mut c = app.conn();
    let mut all: Vec<String> = db::users::totp_secrets(&mut c)
        .unwrap()
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    all.extend(
        db::sessions::pending_totp_secrets(&mut c)
            .unwrap()
            .into_iter()
            .map(|(_, s)| s),
    );
    all
}

/// TOTP secrets are encrypted at rest: enrolment stores (and the pending secret is) only
/// `v1:` ciphertext, never the secret; a secret stored in clear before is still accepted and is
/// encrypted at its first use; logins work with the encrypted secret.
async fn totp_secrets_are_encrypted_at_rest(app: TestApp) {
    use crate::common::PASSWORD;
    use kontosparr::domain::Role;
    let unit = app.unit("SEC1");
    // A secret from before encryption (the harness stores it in clear).
    let old = app.user(&[Role::Clinician], &[unit]);
    assert_eq!(stored_secrets(&app), vec![old.secret.clone()]);
    let mut b = app.browser();
    app.login(&mut b, &old).await;
    let after = db::users::by_id(&mut app.conn(), old.id).unwrap().unwrap();
    let sealed = after.totp_secret.unwrap();
    assert!(
        sealed.starts_with("v1:") && !sealed.contains(&old.secret),
        "{sealed}"
    );
    let mut again = app.browser();
    app.login(&mut again, &old).await;
    assert_eq!(again.get("/").await.status, 200);

    // Enrolment through the pages: the pending secret and the enrolled one are ciphertext.
    let new = app.user(&[Role::Clinician], &[unit]);
    db::users::set_totp(&mut app.conn(), new.id, None, None).unwrap();
    let mut nb = app.browser();
    let r = nb.login(&new, PASSWORD, "").await;
    assert_eq!(r.location(), Some("/konto/tvafaktor"));
    let totp = nb.get("/konto/tvafaktor").await;
    let s = totp.body.find("<code>").unwrap() + 6;
    let secret: String = totp.body[s..s + totp.body[s..].find('<').unwrap()].replace(' ', "");
    assert_eq!(secret.len(), 32);
    let during = stored_secrets(&app);
    assert_eq!(during.len(), 2, "{during:?}");
    assert!(
        during
            .iter()
            .all(|v| v.starts_with("v1:") && !v.contains(&secret))
    );
    // The page shows the same secret again (read back through the key).
    assert!(
        nb.get("/konto/tvafaktor")
            .await
            .body
            .contains(&kontosparr::auth::totp::grouped(&secret))
    );
    let code = kontosparr::auth::totp::code_at(
        &secret,
        kontosparr::auth::totp::step_of(app.clock.now().timestamp()),
    )
    .unwrap();
    let done = nb
        .post(
            "/konto/tvafaktor",
            &[("csrf_token", &totp.csrf()), ("code", &code)],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    app.clock.advance(chrono::Duration::seconds(30));
    let stored = stored_secrets(&app);
    assert_eq!(stored.len(), 2, "no pending secret is left: {stored:?}");
    for v in &stored {
        assert!(v.starts_with("v1:"), "{v}");
        assert!(!v.contains(&secret) && !v.contains(&old.secret));
    }
    let enrolled = crate::common::TestUser { secret, ..new };
    let mut b2 = app.browser();
    app.login(&mut b2, &enrolled).await;
    assert_eq!(b2.get("/").await.status, 200);
}

dual!(totp_secrets_are_encrypted_at_rest);

/// `kontosparr secrets rotate --new-key FILE` re-encrypts every secret under the new key (clear
/// ones too); the app on the new key logs everyone in; with the old key the server refuses to
/// start, with a clear message.
async fn rotating_the_secret_key_keeps_logins_working(app: TestApp) {
    use kontosparr::auth::secrets::SecretBox;
    use kontosparr::domain::Role;
    let unit = app.unit("ROT1");
    let (a, b) = (
        app.user(&[Role::Clinician], &[unit]),
        app.user(&[Role::Handler], &[]),
    );
    let mut br = app.browser();
    app.login(&mut br, &a).await; // a's secret is now encrypted; b's is still clear
    let before = stored_secrets(&app);
    assert_eq!(before.iter().filter(|s| s.starts_with("v1:")).count(), 1);

    let dir = tempfile::tempdir().unwrap();
    let new_key = dir.path().join("new.key");
    let old_key = app.state.config.secret_key_file.clone();
    let run = |args: &[&str], key: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kontosparr"))
            .current_dir(dir.path())
            .env("DATABASE_URL", &app.db.url)
            .env("KONTOSPARR_SECRET_KEY_FILE", key)
            .env("KONTOSPARR_AUDIT_KEY_FILE", dir.path().join("audit.key"))
            .env(
                "KONTOSPARR_AUDIT_CHECKPOINT_FILE",
                dir.path().join("checkpoints.jsonl"),
            )
            .env("KONTOSPARR_ATTACHMENTS_DIR", dir.path().join("att"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Bounded: a server that starts when it should not is killed after 30 s.
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > std::time::Duration::from_secs(30) {
                child.kill().unwrap();
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        child.wait_with_output().unwrap()
    };
    let out = run(
        &["secrets", "rotate", "--new-key", new_key.to_str().unwrap()],
        &old_key,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("2 TOTP-hemligheter") && stdout.contains("1 var okrypterade"),
        "{stdout}"
    );
    let after = stored_secrets(&app);
    assert_eq!(after.len(), 2);
    assert!(
        after
            .iter()
            .all(|s| s.starts_with("v1:") && !before.contains(s))
    );
    assert!(
        !after
            .iter()
            .any(|s| s.contains(&a.secret) || s.contains(&b.secret))
    );
    // The new key opens them, the old one does not.
    let mut c = app.conn();
    let newbox = SecretBox::load(&new_key).unwrap();
    let oldbox = SecretBox::load(std::path::Path::new(&old_key)).unwrap();
    assert!(kontosparr::service::auth::check_secret_key(&mut c, &newbox).is_ok());
    assert!(kontosparr::service::auth::check_secret_key(&mut c, &oldbox).is_err());
    drop(c);
    assert!(app.audit_actions().contains(&"secrets_rotated".to_string()));

    // Starting on the old key is refused at once and says why.
    let out = run(&["serve", "--bind", "127.0.0.1:0"], &old_key);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("does not decrypt the TOTP secrets") && stderr.contains(&old_key),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&hex_of(&old_key)),
        "the key itself is never printed"
    );

    // An app on the new key logs both users in.
    let app2 = TestApp::builder(app.backend())
        .database_url(&app.db.url)
        .config(|c| c.secret_key_file = new_key.display().to_string())
        .start()
        .await;
    app2.clock
        .set(app.clock.now() + chrono::Duration::minutes(2));
    for u in [&a, &b] {
        let mut x = app2.browser();
        let r = x.login(u, crate::common::PASSWORD, &app2.code(u)).await;
        assert_eq!(r.location(), Some("/"), "{}", r.body);
    }
}

fn hex_of(key_file: &str) -> String {
    std::fs::read_to_string(key_file)
        .unwrap()
        .trim()
        .to_string()
}

dual!(rotating_the_secret_key_keeps_logins_working);

/// The server's SQLite pool does not checkpoint the WAL inside a request's commit (SQLite's
/// default, every 1 000 pages, made one request in a hundred wait for two fsyncs under the
/// writer's lock): its connections have `wal_autocheckpoint` off and a thread of its own copies
/// the WAL back. Other pools (command line, tests) keep SQLite's own checkpoints.
#[test]
fn the_server_checkpoints_the_sqlite_wal_on_a_thread_of_its_own() {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Pages {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        wal_autocheckpoint: i64,
    }
    let autocheckpoint = |conn: &mut db::DbConnection| -> i64 {
        diesel::sql_query("PRAGMA wal_autocheckpoint")
            .get_result::<Pages>(conn)
            .unwrap()
            .wal_autocheckpoint
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("k.db").display());
    let (pool, stats) = db::server_pool(&url, 2, std::time::Duration::from_secs(5)).unwrap();
    let stats = stats.expect("SQLite: a checkpoint thread");
    let mut conn = pool.get().unwrap();
    assert_eq!(autocheckpoint(&mut conn), 0, "the server's connections");
    let mut other = db::pool(&url, 1).unwrap().get().unwrap();
    assert_eq!(autocheckpoint(&mut other), 1000, "a command-line pool");
    drop(other);

    // 5 000 commits of a page or more each: SQLite alone would have checkpointed five times, and
    // the WAL passes the size above which the thread makes it start over.
    conn.batch_execute("CREATE TABLE filler (b BLOB)").unwrap();
    let write = |conn: &mut db::DbConnection| {
        db::write_tx(conn, |c| {
            c.batch_execute("INSERT INTO filler VALUES (randomblob(3000))")
        })
        .unwrap()
    };
    for _ in 0..5000 {
        write(&mut conn);
    }
    let load = |a: &std::sync::atomic::AtomicI64| a.load(std::sync::atomic::Ordering::Relaxed);
    let started = std::time::Instant::now();
    while load(&stats.restarts) < 1 || load(&stats.checkpointed) < load(&stats.log) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the checkpoint thread did not copy the WAL back ({} runs, {} of {} pages)",
            load(&stats.runs),
            load(&stats.checkpointed),
            load(&stats.log)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Under steady writes the WAL still starts over: a writer appends all the time (a thread of
    // its own), and a checkpoint finds the WAL shorter than the one before left it (passive
    // passes alone leave it growing while writers never pause: the pass under the writer's lock
    // is there for them). How long a
    // checkpoint takes depends on the disk, so the test waits for it, up to a bound, rather than
    // sampling for a fixed time (on a slow disk, every sample taken after a checkpoint that
    // caught up with this writer for a second was larger than the one before, WAL restarts or not).
    let before = load(&stats.started_over);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (pool, stop) = (pool.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut c = pool.get().unwrap();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                write(&mut c);
            }
        })
    };
    let started = std::time::Instant::now();
    while load(&stats.started_over) == before
        && started.elapsed() < std::time::Duration::from_secs(60)
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert!(
        load(&stats.started_over) > before,
        "the WAL never started over under steady writes in {:?} ({} runs, {} under the lock, WAL {} pages)",
        started.elapsed(),
        load(&stats.runs),
        load(&stats.restarts),
        load(&stats.log)
    );
    assert!(stats.runs.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    // What the writers waited for (bench/http measures what that means for a page's p99).
    println!(
        "most pages copied under the writer's lock: {}",
        load(&stats.locked_pages_max)
    );
}

/// Requests wait for a database connection in the order they came, and no more of them hold one
/// than the pool has connections (`AppState::turns`). With every turn taken — the pool itself
/// idle — a page waits the checkout timeout and answers 503; when one turn comes free, the
/// earlier of two waiting pages is answered first.
async fn requests_take_connections_in_turn(app: TestApp) {
    use kontosparr::domain::Role;
    let unit = app.unit("OPS2");
    let u = app.user(&[Role::Clinician], &[unit]);
    let mut b = app.browser();
    app.login(&mut b, &u).await;
    let n = app.pool.max_size();
    let mut turns = app.state.turns.clone().acquire_many_owned(n).await.unwrap();
    let started = std::time::Instant::now();
    let r = b.get("/").await;
    let took = started.elapsed();
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("Försök igen om en stund"), "{}", r.body);
    assert!(
        took >= std::time::Duration::from_millis(1900)
            && took < std::time::Duration::from_millis(2600),
        "503 after {took:?}"
    );

    let answered = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let page = |name: &'static str| {
        let mut b2 = app.browser();
        b2.cookie = b.cookie.clone();
        let answered = answered.clone();
        actix_web::rt::spawn(async move {
            let status = b2.get("/").await.status;
            answered.borrow_mut().push(name);
            status
        })
    };
    let first = page("first");
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    let second = page("second");
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(answered.borrow().is_empty(), "answered without a turn");
    drop(turns.split(1).unwrap());
    assert_eq!(first.await.unwrap(), 200);
    assert_eq!(second.await.unwrap(), 200);
    assert_eq!(*answered.borrow(), vec!["first", "second"]);
    drop(turns);
    assert_eq!(b.get("/").await.status, 200);
}

dual!(requests_take_connections_in_turn);
