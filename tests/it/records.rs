//! Migrations, the access log's hash chain, and the command line, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{Backend, PASSWORD, TestApp, TestDb};
use diesel::connection::SimpleConnection;
use kontosparr::db::{self, DbConnection, audit};
use kontosparr::domain::Role;
use std::process::Command;

dual!(
    audit_chain_verifies_and_finds_tampering,
    the_log_never_holds_secrets,
    concurrent_appends_keep_one_chain,
    admin_pages_are_for_admins_only,
);

/// The migration directories of a backend (`migrations/<dir>`), sorted.
fn migration_names(dir: &str) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
    v.sort();
    v
}

fn migrations_round_trip(backend: Backend) {
    let tdb = TestDb::new(backend);
    let pool = tdb.pool();
    let mut conn = pool.get().unwrap();
    let all = migration_names(match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    })
    .len();
    assert_eq!(db::migrate(&mut conn).unwrap(), all, "every migration runs");
    assert_eq!(db::revert_all(&mut conn).unwrap(), all, "every one reverts");
    assert_eq!(db::migrate(&mut conn).unwrap(), all);
    assert_eq!(db::migrate(&mut conn).unwrap(), 0, "nothing left to run");
}

#[test]
fn migrations_up_down_up_sqlite() {
    migrations_round_trip(Backend::Sqlite);
}

#[test]
fn migrations_up_down_up_postgres() {
    migrations_round_trip(Backend::Postgres);
}

#[test]
fn both_backends_have_the_same_migrations() {
    assert_eq!(migration_names("sqlite"), migration_names("postgres"));
}

fn drop_guard(conn: &mut DbConnection) {
    // What an attacker with database access would do first.
    match conn {
        DbConnection::Sqlite(_) => conn
            .batch_execute("DROP TRIGGER access_log_no_update; DROP TRIGGER access_log_no_delete;")
            .unwrap(),
        DbConnection::Pg(_) => conn
            .batch_execute("DROP TRIGGER access_log_no_change ON access_log;")
            .unwrap(),
    }
}

async fn audit_chain_verifies_and_finds_tampering(app: TestApp) {
    let u = app.user(&[Role::Handler], &[]);
    for _ in 0..3 {
        let mut b = app.browser();
        app.login(&mut b, &u).await;
    }
    assert_eq!(
        app.audit_actions(),
        ["user_created", "login", "login", "login"]
    );
    let mut conn = app.conn();
    seal(&mut conn);
    let ok = audit::verify(&mut conn).unwrap();
    assert_eq!(ok.broken, None);
    assert_eq!(ok.rows, 4, "{ok:?}");
    // The log refuses updates and deletes outright.
    assert!(
        conn.batch_execute("UPDATE access_log SET action = 'x' WHERE id = 2")
            .is_err()
    );
    assert!(
        conn.batch_execute("DELETE FROM access_log WHERE id = 2")
            .is_err()
    );
    drop_guard(&mut conn);
    // An edited row is found.
    conn.batch_execute("UPDATE access_log SET client_addr = '10.0.0.1' WHERE id = 3")
        .unwrap();
    let r = audit::verify(&mut conn).unwrap();
    assert_eq!(r.broken.as_ref().and_then(|b| b.id), Some(3), "{r:?}");
    assert_eq!(r.rows, 2);
}

/// Seals every committed row, as the sealer job of `serve` does every second.
fn seal(conn: &mut DbConnection) {
    while let audit::Round::Sealed { sealed, .. } = audit::seal_round(conn, 1000).unwrap() {
        if sealed == 0 {
            break;
        }
    }
}

async fn the_log_never_holds_secrets(app: TestApp) {
    let u = app.user(&[Role::Handler], &[]);
    let mut b = app.browser();
    let code = app.code(&u);
    b.login(&u, "ett felaktigt lösenord", &code).await;
    app.login(&mut b, &u).await;
    let rows = audit::latest(&mut app.conn(), 100, 0).unwrap();
    let mut actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    actions.sort_unstable();
    assert_eq!(actions, ["login", "login_failed", "user_created"]);
    for r in rows {
        let all = format!("{r:?}");
        for secret in [PASSWORD, "ett felaktigt lösenord", &code, &u.secret] {
            assert!(!all.contains(secret), "the log holds a secret: {all}");
        }
        if r.action.starts_with("login") {
            assert_eq!(r.client_addr.as_deref(), Some("127.0.0.1"), "{all}");
        }
    }
}

async fn concurrent_appends_keep_one_chain(app: TestApp) {
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let pool = app.pool.clone();
            std::thread::spawn(move || {
                for i in 0..10 {
                    let mut conn = pool.get().unwrap();
                    db::write_tx(&mut conn, |c| {
                        let e = audit::NewEntry {
                            action: format!("test_{t}_{i}"),
                            ..Default::default()
                        };
                        audit::append(c, db::ts(chrono::Utc::now()), &e).map(|_| ())
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut conn = app.conn();
    seal(&mut conn);
    let r = audit::verify(&mut conn).unwrap();
    assert_eq!(r.broken, None);
    assert_eq!(r.rows, 80);
}

async fn admin_pages_are_for_admins_only(app: TestApp) {
    let unit = app.unit("X");
    let nurse = app.user(&[Role::Clinician], &[unit]);
    let mut b = app.browser();
    app.login(&mut b, &nurse).await;
    for path in [
        "/admin/anvandare",
        "/admin/anvandare/ny",
        "/admin/enheter",
        "/admin/vardgivare",
        "/admin/anvandare/1",
    ] {
        let r = b.get(path).await;
        assert_eq!(r.status, 403, "{path}");
        assert!(r.body.contains("Åtkomst nekad"));
    }
    let token = b.get("/").await.csrf();
    let r = b
        .post(
            "/admin/vardgivare",
            &[
                ("csrf_token", &token),
                ("name", "Vård AB"),
                ("org_number", "556677-8899"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    // Admin: units and providers with validation.
    let admin = app.user(&[Role::Admin], &[]);
    let mut a = app.browser();
    app.login(&mut a, &admin).await;
    let r = a
        .submit(
            "/admin/vardgivare",
            "/admin/vardgivare",
            &[("name", "Vård AB"), ("org_number", "556677-8890")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("value=\"556677-8890\"") && r.body.contains("value=\"Vård AB\""));
    let r = a
        .submit(
            "/admin/enheter/ny",
            "/admin/enheter/ny",
            &[
                ("code", "a b"),
                ("name", ""),
                ("chief_physician_function", "CL"),
                ("chief_physician_email", "cl@example.se"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"code-error\"") && r.body.contains("id=\"name-error\""));
    let r = a
        .submit(
            "/admin/enheter/ny",
            "/admin/enheter/ny",
            &[
                ("code", "akut-su"),
                ("name", "Akuten SU"),
                ("chief_physician_function", "CL"),
                ("chief_physician_email", "cl@example.se"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let list = a.get("/admin/enheter").await;
    assert!(list.body.contains("AKUT-SU"));
    let log = app.audit_actions();
    assert!(log.contains(&"unit_created".to_string()));
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_kontosparr")
}

use crate::common::free_port;

fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// `serve` on an empty directory (or a PostgreSQL URL) answers within 10 s.
fn serve_starts(db_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = Command::new(bin());
    cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .current_dir(dir.path());
    cmd.env_remove("DATABASE_URL");
    if let Some(u) = db_url {
        cmd.env("DATABASE_URL", u);
    }
    let mut child = cmd.stderr(std::process::Stdio::piped()).spawn().unwrap();
    let started = std::time::Instant::now();
    let mut health = None;
    while started.elapsed() < std::time::Duration::from_secs(10) {
        if let Some(r) = http_get(port, "/healthz") {
            health = Some(r);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let root = http_get(port, "/");
    let login = http_get(port, "/login");
    child.kill().ok();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let health = health.unwrap_or_else(|| panic!("no answer within 10 s: {stderr}"));
    assert!(
        health.starts_with("HTTP/1.0 200") || health.starts_with("HTTP/1.1 200"),
        "{health}"
    );
    let root = root.unwrap();
    assert!(
        root.contains(" 303 ") && root.to_lowercase().contains("location: /login"),
        "{root}"
    );
    assert!(login.unwrap().contains("<html lang=\"sv\">"));
    assert!(
        stderr.contains("kontosparr admin create"),
        "first start tells how to create the admin: {stderr}"
    );
    if db_url.is_none() {
        assert!(dir.path().join("data/kontosparr.db").exists());
    }
}

#[test]
fn serve_on_an_empty_directory_sqlite() {
    serve_starts(None);
}

#[test]
fn serve_on_postgres() {
    let tdb = TestDb::new(Backend::Postgres);
    serve_starts(Some(&tdb.url));
}

#[test]
fn cli_admin_create_and_audit_verify() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let tdb = TestDb::new(backend);
        // The audit key and checkpoint file are made under ./data of the working directory.
        let cwd = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            Command::new(bin())
                .args(args)
                .current_dir(cwd.path())
                .env("DATABASE_URL", &tdb.url)
                .output()
                .unwrap()
        };
        let out = run(&[
            "admin",
            "create",
            "--hsa-id",
            "SE2321000131-A1",
            "--name",
            "Ada Admin",
            "--email",
            "ada@example.se",
        ]);
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("/aktivera/"), "{text}");
        // A second first administrator is refused.
        let again = run(&[
            "admin",
            "create",
            "--hsa-id",
            "SE2321000131-A2",
            "--name",
            "B",
            "--email",
            "b@example.se",
        ]);
        assert!(!again.status.success());
        let bad = run(&[
            "user",
            "add",
            "--hsa-id",
            "nope",
            "--name",
            "N",
            "--email",
            "n@example.se",
            "--role",
            "handler",
        ]);
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("hsa_id"));
        let ok = run(&[
            "user",
            "add",
            "--hsa-id",
            "SE2321000131-H1",
            "--name",
            "Hanna H",
            "--email",
            "h@example.se",
            "--role",
            "handler",
        ]);
        assert!(ok.status.success(), "{ok:?}");
        let v = run(&["audit", "verify"]);
        assert!(v.status.success(), "{v:?}");
        // PostgreSQL's rows wait for the sealer; SQLite sealed each in the command's transaction.
        let waiting = match backend {
            Backend::Postgres => "Oförseglade rader: 2 ",
            Backend::Sqlite => "Oförseglade rader: 0",
        };
        assert!(
            String::from_utf8_lossy(&v.stdout).contains(waiting),
            "{v:?}"
        );
        let s = run(&["audit", "seal"]);
        assert!(s.status.success(), "{s:?}");
        let v = run(&["audit", "verify"]);
        assert!(v.status.success(), "{v:?}");
        assert!(
            String::from_utf8_lossy(&v.stdout).contains("OK: 2 förseglade rader"),
            "{v:?}"
        );
        // Delete the last row directly: verify names the row and fails.
        let pool = tdb.pool();
        let mut conn = pool.get().unwrap();
        drop_guard(&mut conn);
        conn.batch_execute("DELETE FROM access_log WHERE id = 2")
            .unwrap();
        let v = run(&["audit", "verify"]);
        assert_eq!(v.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&v.stdout).contains("BRUTEN: seal_seq 2"),
            "{v:?}"
        );
    }
}

#[test]
fn unknown_settings_are_refused() {
    let out = Command::new(bin())
        .args(["migrate"])
        .env("KONTOSPARR_SESION_IDLE_MINUTES", "5")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("KONTOSPARR_SESION_IDLE_MINUTES"));
    // Plain http off loopback is refused.
    let out = Command::new(bin())
        .args(["serve", "--bind", "0.0.0.0:1"])
        .env("DATABASE_URL", "sqlite:///nonexistent/x.db")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("https"));
}
