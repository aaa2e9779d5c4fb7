//! The ceiling of `bench/http`: the same stack as the application (actix-web, diesel over the same
//! pool and database, askama) doing the least a case page must do — read one case row by id on a
//! blocking thread and render an HTML page of about the same size. No session, no guard, no
//! access log, no authorisation. Each page's req/s is reported as a share of this.
//!
//! A second route, `/case-reads/{id}`, does the case page's own reads as well, as the handler's
//! case page makes them (the case, its unit and care provider, its timeline, its checklist, the
//! citizen's cases, its attachments and deliveries), in one read transaction on one connection,
//! and lists the timeline in the page. Still no session, guard, authorisation, access-log entry,
//! write transaction or the case page's own template: the case page's req/s as a share of this
//! route's is what those cost, apart from the data the page shows.
//!
//!     bench-ceiling DATABASE_URL BIND POOL_SIZE|auto PAGE_BYTES
#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::{App, HttpResponse, HttpServer, web};
use askama::Template;
use diesel::{Connection, QueryResult};
use kontosparr::db::models::{CaseEvent, CaseRow};
use kontosparr::db::{self, DbConnection, Pool};

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Ärende {{ c.id }} – Kontospärr</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><header><nav><a href="/">Kontospärr</a></nav></header>
<main><h1>Ärende {{ c.diary_number.as_deref().unwrap_or("") }}</h1>
<dl>
<dt>Status</dt><dd>{{ c.status }}</dd>
<dt>Typ</dt><dd>{{ c.kind }}</dd>
<dt>Kanal</dt><dd>{{ c.channel }}</dd>
<dt>Personnummer</dt><dd>{{ c.citizen_pnr }}</dd>
<dt>Namn</dt><dd>{{ c.citizen_name }}</dd>
<dt>Skäl</dt><dd>{{ c.basis }}</dd>
<dt>Bedömning</dt><dd>{{ c.assessment_reasons }} {{ c.assessment_risks }} {{ c.assessment_scope }}</dd>
<dt>Beslutsfattare</dt><dd>{{ c.decider_name }} {{ c.decider_role }} {{ c.decider_hsa_id }}</dd>
<dt>Version</dt><dd>{{ c.version }}</dd>
</dl>
{% for e in events %}<p>{{ e.at }} {{ e.actor_name }}: {{ e.action }} {{ e.detail }}</p>
{% endfor %}<p>{{ more }}</p>
<div class="filler">{{ filler }}</div>
</main></body></html>
"#
)]
struct CasePage<'a> {
    c: &'a CaseRow,
    events: &'a [CaseEvent],
    /// What else was read: the unit, provider, checks, the citizen's cases, files and deliveries.
    more: String,
    filler: &'a str,
}

fn html(page: CasePage) -> HttpResponse {
    match page.render() {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

/// The handler's case page's reads (`service::cases::view`), in one read transaction.
fn reads(
    conn: &mut DbConnection,
    id: i64,
) -> QueryResult<Option<(CaseRow, Vec<CaseEvent>, String)>> {
    conn.transaction(|c| {
        let Some(row) = db::cases::get(c, id)? else {
            return Ok(None);
        };
        let unit = db::org::unit(c, row.unit_id)?;
        let provider = match row.care_provider_id {
            Some(p) => db::org::provider(c, p)?,
            None => None,
        };
        let db::cases::CaseParts {
            events,
            checks,
            attachments: files,
            deliveries,
        } = db::cases::parts(c, id)?;
        let citizen = db::cases::for_citizen(c, &row.citizen_pnr, 1000)?;
        let more = format!(
            "{} {} {} checks, {} cases, {} files, {} deliveries",
            unit.map(|u| u.name).unwrap_or_default(),
            provider.map(|p| p.name).unwrap_or_default(),
            checks.len(),
            citizen.len(),
            files.len(),
            deliveries.len()
        );
        Ok(Some((row, events, more)))
    })
}

/// What a route reads: the case, its timeline and what else it read, as a line.
type Read = fn(&mut DbConnection, i64) -> QueryResult<Option<(CaseRow, Vec<CaseEvent>, String)>>;

/// Reads on a blocking thread with one pool connection, then renders the page.
async fn serve(pool: &Pool, filler: &str, id: i64, read: Read) -> HttpResponse {
    let pool = pool.clone();
    let found = web::block(move || {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        read(&mut conn, id).map_err(|e| e.to_string())
    })
    .await;
    match found {
        Ok(Ok(Some((c, events, more)))) => html(CasePage {
            c: &c,
            events: &events,
            more,
            filler,
        }),
        Ok(Ok(None)) => HttpResponse::NotFound().finish(),
        Ok(Err(e)) => HttpResponse::InternalServerError().body(e),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

async fn case_reads(
    pool: web::Data<Pool>,
    filler: web::Data<String>,
    id: web::Path<i64>,
) -> HttpResponse {
    serve(&pool, &filler, id.into_inner(), reads).await
}

/// One case row by id, nothing else.
async fn case(
    pool: web::Data<Pool>,
    filler: web::Data<String>,
    id: web::Path<i64>,
) -> HttpResponse {
    serve(&pool, &filler, id.into_inner(), |c, id| {
        Ok(db::cases::get(c, id)?.map(|row| (row, Vec::new(), String::new())))
    })
    .await
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).expect("DATABASE_URL").clone();
    let bind = args.get(2).expect("BIND").clone();
    // "auto": the server's default for the backend.
    let pool_size: u32 = match args.get(3).expect("POOL_SIZE").as_str() {
        "auto" => kontosparr::config::default_pool_size(&url),
        n => n.parse().expect("POOL_SIZE"),
    };
    eprintln!("pool_size={pool_size}");
    let page_bytes: usize = args
        .get(4)
        .expect("PAGE_BYTES")
        .parse()
        .expect("PAGE_BYTES");
    let pool = db::pool(&url, pool_size).expect("pool");
    // The fixed part of the page is about 1 kB; the rest is filler (escaped text, as a real page's).
    let filler = "Lorem ipsum & dolor ".repeat(page_bytes.saturating_sub(1000) / 24);
    let (pool, filler) = (web::Data::new(pool), web::Data::new(filler));
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(pool.clone())
                .app_data(filler.clone())
                .route("/case/{id}", web::get().to(case))
                .route("/case-reads/{id}", web::get().to(case_reads))
        })
        .bind(&bind)?
        .run()
        .await
    })
}
