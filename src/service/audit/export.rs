//! Exports of the log as CSV (a search, a citizen's extract) and the extract as a page.

use super::*;

/// What an export wrote (`capped`: more entries matched than [`EXPORT_CAP`]; the file holds the
/// newest).
pub use crate::service::Exported;

/// Writes the entries matching `filter`, newest first, as CSV records made by `record`, in chunks
/// of [`CHUNK`] (keyset), at most [`EXPORT_CAP`]; returns what was written and every citizen named.
fn write_csv(
    c: &mut DbConnection,
    filter: &Filter,
    only: Option<&str>,
    header: &[&str],
    record: impl Fn(&EntryView) -> Vec<String>,
    out: &mut dyn Write,
) -> Result<(Exported, Vec<String>), ServiceError> {
    out.write_all(csv::BOM.as_bytes())?;
    out.write_all(csv::record(header).as_bytes())?;
    let mut before = None;
    let mut n = 0i64;
    let mut named: BTreeSet<String> = BTreeSet::new();
    let mut capped = false;
    loop {
        let room = EXPORT_CAP - n;
        if room <= 0 {
            capped = !q::search(c, filter, before, 1)?.is_empty();
            break;
        }
        let rows = q::search(c, filter, before, CHUNK.min(room))?;
        let Some(last) = rows.last() else { break };
        before = Some(last.id);
        let got = rows.len() as i64;
        for v in views_for(c, &rows, only)? {
            named.extend(v.citizens.iter().map(|x| x.pnr.clone()));
            out.write_all(csv::record(&record(&v)).as_bytes())?;
        }
        n += got;
        if got < CHUNK.min(room) {
            break;
        }
    }
    if capped {
        out.write_all(
            csv::record(&[format!(
                "# Exporten stoppades vid {EXPORT_CAP} rader; fler poster matchar sökningen. \
                 Dela upp perioden."
            )])
            .as_bytes(),
        )?;
    }
    out.flush()?;
    Ok((Exported { rows: n, capped }, named.into_iter().collect()))
}

fn case_text(v: &EntryView) -> String {
    match (&v.diary_number, v.case_id) {
        (Some(d), _) => d.clone(),
        (None, Some(id)) => format!("nr {id}"),
        _ => String::new(),
    }
}

/// Exports a search as CSV into `out`, in one transaction with its log entry (`audit_export`,
/// naming the searched citizen and every citizen in the file). Each entry's detail is worded in
/// `lang`, the reader's (`messages::log::log_detail`).
pub fn export(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &SearchInput,
    lang: Lang,
    out: &mut dyn Write,
) -> Result<Exported, ServiceError> {
    let role = ctx.require(Access::ReadAuditLog)?;
    let filter = criteria(conn, ctx, input)?;
    let header = [
        "Post",
        "Tid",
        "HSA-id",
        "Namn",
        "Roll",
        "Enhet",
        "Händelse",
        "Ärende",
        "Objekt",
        "Invånare",
        "Klientadress",
        "Detalj",
    ];
    db::write_tx(conn, |c| {
        let (done, named) = write_csv(
            c,
            &filter,
            None,
            &header,
            |v| {
                vec![
                    v.id.to_string(),
                    local(&v.at),
                    v.user_hsa_id.clone(),
                    v.user_name.clone(),
                    v.role_label(),
                    v.unit_code.clone(),
                    v.action.clone(),
                    case_text(v),
                    v.object.clone(),
                    v.citizens
                        .iter()
                        .map(|x| crate::domain::Personnummer::display_digits(&x.pnr))
                        .collect::<Vec<_>>()
                        .join(" "),
                    v.client_addr.clone(),
                    crate::messages::log::log_detail(lang, &v.detail),
                ]
            },
            out,
        )?;
        let mut e = ctx.entry(Some(role), "audit_export", Some("logg.csv".into()));
        e.personnummer = filter.citizen.clone();
        e.detail = Some(
            Msg::key(if done.capped {
                "log-audit-export-capped"
            } else {
                "log-audit-export"
            })
            .arg("criteria", describe(input, None))
            .arg("n", done.rows),
        );
        e.subjects = named;
        ctx.log(c, &e)?;
        Ok(done)
    })
}

/// A citizen's log extract (SPEC §4): which unit and role saw or changed their data, when, and
/// in which case.
#[derive(Debug, Clone)]
pub struct Extract {
    pub pnr: String,
    /// From their cases; masked when protected.
    pub name: String,
    pub rows: Vec<EntryView>,
    /// More entries name the citizen than the page shows ([`EXTRACT_PAGE_CAP`]).
    pub capped: bool,
}

fn citizen_filter(ctx: &Ctx, pnr: &str) -> Result<Filter, ServiceError> {
    let p = Personnummer::parse(pnr, today(ctx)).map_err(|e| {
        let mut errors = FieldErrors::default();
        errors.add("pnr", crate::messages::personnummer(e));
        ServiceError::Invalid(errors)
    })?;
    Ok(Filter {
        citizen: Some(p.digits()),
        ..Default::default()
    })
}

/// The extract as a page, logged as `audit_extract` naming the citizen (and every other citizen a
/// shown list entry names).
pub fn extract(conn: &mut DbConnection, ctx: &Ctx, pnr: &str) -> Result<Extract, ServiceError> {
    let role = ctx.require(Access::ReadAuditLog)?;
    let filter = citizen_filter(ctx, pnr)?;
    let digits = filter.citizen.clone().unwrap_or_default();
    db::write_tx(conn, |c| {
        let mut rows = q::search(c, &filter, None, EXTRACT_PAGE_CAP + 1)?;
        let capped = rows.len() as i64 > EXTRACT_PAGE_CAP;
        rows.truncate(EXTRACT_PAGE_CAP as usize);
        let (rows, facts) = views_with_citizens(c, &rows, Some(&digits))?;
        let mut e = ctx.entry(Some(role), "audit_extract", Some("loggutdrag".into()));
        e.personnummer = Some(digits.clone());
        e.detail = Some(Msg::key("log-audit-extract").arg("n", rows.len()));
        e.subjects = shown_citizens(&rows);
        ctx.log(c, &e)?;
        Ok(Extract {
            name: facts
                .get(&digits)
                .map(|f| crate::domain::personnummer::shown(&f.name, f.protected))
                .unwrap_or_default(),
            pnr: digits,
            rows,
            capped,
        })
    })
}

/// The extract as CSV into `out`, logged as `audit_extract_export` naming the citizen. Other
/// citizens are not in the file: it answers for this one.
pub fn extract_csv(
    conn: &mut DbConnection,
    ctx: &Ctx,
    pnr: &str,
    out: &mut dyn Write,
) -> Result<Exported, ServiceError> {
    let role = ctx.require(Access::ReadAuditLog)?;
    let filter = citizen_filter(ctx, pnr)?;
    let header = [
        "Tid",
        "Enhet",
        "Enhetens namn",
        "Roll",
        "Användare",
        "HSA-id",
        "Händelse",
        "Ärende",
    ];
    db::write_tx(conn, |c| {
        let (done, _) = write_csv(
            c,
            &filter,
            filter.citizen.as_deref(),
            &header,
            |v| {
                vec![
                    local(&v.at),
                    v.unit_code.clone(),
                    v.unit_name.clone(),
                    v.role_label(),
                    v.user_name.clone(),
                    v.user_hsa_id.clone(),
                    v.action.clone(),
                    case_text(v),
                ]
            },
            out,
        )?;
        let mut e = ctx.entry(
            Some(role),
            "audit_extract_export",
            Some("loggutdrag.csv".into()),
        );
        e.personnummer = filter.citizen.clone();
        e.detail = Some(Msg::key("log-audit-extract-export").arg("n", done.rows));
        ctx.log(c, &e)?;
        Ok(done)
    })
}
