//! The three-month review: the list of locks due and the review decision.

use super::*;

/// A lock in the "Omprövningar" list.
pub struct ReviewItem {
    pub id: i64,
    pub diary: String,
    pub pnr: String,
    pub name: String,
    pub due: String,
    pub state: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "cases/reviews.html")]
pub(super) struct ReviewsPage {
    l: Layout,
    rows: Vec<ReviewItem>,
    pager: Pager,
    ascending: bool,
    /// The selection (`lage=forsenad|snart`) in words, and its query for the sort links.
    selection: Option<String>,
    lage: String,
}

#[derive(serde::Deserialize)]
pub(super) struct ReviewsQuery {
    ordning: Option<String>,
    lage: Option<String>,
    efter: Option<String>,
    fore: Option<String>,
}

pub(super) async fn reviews(
    state: web::Data<AppState>,
    who: PageStaff,
    q: web::Query<ReviewsQuery>,
) -> Result<HttpResponse, AppError> {
    use crate::domain::review::{ReviewState, review_state};
    let ascending = q.ordning.as_deref() != Some("fallande");
    let cursor = crate::db::page::Cursor::parse(q.efter.as_deref(), q.fore.as_deref());
    let soon = state.config.review_remind_before_days;
    let selection =
        crate::service::cases::ReviewSelection::from_code(q.lage.as_deref().unwrap_or(""));
    let AsStaff {
        staff,
        ctx,
        value: page,
    } = state
        .run_as(&who, move |c, ctx| {
            crate::service::cases::reviews_selected(
                c,
                ctx,
                selection,
                soon,
                ascending,
                &cursor,
                pages::PER_PAGE,
            )
        })
        .await?;
    let today = cases::swedish_today(&ctx);
    let rows = page
        .rows
        .iter()
        .filter_map(|r| {
            let due = r.review_due?;
            let st = review_state(due, today, soon);
            Some(ReviewItem {
                id: r.id,
                diary: r.diary_number.clone().unwrap_or_default(),
                pnr: pnr_display(&r.citizen_pnr),
                name: crate::domain::personnummer::shown(&r.citizen_name, r.citizen_protected),
                due: due.to_string(),
                state: staff.actor.lang.t(match st {
                    ReviewState::Overdue => "case-review-state-overdue",
                    ReviewState::Due => "case-review-state-due",
                    ReviewState::DueSoon => "case-review-state-soon",
                    ReviewState::Later => "case-review-state-later",
                }),
                overdue: st == ReviewState::Overdue,
            })
        })
        .collect();
    let lage = selection
        .code()
        .map(|c| format!("lage={c}"))
        .unwrap_or_default();
    let base = match (lage.is_empty(), ascending) {
        (true, true) => String::new(),
        (true, false) => "ordning=fallande".into(),
        (false, true) => lage.clone(),
        (false, false) => format!("{lage}&ordning=fallande"),
    };
    let words = match selection {
        crate::service::cases::ReviewSelection::All => None,
        crate::service::cases::ReviewSelection::Overdue => {
            Some(staff.actor.lang.t("lists-reviews-overdue"))
        }
        crate::service::cases::ReviewSelection::Soon => Some(
            crate::i18n::Msg::key("lists-reviews-soon")
                .arg("n", soon)
                .in_lang(staff.actor.lang),
        ),
    };
    Ok(pages::ok(&ReviewsPage {
        l: staff.page("case-reviews-title"),
        rows,
        pager: Pager::keyed(&page, "/omprovningar", &base),
        ascending,
        selection: words,
        lage,
    }))
}

#[derive(Template)]
#[template(path = "cases/review.html")]
pub(super) struct ReviewPage {
    l: Layout,
    id: i64,
    diary: String,
    pnr: String,
    due: String,
    version: i32,
    form: crate::service::cases::ReviewInput,
    not_informed: Vec<Choice>,
    errors: FieldErrors,
    notice: Option<String>,
    /// Why this user cannot record the review now (a lifted lock, not a decider), said up front.
    unavailable: Option<String>,
}

pub(super) async fn review_page(
    state: &AppState,
    staff: &Staff,
    id: i64,
    form: crate::service::cases::ReviewInput,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(state);
    let register = state.register.clone();
    let v = state
        .run(move |c| cases::view(c, &ctx, id, register.as_ref(), false))
        .await?;
    let status = if errors.is_empty() && notice.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let lang = staff.actor.lang;
    let unavailable = if let Some(u) = &v.lifted_by {
        Some(lang.t1(
            "case-review-lifted",
            "case",
            words::case_label(lang, u.diary_number.as_deref(), u.id),
        ))
    } else if !v.actions.contains(&crate::domain::case::Action::Review) && v.role != Role::Handler {
        Some(
            crate::messages::transition(&crate::domain::case::TransitionError::ReviewNotDecider)
                .in_lang(lang),
        )
        .filter(|_| !staff.actor.is_decider)
    } else {
        None
    };
    Ok(pages::render(
        status,
        &ReviewPage {
            unavailable,
            l: staff.page("case-review-title"),
            id,
            diary: v.case.diary_number.clone().unwrap_or_default(),
            pnr: pnr_display(&v.case.citizen_pnr),
            due: v.case.review_due.map(|d| d.to_string()).unwrap_or_default(),
            version: v.case.version,
            not_informed: words::choices(
                lang,
                NOT_INFORMED,
                std::slice::from_ref(&form.patient_not_informed_reason),
            ),
            form,
            errors,
            notice,
        },
    ))
}

pub(super) async fn review_form(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    review_page(
        &state,
        &staff,
        id.into_inner(),
        Default::default(),
        FieldErrors::default(),
        None,
    )
    .await
}

pub(super) async fn review(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    form: HtmlForm<crate::service::cases::ReviewInput>,
) -> Result<HttpResponse, AppError> {
    use crate::service::cases::Reviewed;
    let id = id.into_inner();
    let ctx = staff.ctx(&state);
    let input = form.0;
    let i2 = input.clone();
    let result = state
        .run(move |c| crate::service::cases::review(c, &ctx, id, &i2))
        .await;
    match outcome(result)? {
        Outcome::Done(Reviewed::Kept(_)) => Ok(see_other(format!("/arenden/{id}"))),
        Outcome::Done(Reviewed::Unlock(new)) => Ok(see_other(format!("/arenden/{new}/andra"))),
        Outcome::Invalid(errors) => review_page(&state, &staff, id, input, errors, None).await,
        Outcome::Notice(m) => {
            review_page(&state, &staff, id, input, FieldErrors::default(), Some(m)).await
        }
    }
}
