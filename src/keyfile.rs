//! Server key files (the access-log sealer's key, the TOTP secret key): 32 random bytes as 64 hex
//! digits, mode 0600, never in the database.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Creates the key file with a new random key when it does not exist. The key is written whole to
/// a file of its own, then linked into place: the key file appears complete or not at all, so a
/// process starting at the same moment never reads it half-written, and of two processes that
/// both create one exactly one link wins. The error names the file it concerns.
pub fn create_if_missing(path: &Path, what: &str) -> Result<(), (PathBuf, std::io::Error)> {
    if path.exists() {
        return Ok(());
    }
    let key: [u8; 32] = rand::random();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| (dir.to_path_buf(), e))?;
    }
    let tmp = PathBuf::from(format!(
        "{}.{}-{}.tmp",
        path.display(),
        std::process::id(),
        hex::encode(rand::random::<[u8; 6]>())
    ));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let written = opts
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(format!("{}\n", hex::encode(key)).as_bytes())?;
            f.sync_all()
        })
        .map_err(|e| (tmp.clone(), e));
    let linked = written.and_then(|()| match std::fs::hard_link(&tmp, path) {
        Ok(()) => {
            tracing::info!(
                file = %path.display(),
                "{what} created: back it up apart from the database"
            );
            Ok(())
        }
        // Another process created it first: use that one.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err((path.to_path_buf(), e)),
    });
    let _ = std::fs::remove_file(&tmp);
    linked
}
