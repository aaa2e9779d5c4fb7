//! Typed configuration from an optional TOML file and `KONTOSPARR_*` environment variables
//! (`DATABASE_URL` too). Unknown keys are refused with a message naming them.

mod client_certs;

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub mod oidc;
pub mod smtp;
pub use oidc::OidcProvider;
pub use smtp::SmtpSettings;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `sqlite://PATH` (default `sqlite://./data/kontosparr.db`) or `postgres://…`.
    pub database_url: String,
    /// Address `serve` listens on.
    pub bind: String,
    /// The address users reach the service at; `https://…` in production. Defaults to
    /// `http://<bind>`.
    pub public_url: Option<String>,
    /// Idle timeout of a login session, minutes.
    pub session_idle_minutes: i64,
    /// Absolute lifetime of a login session, hours.
    pub session_absolute_hours: i64,
    /// Failed logins for one account from one client address before that address is blocked for
    /// the account (other addresses are not affected).
    pub lockout_failures: i32,
    /// How long the block lasts, minutes.
    pub lockout_minutes: i64,
    /// Login attempts one client address may make per window.
    pub login_rate_per_ip: u32,
    /// The rate-limit window, seconds.
    pub login_rate_window_seconds: u64,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted reverse proxy).
    pub trust_forwarded_for: bool,
    /// Validity of an enrolment (set password) link, hours.
    pub enrolment_link_hours: i64,
    /// `text` or `json`.
    pub log_format: String,
    /// Database connections in the pool. Unset: [`default_pool_size`] for the backend (SQLite 32,
    /// PostgreSQL twice the cores plus two).
    pub pool_size: Option<u32>,
    /// How long a request waits for a database connection before it is answered 503
    /// (milliseconds): a database that is down fails pages fast instead of hanging them.
    pub pool_timeout_ms: u64,
    /// Prefix of diary numbers (`KSD 2026-00042`).
    pub diary_prefix: String,
    /// The region opens a helpdesk case (VGR-ID, RÄLS hjälpärende) for every lock and unlock
    /// (instruction 002 §6): recording an execution or an emergency call then requires its
    /// reference. Default on, as the instruction says.
    pub require_helpdesk_ref: bool,
    /// A JSON file of persons for the local population-register adapter; empty: the built-in
    /// test persons.
    pub population_register: String,
    /// Where scanned forms are stored (outside any web root).
    pub attachments_dir: String,
    /// Largest accepted attachment, bytes.
    pub attachment_max_bytes: usize,
    /// The mail server: `smtp://host[:port]` (STARTTLS required), `smtps://host[:port]`, or for
    /// development on loopback only `smtp+plain://127.0.0.1:port` with `smtp_allow_plain`.
    /// Empty: mail waits in the outbox.
    pub smtp_url: String,
    /// Sender address of all mail.
    pub smtp_from: String,
    /// Allow plain SMTP to a loopback address (development and tests only).
    pub smtp_allow_plain: bool,
    /// Extra trusted CA certificate (PEM) for the mail server.
    pub smtp_ca_file: String,
    pub smtp_username: String,
    pub smtp_password: String,
    /// How often the delivery worker looks for due mail, seconds.
    pub mail_interval_seconds: u64,
    /// First review reminder this many days before the due date.
    pub review_remind_before_days: i64,
    /// Overdue this many days: the chefläkare function is reminded too.
    pub review_escalate_after_days: i64,
    /// A missing emergency form is chased every this many days.
    pub form_reminder_every_days: i64,
    /// A journal note more than this many days older than the decision needs a reason (002 §3.3).
    pub journal_note_max_age_days: u32,
    /// Office hours for reminders, Swedish time, weekdays (start hour, end hour).
    pub office_hours_start: u32,
    pub office_hours_end: u32,
    /// The key that signs access-log checkpoints (64 hex digits). Created with mode 0600 on the
    /// first start when missing. Keep it out of the database and its backups' reach.
    pub audit_key_file: String,
    /// Signed checkpoints of the access log are appended here (JSON lines), one file per node.
    pub audit_checkpoint_file: String,
    /// At most one checkpoint per this many seconds while the log grows.
    pub audit_checkpoint_seconds: u64,
    /// How long the access log is kept, years (HSLF-FS 2016:40: at least 5). The application
    /// never deletes log rows; this is the operator's archive horizon.
    pub audit_retention_years: i64,
    /// "Entries to look at" (auditors): one user reading at least this many different citizens
    /// within `audit_burst_minutes` is shown.
    pub audit_burst_citizens: u32,
    pub audit_burst_minutes: i64,
    /// "Entries to look at" reads at most this many of the period's newest entries naming a
    /// citizen (the page says when it stopped there).
    pub audit_review_scan_limit: i64,
    /// The auditor's start page says a spot check of the access log is due when none has been
    /// recorded in this many days (HSLF-FS 2016:40 asks for regular, systematic follow-up).
    pub audit_spot_check_days: i64,
    /// Where `/metrics` (Prometheus) is served, e.g. `127.0.0.1:9464`; empty: no metrics. Never
    /// the public listener: keep it on loopback or an internal network.
    pub metrics_bind: String,
    /// The key that encrypts TOTP secrets in the database (AES-256-GCM; 64 hex digits). Created
    /// with mode 0600 on the first start when missing. Never in the database or its backups.
    pub secret_key_file: String,
    /// This node's name in heartbeats and metrics; empty: host name and bind address.
    pub node_name: String,
    /// OpenID Connect providers staff log in through (`[[oidc_providers]]` tables in the file;
    /// see `config::oidc`). None: password and one-time code only.
    pub oidc_providers: Vec<OidcProvider>,
    /// Password login (with a one-time code) for administrators only, as break-glass; everyone
    /// else logs in through a provider. Needs at least one of `oidc_providers`.
    pub password_login_admins_only: bool,
    /// TLS of our own: the server's certificate chain (PEM, the server's certificate first). With
    /// `tls_key_file`, `serve` speaks https itself on `bind`; empty: plain http (behind a proxy,
    /// or on loopback for development).
    pub tls_cert_file: String,
    /// The private key of `tls_cert_file` (PEM: PKCS#8, PKCS#1 or SEC1).
    pub tls_key_file: String,
    /// The CAs whose client certificates (SITHS cards) log staff in (PEM bundle, roots and
    /// intermediates). Set: the listener asks every client for a certificate but requires none
    /// (the password login keeps working on the same listener); a presented certificate must
    /// chain to these CAs, be in date and not be revoked, or the TLS handshake fails.
    pub tls_client_ca_file: String,
    /// The revocation lists (CRL, PEM or DER) of every CA in the client chains; required with
    /// `tls_client_ca_file`. A list in the file, or comma-separated in the environment. An
    /// expired list (past its nextUpdate) refuses every certificate it covers: keep them fresh.
    pub tls_client_crl_files: Vec<String>,
    /// How often the CA bundle and the CRLs are read again, seconds (a changed file takes effect
    /// without a restart; an unreadable one keeps the lists in force and is logged).
    pub tls_client_crl_reload_seconds: u64,
    /// Behind a TLS proxy that checks client certificates itself: the proxies' addresses (IP, a
    /// list or comma-separated). Only a request whose TCP peer is one of them may carry the
    /// certificate in `client_cert_header`; from anywhere else the header is ignored (and the
    /// attempt logged).
    pub client_cert_proxies: Vec<String>,
    /// The header a trusted proxy forwards the verified client certificate in: URL-encoded PEM
    /// (nginx `$ssl_client_escaped_cert`), PEM, or base64 DER (HAProxy `ssl_c_der,base64`).
    pub client_cert_header: String,
    /// Demo mode (`serve --demo`); never read from a file or the environment.
    #[serde(skip)]
    pub demo: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://./data/kontosparr.db".into(),
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            session_idle_minutes: 15,
            session_absolute_hours: 10,
            lockout_failures: 5,
            lockout_minutes: 15,
            login_rate_per_ip: 30,
            login_rate_window_seconds: 300,
            trust_forwarded_for: false,
            enrolment_link_hours: 72,
            log_format: "text".into(),
            pool_size: None,
            pool_timeout_ms: 2000,
            diary_prefix: "KSD".into(),
            require_helpdesk_ref: true,
            population_register: String::new(),
            attachments_dir: "./data/attachments".into(),
            attachment_max_bytes: 10 * 1024 * 1024,
            smtp_url: String::new(),
            smtp_from: "kontosparr@example.se".into(),
            smtp_allow_plain: false,
            smtp_ca_file: String::new(),
            smtp_username: String::new(),
            smtp_password: String::new(),
            mail_interval_seconds: 10,
            review_remind_before_days: 14,
            review_escalate_after_days: 14,
            form_reminder_every_days: 3,
            journal_note_max_age_days: 30,
            office_hours_start: 8,
            office_hours_end: 16,
            audit_key_file: "./data/audit.key".into(),
            audit_checkpoint_file: "./data/audit-checkpoints.jsonl".into(),
            audit_checkpoint_seconds: 60,
            audit_retention_years: 5,
            audit_burst_citizens: 20,
            audit_burst_minutes: 10,
            audit_review_scan_limit: 20_000,
            audit_spot_check_days: 30,
            node_name: String::new(),
            secret_key_file: "./data/secret.key".into(),
            metrics_bind: String::new(),
            oidc_providers: Vec::new(),
            password_login_admins_only: false,
            tls_cert_file: String::new(),
            tls_key_file: String::new(),
            tls_client_ca_file: String::new(),
            tls_client_crl_files: Vec::new(),
            tls_client_crl_reload_seconds: 300,
            client_cert_proxies: Vec::new(),
            client_cert_header: "X-SSL-Client-Cert".into(),
            demo: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("configuration: {0}")]
    Parse(String),
    #[error("unknown environment variable {0}: known KONTOSPARR_ settings are {1}")]
    UnknownEnv(String, String),
    #[error("configuration: {0}")]
    Invalid(String),
}

const KEYS: &[&str] = &[
    "database_url",
    "bind",
    "public_url",
    "session_idle_minutes",
    "session_absolute_hours",
    "lockout_failures",
    "lockout_minutes",
    "login_rate_per_ip",
    "login_rate_window_seconds",
    "trust_forwarded_for",
    "enrolment_link_hours",
    "log_format",
    "pool_size",
    "pool_timeout_ms",
    "diary_prefix",
    "require_helpdesk_ref",
    "population_register",
    "attachments_dir",
    "attachment_max_bytes",
    "smtp_url",
    "smtp_from",
    "smtp_allow_plain",
    "smtp_ca_file",
    "smtp_username",
    "smtp_password",
    "mail_interval_seconds",
    "review_remind_before_days",
    "review_escalate_after_days",
    "form_reminder_every_days",
    "journal_note_max_age_days",
    "office_hours_start",
    "office_hours_end",
    "audit_key_file",
    "audit_checkpoint_file",
    "audit_checkpoint_seconds",
    "audit_retention_years",
    "audit_burst_citizens",
    "audit_burst_minutes",
    "audit_review_scan_limit",
    "audit_spot_check_days",
    "node_name",
    "secret_key_file",
    "metrics_bind",
    "password_login_admins_only",
    "tls_cert_file",
    "tls_key_file",
    "tls_client_ca_file",
    "tls_client_crl_files",
    "tls_client_crl_reload_seconds",
    "client_cert_proxies",
    "client_cert_header",
];

/// Settings that hold a list: comma-separated in the environment.
const LIST_KEYS: &[&str] = &["tls_client_crl_files", "client_cert_proxies"];

impl Config {
    /// Reads the file (when given) and then the environment, which wins.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_from(file, std::env::vars())
    }

    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut table = match file {
            Some(p) => {
                let text =
                    std::fs::read_to_string(p).map_err(|e| ConfigError::Read(p.into(), e))?;
                text.parse::<toml::Table>()
                    .map_err(|e| ConfigError::Parse(format!("{}: {e}", p.display())))?
            }
            None => toml::Table::new(),
        };
        for (k, v) in env {
            let key = if k == "DATABASE_URL" {
                "database_url".to_string()
            } else if let Some(rest) = k.strip_prefix("KONTOSPARR_") {
                // Read elsewhere: the file path (clap) and the log filter (tracing).
                if rest == "CONFIG" || rest == "LOG" {
                    continue;
                }
                rest.to_ascii_lowercase()
            } else {
                continue;
            };
            if !KEYS.contains(&key.as_str()) {
                let known = KEYS
                    .iter()
                    .map(|k| format!("KONTOSPARR_{}", k.to_ascii_uppercase()))
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(ConfigError::UnknownEnv(k, known));
            }
            let value = if LIST_KEYS.contains(&key.as_str()) {
                toml::Value::Array(
                    v.split(',')
                        .map(str::trim)
                        .filter(|x| !x.is_empty())
                        .map(|x| toml::Value::String(x.to_string()))
                        .collect(),
                )
            } else if let Ok(i) = v.parse::<i64>() {
                toml::Value::Integer(i)
            } else if let Ok(b) = v.parse::<bool>() {
                toml::Value::Boolean(b)
            } else {
                toml::Value::String(v)
            };
            table.insert(key, value);
        }
        let cfg: Config = table
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Parse(e.message().to_string()))?;
        cfg.check()?;
        Ok(cfg)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_string()));
        if self.session_idle_minutes < 1 || self.session_absolute_hours < 1 {
            return bad("session timeouts must be positive");
        }
        if self.lockout_failures < 1 || self.lockout_minutes < 1 {
            return bad("lockout_failures and lockout_minutes must be positive");
        }
        if self.journal_note_max_age_days > 3650 {
            return bad("journal_note_max_age_days must be at most 3650");
        }
        if self.log_format != "text" && self.log_format != "json" {
            return bad("log_format must be \"text\" or \"json\"");
        }
        let p = self.diary_prefix.trim();
        if p.is_empty() || p.len() > 16 || p.contains(char::is_whitespace) {
            return bad("diary_prefix must be 1–16 characters without spaces");
        }
        if self.audit_retention_years < 5 {
            return Err(ConfigError::Invalid(format!(
                "audit_retention_years is {}: the access log must be kept at least 5 years \
                 (HSLF-FS 2016:40)",
                self.audit_retention_years
            )));
        }
        if self.audit_key_file.trim().is_empty() || self.audit_checkpoint_file.trim().is_empty() {
            return bad("audit_key_file and audit_checkpoint_file must name files");
        }
        if self.audit_burst_citizens < 2 || !(1..=1440).contains(&self.audit_burst_minutes) {
            return bad("audit_burst_citizens must be at least 2 and audit_burst_minutes 1–1440");
        }
        if !(100..=1_000_000).contains(&self.audit_review_scan_limit) {
            return bad("audit_review_scan_limit must be between 100 and 1000000");
        }
        if !(1..=366).contains(&self.audit_spot_check_days) {
            return bad("audit_spot_check_days must be between 1 and 366");
        }
        if self.pool_size == Some(0) {
            return bad("pool_size must be at least 1");
        }
        if !self.metrics_bind.is_empty() && self.metrics_bind.trim() == self.bind.trim() {
            return bad("metrics_bind must differ from bind: metrics are never served publicly");
        }
        if !(100..=60_000).contains(&self.pool_timeout_ms) {
            return bad("pool_timeout_ms must be between 100 and 60000");
        }
        if let Some(u) = &self.public_url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            return bad("public_url must start with https:// or http://");
        }
        oidc::check(&self.oidc_providers, self.password_login_admins_only)?;
        self.check_client_certs()
    }

    /// The pool size to use: `pool_size` when set, otherwise the backend's default.
    pub fn pool_size(&self) -> u32 {
        self.pool_size
            .unwrap_or_else(|| default_pool_size(&self.database_url))
    }

    /// This node's name: `node_name`, or `<host name>/<bind>`.
    pub fn node(&self) -> String {
        if !self.node_name.trim().is_empty() {
            return self.node_name.trim().to_string();
        }
        // /proc/sys is hidden under the systemd unit's ProcSubset=pid: /etc/hostname then.
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "node".to_string());
        format!("{host}/{}", self.bind)
    }

    /// The SMTP settings, or None when mail is not configured.
    pub fn smtp(&self) -> Result<Option<SmtpSettings>, ConfigError> {
        if self.smtp_url.is_empty() {
            return Ok(None);
        }
        SmtpSettings::parse(
            &self.smtp_url,
            &self.smtp_from,
            self.smtp_allow_plain,
            &self.smtp_ca_file,
            &self.smtp_username,
            &self.smtp_password,
        )
        .map(Some)
        .map_err(|e| ConfigError::Invalid(e.to_string()))
    }

    pub fn public_url(&self) -> String {
        let scheme = if self.serves_tls() { "https" } else { "http" };
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("{scheme}://{}", self.bind))
            .trim_end_matches('/')
            .to_string()
    }

    /// Served over TLS (through a proxy or not): Secure `__Host-` cookies and HSTS.
    pub fn is_https(&self) -> bool {
        self.public_url().starts_with("https://")
    }

    /// Plain http is allowed only when the service listens on loopback alone.
    pub fn check_transport(&self) -> Result<(), ConfigError> {
        if self.serves_tls() && !self.is_https() {
            return Err(ConfigError::Invalid(
                "tls_cert_file is set, so public_url must be https://…".into(),
            ));
        }
        if self.is_https() {
            return Ok(());
        }
        let loopback = self
            .bind
            .parse::<SocketAddr>()
            .map(|a| a.ip().is_loopback())
            .unwrap_or(self.bind.starts_with("localhost:"));
        if loopback {
            Ok(())
        } else {
            Err(ConfigError::Invalid(format!(
                "bind {} is not a loopback address, so public_url must be https://… \
                 (plain http is only for development on loopback)",
                self.bind
            )))
        }
    }
}

/// The default pool size for a database URL. SQLite has one writer at a time and answers reads
/// in-process; the requests' write transactions share commits on its writing connection
/// (`db::writer`, group commit), and the more requests are in flight the more share one: 32
/// (bench/http, case page: about 1 950 req/s with 4 connections, 2 500 with 32, no more with 64;
/// each holds a page cache of at most 2 MiB). PostgreSQL works beside us: twice the
/// cores (one running, one waiting on the network) plus two for the background jobs.
pub fn default_pool_size(database_url: &str) -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
    match crate::db::Target::parse(database_url).map(|t| t.backend()) {
        Ok(crate::db::Backend::Postgres) => 2 * cores + 2,
        _ => 32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_and_env() {
        let c = Config::load_from(None, env(&[("PATH", "/bin")])).unwrap_or_default();
        assert_eq!(c, Config::default());
        let c = Config::load_from(
            None,
            env(&[
                ("DATABASE_URL", "postgres://x/y"),
                ("KONTOSPARR_SESSION_IDLE_MINUTES", "5"),
            ]),
        );
        let c = c.unwrap_or_default();
        assert_eq!(c.database_url, "postgres://x/y");
        assert_eq!(c.session_idle_minutes, 5);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = Config::load_from(None, env(&[("KONTOSPARR_SESION_IDLE", "5")]));
        assert!(
            matches!(e, Err(ConfigError::UnknownEnv(ref k, _)) if k == "KONTOSPARR_SESION_IDLE")
        );
        let dir = tempfile::tempdir().ok();
        let p = dir
            .as_ref()
            .map(|d| d.path().join("k.toml"))
            .unwrap_or_default();
        std::fs::write(&p, "bind = \"127.0.0.1:1\"\nbindd = 3\n").ok();
        let e = Config::load_from(Some(&p), env(&[]));
        assert!(
            matches!(e, Err(ConfigError::Parse(ref m)) if m.contains("bindd")),
            "{e:?}"
        );
        std::fs::write(&p, "session_idle_minutes = \"many\"\n").ok();
        assert!(Config::load_from(Some(&p), env(&[])).is_err());
    }

    #[test]
    fn the_log_is_kept_five_years_at_least() {
        let e = Config::load_from(None, env(&[("KONTOSPARR_AUDIT_RETENTION_YEARS", "4")]));
        assert!(
            matches!(e, Err(ConfigError::Invalid(ref m)) if m.contains("at least 5 years")),
            "{e:?}"
        );
        let c = Config::load_from(None, env(&[("KONTOSPARR_AUDIT_RETENTION_YEARS", "10")]));
        assert_eq!(c.map(|c| c.audit_retention_years).ok(), Some(10));
    }

    #[test]
    fn review_thresholds_are_checked() {
        let c = Config::default();
        assert_eq!((c.audit_burst_citizens, c.audit_burst_minutes), (20, 10));
        for (k, v) in [
            ("KONTOSPARR_AUDIT_BURST_CITIZENS", "1"),
            ("KONTOSPARR_AUDIT_BURST_MINUTES", "0"),
            ("KONTOSPARR_AUDIT_REVIEW_SCAN_LIMIT", "5"),
        ] {
            let e = Config::load_from(None, env(&[(k, v)]));
            assert!(matches!(e, Err(ConfigError::Invalid(_))), "{k}={v}: {e:?}");
        }
        let c = Config::load_from(None, env(&[("KONTOSPARR_AUDIT_BURST_CITIZENS", "5")]));
        assert_eq!(c.map(|c| c.audit_burst_citizens).ok(), Some(5));
    }

    #[test]
    fn the_pool_is_sized_per_backend_unless_set() {
        let mut c = Config::default();
        assert_eq!(c.pool_size(), 32);
        c.database_url = "postgres://x/y".into();
        assert!(c.pool_size() >= 4, "{}", c.pool_size());
        c.pool_size = Some(7);
        assert_eq!(c.pool_size(), 7);
        let e = Config::load_from(None, env(&[("KONTOSPARR_POOL_SIZE", "0")]));
        assert!(matches!(e, Err(ConfigError::Invalid(_))), "{e:?}");
    }

    #[test]
    fn plain_http_only_on_loopback() {
        let mut c = Config::default();
        assert!(c.check_transport().is_ok());
        c.bind = "0.0.0.0:8080".into();
        assert!(c.check_transport().is_err());
        c.public_url = Some("https://kontosparr.example.se".into());
        assert!(c.check_transport().is_ok());
        assert!(c.is_https());
    }
}
