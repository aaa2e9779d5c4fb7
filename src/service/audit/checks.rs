//! Spot checks of the access log (logguppföljning, HSLF-FS 2016:40): draw a random sample of a
//! period, review it, record what was checked, found and done; list and open recorded checks.

use super::*;
use crate::db::audit_search::{NewSpotCheck, SpotCheck};

/// Entries a sample holds at most.
pub const SAMPLE_MAX: i64 = 200;
/// Checks on one page of the list.
pub const CHECKS_PAGE: i64 = 50;
/// A check's period may span at most this many days.
const PERIOD_MAX_DAYS: i64 = 366;

/// The outcomes a check can have (code, Swedish label).
pub const OUTCOMES: [(&str, &str); 3] = [
    ("no_remarks", "Inga anmärkningar"),
    ("remarks", "Anmärkningar – åtgärdas enligt uppföljningen"),
    ("incident", "Misstänkt obehörig åtkomst – utreds"),
];

pub fn outcome_label(code: &str) -> &'static str {
    OUTCOMES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// The spot-check form as typed; `sample` holds the ids of a drawn sample.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct CheckInput {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub sample_size: String,
    #[serde(default)]
    pub findings: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub follow_up: String,
    #[serde(default)]
    pub sample: Vec<String>,
}

/// A check's period as dates, and as the UTC bounds of those Swedish days.
struct Period {
    from: NaiveDate,
    to: NaiveDate,
    start: NaiveDateTime,
    end: NaiveDateTime,
}

fn period(errors: &mut FieldErrors, input: &CheckInput) -> Option<Period> {
    let from = NaiveDate::parse_from_str(input.from.trim(), "%Y-%m-%d").ok();
    let to = NaiveDate::parse_from_str(input.to.trim(), "%Y-%m-%d").ok();
    if from.is_none() {
        errors.add("from", crate::messages::AUDIT_DATE_FORMAT);
    }
    if to.is_none() {
        errors.add("to", crate::messages::AUDIT_DATE_FORMAT);
    }
    let (from, to) = (from?, to?);
    if to < from {
        errors.add("to", crate::messages::AUDIT_PERIOD_ORDER);
        return None;
    }
    if (to - from).num_days() >= PERIOD_MAX_DAYS {
        errors.add("to", crate::messages::AUDIT_PERIOD_LONG);
        return None;
    }
    Some(Period {
        from,
        to,
        start: parse_moment(&input.from, false)?,
        end: parse_moment(&input.to, true)?,
    })
}

fn sample_size(errors: &mut FieldErrors, input: &CheckInput) -> i64 {
    match input.sample_size.trim().parse::<i64>() {
        Ok(n) if (1..=SAMPLE_MAX).contains(&n) => n,
        _ => {
            errors.add("sample_size", crate::messages::AUDIT_SAMPLE_SIZE);
            0
        }
    }
}

/// Draws `sample_size` random entries of the period for review. Logged as `audit_sample`, naming
/// every citizen the sample shows.
pub fn draw_sample(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &CheckInput,
) -> Result<Vec<EntryView>, ServiceError> {
    let role = ctx.require(Access::SpotChecks)?;
    let mut errors = FieldErrors::default();
    let p = period(&mut errors, input);
    let n = sample_size(&mut errors, input);
    errors.into_result()?;
    let Some(p) = p else {
        return Err(ServiceError::Invalid(FieldErrors::default()));
    };
    db::write_tx(conn, |c| {
        let rows = q::sample(c, p.start, p.end, n)?;
        let rows = views(c, &rows)?;
        let mut e = ctx.entry(Some(role), "audit_sample", Some("logguppfoljning".into()));
        e.detail = Some(
            Msg::key("log-audit-sample")
                .arg("from", p.from.to_string())
                .arg("to", p.to.to_string())
                .arg("drawn", rows.len())
                .arg("n", n),
        );
        e.subjects = shown_citizens(&rows);
        ctx.log(c, &e)?;
        Ok(rows)
    })
}

/// Records a check with its sample (the drawn entry ids, which must be entries of the period).
/// Logged as `audit_spot_check`.
pub fn record_check(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &CheckInput,
) -> Result<i64, ServiceError> {
    let role = ctx.require(Access::SpotChecks)?;
    let actor = ctx.actor()?;
    let mut errors = FieldErrors::default();
    let p = period(&mut errors, input);
    let n = sample_size(&mut errors, input);
    let scope = super::super::text_field(&mut errors, "scope", &input.scope, 2000, true);
    let findings = super::super::text_field(&mut errors, "findings", &input.findings, 4000, true);
    let follow_up =
        super::super::text_field(&mut errors, "follow_up", &input.follow_up, 4000, false);
    if outcome_label(input.outcome.trim()).is_empty() {
        errors.add("outcome", crate::messages::AUDIT_OUTCOME);
    }
    let ids: Vec<i64> = input
        .sample
        .iter()
        .filter_map(|s| s.trim().parse::<i64>().ok())
        .collect();
    if ids.len() != input.sample.len() || ids.len() as i64 > SAMPLE_MAX {
        errors.add("sample_size", crate::messages::AUDIT_SAMPLE_OUTSIDE);
    }
    errors.into_result()?;
    let Some(p) = p else {
        return Err(ServiceError::Invalid(FieldErrors::default()));
    };
    db::write_tx(conn, |c| {
        let found = q::ids_in_period(c, &ids, p.start, p.end)?;
        let distinct: BTreeSet<i64> = ids.iter().copied().collect();
        if found.len() != distinct.len() {
            let mut errors = FieldErrors::default();
            errors.add("sample_size", crate::messages::AUDIT_SAMPLE_OUTSIDE);
            return Err(ServiceError::Invalid(errors));
        }
        let id = q::add_check(
            c,
            &NewSpotCheck {
                created_at: db::ts(ctx.now),
                user_id: actor.user_id,
                user_name: &actor.name,
                user_hsa_id: &actor.hsa_id,
                period_from: p.from,
                period_to: p.to,
                scope: &scope,
                sample_size: n as i32,
                findings: &findings,
                outcome: input.outcome.trim(),
                follow_up: &follow_up,
            },
            &ids,
        )?;
        let mut e = ctx.entry(
            Some(role),
            "audit_spot_check",
            Some(format!("logguppfoljning:{id}")),
        );
        e.detail = Some(
            Msg::key("log-audit-spot-check")
                .arg("from", p.from.to_string())
                .arg("to", p.to.to_string())
                .arg("n", distinct.len())
                .arg("outcome", input.outcome.trim()),
        );
        ctx.log(c, &e)?;
        Ok(id)
    })
}

/// Recorded checks, newest first, older than `before`; and the cursor of the next page.
pub fn list(
    conn: &mut DbConnection,
    ctx: &Ctx,
    before: Option<i64>,
) -> Result<(Vec<SpotCheck>, Option<i64>), ServiceError> {
    ctx.require(Access::SpotChecks)?;
    let mut rows = q::checks(conn, before, CHECKS_PAGE + 1)?;
    let next = if rows.len() as i64 > CHECKS_PAGE {
        rows.truncate(CHECKS_PAGE as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    Ok((rows, next))
}

/// One check with its sample. Logged as `audit_spot_check_view`, naming the sample's citizens.
pub fn open(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
) -> Result<(SpotCheck, Vec<EntryView>), ServiceError> {
    let role = ctx.require(Access::SpotChecks)?;
    db::write_tx(conn, |c| {
        let check = q::check(c, id)?.ok_or(ServiceError::NotFound)?;
        let ids = q::check_entries(c, id)?;
        let entries = q::entries(c, &ids)?;
        let rows = views(c, &entries)?;
        let mut e = ctx.entry(
            Some(role),
            "audit_spot_check_view",
            Some(format!("logguppfoljning:{id}")),
        );
        e.detail = Some(Msg::key("log-audit-sample-view").arg("n", rows.len()));
        e.subjects = shown_citizens(&rows);
        ctx.log(c, &e)?;
        Ok((check, rows))
    })
}

/// A drawn sample shown again (the form came back with errors): the posted ids, at most
/// [`SAMPLE_MAX`]. Logged as `audit_sample`, naming the citizens shown.
pub fn show_sample(
    conn: &mut DbConnection,
    ctx: &Ctx,
    ids: &[String],
) -> Result<Vec<EntryView>, ServiceError> {
    let role = ctx.require(Access::SpotChecks)?;
    let ids: Vec<i64> = ids
        .iter()
        .filter_map(|s| s.trim().parse::<i64>().ok())
        .take(SAMPLE_MAX as usize)
        .collect();
    db::write_tx(conn, |c| {
        let entries = q::entries(c, &ids)?;
        let rows = views(c, &entries)?;
        let mut e = ctx.entry(Some(role), "audit_sample", Some("logguppfoljning".into()));
        e.detail = Some(Msg::key("log-audit-sample-again").arg("n", rows.len()));
        e.subjects = shown_citizens(&rows);
        ctx.log(c, &e)?;
        Ok(rows)
    })
}
