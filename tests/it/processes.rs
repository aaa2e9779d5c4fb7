//! The real binary as separate OS processes on one database (SQLite in WAL mode, or PostgreSQL):
//! several instances starting at once (migrations under a lock), diary numbers and mail from two
//! processes, `kill -9` in the middle of work, and backup/restore while serving.
//!
//! The processes are the debug build of `kontosparr` (`CARGO_BIN_EXE_kontosparr`), started as
//! `serve --bind 127.0.0.1:<free port>` with `DATABASE_URL` and `KONTOSPARR_*` settings and
//! nothing else of the test's environment. They are driven over HTTP by a small blocking client
//! (the intake API files cases; a handler logged in over the login form executes them) and killed
//! with SIGKILL (`Child::kill`). Every wait has a deadline and a bounded number of tries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{self, Backend, TestApp, TestDb, TestUser};
use diesel::prelude::*;
use kontosparr::db::{self, DbConnection};
use kontosparr::domain::Role;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_kontosparr");

// ---------------------------------------------------------------------------------------------
// The process harness
// ---------------------------------------------------------------------------------------------

/// The files the processes of one test share: the audit key, the attachments, their logs.
pub struct Env {
    pub url: String,
    pub files: tempfile::TempDir,
    /// Extra `KONTOSPARR_*` settings for every process.
    pub extra: Vec<(String, String)>,
}

impl Env {
    /// Without an audit key: the first process to start creates it.
    pub fn without_key(url: &str) -> Env {
        Env {
            url: url.to_string(),
            files: tempfile::tempdir().unwrap(),
            extra: Vec::new(),
        }
    }

    pub fn new(url: &str) -> Env {
        let files = tempfile::tempdir().unwrap();
        // One key for all nodes, written before any starts (as docs/operations.md asks).
        std::fs::write(
            files.path().join("audit.key"),
            format!("{}\n", "ab".repeat(32)),
        )
        .unwrap();
        Env {
            url: url.to_string(),
            files,
            extra: Vec::new(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.files.path().join(name)
    }

    pub fn attachments(&self) -> PathBuf {
        self.path("attachments")
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.extra.push((key.to_string(), value.to_string()));
    }

    /// `kontosparr ARGS` with this environment; `node` names the checkpoint file.
    pub fn command(&self, node: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &self.url)
            .env("KONTOSPARR_AUDIT_KEY_FILE", self.path("audit.key"))
            .env("KONTOSPARR_SECRET_KEY_FILE", self.path("secret.key"))
            .env(
                "KONTOSPARR_AUDIT_CHECKPOINT_FILE",
                self.path(&format!("checkpoints-{node}.jsonl")),
            )
            .env("KONTOSPARR_ATTACHMENTS_DIR", self.attachments())
            .env("KONTOSPARR_POOL_SIZE", "4")
            .env("KONTOSPARR_LOG", "warn")
            .current_dir(self.files.path());
        for (k, v) in &self.extra {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs a command to its end (at most `limit`); returns (exit code, stdout + stderr).
    pub fn run(&self, node: &str, args: &[&str], limit: Duration) -> (i32, String) {
        let out_path = self.path(&format!("cmd-{}.out", rand_suffix()));
        let out = std::fs::File::create(&out_path).unwrap();
        let mut child = self
            .command(node, args)
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + limit;
        // At most one try per 20 ms of the limit (and never past the deadline).
        let tries = limit.as_millis() / 20 + 1;
        let mut code = None;
        for _ in 0..tries {
            if let Some(s) = child.try_wait().unwrap() {
                code = Some(s.code().unwrap_or(-1));
                break;
            }
            if Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let Some(code) = code else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kontosparr {args:?} did not finish within {limit:?}");
        };
        (code, std::fs::read_to_string(&out_path).unwrap_or_default())
    }
}

fn rand_suffix() -> String {
    kontosparr::auth::tokens::random_token()
        .replace(['-', '_'], "")
        .chars()
        .take(10)
        .collect()
}

pub use crate::common::free_port;

/// One `kontosparr serve` process.
pub struct Server {
    pub name: String,
    pub port: u16,
    child: Child,
    log: PathBuf,
}

impl Server {
    /// Starts `serve` (does not wait for it: see [`Server::ready`]).
    pub fn start(env: &Env, name: &str) -> Server {
        Self::start_on(env, name, free_port())
    }

    pub fn start_on(env: &Env, name: &str, port: u16) -> Server {
        let log = env.path(&format!("{name}-{port}.log"));
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = env
            .command(name, &["serve", "--bind", &format!("127.0.0.1:{port}")])
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        Server {
            name: name.to_string(),
            port,
            child,
            log,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `/healthz` answers 200 (at most 400 tries in `limit`); Err with the log when
    /// the process ended or the time ran out.
    pub fn ready(&mut self, limit: Duration) -> Result<Duration, String> {
        self.ready_by(limit, |port| {
            http(port, "GET", "/healthz", &[], b"").is_ok_and(|r| r.status == 200)
        })
    }

    /// [`Server::ready`] with another probe (e.g. over TLS): true when the server answers.
    pub fn ready_by(
        &mut self,
        limit: Duration,
        probe: impl Fn(u16) -> bool,
    ) -> Result<Duration, String> {
        let start = Instant::now();
        for _ in 0..400 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(format!("{} exited ({status}):\n{}", self.name, self.log()));
            }
            if probe(self.port) {
                return Ok(start.elapsed());
            }
            if start.elapsed() > limit {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "{} not ready within {limit:?}:\n{}",
            self.name,
            self.log()
        ))
    }

    /// `kill -9`.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

// ---------------------------------------------------------------------------------------------
// A small blocking HTTP/1.1 client (Connection: close)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<Reply> {
    let mut s = std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(5),
    )?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    s.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    parse_reply(&raw)
}

/// A whole HTTP/1.1 response as read from a connection the server closed.
pub fn parse_reply(raw: &[u8]) -> std::io::Result<Reply> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut rest = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        let mut out = Vec::new();
        let mut at = 0;
        for _ in 0..100_000 {
            let nl = rest[at..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or_else(|| bad("chunk"))?;
            let size_text = String::from_utf8_lossy(&rest[at..at + nl]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad("chunk size"))?;
            at += nl + 2;
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[at..at + size]);
            at += size + 2;
        }
        rest = out;
    }
    Ok(Reply {
        status,
        headers,
        body: rest,
    })
}

/// A logged-in member of staff on one process: keeps the cookies.
pub struct Web {
    pub port: u16,
    cookies: BTreeMap<String, String>,
}

impl Web {
    pub fn new(port: u16) -> Web {
        Web {
            port,
            cookies: BTreeMap::new(),
        }
    }

    fn send(&mut self, method: &str, path: &str, form: &[(&str, &str)]) -> std::io::Result<Reply> {
        let mut headers = Vec::new();
        if !self.cookies.is_empty() {
            let c = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            headers.push(("Cookie", c));
        }
        let body = if method == "POST" {
            headers.push((
                "Content-Type",
                "application/x-www-form-urlencoded".to_string(),
            ));
            serde_html_form::to_string(form).unwrap()
        } else {
            String::new()
        };
        let r = http(self.port, method, path, &headers, body.as_bytes())?;
        for (k, v) in &r.headers {
            if k.eq_ignore_ascii_case("set-cookie")
                && let Some((name, val)) = v.split(';').next().and_then(|p| p.split_once('='))
            {
                if val.is_empty() {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_string(), val.to_string());
                }
            }
        }
        Ok(r)
    }

    pub fn get(&mut self, path: &str) -> std::io::Result<Reply> {
        self.send("GET", path, &[])
    }

    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> std::io::Result<Reply> {
        self.send("POST", path, form)
    }

    /// Logs in with the password and the TOTP code of the real time (each user once per step).
    pub fn login(&mut self, u: &TestUser) -> Result<(), String> {
        let page = self.get("/login").map_err(|e| e.to_string())?;
        let csrf = common::field_value(&page.text(), "csrf_token").unwrap_or_default();
        let code = kontosparr::auth::totp::code_at(
            &u.secret,
            kontosparr::auth::totp::step_of(chrono::Utc::now().timestamp()),
        )
        .unwrap();
        let r = self
            .post(
                "/login",
                &[
                    ("csrf_token", &csrf),
                    ("hsa_id", &u.hsa_id),
                    ("password", common::PASSWORD),
                    ("code", &code),
                ],
            )
            .map_err(|e| e.to_string())?;
        if r.status == 303 {
            Ok(())
        } else {
            Err(format!("login {}: {}", r.status, r.text()))
        }
    }

    /// Receives, checks, verifies and executes a submitted case over HTTP.
    pub fn execute(&mut self, id: i64) -> Result<(), String> {
        let steps: [(&str, &str); 6] = [
            ("ta-emot", ""),
            ("kontroll", "register_match"),
            ("kontroll", "earlier_cases"),
            ("kontroll", "category"),
            ("verifiera", ""),
            ("verkstall", ""),
        ];
        for (action, item) in steps {
            let page = self
                .get(&format!("/arenden/{id}"))
                .map_err(|e| e.to_string())?;
            if page.status != 200 {
                return Err(format!("case {id}: {}", page.status));
            }
            let text = page.text();
            let csrf = common::field_value(&text, "csrf_token").unwrap_or_default();
            let version = common::field_value(&text, "version").unwrap_or_default();
            let r = self
                .post(
                    &format!("/arenden/{id}/{action}"),
                    &[
                        ("csrf_token", &csrf),
                        ("version", &version),
                        ("item", item),
                        // Item 2 is compared with the register; the test names are not in it.
                        (
                            "note",
                            if item == "register_match" {
                                "Kontrollerad mot PU"
                            } else {
                                ""
                            },
                        ),
                        ("helpdesk_ref", "RÄLS-1"),
                        ("confirmed", "true"),
                    ],
                )
                .map_err(|e| e.to_string())?;
            if r.status != 303 {
                let t = r.text();
                let excerpt = t
                    .find("class=\"error")
                    .map(|at| t[at..].chars().take(300).collect::<String>())
                    .unwrap_or_default();
                return Err(format!("case {id} {action}: {} {excerpt}", r.status));
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The world the tests share
// ---------------------------------------------------------------------------------------------

struct World {
    nurse: TestUser,
    handlers: Vec<TestUser>,
    token: String,
}

fn world(app: &TestApp, handlers: usize) -> World {
    let unit = app.unit("PSYK");
    let nurse = app.user(&[Role::Clinician], &[unit]);
    let handlers = (0..handlers)
        .map(|_| app.user(&[Role::Handler], &[]))
        .collect();
    let token =
        kontosparr::service::intake::create_client(&mut app.conn(), &app.ctx(), "Barium").unwrap();
    World {
        nurse,
        handlers,
        token,
    }
}

fn intake_body(responsible: &str, n: usize) -> Value {
    json!({
        "kind": "lock",
        "unit_code": "PSYK",
        "citizen_personnummer": "19121212-1212",
        "citizen_name": format!("Tolvan Tolvansson {n}"),
        "risk_kinds": ["hot"],
        "basis": ["security"],
        "situations": ["threat"],
        "assessment_reasons": "Hotbild från närstående.",
        "assessment_risks": "Risk för våld.",
        "assessment_scope": "Hela inloggningen.",
        "requested_by": "staff",
        "journal_note_date": "2026-11-20",
        "chief_informed_date": "2026-11-20",
        "chief_informed_whom": "Chefläkare Område 1",
        "patient_informed_date": "2026-11-21",
        "journal_sealing_requested": false,
        "review_responsible_hsa_id": responsible,
        "decider_name": "Doris Läkare",
        "decider_hsa_id": "SE2321000131-E1",
        "decider_role": "Legitimerad läkare med behandlingsansvar",
        "decided_on": "2026-11-20"
    })
}

/// Files a case through the intake API: (status, case id when 200/201).
fn file_case(port: u16, token: &str, key: &str, body: &Value) -> std::io::Result<(u16, i64)> {
    let r = http(
        port,
        "POST",
        "/api/v1/arenden",
        &[
            ("Authorization", format!("Bearer {token}")),
            ("Idempotency-Key", key.to_string()),
            ("Content-Type", "application/json".to_string()),
        ],
        body.to_string().as_bytes(),
    )?;
    let id = serde_json::from_slice::<Value>(&r.body)
        .ok()
        .and_then(|v| v["id"].as_i64())
        .unwrap_or(0);
    Ok((r.status, id))
}

fn count(conn: &mut DbConnection, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let q = diesel::sql_query(sql);
    let v: Vec<N> = match conn {
        DbConnection::Pg(c) => q.load(c).unwrap(),
        DbConnection::Sqlite(c) => q.load(c).unwrap(),
    };
    v[0].n
}

/// The cases' diary numbers (id, year, seq).
fn diary(conn: &mut DbConnection) -> Vec<(i64, Option<i32>, Option<i64>)> {
    use kontosparr::db::schema::cases::dsl::*;
    cases
        .select((id, diary_year, diary_seq))
        .order(id.asc())
        .load(conn)
        .unwrap()
}

/// Every case has its timeline and its access-log rows; every idempotency row names a case.
fn assert_whole(conn: &mut DbConnection) {
    let no_events = count(
        conn,
        "SELECT COUNT(*) AS n FROM cases c WHERE NOT EXISTS \
         (SELECT 1 FROM case_events e WHERE e.case_id = c.id)",
    );
    assert_eq!(no_events, 0, "cases without timeline rows");
    let no_log = count(
        conn,
        "SELECT COUNT(*) AS n FROM cases c WHERE NOT EXISTS \
         (SELECT 1 FROM access_log l WHERE l.object = 'case:' || CAST(c.id AS TEXT))",
    );
    assert_eq!(no_log, 0, "cases without access-log rows");
    let dangling = count(
        conn,
        "SELECT COUNT(*) AS n FROM api_requests r WHERE NOT EXISTS \
         (SELECT 1 FROM cases c WHERE c.id = r.case_id)",
    );
    assert_eq!(dangling, 0, "idempotency rows without their case");
    let half_executed = count(
        conn,
        "SELECT COUNT(*) AS n FROM cases WHERE status IN ('executed', 'closed') \
         AND diary_number IS NULL",
    );
    assert_eq!(half_executed, 0, "executed cases without a diary number");
}

/// Diary sequence numbers of one year are 1..=n with no gap and no duplicate.
fn assert_gapless(rows: &[(i64, Option<i32>, Option<i64>)]) -> usize {
    let mut by_year: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for (_, y, s) in rows {
        if let (Some(y), Some(s)) = (y, s) {
            by_year.entry(*y).or_default().push(*s);
        }
    }
    let mut n = 0;
    for (year, mut seqs) in by_year {
        seqs.sort();
        let want: Vec<i64> = (1..=seqs.len() as i64).collect();
        assert_eq!(seqs, want, "diary numbers of {year}: gap or duplicate");
        n += seqs.len();
    }
    n
}

fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

// ---------------------------------------------------------------------------------------------
// 1. Migrations: any number of instances start at once
// ---------------------------------------------------------------------------------------------

const ROUNDS: usize = 10;
/// How many of the newest migrations the "old schema" rounds revert first.
const OLD_BY: usize = 3;

fn embedded_migrations(backend: Backend) -> usize {
    use diesel::migration::MigrationSource;
    match backend {
        Backend::Sqlite => {
            MigrationSource::<diesel::sqlite::Sqlite>::migrations(&db::SQLITE_MIGRATIONS)
                .unwrap()
                .len()
        }
        Backend::Postgres => {
            MigrationSource::<diesel::pg::Pg>::migrations(&db::POSTGRES_MIGRATIONS)
                .unwrap()
                .len()
        }
    }
}

fn two_start_at_once(db: &TestDb) -> Result<(), String> {
    // No audit key yet either: both processes race to create it.
    let env = Env::without_key(&db.url);
    let mut a = Server::start(&env, "a");
    let mut b = Server::start(&env, "b");
    a.ready(Duration::from_secs(30))?;
    b.ready(Duration::from_secs(30))?;
    let pool = db::pool(&db.url, 1).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let applied = count(
        &mut conn,
        "SELECT COUNT(*) AS n FROM __diesel_schema_migrations",
    );
    let distinct = count(
        &mut conn,
        "SELECT COUNT(DISTINCT version) AS n FROM __diesel_schema_migrations",
    );
    let want = embedded_migrations(db.backend) as i64;
    if applied != want || distinct != want {
        return Err(format!(
            "{applied} applied ({distinct} distinct), want {want}"
        ));
    }
    let key = std::fs::read_to_string(env.path("audit.key")).map_err(|e| e.to_string())?;
    if key.trim().len() != 64 {
        return Err(format!("audit key {key:?}"));
    }
    let leftovers = std::fs::read_dir(env.files.path())
        .map_err(|e| e.to_string())?
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        })
        .count();
    if leftovers > 0 {
        return Err(format!("{leftovers} temporary key files left"));
    }
    for s in [&a, &b] {
        if s.log().contains("migrations:") {
            return Err(format!("{}: {}", s.name, s.log()));
        }
    }
    Ok(())
}

fn migrations_race(backend: Backend) {
    let start = Instant::now();
    let mut failures = Vec::new();
    for round in 0..ROUNDS {
        // A fresh database.
        let d = TestDb::new(backend);
        if let Err(e) = two_start_at_once(&d) {
            failures.push(format!("round {round} fresh: {e}"));
            continue;
        }
        // Then an older schema: the newest few migrations reverted.
        {
            let pool = d.pool();
            let mut conn = pool.get().unwrap();
            db::revert_last(&mut conn, OLD_BY).unwrap();
        }
        if let Err(e) = two_start_at_once(&d) {
            failures.push(format!("round {round} old schema: {e}"));
        }
    }
    eprintln!(
        "FIGURES migrations {backend:?}: {ROUNDS} rounds x (fresh + {OLD_BY} behind), 2 processes each starting together (no audit key yet), {} failures, {}",
        failures.len(),
        secs(start.elapsed())
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

mod two_instances_migrate_at_once {
    #[test]
    fn sqlite() {
        super::migrations_race(super::Backend::Sqlite)
    }
    #[test]
    fn postgres() {
        super::migrations_race(super::Backend::Postgres)
    }
}

#[test]
fn revert_last_then_migrate_is_idempotent_under_the_lock() {
    // Three concurrent `migrate` calls in one process (threads, own connections) on an old schema.
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let d = TestDb::new(backend);
        let pool = d.pool();
        {
            let mut c = pool.get().unwrap();
            db::migrate(&mut c).unwrap();
            db::revert_last(&mut c, OLD_BY).unwrap();
        }
        let ran: usize = (0..3)
            .map(|_| {
                let pool = pool.clone();
                std::thread::spawn(move || db::migrate(&mut pool.get().unwrap()).unwrap())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .sum();
        assert_eq!(ran, OLD_BY, "{backend:?}: each migration ran once in all");
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Diary numbers from two processes
// ---------------------------------------------------------------------------------------------

dual!(
    diary_numbers_from_two_processes,
    kill_nine_while_filing_and_executing,
    backup_while_serving_and_restore,
);

const DIARY_CASES: usize = 50;

async fn diary_numbers_from_two_processes(app: TestApp) {
    let started = Instant::now();
    let w = world(&app, 2);
    let env = Env::new(&app.db.url);
    let mut servers = vec![Server::start(&env, "a"), Server::start(&env, "b")];
    for s in &mut servers {
        s.ready(Duration::from_secs(30)).unwrap();
    }
    let ports: Vec<u16> = servers.iter().map(|s| s.port).collect();
    // Two writers, one per process, each filing and executing its half at the same time.
    let threads: Vec<_> = ports
        .iter()
        .zip(w.handlers.iter().cloned())
        .enumerate()
        .map(|(i, (&port, handler))| {
            let token = w.token.clone();
            let nurse = w.nurse.hsa_id.clone();
            std::thread::spawn(move || -> Result<(usize, usize), String> {
                let mut web = Web::new(port);
                web.login(&handler)?;
                let deadline = Instant::now() + Duration::from_secs(90);
                let (mut filed, mut executed) = (0, 0);
                for n in (i..DIARY_CASES).step_by(2) {
                    if Instant::now() > deadline {
                        return Err("deadline".into());
                    }
                    let (status, id) =
                        file_case(port, &token, &format!("diary-{n}"), &intake_body(&nurse, n))
                            .map_err(|e| e.to_string())?;
                    if status != 201 {
                        return Err(format!("intake {status}"));
                    }
                    filed += 1;
                    web.execute(id)?;
                    executed += 1;
                }
                Ok((filed, executed))
            })
        })
        .collect();
    let mut per_process = Vec::new();
    for t in threads {
        per_process.push(t.join().unwrap().unwrap());
    }
    let rows = diary(&mut app.conn());
    assert_eq!(rows.len(), DIARY_CASES);
    assert!(rows.iter().all(|(_, y, s)| y.is_some() && s.is_some()));
    let numbered = assert_gapless(&rows);
    assert_eq!(numbered, DIARY_CASES);
    assert_whole(&mut app.conn());
    eprintln!(
        "FIGURES diary {:?}: filed+executed per process {per_process:?}, {numbered} diary numbers 1..={numbered}, no gap, no duplicate, {}",
        app.backend(),
        secs(started.elapsed())
    );
}

// ---------------------------------------------------------------------------------------------
// 3. kill -9 while filing and executing
// ---------------------------------------------------------------------------------------------

async fn kill_nine_while_filing_and_executing(app: TestApp) {
    let started = Instant::now();
    let w = world(&app, 1);
    let env = Env::new(&app.db.url);
    let port = free_port();
    let mut a = Server::start_on(&env, "a", port);
    a.ready(Duration::from_secs(30)).unwrap();
    // Cases for the executor, filed before the crash.
    let mut queue = Vec::new();
    for n in 0..40 {
        let (s, id) = file_case(
            port,
            &w.token,
            &format!("pre-{n}"),
            &intake_body(&w.nurse.hsa_id, n),
        )
        .unwrap();
        assert_eq!(s, 201);
        queue.push(id);
    }
    let stop = Arc::new(AtomicBool::new(false));
    // The filer: files until the server is gone (or 600 requests / 30 s).
    let filer = {
        let (token, nurse, stop) = (w.token.clone(), w.nurse.hsa_id.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut acked: Vec<(String, i64)> = Vec::new();
            let mut in_flight: Option<String> = None;
            let mut sent = 0;
            let deadline = Instant::now() + Duration::from_secs(30);
            for n in 0..600 {
                if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
                    break;
                }
                let key = format!("crash-{n}");
                sent += 1;
                match file_case(port, &token, &key, &intake_body(&nurse, 1000 + n)) {
                    Ok((201, id)) => acked.push((key, id)),
                    Ok((s, _)) => panic!("intake answered {s}"),
                    Err(_) => {
                        in_flight = Some(key);
                        break;
                    }
                }
            }
            (sent, acked, in_flight)
        })
    };
    // The executor: executes the queue until the server is gone.
    let executor = {
        let handler = w.handlers[0].clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut web = Web::new(port);
            web.login(&handler).unwrap();
            let mut done = Vec::new();
            for id in queue {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                match web.execute(id) {
                    Ok(()) => done.push(id),
                    Err(_) => break,
                }
            }
            done
        })
    };
    // Let both work, then kill -9 once a few cases went through.
    let deadline = Instant::now() + Duration::from_secs(20);
    for _ in 0..800 {
        let filed = count(
            &mut app.conn(),
            "SELECT COUNT(*) AS n FROM api_requests WHERE idempotency_key LIKE 'crash-%'",
        );
        let executed = count(
            &mut app.conn(),
            "SELECT COUNT(*) AS n FROM cases WHERE diary_number IS NOT NULL",
        );
        if (filed >= 25 && executed >= 5) || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    a.kill9();
    stop.store(true, Ordering::Relaxed);
    let (sent, acked, in_flight) = filer.join().unwrap();
    let executed = executor.join().unwrap();
    // Restart and check.
    let mut b = Server::start_on(&env, "b", free_port());
    b.ready(Duration::from_secs(30)).unwrap();
    let mut conn = app.conn();
    let found_crash = count(
        &mut conn,
        "SELECT COUNT(*) AS n FROM api_requests WHERE idempotency_key LIKE 'crash-%'",
    );
    for (key, id) in &acked {
        let n = count(
            &mut conn,
            &format!(
                "SELECT COUNT(*) AS n FROM api_requests r JOIN cases c ON c.id = r.case_id \
                 WHERE r.idempotency_key = '{key}' AND c.id = {id}"
            ),
        );
        assert_eq!(
            n, 1,
            "acknowledged {key} (case {id}) is missing after the crash"
        );
    }
    assert!(found_crash as usize >= acked.len());
    assert!(
        found_crash as usize <= acked.len() + 1,
        "more than the one in flight"
    );
    assert_whole(&mut conn);
    let rows = diary(&mut conn);
    let numbered = assert_gapless(&rows);
    assert!(numbered >= executed.len() && numbered <= executed.len() + 1);
    // The request in flight, retried with its key: exactly one case for it.
    if let Some(key) = &in_flight {
        let (s, _) = file_case(
            b.port,
            &w.token,
            key,
            &intake_body(&w.nurse.hsa_id, 1000 + acked.len()),
        )
        .unwrap();
        assert!(s == 200 || s == 201, "retry of {key}: {s}");
        let n = count(
            &mut conn,
            &format!("SELECT COUNT(*) AS n FROM api_requests WHERE idempotency_key = '{key}'"),
        );
        assert_eq!(n, 1);
    }
    drop(conn);
    drop(b);
    // The access log: seal what the killed node left, then verify against its checkpoints.
    let (code, out) = env.run("a", &["audit", "seal"], Duration::from_secs(60));
    assert_eq!(code, 0, "{out}");
    let (code, out) = env.run("a", &["audit", "verify"], Duration::from_secs(60));
    assert_eq!(code, 0, "audit verify after kill -9: {out}");
    assert!(out.contains("OK:"), "{out}");
    eprintln!(
        "FIGURES crash {:?}: intake sent {sent}, acknowledged {}, found {found_crash} (in flight at kill: {}); executed acknowledged {}, diary numbers found {numbered} gapless; audit seal+verify OK; {}",
        app.backend(),
        acked.len(),
        in_flight.is_some(),
        executed.len(),
        secs(started.elapsed())
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Backup while serving, restore into a fresh database
// ---------------------------------------------------------------------------------------------

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n% kontosparr backup test\n%%EOF\n";

/// Every table's rows as text, sorted.
fn table_rows(url: &str) -> BTreeMap<String, Vec<String>> {
    #[derive(QueryableByName)]
    struct R {
        #[diesel(sql_type = diesel::sql_types::Text)]
        r: String,
    }
    let mut out = BTreeMap::new();
    match db::Target::parse(url).unwrap() {
        db::Target::Sqlite(path) => {
            let mut c = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
            let tables: Vec<R> = diesel::sql_query(
                "SELECT name AS r FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .load(&mut c)
            .unwrap();
            for t in tables {
                let cols: Vec<R> = diesel::sql_query(format!(
                    "SELECT name AS r FROM pragma_table_info('{}') ORDER BY cid",
                    t.r
                ))
                .load(&mut c)
                .unwrap();
                let expr = cols
                    .iter()
                    .map(|c| format!("quote(\"{}\")", c.r))
                    .collect::<Vec<_>>()
                    .join(" || ',' || ");
                let rows: Vec<R> =
                    diesel::sql_query(format!("SELECT {expr} AS r FROM \"{}\"", t.r))
                        .load(&mut c)
                        .unwrap();
                let mut rows: Vec<String> = rows.into_iter().map(|r| r.r).collect();
                rows.sort();
                out.insert(t.r, rows);
            }
        }
        db::Target::Postgres(url) => {
            let mut c = PgConnection::establish(&url).unwrap();
            let tables: Vec<R> = diesel::sql_query(
                "SELECT tablename::text AS r FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            )
            .load(&mut c)
            .unwrap();
            for t in tables {
                let rows: Vec<R> =
                    diesel::sql_query(format!("SELECT t::text AS r FROM \"{}\" t", t.r))
                        .load(&mut c)
                        .unwrap();
                let mut rows: Vec<String> = rows.into_iter().map(|r| r.r).collect();
                rows.sort();
                out.insert(t.r, rows);
            }
        }
    }
    out
}

fn wait_sealed(conn: &mut DbConnection, limit: Duration) {
    let deadline = Instant::now() + limit;
    for _ in 0..500 {
        if count(
            conn,
            "SELECT COUNT(*) AS n FROM access_log WHERE hash IS NULL",
        ) == 0
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the access log was not sealed in time"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn backup_while_serving_and_restore(app: TestApp) {
    let started = Instant::now();
    let w = world(&app, 2);
    let env = Env::new(&app.db.url);
    let mut a = Server::start(&env, "a");
    a.ready(Duration::from_secs(30)).unwrap();
    // Cases, one executed over HTTP, one with a scanned form.
    let mut ids = Vec::new();
    for n in 0..5 {
        let (s, id) = file_case(
            a.port,
            &w.token,
            &format!("b-{n}"),
            &intake_body(&w.nurse.hsa_id, n),
        )
        .unwrap();
        assert_eq!(s, 201);
        ids.push(id);
    }
    let mut web = Web::new(a.port);
    web.login(&w.handlers[0]).unwrap();
    web.execute(ids[0]).unwrap();
    let handler_ctx = common::flow::ctx(&app, w.handlers[0].id);
    let attachment = kontosparr::service::attachments::add(
        &mut app.conn(),
        &handler_ctx,
        ids[1],
        PDF,
        "blankett.pdf",
        &env.attachments(),
        1 << 20,
    )
    .unwrap();
    wait_sealed(&mut app.conn(), Duration::from_secs(15));
    // A signed checkpoint of everything so far, in node a's file.
    let (code, out) = env.run("a", &["audit", "seal"], Duration::from_secs(60));
    assert_eq!(code, 0, "{out}");
    // The backup, while `a` serves (and is asked for pages while it runs).
    let bundle = env.path("backup-1");
    let bundle_s = bundle.display().to_string();
    let reader = {
        let port = a.port;
        std::thread::spawn(move || {
            let mut ok = 0;
            for _ in 0..20 {
                if http(port, "GET", "/healthz", &[], b"").is_ok_and(|r| r.status == 200) {
                    ok += 1;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            ok
        })
    };
    let (code, out) = env.run("a", &["backup", &bundle_s], Duration::from_secs(60));
    assert_eq!(code, 0, "backup: {out}");
    assert!(reader.join().unwrap() > 0);
    assert!(a.running(), "serve kept running during the backup");
    // A second backup to the same name is refused.
    let (code, out) = env.run("a", &["backup", &bundle_s], Duration::from_secs(60));
    assert_eq!(code, 2, "{out}");
    // Restore into a fresh database and a fresh attachments directory.
    let target = TestDb::new(app.backend());
    let mut renv = Env::new(&target.url);
    std::fs::copy(env.path("audit.key"), renv.path("audit.key")).unwrap();
    // The TOTP secrets in the bundle are encrypted under the source's key (kept apart, like the
    // audit key): the restored service needs the same key file.
    if env.path("secret.key").exists() {
        std::fs::copy(env.path("secret.key"), renv.path("secret.key")).unwrap();
    }
    renv.set(
        "KONTOSPARR_AUDIT_CHECKPOINT_FILE",
        &env.path("checkpoints-a.jsonl").display().to_string(),
    );
    let (code, out) = renv.run("r", &["restore", &bundle_s], Duration::from_secs(60));
    assert_eq!(code, 0, "restore: {out}");
    // Restoring again into the now non-empty database is refused.
    let (code, out) = renv.run("r", &["restore", &bundle_s], Duration::from_secs(60));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not empty"), "{out}");
    // With --force it replaces it.
    let (code, out) = renv.run(
        "r",
        &["restore", "--force", &bundle_s],
        Duration::from_secs(60),
    );
    assert_eq!(code, 0, "restore --force: {out}");
    // Row for row.
    let source = table_rows(&app.db.url);
    let restored = table_rows(&target.url);
    assert_eq!(
        source.keys().collect::<Vec<_>>(),
        restored.keys().collect::<Vec<_>>()
    );
    let mut rows = 0;
    for (table, want) in &source {
        if table == "node_heartbeats" {
            // Written by every /healthz of the running server, also after the backup was taken.
            continue;
        }
        if table.starts_with("access_log_citizens") || table == "access_log_cases" {
            // SQLite's citizen index and index by case, which the running server's indexer goes
            // on building after the backup from subject rows and entries the copy has too;
            // `audit verify` below holds the copy's indexes to its subjects and entries.
            continue;
        }
        assert_eq!(
            want, &restored[table],
            "table {table} differs after restore"
        );
        rows += want.len();
    }
    // The access log of the copy verifies against the original node's checkpoints.
    let (code, out) = renv.run("r", &["audit", "verify"], Duration::from_secs(60));
    assert_eq!(code, 0, "audit verify on the restored copy: {out}");
    assert!(out.contains("OK:") && out.contains("(signerad)"), "{out}");
    // The restored service serves the scanned form, to a handler who logs in there.
    let mut r = Server::start(&renv, "r");
    r.ready(Duration::from_secs(30)).unwrap();
    let mut web = Web::new(r.port);
    web.login(&w.handlers[1]).unwrap();
    let got = web
        .get(&format!("/arenden/{}/bilagor/{attachment}", ids[1]))
        .unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(got.body, PDF);
    drop(r);
    // A second backup while `a` is busy filing cases: the copy is one consistent snapshot.
    let (filed, in_copy) = backup_under_load(&app, &env, &w, a.port);
    eprintln!(
        "FIGURES backup {:?}: {} tables, {rows} rows identical after restore, restore refused on a non-empty target then done with --force, 1 attachment downloaded from the restored copy, audit verify OK; under load: a writer filed {filed} cases before, during and after the backup, {in_copy} of them in the copy, consistent, audit verify OK; {}",
        app.backend(),
        source.len(),
        secs(started.elapsed())
    );
}

/// Backs up while a writer files cases through `port`; restores the copy into a fresh database and
/// checks it is whole (every case with its timeline and log rows, every idempotency row with its
/// case) and that its access log verifies against the checkpoint file as copied just before the
/// backup (docs/operations.md, the restore drill). Returns (cases filed meanwhile, cases in the
/// copy that were filed meanwhile).
fn backup_under_load(app: &TestApp, env: &Env, w: &World, port: u16) -> (usize, i64) {
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (token, nurse, stop) = (w.token.clone(), w.nurse.hsa_id.clone(), stop.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(30);
            let mut filed = 0;
            for n in 0..2000 {
                if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
                    break;
                }
                let (s, _) =
                    file_case(port, &token, &format!("load-{n}"), &intake_body(&nurse, n)).unwrap();
                assert_eq!(s, 201);
                filed += 1;
            }
            filed
        })
    };
    // Some writes before the backup starts.
    let deadline = Instant::now() + Duration::from_secs(10);
    for _ in 0..400 {
        let n = count(
            &mut app.conn(),
            "SELECT COUNT(*) AS n FROM api_requests WHERE idempotency_key LIKE 'load-%'",
        );
        if n >= 10 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let checkpoints = env.path("checkpoints-before-backup-2.jsonl");
    std::fs::copy(env.path("checkpoints-a.jsonl"), &checkpoints).unwrap();
    let bundle = env.path("backup-2").display().to_string();
    let (code, out) = env.run("a", &["backup", &bundle], Duration::from_secs(60));
    assert_eq!(code, 0, "backup under load: {out}");
    // A few more writes after it, then stop.
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    let filed = writer.join().unwrap();
    let target = TestDb::new(app.backend());
    let renv = Env::new(&target.url);
    std::fs::copy(env.path("audit.key"), renv.path("audit.key")).unwrap();
    // The TOTP secrets in the bundle are encrypted under the source's key (kept apart, like the
    // audit key): the restored service needs the same key file.
    if env.path("secret.key").exists() {
        std::fs::copy(env.path("secret.key"), renv.path("secret.key")).unwrap();
    }
    let (code, out) = renv.run("r", &["restore", &bundle], Duration::from_secs(60));
    assert_eq!(code, 0, "restore: {out}");
    let pool = target.pool();
    let mut conn = pool.get().unwrap();
    assert_whole(&mut conn);
    assert_gapless(&diary(&mut conn));
    let in_copy = count(
        &mut conn,
        "SELECT COUNT(*) AS n FROM api_requests WHERE idempotency_key LIKE 'load-%'",
    );
    assert!(
        in_copy >= 10 && in_copy as usize <= filed,
        "{in_copy} of {filed}"
    );
    drop(conn);
    let cp = checkpoints.display().to_string();
    let (code, out) = renv.run(
        "r",
        &["audit", "verify", "--checkpoints", &cp],
        Duration::from_secs(60),
    );
    assert_eq!(code, 0, "audit verify of the copy made under load: {out}");
    assert!(out.contains("OK:"), "{out}");
    (filed, in_copy)
}

// ---------------------------------------------------------------------------------------------
// 5. Mail from two processes, and kill -9 during a flush
// ---------------------------------------------------------------------------------------------

struct Smtp {
    child: Child,
    out: tempfile::TempDir,
    certs: tempfile::TempDir,
    port: u16,
}

impl Smtp {
    fn start() -> Smtp {
        Self::start_with_delay(0.0)
    }

    /// `delay`: seconds the sink waits between saving a message and answering 250.
    fn start_with_delay(delay: f64) -> Smtp {
        let certs = tempfile::tempdir().unwrap();
        let st = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "30",
                "-subj",
                "/CN=localhost",
                "-keyout",
                "server.key",
                "-out",
                "server.pem",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
            ])
            .current_dir(certs.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
        let out = tempfile::tempdir().unwrap();
        let port = free_port();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", &port.to_string()])
            .args(["--out", &out.path().display().to_string()])
            .args([
                "--cert",
                &certs.path().join("server.pem").display().to_string(),
            ])
            .args([
                "--key",
                &certs.path().join("server.key").display().to_string(),
            ])
            .args(["--delay", &delay.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 with aiosmtpd (scripts/test installs it)");
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP sink did not start");
        Smtp {
            child,
            out,
            certs,
            port,
        }
    }

    fn configure(&self, env: &mut Env) {
        env.set(
            "KONTOSPARR_SMTP_URL",
            &format!("smtp://127.0.0.1:{}", self.port),
        );
        env.set(
            "KONTOSPARR_SMTP_CA_FILE",
            &self.certs.path().join("server.pem").display().to_string(),
        );
        env.set("KONTOSPARR_SMTP_FROM", "kontosparr@example.se");
        env.set("KONTOSPARR_MAIL_INTERVAL_SECONDS", "1");
    }

    /// The Message-IDs of every message received (with repeats).
    fn message_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        for e in std::fs::read_dir(self.out.path()).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "eml") {
                ids.push(message_id(&std::fs::read(&p).unwrap()).expect("Message-ID"));
            }
        }
        ids
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn message_id(m: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(m);
    let head = text.split("\r\n\r\n").next()?;
    head.split("\r\n")
        .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
        .map(|l| l[11..].trim().to_string())
}

/// Puts `n` reminder messages (no personal data) in the outbox; returns their Message-IDs.
fn enqueue(app: &TestApp, n: usize) -> BTreeSet<String> {
    let mut conn = app.conn();
    let mut ids = BTreeSet::new();
    for i in 0..n {
        let m = kontosparr::mail::message::reminder(
            kontosparr::i18n::Lang::Sv,
            "kontosparr@example.se",
            &format!("mottagare{i}@example.se"),
            &format!("Påminnelse {i}"),
            &[format!("Rad {i}")],
            "http://127.0.0.1/",
        )
        .unwrap();
        ids.insert(message_id(&m).unwrap());
        db::outbox::insert(
            &mut conn,
            &db::outbox::NewMessage {
                kind: "reminder",
                case_id: None,
                unit_id: None,
                recipient: &format!("mottagare{i}@example.se"),
                encrypted: false,
                message: &m,
                status: "pending",
                last_error: "",
            },
            db::ts(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .unwrap();
    }
    assert_eq!(ids.len(), n);
    ids
}

fn wait_all_sent(app: &TestApp, n: i64, limit: Duration) -> i64 {
    let deadline = Instant::now() + limit;
    let mut sent = 0;
    for _ in 0..1000 {
        sent = db::outbox::count_by_status(&mut app.conn(), "sent").unwrap();
        if sent >= n || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    sent
}

dual!(
    two_processes_send_each_message_once,
    kill_nine_during_smtp_flush
);

const MAIL: usize = 40;

async fn two_processes_send_each_message_once(app: TestApp) {
    let started = Instant::now();
    let smtp = Smtp::start();
    let want = enqueue(&app, MAIL);
    let mut env = Env::new(&app.db.url);
    smtp.configure(&mut env);
    let mut a = Server::start(&env, "a");
    let mut b = Server::start(&env, "b");
    a.ready(Duration::from_secs(30)).unwrap();
    b.ready(Duration::from_secs(30)).unwrap();
    let sent = wait_all_sent(&app, MAIL as i64, Duration::from_secs(60));
    assert_eq!(sent, MAIL as i64);
    std::thread::sleep(Duration::from_millis(500));
    let got = smtp.message_ids();
    let unique: BTreeSet<String> = got.iter().cloned().collect();
    let by_worker = count(
        &mut app.conn(),
        "SELECT COUNT(DISTINCT claimed_by) AS n FROM outbox",
    );
    eprintln!(
        "FIGURES outbox {:?}: enqueued {MAIL}, sent {sent}, received {} ({} distinct Message-IDs), workers {by_worker}, {}",
        app.backend(),
        got.len(),
        unique.len(),
        secs(started.elapsed())
    );
    assert_eq!(got.len(), MAIL, "each message exactly once");
    assert_eq!(unique, want);
}

/// kill -9 while the worker waits for the server's 250 to a message the server has already saved:
/// after the restart every message is delivered, and the one in flight goes out a second time —
/// with the same Message-ID, because the message (headers included) is stored in its outbox row.
async fn kill_nine_during_smtp_flush(app: TestApp) {
    let started = Instant::now();
    // The sink saves each message and answers 250 only 0.3 s later.
    let smtp = Smtp::start_with_delay(0.3);
    let n = 24;
    let want = enqueue(&app, n);
    let mut env = Env::new(&app.db.url);
    smtp.configure(&mut env);
    let mut a = Server::start(&env, "a");
    a.ready(Duration::from_secs(30)).unwrap();
    // Kill as soon as the sink has saved its fifth message (the worker is waiting for its 250).
    let deadline = Instant::now() + Duration::from_secs(30);
    for _ in 0..6000 {
        if smtp.message_ids().len() >= 5 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    a.kill9();
    let received_at_kill = smtp.message_ids().len();
    let recorded_at_kill = db::outbox::count_by_status(&mut app.conn(), "sent").unwrap();
    assert!(received_at_kill > 0 && (recorded_at_kill as usize) < n);
    // The killed worker's claims hold for their lease (10 minutes); stand in for the passing of
    // that time by moving their end to the past.
    let held = {
        use kontosparr::db::schema::outbox::dsl::*;
        diesel::update(outbox.filter(status.eq("sending")))
            .set(claimed_until.eq(db::ts(chrono::Utc::now() - chrono::Duration::seconds(1))))
            .execute(&mut app.conn() as &mut DbConnection)
            .unwrap()
    };
    let mut b = Server::start(&env, "b");
    b.ready(Duration::from_secs(30)).unwrap();
    let sent = wait_all_sent(&app, n as i64, Duration::from_secs(60));
    assert_eq!(sent, n as i64, "every message delivered after the restart");
    std::thread::sleep(Duration::from_millis(500));
    let got = smtp.message_ids();
    let unique: BTreeSet<String> = got.iter().cloned().collect();
    assert_eq!(
        unique, want,
        "no message lost, and every Message-ID is the one stored in the outbox"
    );
    let duplicates = got.len() - unique.len();
    // Only a message the server saved but the killed process had not recorded goes out twice.
    let unrecorded = received_at_kill.saturating_sub(recorded_at_kill as usize);
    assert_eq!(
        duplicates, unrecorded,
        "{duplicates} duplicates, {unrecorded} saved by the server but unrecorded at the kill"
    );
    assert!(duplicates <= 1, "at most the one in flight");
    eprintln!(
        "FIGURES mail crash {:?}: enqueued {n}; at kill the server had saved {received_at_kill}, the outbox recorded {recorded_at_kill} sent, claims released {held}; after restart sent {sent}, received {} ({} distinct Message-IDs = the stored ones; {duplicates} duplicate, with the same Message-ID), {}",
        app.backend(),
        got.len(),
        unique.len(),
        secs(started.elapsed())
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Reminders from two processes
// ---------------------------------------------------------------------------------------------

dual!(two_processes_send_each_reminder_once);

const REMINDED: usize = 20;

/// Two `serve` processes run the reminder job (cron, second 0 of every minute) on one database:
/// every case due for review gets its reminder once. The processes run on the real clock, so the
/// cases are made due today (Swedish date) and office hours are set to the whole day
/// (`KONTOSPARR_OFFICE_HOURS_START=0`, `..._END=24`). Reminders go out on weekdays only: on a
/// Saturday or Sunday the test checks that neither process sends any.
async fn two_processes_send_each_reminder_once(app: TestApp) {
    let started = Instant::now();
    let unit = app.unit("PSYK");
    let doctor = app.user_with(&[Role::Clinician], &[unit], true);
    let nurse = app.user(&[Role::Clinician], &[unit]);
    let handler = app.user(&[Role::Handler], &[]);
    let mut ids = Vec::new();
    for _ in 0..REMINDED {
        ids.push(common::flow::executed_lock(
            &app,
            unit,
            doctor.id,
            nurse.id,
            handler.id,
            "19121212-1212",
        ));
    }
    let today = kontosparr::domain::review::swedish_date(chrono::Utc::now());
    {
        use kontosparr::db::schema::cases;
        let n = diesel::update(cases::table.filter(cases::id.eq_any(&ids)))
            .set(cases::review_due.eq(Some(today)))
            .execute(&mut app.conn() as &mut DbConnection)
            .unwrap();
        assert_eq!(n, REMINDED);
    }
    let mut env = Env::new(&app.db.url);
    env.set("KONTOSPARR_OFFICE_HOURS_START", "0");
    env.set("KONTOSPARR_OFFICE_HOURS_END", "24");
    let mut a = Server::start(&env, "a");
    let mut b = Server::start(&env, "b");
    a.ready(Duration::from_secs(30)).unwrap();
    b.ready(Duration::from_secs(30)).unwrap();
    let weekday = kontosparr::domain::review::in_office_hours(chrono::Utc::now(), 0, 24);
    // The job fires at the next full minute in both processes; wait for it (at most 75 s).
    let deadline = Instant::now() + Duration::from_secs(75);
    let first_minute = chrono::Utc::now().timestamp() / 60;
    let mut recorded = 0;
    for _ in 0..1000 {
        recorded = count(&mut app.conn(), "SELECT COUNT(*) AS n FROM reminders");
        let minute_passed = chrono::Utc::now().timestamp() / 60 > first_minute
            && chrono::Utc::now().timestamp() % 60 >= 5;
        if (weekday && recorded >= REMINDED as i64) || minute_passed || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // Give the slower process its turn at the same minute, then count.
    std::thread::sleep(Duration::from_secs(3));
    assert!(a.running() && b.running());
    let recorded_after = count(&mut app.conn(), "SELECT COUNT(*) AS n FROM reminders");
    let mails = count(
        &mut app.conn(),
        "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'reminder'",
    );
    let most_per_case = count(
        &mut app.conn(),
        "SELECT COALESCE(MAX(k), 0) AS n FROM (SELECT COUNT(*) AS k FROM outbox \
         WHERE kind = 'reminder' GROUP BY case_id) x",
    );
    eprintln!(
        "FIGURES reminders {:?}: {REMINDED} cases due, weekday {weekday}, reminders recorded {recorded_after} (at first look {recorded}), reminder mails {mails}, most per case {most_per_case}, {}",
        app.backend(),
        secs(started.elapsed())
    );
    if weekday {
        assert_eq!(recorded_after, REMINDED as i64, "one reminder per case");
        assert_eq!(
            mails, REMINDED as i64,
            "one message per case (one recipient each)"
        );
        assert_eq!(most_per_case, 1);
    } else {
        assert_eq!(recorded_after, 0, "no reminders at the weekend");
        assert_eq!(mails, 0);
    }
}

/// SQLite: an instance whose busy timeout runs out while another holds the database (a long
/// migration) keeps waiting instead of failing its start.
#[test]
fn sqlite_migrate_waits_beyond_one_busy_timeout() {
    use diesel::connection::SimpleConnection;
    let d = TestDb::new(Backend::Sqlite);
    let path = d.url.trim_start_matches("sqlite://").to_string();
    drop(d.pool()); // creates the file in WAL mode
    let mut holder = SqliteConnection::establish(&path).unwrap();
    holder.batch_execute("BEGIN IMMEDIATE").unwrap();
    let waiter = {
        let path = path.clone();
        std::thread::spawn(move || {
            let mut c = SqliteConnection::establish(&path).unwrap();
            c.batch_execute("PRAGMA busy_timeout = 100").unwrap();
            let mut conn = DbConnection::Sqlite(c);
            let start = Instant::now();
            let n = db::migrate(&mut conn);
            (n.map_err(|e| e.to_string()), start.elapsed())
        })
    };
    // Held for ten busy timeouts of the waiter.
    std::thread::sleep(Duration::from_millis(1000));
    holder.batch_execute("COMMIT").unwrap();
    let (n, waited) = waiter.join().unwrap();
    assert_eq!(n, Ok(embedded_migrations(Backend::Sqlite)));
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
}
