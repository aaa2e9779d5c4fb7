//! Real browser tests: the demo server binary driven by headless Chromium (Playwright), with
//! axe-core on every page visited. The scenarios live in `tests/browser/flows.mjs`; they run in
//! three parts at once (three tests), each part against a demo server and a browser of its own,
//! so that the browser is not the suite's critical path. A part's scenarios run in order, and a
//! scenario may depend only on those before it in its part (b executes the lock a filed).
//!
//! They need `/usr/bin/chromium` (Debian package `chromium`), `node_modules/playwright-core`
//! (`npm ci` at the repository root) and `pdftotext`/`pdfinfo` (Debian package `poppler-utils`,
//! for the printed pages); `scripts/test` installs them. When either is missing the
//! test fails and says so: it never skips silently. The one escape hatch, for machines that
//! cannot run a browser, is `TEST_BROWSER_TESTS=skip`, which skips it with a message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
/// One part's run (each account logs in once, so nothing waits for a fresh one-time code).
const NODE_TIMEOUT: Duration = Duration::from_secs(300);

/// The scenarios of `tests/browser/flows.mjs` by letter (`login`: the anonymous login page), in
/// three parts of about the same length. Together they are every scenario: `every_scenario_is_in_a_part`.
const PARTS: [&[&str]; 3] = [
    &["login", "a", "b", "c", "d", "e"],
    &["f", "g", "h", "i", "j", "k", "p"],
    &["l", "m", "n", "o"],
];

#[test]
fn browser_part_1_cases_from_filing_to_execution() {
    run_part(PARTS[0]);
}

#[test]
fn browser_part_2_admin_reviews_auditor_start_pages() {
    run_part(PARTS[1]);
}

#[test]
fn browser_part_3_paper_eid_english_statistics() {
    run_part(PARTS[2]);
}

/// The parts name each scenario of flows.mjs exactly once.
#[test]
fn every_scenario_is_in_a_part() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let flows = std::fs::read_to_string(root.join("tests/browser/flows.mjs")).unwrap();
    let mut defined: Vec<String> = flows
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("['"))
        .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_string()))
        .filter(|k| k.len() == 1)
        .collect();
    defined.push("login".into());
    defined.sort();
    let mut parted: Vec<String> = PARTS
        .iter()
        .flat_map(|p| p.iter().map(|k| k.to_string()))
        .collect();
    parted.sort();
    assert_eq!(
        parted, defined,
        "tests/it/browser.rs PARTS and the scenarios of flows.mjs"
    );
}

struct Server {
    child: Child,
    base: String,
    dir: tempfile::TempDir,
    /// The OpenID provider the demo server is configured with (`oidc_providers`, id `test`).
    op: super::oidc::Op,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

/// `kontosparr serve --demo` on a free port in a fresh directory, with a real OpenID provider
/// (`tests/oidc/provider.mjs`) configured as `Test-IdP` for the e-ID scenario.
fn start_demo() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::common::free_port();
    let op = super::oidc::Op::start(&format!("http://127.0.0.1:{port}"), "test");
    let p = op.config("test");
    let config = dir.path().join("kontosparr.toml");
    std::fs::write(
        &config,
        format!(
            "[[oidc_providers]]\nid = \"{}\"\nname = \"{}\"\nissuer = \"{}\"\nclient_id = \"{}\"\n\
             client_secret = \"{}\"\nrequired_acr = \"{}\"\nscopes = [\"profile\"]\n",
            p.id, p.name, p.issuer, p.client_id, p.client_secret, p.required_acr
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_kontosparr"))
        .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("KONTOSPARR_CONFIG", &config)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        dir,
        op,
    };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return server;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("the demo server exited ({status}):\n{}", server.log());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the demo server does not answer:\n{}", server.log());
}

/// Runs the scenarios `part` (letters) against a demo server of their own and fails on a failed
/// scenario or a serious or critical accessibility violation.
fn run_part(part: &[&str]) {
    // Escape hatch: TEST_BROWSER_TESTS=skip skips the browser tests (and says so).
    if std::env::var("TEST_BROWSER_TESTS").as_deref() == Ok("skip") {
        eprintln!("TEST_BROWSER_TESTS=skip: the browser tests were NOT run");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    if !Path::new(CHROMIUM).exists() {
        missing.push(format!("{CHROMIUM} (Debian package chromium)"));
    }
    if !root.join("node_modules/playwright-core").exists()
        || !root.join("node_modules/axe-core").exists()
        || !root.join("node_modules/oidc-provider").exists()
    {
        missing.push("node_modules/playwright-core, axe-core and oidc-provider (npm ci)".into());
    }
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("node (Node.js)".into());
    }
    // The paper scenario prints to PDF and reads it back.
    for tool in ["pdftotext", "pdfinfo"] {
        if Command::new(tool).arg("-v").output().is_err() {
            missing.push(format!("{tool} (Debian package poppler-utils)"));
        }
    }
    assert!(
        missing.is_empty(),
        "the browser tests need {}: run scripts/test, which installs them \
         (or set TEST_BROWSER_TESTS=skip to skip these tests)",
        missing.join(", ")
    );

    let server = start_demo();
    let out_path = server.dir.path().join("node.log");
    let out = std::fs::File::create(&out_path).unwrap();
    let mut node = Command::new("node")
        .arg(root.join("tests/browser/flows.mjs"))
        .env("BASE_URL", &server.base)
        // The printed PDFs of the paper scenario (removed with the server's directory).
        .env("PDF_DIR", server.dir.path())
        .env("OIDC_ISSUER", &server.op.issuer)
        .env("SCENARIOS", part.join(","))
        .current_dir(root)
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("node starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = node.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > NODE_TIMEOUT {
            let _ = node.kill();
            let _ = node.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = std::fs::read_to_string(&out_path).unwrap_or_default();
    match status {
        Some(s) if s.success() => {
            println!("{output}");
            // Each scenario of the part ran (an unknown letter exits 2, but check the count too).
            let scenarios = part.iter().filter(|k| **k != "login").count();
            assert!(
                output.contains(&format!("0 failure(s) in {scenarios} scenario(s)")),
                "the part {part:?} did not run its {scenarios} scenarios:\n{output}"
            );
        }
        Some(s) => panic!(
            "node tests/browser/flows.mjs (SCENARIOS={}) failed ({s}):\n{output}\n--- server log (tail)\n{}\n\
             --- OpenID provider log (tail)\n{}",
            part.join(","),
            tail(&server.log(), 60),
            tail(&server.op.log(), 30)
        ),
        None => panic!(
            "node tests/browser/flows.mjs (SCENARIOS={}) did not finish in {} s:\n{output}\n--- server log (tail)\n{}",
            part.join(","),
            NODE_TIMEOUT.as_secs(),
            tail(&server.log(), 60)
        ),
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
