//! The ceiling of `bench/http`: the same stack as the application (actix-web, diesel over the same
//! pool and database, askama) doing the least a case page must do — read one case row by id on a
//! blocking thread and render an HTML page of about the same size. No session, no guard, no
//! access log, no authorisation. Each page's req/s is reported as a share of this.
//!
//!     bench-ceiling DATABASE_URL BIND POOL_SIZE|auto PAGE_BYTES
#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::{App, HttpResponse, HttpServer, web};
use askama::Template;
use kontosparr::db::models::CaseRow;
use kontosparr::db::{self, Pool};

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
<div class="filler">{{ filler }}</div>
</main></body></html>
"#
)]
struct CasePage<'a> {
    c: &'a CaseRow,
    filler: &'a str,
}

async fn case(
    pool: web::Data<Pool>,
    filler: web::Data<String>,
    id: web::Path<i64>,
) -> HttpResponse {
    let id = id.into_inner();
    let pool = pool.get_ref().clone();
    let row = web::block(move || {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        db::cases::get(&mut conn, id).map_err(|e| e.to_string())
    })
    .await;
    match row {
        Ok(Ok(Some(c))) => match (CasePage {
            c: &c,
            filler: filler.as_str(),
        })
        .render()
        {
            Ok(html) => HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(html),
            Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
        },
        Ok(Ok(None)) => HttpResponse::NotFound().finish(),
        Ok(Err(e)) => HttpResponse::InternalServerError().body(e),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
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
        })
        .bind(&bind)?
        .run()
        .await
    })
}
