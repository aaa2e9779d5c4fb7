//! Admin page for care providers outside the region: other public ones and approved private ones.

use super::*;

#[derive(Template)]
#[template(path = "admin/providers.html")]
pub(super) struct ProvidersPage {
    l: Layout,
    rows: Vec<CareProvider>,
    pager: Pager,
    form: ProviderInput,
    errors: FieldErrors,
    saved: bool,
    kinds: Vec<crate::web::view::Choice>,
}

impl ProvidersPage {
    /// A provider's kind as the list shows it.
    fn kind_key(&self, code: &str) -> &'static str {
        crate::domain::provider::ProviderKind::parse(code)
            .map(kind_key)
            .unwrap_or("admin-providers-kind-unknown")
    }
}

pub(super) async fn providers_page(
    state: &AppState,
    staff: &Staff,
    cursor: Cursor<()>,
    form: ProviderInput,
    errors: FieldErrors,
    saved: bool,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(state);
    let page = state
        .run(move |conn| admin::providers_page(conn, &ctx, &cursor, pages::PER_PAGE))
        .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let kinds = crate::domain::provider::ProviderKind::ALL
        .into_iter()
        .map(|k| crate::web::view::Choice {
            value: k.code().into(),
            label: staff.actor.lang.t(kind_key(k)),
            checked: form.kind == k.code(),
        })
        .collect();
    Ok(pages::render(
        status,
        &ProvidersPage {
            kinds,
            l: staff.page("admin-providers-title"),
            pager: Pager::keyed(&page, "/admin/vardgivare", ""),
            rows: page.rows,
            form,
            errors,
            saved,
        },
    ))
}

pub(super) async fn providers(
    state: web::Data<AppState>,
    staff: AdminStaff,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    providers_page(
        &state,
        &staff,
        Cursor::parse(query.efter.as_deref(), query.fore.as_deref()),
        ProviderInput::default(),
        FieldErrors::default(),
        query.sparad.is_some(),
    )
    .await
}

pub(super) async fn add_provider(
    state: web::Data<AppState>,
    staff: AdminStaff,
    form: HtmlForm<ProviderInput>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let input = form.0;
    let i2 = input.clone();
    match state
        .run(move |conn| admin::add_provider(conn, &ctx, &i2))
        .await
    {
        Ok(_) => Ok(see_other("/admin/vardgivare?sparad=1")),
        Err(AppError::Service(ServiceError::Invalid(errors))) => {
            providers_page(&state, &staff, Cursor::First, input, errors, false).await
        }
        Err(e) => Err(e),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct ApprovedForm {
    #[serde(default)]
    approved: bool,
}

pub(super) async fn set_provider(
    state: web::Data<AppState>,
    staff: AdminStaff,
    id: web::Path<i64>,
    form: HtmlForm<ApprovedForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let id = id.into_inner();
    let approved = form.0.approved;
    state
        .run(move |conn| admin::set_provider_approved(conn, &ctx, id, approved))
        .await?;
    Ok(see_other("/admin/vardgivare?sparad=1"))
}

/// The catalog key naming a kind of provider.
fn kind_key(k: crate::domain::provider::ProviderKind) -> &'static str {
    match k {
        crate::domain::provider::ProviderKind::Public => "admin-providers-kind-public",
        crate::domain::provider::ProviderKind::Private => "admin-providers-kind-private",
    }
}
