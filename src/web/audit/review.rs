//! Entries to look at (att granska). The period is two dates in the query string (no personal
//! data); each finding links to the entries behind it as a search, posted.

use super::*;
use crate::service::audit::review::{self as rv, Rule};

pub(super) struct FindingItem {
    user: String,
    citizen: Option<CitizenItem>,
    count: usize,
    first: String,
    last: String,
    q: SearchInput,
}

#[derive(Template)]
#[template(path = "audit/review.html")]
pub(super) struct ReviewPage {
    l: Layout,
    from: String,
    to: String,
    errors: FieldErrors,
    /// Findings by rule, in the rules' order.
    groups: Vec<(String, Vec<FindingItem>)>,
    scanned: usize,
    scan_capped: bool,
    findings_capped: bool,
    burst_citizens: u32,
    burst_minutes: i64,
    office: String,
}

#[derive(serde::Deserialize)]
pub(super) struct ReviewQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

pub(super) async fn review(
    state: web::Data<AppState>,
    staff: AuditorStaff,
    q: web::Query<ReviewQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let settings = rv::Settings::from_config(&state.config);
    let (from, to) = (q.from.clone(), q.to.clone());
    let (f2, t2) = (from.clone(), to.clone());
    let result = state
        .run(move |c| rv::review(c, &ctx, &settings, &f2, &t2))
        .await;
    let cfg = &state.config;
    let mut page = ReviewPage {
        l: staff.layout("Att granska"),
        from,
        to,
        errors: FieldErrors::default(),
        groups: vec![],
        scanned: 0,
        scan_capped: false,
        findings_capped: false,
        burst_citizens: cfg.audit_burst_citizens,
        burst_minutes: cfg.audit_burst_minutes,
        office: format!(
            "{:02}:00–{:02}:00",
            cfg.office_hours_start, cfg.office_hours_end
        ),
    };
    match result {
        Ok(r) => {
            page.from = r.from;
            page.to = r.to;
            page.scanned = r.scanned;
            page.scan_capped = r.scan_capped;
            page.findings_capped = r.findings_capped;
            for rule in [
                Rule::Protected,
                Rule::NoCaseInUnit,
                Rule::OffHours,
                Rule::Burst,
            ] {
                let items = r
                    .findings
                    .iter()
                    .filter(|f| f.rule == rule)
                    .map(|f| FindingItem {
                        user: if f.user_name.is_empty() {
                            f.user_hsa_id.clone()
                        } else {
                            format!("{} ({})", f.user_name, f.user_hsa_id)
                        },
                        citizen: f.citizen.as_ref().map(|c| CitizenItem {
                            pnr: pnr_display(&c.pnr),
                            name: c.name.clone(),
                        }),
                        count: f.count,
                        first: svc::local(&f.first),
                        last: svc::local(&f.last),
                        q: f.search.clone(),
                    })
                    .collect();
                let title = match rule {
                    Rule::Protected => page.l.t("aud-rule-protected"),
                    Rule::NoCaseInUnit => page.l.t("aud-rule-no-case"),
                    Rule::OffHours => {
                        format!("{} ({})", page.l.t("aud-rule-off-hours"), page.office)
                    }
                    Rule::Burst => format!(
                        "{} ({} / {} min)",
                        page.l.t("aud-rule-burst"),
                        page.burst_citizens,
                        page.burst_minutes
                    ),
                };
                page.groups.push((title, items));
            }
            Ok(pages::ok(&page))
        }
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            page.errors = errors;
            Ok(pages::render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e),
    }
}
