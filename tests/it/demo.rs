//! Demo mode, as a newcomer meets it: the binary on an empty directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{Backend, Browser, TestDb};
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str], db_url: Option<&str>) -> Result<Server, String> {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::common::free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kontosparr"));
    cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(args)
        .current_dir(dir.path());
    cmd.env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(u) = db_url {
        cmd.env("DATABASE_URL", u);
    }
    let mut child = cmd.spawn().unwrap();
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(20) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(Server {
                child,
                base: format!("http://127.0.0.1:{port}"),
                _dir: dir,
            });
        }
        if let Ok(Some(_)) = child.try_wait() {
            let out = child.wait_with_output().unwrap();
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    Err("no answer".into())
}

/// The code shown on the demo login page for an HSA-ID.
fn code_on_page(html: &str, hsa: &str) -> String {
    let at = html.find(hsa).expect("account listed");
    let rest = &html[at..];
    let code_start = rest[hsa.len()..].find("<code>").unwrap() + hsa.len() + 6;
    rest[code_start..code_start + 6].to_string()
}

async fn walk_demo(base: &str) {
    let mut b = Browser::new(base);
    let login = b.get("/login").await;
    assert!(login.body.contains("DEMO"));
    assert!(login.body.contains("Demo-lösenord 2026"));
    let hsa = "SE2321000131-E000000000106";
    let code = code_on_page(&login.body, hsa);
    let r = b
        .post(
            "/login",
            &[
                ("csrf_token", &login.csrf()),
                ("hsa_id", hsa),
                ("password", "Demo-lösenord 2026"),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // The start page: today's work as counts, each linking to its list.
    let home = b.get("/").await;
    assert_eq!(home.status, 200);
    for href in [
        "/handlaggning?status=submitted",
        "/handlaggning?status=form_pending",
    ] {
        assert!(
            home.body.contains(&format!("<a href=\"{href}\">")),
            "{href}"
        );
        assert_eq!(b.get(href).await.status, 200, "{href}");
    }
    assert!(
        home.body
            .contains("Nödtelefonärenden som väntar på blankett: <strong>1</strong>")
    );
    let queue = b.get("/handlaggning").await;
    assert_eq!(queue.status, 200);
    for status in [
        "Inskickad",
        "Mottagen",
        "Kontrollerad",
        "Låst – väntar på blankett",
    ] {
        assert!(queue.body.contains(status), "{status} in the queue");
    }
    let all = b.get("/arenden").await;
    // Every state of SPEC §3 on a demo case, and every channel.
    for status in [
        "Utkast",
        "Inskickad",
        "Mottagen",
        "Returnerad för komplettering",
        "Kontrollerad",
        "Verkställd",
        "Avslutad",
        "Låst – väntar på blankett",
        "Återkallad",
        "Upplåsning",
        "Pappersblankett",
        "E-tjänst (intag)",
        "Nödtelefon",
    ] {
        assert!(all.body.contains(status), "{status} among the cases");
    }
    // The demo region registers five cases, in this order, in the Swedish year it is made:
    // Tolvan's closed lock, the lock up for review, Ivar's lock and the unlock that lifted it,
    // and the emergency call; then the lock executed 83 days before (its review due within two
    // weeks), numbered in the year of its execution.
    use chrono::Datelike;
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Stockholm);
    let year = now.year();
    let mut want: Vec<String> = (1..=5).map(|n| format!("KSD {year}-{n:05}")).collect();
    let then = (now - chrono::Duration::days(83)).year();
    want.push(if then == year {
        format!("KSD {year}-00006")
    } else {
        format!("KSD {then}-00001")
    });
    want.sort();
    assert_eq!(
        diary_numbers(&all.body),
        want,
        "the diary numbers in the case list"
    );
    // Ivar's lock (the third number) shows the unlock that lifted it, and no review.
    let lifted = format!("KSD {year}-00003");
    let at = all
        .body
        .find(&format!("\">{lifted}</a>"))
        .expect("lifted lock listed");
    let href = &all.body[..at];
    let id = &href[href.rfind("/arenden/").expect("link") + 9..];
    let page = b.get(&format!("/arenden/{id}")).await;
    assert!(
        page.body.contains("Upplåst genom") && page.body.contains(&format!("KSD {year}-00004")),
        "the lifted lock names its unlock"
    );
    assert!(!page.body.contains("Ompröva senast"));
    // The demo manager's start page shows a review due, linking to it.
    let mut m = Browser::new(base);
    let login = m.get("/login").await;
    let mats = "SE2321000131-E000000000103";
    let r = m
        .post(
            "/login",
            &[
                ("csrf_token", &login.csrf()),
                ("hsa_id", mats),
                ("password", "Demo-lösenord 2026"),
                ("code", &code_on_page(&login.body, mats)),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let home = m.get("/").await;
    assert!(
        home.body.contains(
            "<a href=\"/omprovningar?lage=snart\">Omprövningar som ska göras inom 14 dagar: <strong>1</strong>"
        ),
        "{}",
        home.body
    );
    let due = m.get("/omprovningar?lage=snart").await;
    assert!(due.body.contains("19640823-3234"), "{}", due.body);
}

/// The distinct diary numbers (`KSD ÅÅÅÅ-NNNNN`) on a page, sorted.
fn diary_numbers(html: &str) -> Vec<String> {
    let mut found: Vec<String> = html
        .match_indices("KSD ")
        .filter_map(|(at, _)| html.get(at..at + 14))
        .filter(|n| {
            let b = n.as_bytes();
            b[4..8].iter().all(u8::is_ascii_digit)
                && b[8] == b'-'
                && b[9..14].iter().all(u8::is_ascii_digit)
        })
        .map(str::to_string)
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Every demo account's TOTP secret is stored as every other one is: encrypted (`v1:`) under the
/// server's `secret_key_file`, bound to its account, and never in clear.
fn assert_totp_secrets_encrypted(db_url: &str, key_file: &std::path::Path) {
    use diesel::prelude::*;
    use kontosparr::auth::secrets::{SecretBox, user_place};
    let keys = SecretBox::load(key_file).expect("the server made its key file");
    let pool = kontosparr::db::pool(db_url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    let accounts: i64 = kontosparr::db::schema::users::table
        .count()
        .get_result(&mut conn as &mut kontosparr::db::DbConnection)
        .unwrap();
    let stored = kontosparr::db::users::totp_secrets(&mut conn).unwrap();
    assert!(accounts >= 5, "{accounts} demo accounts");
    assert_eq!(
        stored.len() as i64,
        accounts,
        "every demo account has a secret"
    );
    for (id, value) in stored {
        assert!(value.starts_with("v1:"), "user {id}: stored in clear");
        let opened = keys.open(&value, &user_place(id)).unwrap();
        assert!(!opened.was_clear);
        assert!(!value.contains(&opened.secret), "user {id}");
        // Bound to its account: it does not open as another's.
        assert!(keys.open(&value, &user_place(id + 1000)).is_err());
    }
}

#[actix_web::test]
async fn demo_mode_on_an_empty_directory() {
    let s = start(&["--demo"], None).expect("demo starts");
    // As seeded (before any login, which would re-encrypt a secret found in clear).
    let db = s._dir.path().join("data/kontosparr-demo.db");
    assert_totp_secrets_encrypted(
        &format!("sqlite://{}", db.display()),
        &s._dir.path().join("data/secret.key"),
    );
    walk_demo(&s.base).await;
    assert!(s._dir.path().join("data/kontosparr-demo.db").exists());
    assert!(
        !s._dir.path().join("data/kontosparr.db").exists(),
        "the real default database is untouched"
    );
}

#[actix_web::test]
async fn demo_mode_on_postgres() {
    let db = TestDb::new(Backend::Postgres);
    let s = start(&["--demo"], Some(&db.url)).expect("demo starts");
    assert_totp_secrets_encrypted(&db.url, &s._dir.path().join("data/secret.key"));
    walk_demo(&s.base).await;
}

#[test]
fn demo_refuses_real_data_and_normal_mode_refuses_demo_data() {
    let db = TestDb::new(Backend::Sqlite);
    let out = Command::new(env!("CARGO_BIN_EXE_kontosparr"))
        .args([
            "admin",
            "create",
            "--hsa-id",
            "SE2321000131-A1",
            "--name",
            "Ada",
            "--email",
            "a@example.se",
        ])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = start(&["--demo"], Some(&db.url)).err().expect("refused");
    assert!(err.contains("real data"), "{err}");
    let demo = TestDb::new(Backend::Sqlite);
    let s = start(&["--demo"], Some(&demo.url)).expect("demo starts");
    drop(s);
    let err = start(&[], Some(&demo.url)).err().expect("refused");
    assert!(err.contains("demo database"), "{err}");
}
