//! `kontosparr backup DIR` and `kontosparr restore DIR`: a consistent copy of the database and the
//! attachments, taken while `serve` runs, and its restore into an empty database.
//!
//! A backup is a directory (a *bundle*):
//!
//! ```text
//! DIR/manifest.json        format, backend, time, newest migration, attachment count
//! DIR/database.sqlite      SQLite: `VACUUM INTO` (one read transaction: a consistent snapshot)
//! DIR/database.pgdump      PostgreSQL: `pg_dump --format=custom` (one REPEATABLE READ snapshot)
//! DIR/attachments/…        the files of `attachments_dir`, copied after the database
//! ```
//!
//! The database is copied first and the attachments after it: a file is written before the row
//! that names it commits, so every attachment row in the copy has its file (a file uploaded during
//! the backup may be copied without its row — harmless, it is never served). The bundle is built
//! under `DIR.partial` and renamed to `DIR` at the end, so a bundle that exists is complete.

use crate::config::Config;
use crate::db::{self, DbConnection, Target};
use diesel::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "database.sqlite";
const PG_FILE: &str = "database.pgdump";
const ATTACHMENTS: &str = "attachments";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("database: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("{0}: {1}")]
    File(PathBuf, std::io::Error),
    #[error("{0} already exists: choose a new name for the backup")]
    Exists(PathBuf),
    #[error("{0} is not a backup made by `kontosparr backup`: {1}")]
    NotABackup(PathBuf, String),
    #[error("the backup is of a {0} database but DATABASE_URL names a {1} one")]
    WrongBackend(String, String),
    #[error(
        "the target database is not empty ({0}): restore only into an empty database, or pass --force to replace it"
    )]
    NotEmpty(String),
    #[error("{0} could not run: {1} (install the PostgreSQL client tools or pass --pg-bin DIR)")]
    Tool(String, std::io::Error),
    #[error("{0} failed: {1}")]
    ToolFailed(String, String),
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Manifest {
    pub format: u32,
    pub backend: String,
    pub created_at: String,
    pub newest_migration: String,
    pub database_file: String,
    pub attachments: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BackupReport {
    pub manifest: Manifest,
    pub dir: PathBuf,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RestoreReport {
    pub manifest: Manifest,
    pub attachments: usize,
    pub migrations: usize,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |e| BackupError::File(path.to_path_buf(), e)
}

/// A PostgreSQL client program: in `pg_bin` when given, else on PATH, else the newest
/// `/usr/lib/postgresql/*/bin` (Debian and Ubuntu keep them there).
pub fn pg_tool(name: &str, pg_bin: Option<&Path>) -> PathBuf {
    if let Some(dir) = pg_bin {
        return dir.join(name);
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        .unwrap_or(false);
    if on_path {
        return PathBuf::from(name);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let p = e.path().join("bin").join(name);
            p.is_file().then_some((v, p))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, p)| p)
        .unwrap_or_else(|| PathBuf::from(name))
}

fn run_tool(mut cmd: Command) -> Result<(), BackupError> {
    let name = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd
        .output()
        .map_err(|e| BackupError::Tool(name.clone(), e))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(BackupError::ToolFailed(
            name,
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ))
    }
}

fn newest_migration(conn: &mut DbConnection) -> Result<String, BackupError> {
    #[derive(QueryableByName)]
    struct V {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    let q = diesel::sql_query(
        "SELECT version FROM __diesel_schema_migrations ORDER BY version DESC LIMIT 1",
    );
    let v: Vec<V> = match conn {
        DbConnection::Pg(c) => q.load(c)?,
        DbConnection::Sqlite(c) => q.load(c)?,
    };
    Ok(v.into_iter().next().map(|v| v.version).unwrap_or_default())
}

/// Copies every regular file of `from` into `to` (created, mode 0700; files 0600). Returns the
/// count. A missing `from` is an empty directory.
fn copy_files(from: &Path, to: &Path) -> Result<usize, BackupError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).map_err(io(to))?;
    }
    let entries = match std::fs::read_dir(from) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(BackupError::File(from.into(), e)),
    };
    let mut n = 0;
    for entry in entries {
        let entry = entry.map_err(io(from))?;
        let path = entry.path();
        if !entry.file_type().map_err(io(&path))?.is_file() {
            continue;
        }
        let target = to.join(entry.file_name());
        std::fs::copy(&path, &target).map_err(io(&path))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600))
                .map_err(io(&target))?;
        }
        n += 1;
    }
    Ok(n)
}

/// Writes a backup bundle of the configured database and attachments to `dir` (which must not
/// exist). Safe while `serve` runs.
pub fn backup(
    cfg: &Config,
    dir: &Path,
    pg_bin: Option<&Path>,
) -> Result<BackupReport, BackupError> {
    if dir.exists() {
        return Err(BackupError::Exists(dir.into()));
    }
    let partial = PathBuf::from(format!("{}.partial", dir.display()));
    if partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(io(&partial))?;
    }
    std::fs::create_dir_all(&partial).map_err(io(&partial))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o700))
            .map_err(io(&partial))?;
    }
    let target = Target::parse(&cfg.database_url)?;
    let pool = db::pool(&cfg.database_url, 1)?;
    let mut conn = pool.get().map_err(db::DbError::from)?;
    let newest = newest_migration(&mut conn)?;
    let (backend, file) = match &target {
        Target::Sqlite(_) => {
            let out = partial.join(SQLITE_FILE);
            let quoted = out.display().to_string().replace('\'', "''");
            diesel::sql_query(format!("VACUUM INTO '{quoted}'")).execute(&mut *conn)?;
            ("sqlite", SQLITE_FILE)
        }
        Target::Postgres(url) => {
            let out = partial.join(PG_FILE);
            let mut cmd = Command::new(pg_tool("pg_dump", pg_bin));
            cmd.arg("--format=custom")
                .arg("--no-owner")
                .arg("--no-privileges")
                .arg(format!("--file={}", out.display()))
                .arg(format!("--dbname={url}"));
            run_tool(cmd)?;
            ("postgres", PG_FILE)
        }
    };
    drop(conn);
    let attachments = copy_files(Path::new(&cfg.attachments_dir), &partial.join(ATTACHMENTS))?;
    let manifest = Manifest {
        format: FORMAT,
        backend: backend.into(),
        created_at: chrono::Utc::now().to_rfc3339(),
        newest_migration: newest,
        database_file: file.into(),
        attachments,
    };
    let text = serde_json::to_string_pretty(&manifest)
        .map_err(|e| BackupError::NotABackup(dir.into(), e.to_string()))?;
    let mpath = partial.join(MANIFEST);
    std::fs::write(&mpath, text).map_err(io(&mpath))?;
    std::fs::rename(&partial, dir).map_err(io(dir))?;
    Ok(BackupReport {
        manifest,
        dir: dir.into(),
    })
}

pub fn read_manifest(dir: &Path) -> Result<Manifest, BackupError> {
    let mpath = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&mpath)
        .map_err(|e| BackupError::NotABackup(dir.into(), e.to_string()))?;
    let m: Manifest = serde_json::from_str(&text)
        .map_err(|e| BackupError::NotABackup(dir.into(), e.to_string()))?;
    if m.format != FORMAT {
        return Err(BackupError::NotABackup(
            dir.into(),
            format!("format {} (this version reads {FORMAT})", m.format),
        ));
    }
    Ok(m)
}

/// How many tables the database has (0 = empty: nothing restored into it yet).
fn table_count(target: &Target) -> Result<i64, BackupError> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = match target {
        Target::Sqlite(path) => {
            if !path.exists() {
                return Ok(0);
            }
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%'"
        }
        Target::Postgres(_) => {
            "SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        }
    };
    let n: Vec<N> = match target {
        Target::Sqlite(path) => diesel::sql_query(sql).load(
            &mut SqliteConnection::establish(&path.to_string_lossy()).map_err(db::DbError::from)?,
        )?,
        Target::Postgres(url) => diesel::sql_query(sql)
            .load(&mut PgConnection::establish(url).map_err(db::DbError::from)?)?,
    };
    Ok(n.into_iter().next().map(|n| n.n).unwrap_or(0))
}

fn dir_has_files(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|mut e| e.next().is_some())
        .unwrap_or(false)
}

/// Restores a bundle into the configured database (which must be empty unless `force`) and
/// attachments directory, then applies any migrations newer than the backup. Stop every `serve`
/// on the target first.
pub fn restore(
    cfg: &Config,
    dir: &Path,
    force: bool,
    pg_bin: Option<&Path>,
) -> Result<RestoreReport, BackupError> {
    let manifest = read_manifest(dir)?;
    let target = Target::parse(&cfg.database_url)?;
    let have = match target {
        Target::Sqlite(_) => "sqlite",
        Target::Postgres(_) => "postgres",
    };
    if manifest.backend != have {
        return Err(BackupError::WrongBackend(
            manifest.backend.clone(),
            have.into(),
        ));
    }
    let attachments_dir = PathBuf::from(&cfg.attachments_dir);
    if !force {
        let tables = table_count(&target)?;
        if tables > 0 {
            return Err(BackupError::NotEmpty(format!(
                "{tables} tables in {}",
                match &target {
                    Target::Sqlite(p) => p.display().to_string(),
                    Target::Postgres(_) => "the PostgreSQL database".into(),
                }
            )));
        }
        if dir_has_files(&attachments_dir) {
            return Err(BackupError::NotEmpty(format!(
                "files in {}",
                attachments_dir.display()
            )));
        }
    }
    let source = dir.join(&manifest.database_file);
    if !source.is_file() {
        return Err(BackupError::NotABackup(
            dir.into(),
            format!("{} is missing", manifest.database_file),
        ));
    }
    match &target {
        Target::Sqlite(path) => {
            if let Some(parent) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            let tmp = PathBuf::from(format!("{}.restoring", path.display()));
            std::fs::copy(&source, &tmp).map_err(io(&tmp))?;
            for suffix in ["-wal", "-shm"] {
                let side = PathBuf::from(format!("{}{suffix}", path.display()));
                match std::fs::remove_file(&side) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(BackupError::File(side, e)),
                }
            }
            std::fs::rename(&tmp, path).map_err(io(path))?;
        }
        Target::Postgres(url) => {
            let mut cmd = Command::new(pg_tool("pg_restore", pg_bin));
            cmd.arg("--no-owner")
                .arg("--no-privileges")
                .arg("--exit-on-error")
                .arg("--single-transaction");
            if force {
                cmd.arg("--clean").arg("--if-exists");
            }
            cmd.arg(format!("--dbname={url}")).arg(&source);
            run_tool(cmd)?;
        }
    }
    let attachments = copy_files(&dir.join(ATTACHMENTS), &attachments_dir)?;
    let pool = db::pool(&cfg.database_url, 1)?;
    let mut conn = pool.get().map_err(db::DbError::from)?;
    let migrations = db::migrate(&mut conn)?;
    Ok(RestoreReport {
        manifest,
        attachments,
        migrations,
    })
}
