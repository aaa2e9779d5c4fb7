//! The logins of `bench/http`, over plain HTTP/1.1 on loopback (no client library: one request
//! per connection, `Connection: close`).
//!
//!     bench-client login BASE LETTER N OUT     log in SE2321000131-B<LETTER>1..N; write
//!                                              "<cookie> <csrf token>" per line to OUT
//!     bench-client storm BASE RATE SECONDS     RATE logins a second for SECONDS (open loop,
//!                                              storm users SE2321000131-BS<n>, each once);
//!                                              prints one JSON line with counts and latencies
//!
//! The users, their password and their TOTP secrets are made by `bench seed` (bench/bench.rs).
//! Page load is wrk's job (bench/pages.lua); this only does what wrk cannot: compute TOTP codes
//! and pace an open-loop login storm.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PASSWORD: &str = "Bänkens lösenord 2026";

fn totp_secret(hsa: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(format!("bench-totp:{hsa}").as_bytes());
    data_encoding::BASE32_NOPAD.encode(&d[..20])
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| v.split(';').next())
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
    fn csrf(&self) -> Option<String> {
        let i = self.body.find("name=\"csrf_token\"")?;
        let rest = &self.body[i..];
        let v = rest.find("value=\"")? + 7;
        let end = rest[v..].find('"')?;
        Some(rest[v..v + end].to_string())
    }
}

fn request(
    addr: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<&str>,
) -> Response {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60))).ok();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(c) = cookie {
        req.push_str(&format!("Cookie: kontosparr={c}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    if let Some(b) = body {
        req.push_str(b);
    }
    s.write_all(req.as_bytes()).expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok();
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Response {
        status,
        headers,
        body: body.to_string(),
    }
}

fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).expect("encode")[2..].to_string()
}

/// Logs one user in; returns the session cookie and its CSRF token, or the failure.
fn login(addr: &str, hsa: &str) -> Result<(String, String), String> {
    let form = request(addr, "GET", "/login", None, None);
    let anon = form.cookie("kontosparr").ok_or("no anonymous session")?;
    let csrf = form.csrf().ok_or("no csrf token on /login")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let code =
        kontosparr::auth::totp::code_at(&totp_secret(hsa), kontosparr::auth::totp::step_of(now))
            .ok_or("totp")?;
    let body = format!(
        "csrf_token={}&hsa_id={}&password={}&code={code}",
        enc(&csrf),
        enc(hsa),
        enc(PASSWORD)
    );
    let r = request(addr, "POST", "/login", Some(&anon), Some(&body));
    if r.status != 303 && r.status != 302 {
        return Err(format!("login {hsa}: status {}", r.status));
    }
    let cookie = r.cookie("kontosparr").ok_or("no session cookie")?;
    let page = request(addr, "GET", "/konto", Some(&cookie), None);
    let csrf = page
        .csrf()
        .ok_or_else(|| format!("no csrf token on /konto (status {})", page.status))?;
    Ok((cookie, csrf))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = args
        .get(2)
        .expect("BASE")
        .trim_start_matches("http://")
        .to_string();
    match args.get(1).map(String::as_str) {
        Some("login") => {
            let letter = args.get(3).expect("LETTER").clone();
            let n: usize = args.get(4).expect("N").parse().expect("N");
            let out = args.get(5).expect("OUT").clone();
            // A few at a time: the server hashes as many passwords at once as it has cores.
            let next = Arc::new(Mutex::new(1usize));
            let lines = Arc::new(Mutex::new(Vec::new()));
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    let (next, lines, base, letter) =
                        (next.clone(), lines.clone(), base.clone(), letter.clone());
                    std::thread::spawn(move || {
                        loop {
                            let i = {
                                let mut g = next.lock().unwrap();
                                let i = *g;
                                *g += 1;
                                i
                            };
                            if i > n {
                                return;
                            }
                            let hsa = format!("SE2321000131-B{letter}{i}");
                            match login(&base, &hsa) {
                                Ok((c, t)) => lines.lock().unwrap().push(format!("{c} {t}")),
                                Err(e) => eprintln!("{e}"),
                            }
                        }
                    })
                })
                .collect();
            for t in threads {
                t.join().ok();
            }
            let lines = lines.lock().unwrap();
            std::fs::write(&out, lines.join("\n") + "\n").expect("write sessions");
            if lines.len() < n {
                eprintln!("only {} of {n} logins succeeded", lines.len());
                std::process::exit(1);
            }
        }
        Some("storm") => {
            let rate: f64 = args.get(3).expect("RATE").parse().expect("RATE");
            let secs: f64 = args.get(4).expect("SECONDS").parse().expect("SECONDS");
            let total = (rate * secs) as usize;
            let started = Instant::now();
            let results = Arc::new(Mutex::new(Vec::new()));
            let mut handles = Vec::new();
            for i in 0..total {
                let due = Duration::from_secs_f64(i as f64 / rate);
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    std::thread::sleep(wait);
                }
                let (base, results) = (base.clone(), results.clone());
                handles.push(std::thread::spawn(move || {
                    let hsa = format!("SE2321000131-BS{}", i % 400 + 1);
                    let t = Instant::now();
                    let ok = login(&base, &hsa).is_ok();
                    results.lock().unwrap().push((ok, t.elapsed()));
                }));
            }
            for h in handles {
                h.join().ok();
            }
            let r = results.lock().unwrap();
            let mut d: Vec<Duration> = r.iter().map(|(_, d)| *d).collect();
            d.sort();
            let p = |q: f64| {
                d.get(((d.len() as f64 - 1.0) * q) as usize)
                    .copied()
                    .unwrap_or_default()
            };
            println!(
                "{{\"logins\":{},\"ok\":{},\"failed\":{},\"p50_ms\":{:.1},\"p99_ms\":{:.1},\"seconds\":{:.1}}}",
                r.len(),
                r.iter().filter(|(ok, _)| *ok).count(),
                r.iter().filter(|(ok, _)| !*ok).count(),
                p(0.5).as_secs_f64() * 1000.0,
                p(0.99).as_secs_f64() * 1000.0,
                started.elapsed().as_secs_f64()
            );
        }
        _ => {
            eprintln!("usage: bench-client login BASE LETTER N OUT | storm BASE RATE SECONDS");
            std::process::exit(2);
        }
    }
}
