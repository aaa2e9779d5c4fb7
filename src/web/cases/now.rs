//! "Är invånaren låst?": who is locked now, for the handler answering the phone (and a unit's
//! staff, over their units' cases). The personnummer travels in the POST body.

use super::*;

/// One lock in force, as the page shows it.
pub struct NowLock {
    pub id: i64,
    pub number: String,
    pub since: String,
    pub unit: String,
    pub status: String,
    pub review: String,
}

/// The state shown.
pub struct NowView {
    pub pnr: String,
    pub own_units_only: bool,
    pub locked: Vec<NowLock>,
    /// (lock id, lock number, unlock id, unlock number).
    pub lifted: Vec<(i64, String, i64, String)>,
    /// (id, number, kind, status).
    pub under_way: Vec<(i64, String, String, String)>,
}

#[derive(Template)]
#[template(path = "cases/now.html")]
pub(super) struct NowPage {
    l: Layout,
    pnr: String,
    now: Option<NowView>,
    errors: FieldErrors,
}

fn layout(staff: &Staff) -> Layout {
    let mut l = staff.layout("");
    l.title = l.t("lifecycle-now-title");
    l
}

pub(super) async fn now_form(
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    state.authorize(&ctx, Access::ListCases).await?;
    Ok(pages::ok(&NowPage {
        l: layout(&staff),
        pnr: String::new(),
        now: None,
        errors: FieldErrors::default(),
    }))
}

#[derive(serde::Deserialize)]
pub(super) struct NowForm {
    #[serde(default)]
    pnr: String,
}

pub(super) async fn now(
    state: web::Data<AppState>,
    staff: Staff,
    form: HtmlForm<NowForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let pnr = form.0.pnr;
    let p2 = pnr.clone();
    match state.run(move |c| cases::citizen_now(c, &ctx, &p2)).await {
        Ok(n) => {
            let lang = staff.actor.lang;
            let label = |r: &crate::db::models::CaseRow| {
                words::case_label(lang, r.diary_number.as_deref(), r.id)
            };
            let view = NowView {
                pnr: n.pnr.clone(),
                own_units_only: n.own_units_only,
                locked: n
                    .locked
                    .iter()
                    .map(|x| NowLock {
                        id: x.case.id,
                        number: label(&x.case),
                        since: x
                            .case
                            .executed_at
                            .as_ref()
                            .map(local_time)
                            .unwrap_or_default(),
                        unit: x.unit_name.clone(),
                        status: words::status(lang, x.case.status),
                        review: x
                            .case
                            .review_due
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "–".into()),
                    })
                    .collect(),
                lifted: n
                    .lifted
                    .iter()
                    .map(|(l, u)| (l.id, label(l), u.id, label(u)))
                    .collect(),
                under_way: n
                    .under_way
                    .iter()
                    .map(|r| {
                        (
                            r.id,
                            label(r),
                            words::kind(lang, r.kind),
                            words::status(lang, r.status),
                        )
                    })
                    .collect(),
            };
            Ok(pages::ok(&NowPage {
                l: layout(&staff),
                pnr: n.pnr,
                now: Some(view),
                errors: FieldErrors::default(),
            }))
        }
        Err(AppError::Service(ServiceError::Invalid(errors))) => Ok(pages::render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NowPage {
                l: layout(&staff),
                pnr,
                now: None,
                errors,
            },
        )),
        Err(e) => Err(e),
    }
}
