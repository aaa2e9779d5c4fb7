//! Admin pages for staff accounts.

use super::*;

#[derive(Template)]
#[template(path = "admin/users.html")]
pub(super) struct UsersPage {
    l: Layout,
    q: String,
    q_error: Option<Msg>,
    rows: Vec<admin::UserSummary>,
    /// Links for the list without a search term; none for a search (its pages are POSTs).
    pager: Pager,
    /// A search's page keys, for the POST buttons that page through it.
    prev_key: Option<String>,
    next_key: Option<String>,
    /// Only those who never finished enrolment (from the start page).
    unfinished: bool,
}

/// The staff list, paged by links. A search term travels only in a POST body
/// ([`search_users`]): what an administrator types in the search field (a name, an HSA-id, or by
/// mistake a personnummer) never reaches an address, a browser's history or a proxy's log. A
/// term in the address (an old bookmark) is not used.
pub(super) async fn users(
    state: web::Data<AppState>,
    staff: AdminStaff,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let cursor = Cursor::parse(query.efter.as_deref(), query.fore.as_deref());
    let unfinished = query.urval.as_deref() == Some("ofullstandig");
    users_list(state, staff, String::new(), cursor, unfinished).await
}

#[derive(serde::Deserialize)]
pub(super) struct UserSearch {
    #[serde(default)]
    q: String,
    efter: Option<String>,
    fore: Option<String>,
    urval: Option<String>,
}

/// A search of the staff list: the term and the page key in the POST body.
pub(super) async fn search_users(
    state: web::Data<AppState>,
    staff: AdminStaff,
    form: HtmlForm<UserSearch>,
) -> Result<HttpResponse, AppError> {
    let UserSearch {
        q,
        efter,
        fore,
        urval,
    } = form.0;
    let cursor = Cursor::parse(efter.as_deref(), fore.as_deref());
    let unfinished = urval.as_deref() == Some("ofullstandig");
    users_list(state, staff, q, cursor, unfinished).await
}

async fn users_list(
    state: web::Data<AppState>,
    staff: AdminStaff,
    q: String,
    cursor: Cursor<()>,
    unfinished: bool,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let q: String = q.chars().take(100).collect();
    let q_error = has_control(&q, false).then(|| Msg::from(crate::messages::CONTROL_CHARS));
    let q2 = q.clone();
    let page = match &q_error {
        // No search with a refused term.
        Some(_) => crate::db::page::Page {
            rows: vec![],
            prev: None,
            next: None,
            count: crate::db::page::Count::Exact(0),
        },
        None => {
            state
                .run(move |c| admin::users_page(c, &ctx, &q2, unfinished, &cursor, pages::PER_PAGE))
                .await?
        }
    };
    let base = if unfinished { "urval=ofullstandig" } else { "" };
    let links = Pager::keyed(&page, "/admin/anvandare", base);
    let key = |k: &Option<((), i64)>| k.as_ref().map(|(k, id)| crate::db::page::key_text(k, *id));
    let searched = !q.is_empty();
    let (pager, prev_key, next_key) = if searched {
        (
            Pager {
                first: None,
                prev: None,
                next: None,
                ..links
            },
            key(&page.prev),
            key(&page.next),
        )
    } else {
        (links, None, None)
    };
    Ok(pages::ok(&UsersPage {
        l: staff.page("admin-users-title"),
        q,
        q_error,
        pager,
        prev_key,
        next_key,
        rows: page.rows,
        unfinished,
    }))
}

#[derive(Template)]
#[template(path = "admin/user_form.html")]
pub(super) struct UserFormPage {
    l: Layout,
    /// None for a new user.
    id: Option<i64>,
    form: UserInput,
    roles: Vec<Choice>,
    units: Vec<Choice>,
    errors: FieldErrors,
    saved: bool,
    notice: Option<Msg>,
}

pub(super) fn choices(
    lang: crate::i18n::Lang,
    form: &UserInput,
    all_units: &[Unit],
) -> (Vec<Choice>, Vec<Choice>) {
    let roles = Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.code().into(),
            label: pages::role_label(lang, *r),
            checked: form.roles.iter().any(|x| x == r.code()),
        })
        .collect();
    let units = all_units
        .iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: format!("{} ({})", u.name, u.code),
            checked: form.units.iter().any(|x| *x == u.id.to_string()),
        })
        .collect();
    (roles, units)
}

pub(super) async fn user_form(
    state: &AppState,
    staff: &Staff,
    id: Option<i64>,
    form: UserInput,
    errors: FieldErrors,
    saved: bool,
    notice: Option<Msg>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(state);
    let all_units = state.run(move |conn| admin::all_units(conn, &ctx)).await?;
    let (roles, units) = choices(staff.actor.lang, &form, &all_units);
    let status = if errors.is_empty() && notice.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = if id.is_some() {
        "admin-user-edit-title"
    } else {
        "admin-user-new-title"
    };
    Ok(pages::render(
        status,
        &UserFormPage {
            l: staff.page(title),
            id,
            form,
            roles,
            units,
            errors,
            saved,
            notice,
        },
    ))
}

pub(super) async fn new_user_form(
    state: web::Data<AppState>,
    staff: AdminStaff,
) -> Result<HttpResponse, AppError> {
    let form = UserInput {
        active: true,
        ..Default::default()
    };
    user_form(
        &state,
        &staff,
        None,
        form,
        FieldErrors::default(),
        false,
        None,
    )
    .await
}

#[derive(Template)]
#[template(path = "admin/link.html")]
pub(super) struct LinkPage {
    l: Layout,
    user_name: String,
    hsa_id: String,
    link: String,
    hours: i64,
}

pub(super) fn link_page(
    state: &AppState,
    staff: &Staff,
    name: &str,
    hsa_id: &str,
    token: &str,
) -> HttpResponse {
    pages::ok(&LinkPage {
        l: staff.page("admin-link-title"),
        user_name: name.to_string(),
        hsa_id: hsa_id.to_string(),
        link: format!("{}/aktivera/{}", state.config.public_url(), token),
        hours: state.config.enrolment_link_hours,
    })
}

pub(super) async fn create_user(
    state: web::Data<AppState>,
    staff: AdminStaff,
    form: HtmlForm<UserInput>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let input = form.0;
    let i2 = input.clone();
    let hours = state.config.enrolment_link_hours;
    match state
        .run(move |conn| admin::create_user(conn, &ctx, &i2, FirstPassword::Link { hours }))
        .await
    {
        Ok(created) => {
            let token = created.enrolment_token.unwrap_or_default();
            Ok(link_page(
                &state,
                &staff,
                &input.name,
                &input.hsa_id.trim().to_ascii_uppercase(),
                &token,
            ))
        }
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            user_form(&state, &staff, None, input, errors, false, None).await
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn edit_user_form(
    state: web::Data<AppState>,
    staff: AdminStaff,
    id: web::Path<i64>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let id = id.into_inner();
    let d = state
        .run(move |conn| admin::user_details(conn, &ctx, id))
        .await?;
    let form = UserInput {
        hsa_id: d.user.hsa_id,
        name: d.user.name,
        email: d.user.email,
        roles: d.roles.iter().map(|r| r.code().to_string()).collect(),
        units: d.units.iter().map(|u| u.id.to_string()).collect(),
        is_decider: d.user.is_decider,
        active: d.user.active,
    };
    user_form(
        &state,
        &staff,
        Some(id),
        form,
        FieldErrors::default(),
        query.sparad.is_some(),
        None,
    )
    .await
}

pub(super) async fn update_user(
    state: web::Data<AppState>,
    staff: AdminStaff,
    id: web::Path<i64>,
    form: HtmlForm<UserInput>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let id = id.into_inner();
    let mut input = form.0;
    let i2 = input.clone();
    match state
        .run(move |conn| admin::update_user(conn, &ctx, id, &i2))
        .await
    {
        Ok(()) => Ok(see_other(format!("/admin/anvandare/{id}?sparad=1"))),
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            let ctx = staff.ctx(&state);
            let d = state
                .run(move |conn| admin::user_details(conn, &ctx, id))
                .await?;
            input.hsa_id = d.user.hsa_id;
            user_form(&state, &staff, Some(id), input, errors, false, None).await
        }
        Err(AppError::Service(ServiceError::Declined(reason))) => {
            let ctx = staff.ctx(&state);
            let d = state
                .run(move |conn| admin::user_details(conn, &ctx, id))
                .await?;
            input.hsa_id = d.user.hsa_id;
            user_form(
                &state,
                &staff,
                Some(id),
                input,
                FieldErrors::default(),
                false,
                Some(reason.msg()),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn reset_login(
    state: web::Data<AppState>,
    staff: AdminStaff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let id = id.into_inner();
    let hours = state.config.enrolment_link_hours;
    let (token, d) = state
        .run(move |conn| {
            let t = admin::reset_login(conn, &ctx, id, hours)?;
            let d = admin::user_details(conn, &ctx, id)?;
            Ok((t, d))
        })
        .await?;
    Ok(link_page(
        &state,
        &staff,
        &d.user.name,
        &d.user.hsa_id,
        &token,
    ))
}
