//! Logging in through an OpenID Connect provider, against a real one: `oidc-provider` (npm) on
//! loopback, started per test by `tests/oidc/provider.mjs`. A small cookie-keeping client walks
//! the flow by hand — the app's button, the provider's authorization endpoint and its own login
//! page (a form posted), back to the app's callback — and the refusals the provider would never
//! make on its own (another audience, an expired token, a forged signature, another nonce, a new
//! key) are asked of the script's token post-processing. Every refusal must be in the access log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{self, PASSWORD, Resp, TestApp};
use diesel::prelude::*;
use kontosparr::clock::Clock;
use kontosparr::config::OidcProvider;
use kontosparr::db::DbConnection;
use kontosparr::domain::Role;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Like `dual!`, but each test makes its app itself (the provider must know the app's address
/// before the app starts, and the app the provider's): `async fn name(backend: Backend)`, run
/// on SQLite and on PostgreSQL.
macro_rules! dual_with_provider {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }
            #[actix_web::test]
            async fn postgres() {
                super::$name($crate::common::Backend::Postgres).await
            }
        }
    )*};
}

dual_with_provider!(
    happy_path,
    keys_are_read_again_for_an_unknown_kid,
    wrong_audience_is_refused,
    expired_token_is_refused,
    bad_signature_is_refused,
    nonce_mismatch_is_refused,
    replayed_state_is_refused,
    too_low_acr_is_refused_with_a_clear_page,
    unknown_hsa_id_gets_the_failed_login_answer,
    disabled_user_gets_the_failed_login_answer,
    logout_ends_the_session_here_and_at_the_provider,
    password_login_for_admins_only,
    a_provider_that_is_down_is_said_so,
    cancelling_at_the_provider_is_logged,
);

const LOA2: &str = "http://id.elegnamnden.se/loa/1.0/loa2";
const LOA3: &str = "http://id.elegnamnden.se/loa/1.0/loa3";
const SECRET: &str = "test-secret-not-for-production";

/// The provider process (ended when dropped).
pub struct Op {
    child: Child,
    pub issuer: String,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Op {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Op {
    /// `node tests/oidc/provider.mjs` on a free loopback port, with the app at `app_base` as its
    /// client (callback and post-logout address registered).
    pub fn start(app_base: &str, provider_id: &str) -> Op {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(
            root.join("node_modules/oidc-provider").exists(),
            "node_modules/oidc-provider is missing: run `npm ci` (scripts/test does)"
        );
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("provider.log");
        let mut child = Command::new("node")
            .arg(root.join("tests/oidc/provider.mjs"))
            .args(["--port", "0", "--client-id", "kontosparr"])
            .args(["--client-secret", SECRET])
            .args([
                "--redirect-uri",
                &format!("{app_base}/login/oidc/{provider_id}/callback"),
            ])
            .args([
                "--post-logout-redirect-uri",
                &format!("{app_base}/utloggad"),
            ])
            .current_dir(root)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("node starts (Node.js is needed)");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(issuer) = line.strip_prefix("READY ") {
                    let _ = tx.send(issuer.to_string());
                }
            }
        });
        let issuer = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(i) => i,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "the OpenID provider did not start:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        };
        Op {
            child,
            issuer,
            log,
            _dir: dir,
        }
    }

    pub fn config(&self, id: &str) -> OidcProvider {
        OidcProvider {
            id: id.into(),
            name: "Test-IdP".into(),
            issuer: self.issuer.clone(),
            client_id: "kontosparr".into(),
            client_secret: SECRET.into(),
            client_secret_file: String::new(),
            hsa_id_claim: kontosparr::config::oidc::default_hsa_id_claim(),
            required_acr: LOA3.into(),
            scopes: vec!["profile".into()],
        }
    }

    /// The next ID token from the token endpoint comes altered (`aud`, `expired`, `nonce`,
    /// `signature`) or, from now on, signed with a new key (`rotate`).
    pub async fn next_token(&self, mode: &str) {
        let r = awc::Client::new()
            .post(format!("{}/__test/next-token", self.issuer))
            .send_body(mode.to_string())
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 204, "{mode}");
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A cookie-keeping client for two sites (the app and the provider), following nothing by
/// itself.
#[derive(Default)]
pub struct Agent {
    /// (host, path, name) → value
    cookies: Vec<(String, String, String, String)>,
    pub lang: Option<String>,
}

fn split_url(url: &str) -> (String, String) {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    (host.to_string(), path.to_string())
}

impl Agent {
    fn cookie_header(&self, url: &str) -> Option<String> {
        let (host, path) = split_url(url);
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|(h, p, _, _)| *h == host && path.starts_with(p.as_str()))
            .map(|(_, _, n, v)| format!("{n}={v}"))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    fn keep(&mut self, url: &str, set_cookie: &str) {
        let (host, req_path) = split_url(url);
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.trim().split_once('=')) else {
            return;
        };
        let mut path = req_path;
        let mut removed = value.is_empty();
        for attr in parts {
            let attr = attr.trim();
            let lower = attr.to_ascii_lowercase();
            if let Some(p) = lower.strip_prefix("path=") {
                path = attr[attr.len() - p.len()..].to_string();
            }
            if lower == "max-age=0" || lower.starts_with("expires=thu, 01 jan 1970") {
                removed = true;
            }
        }
        self.cookies
            .retain(|(h, p, n, _)| !(*h == host && *p == path && n == name));
        if !removed {
            self.cookies
                .push((host, path, name.to_string(), value.to_string()));
        }
    }

    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.iter().any(|(_, _, n, _)| n == name)
    }

    async fn send(&mut self, url: &str, form: Option<&[(&str, &str)]>) -> Resp {
        let client = awc::Client::builder()
            .disable_redirects()
            .timeout(Duration::from_secs(30))
            .finish();
        let mut req = match form {
            Some(_) => client
                .post(url)
                .insert_header(("content-type", "application/x-www-form-urlencoded")),
            None => client.get(url),
        };
        if let Some(c) = self.cookie_header(url) {
            req = req.insert_header(("cookie", c));
        }
        if let Some(l) = &self.lang {
            req = req.insert_header(("accept-language", l.clone()));
        }
        let mut res = match form {
            Some(f) => req
                .send_body(serde_html_form::to_string(f).unwrap())
                .await
                .unwrap(),
            None => req.send().await.unwrap(),
        };
        let headers: Vec<(String, String)> = res
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        for (k, v) in &headers {
            if k == "set-cookie" {
                self.keep(url, v);
            }
        }
        let body = res.body().limit(4 * 1024 * 1024).await.unwrap();
        Resp {
            status: res.status().as_u16(),
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub async fn get(&mut self, url: &str) -> Resp {
        self.send(url, None).await
    }

    pub async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Resp {
        self.send(url, Some(form)).await
    }
}

/// `location` made absolute against `base` (the site that answered).
fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_string()
    } else {
        let (host, _) = split_url(base);
        format!("http://{host}{location}")
    }
}

/// The `action` of the form whose action contains `part`.
fn form_action(html: &str, part: &str) -> String {
    html.split("action=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].replace("&amp;", "&"))
        .find(|a| a.contains(part))
        .unwrap_or_else(|| panic!("no form posting to …{part}… in:\n{html}"))
}

/// An app with the provider `test` configured, the provider running, the clock at real time
/// (the provider's tokens are stamped with it).
async fn setup(
    backend: common::Backend,
    change: impl FnOnce(&mut kontosparr::config::Config),
) -> (TestApp, Op) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let op = Op::start(&base, "test");
    let provider = op.config("test");
    let app = TestApp::builder(backend)
        .listener(listener)
        .config(move |c| {
            c.oidc_providers = vec![provider];
            change(c);
        })
        .start()
        .await;
    app.clock.set(chrono::Utc::now());
    (app, op)
}

/// From the login page through the provider's login (as `hsa_id`, asserting `acr`) to the app's
/// callback; returns the callback's URL and answer.
async fn through_provider(
    app: &TestApp,
    op: &Op,
    a: &mut Agent,
    hsa_id: &str,
    acr: &str,
) -> (String, Resp) {
    let login = a.get(&format!("{}/login", app.base)).await;
    assert_eq!(login.status, 200);
    assert!(
        login.body.contains("href=\"/login/oidc/test\""),
        "{}",
        login.body
    );
    let start = a.get(&format!("{}/login/oidc/test", app.base)).await;
    assert_eq!(start.status, 303, "{}", start.body);
    let to_op = start.location().unwrap().to_string();
    assert!(to_op.starts_with(&op.issuer), "{to_op}");
    for must in [
        "code_challenge=",
        "code_challenge_method=S256",
        "state=",
        "nonce=",
        "acr_values=",
    ] {
        assert!(to_op.contains(must), "{must} missing from {to_op}");
    }
    let mut r = a.get(&to_op).await;
    let mut url = to_op;
    // The provider's redirects up to its own login page.
    while r.status == 303 || r.status == 302 {
        url = absolute(&url, r.location().unwrap());
        r = a.get(&url).await;
    }
    assert_eq!(
        r.status,
        200,
        "the provider's login page: {}\n{}",
        r.body,
        op.log()
    );
    // The provider's login form, or its cancel button (an empty HSA-ID here).
    let (action, r) = if hsa_id.is_empty() {
        let action = absolute(&url, &form_action(&r.body, "/abort"));
        let r = a.post(&action, &[]).await;
        (action, r)
    } else {
        let action = absolute(&url, &form_action(&r.body, "/login"));
        let r = a.post(&action, &[("hsa_id", hsa_id), ("acr", acr)]).await;
        (action, r)
    };
    let mut r = r;
    let mut url = action;
    let callback_prefix = format!("{}/login/oidc/test/callback", app.base);
    loop {
        assert!(
            matches!(r.status, 302 | 303),
            "{}: {}\n{}",
            r.status,
            r.body,
            op.log()
        );
        url = absolute(&url, r.location().unwrap());
        if url.starts_with(&callback_prefix) {
            break;
        }
        r = a.get(&url).await;
    }
    let answer = a.get(&url).await;
    (url, answer)
}

/// A clinician of a unit of their own.
fn clinician(app: &TestApp) -> common::TestUser {
    let unit = app.unit(&format!("U{}", rand_suffix()));
    app.user(&[Role::Clinician], &[unit])
}

fn rand_suffix() -> String {
    kontosparr::auth::tokens::random_token()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(6)
        .collect::<String>()
        .to_uppercase()
}

/// The log's rows, each detail as an auditor reading Swedish sees it (stored, it is a message).
fn log_rows(app: &TestApp) -> Vec<(String, Option<String>, Option<String>)> {
    use kontosparr::db::schema::access_log::dsl::*;
    access_log
        .order(id.asc())
        .select((action, user_hsa_id, detail))
        .load::<(String, Option<String>, Option<String>)>(&mut app.conn() as &mut DbConnection)
        .unwrap()
        .into_iter()
        .map(|(a, u, d)| {
            (
                a,
                u,
                d.map(|d| kontosparr::messages::log::log_detail(kontosparr::i18n::Lang::Sv, &d)),
            )
        })
        .collect()
}

/// The newest `login_failed` entry's detail.
fn last_refusal(app: &TestApp) -> String {
    log_rows(app)
        .into_iter()
        .rev()
        .find(|(a, _, _)| a == "login_failed")
        .and_then(|(_, _, d)| d)
        .expect("a login_failed entry")
}

/// A refused callback: the failed-login page, no session, the reason logged.
async fn assert_refused(app: &TestApp, a: &mut Agent, answer: &Resp, reason: &str) {
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert!(
        answer.body.contains("Inloggningen misslyckades"),
        "{}",
        answer.body
    );
    let home = a.get(&format!("{}/", app.base)).await;
    assert_eq!(home.status, 303);
    assert_eq!(home.location(), Some("/login"));
    let detail = last_refusal(app);
    assert!(detail.contains(reason), "{reason} not in the log: {detail}");
    assert!(detail.contains("OpenID Connect via test"), "{detail}");
}

async fn happy_path(backend: common::Backend) {
    let (app, op) = setup(backend, |_| {}).await;
    let unit = app.unit("PSYK");
    let u = app.user(&[Role::Clinician], &[unit]);
    let mut a = Agent::default();
    let (_, answer) = through_provider(&app, &op, &mut a, &u.hsa_id, LOA3).await;
    assert_eq!(answer.status, 200, "{}\n{}", answer.body, op.log());
    assert!(
        answer.body.contains("http-equiv=\"refresh\""),
        "{}",
        answer.body
    );
    assert!(
        !a.has_cookie("kontosparr-oidc"),
        "the login's cookie is removed"
    );
    let home = a.get(&format!("{}/", app.base)).await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains(&u.name));
    // The access log names the method, the provider and the level.
    let (action, who, detail) = log_rows(&app).pop().unwrap();
    assert_eq!(action, "login");
    assert_eq!(who.as_deref(), Some(u.hsa_id.as_str()));
    let detail = detail.unwrap();
    assert!(
        detail.contains("OpenID Connect via test")
            && detail.contains("Test-IdP")
            && detail.contains(LOA3),
        "{detail}"
    );
    use kontosparr::db::schema::sessions::dsl::*;
    let methods: Vec<Option<String>> = sessions
        .filter(user_id.eq(Some(u.id)))
        .select(login_method)
        .load(&mut app.conn() as &mut DbConnection)
        .unwrap();
    assert_eq!(methods, vec![Some("oidc:test".to_string())]);
    // No pending login is left on any session.
    let left: i64 = sessions
        .filter(oidc_pending.is_not_null())
        .count()
        .get_result(&mut app.conn() as &mut DbConnection)
        .unwrap();
    assert_eq!(left, 0);
}

async fn keys_are_read_again_for_an_unknown_kid(backend: common::Backend) {
    let (app, op) = setup(backend, |_| {}).await;
    let u = app.user(&[Role::Handler], &[]);
    let mut a = Agent::default();
    let (_, first) = through_provider(&app, &op, &mut a, &u.hsa_id, LOA3).await;
    assert_eq!(first.status, 200, "{}", first.body);
    // The provider moves to a new key the app has not seen: the app reads the keys again.
    op.next_token("rotate").await;
    let mut b = Agent::default();
    let (_, second) = through_provider(&app, &op, &mut b, &u.hsa_id, LOA3).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(b.get(&format!("{}/", app.base)).await.status, 200);
}

async fn refused_by(backend: common::Backend, mode: &str, reason: &str) {
    let (app, op) = setup(backend, |_| {}).await;
    let u = clinician(&app);
    op.next_token(mode).await;
    let mut a = Agent::default();
    let (_, answer) = through_provider(&app, &op, &mut a, &u.hsa_id, LOA3).await;
    assert_refused(&app, &mut a, &answer, reason).await;
    // The refusal is not the user's login: nothing says they logged in.
    assert!(!log_rows(&app).iter().any(|(act, _, _)| act == "login"));
}

async fn wrong_audience_is_refused(backend: common::Backend) {
    refused_by(backend, "aud", "(aud)").await;
}

async fn expired_token_is_refused(backend: common::Backend) {
    refused_by(backend, "expired", "gått ut").await;
}

async fn bad_signature_is_refused(backend: common::Backend) {
    refused_by(backend, "signature", "signatur").await;
}

async fn nonce_mismatch_is_refused(backend: common::Backend) {
    refused_by(backend, "nonce", "nonce").await;
}

async fn replayed_state_is_refused(backend: common::Backend) {
    let (app, op) = setup(backend, |_| {}).await;
    let u = clinician(&app);
    // An attacker's browser: a login of its own, then the answer it captured replayed.
    let mut a = Agent::default();
    let (callback, answer) = through_provider(&app, &op, &mut a, &u.hsa_id, LOA3).await;
    assert_eq!(answer.status, 200);
    // The same answer again in a browser that begins a login of its own: its state differs.
    let mut b = Agent::default();
    b.get(&format!("{}/login", app.base)).await;
    let start = b.get(&format!("{}/login/oidc/test", app.base)).await;
    assert_eq!(start.status, 303);
    let replay = b.get(&callback).await;
    assert_refused(&app, &mut b, &replay, "state stämmer inte").await;
    // And the login that browser began was used up by the failed answer.
    let again = b.get(&callback).await;
    assert_refused(&app, &mut b, &again, "omspelat").await;
    // With no login under way at all (no cookie): refused too.
    let mut c = Agent::default();
    let cold = c.get(&callback).await;
    assert_refused(&app, &mut c, &cold, "omspelat").await;
    let refusals = log_rows(&app)
        .iter()
        .filter(|(act, _, _)| act == "login_failed")
        .count();
    assert_eq!(refusals, 3);
}

async fn too_low_acr_is_refused_with_a_clear_page(backend: common::Backend) {
    let (app, op) = setup(backend, |_| {}).await;
    let u = clinician(&app);
    let mut a = Agent::default();
    let (_, answer) = through_provider(&app, &op, &mut a, &u.hsa_id, LOA2).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(
        answer
            .body
            .contains("Inloggningen räcker inte för Kontospärr"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("tillitsnivå"));
    assert_eq!(a.get(&format!("{}/", app.base)).await.status, 303);
    let detail = last_refusal(&app);
    assert!(
        detail.contains("för låg tillitsnivå") && detail.contains(LOA2),
        "{detail}"
    );
    // The HSA-ID the provider named is in the entry.
    let (_, who, _) = log_rows(&app).pop().unwrap();
    assert_eq!(who.as_deref(), Some(u.hsa_id.as_str()));
    // In English for an English browser.
    let mut en = Agent {
        lang: Some("en-GB,en;q=0.8".into()),
        ..Agent::default()
    };
    let (_, answer) = through_provider(&app, &op, &mut en, &u.hsa_id, LOA2).await;
    assert_eq!(answer.status, 403);
    assert!(
        answer
            .body
            .contains("This login is not enough for Kontospärr"),
        "{}",
        answer.body
    );
}

/// The text of a failed password login, to compare with.
async fn password_failure_text(app: &TestApp) -> String {
    let mut b = app.browser();
    let r = b
        .submit(
            "/login",
            "/login",
            &[
                ("hsa_id", "SE2321000131-X99999"),
                ("password", "fel"),
                ("code", "000000"),
            ],
        )
        .await;
    assert_eq!(r.status, 401);
    let start = r.body.find("<div class=\"error-summary\"").unwrap();
    let end = r.body[start..].find("</div>").unwrap() + start;
    r.body[start..end].to_string()
}

async fn unknown_hsa_id_gets_the_failed_login_answer(backend: common::Backend) {
    let (app, op) = setup(backend, |_| {}).await;
    let mut a = Agent::default();
    let (_, answer) = through_provider(&app, &op, &mut a, "SE2321000131-E000000009999", LOA3).await;
    assert_refused(&app, &mut a, &answer, "okänd användare").await;
    let same = password_failure_text(&app).await;
    assert!(
        answer.body.contains(&same),
        "not the password login's answer:\n{same}\n{}",
        answer.body
    );
    // Not an HSA-ID at all: refused, and the value is written nowhere.
    let mut b = Agent::default();
    let (_, answer) = through_provider(&app, &op, &mut b, "19121212-1212", LOA3).await;
    assert_refused(&app, &mut b, &answer, "inget giltigt HSA-id").await;
    assert!(!log_rows(&app).iter().any(|(_, who, d)| {
        who.as_deref().unwrap_or("").contains("1212") || d.as_deref().unwrap_or("").contains("1212")
    }));
}

async fn disabled_user_gets_the_failed_login_answer(backend: common::Backend) {
    let (app, op) = setup(backend, |_| {}).await;
    let u = clinician(&app);
    {
        use kontosparr::db::schema::users::dsl::*;
        diesel::update(users.find(u.id))
            .set(active.eq(false))
            .execute(&mut app.conn() as &mut DbConnection)
            .unwrap();
    }
    let mut a = Agent::default();
    let (_, answer) = through_provider(&app, &op, &mut a, &u.hsa_id, LOA3).await;
    assert_refused(&app, &mut a, &answer, "inaktiverat").await;
    let same = password_failure_text(&app).await;
    assert!(answer.body.contains(&same));
}

async fn logout_ends_the_session_here_and_at_the_provider(backend: common::Backend) {
    let (app, op) = setup(backend, |_| {}).await;
    let u = clinician(&app);
    let mut a = Agent::default();
    let (_, answer) = through_provider(&app, &op, &mut a, &u.hsa_id, LOA3).await;
    assert_eq!(answer.status, 200);
    let home = a.get(&format!("{}/", app.base)).await;
    let csrf = home.csrf();
    let out = a
        .post(&format!("{}/logout", app.base), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(out.status, 200, "{}", out.body);
    assert!(out.body.contains("Du är utloggad"));
    // The page sends the browser on to the provider's end_session_endpoint.
    let marker = "http-equiv=\"refresh\" content=\"0;url=";
    let at = out.body.find(marker).expect("a refresh to the provider") + marker.len();
    let end_session = out.body[at..at + out.body[at..].find('"').unwrap()]
        .replace("&amp;", "&")
        .replace("&#x2F;", "/")
        .replace("&#x3D;", "=");
    assert!(
        end_session.starts_with(&format!("{}/session/end?", op.issuer)),
        "{end_session}"
    );
    assert!(end_session.contains("id_token_hint="), "{end_session}");
    assert!(
        end_session.contains("post_logout_redirect_uri="),
        "{end_session}"
    );
    // Logged out here already.
    assert_eq!(
        a.get(&format!("{}/", app.base)).await.location(),
        Some("/login")
    );
    assert!(
        log_rows(&app)
            .iter()
            .any(|(act, who, _)| act == "logout" && who.as_deref() == Some(u.hsa_id.as_str()))
    );
    // At the provider: its confirmation form, then back to /utloggad.
    let confirm = a.get(&end_session).await;
    assert_eq!(confirm.status, 200, "{}\n{}", confirm.body, op.log());
    let action = absolute(&end_session, &form_action(&confirm.body, "/session/end"));
    let xsrf = common::field_value(&confirm.body, "xsrf").expect("xsrf");
    let mut r = a.post(&action, &[("xsrf", &xsrf), ("logout", "yes")]).await;
    let mut url = action;
    while matches!(r.status, 302 | 303) {
        url = absolute(&url, r.location().unwrap());
        if url.starts_with(&app.base) {
            break;
        }
        r = a.get(&url).await;
    }
    assert!(
        url.starts_with(&format!("{}/utloggad", app.base)),
        "{url}: {}",
        r.body
    );
    let back = a.get(&url).await;
    assert_eq!(back.status, 200);
    assert!(back.body.contains("Du är utloggad"));
    // The provider's session is over too: a new login asks for the card again.
    a.get(&format!("{}/login", app.base)).await;
    let start = a.get(&format!("{}/login/oidc/test", app.base)).await;
    let mut url = start.location().unwrap().to_string();
    let mut r = a.get(&url).await;
    while matches!(r.status, 302 | 303) {
        url = absolute(&url, r.location().unwrap());
        assert!(
            !url.starts_with(&app.base),
            "the provider logged the user in without asking"
        );
        r = a.get(&url).await;
    }
    assert!(r.body.contains("name=\"hsa_id\""), "{}", r.body);
}

async fn password_login_for_admins_only(backend: common::Backend) {
    let (app, op) = setup(backend, |c| c.password_login_admins_only = true).await;
    let unit = app.unit("PSYK");
    let nurse = app.user(&[Role::Clinician], &[unit]);
    let admin = app.user(&[Role::Admin], &[]);
    let mut b = app.browser();
    let page = b.get("/login").await;
    assert!(
        page.body.contains("bara till för administratörer"),
        "{}",
        page.body
    );
    let r = b.login(&nurse, PASSWORD, &app.code(&nurse)).await;
    assert_eq!(r.status, 401, "a right password of a non-admin is refused");
    let detail = last_refusal(&app);
    assert!(detail.contains("password_login_admins_only"), "{detail}");
    app.clock.advance(chrono::Duration::seconds(30));
    // The administrator still gets in with password and code (break-glass).
    app.login(&mut b, &admin).await;
    let (_, _, detail) = log_rows(&app).pop().unwrap();
    assert_eq!(detail.as_deref(), Some("lösenord och engångskod"));
    // A password session of the nurse from before the setting (or an enrolment link) ends.
    let token = kontosparr::service::session::create(
        &mut app.conn(),
        Some(nurse.id),
        kontosparr::service::session::Stage::Full,
        app.clock.now(),
        "test",
    )
    .unwrap();
    let mut old = app.browser();
    old.cookie = Some(format!("kontosparr={token}"));
    assert_eq!(old.get("/").await.location(), Some("/login"));
    // The nurse gets in through the provider.
    let mut a = Agent::default();
    let (_, answer) = through_provider(&app, &op, &mut a, &nurse.hsa_id, LOA3).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(a.get(&format!("{}/", app.base)).await.status, 200);
}

async fn a_provider_that_is_down_is_said_so(backend: common::Backend) {
    let (app, _op) = setup(backend, |c| {
        let mut down = c.oidc_providers[0].clone();
        down.id = "down".into();
        down.name = "Nere-IdP".into();
        // A loopback port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        down.issuer = format!("http://127.0.0.1:{port}");
        c.oidc_providers.push(down);
    })
    .await;
    let mut a = Agent::default();
    let login = a.get(&format!("{}/login", app.base)).await;
    assert!(
        login.body.contains("Logga in med Nere-IdP"),
        "{}",
        login.body
    );
    let r = a.get(&format!("{}/login/oidc/down", app.base)).await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(
        r.body.contains("Inloggningstjänsten svarar inte just nu"),
        "{}",
        r.body
    );
    // An unknown provider is not found.
    assert_eq!(
        a.get(&format!("{}/login/oidc/nobody", app.base))
            .await
            .status,
        404
    );
    // Logins begun at a provider count against the address's login rate limit.
    let limit = app.state.config.login_rate_per_ip;
    let mut last = 0;
    for _ in 0..limit {
        last = a.get(&format!("{}/login/oidc/test", app.base)).await.status;
    }
    assert_eq!(last, 429);
}

async fn cancelling_at_the_provider_is_logged(backend: common::Backend) {
    let (app, op) = setup(backend, |_| {}).await;
    let mut a = Agent::default();
    let (callback, answer) = through_provider(&app, &op, &mut a, "", LOA3).await;
    assert!(callback.contains("error=access_denied"), "{callback}");
    assert_refused(
        &app,
        &mut a,
        &answer,
        "leverantören svarade med fel: access_denied",
    )
    .await;
    // Free text in the answer is not kept: only a plain error code.
    let mut b = Agent::default();
    b.get(&format!("{}/login", app.base)).await;
    let start = b.get(&format!("{}/login/oidc/test", app.base)).await;
    let to_op = start.location().unwrap();
    let state = to_op
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("state="))
        .unwrap()
        .to_string();
    let forged = format!(
        "{}/login/oidc/test/callback?state={state}&error=%3Cb%3E19121212-1212&error_description=19121212-1212",
        app.base
    );
    let answer = b.get(&forged).await;
    assert_refused(&app, &mut b, &answer, "(okänd felkod)").await;
    assert!(
        !log_rows(&app)
            .iter()
            .any(|(_, _, d)| d.as_deref().unwrap_or("").contains("1212"))
    );
}
