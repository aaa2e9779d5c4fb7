//! The emergency phone: registering a call, linking the written form later.

use super::*;

#[derive(Template)]
#[template(path = "cases/call.html")]
pub(super) struct CallPage {
    l: Layout,
    form: CallInput,
    units: Vec<Choice>,
    requested_by: Vec<Choice>,
    errors: FieldErrors,
}

pub(super) async fn call_page(
    state: &AppState,
    staff: &Staff,
    form: CallInput,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(state);
    state.authorize(&ctx, Access::HandleCases).await?;
    let ch = state
        .run(move |c| cases::form_choices(c, &ctx, None, "lock", "", None))
        .await?;
    let units = ch
        .units
        .iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: format!("{} ({})", u.name, u.code),
            checked: form.unit_id == u.id.to_string(),
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(pages::render(
        status,
        &CallPage {
            l: staff.page("case-call-title"),
            requested_by: words::choices(
                staff.actor.lang,
                REQUESTED_BY,
                std::slice::from_ref(&form.requested_by),
            ),
            form,
            units,
            errors,
        },
    ))
}

pub(super) async fn call_form(
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    call_page(&state, &staff, CallInput::default(), FieldErrors::default()).await
}

pub(super) async fn call(
    state: web::Data<AppState>,
    staff: Staff,
    form: HtmlForm<CallInput>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let input = form.0;
    let i2 = input.clone();
    let prefix = cases::Workflow::from_config(&state.config);
    match state
        .run(move |c| cases::register_call(c, &ctx, &i2, &prefix))
        .await
    {
        Ok((id, _)) => Ok(see_other(format!("/arenden/{id}"))),
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            call_page(&state, &staff, input, errors).await
        }
        Err(e) => Err(e),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct LinkQuery {
    /// The incoming case whose data the form is (`?fran=ID`, from its page's offer).
    fran: Option<i64>,
}

pub(super) async fn link_form_page(
    state: web::Data<AppState>,
    staff: HandlerStaff,
    id: web::Path<i64>,
    q: web::Query<LinkQuery>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let ctx = staff.ctx(&state);
    let register = state.register.clone();
    let v = state
        .run(move |c| cases::view(c, &ctx, id, register.as_ref(), false))
        .await?;
    let today = crate::clock::swedish_today(state.clock.now());
    let mut form = CaseInput::from_row(&v.case, today);
    if let Some(from) = q.fran {
        // The incoming case's data, as keyed in or sent (its read is logged like any case view),
        // for the emergency case's version.
        let ctx = staff.ctx(&state);
        let register = state.register.clone();
        let incoming = state
            .run(move |c| cases::view(c, &ctx, from, register.as_ref(), false))
            .await?;
        form = CaseInput::from_row(&incoming.case, today);
        form.version = v.case.version;
        form.linked_from = from.to_string();
    }
    form_page(
        &state,
        &staff,
        "link",
        format!("/arenden/{id}/blankett"),
        form,
        FieldErrors::default(),
        None,
    )
    .await
}

pub(super) async fn link_form(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    form: HtmlForm<CaseInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let ctx = staff.ctx(&state);
    let input = form.0;
    let i2 = input.clone();
    let wf = cases::Workflow::from_config(&state.config);
    match state
        .run(move |c| cases::link_form(c, &ctx, id, &i2, &wf))
        .await
    {
        Ok(()) => Ok(see_other(format!("/arenden/{id}"))),
        Err(e) => {
            back_to_form(
                &state,
                &staff,
                "link",
                format!("/arenden/{id}/blankett"),
                input,
                e,
            )
            .await
        }
    }
}
