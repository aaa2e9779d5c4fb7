//! Lists: the case list with its filters, the handler's queue, the search (personnummer, diary
//! or case number), the diary. Every list but the diary is paged by key (`db::page`).

use super::*;
use crate::db::page::Cursor;
use crate::domain::case::Channel;
use crate::i18n::Msg;
use crate::service::cases::ListFilter;
use chrono::NaiveDate;

#[derive(Template)]
#[template(path = "cases/list.html")]
pub(super) struct ListPage {
    l: Layout,
    rows: Vec<CaseItem>,
    pager: Pager,
    statuses: Vec<Choice>,
    kinds: Vec<Choice>,
    channels: Vec<Choice>,
    units: Vec<Choice>,
    from: String,
    until: String,
    filtered: bool,
    errors: FieldErrors,
    can_create: bool,
    /// The CSV download of the list under the same filter.
    csv_href: String,
    csv_hint: String,
    /// Selections the start page links to that the form has no field for (kept as hidden
    /// fields, and said in words above the list).
    extra: Vec<(&'static str, String)>,
    extra_text: Vec<String>,
}

/// The case list's query: the filters and the page key.
#[derive(serde::Deserialize, Default)]
pub(super) struct CaseListQuery {
    status: Option<String>,
    typ: Option<String>,
    kanal: Option<String>,
    enhet: Option<String>,
    fran: Option<String>,
    till: Option<String>,
    signerad: Option<String>,
    beslut_fran: Option<String>,
    beslut_till: Option<String>,
    efter: Option<String>,
    fore: Option<String>,
}

/// Reads the filter; a date that is not a date comes back with a message beside its field.
fn list_filter(q: &CaseListQuery) -> (ListFilter, FieldErrors) {
    let mut errors = FieldErrors::default();
    let text = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let mut date = |field: &'static str, v: &Option<String>| {
        let v = text(v)?;
        match NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.add(field, crate::messages::LIST_DATE);
                None
            }
        }
    };
    let from = date("fran", &q.fran);
    let until = date("till", &q.till);
    // Links from the start page: not in the form, so an unreadable value is simply no filter.
    let day = |v: &Option<String>| {
        text(v).and_then(|v| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok())
    };
    let filter = ListFilter {
        status: text(&q.status),
        kind: text(&q.typ),
        channel: text(&q.kanal),
        unit_id: text(&q.enhet).and_then(|u| u.parse().ok()),
        from,
        until,
        signed: match text(&q.signerad).as_deref() {
            Some("ja") => Some(true),
            Some("nej") => Some(false),
            _ => None,
        },
        decided_from: day(&q.beslut_fran),
        decided_until: day(&q.beslut_till),
    }
    .known();
    (filter, errors)
}

fn choices<T: Copy>(
    all: &[T],
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> String,
    chosen: Option<&str>,
) -> Vec<Choice> {
    all.iter()
        .map(|x| Choice {
            value: code(*x).into(),
            label: label(*x),
            checked: chosen == Some(code(*x)),
        })
        .collect()
}

pub(super) async fn list(
    state: web::Data<AppState>,
    who: PageStaff,
    q: web::Query<CaseListQuery>,
) -> Result<HttpResponse, AppError> {
    let (filter, errors) = list_filter(&q);
    let cursor = Cursor::parse(q.efter.as_deref(), q.fore.as_deref());
    let f2 = filter.clone();
    let AsStaff {
        staff,
        value: (page, units),
        ..
    } = state
        .run_as(&who, move |c, ctx| {
            let page = cases::list(c, ctx, &f2, &cursor, pages::PER_PAGE)?;
            // Handlers filter by any unit, the others by their own.
            let actor = ctx.actor()?;
            let (handler, own) = (actor.has(Role::Handler), actor.unit_ids());
            let units: Vec<(i64, String)> = crate::db::org::all_units(c)?
                .into_iter()
                .filter(|u| handler || own.contains(&u.id))
                .map(|u| (u.id, format!("{} ({})", u.name, u.code)))
                .collect();
            Ok((page, units))
        })
        .await?;
    let units = units
        .into_iter()
        .map(|(id, label)| Choice {
            value: id.to_string(),
            label,
            checked: filter.unit_id == Some(id),
        })
        .collect();
    let pager = Pager::keyed(&page, "/arenden", &filter.query());
    let lang = staff.actor.lang;
    let l = staff.page("case-list-title");
    let csv_hint = l.t1(
        "paper-csv-list-hint",
        "n",
        pages::grouped(cases::LIST_EXPORT_CAP),
    );
    let mut extra = vec![];
    let mut extra_text = vec![];
    if let Some(signed) = filter.signed {
        extra.push(("signerad", if signed { "ja" } else { "nej" }.to_string()));
        extra_text.push(lang.t(if signed {
            "lists-filter-signed"
        } else {
            "lists-filter-unsigned"
        }));
    }
    if let Some(d) = filter.decided_from {
        extra.push(("beslut_fran", d.to_string()));
        extra_text.push(
            Msg::key("lists-filter-decided-from")
                .arg("date", d.to_string())
                .in_lang(lang),
        );
    }
    if let Some(d) = filter.decided_until {
        extra.push(("beslut_till", d.to_string()));
        extra_text.push(
            Msg::key("lists-filter-decided-until")
                .arg("date", d.to_string())
                .in_lang(lang),
        );
    }
    Ok(pages::ok(&ListPage {
        csv_href: match filter.query() {
            q if q.is_empty() => "/arenden/csv".to_string(),
            q => format!("/arenden/csv?{q}"),
        },
        csv_hint,
        l,
        rows: page.rows.iter().map(|r| item(lang, r)).collect(),
        pager,
        statuses: choices(
            &Status::ALL,
            Status::code,
            |s| words::status(lang, s),
            filter.status.as_deref(),
        ),
        kinds: choices(
            &[Kind::Lock, Kind::Unlock],
            Kind::code,
            |k| words::kind(lang, k),
            filter.kind.as_deref(),
        ),
        channels: choices(
            &Channel::ALL,
            Channel::code,
            |c| words::channel(lang, c),
            filter.channel.as_deref(),
        ),
        units,
        from: q.fran.clone().unwrap_or_default(),
        until: q.till.clone().unwrap_or_default(),
        filtered: filter != ListFilter::default(),
        errors,
        can_create: staff.actor.has(Role::Clinician) || staff.actor.has(Role::Manager),
        extra,
        extra_text,
    }))
}

/// The case list as CSV: the same filters and scope as the page, at most
/// `cases::LIST_EXPORT_CAP` rows (`X-Export-Capped` and a last line say when it stopped there).
/// It holds citizens' data: the service logs every citizen in the file, in the transaction that
/// read them. A filter date that is not a date goes back to the list, which says so.
pub(super) async fn list_csv(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    q: web::Query<CaseListQuery>,
) -> Result<HttpResponse, AppError> {
    let (filter, errors) = list_filter(&q);
    if !errors.is_empty() {
        return Ok(see_other(format!("/arenden?{}", req.query_string())));
    }
    let ctx = staff.ctx(&state);
    let lang = staff.actor.lang;
    let words = cases::ListCsvWords {
        header: [
            "paper-csv-case",
            "paper-csv-diary-number",
            "paper-csv-kind",
            "paper-csv-pnr",
            "paper-csv-name",
            "paper-csv-status",
            "paper-csv-channel",
            "paper-csv-unit",
            "paper-csv-submitted",
            "paper-csv-updated",
        ]
        .iter()
        .map(|k| lang.t(k))
        .collect(),
        capped: lang.t1(
            "paper-csv-capped",
            "n",
            pages::grouped(cases::LIST_EXPORT_CAP),
        ),
    };
    let name = format!(
        "arenden-{}.csv",
        local_time(&crate::db::ts(ctx.now)).replace([' ', ':'], "-")
    );
    crate::web::download::download(&state, &name, move |c, out| {
        cases::list_csv(c, &ctx, &filter, &words, out)
    })
    .await
}

#[derive(Template)]
#[template(path = "cases/queue.html")]
pub(super) struct QueuePage {
    l: Layout,
    rows: Vec<CaseItem>,
    pager: Pager,
    /// The selection in words (a status, a least wait), when there is one.
    selection: Vec<String>,
}

#[derive(serde::Deserialize)]
pub(super) struct QueueQuery {
    status: Option<String>,
    dagar: Option<String>,
    efter: Option<String>,
    fore: Option<String>,
}

pub(super) async fn queue(
    state: web::Data<AppState>,
    who: PageStaff,
    q: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    let cursor = Cursor::parse(q.efter.as_deref(), q.fore.as_deref());
    // Unknown values select nothing special: the whole queue.
    let selection = cases::QueueSelection {
        status: q.status.as_deref().and_then(|s| s.parse::<Status>().ok()),
        waited_days: q
            .dagar
            .as_deref()
            .and_then(|d| d.trim().parse::<u32>().ok())
            .filter(|d| *d <= 3650),
    };
    let sel = selection.clone();
    let AsStaff {
        staff, value: page, ..
    } = state
        .run_as(&who, move |c, ctx| {
            cases::queue_selected(c, ctx, &sel, &cursor, pages::PER_PAGE)
        })
        .await?;
    let lang = staff.actor.lang;
    let mut words = vec![];
    if let Some(s) = selection.status {
        words.push(
            Msg::key("lists-queue-status")
                .arg("status", words::status(lang, s))
                .in_lang(lang),
        );
    }
    if let Some(d) = selection.waited_days {
        words.push(
            Msg::key("lists-queue-waited")
                .arg("n", i64::from(d))
                .in_lang(lang),
        );
    }
    Ok(pages::ok(&QueuePage {
        l: staff.page("case-queue-title"),
        rows: page
            .rows
            .iter()
            .map(|r| item(staff.actor.lang, r))
            .collect(),
        pager: Pager::keyed(&page, "/handlaggning", &selection.query()),
        selection: words,
    }))
}

#[derive(Template)]
#[template(path = "cases/search.html")]
pub(super) struct SearchPage {
    l: Layout,
    pnr: String,
    searched: Option<String>,
    rows: Vec<CaseItem>,
    /// The count as shown, and the keys of the neighbouring pages (sent by POST with the term).
    count: String,
    prev: Option<String>,
    next: Option<String>,
    errors: FieldErrors,
}

pub(super) async fn search_form(staff: HandlerStaff) -> Result<HttpResponse, AppError> {
    Ok(pages::ok(&SearchPage {
        l: staff.page("lists-search-title"),
        pnr: String::new(),
        searched: None,
        rows: vec![],
        count: String::new(),
        prev: None,
        next: None,
        errors: FieldErrors::default(),
    }))
}

#[derive(serde::Deserialize)]
pub(super) struct SearchForm {
    #[serde(default)]
    pnr: String,
    efter: Option<String>,
    fore: Option<String>,
}

/// The search term (a personnummer, a diary or a case number) and the page key travel in the
/// POST body, never in the URL.
pub(super) async fn search(
    state: web::Data<AppState>,
    staff: Staff,
    form: HtmlForm<SearchForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = staff.ctx(&state);
    let SearchForm { pnr, efter, fore } = form.0;
    let cursor = Cursor::parse(efter.as_deref(), fore.as_deref());
    let p2 = pnr.clone();
    match state
        .run(move |c| cases::search(c, &ctx, &p2, &cursor, pages::PER_PAGE))
        .await
    {
        Ok(found) => {
            let pager = Pager::keyed(&found.page, "/sok", "");
            let key =
                |k: &Option<((), i64)>| k.as_ref().map(|(k, id)| crate::db::page::key_text(k, *id));
            Ok(pages::ok(&SearchPage {
                l: staff.page("lists-search-title"),
                pnr: found.shown.clone(),
                searched: Some(found.shown),
                rows: found
                    .page
                    .rows
                    .iter()
                    .map(|r| item(staff.actor.lang, r))
                    .collect(),
                count: if pager.capped {
                    staff
                        .actor
                        .lang
                        .t1("case-count-capped", "n", pages::grouped(pager.total))
                } else {
                    pager.count_text()
                },
                prev: key(&found.page.prev),
                next: key(&found.page.next),
                errors: FieldErrors::default(),
            }))
        }
        Err(AppError::Service(ServiceError::Invalid(errors))) => Ok(pages::render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SearchPage {
                l: staff.page("lists-search-title"),
                pnr,
                searched: None,
                rows: vec![],
                count: String::new(),
                prev: None,
                next: None,
                errors,
            },
        )),
        Err(e) => Err(e),
    }
}
