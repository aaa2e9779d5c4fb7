//! Admin page for failed mail, with resend.

use super::*;

/// A failed message as listed for the admin.
pub struct MailRow {
    pub id: i64,
    pub case_id: Option<i64>,
    pub recipient: String,
    pub encrypted: bool,
    pub attempts: i32,
    pub last_error: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin/mail.html")]
pub(super) struct MailPage {
    l: Layout,
    rows: Vec<MailRow>,
    pager: Pager,
    pending: i64,
    notice: Option<Msg>,
    /// Resending is the admin's; a handler reads the list (`Access::MailStatus`).
    can_resend: bool,
}

pub(super) async fn mail_page(
    state: &AppState,
    staff: &Staff,
    cursor: Cursor<()>,
    notice: Option<Msg>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(state);
    let (page, pending) = state
        .run(move |c| {
            let p = crate::service::outbox::failed_page(c, &ctx, &cursor, pages::PER_PAGE)?;
            let pending = crate::service::outbox::pending_count(c, &ctx)?;
            Ok((p, pending))
        })
        .await?;
    let pager = Pager::keyed(&page, "/admin/post", "");
    let rows = page
        .rows
        .into_iter()
        .map(|m| MailRow {
            id: m.id,
            case_id: m.case_id,
            recipient: m.recipient,
            encrypted: m.encrypted,
            attempts: m.attempts,
            last_error: m.last_error,
            created: crate::web::view::local_time(&m.created_at),
        })
        .collect();
    Ok(pages::ok(&MailPage {
        l: staff.page("admin-mail-title"),
        rows,
        pager,
        pending,
        notice,
        can_resend: staff.actor.has(Role::Admin),
    }))
}

/// The failed mail: admins (who resend) and handlers (whose feedback it is) read it; the service
/// asks the policy (`Access::MailStatus`) and logs a refusal.
pub(super) async fn mail(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = query
        .sparad
        .as_ref()
        .map(|_| Msg::key("admin-mail-requeued"));
    mail_page(
        &state,
        &staff,
        Cursor::parse(query.efter.as_deref(), query.fore.as_deref()),
        notice,
    )
    .await
}

pub(super) async fn resend(
    state: web::Data<AppState>,
    staff: AdminStaff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let id = id.into_inner();
    match state
        .run(move |c| crate::service::outbox::resend(c, &ctx, id))
        .await
    {
        Ok(()) => Ok(see_other("/admin/post?sparad=1")),
        Err(AppError::Service(ServiceError::Declined(reason))) => {
            mail_page(&state, &staff, Cursor::First, Some(reason.msg())).await
        }
        Err(e) => Err(e),
    }
}
