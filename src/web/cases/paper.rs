//! Registering a paper form.

use super::*;

pub(super) async fn paper_form(
    state: web::Data<AppState>,
    staff: HandlerStaff,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let kind = if q.typ.as_deref() == Some("unlock") {
        "unlock"
    } else {
        "lock"
    };
    let form = CaseInput {
        kind: kind.into(),
        requested_by: "staff".into(),
        care_provider: "region".into(),
        ..Default::default()
    };
    form_page(
        &state,
        &staff,
        "paper",
        "/blankett".into(),
        form,
        FieldErrors::default(),
        None,
    )
    .await
}

pub(super) async fn paper(
    state: web::Data<AppState>,
    staff: Staff,
    form: HtmlForm<CaseInput>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let input = form.0;
    let i2 = input.clone();
    let wf = cases::Workflow::from_config(&state.config);
    match state
        .run(move |c| cases::register_paper(c, &ctx, &i2, &wf))
        .await
    {
        Ok(id) => Ok(see_other(format!("/arenden/{id}"))),
        Err(e) => back_to_form(&state, &staff, "paper", "/blankett".into(), input, e).await,
    }
}
