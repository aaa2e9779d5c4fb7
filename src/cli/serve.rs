//! `kontosparr serve`: migrate, refuse a demo/real database mix-up, build the state (register,
//! sealer, our own TLS when configured), start the jobs and listen.

use super::*;

pub(super) fn serve(cfg: Config) -> Result<(), CliError> {
    let smtp = cfg.smtp()?;
    if smtp.is_none() {
        eprintln!(
            "E-post är inte konfigurerad (KONTOSPARR_SMTP_URL): återkoppling och påminnelser väntar i utkorgen tills den är det."
        );
    }
    let (pool, _checkpoints) = db::server_pool(
        &cfg.database_url,
        cfg.pool_size(),
        std::time::Duration::from_millis(cfg.pool_timeout_ms),
    )?;
    {
        let mut conn = pool.get().map_err(db::DbError::from)?;
        let n = db::migrate(&mut conn)?;
        if n > 0 {
            tracing::info!(migrations = n, "database migrated");
        }
        use crate::service::demo::{self, DatabaseKind};
        match (cfg.demo, demo::database_kind(&mut conn)?) {
            (true, DatabaseKind::Empty) => {
                // The key the server will read its TOTP secrets with (created 0600 if missing).
                let keys = crate::auth::secrets::SecretBox::load_or_create(std::path::Path::new(
                    &cfg.secret_key_file,
                ))?;
                demo::seed(
                    &mut conn,
                    SystemClock.now(),
                    &crate::service::cases::Workflow::from_config(&cfg),
                    &demo::DemoFiles {
                        dir: std::path::Path::new(&cfg.attachments_dir),
                        max_bytes: cfg.attachment_max_bytes,
                    },
                    &keys,
                )?;
                tracing::info!("demo region created");
            }
            (true, DatabaseKind::RealData) => {
                return Err(CliError::Service(format!(
                    "demo mode starts only on an empty or demo database; {} holds real data",
                    cfg.database_url
                )));
            }
            (false, DatabaseKind::Demo) => {
                return Err(CliError::Service(format!(
                    "{} is a demo database (known passwords): start it with `serve --demo`, or use another database",
                    cfg.database_url
                )));
            }
            _ => {}
        }
        if cfg.demo {
            crate::web::pages::DEMO_MODE.store(true, std::sync::atomic::Ordering::Relaxed);
            eprintln!(
                "\nDEMOLÄGE: öppna {} – inloggningssidan listar demokontona och deras koder.\n",
                cfg.public_url()
            );
        } else if admin::user_count(&mut conn)? == 0 {
            eprintln!();
            eprintln!("Databasen har inga användare än. Skapa den första administratören med:");
            eprintln!();
            eprintln!(
                "  kontosparr admin create --hsa-id SE2321000131-A000000000001 --name \"Förnamn Efternamn\" --email namn@region.se"
            );
            eprintln!();
            eprintln!(
                "(med cargo: cargo run -- admin create …). Kommandot skriver ut en engångslänk där"
            );
            eprintln!("administratören väljer lösenord och kopplar en autentiseringsapp.");
            eprintln!();
        }
    }
    let bind = cfg.bind.clone();
    let metrics_bind = cfg.metrics_bind.clone();
    let public = cfg.public_url();
    let register: Arc<dyn crate::register::PopulationRegister> =
        if cfg.population_register.is_empty() {
            Arc::new(
                crate::register::FileRegister::demo(crate::clock::swedish_today(SystemClock.now()))
                    .map_err(|e| CliError::Service(e.to_string()))?,
            )
        } else {
            Arc::new(
                crate::register::FileRegister::from_file(
                    std::path::Path::new(&cfg.population_register),
                    crate::clock::swedish_today(SystemClock.now()),
                )
                .map_err(|e| CliError::Service(e.to_string()))?,
            )
        };
    let sealer = crate::audit::Sealer::from_config(&cfg)?;
    // On SQLite a sealing round holds the single writer's lock: rounds of a few hundred rows let
    // the requests in between, instead of one round of a second's rows keeping them all waiting.
    let backend = db::Target::parse(&cfg.database_url)?.backend();
    let sealer = Arc::new(match backend {
        db::Backend::Sqlite => sealer.with_batch(db::audit::SQLITE_SERVER_ROUND),
        db::Backend::Postgres => sealer,
    });
    // Our own TLS (read before anything listens: a bad file stops the start).
    let tls = if cfg.serves_tls() {
        Some(
            crate::tls::server_config(&cfg, SystemClock.now())
                .map_err(|e| CliError::Service(e.to_string()))?,
        )
    } else {
        None
    };
    let crl_reload = std::time::Duration::from_secs(cfg.tls_client_crl_reload_seconds);
    let state = AppState::new(pool, cfg, Arc::new(SystemClock), register)?;
    {
        let mut conn = db::checkout(&state.pool)?;
        crate::service::auth::check_secret_key(&mut conn, &state.secrets)
            .map_err(|_| CliError::WrongSecretKey(state.config.secret_key_file.clone()))?;
    }
    let state = actix_web::web::Data::new(state);
    let rt = actix_web::rt::System::new();
    rt.block_on(async move {
        crate::jobs::spawn_session_purge(state.job_context());
        crate::jobs::spawn_audit_sealer(state.job_context(), sealer);
        if backend == db::Backend::Sqlite {
            crate::jobs::spawn_citizen_indexer(state.job_context());
        }
        if let Some(smtp) = smtp {
            crate::jobs::spawn_mail_worker(state.job_context(), smtp);
        }
        if let Err(e) = crate::jobs::spawn_reminders(state.job_context()).await {
            tracing::error!(error = %e, "the reminder schedule could not start");
        }
        if !metrics_bind.is_empty() {
            let listener = std::net::TcpListener::bind(&metrics_bind)?;
            actix_web::rt::spawn(web::metrics::server(state.clone(), listener)?);
            tracing::info!(bind = %metrics_bind, "metrics at /metrics");
        }
        let server = actix_web::HttpServer::new(move || web::build_app(state.clone()))
            .shutdown_timeout(10)
            .on_connect(crate::tls::on_connect);
        let server = match tls {
            Some((config, trust)) => {
                if let Some(trust) = trust {
                    actix_web::rt::spawn(trust.reload_every(crl_reload));
                    tracing::info!("client certificates (SITHS) asked for in TLS");
                }
                server.bind_rustls_0_23(&bind, config)?
            }
            None => server.bind(&bind)?,
        };
        tracing::info!(bind = %bind, public_url = %public, "Kontospärr listening");
        server.run().await
    })?;
    tracing::info!("stopped");
    Ok(())
}
