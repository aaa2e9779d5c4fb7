//! The case form: a new request, editing a draft or a returned case.

use super::*;

/// What the case form needs to render.
#[derive(Template)]
#[template(path = "cases/form.html")]
pub(super) struct FormPage {
    l: Layout,
    /// "create", "edit", "paper" or "link".
    mode: &'static str,
    action: String,
    form: CaseInput,
    errors: FieldErrors,
    units: Vec<Choice>,
    members: Vec<Choice>,
    providers: Vec<Choice>,
    locks: Vec<Choice>,
    /// A new lock's duplicates: (case id, number, status).
    existing: Vec<(i64, String, String)>,
    risks: Vec<Choice>,
    basis: Vec<Choice>,
    situations: Vec<Choice>,
    requested_by: Vec<Choice>,
    not_informed: Vec<Choice>,
    is_lock: bool,
    notice: Option<String>,
    /// The instruction's decider roles, for a keyed-in form (002 §3.1).
    decider_roles: Vec<Choice>,
    /// The reason field's label, naming the setting's days.
    journal_reason_label: String,
}

pub(super) async fn form_page(
    state: &AppState,
    staff: &Staff,
    mode: &'static str,
    action: String,
    form: CaseInput,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(state);
    let lang = staff.actor.lang;
    let unit = form.unit_id.parse::<i64>().ok();
    let pnr = form.citizen_pnr.clone();
    let kind = form.kind.clone();
    // The case the form edits (its own draft is no duplicate of itself).
    let this_case = action
        .strip_prefix("/arenden/")
        .and_then(|rest| rest.split('/').next())
        .and_then(|id| id.parse::<i64>().ok());
    let ch = state
        .run(move |c| cases::form_choices(c, &ctx, unit, &kind, &pnr, this_case))
        .await?;
    let existing = ch
        .existing
        .iter()
        .map(|r| {
            (
                r.id,
                words::case_label(lang, r.diary_number.as_deref(), r.id),
                words::status(lang, r.status),
            )
        })
        .collect();
    let units = ch
        .units
        .iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: format!("{} ({})", u.name, u.code),
            checked: form.unit_id == u.id.to_string(),
        })
        .collect();
    let members = ch
        .members
        .iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: u.name.clone(),
            checked: form.review_responsible_user_id == u.id.to_string(),
        })
        .collect();
    let mut providers = vec![Choice {
        value: "region".into(),
        label: lang.t("case-view-region"),
        checked: form.care_provider.is_empty() || form.care_provider == "region",
    }];
    providers.extend(ch.providers.iter().map(|p| Choice {
        value: p.id.to_string(),
        label: format!(
            "{} ({}) – {}",
            p.name,
            p.org_number,
            crate::domain::provider::ProviderKind::parse(&p.kind)
                .map(|k| words::provider_kind(lang, k))
                .unwrap_or_default()
        ),
        checked: form.care_provider == p.id.to_string(),
    }));
    let chosen_role = crate::domain::decider::DeciderRole::parse(&form.decider_role);
    let decider_roles = crate::domain::decider::DeciderRole::ALL
        .into_iter()
        .map(|r| Choice {
            value: r.code().into(),
            label: words::decider(lang, r),
            checked: chosen_role == Some(r),
        })
        .collect();
    let locks = ch
        .locks
        .iter()
        .map(|c| Choice {
            value: c.id.to_string(),
            label: lang.t_args(
                "case-f-related-option",
                &[
                    ("number", c.diary_number.clone().unwrap_or_default().into()),
                    ("status", words::status(lang, c.status).into()),
                ],
            ),
            checked: form.related_case_id == c.id.to_string(),
        })
        .collect();
    let title = match mode {
        "paper" => "case-form-title-paper",
        "link" => "case-form-title-link",
        "edit" => "case-form-title-edit",
        _ if form.kind == "unlock" => "case-new-unlock",
        _ => "case-new-lock",
    };
    let status = if errors.is_empty() && notice.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FormPage {
        decider_roles,
        journal_reason_label: lang.t1(
            "case-f-journal-reason",
            "days",
            state.config.journal_note_max_age_days,
        ),
        l: staff.page(title),
        mode,
        action,
        is_lock: form.kind != "unlock",
        risks: words::choices(lang, RISKS, &form.risk_kinds),
        basis: words::choices(lang, BASIS, &form.basis),
        situations: words::choices(lang, SITUATIONS, &form.situations),
        requested_by: words::choices(lang, REQUESTED_BY, std::slice::from_ref(&form.requested_by)),
        not_informed: words::choices(
            lang,
            NOT_INFORMED,
            std::slice::from_ref(&form.patient_not_informed_reason),
        ),
        form,
        errors,
        units,
        members,
        providers,
        locks,
        existing,
        notice,
    };
    Ok(pages::render(status, &page))
}

pub(super) async fn new_form(
    state: web::Data<AppState>,
    staff: Staff,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    if !(staff.actor.has(Role::Clinician) || staff.actor.has(Role::Manager)) {
        // "Ny begäran" is the unit's (a handler registers paper forms instead).
        let ctx = staff.ctx(&state);
        let denial = ctx.denial(
            Access::FileCase { unit_id: 0 },
            crate::service::Refusal::Role,
            None,
            None,
            None,
        );
        return Err(state.refuse(denial).await);
    }
    let kind = if q.typ.as_deref() == Some("unlock") {
        "unlock"
    } else {
        "lock"
    };
    let form = CaseInput {
        kind: kind.into(),
        unit_id: staff
            .actor
            .units
            .first()
            .map(|u| u.id.to_string())
            .unwrap_or_default(),
        requested_by: "staff".into(),
        care_provider: "region".into(),
        ..Default::default()
    };
    form_page(
        &state,
        &staff,
        "create",
        "/arenden/ny".into(),
        form,
        FieldErrors::default(),
        None,
    )
    .await
}

/// Turns a service result into the form again (on input errors) or an error page.
pub(super) async fn back_to_form(
    state: &AppState,
    staff: &Staff,
    mode: &'static str,
    action: String,
    form: CaseInput,
    err: AppError,
) -> Result<HttpResponse, AppError> {
    match err {
        AppError::Service(ServiceError::Invalid(errors)) => {
            form_page(state, staff, mode, action, form, errors, None).await
        }
        AppError::Service(ServiceError::Conflict(m) | ServiceError::Refused(m)) => {
            form_page(
                state,
                staff,
                mode,
                action,
                form,
                FieldErrors::default(),
                Some(m.in_lang(staff.actor.lang)),
            )
            .await
        }
        e => Err(e),
    }
}

pub(super) async fn create(
    state: web::Data<AppState>,
    staff: Staff,
    form: HtmlForm<CaseInput>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let input = form.0;
    let i2 = input.clone();
    let wf = cases::Workflow::from_config(&state.config);
    match state
        .run(move |c| cases::create_draft(c, &ctx, &i2, &wf))
        .await
    {
        Ok(id) => Ok(see_other(format!("/arenden/{id}"))),
        Err(e) => back_to_form(&state, &staff, "create", "/arenden/ny".into(), input, e).await,
    }
}

pub(super) async fn edit_form(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let ctx = staff.ctx(&state);
    let register = state.register.clone();
    let v = state
        .run(move |c| cases::view(c, &ctx, id, register.as_ref(), false))
        .await?;
    if !v.case.status.is_editable() {
        return Err(ServiceError::Refused(crate::i18n::Msg::key("case-msg-not-editable")).into());
    }
    let mut form = CaseInput::from_row(&v.case, crate::clock::swedish_today(state.clock.now()));
    if v.case.citizen_protected {
        // The form shows what was typed; for a protected citizen that includes the name, so
        // it is shown only to the unit that filed it.
        form.citizen_protected = true;
    }
    form_page(
        &state,
        &staff,
        "edit",
        format!("/arenden/{id}/andra"),
        form,
        FieldErrors::default(),
        None,
    )
    .await
}

pub(super) async fn update(
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
        .run(move |c| cases::update_draft(c, &ctx, id, &i2, &wf))
        .await
    {
        Ok(()) => Ok(see_other(format!("/arenden/{id}"))),
        Err(e) => {
            back_to_form(
                &state,
                &staff,
                "edit",
                format!("/arenden/{id}/andra"),
                input,
                e,
            )
            .await
        }
    }
}
