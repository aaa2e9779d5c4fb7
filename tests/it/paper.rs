//! Paper: the blank form holds every field of the e-form in its order and with its labels; the
//! case list and the diary as CSV (the list's file logged with every citizen in it, in the read's
//! transaction; the diary's without citizen data); printed pages carry their header and footer,
//! and printing a case page is its logged view.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Backend, Browser, TestApp, TestUser, flow};
use chrono::TimeZone;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use kontosparr::db::{self, DbConnection, audit, schema};
use kontosparr::domain::Role;
use kontosparr::service::cases;

dual!(
    blank_form_has_the_e_forms_fields_in_order_with_its_labels,
    case_list_csv_logs_every_citizen_in_the_file,
    case_list_csv_stops_at_ten_thousand_rows,
    diary_csv_holds_no_citizen_data,
    printing_a_case_page_is_its_logged_view,
    printed_diary_and_extract_carry_header_and_footer,
);

/// A valid personnummer (Luhn over the ten digits) as `YYYYMMDD-NNNC`.
fn pnr(date: &str, serial: u32) -> String {
    let body = format!("{}{serial:03}", &date[2..]);
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, ch)| {
            let d = ch.to_digit(10).unwrap() * if i % 2 == 0 { 2 } else { 1 };
            d / 10 + d % 10
        })
        .sum();
    format!("{date}-{serial:03}{}", (10 - sum % 10) % 10)
}

fn digits(display: &str) -> String {
    display.replace('-', "")
}

fn last_log_id(app: &TestApp) -> i64 {
    use schema::access_log::dsl::*;
    access_log
        .select(diesel::dsl::max(id))
        .first::<Option<i64>>(&mut app.conn() as &mut DbConnection)
        .unwrap()
        .unwrap_or(0)
}

/// An entry of the access log as the tests read it.
#[derive(Debug)]
struct Entry {
    action: String,
    object: Option<String>,
    at: chrono::NaiveDateTime,
    /// The `personnummer` column and the subjects table together.
    named: Vec<String>,
}

/// The entries `hsa_id` wrote after `after`.
fn entries_since(app: &TestApp, after: i64, hsa_id: &str) -> Vec<Entry> {
    use schema::access_log as l;
    let mut conn = app.conn();
    type Row = (
        i64,
        String,
        Option<String>,
        chrono::NaiveDateTime,
        Option<String>,
    );
    let rows: Vec<Row> = l::table
        .filter(l::id.gt(after))
        .filter(l::user_hsa_id.eq(hsa_id))
        .order(l::id.asc())
        .select((l::id, l::action, l::object, l::at, l::personnummer))
        .load(&mut conn as &mut DbConnection)
        .unwrap();
    rows.into_iter()
        .map(|(id, action, object, at, pnr)| {
            let mut named = audit::subjects(&mut conn, id).unwrap();
            named.extend(pnr);
            named.sort();
            named.dedup();
            Entry {
                action,
                object,
                at,
                named,
            }
        })
        .collect()
}

/// Reads a CSV file as Swedish Excel does: BOM, `;`, quoted fields, CRLF.
fn parse_csv(body: &str) -> Vec<Vec<String>> {
    let body = body
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark first");
    assert!(body.ends_with("\r\n"), "records end with CRLF");
    body.split_terminator("\r\n")
        .map(|line| {
            let mut out = vec![];
            let mut cur = String::new();
            let mut quoted = false;
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match (c, quoted) {
                    ('"', true) if chars.peek() == Some(&'"') => {
                        cur.push('"');
                        chars.next();
                    }
                    ('"', _) => quoted = !quoted,
                    (';', false) => out.push(std::mem::take(&mut cur)),
                    (c, _) => cur.push(c),
                }
            }
            out.push(cur);
            out
        })
        .collect()
}

/// The text of the first element after `marker` up to its closing tag `</tag>`.
fn text_after(html: &str, marker: &str, tag: &str) -> Option<String> {
    let at = html.find(marker)?;
    let rest = &html[at..];
    let start = rest.find('>')? + 1;
    let end = rest.find(&format!("</{tag}>"))?;
    Some(rest[start..end].trim().to_string())
}

/// The print header and footer of a page (`Layout.print`).
fn print_marks(html: &str) -> (String, String) {
    (
        text_after(html, "class=\"print-mark print-mark--header\"", "div").expect("print header"),
        text_after(html, "class=\"print-mark print-mark--footer\"", "div").expect("print footer"),
    )
}

// ---------------------------------------------------------------- the blank form

/// The names of a form's inputs in document order (first occurrence), without the hidden
/// fields of the page itself.
fn input_names(html: &str) -> Vec<String> {
    let form = &html[html
        .find("<form method=\"post\" action=\"/blankett\"")
        .expect("the form")..];
    let form = &form[..form.find("</form>").expect("form end")];
    let mut names: Vec<String> = vec![];
    for (at, _) in form.match_indices(" name=\"") {
        let name = form[at + 7..].split('"').next().unwrap().to_string();
        if ["csrf_token", "version", "linked_from"].contains(&name.as_str()) {
            continue;
        }
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The e-form's label of a field: its `<label for>`, or the legend of its fieldset.
fn e_form_label(html: &str, name: &str) -> String {
    let id = format!(" id=\"{name}\"");
    let fieldset = html
        .match_indices("<fieldset")
        .map(|(at, _)| at)
        .find(|&at| {
            html[at..]
                .split('>')
                .next()
                .is_some_and(|tag| tag.contains(&id))
        });
    let label = if let Some(at) = fieldset {
        text_after(&html[at..], "<legend", "legend")
    } else {
        text_after(html, &format!("<label for=\"{name}\""), "label")
    }
    .unwrap_or_else(|| panic!("no label for {name}"));
    // The paper e-form tells the handler where a value comes from; the form itself does not.
    label.replace(" (från blanketten)", "")
}

/// The labels of a field's options in the e-form (`<label for="NAME-VALUE">`).
fn e_form_options(html: &str, name: &str) -> Vec<String> {
    let marker = format!("<label for=\"{name}-");
    html.match_indices(&marker)
        .filter_map(|(at, _)| text_after(&html[at..], "<label", "label"))
        .collect()
}

/// The blank form's fields in order, each with its markup (up to the next field).
fn blank_fields(html: &str) -> Vec<(String, String)> {
    let marks: Vec<usize> = html
        .match_indices("data-field=\"")
        .map(|(i, _)| i)
        .collect();
    marks
        .iter()
        .enumerate()
        .map(|(n, &at)| {
            let name = html[at + 12..].split('"').next().unwrap().to_string();
            let end = marks.get(n + 1).copied().unwrap_or(html.len());
            (name, html[at..end].to_string())
        })
        .collect()
}

/// The `<h2>` headings of a page, as text before any inner tag.
fn headings(html: &str) -> Vec<String> {
    html.match_indices("<h2")
        .filter_map(|(at, _)| text_after(&html[at..], "<h2", "h2"))
        .map(|h| h.split('<').next().unwrap_or("").trim().to_string())
        .collect()
}

/// Whether `sub` appears in `all` in the same order (a subsequence).
fn in_same_order(sub: &[String], all: &[String]) -> bool {
    let mut it = all.iter();
    sub.iter().all(|s| it.any(|a| a == s))
}

/// The blank form (`/blankett/tom`) has every field of the e-form as the handler keys a paper
/// form in (`/blankett`, lock and unlock, with the duplicate question a locked citizen brings),
/// under the e-form's label, with its options, in the e-form's order and sections: a filled-in
/// form keys in from top to bottom. Any member of staff may print it, and it logs nothing.
async fn blank_form_has_the_e_forms_fields_in_order_with_its_labels(app: TestApp) {
    let a = app.unit("PPA");
    let clinician = app.user_with(&[Role::Clinician], &[a], true);
    let handler = app.user(&[Role::Handler], &[]);
    let locked = pnr("19700101", 11);
    flow::executed_lock(&app, a, clinician.id, clinician.id, handler.id, &locked);
    let mut b = app.browser();
    app.login(&mut b, &handler).await;
    // The paper e-form for a lock, as it comes back for a citizen already locked: with the
    // question why a new lock is needed.
    let page = b.get("/blankett").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("href=\"/blankett/tom\""),
        "/blankett links to the blank form"
    );
    let lock = b
        .post(
            "/blankett",
            &[
                ("csrf_token", &page.csrf()),
                ("kind", "lock"),
                ("citizen_pnr", &locked),
            ],
        )
        .await;
    assert_eq!(lock.status, 422, "{}", lock.body);
    let unlock = b.get("/blankett?typ=unlock").await;
    assert_eq!(unlock.status, 200);
    let before = last_log_id(&app);
    let blank = b.get("/blankett/tom").await;
    assert_eq!(blank.status, 200, "{}", blank.body);
    assert!(
        entries_since(&app, before, &handler.hsa_id).is_empty(),
        "the blank form logs nothing"
    );

    let lock_names = input_names(&lock.body);
    let unlock_names = input_names(&unlock.body);
    for must in [
        "duplicate_reason",
        "risk_kinds",
        "review_responsible_name",
        "arrival_date",
    ] {
        assert!(
            lock_names.iter().any(|n| n == must),
            "{must}: {lock_names:?}"
        );
    }
    assert!(unlock_names.iter().any(|n| n == "related_case_id"));
    let fields = blank_fields(&blank.body);
    let blank_names: Vec<String> = fields
        .iter()
        .map(|(n, _)| n.clone())
        .filter(|n| n != "kind" && n != "signature")
        .collect();
    // Every field, in the order of each e-form.
    let mut all: Vec<String> = lock_names.clone();
    all.extend(unlock_names.iter().cloned());
    all.retain(|n| n != "kind");
    for n in &all {
        assert!(
            blank_names.contains(n),
            "the blank form lacks {n}: {blank_names:?}"
        );
    }
    for n in &blank_names {
        assert!(
            all.contains(n),
            "the blank form has {n}, which the e-form does not"
        );
    }
    for (what, names) in [("lock", &lock_names), ("unlock", &unlock_names)] {
        let order: Vec<String> = blank_names
            .iter()
            .filter(|n| names.contains(n))
            .cloned()
            .collect();
        let expected: Vec<String> = names.iter().filter(|n| *n != "kind").cloned().collect();
        assert_eq!(
            order, expected,
            "the blank form's order is the {what} e-form's"
        );
    }
    // Each field under the e-form's label, with the e-form's options.
    for (name, markup) in &fields {
        if name == "signature" {
            continue;
        }
        if name == "kind" {
            for page in [&lock.body, &unlock.body] {
                let kind = page
                    .split("<strong>Typ av begäran:</strong>")
                    .nth(1)
                    .and_then(|s| s.split("</p>").next())
                    .map(str::trim)
                    .expect("the e-form's kind");
                assert!(markup.contains("Typ av begäran"), "{markup}");
                assert!(markup.contains(kind), "kind {kind:?} in {markup}");
            }
            continue;
        }
        let page = if lock_names.contains(name) {
            &lock.body
        } else {
            &unlock.body
        };
        let label = e_form_label(page, name);
        assert!(
            markup.contains(&format!(">{label}<")),
            "{name}: the e-form's label {label:?} is not the blank form's: {markup}"
        );
        for option in e_form_options(page, name) {
            assert!(
                markup.contains(&option),
                "{name}: option {option:?} missing: {markup}"
            );
        }
    }
    // The e-form's sections, in order.
    let blank_h2 = headings(&blank.body);
    for page in [&lock.body, &unlock.body] {
        let shared: Vec<String> = headings(page)
            .into_iter()
            .filter(|h| blank_h2.contains(h))
            .collect();
        assert!(
            shared.len() >= 5,
            "sections found: {shared:?} of {blank_h2:?}"
        );
        assert!(
            in_same_order(&shared, &blank_h2),
            "{shared:?} vs {blank_h2:?}"
        );
    }
    assert!(blank.body.contains("class=\"blank-box\""), "boxes to tick");
    assert!(
        blank.body.contains("class=\"blank-line\""),
        "lines to write on"
    );

    // Unit staff reach it from "Ny begäran", and may print it; so may anyone logged in.
    let mut c = app.browser();
    app.login(&mut c, &clinician).await;
    let new = c.get("/arenden/ny").await;
    assert!(
        new.body.contains("href=\"/blankett/tom\""),
        "/arenden/ny links to the blank form"
    );
    assert_eq!(c.get("/blankett/tom").await.status, 200);
    // Not logged in: to the login page.
    let r = app.browser().get("/blankett/tom").await;
    assert_ne!(r.status, 200);
}

// ---------------------------------------------------------------- the case list as CSV

struct Region {
    a: i64,
    clinician_a: TestUser,
    handler: TestUser,
    chief: TestUser,
    auditor: TestUser,
    /// (personnummer, name, unit A?, a draft?, executed?, protected?)
    citizens: Vec<(String, String, bool, bool, bool, bool)>,
}

fn version(app: &TestApp, id: i64) -> i32 {
    db::cases::get(&mut app.conn(), id)
        .unwrap()
        .unwrap()
        .version
}

/// Units A and B: in A a draft, a submitted case and an executed lock of a protected citizen; in
/// B an executed lock and a draft.
fn region(app: &TestApp) -> Region {
    let a = app.unit("PLA");
    let b = app.unit("PLB");
    let clinician_a = app.user_with(&[Role::Clinician], &[a], true);
    let clinician_b = app.user_with(&[Role::Clinician], &[b], true);
    let handler = app.user(&[Role::Handler], &[]);
    let chief = app.user(&[Role::ChiefPhysician], &[a]);
    let auditor = app.user(&[Role::Auditor], &[]);
    let wf = cases::Workflow::from_config(&app.state.config);
    let (ca, cb) = (
        flow::ctx(app, clinician_a.id),
        flow::ctx(app, clinician_b.id),
    );
    let mut citizens = vec![];
    let named = |unit: i64, user: i64, date: &str, name: &str| {
        let p = pnr(date, 42);
        let mut input = flow::lock_input(unit, user, &p);
        input.citizen_name = name.into();
        (p, input)
    };
    let mut c = app.conn();
    let (p, input) = named(a, clinician_a.id, "19510101", "Dora Utkast");
    cases::create_draft(&mut c, &ca, &input, &wf).unwrap();
    citizens.push((p, "Dora Utkast".to_string(), true, true, false, false));
    let (p, input) = named(a, clinician_a.id, "19520202", "Sigge Skickad");
    let id = cases::create_draft(&mut c, &ca, &input, &wf).unwrap();
    cases::sign(&mut c, &ca, id, version(app, id), &wf).unwrap();
    cases::submit(&mut c, &ca, id, version(app, id)).unwrap();
    citizens.push((p, "Sigge Skickad".to_string(), true, false, false, false));
    let (p, input) = named(b, clinician_b.id, "19530303", "Bertil Bdraft");
    cases::create_draft(&mut c, &cb, &input, &wf).unwrap();
    citizens.push((p, "Bertil Bdraft".to_string(), false, true, false, false));
    drop(c);
    // Executed: a protected citizen in A (the name stays masked), one in B.
    let p = pnr("19540404", 42);
    let id = flow::executed_lock(app, a, clinician_a.id, clinician_a.id, handler.id, &p);
    app.conn()
        .batch_execute(&format!(
            "UPDATE cases SET citizen_protected = TRUE, citizen_name = 'Hemlig Skyddad' \
             WHERE id = {id}"
        ))
        .unwrap();
    citizens.push((p, "Hemlig Skyddad".to_string(), true, false, true, true));
    let p = pnr("19550505", 42);
    flow::executed_lock(app, b, clinician_b.id, clinician_b.id, handler.id, &p);
    citizens.push((
        p,
        "Tolvan Tolvansson".to_string(),
        false,
        false,
        true,
        false,
    ));
    Region {
        a,
        clinician_a,
        handler,
        chief,
        auditor,
        citizens,
    }
}

/// GETs a CSV export and reads it: (rows without the header, the header, the response).
async fn csv(b: &mut Browser, path: &str) -> (Vec<Vec<String>>, Vec<String>, crate::common::Resp) {
    let r = b.get(path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    let disposition = r.header("content-disposition").unwrap_or("").to_string();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    let longest_number = disposition
        .split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(
        longest_number < 8,
        "no personnummer in the file name: {disposition}"
    );
    let mut rows = parse_csv(&r.body);
    let header = rows.remove(0);
    (rows, header, r)
}

/// The handler's case list as CSV: UTF-8 with BOM, `;`, every case the list shows under the same
/// filter (other units' drafts not), a protected name masked; one `case_list_export` entry of the
/// request names every citizen in the file, and only them. A clinician's file holds their units'
/// cases only, a chefläkare's the sent locks; an auditor, who has no case list, is refused.
async fn case_list_csv_logs_every_citizen_in_the_file(app: TestApp) {
    let r = region(&app);
    let mut b = app.browser();
    app.login(&mut b, &r.handler).await;
    let list = b.get("/arenden").await;
    assert!(
        list.body.contains("href=\"/arenden/csv\""),
        "the list links to its CSV"
    );
    let filtered = b.get("/arenden?status=executed").await;
    assert!(
        filtered
            .body
            .contains("href=\"/arenden/csv?status=executed\""),
        "the link keeps the filter"
    );
    assert!(
        filtered.body.contains("10 000"),
        "the page says the file's bound"
    );

    let before = last_log_id(&app);
    let (rows, header, resp) = csv(&mut b, "/arenden/csv").await;
    assert_eq!(resp.header("x-export-capped"), Some("false"));
    assert_eq!(header[0], "Ärendenummer");
    assert_eq!(header[3], "Personnummer");
    assert_eq!(header.len(), 10);
    assert!(rows.iter().all(|r| r.len() == 10), "{rows:?}");
    let in_file: Vec<String> = rows.iter().map(|r| digits(&r[3])).collect();
    // Every case but the drafts (the handler belongs to no unit): three.
    let mut expected: Vec<String> = r
        .citizens
        .iter()
        .filter(|c| !c.3)
        .map(|c| digits(&c.0))
        .collect();
    expected.sort();
    let mut got = in_file.clone();
    got.sort();
    assert_eq!(got, expected);
    let protected = r.citizens.iter().find(|c| c.5).unwrap();
    assert!(
        !resp.body.contains(&protected.1),
        "a protected name stays masked"
    );
    let row = rows
        .iter()
        .find(|x| digits(&x[3]) == digits(&protected.0))
        .unwrap();
    assert_eq!(row[4], "*****");
    assert!(row[1].starts_with("KSD "), "the diary number: {row:?}");
    let entries = entries_since(&app, before, &r.handler.hsa_id);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].action, "case_list_export");
    assert_eq!(entries[0].object.as_deref(), Some("arenden.csv"));
    assert_eq!(
        entries[0].named, expected,
        "the entry names every citizen in the file"
    );

    // The same filters as the list.
    let before = last_log_id(&app);
    let (rows, _, _) = csv(&mut b, "/arenden/csv?status=executed&typ=lock").await;
    let mut got: Vec<String> = rows.iter().map(|r| digits(&r[3])).collect();
    got.sort();
    let mut executed: Vec<String> = r
        .citizens
        .iter()
        .filter(|c| c.4)
        .map(|c| digits(&c.0))
        .collect();
    executed.sort();
    assert_eq!(got, executed);
    let entries = entries_since(&app, before, &r.handler.hsa_id);
    assert_eq!(
        entries[0].object.as_deref(),
        Some("arenden.csv?status=executed&typ=lock")
    );
    assert_eq!(entries[0].named, executed);
    let (rows, _, _) = csv(&mut b, &format!("/arenden/csv?enhet={}", r.a)).await;
    assert!(rows.iter().all(|x| x[7] == "PLA"), "{rows:?}");
    // An empty file is still a logged look (under which filter).
    let before = last_log_id(&app);
    let (rows, _, _) = csv(&mut b, "/arenden/csv?fran=2001-01-01&till=2001-01-02").await;
    assert!(rows.is_empty());
    let entries = entries_since(&app, before, &r.handler.hsa_id);
    assert_eq!(entries.len(), 1);
    assert!(entries[0].named.is_empty());
    // A date that is not a date goes back to the list, which says so; nothing is exported.
    let before = last_log_id(&app);
    let bad = b.get("/arenden/csv?fran=igar").await;
    assert_eq!(bad.status, 303);
    assert_eq!(bad.location(), Some("/arenden?fran=igar"));
    assert!(entries_since(&app, before, &r.handler.hsa_id).is_empty());

    // A clinician: their own unit's cases, drafts included, nothing of unit B.
    let mut c = app.browser();
    app.login(&mut c, &r.clinician_a).await;
    let before = last_log_id(&app);
    let (rows, _, _) = csv(&mut c, "/arenden/csv").await;
    let mut got: Vec<String> = rows.iter().map(|r| digits(&r[3])).collect();
    got.sort();
    let mut own: Vec<String> = r
        .citizens
        .iter()
        .filter(|c| c.2)
        .map(|c| digits(&c.0))
        .collect();
    own.sort();
    assert_eq!(got, own);
    let entries = entries_since(&app, before, &r.clinician_a.hsa_id);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].named, own);
    // A chefläkare: the unit's locks once sent.
    let mut ch = app.browser();
    app.login(&mut ch, &r.chief).await;
    let (rows, _, _) = csv(&mut ch, "/arenden/csv").await;
    let mut got: Vec<String> = rows.iter().map(|r| digits(&r[3])).collect();
    got.sort();
    let mut sent: Vec<String> = r
        .citizens
        .iter()
        .filter(|c| c.2 && !c.3)
        .map(|c| digits(&c.0))
        .collect();
    sent.sort();
    assert_eq!(got, sent);
    // An auditor has no case list: refused, and the attempt is logged.
    let mut au = app.browser();
    app.login(&mut au, &r.auditor).await;
    let before = last_log_id(&app);
    let refused = au.get("/arenden/csv").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let entries = entries_since(&app, before, &r.auditor.hsa_id);
    assert!(
        entries.iter().any(|e| e.action == "access_denied"),
        "{entries:?}"
    );
    assert!(entries.iter().all(|e| e.named.is_empty()));
}

/// At most 10 000 rows, newest change first: the last line and `X-Export-Capped` say the file
/// stopped there, and the entry names exactly the citizens of the rows written.
async fn case_list_csv_stops_at_ten_thousand_rows(app: TestApp) {
    let unit = app.unit("PLC");
    let handler = app.user(&[Role::Handler], &[]);
    let pg = app.backend() == Backend::Postgres;
    // 10 005 submitted cases; row i changed at second i, its citizen one of 1 000.
    let ts = if pg {
        "TIMESTAMP '2026-01-01 00:00:00' + i * INTERVAL '1 second'".to_string()
    } else {
        "datetime('2026-01-01 00:00:00', printf('%+d seconds', i))".to_string()
    };
    app.conn()
        .batch_execute(&format!(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 10005) \
             INSERT INTO cases (kind, status, version, channel, unit_id, citizen_pnr, citizen_name, \
                                created_at, updated_at, submitted_at) \
             SELECT 'lock', 'submitted', 1, 'eservice', {unit}, '19500101' || (1000 + i % 1000), \
                    'Massa Person', {ts}, {ts}, {ts} FROM s"
        ))
        .unwrap();
    let mut b = app.browser();
    app.login(&mut b, &handler).await;
    let before = last_log_id(&app);
    let (mut rows, _, resp) = csv(&mut b, "/arenden/csv").await;
    assert_eq!(resp.header("x-export-capped"), Some("true"));
    let last = rows.pop().unwrap();
    assert_eq!(last.len(), 1);
    assert!(last[0].contains("10 000"), "{last:?}");
    assert_eq!(rows.len(), 10_000);
    // Newest first: the five oldest changes are the ones left out.
    let ids: Vec<i64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest change first");
    let mut named: Vec<String> = rows.iter().map(|r| digits(&r[3])).collect();
    named.sort();
    named.dedup();
    let entries = entries_since(&app, before, &handler.hsa_id);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].named, named);
    assert_eq!(named.len(), 1000);
}

// ---------------------------------------------------------------- the diary as CSV

/// The diary as CSV: the page's columns for every registered case of the year, no personnummer
/// and no name, and no access-log entry naming anyone. Handlers and auditors only.
async fn diary_csv_holds_no_citizen_data(app: TestApp) {
    let r = region(&app);
    let mut b = app.browser();
    app.login(&mut b, &r.handler).await;
    let diary = b.get("/diarium?ar=2026").await;
    assert!(
        diary.body.contains("href=\"/diarium/csv?ar=2026\""),
        "the diary links to its CSV"
    );
    let before = last_log_id(&app);
    let (rows, header, resp) = csv(&mut b, "/diarium/csv?ar=2026").await;
    assert_eq!(
        header,
        [
            "Diarienummer",
            "Registrerat",
            "Typ",
            "Hänvisning",
            "Kanal",
            "Status"
        ]
    );
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0][0], "KSD 2026-00001");
    assert_eq!(rows[1][0], "KSD 2026-00002");
    assert_eq!(rows[0][2], "Låsning");
    assert!(
        resp.header("content-disposition")
            .unwrap()
            .contains("diarium-2026.csv")
    );
    for (p, name, ..) in &r.citizens {
        assert!(!resp.body.contains(p.as_str()) && !resp.body.contains(&digits(p)));
        assert!(!resp.body.contains(name.as_str()), "{name}");
    }
    assert!(
        entries_since(&app, before, &r.handler.hsa_id)
            .iter()
            .all(|e| e.named.is_empty()),
        "nothing names a citizen"
    );
    let (rows, _, _) = csv(&mut b, "/diarium/csv?ar=2025").await;
    assert!(rows.is_empty());
    let mut au = app.browser();
    app.login(&mut au, &r.auditor).await;
    assert_eq!(au.get("/diarium/csv?ar=2026").await.status, 200);
    let mut c = app.browser();
    app.login(&mut c, &r.clinician_a).await;
    assert_eq!(c.get("/diarium/csv?ar=2026").await.status, 403);
}

// ---------------------------------------------------------------- printing

/// Printing a case page is printing the page itself (there is no separate print view): the page
/// carries its print header (the case's diary number and status) and footer (who, and the time of
/// the view), and the request that made it wrote `case_view` naming the citizen at that time. A
/// protected name is masked on the page, the header and footer included.
async fn printing_a_case_page_is_its_logged_view(app: TestApp) {
    let r = region(&app);
    let protected = r.citizens.iter().find(|c| c.5).unwrap();
    let id: i64 = {
        use schema::cases::dsl as c;
        c::cases
            .filter(c::citizen_pnr.eq(digits(&protected.0)))
            .select(c::id)
            .first(&mut app.conn() as &mut DbConnection)
            .unwrap()
    };
    let diary: String = db::cases::get(&mut app.conn(), id)
        .unwrap()
        .unwrap()
        .diary_number
        .unwrap();
    let mut b = app.browser();
    app.login(&mut b, &r.handler).await;
    let before = last_log_id(&app);
    let page = b.get(&format!("/arenden/{id}")).await;
    assert_eq!(page.status, 200);
    let (header, footer) = print_marks(&page.body);
    assert_eq!(header, format!("Låsning – {diary} · Status: Verkställd"));
    let entries = entries_since(&app, before, &r.handler.hsa_id);
    let view = entries
        .iter()
        .find(|e| e.action == "case_view")
        .expect("the page is a logged view");
    assert_eq!(view.named, vec![digits(&protected.0)]);
    let when = chrono_tz::Europe::Stockholm
        .from_utc_datetime(&view.at)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    assert_eq!(
        footer,
        format!(
            "Utskrivet av {} ({}) {when}",
            r.handler.name, r.handler.hsa_id
        )
    );
    assert!(
        !page.body.contains(&protected.1),
        "the protected name is masked"
    );
    assert!(page.body.contains("*****"));
    // The navigation and the step forms are there for the screen and hidden on paper.
    assert!(
        page.body
            .contains("<p class=\"no-print\"><a href=\"/arenden\">")
    );
    let css = b.get("/static/style.css").await.body;
    let print = &css[css
        .find("@media print {\n  .site-header")
        .expect("print rules")..];
    let hides = print.lines().nth(1).unwrap();
    assert!(hides.ends_with("{ display: none !important; }"), "{hides}");
    for hidden in [
        ".site-header",
        "form",
        ".button",
        "nav",
        ".no-print",
        "details",
    ] {
        assert!(hides.contains(hidden), "{hidden} hidden in print: {hides}");
    }
    assert!(print.contains(".print-mark { display: block;"));
    // A unit's clinician prints it the same way, with their own name in the footer.
    let mut c = app.browser();
    app.login(&mut c, &r.clinician_a).await;
    let page = c.get(&format!("/arenden/{id}")).await;
    let (_, footer) = print_marks(&page.body);
    assert!(footer.contains(&r.clinician_a.name), "{footer}");
    // A page that is not printable has no marks (nor the frame around its content).
    let account = c.get("/konto").await;
    assert!(!account.body.contains("print-mark"));
    assert!(!account.body.contains("print-frame"));
}

/// The diary of a year and a citizen's log extract print with the same header and footer.
async fn printed_diary_and_extract_carry_header_and_footer(app: TestApp) {
    let r = region(&app);
    let mut b = app.browser();
    app.login(&mut b, &r.handler).await;
    let page = b.get("/diarium/utskrift?ar=2026").await;
    assert_eq!(page.status, 200);
    let (header, footer) = print_marks(&page.body);
    assert_eq!(header, "Diarium 2026");
    assert!(
        footer.starts_with(&format!(
            "Utskrivet av {} ({}) 2026-",
            r.handler.name, r.handler.hsa_id
        )),
        "{footer}"
    );
    let mut au = app.browser();
    app.login(&mut au, &r.auditor).await;
    let form = au.get("/logg/utdrag").await;
    let citizen = &r.citizens[1].0;
    let page = au
        .post(
            "/logg/utdrag",
            &[("csrf_token", &form.csrf()), ("pnr", citizen)],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let (header, footer) = print_marks(&page.body);
    assert_eq!(header, format!("Loggutdrag för {citizen}"));
    assert!(footer.contains(&r.auditor.hsa_id), "{footer}");
    // The form before a search prints no marks.
    assert!(!form.body.contains("print-mark"));
}
