//! The case page and its actions.

use super::*;
use crate::domain::case::{Action, Channel, RequestedBy};
use crate::i18n::Arg;

#[derive(Template)]
#[template(path = "cases/view.html")]
pub(super) struct ViewPage {
    l: Layout,
    v: CaseView,
    name: String,
    masked: bool,
    /// Contact data as it may be shown (masked for a protected citizen).
    contact: String,
    /// The register's name as it may be shown.
    register_name: String,
    pnr: String,
    kind: String,
    category: &'static str,
    status: String,
    /// For the CSS class only; what the page offers comes from `offer`.
    status_code: &'static str,
    offer: Offer,
    is_lock: bool,
    returned: bool,
    withdrawn: bool,
    citizen_asked: bool,
    signed: bool,
    channel: String,
    risks: Vec<String>,
    basis: Vec<String>,
    situations: Vec<String>,
    requested_by: String,
    not_informed: String,
    /// The decider's role as signed, in the reader's language when it is one of the
    /// instruction's roles.
    decider_role: String,
    /// The role this user would sign in (empty when they cannot sign).
    signer_role: String,
    checks: Vec<CheckLine>,
    earlier: Vec<CaseItem>,
    events: Vec<(String, String, String, String)>,
    is_handler: bool,
    notice: Option<String>,
    errors: FieldErrors,
    created: String,
    executed: String,
    /// Checklist item 2 as the system compared it (handlers).
    name_check: String,
    name_check_ok: bool,
    name_diffs: Vec<String>,
    /// An emergency case's category in the helpdesk system, as recorded at the call.
    phone_category: String,
    /// The page's step forms as typed (after a refusal).
    typed: Typed,
    /// The checklist is shown (being worked on, or done: who and when stays visible).
    show_checks: bool,
    /// Nothing is left to do on the case (executed, closed or withdrawn, nothing offered).
    settled: bool,
    /// The case's diary number or number, and of the unlock that lifted it.
    lifted_by: Option<(i64, String, String)>,
    awaiting_form: Vec<(i64, String)>,
}

/// The step forms' fields as typed.
#[derive(Default)]
pub(super) struct Typed {
    helpdesk_ref: String,
    confirmed: bool,
    plexus_ref: String,
    reason: String,
}

/// The steps the page offers, from `domain::case::available_actions`.
#[derive(Default)]
pub struct Offer {
    pub edit: bool,
    pub sign: bool,
    pub submit: bool,
    pub receive: bool,
    pub return_case: bool,
    pub verify: bool,
    pub execute: bool,
    pub link_form: bool,
    pub withdraw: bool,
    pub review: bool,
}

impl Offer {
    pub fn of(actions: &[Action]) -> Offer {
        let has = |a| actions.contains(&a);
        Offer {
            edit: has(Action::Edit),
            sign: has(Action::Sign),
            submit: has(Action::Submit) || has(Action::Resubmit),
            receive: has(Action::Receive),
            return_case: has(Action::Return),
            verify: has(Action::Verify),
            execute: has(Action::Execute),
            link_form: has(Action::LinkForm),
            withdraw: has(Action::Withdraw),
            review: has(Action::Review),
        }
    }
}

pub struct CheckLine {
    pub code: &'static str,
    pub label: String,
    pub done: Option<String>,
}

/// The case page. Printing it is printing this page: the print stylesheet hides the menu, the
/// forms and the buttons, and shows the running header (diary number or case number, status) and
/// footer (who, and the time of this logged view) made here. There is no separate print view, so
/// a printed case is always a `case_view` in the access log, written in the transaction that read
/// it (`tests/it/paper.rs` holds this); a masked name is masked on paper as on screen.
pub(super) fn view_page(
    staff: &Staff,
    v: CaseView,
    notice: Option<String>,
    errors: FieldErrors,
    viewed_at: &chrono::NaiveDateTime,
) -> ViewPage {
    let r = &v.case;
    let lang = staff.actor.lang;
    let number = r
        .diary_number
        .clone()
        .unwrap_or_else(|| lang.t1("case-number", "id", r.id));
    let mut l = staff.layout(&lang.t1("case-view-title", "case", number.clone()));
    let header = lang.t_args(
        "paper-print-case-header",
        &[
            (
                "case",
                Arg::Str(format!("{} – {number}", words::kind(lang, r.kind))),
            ),
            ("status", Arg::Str(words::status(lang, r.status))),
        ],
    );
    l.print = Some(pages::PrintMarks::by(lang, header, &staff.actor, viewed_at));
    let masked = r.citizen_protected && !v.name_revealed;
    // Numbered as shown: only the items that apply, 1 to n (the catalogue's own numbers are not
    // the screen's).
    let checks = grounds::CHECKS
        .iter()
        .filter(|(c, _)| v.applicable_checks.contains(c))
        .map(|(code, _)| CheckLine {
            code,
            label: words::check(lang, code),
            done: v.checks.iter().find(|x| x.item == *code).map(|x| {
                let note = if x.note.is_empty() {
                    String::new()
                } else {
                    format!(" – {}", words::check_note(lang, &x.note))
                };
                format!("{} {}{}", x.done_by_name, local_time(&x.done_at), note)
            }),
        })
        .collect();
    use crate::domain::names::NameMatch;
    let (name_check, name_check_ok, name_diffs) = match &v.name_match {
        None => (String::new(), true, vec![]),
        Some(NameMatch::Exact) => (lang.t("case-name-check-exact"), true, vec![]),
        Some(NameMatch::Close(d)) => (
            lang.t("case-name-check-close"),
            false,
            d.iter()
                .map(|x| crate::messages::name_difference(x).in_lang(lang))
                .collect(),
        ),
        Some(NameMatch::Different) => (lang.t("case-name-check-different"), false, vec![]),
        Some(NameMatch::NotInRegister) => {
            (lang.t("case-name-check-not-in-register"), false, vec![])
        }
    };
    // A protected citizen's name parts are not shown in the differences either.
    let name_diffs = if masked { vec![] } else { name_diffs };
    let phone_category = if r.channel == crate::domain::case::Channel::Emergency {
        v.checks
            .iter()
            .find(|c| c.item == "category")
            .map(|c| format!("{} ({} {})", c.note, c.done_by_name, local_time(&c.done_at)))
            .unwrap_or_default()
    } else {
        String::new()
    };
    ViewPage {
        name_check,
        name_check_ok,
        name_diffs,
        phone_category,
        l,
        name: crate::domain::personnummer::shown(&r.citizen_name, masked),
        masked,
        contact: crate::domain::personnummer::shown(&r.citizen_contact, masked),
        register_name: v
            .register
            .as_ref()
            .map(|p| crate::domain::personnummer::shown(&p.name, p.protected && !v.name_revealed))
            .unwrap_or_default(),
        pnr: pnr_display(&r.citizen_pnr),
        kind: words::kind(lang, r.kind),
        category: r.kind.category(),
        status: words::status(lang, r.status),
        status_code: r.status.code(),
        offer: Offer::of(&v.actions),
        is_lock: r.kind == Kind::Lock,
        returned: r.status == Status::Returned,
        withdrawn: r.status == Status::Withdrawn,
        citizen_asked: r.requested_by == RequestedBy::Citizen,
        signed: r.decider_user_id.is_some() || !r.decider_name.is_empty(),
        channel: words::channel(lang, r.channel),
        risks: words::grounds(lang, &r.risk_kinds),
        basis: words::grounds(lang, &r.basis),
        situations: words::grounds(lang, &r.situations),
        requested_by: words::ground(lang, r.requested_by.code()),
        not_informed: words::ground(lang, &r.patient_not_informed_reason),
        decider_role: words::stored_decider(lang, &r.decider_role),
        signer_role: v
            .signer_role
            .map(|s| words::decider(lang, s))
            .unwrap_or_default(),
        checks,
        earlier: v.earlier.iter().map(|e| item(lang, e)).collect(),
        events: v
            .events
            .iter()
            .map(|e| {
                (
                    local_time(&e.at),
                    words::timeline(lang, &e.actor_name),
                    words::timeline(lang, &e.action),
                    e.detail_msg
                        .as_deref()
                        .and_then(|m| lang.stored(m))
                        .unwrap_or_else(|| words::timeline(lang, &e.detail)),
                )
            })
            .collect(),
        is_handler: v.role == Role::Handler,
        notice,
        errors,
        created: local_time(&r.created_at),
        executed: r.executed_at.as_ref().map(local_time).unwrap_or_default(),
        typed: Typed::default(),
        show_checks: !v.applicable_checks.is_empty()
            && (r.status == Status::Received || !v.checks.is_empty())
            && r.channel != Channel::Emergency,
        settled: v.actions.is_empty()
            && !v.plexus_due
            && matches!(
                r.status,
                Status::Executed | Status::Closed | Status::Withdrawn
            ),
        lifted_by: v.lifted_by.as_ref().map(|u| {
            (
                u.id,
                words::case_label(lang, u.diary_number.as_deref(), u.id),
                u.executed_at.as_ref().map(local_time).unwrap_or_default(),
            )
        }),
        awaiting_form: v
            .awaiting_form
            .iter()
            .map(|e| {
                (
                    e.id,
                    words::case_label(lang, e.diary_number.as_deref(), e.id),
                )
            })
            .collect(),
        v,
    }
}

/// The case page again after an upload to it, with its notice or its errors (409).
pub(super) async fn show_case(
    state: &AppState,
    staff: &Staff,
    id: i64,
    notice: Option<String>,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(state);
    let viewed_at = crate::db::ts(ctx.now);
    let register = state.register.clone();
    let v = state
        .run(move |c| cases::view(c, &ctx, id, register.as_ref(), false))
        .await?;
    let status = if notice.is_some() || !errors.is_empty() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    Ok(pages::render(
        status,
        &view_page(staff, v, notice, errors, &viewed_at),
    ))
}

#[derive(serde::Deserialize)]
pub(super) struct ShowQuery {
    /// `avslojat=1`: show a protected name this user has just revealed (POST `visa-namn`). The
    /// URL carries only this flag, never the name or the personnummer.
    avslojat: Option<String>,
}

/// The case page again after a refused step, with what the user typed in its form.
async fn show_typed(
    state: &AppState,
    staff: &Staff,
    id: i64,
    notice: Option<String>,
    errors: FieldErrors,
    typed: Typed,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(state);
    let viewed_at = crate::db::ts(ctx.now);
    let register = state.register.clone();
    let v = state
        .run(move |c| cases::view(c, &ctx, id, register.as_ref(), false))
        .await?;
    let mut page = view_page(staff, v, notice, errors, &viewed_at);
    page.typed = typed;
    Ok(pages::render(StatusCode::CONFLICT, &page))
}

/// The case page: the session, the access decision, the case and its logged view in one run.
pub(super) async fn show(
    state: web::Data<AppState>,
    who: PageStaff,
    id: web::Path<i64>,
    q: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, reveal) = (id.into_inner(), q.avslojat.as_deref() == Some("1"));
    let register = state.register.clone();
    let page = state
        .run_as(&who, move |c, ctx| {
            cases::view(c, ctx, id, register.as_ref(), reveal)
        })
        .await?;
    let viewed_at = crate::db::ts(page.ctx.now);
    Ok(pages::render(
        StatusCode::OK,
        &view_page(
            &page.staff,
            page.value,
            None,
            FieldErrors::default(),
            &viewed_at,
        ),
    ))
}

/// "Visa namnet (loggas)": the reveal is logged once by this POST, then the browser is sent to
/// the case page (POST → redirect → GET), so reloading the page does not post, or log, again.
pub(super) async fn reveal(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let ctx = staff.ctx(&state);
    state.run(move |c| cases::reveal_name(c, &ctx, id)).await?;
    Ok(see_other(format!("/arenden/{id}?avslojat=1")))
}

#[derive(serde::Deserialize)]
pub(super) struct ActionForm {
    #[serde(default)]
    version: i32,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    helpdesk_ref: String,
    #[serde(default)]
    confirmed: bool,
    #[serde(default)]
    plexus_ref: String,
}

pub(super) async fn act(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(i64, String)>,
    form: HtmlForm<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let (id, action) = path.into_inner();
    let ctx = staff.ctx(&state);
    let f = form.0;
    // What was typed comes back with an error.
    let typed = Typed {
        helpdesk_ref: f.helpdesk_ref.clone(),
        confirmed: f.confirmed,
        plexus_ref: f.plexus_ref.clone(),
        reason: f.reason.clone(),
    };
    let prefix = cases::Workflow::from_config(&state.config);
    let result = match action.as_str() {
        "signera" => {
            state
                .run(move |c| cases::sign(c, &ctx, id, f.version, &prefix))
                .await
        }
        "skicka" => {
            state
                .run(move |c| cases::submit(c, &ctx, id, f.version))
                .await
        }
        "ta-emot" => {
            state
                .run(move |c| cases::receive(c, &ctx, id, f.version))
                .await
        }
        "kontroll" => {
            let register = state.register.clone();
            state
                .run(move |c| {
                    cases::check_item(c, &ctx, id, f.version, &f.item, &f.note, register.as_ref())
                })
                .await
        }
        "retur" => {
            state
                .run(move |c| cases::return_case(c, &ctx, id, f.version, &f.reason, &prefix))
                .await
        }
        "verifiera" => {
            state
                .run(move |c| cases::verify(c, &ctx, id, f.version))
                .await
        }
        "verkstall" => {
            let input = ExecuteInput {
                helpdesk_ref: f.helpdesk_ref,
                confirmed: f.confirmed,
                version: f.version,
            };
            state
                .run(move |c| cases::execute(c, &ctx, id, &input, &prefix))
                .await
                .map(|_| ())
        }
        "plexus" => {
            state
                .run(move |c| cases::record_plexus(c, &ctx, id, f.version, &f.plexus_ref))
                .await
        }
        "aterkalla" => {
            state
                .run(move |c| cases::withdraw(c, &ctx, id, f.version, &f.reason))
                .await
        }
        _ => return Err(ServiceError::NotFound.into()),
    };
    match outcome(result)? {
        Outcome::Done(()) => Ok(see_other(format!("/arenden/{id}"))),
        Outcome::Notice(m) => {
            show_typed(&state, &staff, id, Some(m), FieldErrors::default(), typed).await
        }
        Outcome::Invalid(errors) => show_typed(&state, &staff, id, None, errors, typed).await,
    }
}
