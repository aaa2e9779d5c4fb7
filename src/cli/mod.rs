//! The command line: `serve`, `migrate`, `admin create`, `user add`, `audit verify|seal|export`,
//! `backup`, `restore`.

mod audit;
mod serve;
use audit::audit_command;
use serve::serve;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::db;
use crate::service::admin::{self, FirstPassword, UserInput};
use crate::service::{Ctx, ServiceError};
use crate::web::{self, AppState};
use clap::{Parser, Subcommand};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "kontosparr",
    version,
    about = "Kontospärr – låsning och upplåsning av 1177-inloggning"
)]
pub struct Cli {
    /// A TOML configuration file (environment variables override it).
    #[arg(long, global = true, env = "KONTOSPARR_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        bind: Option<String>,
        /// Demo mode: a demo region with known accounts, in ./data/kontosparr-demo.db unless
        /// DATABASE_URL says otherwise. Refuses a database that holds real data.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// The first administrator.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Staff accounts, for operators and scripts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The mail outbox.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// Clients of the intake API (e-form platforms such as Barium).
    ApiClient {
        #[command(subcommand)]
        command: ApiClientCommand,
    },
    /// The access log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write a backup bundle (a new directory): the database (SQLite `VACUUM INTO`, PostgreSQL
    /// `pg_dump --format=custom`) and the attachments. Safe while `serve` runs.
    Backup {
        /// The bundle directory to create (must not exist).
        dir: PathBuf,
        /// Where pg_dump lives (default: PATH, then the newest /usr/lib/postgresql/*/bin).
        #[arg(long)]
        pg_bin: Option<PathBuf>,
    },
    /// Restore a backup bundle into an empty database and attachments directory (stop `serve`
    /// first), then apply newer migrations.
    Restore {
        /// A bundle written by `kontosparr backup`.
        dir: PathBuf,
        /// Replace a database or attachments directory that is not empty.
        #[arg(long)]
        force: bool,
        /// Where pg_restore lives (default: PATH, then the newest /usr/lib/postgresql/*/bin).
        #[arg(long)]
        pg_bin: Option<PathBuf>,
    },
    /// The key that encrypts TOTP secrets.
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Re-encrypt every TOTP secret (also ones still stored in clear) from the key in
    /// secret_key_file to the key in FILE (created 0600 when missing), in one transaction. Then
    /// stop every node, put FILE in place of secret_key_file, and start them again.
    Rotate {
        #[arg(long)]
        new_key: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create the first administrator and print a one-time link to set password and TOTP.
    Create {
        #[arg(long)]
        hsa_id: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a member of staff; prints a one-time activation link.
    Add {
        #[arg(long)]
        hsa_id: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// clinician, manager, chief_physician, handler, auditor or admin (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Unit code (repeatable).
        #[arg(long = "unit")]
        units: Vec<String>,
        /// May sign lock/unlock decisions.
        #[arg(long)]
        decider: bool,
        /// Read a temporary password from standard input instead of printing a link; it must be
        /// changed at first login.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Deliver every message that is due now, then exit.
    Flush,
}

#[derive(Debug, Subcommand)]
pub enum ApiClientCommand {
    /// Register a client; prints its bearer token once.
    Add {
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain of the whole access log against the newest signed checkpoint; exits 1
    /// at the first broken row. With --archive, check an exported file instead (no database).
    Verify {
        /// The checkpoint file (default: the audit_checkpoint_file setting).
        #[arg(long)]
        checkpoints: Option<PathBuf>,
        /// An archive written by `audit export`, checked offline.
        #[arg(long)]
        archive: Option<PathBuf>,
    },
    /// Seal every committed unsealed row now and write a checkpoint (`serve` does this every
    /// second; any number of sealers may run at once).
    Seal {
        /// Rows per sealing round.
        #[arg(long, default_value_t = 5000)]
        batch: i64,
    },
    /// Write the sealed rows logged between two dates (inclusive) as JSON lines, for the archive.
    Export {
        /// First day, YYYY-MM-DD (UTC).
        #[arg(long)]
        from: chrono::NaiveDate,
        /// Last day, YYYY-MM-DD (UTC), inclusive.
        #[arg(long)]
        to: chrono::NaiveDate,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("{0}")]
    Service(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the access log is broken")]
    AuditBroken,
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    #[error(transparent)]
    Backup(#[from] crate::backup::BackupError),
    #[error(transparent)]
    Secret(#[from] crate::auth::secrets::SecretError),
    #[error(
        "secret_key_file {0} does not decrypt the TOTP secrets stored in the database: the key \
         file is wrong or was replaced. Start with the key the secrets were encrypted with (see \
         docs/operations.md, \"TOTP secrets\")"
    )]
    WrongSecretKey(String),
}

impl From<ServiceError> for CliError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(errors) => CliError::Service(
                errors
                    .0
                    .iter()
                    .map(|(f, m)| format!("{f}: {m}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            other => CliError::Service(other.to_string().replace("forbidden", "not allowed")),
        }
    }
}

fn cli_ctx() -> Ctx {
    Ctx {
        now: SystemClock.now(),
        client_addr: "kommandoraden".into(),
        principal: crate::service::Principal::Operator,
    }
}

fn open(cfg: &Config) -> Result<db::PooledConn, CliError> {
    let pool = db::pool(&cfg.database_url, 2)?;
    let mut conn = pool.get().map_err(db::DbError::from)?;
    db::migrate(&mut conn)?;
    Ok(conn)
}

pub fn init_tracing(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KONTOSPARR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour codes only for a person at a terminal, never into a log file or journal.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if cfg.log_format == "json" {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    let mut cfg = Config::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve {
        bind: None,
        demo: false,
    }) {
        Command::Serve { bind, demo } => {
            if let Some(b) = bind {
                cfg.bind = b;
            }
            if demo {
                cfg.demo = true;
                if cfg.database_url == Config::default().database_url {
                    cfg.database_url = "sqlite://./data/kontosparr-demo.db".into();
                }
            }
            cfg.check_transport()?;
            init_tracing(&cfg);
            serve(cfg)
        }
        Command::Migrate => {
            let pool = db::pool(&cfg.database_url, 1)?;
            let mut conn = pool.get().map_err(db::DbError::from)?;
            let n = db::migrate(&mut conn)?;
            println!("{n} migreringar kördes; databasen är aktuell.");
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    hsa_id,
                    name,
                    email,
                },
        } => {
            let mut conn = open(&cfg)?;
            let token = admin::create_first_admin(
                &mut conn,
                &cli_ctx(),
                &hsa_id,
                &name,
                &email,
                cfg.enrolment_link_hours,
            )?;
            println!(
                "Administratören är skapad. Öppna länken nedan för att välja lösenord och koppla en"
            );
            println!(
                "autentiseringsapp. Länken fungerar en gång och i {} timmar:\n",
                cfg.enrolment_link_hours
            );
            println!("  {}/aktivera/{token}\n", cfg.public_url());
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    hsa_id,
                    name,
                    email,
                    roles,
                    units,
                    decider,
                    password_stdin,
                },
        } => {
            let mut conn = open(&cfg)?;
            let mut unit_ids = Vec::new();
            for code in &units {
                match db::org::unit_by_code(&mut conn, &code.to_ascii_uppercase())
                    .map_err(db::DbError::from)?
                {
                    Some(u) => unit_ids.push(u.id.to_string()),
                    None => return Err(CliError::Service(format!("unit {code:?} does not exist"))),
                }
            }
            let input = UserInput {
                hsa_id,
                name,
                email,
                roles,
                units: unit_ids,
                is_decider: decider,
                active: true,
            };
            let mut password = String::new();
            let first = if password_stdin {
                std::io::stdin().read_to_string(&mut password)?;
                FirstPassword::Temporary(password.trim_end_matches(['\n', '\r']))
            } else {
                FirstPassword::Link {
                    hours: cfg.enrolment_link_hours,
                }
            };
            let created = admin::create_user(&mut conn, &cli_ctx(), &input, first)?;
            match created.enrolment_token {
                Some(token) => println!(
                    "Användaren är skapad. Aktiveringslänk ({} timmar, en gång):\n\n  {}/aktivera/{token}\n",
                    cfg.enrolment_link_hours,
                    cfg.public_url()
                ),
                None => println!(
                    "Användaren är skapad med ett tillfälligt lösenord som måste bytas vid första inloggningen."
                ),
            }
            Ok(())
        }
        Command::Mail {
            command: MailCommand::Flush,
        } => {
            let Some(smtp) = cfg.smtp()? else {
                return Err(CliError::Service(
                    "smtp_url is not set: there is nowhere to send mail".into(),
                ));
            };
            let pool = db::pool(&cfg.database_url, 2)?;
            let mut first = pool.get().map_err(db::DbError::from)?;
            db::migrate(&mut first)?;
            drop(first);
            let worker = format!("flush-{}", crate::auth::tokens::random_token());
            let mut total = crate::service::outbox::Report::default();
            for _ in 0..1000 {
                let r = crate::service::outbox::deliver_due(&pool, &smtp, &SystemClock, &worker)?;
                total.sent += r.sent;
                total.retrying += r.retrying;
                total.failed += r.failed;
                if r == Default::default() {
                    break;
                }
                if r.sent == 0 && r.failed == 0 {
                    break; // only retries left: they are due later
                }
            }
            println!(
                "Skickade {}, försöker igen senare {}, misslyckade {}.",
                total.sent, total.retrying, total.failed
            );
            Ok(())
        }
        Command::ApiClient {
            command: ApiClientCommand::Add { name },
        } => {
            let mut conn = open(&cfg)?;
            let token = crate::service::intake::create_client(&mut conn, &cli_ctx(), &name)?;
            println!(
                "Klienten {name} är registrerad. Token (visas bara nu; förvara den som ett lösenord):\n\n  {token}\n"
            );
            println!(
                "Anropa POST {}/api/v1/arenden med rubriken Authorization: Bearer <token>.",
                cfg.public_url()
            );
            Ok(())
        }
        Command::Secrets {
            command: SecretsCommand::Rotate { new_key },
        } => {
            let old =
                crate::auth::secrets::SecretBox::load(std::path::Path::new(&cfg.secret_key_file))?;
            let new = crate::auth::secrets::SecretBox::load_or_create(&new_key)?;
            let mut conn = open(&cfg)?;
            let done = crate::service::auth::rotate_secrets(&mut conn, &cli_ctx(), &old, &new)?;
            println!(
                "{} TOTP-hemligheter krypterades med den nya nyckeln ({} var okrypterade), och {} under pågående registrering.",
                done.users, done.were_clear, done.pending
            );
            println!(
                "Stoppa alla noder, ersätt {} med {} och starta dem igen.",
                cfg.secret_key_file,
                new_key.display()
            );
            Ok(())
        }
        Command::Audit { command } => audit_command(&cfg, command),
        Command::Backup { dir, pg_bin } => {
            let r = crate::backup::backup(&cfg, &dir, pg_bin.as_deref())?;
            println!(
                "Backup written to {}: {} database ({}), newest migration {}, {} attachments.",
                r.dir.display(),
                r.manifest.backend,
                r.manifest.database_file,
                r.manifest.newest_migration,
                r.manifest.attachments
            );
            println!("It holds personal data: store it encrypted and apart from the audit key.");
            Ok(())
        }
        Command::Restore { dir, force, pg_bin } => {
            let r = crate::backup::restore(&cfg, &dir, force, pg_bin.as_deref())?;
            println!(
                "Restored {} ({} database of {}, newest migration {}) and {} attachments; {} newer migrations applied.",
                dir.display(),
                r.manifest.backend,
                r.manifest.created_at,
                r.manifest.newest_migration,
                r.attachments,
                r.migrations
            );
            println!("Run `kontosparr audit verify` before starting `serve`.");
            Ok(())
        }
    }
}
