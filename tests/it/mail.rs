//! Feedback by e-mail through the outbox, against a real SMTP server on loopback (aiosmtpd with
//! STARTTLS), on SQLite and PostgreSQL. Encrypted messages are opened with `openssl cms`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{Backend, TestApp};
use kontosparr::clock::Clock;
use kontosparr::config::SmtpSettings;
use kontosparr::domain::Role;
use kontosparr::service::Ctx;
use kontosparr::service::cases::{self, CaseInput, ExecuteInput, Workflow};
use kontosparr::service::outbox::{Report, deliver_due};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

dual!(
    encrypted_feedback_opens_with_openssl_and_closes_the_case,
    without_a_certificate_the_notice_has_no_personal_data,
    an_smtp_outage_loses_nothing_and_sends_each_once,
    a_server_without_starttls_is_refused,
    two_workers_deliver_each_message_once,
);

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[derive(Clone, Copy)]
pub(crate) enum Usage {
    /// keyEncipherment + digitalSignature, emailProtection: an S/MIME recipient.
    Encryption,
    /// keyEncipherment only.
    EncipherOnly,
    /// digitalSignature only: cannot receive encrypted mail.
    SigningOnly,
}

/// A self-signed certificate valid from a day before the test clock's start (t0) to `days`
/// after it, written as `<name>.pem` and `<name>.key`. Certificates the app judges must be valid
/// at the app's clock, whatever day the suite runs on.
pub(crate) fn cert_at_t0(
    dir: &Path,
    name: &str,
    cn: &str,
    email: Option<&str>,
    days: i64,
    usage: Usage,
) {
    use openssl::asn1::{Asn1Integer, Asn1Time};
    use openssl::bn::BigNum;
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::x509::extension::{ExtendedKeyUsage, KeyUsage};
    use openssl::x509::{X509, X509NameBuilder};
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut subject = X509NameBuilder::new().unwrap();
    subject.append_entry_by_text("CN", cn).unwrap();
    if let Some(e) = email {
        subject
            .append_entry_by_nid(Nid::PKCS9_EMAILADDRESS, e)
            .unwrap();
    }
    let subject = subject.build();
    let t0 = common::t0().timestamp();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let serial: Asn1Integer = BigNum::from_u32(rand_serial())
        .unwrap()
        .to_asn1_integer()
        .unwrap();
    b.set_serial_number(&serial).unwrap();
    b.set_subject_name(&subject).unwrap();
    b.set_issuer_name(&subject).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::from_unix(t0 - 86_400).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(t0 + days * 86_400).unwrap())
        .unwrap();
    let ku = match usage {
        Usage::Encryption => KeyUsage::new()
            .critical()
            .key_encipherment()
            .digital_signature()
            .build(),
        Usage::EncipherOnly => KeyUsage::new().critical().key_encipherment().build(),
        Usage::SigningOnly => KeyUsage::new().critical().digital_signature().build(),
    };
    b.append_extension(ku.unwrap()).unwrap();
    if let Usage::Encryption = usage {
        b.append_extension(ExtendedKeyUsage::new().email_protection().build().unwrap())
            .unwrap();
    }
    b.sign(&key, MessageDigest::sha256()).unwrap();
    let cert = b.build();
    std::fs::write(dir.join(format!("{name}.pem")), cert.to_pem().unwrap()).unwrap();
    std::fs::write(
        dir.join(format!("{name}.key")),
        key.private_key_to_pem_pkcs8().unwrap(),
    )
    .unwrap();
}

fn rand_serial() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::process::id() as u64);
    (h.finish() as u32) | 1
}

struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    fn new() -> Keys {
        let dir = tempfile::tempdir().unwrap();
        openssl(
            dir.path(),
            &[
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
            ],
        );
        // The recipient's certificate is judged at the app's clock (t0), not at the wall clock.
        cert_at_t0(
            dir.path(),
            "recipient",
            "Verksamhetschef PSYK",
            Some("chef@example.se"),
            365,
            Usage::Encryption,
        );
        Keys { dir }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

struct Sink {
    child: Child,
    out: tempfile::TempDir,
}

impl Sink {
    fn start(keys: &Keys, port: u16, plain: bool) -> Sink {
        let out = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/sink.py");
        let mut cmd = Command::new("python3");
        cmd.arg(script).args([
            "--port",
            &port.to_string(),
            "--out",
            &out.path().display().to_string(),
        ]);
        if plain {
            cmd.arg("--plain");
        } else {
            cmd.args([
                "--cert",
                &keys.path("server.pem").display().to_string(),
                "--key",
                &keys.path("server.key").display().to_string(),
            ]);
        }
        let mut child = cmd
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
        Sink { child, out }
    }
    fn messages(&self) -> Vec<Vec<u8>> {
        let mut files: Vec<_> = std::fs::read_dir(self.out.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files.iter().map(|p| std::fs::read(p).unwrap()).collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

use crate::common::free_port;

/// The app with mail going to 127.0.0.1:port over STARTTLS, trusting the test server's cert.
async fn app_with_mail(backend: Backend, keys: &Keys, port: u16) -> (TestApp, SmtpSettings) {
    let app = TestApp::builder(backend)
        .config(|c| {
            c.smtp_url = format!("smtp://127.0.0.1:{port}");
            c.smtp_from = "kontosparr@example.se".into();
            c.smtp_ca_file = keys.path("server.pem").display().to_string();
        })
        .start()
        .await;
    let smtp = app.state.config.smtp().unwrap().unwrap();
    (app, smtp)
}

struct Setup {
    unit: i64,
    doctor: Ctx,
    handler: Ctx,
    wf: Workflow,
}

fn setup(app: &TestApp, with_cert: Option<&Keys>) -> Setup {
    let unit = app.unit("PSYK");
    let manager = app.user_with(&[Role::Manager], &[unit], true);
    kontosparr::db::users::update_profile(
        &mut app.conn(),
        manager.id,
        &kontosparr::db::users::ProfileChange {
            name: &manager.name,
            email: "chef@example.se",
            is_decider: true,
            active: true,
            updated_at: kontosparr::db::ts(app.clock.now()),
        },
    )
    .unwrap();
    let input = kontosparr::service::admin::UnitInput {
        code: "PSYK".into(),
        name: "Psykiatri".into(),
        manager_user_id: manager.id.to_string(),
        chief_physician_function: "Chefläkare".into(),
        chief_physician_email: "cl@example.se".into(),
        active: true,
        ..Default::default()
    };
    kontosparr::service::admin::update_unit(&mut app.conn(), &app.ctx(), unit, &input).unwrap();
    if let Some(k) = with_cert {
        let pem = std::fs::read_to_string(k.path("recipient.pem")).unwrap();
        kontosparr::service::admin::set_certificate(&mut app.conn(), &app.ctx(), unit, &pem)
            .unwrap();
    }
    let doctor = app.user_with(&[Role::Clinician], &[unit], true);
    let handler = app.user(&[Role::Handler], &[]);
    let ctx = |id| Ctx {
        now: app.clock.now(),
        client_addr: "t".into(),
        principal: kontosparr::service::Principal::Staff(
            kontosparr::service::session::load_holder(&mut app.conn(), id)
                .unwrap()
                .staff()
                .cloned()
                .unwrap(),
        ),
    };
    Setup {
        unit,
        doctor: ctx(doctor.id),
        handler: ctx(handler.id),
        wf: Workflow::from_config(&app.state.config),
    }
}

/// Files, handles and executes a lock for the citizen; returns the case id.
fn executed_lock(app: &TestApp, s: &Setup, pnr: &str, name: &str) -> i64 {
    let mut conn = app.conn();
    let c = &mut conn;
    let input = CaseInput {
        kind: "lock".into(),
        unit_id: s.unit.to_string(),
        citizen_pnr: pnr.into(),
        citizen_name: name.into(),
        risk_kinds: vec!["hot".into()],
        basis: vec!["security".into()],
        situations: vec!["threat".into()],
        assessment_reasons: "Skäl".into(),
        assessment_risks: "Risker".into(),
        assessment_scope: "Omfattning".into(),
        requested_by: "staff".into(),
        journal_note_date: "2026-11-20".into(),
        chief_informed_date: "2026-11-20".into(),
        chief_informed_whom: "Chefläkare".into(),
        patient_informed_date: "2026-11-20".into(),
        journal_sealing: "no".into(),
        review_responsible_user_id: s.doctor.user_id().unwrap().to_string(),
        care_provider: "region".into(),
        duplicate_reason: "Testfall: ny låsning".into(),
        version: 1,
        ..Default::default()
    };
    let id = cases::create_draft(c, &s.doctor, &input, &s.wf).unwrap();
    let v = |c: &mut kontosparr::db::DbConnection| {
        kontosparr::db::cases::get(c, id).unwrap().unwrap().version
    };
    let x = v(c);
    cases::sign(c, &s.doctor, id, x, &s.wf).unwrap();
    // The signature's notice to the chefläkare (tested in `startpages`) is not these tests'
    // mail: it is taken out of the queue, so that they count and read the feedback alone.
    {
        use diesel::prelude::*;
        use kontosparr::db::schema::outbox;
        let gone = diesel::delete(
            outbox::table
                .filter(outbox::case_id.eq(id))
                .filter(outbox::kind.eq("lock_signed_notice")),
        )
        .execute(c)
        .unwrap();
        assert_eq!(gone, 1, "the unit's chefläkare mailbox was notified");
    }
    let x = v(c);
    cases::submit(c, &s.doctor, id, x).unwrap();
    let x = v(c);
    cases::receive(c, &s.handler, id, x).unwrap();
    for item in ["register_match", "earlier_cases", "category"] {
        let x = v(c);
        cases::check_item(
            c,
            &s.handler,
            id,
            x,
            item,
            "Kontrollerad",
            app.state.register.as_ref(),
        )
        .unwrap();
    }
    let x = v(c);
    cases::verify(c, &s.handler, id, x).unwrap();
    let x = v(c);
    cases::execute(
        c,
        &s.handler,
        id,
        &ExecuteInput {
            helpdesk_ref: "RÄLS-1".into(),
            confirmed: true,
            version: x,
        },
        &s.wf,
    )
    .unwrap();
    id
}

/// Decodes quoted-printable text (the MIME parts inside the envelope).
fn qp_decode(s: &str) -> String {
    let s = s.replace("=\r\n", "").replace("=\n", "");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The Subject header of a message: unfolded, with its RFC 2047 encoded words decoded.
fn subject_of(m: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(m);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let value = unfolded.lines().find_map(|l| {
        l.split_once(':')
            .filter(|(k, _)| k.eq_ignore_ascii_case("subject"))
            .map(|(_, v)| v.trim().to_string())
    })?;
    let decode = |word: &str| -> Option<String> {
        let inner = word.strip_prefix("=?")?.strip_suffix("?=")?;
        let mut parts = inner.splitn(3, '?');
        let (charset, encoding, data) = (parts.next()?, parts.next()?, parts.next()?);
        assert!(charset.eq_ignore_ascii_case("utf-8"), "{word}");
        let bytes = match encoding {
            "B" | "b" => data_encoding::BASE64.decode(data.as_bytes()).ok()?,
            "Q" | "q" => qp_decode(&data.replace('_', " ")).into_bytes(),
            _ => return None,
        };
        Some(String::from_utf8(bytes).expect("utf-8"))
    };
    // Whitespace between two encoded words is not part of the text; elsewhere it is one space.
    let mut out = String::new();
    let mut previous_encoded = false;
    for word in value.split_whitespace() {
        match decode(word) {
            Some(d) => {
                if !out.is_empty() && !previous_encoded {
                    out.push(' ');
                }
                out.push_str(&d);
                previous_encoded = true;
            }
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
                previous_encoded = false;
            }
        }
    }
    Some(out)
}

fn status_of(app: &TestApp, id: i64) -> String {
    kontosparr::db::cases::get(&mut app.conn(), id)
        .unwrap()
        .unwrap()
        .status
        .code()
        .to_string()
}

/// Everything of a message a reader sees without the key: the headers, and the body when it
/// is not an encrypted part.
fn clear_parts(m: &[u8]) -> String {
    let text = String::from_utf8_lossy(m).into_owned();
    if text.contains("application/pkcs7-mime") {
        text.split("\r\n\r\n").next().unwrap_or("").to_string()
    } else {
        text
    }
}

async fn encrypted_feedback_opens_with_openssl_and_closes_the_case(app: TestApp) {
    let keys = Keys::new();
    let port = free_port();
    let sink = Sink::start(&keys, port, false);
    let (app2, smtp) = app_with_mail(app.backend(), &keys, port).await;
    drop(app);
    let app = app2;
    let s = setup(&app, Some(&keys));
    let id = executed_lock(&app, &s, "19121212-1212", "Tolvan Tolvansson");
    assert_eq!(status_of(&app, id), "executed");
    let r = deliver_due(&app.pool, &smtp, app.clock.as_ref(), "w1").unwrap();
    assert_eq!(
        r,
        Report {
            sent: 1,
            retrying: 0,
            failed: 0
        }
    );
    let msgs = sink.messages();
    assert_eq!(msgs.len(), 1);
    let clear = clear_parts(&msgs[0]);
    assert!(clear.contains("application/pkcs7-mime") && clear.contains("enveloped-data"));
    assert_eq!(
        subject_of(&msgs[0]).as_deref(),
        Some("Återkoppling från Spärr- och loggservice")
    );
    for secret in ["19121212", "121212-1212", "Tolvan"] {
        assert!(
            !String::from_utf8_lossy(&msgs[0]).contains(secret),
            "{secret} in clear"
        );
    }
    let eml = keys.path("msg.eml");
    std::fs::write(&eml, &msgs[0]).unwrap();
    let out = Command::new("openssl")
        .args(["cms", "-decrypt", "-in"])
        .arg(&eml)
        .arg("-inkey")
        .arg(keys.path("recipient.key"))
        .arg("-recip")
        .arg(keys.path("recipient.pem"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plain = qp_decode(&String::from_utf8_lossy(&out.stdout));
    let year = chrono::Utc::now().format("%Y").to_string();
    for want in [
        "Låsning",
        &format!("KSD {year}-00001"),
        "19121212-1212",
        "Tolvan Tolvansson",
        "Verkställd",
    ] {
        assert!(plain.contains(want), "{want} in {plain}");
    }
    assert_eq!(status_of(&app, id), "closed");
    // The case shows the delivery; nothing more to send.
    assert_eq!(
        deliver_due(&app.pool, &smtp, app.clock.as_ref(), "w1").unwrap(),
        Report::default()
    );
    assert!(
        app.audit_actions()
            .contains(&"case_feedback_delivered".to_string())
    );
}

async fn without_a_certificate_the_notice_has_no_personal_data(app: TestApp) {
    let keys = Keys::new();
    let port = free_port();
    let sink = Sink::start(&keys, port, false);
    let (app2, smtp) = app_with_mail(app.backend(), &keys, port).await;
    drop(app);
    let app = app2;
    let s = setup(&app, None);
    let id = executed_lock(&app, &s, "19570428-9999", "Anna Andersson");
    deliver_due(&app.pool, &smtp, app.clock.as_ref(), "w1").unwrap();
    let msgs = sink.messages();
    assert_eq!(msgs.len(), 1);
    let all = String::from_utf8_lossy(&msgs[0]).into_owned();
    for secret in ["19570428", "570428", "9999", "Anna", "Andersson", "KSD"] {
        assert!(
            !all.contains(secret),
            "{secret} must not be in a clear message"
        );
    }
    assert!(
        all.contains(&format!("/arenden/{id}")),
        "a link to read it after login"
    );
    assert!(!all.contains("pkcs7"));
    assert_eq!(
        subject_of(&msgs[0]).as_deref(),
        Some("Återkoppling från Spärr- och loggservice")
    );
    assert!(qp_decode(&all).contains("<html lang=\"sv\">"));
    // A manager who chose English gets the next one in English.
    let manager = kontosparr::db::org::unit(&mut app.conn(), s.unit)
        .unwrap()
        .unwrap()
        .manager_user_id
        .unwrap();
    let now = kontosparr::db::ts(app.clock.now());
    assert!(kontosparr::db::users::set_lang(&mut app.conn(), manager, "en", now).unwrap());
    executed_lock(&app, &s, "19460823-9986", "Berit Bengtsson");
    deliver_due(&app.pool, &smtp, app.clock.as_ref(), "w1").unwrap();
    let msgs = sink.messages();
    assert_eq!(msgs.len(), 2);
    let en = qp_decode(&String::from_utf8_lossy(&msgs[1]));
    assert_eq!(
        subject_of(&msgs[1]).as_deref(),
        Some("Feedback from the Lock and Log Service")
    );
    assert!(en.contains("<html lang=\"en\">"), "{en}");
    assert!(
        en.contains("Log in to Kontospärr to read the feedback"),
        "{en}"
    );
    assert!(!en.contains("Logga in"), "{en}");
    for secret in ["19460823", "9986", "Berit", "Bengtsson"] {
        assert!(
            !en.contains(secret),
            "{secret} must not be in a clear message"
        );
    }
}

async fn an_smtp_outage_loses_nothing_and_sends_each_once(app: TestApp) {
    let keys = Keys::new();
    let port = free_port();
    let (app2, smtp) = app_with_mail(app.backend(), &keys, port).await;
    drop(app);
    let app = app2;
    let s = setup(&app, Some(&keys));
    let pnrs = [
        "19121212-1212",
        "19570428-9999",
        "19460823-9986",
        "20000229-2399",
    ];
    for i in 0..20 {
        executed_lock(&app, &s, pnrs[i % 4], "Testperson");
    }
    // The server is down: every message waits for a retry.
    let r = deliver_due(&app.pool, &smtp, app.clock.as_ref(), "w1").unwrap();
    assert_eq!(r.sent, 0);
    assert_eq!(r.retrying, 20);
    // Not due again yet.
    let sink = Sink::start(&keys, port, false);
    assert_eq!(
        deliver_due(&app.pool, &smtp, app.clock.as_ref(), "w1").unwrap(),
        Report::default()
    );
    app.clock.advance(chrono::Duration::minutes(2));
    let r = deliver_due(&app.pool, &smtp, app.clock.as_ref(), "w1").unwrap();
    assert_eq!(r.sent, 20);
    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(
        deliver_due(&app.pool, &smtp, app.clock.as_ref(), "w1").unwrap(),
        Report::default()
    );
    let msgs = sink.messages();
    assert_eq!(msgs.len(), 20, "each message exactly once");
    let ids: std::collections::BTreeSet<String> = msgs
        .iter()
        .map(|m| {
            String::from_utf8_lossy(m)
                .lines()
                .find(|l| l.starts_with("Message-ID"))
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 20);
}

async fn a_server_without_starttls_is_refused(app: TestApp) {
    let keys = Keys::new();
    let port = free_port();
    let sink = Sink::start(&keys, port, true);
    let (app2, smtp) = app_with_mail(app.backend(), &keys, port).await;
    drop(app);
    let app = app2;
    let s = setup(&app, Some(&keys));
    let id = executed_lock(&app, &s, "19121212-1212", "Tolvan Tolvansson");
    let r = deliver_due(&app.pool, &smtp, app.clock.as_ref(), "w1").unwrap();
    assert_eq!(r.sent, 0);
    assert_eq!(r.retrying, 1);
    assert!(sink.messages().is_empty(), "nothing is sent without TLS");
    let d = kontosparr::service::outbox::for_case(&mut app.conn(), id).unwrap();
    assert_eq!(d[0].status, "pending");
    assert!(!d[0].last_error.is_empty());
    assert_eq!(status_of(&app, id), "executed");
}

async fn two_workers_deliver_each_message_once(app: TestApp) {
    let keys = Keys::new();
    let port = free_port();
    let sink = Sink::start(&keys, port, false);
    let (app2, smtp) = app_with_mail(app.backend(), &keys, port).await;
    drop(app);
    let app = app2;
    let s = setup(&app, Some(&keys));
    for _ in 0..12 {
        executed_lock(&app, &s, "19121212-1212", "Tolvan Tolvansson");
    }
    let workers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|w| {
            let pool = app.pool.clone();
            let smtp = smtp.clone();
            let clock = app.clock.clone();
            std::thread::spawn(move || {
                let mut total = 0;
                for _ in 0..5 {
                    total += deliver_due(&pool, &smtp, clock.as_ref(), w).unwrap().sent;
                }
                total
            })
        })
        .collect();
    let sent: usize = workers.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(sent, 12);
    assert_eq!(sink.messages().len(), 12);
}

dual!(admin_manages_certificates_and_failed_mail);

async fn admin_manages_certificates_and_failed_mail(app: TestApp) {
    let keys = Keys::new();
    cert_at_t0(
        keys.dir.path(),
        "soon",
        "Snart utgången",
        Some("chef.utan@example.se"),
        20,
        Usage::EncipherOnly,
    );
    cert_at_t0(
        keys.dir.path(),
        "sign",
        "Bara signering",
        None,
        200,
        Usage::SigningOnly,
    );
    // A unit without a verksamhetschef: its feedback cannot be sent, and the admin sees why.
    let unit = app.unit("UTAN");
    let doctor = app.user_with(&[Role::Clinician], &[unit], true);
    let handler = app.user(&[Role::Handler], &[]);
    let ctx = |id| Ctx {
        now: app.clock.now(),
        client_addr: "t".into(),
        principal: kontosparr::service::Principal::Staff(
            kontosparr::service::session::load_holder(&mut app.conn(), id)
                .unwrap()
                .staff()
                .cloned()
                .unwrap(),
        ),
    };
    let s = Setup {
        unit,
        doctor: ctx(doctor.id),
        handler: ctx(handler.id),
        wf: Workflow::from_config(&app.state.config),
    };
    let id = executed_lock(&app, &s, "19121212-1212", "Tolvan Tolvansson");
    let admin = app.user(&[Role::Admin], &[]);
    let mut a = app.browser();
    app.login(&mut a, &admin).await;
    let list = a.get("/admin/post").await;
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains("saknar verksamhetschef")
            && list.body.contains(&format!("/arenden/{id}"))
    );
    let token = list.csrf();
    let msg_id = {
        let at = list.body.find("/admin/post/").unwrap() + "/admin/post/".len();
        list.body[at..].split('/').next().unwrap().to_string()
    };
    let r = a
        .post(
            &format!("/admin/post/{msg_id}/skicka-igen"),
            &[("csrf_token", &token)],
        )
        .await;
    assert!(r.body.contains("ingen mottagare"), "{}", r.body);
    // Certificates: checked on upload, with the error beside the field and the text kept. The
    // certificate must be the unit manager's, so the unit gets one first.
    let chef = app.user_with(&[Role::Manager], &[unit], true);
    kontosparr::db::users::update_profile(
        &mut app.conn(),
        chef.id,
        &kontosparr::db::users::ProfileChange {
            name: &chef.name,
            email: "chef.utan@example.se",
            is_decider: true,
            active: true,
            updated_at: kontosparr::db::ts(app.clock.now()),
        },
    )
    .unwrap();
    let with_manager = kontosparr::service::admin::UnitInput {
        code: "UTAN".into(),
        name: "Enhet UTAN".into(),
        manager_user_id: chef.id.to_string(),
        chief_physician_function: "Chefläkare Område 1".into(),
        chief_physician_email: "chefslakare@example.se".into(),
        active: true,
        ..Default::default()
    };
    kontosparr::service::admin::update_unit(&mut app.conn(), &app.ctx(), unit, &with_manager)
        .unwrap();
    let path = format!("/admin/enheter/{unit}");
    let bad = a
        .submit(
            &path,
            &format!("{path}/certifikat"),
            &[("pem", "inte ett certifikat")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"pem-error\"") && bad.body.contains("inte ett certifikat"));
    let signing = std::fs::read_to_string(keys.path("sign.pem")).unwrap();
    let r = a
        .submit(&path, &format!("{path}/certifikat"), &[("pem", &signing)])
        .await;
    assert!(
        r.body.contains("får inte användas för kryptering"),
        "{}",
        r.body
    );
    let soon = std::fs::read_to_string(keys.path("soon.pem")).unwrap();
    let r = a
        .submit(&path, &format!("{path}/certifikat"), &[("pem", &soon)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = a.get(&path).await;
    assert!(
        page.body.contains("Går ut om"),
        "a warning well before expiry"
    );
    app.clock.advance(chrono::Duration::days(60));
    app.login(&mut a, &admin).await;
    assert!(a.get(&path).await.body.contains("Utgånget"));
    assert!(
        app.audit_actions()
            .contains(&"unit_certificate_set".to_string())
    );
    // The case page shows the delivery state to the handler.
    let mut h = app.browser();
    app.login(&mut h, &handler).await;
    let case = h.get(&format!("/arenden/{id}")).await;
    assert!(case.body.contains("kunde inte skickas"));
}
