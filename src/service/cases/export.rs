//! The case list as CSV for Swedish Excel (`domain::csv`: UTF-8 with BOM, `;`). The file holds
//! citizens' personnummer and names, so the export is a read of every citizen in it: logged as
//! `case_list_export`, one entry naming each of them (`access_log_subjects`), in the transaction
//! that read the rows.

use super::lists::{list_scope, scope_units};
use super::*;
use crate::db::page::Cursor;
use crate::domain::csv;
use crate::service::Exported;
use std::collections::{BTreeSet, HashMap};
use std::io::Write;

/// Rows of a case-list export at most (the list's count cap); the list page says so.
pub const LIST_EXPORT_CAP: i64 = 10_000;
/// Rows read per query (memory holds one chunk, plus the set of citizens named).
const CHUNK: i64 = 1_000;

/// The words of the file, in the reader's language (a service words no sentences): the header
/// row, and the last line written when the cap stopped the export.
#[derive(Debug, Clone, Default)]
pub struct ListCsvWords {
    pub header: Vec<String>,
    pub capped: String,
}

/// A stored UTC time as Swedish time, `ÅÅÅÅ-MM-DD TT:MM`.
fn local(t: &chrono::NaiveDateTime) -> String {
    t.and_utc()
        .with_timezone(&Stockholm)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// One case as a line: number, diary number, type, personnummer, name (masked when protected),
/// status, channel, unit, submitted, last changed.
fn line(r: &CaseRow, units: &HashMap<i64, String>) -> Vec<String> {
    vec![
        r.id.to_string(),
        r.diary_number.clone().unwrap_or_default(),
        r.kind.label().to_string(),
        Personnummer::display_digits(&r.citizen_pnr),
        crate::domain::personnummer::shown(&r.citizen_name, r.citizen_protected),
        r.status.label().to_string(),
        r.channel.label().to_string(),
        units.get(&r.unit_id).cloned().unwrap_or_default(),
        r.submitted_at.as_ref().map(local).unwrap_or_default(),
        local(&r.updated_at),
    ]
}

/// Writes the case list under `filter` — the cases the list would show the actor, newest change
/// first, at most [`LIST_EXPORT_CAP`] — as CSV into `out`, read in keyset chunks in one
/// transaction with its log entry (`case_list_export`; object `arenden.csv?<filter>`; subjects:
/// every citizen in the file). No log row, no file: a failed log rolls the export back.
pub fn list_csv(
    conn: &mut DbConnection,
    ctx: &Ctx,
    filter: &ListFilter,
    words: &ListCsvWords,
    out: &mut dyn Write,
) -> Result<Exported, ServiceError> {
    let actor = ctx.actor()?;
    let role = ctx.require(Access::ListCases)?;
    let own = scope_units(actor);
    let scope = list_scope(role, &own);
    let filter = filter.known();
    let db_filter = filter.db();
    db::write_tx(conn, |c| {
        let units: HashMap<i64, String> = org::all_units(c)?
            .into_iter()
            .map(|u| (u.id, u.code))
            .collect();
        out.write_all(csv::BOM.as_bytes())?;
        out.write_all(csv::record(&words.header).as_bytes())?;
        let mut cursor = Cursor::First;
        let mut n = 0i64;
        let mut named: BTreeSet<String> = BTreeSet::new();
        let mut capped = false;
        loop {
            let room = LIST_EXPORT_CAP - n;
            if room <= 0 {
                capped = !cases::rows_for_units(c, scope, &db_filter, &cursor, 1)?.is_empty();
                break;
            }
            let want = CHUNK.min(room);
            let rows = cases::rows_for_units(c, scope, &db_filter, &cursor, want)?;
            for r in &rows {
                named.insert(r.citizen_pnr.clone());
                out.write_all(csv::record(&line(r, &units)).as_bytes())?;
            }
            n += rows.len() as i64;
            match rows.last() {
                Some(last) if rows.len() as i64 == want => {
                    cursor = Cursor::After(last.updated_at, last.id);
                }
                _ => break,
            }
        }
        if capped {
            out.write_all(csv::record(std::slice::from_ref(&words.capped)).as_bytes())?;
        }
        out.flush()?;
        let object = match filter.query() {
            q if q.is_empty() => "arenden.csv".to_string(),
            q => format!("arenden.csv?{q}"),
        };
        let mut e = ctx.entry(Some(role), "case_list_export", Some(object));
        e.detail = Some(
            Msg::key(if capped {
                "log-case-export-capped"
            } else {
                "log-case-export"
            })
            .arg("n", n),
        );
        e.subjects = named.into_iter().collect();
        ctx.log(c, &e)?;
        Ok(Exported { rows: n, capped })
    })
}
