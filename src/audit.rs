//! The access log's sealer, its signed checkpoints, and the archive (export and offline check).
//! The rows and the chain are in `db::audit`; the hashes and MACs in `domain::audit`.

use crate::db::{self, DbConnection, audit as dba};
use crate::domain::audit::{
    EntryFields, checkpoint_mac, checkpoint_mac_ok, checkpoint_message, digest_in, format_time,
    row_hash, subject_set, subjects_digest,
};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("database pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("the audit key file {0}: {1}")]
    Key(PathBuf, String),
    #[error("the checkpoint file {0}: {1}")]
    Checkpoints(PathBuf, String),
    #[error("{0}: {1}")]
    File(PathBuf, std::io::Error),
    #[error("{0}, line {1}: {2}")]
    Archive(PathBuf, usize, String),
}

/// The secret that signs checkpoints. It lives in a file, never in the database: someone who can
/// rewrite the database cannot forge a checkpoint without it.
#[derive(Clone)]
pub struct AuditKey(Vec<u8>);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(…)")
    }
}

impl AuditKey {
    /// Reads the key (64 hex digits); creates it with mode 0600 when the file does not exist.
    pub fn load_or_create(path: &Path) -> Result<AuditKey, AuditError> {
        crate::keyfile::create_if_missing(path, "audit key")
            .map_err(|(file, e)| AuditError::File(file, e))?;
        Self::load(path)
    }

    /// Reads an existing key.
    pub fn load(path: &Path) -> Result<AuditKey, AuditError> {
        let text = std::fs::read_to_string(path).map_err(|e| AuditError::File(path.into(), e))?;
        let key = hex::decode(text.trim())
            .map_err(|_| AuditError::Key(path.into(), "not 64 hex digits".into()))?;
        if key.len() < 32 {
            return Err(AuditError::Key(
                path.into(),
                "shorter than 32 bytes (64 hex digits)".into(),
            ));
        }
        Ok(AuditKey(key))
    }

    #[cfg(test)]
    fn of(bytes: &[u8]) -> AuditKey {
        AuditKey(bytes.to_vec())
    }
}

/// A signed statement that the chain had `seal_seq` rows ending in `hash` at `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seal_seq: i64,
    pub hash: String,
    /// UTC, as `domain::audit::format_time` writes it.
    pub at: String,
    pub mac: String,
}

impl Checkpoint {
    pub fn sign(key: &AuditKey, seal_seq: i64, hash: &str, at: NaiveDateTime) -> Checkpoint {
        let m = checkpoint_message(seal_seq, hash, &at);
        Checkpoint {
            seal_seq,
            hash: hash.to_string(),
            at: format_time(&at),
            mac: checkpoint_mac(&key.0, &m),
        }
    }

    pub fn is_signed_by(&self, key: &AuditKey) -> bool {
        let Ok(at) = NaiveDateTime::parse_from_str(&self.at, "%Y-%m-%dT%H:%M:%S%.6fZ") else {
            return false;
        };
        checkpoint_mac_ok(
            &key.0,
            &checkpoint_message(self.seal_seq, &self.hash, &at),
            &self.mac,
        )
    }

    pub fn anchor(&self) -> dba::Anchor {
        dba::Anchor {
            seal_seq: self.seal_seq,
            hash: self.hash.clone(),
        }
    }

    /// Appends this checkpoint as one JSON line (the file is created 0600 when missing) and
    /// writes it to the tracing log.
    pub fn append_to(&self, path: &Path) -> Result<(), AuditError> {
        let err = |e| AuditError::File(path.into(), e);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| AuditError::File(dir.into(), e))?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let line = serde_json::to_string(self)
            .map_err(|e| AuditError::Checkpoints(path.into(), e.to_string()))?;
        let mut f = opts.open(path).map_err(err)?;
        // One write of one line: appends from several processes do not interleave.
        f.write_all(format!("{line}\n").as_bytes()).map_err(err)?;
        f.sync_data().map_err(err)?;
        tracing::info!(
            seal_seq = self.seal_seq,
            hash = %self.hash,
            at = %self.at,
            mac = %self.mac,
            "access log checkpoint"
        );
        Ok(())
    }
}

/// The newest checkpoint of a file (the one with the highest seal_seq), after checking every
/// line's signature: a line the key did not sign is an error, not something to skip.
pub fn latest_checkpoint(path: &Path, key: &AuditKey) -> Result<Option<Checkpoint>, AuditError> {
    let f = std::fs::File::open(path).map_err(|e| AuditError::File(path.into(), e))?;
    let mut best: Option<Checkpoint> = None;
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| AuditError::File(path.into(), e))?;
        if line.trim().is_empty() {
            continue;
        }
        let c: Checkpoint = serde_json::from_str(&line)
            .map_err(|e| AuditError::Checkpoints(path.into(), format!("line {}: {e}", i + 1)))?;
        if !c.is_signed_by(key) {
            return Err(AuditError::Checkpoints(
                path.into(),
                format!("line {} is not signed by the audit key", i + 1),
            ));
        }
        if best.as_ref().is_none_or(|b| c.seal_seq >= b.seal_seq) {
            best = Some(c);
        }
    }
    Ok(best)
}

/// Seals the log in rounds and writes checkpoints; one per process, shared by its jobs.
#[derive(Debug)]
pub struct Sealer {
    key: AuditKey,
    checkpoint_file: PathBuf,
    checkpoint_every: Duration,
    batch: i64,
    last_checkpoint: Mutex<Option<(Instant, i64)>>,
}

/// What `Sealer::run` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SealReport {
    pub sealed: i64,
    pub head_seq: i64,
    pub checkpointed: bool,
}

impl Sealer {
    pub fn new(key: AuditKey, checkpoint_file: PathBuf, checkpoint_every: Duration) -> Sealer {
        Sealer {
            key,
            checkpoint_file,
            checkpoint_every,
            batch: dba::BATCH,
            last_checkpoint: Mutex::new(None),
        }
    }

    pub fn from_config(cfg: &crate::config::Config) -> Result<Sealer, AuditError> {
        let key = AuditKey::load_or_create(Path::new(&cfg.audit_key_file))?;
        Ok(Sealer::new(
            key,
            PathBuf::from(&cfg.audit_checkpoint_file),
            Duration::from_secs(cfg.audit_checkpoint_seconds),
        ))
    }

    pub fn with_batch(mut self, batch: i64) -> Sealer {
        self.batch = batch.max(1);
        self
    }

    /// Seals until no committed row is left unsealed (or another node holds the lock), then
    /// signs a checkpoint of the head when this process sealed something and the last checkpoint
    /// is older than the interval (always when `force`).
    pub fn run(
        &self,
        conn: &mut DbConnection,
        now: NaiveDateTime,
        force: bool,
    ) -> Result<SealReport, AuditError> {
        let mut report = SealReport::default();
        let mut head_seq = None;
        loop {
            match dba::seal_round(conn, self.batch)? {
                dba::Round::Busy => break,
                dba::Round::Sealed { sealed, head } => {
                    report.sealed += sealed;
                    report.head_seq = head.last_seq;
                    head_seq = Some(head.last_seq);
                    if sealed < self.batch {
                        break;
                    }
                }
            }
        }
        let due = {
            let last = self.last_checkpoint.lock().map_err(|_| {
                AuditError::Checkpoints(self.checkpoint_file.clone(), "lock".into())
            })?;
            match (head_seq, *last) {
                (None, _) | (Some(0), _) => false,
                (Some(_), None) => true,
                (Some(seq), Some((when, done))) => {
                    seq != done && when.elapsed() >= self.checkpoint_every
                }
            }
        };
        if force || due {
            // The head as committed now (another node may have sealed after this round).
            let h = dba::head(conn)?;
            if h.last_seq > 0 {
                Checkpoint::sign(&self.key, h.last_seq, &h.last_hash, now)
                    .append_to(&self.checkpoint_file)?;
                report.checkpointed = true;
                if let Ok(mut last) = self.last_checkpoint.lock() {
                    *last = Some((Instant::now(), h.last_seq));
                }
            }
        }
        Ok(report)
    }

    /// Seals everything, waiting while another node holds the lock (`audit seal`).
    pub fn seal_all(
        &self,
        conn: &mut DbConnection,
        now: NaiveDateTime,
    ) -> Result<SealReport, AuditError> {
        let mut total = SealReport::default();
        loop {
            let r = self.run(conn, now, false)?;
            total.sealed += r.sealed;
            total.checkpointed |= r.checkpointed;
            let (left, _) = dba::unsealed(conn)?;
            if left == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let h = dba::head(conn)?;
        total.head_seq = h.last_seq;
        if total.sealed > 0 && h.last_seq > 0 {
            Checkpoint::sign(&self.key, h.last_seq, &h.last_hash, now)
                .append_to(&self.checkpoint_file)?;
            total.checkpointed = true;
        }
        Ok(total)
    }
}

/// Runs a verification of the database against the newest checkpoint of a file, when there is
/// one. Returns the report and the checkpoint used.
pub fn verify_with_checkpoints(
    conn: &mut DbConnection,
    checkpoints: Option<(&Path, &AuditKey)>,
) -> Result<(dba::VerifyReport, Option<Checkpoint>), AuditError> {
    let cp = match checkpoints {
        Some((path, key)) => latest_checkpoint(path, key)?,
        None => None,
    };
    let report = dba::verify_against(conn, cp.as_ref().map(|c| c.anchor()).as_ref())?;
    Ok((report, cp))
}

/// One row of an archive file (JSON lines), with everything needed to check its chain offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveRow {
    pub seal_seq: i64,
    pub id: i64,
    pub at: String,
    pub user_hsa_id: Option<String>,
    pub role: Option<String>,
    pub unit_code: Option<String>,
    pub action: String,
    pub object: Option<String>,
    pub personnummer: Option<String>,
    pub client_addr: Option<String>,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// 1: chained before sealing existed (no seal_seq in the hash); 2: sealed.
    pub format: u8,
    /// A list entry's citizens (`access_log_subjects`), sorted; their digest is in `detail`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportReport {
    pub rows: i64,
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
}

/// Writes the sealed rows logged in `[from, to)` as JSON lines: the whole stretch of the chain
/// from the first such row to the last, so that a row sealed late near an edge is included and
/// the file's chain has no holes. The file holds personal data; it is created 0600.
pub fn export(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    out: &Path,
) -> Result<ExportReport, AuditError> {
    let err = |e| AuditError::File(out.into(), e);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut w = std::io::BufWriter::new(opts.open(out).map_err(err)?);
    let Some((lo, hi)) = dba::seal_range(conn, from, to)? else {
        w.flush().map_err(err)?;
        return Ok(ExportReport {
            rows: 0,
            first_seq: None,
            last_seq: None,
        });
    };
    let legacy = dba::head(conn)?.legacy_seq;
    let mut after = lo - 1;
    let mut rows = 0;
    while after < hi {
        let batch = dba::sealed_after(conn, after, dba::BATCH.min(hi - after))?;
        if batch.is_empty() {
            break;
        }
        let mut named = dba::subjects_of(conn, &batch)?;
        for r in batch {
            let seq = r.seal_seq.unwrap_or_default();
            let mut subjects = named.remove(&r.id).unwrap_or_default();
            subjects.sort();
            let row = ArchiveRow {
                seal_seq: seq,
                id: r.id,
                at: format_time(&r.at),
                user_hsa_id: r.user_hsa_id,
                role: r.role,
                unit_code: r.unit_code,
                action: r.action,
                object: r.object,
                personnummer: r.personnummer,
                client_addr: r.client_addr,
                detail: r.detail,
                prev_hash: r.prev_hash.unwrap_or_default(),
                hash: r.hash.unwrap_or_default(),
                format: if seq <= legacy { 1 } else { 2 },
                subjects,
            };
            let line = serde_json::to_string(&row)
                .map_err(|e| AuditError::Archive(out.into(), 0, e.to_string()))?;
            w.write_all(line.as_bytes()).map_err(err)?;
            w.write_all(b"\n").map_err(err)?;
            after = seq;
            rows += 1;
        }
    }
    w.flush().map_err(err)?;
    Ok(ExportReport {
        rows,
        first_seq: Some(lo),
        last_seq: Some(after),
    })
}

/// The result of checking an archive file offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveReport {
    pub rows: i64,
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
    /// The hash the first row chains to and the last row's hash: compare them with the
    /// neighbouring archives or the live log.
    pub first_prev_hash: Option<String>,
    pub last_hash: Option<String>,
    /// Line number (1-based) and seal_seq of the first bad row, and why.
    pub broken: Option<(usize, i64, String)>,
}

/// Checks an archive without a database: consecutive seal_seq numbers, each row linked to the one
/// before and each hash recomputed. A checkpoint whose seal_seq falls inside the file must match.
pub fn verify_archive(
    path: &Path,
    checkpoint: Option<&Checkpoint>,
) -> Result<ArchiveReport, AuditError> {
    let f = std::fs::File::open(path).map_err(|e| AuditError::File(path.into(), e))?;
    let mut rep = ArchiveReport {
        rows: 0,
        first_seq: None,
        last_seq: None,
        first_prev_hash: None,
        last_hash: None,
        broken: None,
    };
    let mut prev: Option<(i64, String)> = None;
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| AuditError::File(path.into(), e))?;
        if line.trim().is_empty() {
            continue;
        }
        let r: ArchiveRow = serde_json::from_str(&line)
            .map_err(|e| AuditError::Archive(path.into(), n, e.to_string()))?;
        let at = NaiveDateTime::parse_from_str(&r.at, "%Y-%m-%dT%H:%M:%S%.6fZ")
            .map_err(|e| AuditError::Archive(path.into(), n, e.to_string()))?;
        let mut fail = |why: String| {
            rep.broken = Some((n, r.seal_seq, why));
        };
        if let Some((seq, hash)) = &prev {
            if r.seal_seq != seq + 1 {
                fail(format!(
                    "seal_seq {} follows {seq}: rows were removed or re-ordered",
                    r.seal_seq
                ));
                break;
            }
            if &r.prev_hash != hash {
                fail("it does not follow the row before it".into());
                break;
            }
        } else {
            rep.first_seq = Some(r.seal_seq);
            rep.first_prev_hash = Some(r.prev_hash.clone());
        }
        let fields = EntryFields {
            id: r.id,
            at,
            user_hsa_id: r.user_hsa_id.as_deref(),
            role: r.role.as_deref(),
            unit_code: r.unit_code.as_deref(),
            action: &r.action,
            object: r.object.as_deref(),
            personnummer: r.personnummer.as_deref(),
            client_addr: r.client_addr.as_deref(),
            detail: r.detail.as_deref(),
        };
        let legacy = if r.format == 1 { r.seal_seq } else { 0 };
        let hash = row_hash(&r.prev_hash, r.seal_seq, legacy, &fields);
        if hash != r.hash {
            fail("its contents were changed".into());
            break;
        }
        if let Some(digest) = r.detail.as_deref().and_then(digest_in) {
            let list = subject_set(r.subjects.iter().map(String::as_str));
            if subjects_digest(&list) != digest {
                fail("the citizens it names (subjects) were changed".into());
                break;
            }
        }
        if let Some(c) = checkpoint
            && c.seal_seq == r.seal_seq
            && c.hash != hash
        {
            fail("it differs from the signed checkpoint at this seal_seq".into());
            break;
        }
        rep.rows += 1;
        rep.last_seq = Some(r.seal_seq);
        rep.last_hash = Some(hash.clone());
        prev = Some((r.seal_seq, hash));
    }
    Ok(rep)
}

/// Opens a connection for the audit commands.
pub fn open(cfg: &crate::config::Config) -> Result<db::PooledConn, db::DbError> {
    let pool = db::pool(&cfg.database_url, 1)?;
    let mut conn = pool.get()?;
    db::migrate(&mut conn)?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_survives_its_file() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else { return };
        let p = dir.path().join("cp.jsonl");
        let key = AuditKey::of(&[7u8; 32]);
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 5_000)
            .map(|d| d.naive_utc())
            .unwrap_or_default();
        Checkpoint::sign(&key, 3, "ab", at).append_to(&p).ok();
        Checkpoint::sign(&key, 9, "cd", at).append_to(&p).ok();
        let c = latest_checkpoint(&p, &key).ok().flatten();
        assert_eq!(c.map(|c| c.seal_seq), Some(9));
        let other = AuditKey::of(&[8u8; 32]);
        assert!(latest_checkpoint(&p, &other).is_err());
    }

    #[test]
    fn a_key_file_is_made_private() {
        let Ok(dir) = tempfile::tempdir() else { return };
        let p = dir.path().join("k").join("audit.key");
        let k1 = AuditKey::load_or_create(&p)
            .map(|k| k.0)
            .unwrap_or_default();
        let k2 = AuditKey::load(&p).map(|k| k.0).unwrap_or_default();
        assert_eq!(k1.len(), 32);
        assert_eq!(k1, k2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p)
                .map(|m| m.permissions().mode())
                .unwrap_or(0);
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
