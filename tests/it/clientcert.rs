//! Logging in with a SITHS card by TLS client certificate, against the real binary (issue 12).
//!
//! A test CA, a server certificate and client certificates — valid, expired, revoked (on the
//! CA's CRL), for an unknown HSA-ID, for a disabled user, and one from a CA nobody trusts — are
//! made with the `openssl` command line at test time (`openssl req`, `openssl ca` with its index
//! for revocation and `-gencrl`). `kontosparr serve` is started as an OS process
//! (`processes::Server`) speaking TLS itself and asking for client certificates; a client built
//! on the `openssl` crate connects presenting each certificate. The second test runs the binary
//! behind a "proxy": plain http on loopback, the certificate in a header, from the trusted
//! address 127.0.0.1 and from 127.0.0.2, which is not trusted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{TestApp, TestUser};
use crate::processes::{self, Env, Reply, Server};
use diesel::prelude::*;
use kontosparr::db::DbConnection;
use kontosparr::domain::Role;
use openssl::ssl::{SslConnector, SslFiletype, SslMethod};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

dual!(
    direct_tls,
    behind_a_proxy,
    the_button_only_when_cards_are_configured
);

// ---------------------------------------------------------------------------------------------
// A CA made with the openssl command line
// ---------------------------------------------------------------------------------------------

const CA_CNF: &str = "\
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = .
database = index.txt
new_certs_dir = issued
serial = serial
crlnumber = crlnumber
certificate = ca.pem
private_key = ca.key
default_md = sha256
default_crl_days = 7
policy = any
unique_subject = no
copy_extensions = none
[ any ]
serialNumber = optional
commonName = supplied
[ client ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
[ server ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
";

struct Pki {
    dir: PathBuf,
}

#[derive(Debug, Clone)]
struct Cert {
    pem: PathBuf,
    key: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dates {
    /// From now, two days.
    Valid,
    /// January 2025.
    Expired,
}

impl Pki {
    /// A CA named `cn` in `dir` (P-256 keys), with a server certificate for localhost and
    /// 127.0.0.1, and an empty CRL.
    fn new(dir: &Path, cn: &str) -> Pki {
        std::fs::create_dir_all(dir.join("issued")).unwrap();
        std::fs::write(dir.join("ca.cnf"), CA_CNF).unwrap();
        std::fs::write(dir.join("index.txt"), "").unwrap();
        std::fs::write(dir.join("serial"), "1000\n").unwrap();
        std::fs::write(dir.join("crlnumber"), "1000\n").unwrap();
        let pki = Pki { dir: dir.into() };
        pki.openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "30",
            "-subj",
            &format!("/CN={cn}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        pki.sign("server", "/CN=localhost", "server", Dates::Valid);
        pki.crl();
        pki
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn openssl(&self, args: &[&str]) {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(&self.dir)
            .output()
            .expect("the openssl command line");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A key and a certificate `name.pem` for `subject`, signed by the CA with `extensions`.
    fn sign(&self, name: &str, subject: &str, extensions: &str, dates: Dates) -> Cert {
        let (key, csr, pem) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        self.openssl(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            subject,
        ]);
        let mut args = vec![
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-in",
            &csr,
            "-out",
            &pem,
            "-extensions",
            extensions,
            "-preserveDN",
            "-notext",
        ];
        match dates {
            Dates::Valid => args.extend(["-days", "2"]),
            Dates::Expired => args.extend([
                "-startdate",
                "20250101000000Z",
                "-enddate",
                "20250201000000Z",
            ]),
        }
        self.openssl(&args);
        Cert {
            pem: self.path(&pem),
            key: self.path(&key),
        }
    }

    /// A client certificate (a SITHS card) with `hsa_id` as the subject's serialNumber.
    fn card(&self, name: &str, hsa_id: &str, dates: Dates) -> Cert {
        self.sign(
            name,
            &format!("/serialNumber={hsa_id}/CN=Testa Testsson"),
            "client",
            dates,
        )
    }

    /// Puts `c` on the CA's revocation list (written again).
    fn revoke(&self, c: &Cert) {
        self.openssl(&[
            "ca",
            "-config",
            "ca.cnf",
            "-revoke",
            c.pem.to_str().unwrap(),
        ]);
        self.crl();
    }

    /// Writes the CA's CRL to `crl.pem` (whole: written aside, then renamed over the old one).
    fn crl(&self) {
        self.crl_with(&[]);
    }

    /// [`Pki::crl`] with more `openssl ca -gencrl` options.
    fn crl_with(&self, more: &[&str]) {
        let mut args = vec![
            "ca", "-batch", "-config", "ca.cnf", "-gencrl", "-out", "crl.new",
        ];
        args.extend_from_slice(more);
        self.openssl(&args);
        std::fs::rename(self.path("crl.new"), self.path("crl.pem")).unwrap();
    }

    /// The certificate as nginx forwards it (`$ssl_client_escaped_cert`: URL-encoded PEM).
    fn escaped(c: &Cert) -> String {
        std::fs::read(&c.pem)
            .unwrap()
            .iter()
            .map(|&b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// A client: over TLS with a client certificate (or none), or plain from a chosen address
// ---------------------------------------------------------------------------------------------

struct Client {
    port: u16,
    /// TLS: the CA the server's certificate is checked with, and the card presented.
    tls: Option<(PathBuf, Option<Cert>)>,
    /// Plain http from this source address.
    source: IpAddr,
    headers: Vec<(String, String)>,
    cookies: BTreeMap<String, String>,
}

impl Client {
    fn tls(port: u16, pki: &Pki, card: Option<&Cert>) -> Client {
        Client {
            port,
            tls: Some((pki.path("ca.pem"), card.cloned())),
            source: IpAddr::from([127, 0, 0, 1]),
            headers: vec![],
            cookies: BTreeMap::new(),
        }
    }

    fn plain(port: u16, source: [u8; 4]) -> Client {
        Client {
            port,
            tls: None,
            source: IpAddr::from(source),
            headers: vec![],
            cookies: BTreeMap::new(),
        }
    }

    fn header(mut self, name: &str, value: &str) -> Client {
        self.headers.push((name.into(), value.into()));
        self
    }

    fn connect(&self) -> std::io::Result<TcpStream> {
        let to = SocketAddr::from(([127, 0, 0, 1], self.port));
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
        socket.bind(&SocketAddr::new(self.source, 0).into())?;
        socket.connect_timeout(&to.into(), Duration::from_secs(5))?;
        let s: TcpStream = socket.into();
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        s.set_write_timeout(Some(Duration::from_secs(30)))?;
        Ok(s)
    }

    fn send(&mut self, method: &str, path: &str, form: &[(&str, &str)]) -> std::io::Result<Reply> {
        let body = if method == "POST" {
            serde_html_form::to_string(form).unwrap()
        } else {
            String::new()
        };
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.port,
            body.len()
        );
        if method == "POST" {
            req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        if !self.cookies.is_empty() {
            let c = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req.push_str(&format!("Cookie: {c}\r\n"));
        }
        for (k, v) in &self.headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(&body);
        let tcp = self.connect()?;
        let raw = match &self.tls {
            Some((ca, card)) => {
                let other = |e: &dyn std::fmt::Display| std::io::Error::other(e.to_string());
                let mut b =
                    SslConnector::builder(SslMethod::tls_client()).map_err(|e| other(&e))?;
                b.set_ca_file(ca).map_err(|e| other(&e))?;
                if let Some(c) = card {
                    b.set_certificate_file(&c.pem, SslFiletype::PEM)
                        .map_err(|e| other(&e))?;
                    b.set_private_key_file(&c.key, SslFiletype::PEM)
                        .map_err(|e| other(&e))?;
                }
                let mut s = b.build().connect("localhost", tcp).map_err(|e| other(&e))?;
                exchange(&mut s, req.as_bytes())?
            }
            None => exchange(&mut { tcp }, req.as_bytes())?,
        };
        let r = processes::parse_reply(&raw)?;
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

    fn get(&mut self, path: &str) -> std::io::Result<Reply> {
        self.send("GET", path, &[])
    }

    /// The login page, then its card button (`POST /login/siths` with the page's CSRF token).
    fn card_login(&mut self) -> std::io::Result<Reply> {
        let page = self.get("/login")?;
        assert_eq!(page.status, 200, "{}", page.text());
        assert!(
            page.text().contains("action=\"/login/siths\""),
            "the login page offers the card"
        );
        let csrf = crate::common::field_value(&page.text(), "csrf_token").unwrap_or_default();
        self.send("POST", "/login/siths", &[("csrf_token", &csrf)])
    }

    /// The password login (HSA-ID, password and the TOTP code of the real time).
    fn password_login(&mut self, u: &TestUser, password: &str) -> std::io::Result<Reply> {
        let page = self.get("/login")?;
        let csrf = crate::common::field_value(&page.text(), "csrf_token").unwrap_or_default();
        let code = kontosparr::auth::totp::code_at(
            &u.secret,
            kontosparr::auth::totp::step_of(chrono::Utc::now().timestamp()),
        )
        .unwrap();
        self.send(
            "POST",
            "/login",
            &[
                ("csrf_token", &csrf),
                ("hsa_id", &u.hsa_id),
                ("password", password),
                ("code", &code),
            ],
        )
    }
}

/// Writes the request and reads the response to the end. A TLS peer that closes without
/// close_notify after a whole response is an end, not an error.
fn exchange<S: Read + Write>(s: &mut S, req: &[u8]) -> std::io::Result<Vec<u8>> {
    s.write_all(req)?;
    s.flush()?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if !raw.is_empty() && raw.windows(4).any(|w| w == b"\r\n\r\n") => {
                let _ = e;
                break;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(raw)
}

/// The error message of a login page (its error summary's paragraph).
fn login_error(page: &Reply) -> String {
    let text = page.text();
    let Some(at) = text.find("error-summary-title") else {
        return String::new();
    };
    let rest = &text[at..];
    let start = rest.find("<p>").map(|i| i + 3).unwrap_or(0);
    let end = rest[start..]
        .find("</p>")
        .map(|i| i + start)
        .unwrap_or(start);
    rest[start..end].to_string()
}

// ---------------------------------------------------------------------------------------------
// The access log
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Entry {
    action: String,
    user: Option<String>,
    detail: String,
    client_addr: Option<String>,
}

fn entries_after(app: &TestApp, after: i64) -> Vec<Entry> {
    use kontosparr::db::schema::access_log::dsl::*;
    type Row = (String, Option<String>, Option<String>, Option<String>);
    let rows: Vec<Row> = access_log
        .filter(id.gt(after))
        .filter(action.like("login%"))
        .order(id.asc())
        .select((action, user_hsa_id, detail, client_addr))
        .load(&mut app.conn() as &mut DbConnection)
        .unwrap();
    rows.into_iter()
        .map(|(a, u, d, c)| Entry {
            action: a,
            user: u,
            // As an auditor reading Swedish sees it (the stored detail is a message).
            detail: kontosparr::messages::log::log_detail(
                kontosparr::i18n::Lang::Sv,
                &d.unwrap_or_default(),
            ),
            client_addr: c,
        })
        .collect()
}

fn last_id(app: &TestApp) -> i64 {
    use kontosparr::db::schema::access_log::dsl::*;
    access_log
        .select(diesel::dsl::max(id))
        .first::<Option<i64>>(&mut app.conn() as &mut DbConnection)
        .unwrap()
        .unwrap_or(0)
}

/// The one login entry written since `after`, which must be `action` for `user`.
fn one_entry(app: &TestApp, after: i64, action: &str, user: Option<&str>) -> Entry {
    let e = entries_after(app, after);
    assert_eq!(e.len(), 1, "one login entry since {after}: {e:#?}");
    assert_eq!(e[0].action, action, "{e:#?}");
    assert_eq!(e[0].user.as_deref(), user, "{e:#?}");
    e[0].clone()
}

/// The user of the session behind a cookie value: None when there is no such session.
fn session_user(app: &TestApp, cookie: &str) -> Option<Option<i64>> {
    use kontosparr::db::schema::sessions::dsl::*;
    sessions
        .filter(id_hash.eq(kontosparr::auth::tokens::digest(cookie)))
        .select(user_id)
        .first::<Option<i64>>(&mut app.conn() as &mut DbConnection)
        .optional()
        .unwrap()
}

fn disable(app: &TestApp, u: &TestUser, unit: i64) {
    let input = kontosparr::service::admin::UserInput {
        hsa_id: u.hsa_id.clone(),
        name: u.name.clone(),
        email: "borta@example.se".into(),
        roles: vec!["clinician".into()],
        units: vec![unit.to_string()],
        is_decider: false,
        active: false,
    };
    kontosparr::service::admin::update_user(&mut app.conn(), &app.ctx(), u.id, &input).unwrap();
}

const NO_CARD_SV: &str = "Inget giltigt SITHS-kort visades upp";

// ---------------------------------------------------------------------------------------------
// 1. Our own TLS asks for the card
// ---------------------------------------------------------------------------------------------

async fn direct_tls(app: TestApp) {
    let unit = app.unit("PSYK");
    let nurse = app.user(&[Role::Clinician], &[unit]);
    let gone = app.user(&[Role::Clinician], &[unit]);
    disable(&app, &gone, unit);
    let mut env = Env::new(&app.db.url);
    let pki = Pki::new(&env.path("ca"), "Test SITHS CA");
    let stranger = Pki::new(&env.path("stranger"), "Annan CA");
    let valid = pki.card("valid", &nurse.hsa_id, Dates::Valid);
    let spare = pki.card("spare", &nurse.hsa_id, Dates::Valid);
    let expired = pki.card("expired", &nurse.hsa_id, Dates::Expired);
    let revoked = pki.card("revoked", &nurse.hsa_id, Dates::Valid);
    pki.revoke(&revoked);
    let unknown = pki.card("unknown", "SE2321000131-T99999", Dates::Valid);
    let disabled = pki.card("disabled", &gone.hsa_id, Dates::Valid);
    let foreign = stranger.card("foreign", &nurse.hsa_id, Dates::Valid);
    let path = |p: PathBuf| p.display().to_string();
    env.set("KONTOSPARR_TLS_CERT_FILE", &path(pki.path("server.pem")));
    env.set("KONTOSPARR_TLS_KEY_FILE", &path(pki.path("server.key")));
    env.set("KONTOSPARR_TLS_CLIENT_CA_FILE", &path(pki.path("ca.pem")));
    env.set(
        "KONTOSPARR_TLS_CLIENT_CRL_FILES",
        &path(pki.path("crl.pem")),
    );
    env.set("KONTOSPARR_TLS_CLIENT_CRL_RELOAD_SECONDS", "1");
    let mut server = Server::start(&env, "tls");
    server
        .ready_by(Duration::from_secs(60), |port| {
            Client::tls(port, &pki, None)
                .get("/healthz")
                .is_ok_and(|r| r.status == 200)
        })
        .unwrap();
    let port = server.port;

    // The key exchange: the hybrid post-quantum X25519MLKEM768 for a client that offers it
    // (today's browsers do), alone or beside X25519; classic X25519 for a client that does not.
    use rustls::NamedGroup::{X25519, X25519MLKEM768};
    for (offered, agreed) in [
        (vec![X25519MLKEM768], X25519MLKEM768),
        (vec![X25519MLKEM768, X25519], X25519MLKEM768),
        (vec![X25519], X25519),
    ] {
        assert_eq!(
            key_exchange(port, &pki, &offered),
            Ok(agreed),
            "offered {offered:?}"
        );
    }

    // Without a card: the login page offers the card, and the password login works on the same
    // listener (a certificate is asked for, never required).
    let mut pw = Client::tls(port, &pki, None);
    let page = pw.get("/login").unwrap();
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("Logga in med SITHS-kort"),
        "{}",
        page.text()
    );
    let before = last_id(&app);
    let r = pw.password_login(&nurse, crate::common::PASSWORD).unwrap();
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(
        pw.cookies.contains_key("__Host-kontosparr"),
        "{:?}",
        r.headers
    );
    let e = one_entry(&app, before, "login", Some(&nurse.hsa_id));
    assert!(!e.detail.contains("klientcertifikat"), "{e:?}");

    // The button without a card: the page says so in Swedish; the attempt is logged.
    let before = last_id(&app);
    let r = Client::tls(port, &pki, None).card_login().unwrap();
    assert_eq!(r.status, 401);
    assert!(r.text().contains(NO_CARD_SV), "{}", r.text());
    let e = one_entry(&app, before, "login_failed", None);
    assert!(
        e.detail.contains("inget klientcertifikat")
            && e.detail.contains("klientcertifikat (SITHS)"),
        "{e:?}"
    );

    // A valid card: logged in without a password, on a new session id, logged with the method.
    let mut c = Client::tls(port, &pki, Some(&valid));
    let page = c.get("/login").unwrap();
    assert_eq!(page.status, 200);
    let anonymous = c.cookies.get("__Host-kontosparr").cloned().unwrap();
    let csrf = crate::common::field_value(&page.text(), "csrf_token").unwrap();
    let before = last_id(&app);
    let r = c
        .send("POST", "/login/siths", &[("csrf_token", &csrf)])
        .unwrap();
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        r.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("location"))
            .map(|(_, v)| v.as_str()),
        Some("/")
    );
    let session = c.cookies.get("__Host-kontosparr").cloned().unwrap();
    assert_ne!(session, anonymous, "the session id changes at login");
    let home = c.get("/").unwrap();
    assert_eq!(home.status, 200, "{}", home.text());
    assert!(home.text().contains(&nurse.name));
    let e = one_entry(&app, before, "login", Some(&nurse.hsa_id));
    assert!(e.detail.contains("klientcertifikat (SITHS)"), "{e:?}");
    assert!(e.detail.contains("via egen TLS"), "{e:?}");
    assert_eq!(e.client_addr.as_deref(), Some("127.0.0.1"));
    // The anonymous session that carried the form is gone; the new one is the nurse's.
    assert_eq!(
        session_user(&app, &anonymous),
        None,
        "the old session id is ended"
    );
    assert_eq!(session_user(&app, &session), Some(Some(nurse.id)));

    // Expired, revoked, or from a CA nobody trusts: the handshake refuses them; no page, no
    // login.
    let before = last_id(&app);
    for (what, card, alert) in [
        ("expired", &expired, "certificate expired"),
        ("revoked", &revoked, "certificate revoked"),
        ("another CA", &foreign, "unknown ca"),
    ] {
        let r = Client::tls(port, &pki, Some(card)).get("/login");
        let err = match r {
            Ok(r) => panic!("{what}: the TLS handshake went through: {}", r.status),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(alert), "{what}: {err}");
    }
    assert!(entries_after(&app, before).is_empty());
    let log = server.log();
    assert!(
        log.contains("client certificate refused in the TLS handshake")
            && log.contains(&nurse.hsa_id),
        "{log}"
    );

    // An unknown HSA-ID and a disabled user: the answer of a failed password login; logged.
    let failed_pw = Client::tls(port, &pki, None)
        .password_login(&nurse, "fel lösenord")
        .unwrap();
    assert_eq!(failed_pw.status, 401);
    let failed_answer = login_error(&failed_pw);
    assert!(
        failed_answer.contains("Inloggningen misslyckades"),
        "{failed_answer}"
    );
    for (card, hsa, why) in [
        (&unknown, "SE2321000131-T99999", "okänd användare"),
        (&disabled, gone.hsa_id.as_str(), "kontot är inaktiverat"),
    ] {
        let before = last_id(&app);
        let r = Client::tls(port, &pki, Some(card)).card_login().unwrap();
        assert_eq!(r.status, 401, "{hsa}");
        assert_eq!(login_error(&r), failed_answer, "{hsa}: the same answer");
        let e = one_entry(&app, before, "login_failed", Some(hsa));
        assert!(
            e.detail.contains(why) && e.detail.contains("klientcertifikat (SITHS)"),
            "{e:?}"
        );
    }

    // A card revoked while the server runs: refused once the lists are read again (every
    // second here).
    let r = Client::tls(port, &pki, Some(&spare)).card_login().unwrap();
    assert_eq!(r.status, 303, "{}", r.text());
    pki.revoke(&spare);
    let refused = wait_for(Duration::from_secs(20), || {
        Client::tls(port, &pki, Some(&spare))
            .get("/login")
            .is_err_and(|e| e.to_string().contains("certificate revoked"))
    });
    assert!(refused, "the revoked card was still let in after 20 s");
    // The other card of the same person still works.
    let r = Client::tls(port, &pki, Some(&valid)).card_login().unwrap();
    assert_eq!(r.status, 303, "{}", r.text());

    // A list that cannot be read is not put in force: the lists read before stay, and the
    // failure is logged.
    std::fs::write(pki.path("crl.pem"), "-----BEGIN X509 CRL-----\ntrasig\n").unwrap();
    let logged = wait_for(Duration::from_secs(20), || {
        server.log().contains("could not be read again")
    });
    assert!(logged, "{}", server.log());
    let r = Client::tls(port, &pki, Some(&valid)).card_login().unwrap();
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(Client::tls(port, &pki, Some(&spare)).get("/login").is_err());

    // A list past its nextUpdate cannot say whether a card was revoked since: every card of its
    // CA is refused (and the log says why).
    pki.crl_with(&[
        "-crl_lastupdate",
        "20250101000000Z",
        "-crl_nextupdate",
        "20250102000000Z",
    ]);
    let refused = wait_for(Duration::from_secs(20), || {
        Client::tls(port, &pki, Some(&valid))
            .get("/login")
            .is_err_and(|e| e.to_string().contains("unknown ca"))
    });
    assert!(refused, "a valid card was let in on an expired CRL");
    assert!(
        server.log().contains("revocation list expired"),
        "{}",
        server.log()
    );
    // The password login does not depend on the lists.
    let mut pw = Client::tls(port, &pki, None);
    assert_eq!(pw.get("/login").unwrap().status, 200);
}

/// The key exchange group a rustls client offering only `groups` agrees with the server on, or
/// the handshake's error.
fn key_exchange(
    port: u16,
    pki: &Pki,
    groups: &[rustls::NamedGroup],
) -> Result<rustls::NamedGroup, String> {
    use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    provider.kx_groups.retain(|g| groups.contains(&g.name()));
    provider
        .kx_groups
        .sort_by_key(|g| groups.iter().position(|n| *n == g.name()));
    assert_eq!(provider.kx_groups.len(), groups.len(), "{groups:?}");
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(pki.path("ca.pem")).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name)
        .map_err(|e| e.to_string())?;
    let mut sock = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut sock).map_err(|e| e.to_string())?;
    }
    conn.negotiated_key_exchange_group()
        .map(|g| g.name())
        .ok_or_else(|| "no key exchange group".into())
}

/// Polls `done` every 200 ms until it holds or `limit` has passed.
fn wait_for(limit: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    for _ in 0..(limit.as_millis() / 200 + 1) {
        if done() {
            return true;
        }
        if Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    done()
}

// ---------------------------------------------------------------------------------------------
// 2. Behind a TLS proxy that forwards the verified certificate
// ---------------------------------------------------------------------------------------------

async fn behind_a_proxy(app: TestApp) {
    let unit = app.unit("PSYK");
    let nurse = app.user(&[Role::Clinician], &[unit]);
    let mut env = Env::new(&app.db.url);
    let pki = Pki::new(&env.path("ca"), "Test SITHS CA");
    let valid = Pki::escaped(&pki.card("valid", &nurse.hsa_id, Dates::Valid));
    let expired = Pki::escaped(&pki.card("expired", &nurse.hsa_id, Dates::Expired));
    let unknown = Pki::escaped(&pki.card("unknown", "SE2321000131-T99999", Dates::Valid));
    env.set("KONTOSPARR_CLIENT_CERT_PROXIES", "127.0.0.1");
    env.set("KONTOSPARR_CLIENT_CERT_HEADER", "X-Client-Cert");
    let mut server = Server::start(&env, "proxied");
    server.ready(Duration::from_secs(60)).unwrap();
    let port = server.port;
    const HEADER: &str = "X-Client-Cert";
    const LOCAL: [u8; 4] = [127, 0, 0, 1];
    const ELSEWHERE: [u8; 4] = [127, 0, 0, 2];

    // From the trusted proxy: in, without a password, logged with the way in.
    let before = last_id(&app);
    let mut c = Client::plain(port, LOCAL).header(HEADER, &valid);
    let r = c.card_login().unwrap();
    assert_eq!(r.status, 303, "{}", r.text());
    let home = c.get("/").unwrap();
    assert_eq!(home.status, 200);
    assert!(home.text().contains(&nurse.name));
    let e = one_entry(&app, before, "login", Some(&nurse.hsa_id));
    assert!(
        e.detail.contains("klientcertifikat (SITHS)") && e.detail.contains("via betrodd proxy"),
        "{e:?}"
    );

    // The same header from another address: ignored, and the attempt logged.
    let before = last_id(&app);
    let mut c = Client::plain(port, ELSEWHERE).header(HEADER, &valid);
    let r = c.card_login().unwrap();
    assert_eq!(r.status, 401);
    assert!(r.text().contains(NO_CARD_SV), "{}", r.text());
    assert_eq!(c.get("/").unwrap().status, 303, "not logged in");
    let e = one_entry(&app, before, "login_failed", None);
    assert!(
        e.detail.contains("127.0.0.2") && e.detail.contains("inte är en betrodd proxy"),
        "{e:?}"
    );
    assert_eq!(e.client_addr.as_deref(), Some("127.0.0.2"));
    assert!(
        server.log().contains("not a trusted proxy"),
        "{}",
        server.log()
    );

    // The header of the default name is not read when another is configured.
    let before = last_id(&app);
    let r = Client::plain(port, LOCAL)
        .header("X-SSL-Client-Cert", &valid)
        .card_login()
        .unwrap();
    assert_eq!(r.status, 401);
    let e = one_entry(&app, before, "login_failed", None);
    assert!(e.detail.contains("inget klientcertifikat"), "{e:?}");

    // An expired certificate from the proxy: refused by the dates, logged with its HSA-ID.
    let before = last_id(&app);
    let r = Client::plain(port, LOCAL)
        .header(HEADER, &expired)
        .card_login()
        .unwrap();
    assert_eq!(r.status, 401);
    assert!(r.text().contains(NO_CARD_SV), "{}", r.text());
    let e = one_entry(&app, before, "login_failed", Some(&nurse.hsa_id));
    assert!(e.detail.contains("gick ut 2025-02-01"), "{e:?}");

    // Not a certificate at all.
    let before = last_id(&app);
    let r = Client::plain(port, LOCAL)
        .header(HEADER, "-----BEGIN%20CERTIFICATE-----%0AAAAA")
        .card_login()
        .unwrap();
    assert_eq!(r.status, 401);
    let e = one_entry(&app, before, "login_failed", None);
    assert!(e.detail.contains("inget certifikat"), "{e:?}");

    // An unknown HSA-ID: the failed-login answer.
    let before = last_id(&app);
    let r = Client::plain(port, LOCAL)
        .header(HEADER, &unknown)
        .card_login()
        .unwrap();
    assert_eq!(r.status, 401);
    assert!(
        login_error(&r).starts_with("Inloggningen misslyckades"),
        "{}",
        r.text()
    );
    let e = one_entry(&app, before, "login_failed", Some("SE2321000131-T99999"));
    assert!(e.detail.contains("okänd användare"), "{e:?}");
}

/// The button is on the login page only when cards are configured; without, the route is not
/// there. With a trusted proxy but no header: the page says no card was presented.
async fn the_button_only_when_cards_are_configured(app: TestApp) {
    let mut b = app.browser();
    let page = b.get("/login").await;
    assert!(
        !page.body.contains("/login/siths"),
        "no card login configured"
    );
    let r = b
        .post("/login/siths", &[("csrf_token", &page.csrf())])
        .await;
    assert_eq!(r.status, 404);
    let app = TestApp::builder(app.backend())
        .config(|c| c.client_cert_proxies = vec!["192.0.2.1".into()])
        .start()
        .await;
    let mut b = app.browser();
    let page = b.get("/login").await;
    assert!(page.body.contains("action=\"/login/siths\""));
    let r = b
        .post("/login/siths", &[("csrf_token", &page.csrf())])
        .await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains(NO_CARD_SV), "{}", r.body);
}
