//! The access log's sealer, checkpoints and archive, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{self, Backend, TestDb};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use kontosparr::audit::{self as sealing, AuditKey, Checkpoint, Sealer};
use kontosparr::db::schema::{access_log, access_log_head};
use kontosparr::db::{self, DbConnection, Pool, audit};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// Runs each named test function on a fresh SQLite file and a fresh PostgreSQL database.
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(super::Db::new(super::Backend::Sqlite))
            }
            #[test]
            fn postgres() {
                super::$name(super::Db::new(super::Backend::Postgres))
            }
        }
    )*};
}

both!(
    append_inserts_unsealed_and_the_sealer_chains,
    the_guard_allows_only_the_sealing_update,
    an_edited_row_is_named,
    a_removed_row_is_named,
    swapped_rows_are_named,
    a_late_commit_is_sealed_in_the_next_round,
    a_cut_tail_is_named_by_the_checkpoint,
    two_sealer_processes_make_one_chain,
    two_sealer_threads_make_one_chain,
    export_and_the_offline_archive_check,
    rows_chained_before_sealing_count_as_sealed,
    an_append_in_a_transaction_is_sealed_at_once_on_sqlite_only,
);

/// A migrated database and a working directory for the command line (key, checkpoints).
struct Db {
    tdb: TestDb,
    pool: Pool,
    dir: tempfile::TempDir,
}

impl Db {
    fn new(backend: Backend) -> Db {
        let tdb = TestDb::new(backend);
        let pool = tdb.pool();
        db::migrate(&mut pool.get().unwrap()).unwrap();
        Db {
            tdb,
            pool,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn conn(&self) -> db::PooledConn {
        self.pool.get().unwrap()
    }

    fn key_file(&self) -> PathBuf {
        self.dir.path().join("data/audit.key")
    }

    fn checkpoint_file(&self) -> PathBuf {
        self.dir.path().join("data/audit-checkpoints.jsonl")
    }

    fn key(&self) -> AuditKey {
        AuditKey::load_or_create(&self.key_file()).unwrap()
    }

    fn sealer(&self) -> Sealer {
        Sealer::new(self.key(), self.checkpoint_file(), Duration::from_secs(0))
    }

    /// The binary with this database, run in the working directory (default key and checkpoint
    /// files under ./data).
    fn run(&self, args: &[&str]) -> std::process::Output {
        self.cmd(args).output().unwrap()
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kontosparr"));
        c.args(args)
            .current_dir(self.dir.path())
            .env("DATABASE_URL", &self.tdb.url)
            .env_remove("KONTOSPARR_CONFIG");
        c
    }
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn at(minute: i64) -> chrono::NaiveDateTime {
    db::ts(common::t0() + chrono::Duration::minutes(minute))
}

/// Appends `n` entries in one transaction, written at minutes `from..from+n`.
fn append_n(conn: &mut DbConnection, from: i64, n: i64, tag: &str) -> Vec<i64> {
    db::write_tx(conn, |c| {
        (from..from + n)
            .map(|i| {
                let e = audit::NewEntry {
                    user_hsa_id: Some("SE2321000131-H1".into()),
                    role: Some("handler".into()),
                    action: format!("{tag}_{i}"),
                    object: Some(format!("case:{i}")),
                    personnummer: (i % 2 == 0).then(|| "191212121212".to_string()),
                    client_addr: Some("127.0.0.1".into()),
                    ..Default::default()
                };
                audit::append_unsealed(c, at(i), &e)
            })
            .collect::<QueryResult<Vec<i64>>>()
    })
    .unwrap()
}

/// Seals everything committed.
fn seal_all(conn: &mut DbConnection) -> i64 {
    let mut total = 0;
    while let audit::Round::Sealed { sealed, .. } = audit::seal_round(conn, 1000).unwrap() {
        total += sealed;
        if sealed == 0 {
            break;
        }
    }
    total
}

fn drop_guard(conn: &mut DbConnection) {
    // What an attacker with database access would do first.
    match conn {
        DbConnection::Sqlite(_) => conn
            .batch_execute(
                "DROP TRIGGER access_log_no_update; DROP TRIGGER access_log_no_delete; \
                 DROP TRIGGER access_log_subjects_no_delete;",
            )
            .unwrap(),
        DbConnection::Pg(_) => conn
            .batch_execute(
                "DROP TRIGGER access_log_no_change ON access_log; \
                 DROP TRIGGER access_log_subjects_no_change ON access_log_subjects;",
            )
            .unwrap(),
    }
}

fn id_at(conn: &mut DbConnection, seq: i64) -> i64 {
    access_log::table
        .filter(access_log::seal_seq.eq(seq))
        .select(access_log::id)
        .first(conn)
        .unwrap()
}

fn count_unsealed(conn: &mut DbConnection) -> i64 {
    audit::unsealed(conn).unwrap().0
}

fn append_inserts_unsealed_and_the_sealer_chains(d: Db) {
    let mut conn = d.conn();
    let ids = append_n(&mut conn, 0, 5, "view");
    assert_eq!(ids.len(), 5);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let rows = audit::latest(&mut conn, 10, 0).unwrap();
    assert!(
        rows.iter()
            .all(|r| r.hash.is_none() && r.prev_hash.is_none() && r.seal_seq.is_none())
    );
    let (n, oldest) = audit::unsealed(&mut conn).unwrap();
    assert_eq!((n, oldest), (5, Some(at(0))));
    // Nothing sealed yet: the chain is empty and whole.
    let r = audit::verify(&mut conn).unwrap();
    assert_eq!(
        (r.rows, r.unsealed, r.broken.clone()),
        (0, 5, None),
        "{r:?}"
    );

    assert_eq!(seal_all(&mut conn), 5);
    let r = audit::verify(&mut conn).unwrap();
    assert_eq!(
        (r.rows, r.unsealed, r.broken.clone()),
        (5, 0, None),
        "{r:?}"
    );
    let h = audit::head(&mut conn).unwrap();
    assert_eq!(h.last_seq, 5);
    assert_eq!(h.last_hash, r.head_hash);
    // More rows continue the chain.
    append_n(&mut conn, 5, 3, "view");
    assert_eq!(seal_all(&mut conn), 3);
    let r = audit::verify(&mut conn).unwrap();
    assert_eq!((r.rows, r.broken), (8, None));
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(id_at(&mut conn, i as i64 + 1), *id);
    }
}

fn the_guard_allows_only_the_sealing_update(d: Db) {
    let mut conn = d.conn();
    let ids = append_n(&mut conn, 0, 3, "view");
    // An unsealed row: no other change, no half-sealing, no delete.
    let refused = |conn: &mut DbConnection, sql: &str| {
        assert!(conn.batch_execute(sql).is_err(), "allowed: {sql}");
    };
    let id = ids[0];
    refused(
        &mut conn,
        &format!("UPDATE access_log SET action = 'x' WHERE id = {id}"),
    );
    refused(
        &mut conn,
        &format!(
            "UPDATE access_log SET action = 'x', seal_seq = 1, hash = 'a', prev_hash = 'b' WHERE id = {id}"
        ),
    );
    refused(
        &mut conn,
        &format!("UPDATE access_log SET seal_seq = 1 WHERE id = {id}"),
    );
    refused(
        &mut conn,
        &format!("DELETE FROM access_log WHERE id = {id}"),
    );
    // A forged sealed row cannot be inserted.
    refused(
        &mut conn,
        "INSERT INTO access_log (at, action, seal_seq, hash, prev_hash) \
         VALUES ('2026-01-01 00:00:00', 'x', 99, 'a', 'b')",
    );
    assert_eq!(seal_all(&mut conn), 3);
    // A sealed row: no change at all, not even a re-seal, and no delete.
    refused(
        &mut conn,
        &format!("UPDATE access_log SET detail = 'x' WHERE id = {id}"),
    );
    refused(
        &mut conn,
        &format!("UPDATE access_log SET hash = 'a', prev_hash = 'b', seal_seq = 7 WHERE id = {id}"),
    );
    refused(
        &mut conn,
        &format!("DELETE FROM access_log WHERE id = {id}"),
    );
    let r = audit::verify(&mut conn).unwrap();
    assert_eq!((r.rows, r.broken), (3, None));
}

fn an_edited_row_is_named(d: Db) {
    let mut conn = d.conn();
    append_n(&mut conn, 0, 10, "view");
    seal_all(&mut conn);
    drop_guard(&mut conn);
    let id = id_at(&mut conn, 4);
    conn.batch_execute(&format!(
        "UPDATE access_log SET client_addr = '10.0.0.1' WHERE id = {id}"
    ))
    .unwrap();
    let r = audit::verify(&mut conn).unwrap();
    let b = r.broken.clone().unwrap();
    assert_eq!((b.seal_seq, b.id), (4, Some(id)), "{r:?}");
    assert!(b.reason.contains("changed"), "{b:?}");
    assert_eq!(r.rows, 3);
    let v = d.run(&["audit", "verify"]);
    assert_eq!(v.status.code(), Some(1), "{v:?}");
    assert!(
        stdout(&v).contains(&format!("BRUTEN: seal_seq 4 (rad {id})")),
        "{v:?}"
    );
}

fn a_removed_row_is_named(d: Db) {
    let mut conn = d.conn();
    append_n(&mut conn, 0, 10, "view");
    seal_all(&mut conn);
    drop_guard(&mut conn);
    conn.batch_execute("DELETE FROM access_log WHERE seal_seq = 6")
        .unwrap();
    let r = audit::verify(&mut conn).unwrap();
    let b = r.broken.clone().unwrap();
    assert_eq!((b.seal_seq, b.id), (6, None), "{r:?}");
    assert!(b.reason.contains("removed"), "{b:?}");
    assert_eq!(r.rows, 5);
    // Renumbering the rest to close the gap breaks the links instead.
    conn.batch_execute("UPDATE access_log SET seal_seq = seal_seq - 1 WHERE seal_seq > 6")
        .unwrap_or_else(|_| {
            // A unique index checked row by row (SQLite): one at a time, upwards.
            for s in 7..=10 {
                conn.batch_execute(&format!(
                    "UPDATE access_log SET seal_seq = {} WHERE seal_seq = {s}",
                    s - 1
                ))
                .unwrap();
            }
        });
    let r = audit::verify(&mut conn).unwrap();
    let b = r.broken.unwrap();
    assert_eq!(b.seal_seq, 6);
    assert!(b.reason.contains("does not follow"), "{b:?}");
}

fn swapped_rows_are_named(d: Db) {
    let mut conn = d.conn();
    append_n(&mut conn, 0, 10, "view");
    seal_all(&mut conn);
    drop_guard(&mut conn);
    let (a, b) = (id_at(&mut conn, 4), id_at(&mut conn, 5));
    conn.batch_execute(&format!(
        "UPDATE access_log SET seal_seq = -1 WHERE id = {a}; \
         UPDATE access_log SET seal_seq = 4 WHERE id = {b}; \
         UPDATE access_log SET seal_seq = 5 WHERE id = {a};"
    ))
    .unwrap();
    let r = audit::verify(&mut conn).unwrap();
    let br = r.broken.clone().unwrap();
    assert_eq!((br.seal_seq, br.id), (4, Some(b)), "{r:?}");
    assert!(br.reason.contains("re-ordered"), "{br:?}");
    // Putting them back mends it: the chain, not the ids, holds the order.
    conn.batch_execute(&format!(
        "UPDATE access_log SET seal_seq = -1 WHERE id = {b}; \
         UPDATE access_log SET seal_seq = 4 WHERE id = {a}; \
         UPDATE access_log SET seal_seq = 5 WHERE id = {b};"
    ))
    .unwrap();
    assert_eq!(audit::verify(&mut conn).unwrap().broken, None);
}

fn a_late_commit_is_sealed_in_the_next_round(d: Db) {
    let mut conn = d.conn();
    append_n(&mut conn, 0, 3, "view");
    // A row with a high id is sealed first …
    conn.batch_execute(
        "INSERT INTO access_log (id, at, action) VALUES (100, '2026-11-23 09:00:00', 'late_high')",
    )
    .unwrap();
    assert_eq!(seal_all(&mut conn), 4);
    // … then one with a lower id commits: it is sealed in the next round, after it.
    conn.batch_execute(
        "INSERT INTO access_log (id, at, action) VALUES (50, '2026-11-23 08:59:00', 'late_low')",
    )
    .unwrap();
    assert_eq!(count_unsealed(&mut conn), 1);
    assert_eq!(seal_all(&mut conn), 1);
    assert_eq!(id_at(&mut conn, 4), 100);
    assert_eq!(id_at(&mut conn, 5), 50);
    let r = audit::verify(&mut conn).unwrap();
    assert_eq!((r.rows, r.unsealed, r.broken), (5, 0, None));

    if matches!(*conn, DbConnection::Pg(_)) {
        // The real thing on PostgreSQL: a transaction takes an id, another commits a higher id
        // and is sealed, and then the first commits.
        let mut slow = d.conn();
        slow.batch_execute("BEGIN").unwrap();
        let low = audit::append(&mut slow, at(1000), &entry("slow")).unwrap();
        let high = append_n(&mut conn, 2000, 1, "fast")[0];
        assert!(low < high);
        assert_eq!(seal_all(&mut conn), 1, "the uncommitted row is not seen");
        assert_eq!(id_at(&mut conn, 6), high);
        slow.batch_execute("COMMIT").unwrap();
        assert_eq!(seal_all(&mut conn), 1);
        assert_eq!(id_at(&mut conn, 7), low);
        let r = audit::verify(&mut conn).unwrap();
        assert_eq!((r.rows, r.broken), (7, None));
    }
}

fn entry(action: &str) -> audit::NewEntry {
    audit::NewEntry {
        action: action.into(),
        ..Default::default()
    }
}

fn a_cut_tail_is_named_by_the_checkpoint(d: Db) {
    let mut conn = d.conn();
    append_n(&mut conn, 0, 10, "view");
    let sealer = d.sealer();
    let r = sealer.run(&mut conn, at(100), true).unwrap();
    assert_eq!((r.sealed, r.head_seq, r.checkpointed), (10, 10, true));
    let key = d.key();
    let cp = sealing::latest_checkpoint(&d.checkpoint_file(), &key)
        .unwrap()
        .unwrap();
    assert_eq!(cp.seal_seq, 10);
    let (ok, used) =
        sealing::verify_with_checkpoints(&mut conn, Some((&d.checkpoint_file(), &key))).unwrap();
    assert_eq!((ok.rows, ok.broken), (10, None));
    assert_eq!(used.map(|c| c.seal_seq), Some(10));

    // Cut the newest three rows and rewrite the head to match: the chain itself looks whole …
    drop_guard(&mut conn);
    // (A row's citizens first: access_log_subjects refers to it.)
    conn.batch_execute(
        "DELETE FROM access_log_subjects WHERE entry_id IN \
         (SELECT id FROM access_log WHERE seal_seq > 7); \
         DELETE FROM access_log WHERE seal_seq > 7",
    )
    .unwrap();
    let hash7: Option<String> = access_log::table
        .filter(access_log::seal_seq.eq(7))
        .select(access_log::hash)
        .first(&mut *conn)
        .unwrap();
    diesel::update(access_log_head::table.find(1))
        .set((
            access_log_head::last_seq.eq(7),
            access_log_head::last_hash.eq(hash7.unwrap()),
        ))
        .execute(&mut *conn)
        .unwrap();
    assert_eq!(audit::verify(&mut conn).unwrap().broken, None);
    // … but not to the signed checkpoint.
    let (r, _) =
        sealing::verify_with_checkpoints(&mut conn, Some((&d.checkpoint_file(), &key))).unwrap();
    let b = r.broken.unwrap();
    assert!(
        b.reason.contains("the log was cut after seal_seq 7"),
        "{b:?}"
    );
    let v = d.run(&["audit", "verify"]);
    assert_eq!(v.status.code(), Some(1), "{v:?}");
    assert!(
        stdout(&v).contains("the log was cut after seal_seq 7"),
        "{v:?}"
    );
    // The checkpoint file can be named; another key's checkpoints are refused.
    let elsewhere = d.dir.path().join("kopia.jsonl");
    std::fs::copy(d.checkpoint_file(), &elsewhere).unwrap();
    let v = d.run(&[
        "audit",
        "verify",
        "--checkpoints",
        elsewhere.to_str().unwrap(),
    ]);
    assert_eq!(v.status.code(), Some(1), "{v:?}");
    let forged = Checkpoint::sign(
        &AuditKey::load_or_create(&d.dir.path().join("other.key")).unwrap(),
        7,
        "x",
        at(0),
    );
    forged.append_to(&elsewhere).unwrap();
    let v = d.run(&[
        "audit",
        "verify",
        "--checkpoints",
        elsewhere.to_str().unwrap(),
    ]);
    assert_eq!(v.status.code(), Some(2), "{v:?}");
    assert!(
        String::from_utf8_lossy(&v.stderr).contains("not signed by the audit key"),
        "{v:?}"
    );

    // Growing the cut chain back to the checkpoint's length does not hide it either.
    append_n(&mut conn, 200, 5, "refill");
    seal_all(&mut conn);
    let (r, _) =
        sealing::verify_with_checkpoints(&mut conn, Some((&d.checkpoint_file(), &key))).unwrap();
    let b = r.broken.unwrap();
    assert_eq!(b.seal_seq, 10, "{b:?}");
    assert!(b.reason.contains("signed checkpoint"), "{b:?}");
}

/// Unsealed rows to seal, written in batches of one statement.
fn many_unsealed(conn: &mut DbConnection, n: i64) {
    let mut done = 0;
    while done < n {
        let k = 500.min(n - done);
        append_n(conn, done, k, "bulk");
        done += k;
    }
}

fn sealed_by(out: &std::process::Output) -> i64 {
    let text = stdout(out);
    text.split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out:?}"))
}

fn assert_one_chain(conn: &mut DbConnection, total: i64) {
    assert_eq!(count_unsealed(conn), 0);
    let r = audit::verify(conn).unwrap();
    assert_eq!((r.rows, r.broken.clone()), (total, None), "{r:?}");
    let distinct: i64 = access_log::table
        .select(diesel::dsl::count(access_log::seal_seq).aggregate_distinct())
        .first(conn)
        .unwrap();
    assert_eq!(distinct, total);
}

fn two_sealer_processes_make_one_chain(d: Db) {
    let mut conn = d.conn();
    many_unsealed(&mut conn, 3000);
    d.key(); // made once, before the two processes read it
    let a = d.cmd(&["audit", "seal", "--batch", "100"]).spawn_output();
    let b = d.cmd(&["audit", "seal", "--batch", "100"]).spawn_output();
    // Requests keep logging while the sealers run.
    let pool = d.pool.clone();
    let writer = std::thread::spawn(move || {
        let mut c = pool.get().unwrap();
        for i in 0..20 {
            append_n(&mut c, 10_000 + i * 10, 10, "during");
        }
    });
    let (a, b) = (a.join().unwrap().unwrap(), b.join().unwrap().unwrap());
    writer.join().unwrap();
    assert!(a.status.success(), "{a:?}");
    assert!(b.status.success(), "{b:?}");
    let rest = seal_all(&mut conn);
    eprintln!(
        "sealed by process A {}, by process B {}, afterwards {rest}",
        sealed_by(&a),
        sealed_by(&b)
    );
    assert_eq!(
        sealed_by(&a) + sealed_by(&b) + rest,
        3200,
        "no row sealed twice, none left out"
    );
    assert_one_chain(&mut conn, 3200);
    // Each process signed a checkpoint of a chain that verifies.
    let v = d.run(&["audit", "verify"]);
    assert!(v.status.success(), "{v:?}");
    assert!(stdout(&v).contains("(signerad)"), "{v:?}");
}

trait SpawnOutput {
    fn spawn_output(self) -> std::thread::JoinHandle<std::io::Result<std::process::Output>>;
}

impl SpawnOutput for Command {
    fn spawn_output(mut self) -> std::thread::JoinHandle<std::io::Result<std::process::Output>> {
        std::thread::spawn(move || self.output())
    }
}

fn two_sealer_threads_make_one_chain(d: Db) {
    let mut conn = d.conn();
    many_unsealed(&mut conn, 2000);
    let sealers: Vec<_> = (0..2)
        .map(|_| {
            let pool = d.pool.clone();
            let sealer = d.sealer().with_batch(50);
            std::thread::spawn(move || {
                let mut c = pool.get().unwrap();
                sealer.seal_all(&mut c, at(0)).unwrap().sealed
            })
        })
        .collect();
    let pool = d.pool.clone();
    let writer = std::thread::spawn(move || {
        let mut c = pool.get().unwrap();
        for i in 0..10 {
            append_n(&mut c, 10_000 + i * 10, 10, "during");
        }
    });
    let sealed: i64 = sealers.into_iter().map(|t| t.join().unwrap()).sum();
    writer.join().unwrap();
    let rest = seal_all(&mut conn);
    assert_eq!(sealed + rest, 2100);
    assert_one_chain(&mut conn, 2100);
}

fn export_and_the_offline_archive_check(d: Db) {
    let mut conn = d.conn();
    // Three days of log: minutes 0.. on 23 Nov, then 24 and 25 Nov.
    append_n(&mut conn, 0, 5, "day1");
    append_n(&mut conn, 24 * 60, 5, "day2");
    append_n(&mut conn, 48 * 60, 5, "day3");
    seal_all(&mut conn);
    let out = d.dir.path().join("arkiv-2026-11-24.jsonl");
    let from = at(24 * 60) - chrono::Duration::hours(8); // 24 Nov 00:00
    let to = from + chrono::Duration::days(1);
    let e = sealing::export(&mut conn, from, to, &out).unwrap();
    assert_eq!((e.rows, e.first_seq, e.last_seq), (5, Some(6), Some(10)));
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 5);
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    for field in [
        "seal_seq",
        "id",
        "at",
        "user_hsa_id",
        "role",
        "unit_code",
        "action",
        "object",
        "personnummer",
        "client_addr",
        "detail",
        "prev_hash",
        "hash",
    ] {
        assert!(first.get(field).is_some(), "{field} missing: {first}");
    }
    let r = sealing::verify_archive(&out, None).unwrap();
    assert_eq!(
        (r.rows, r.first_seq, r.last_seq, r.broken.clone()),
        (5, Some(6), Some(10), None)
    );
    // The file's ends join the live chain.
    let h5: Option<String> = access_log::table
        .filter(access_log::seal_seq.eq(5))
        .select(access_log::hash)
        .first(&mut *conn)
        .unwrap();
    assert_eq!(r.first_prev_hash, h5);

    // The command line: export, then check offline (no DATABASE_URL).
    let cli_out = d.dir.path().join("cli.jsonl");
    let x = d.run(&[
        "audit",
        "export",
        "--from",
        "2026-11-23",
        "--to",
        "2026-11-25",
        "--out",
        cli_out.to_str().unwrap(),
    ]);
    assert!(x.status.success(), "{x:?}");
    assert!(
        stdout(&x).contains("Skrev 15 rader (seal_seq 1–15)"),
        "{x:?}"
    );
    let v = Command::new(env!("CARGO_BIN_EXE_kontosparr"))
        .args(["audit", "verify", "--archive", cli_out.to_str().unwrap()])
        .current_dir(d.dir.path())
        .env("DATABASE_URL", "postgres://nowhere.invalid/none")
        .output()
        .unwrap();
    assert!(v.status.success(), "{v:?}");
    assert!(stdout(&v).contains("seal_seq 1–15"), "{v:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cli_out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // An edited line, a removed line and swapped lines are each named.
    let lines: Vec<String> = std::fs::read_to_string(&cli_out)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let check = |name: &str, ls: &[String]| {
        let p = d.dir.path().join(name);
        std::fs::write(&p, ls.join("\n") + "\n").unwrap();
        sealing::verify_archive(&p, None).unwrap().broken
    };
    let mut edited = lines.clone();
    edited[3] = edited[3].replace("127.0.0.1", "10.0.0.1");
    assert_eq!(check("edited", &edited).map(|b| (b.0, b.1)), Some((4, 4)));
    let mut removed = lines.clone();
    removed.remove(7);
    assert_eq!(check("removed", &removed).map(|b| (b.0, b.1)), Some((8, 9)));
    let mut swapped = lines.clone();
    swapped.swap(10, 11);
    assert_eq!(
        check("swapped", &swapped).map(|b| (b.0, b.1)),
        Some((11, 12))
    );
    let p = d.dir.path().join("edited");
    let v = d.run(&["audit", "verify", "--archive", p.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(1), "{v:?}");
    assert!(
        stdout(&v).contains("BRUTEN: rad 4 i filen (seal_seq 4)"),
        "{v:?}"
    );
}

#[test]
fn retention_below_five_years_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_kontosparr"))
        .args(["migrate"])
        .env("DATABASE_URL", "sqlite:///nonexistent/x.db")
        .env("KONTOSPARR_AUDIT_RETENTION_YEARS", "3")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("audit_retention_years is 3"), "{err}");
    assert!(err.contains("at least 5 years"), "{err}");
}

/// `serve` seals every second and writes signed checkpoints; it creates the key 0600. On SQLite it
/// also takes the new subject rows into the citizen index in rounds.
#[test]
fn serve_seals_and_checkpoints() {
    let d = Db::new(Backend::Sqlite);
    let ids = append_n(&mut d.conn(), 0, 4, "before");
    let newest_naming = ids[2];
    assert!(audit::index_head(&mut d.conn()).unwrap() < newest_naming);
    let port = crate::common::free_port();
    // The server's log goes to a file the test reads while it runs: the checkpoint line is
    // written to the tracing log just after the checkpoint file, so the test waits for both
    // (killing on the file alone raced with that line on a busy machine).
    let log_path = d.dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = d
        .cmd(&["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stderr(log)
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let mut sealed = false;
    let mut logged = false;
    let mut indexed = false;
    while started.elapsed() < Duration::from_secs(15) {
        sealed = sealed || (count_unsealed(&mut d.conn()) == 0 && d.checkpoint_file().exists());
        logged = std::fs::read_to_string(&log_path)
            .unwrap_or_default()
            .contains("access log checkpoint");
        indexed = audit::index_head(&mut d.conn()).unwrap() >= newest_naming;
        if sealed && logged && indexed {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    child.kill().ok();
    child.wait().ok();
    let err = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(sealed, "not sealed within 15 s: {err}");
    assert!(logged, "the checkpoint is in the tracing log too: {err}");
    assert!(indexed, "the citizen index took in the entries: {err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.key_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let v = d.run(&["audit", "verify"]);
    assert!(v.status.success(), "{v:?}");
    assert!(stdout(&v).contains("OK: 4 förseglade rader"), "{v:?}");
    assert!(stdout(&v).contains("(signerad)"), "{v:?}");
}

/// A database from before sealing: its chained rows are sealed in their order by the migration,
/// keep their hashes, verify, export and archive-check, and new rows continue the chain.
fn rows_chained_before_sealing_count_as_sealed(d: Db) {
    use diesel_migrations::MigrationHarness;
    use kontosparr::domain::audit::{EntryFields, GENESIS, entry_hash};
    let mut conn = d.conn();
    // Back to before the sealer: revert migrations until its own is reverted.
    let mut reverted = 0;
    loop {
        let last = match &mut *conn {
            DbConnection::Sqlite(c) => c.revert_last_migration(db::SQLITE_MIGRATIONS),
            DbConnection::Pg(c) => c.revert_last_migration(db::POSTGRES_MIGRATIONS),
        }
        .unwrap();
        reverted += 1;
        if last.to_string().replace('-', "") == "20261201000009" {
            break;
        }
    }
    // The old append: chained in id order from 1 under the locked head.
    let mut prev = GENESIS.to_string();
    for i in 1..=4i64 {
        let when = at(i);
        let action = format!("legacy_{i}");
        let f = EntryFields {
            id: i,
            at: when,
            user_hsa_id: Some("SE2321000131-H1"),
            role: None,
            unit_code: None,
            action: &action,
            object: None,
            personnummer: Some("191212121212"),
            client_addr: Some("127.0.0.1"),
            detail: None,
        };
        let hash = entry_hash(&prev, &f);
        conn.batch_execute(&format!(
            "INSERT INTO access_log (id, at, user_hsa_id, action, personnummer, client_addr, prev_hash, hash) \
             VALUES ({i}, '{}', 'SE2321000131-H1', '{action}', '191212121212', '127.0.0.1', '{prev}', '{hash}'); \
             UPDATE access_log_head SET last_id = {i}, last_hash = '{hash}';",
            when.format("%Y-%m-%d %H:%M:%S")
        ))
        .unwrap();
        prev = hash;
    }
    assert_eq!(db::migrate(&mut conn).unwrap(), reverted);
    let h = audit::head(&mut conn).unwrap();
    assert_eq!((h.last_seq, h.legacy_seq), (4, 4));
    assert_eq!(h.last_hash, prev);
    let r = audit::verify(&mut conn).unwrap();
    assert_eq!((r.rows, r.unsealed, r.broken), (4, 0, None));
    // New rows continue after them; new ids do not collide with the old ones.
    let ids = append_n(&mut conn, 10, 3, "new");
    assert_eq!(ids, vec![5, 6, 7]);
    assert_eq!(seal_all(&mut conn), 3);
    let r = audit::verify(&mut conn).unwrap();
    assert_eq!((r.rows, r.broken), (7, None));
    let out = d.dir.path().join("all.jsonl");
    let e = sealing::export(&mut conn, at(-60), at(100), &out).unwrap();
    assert_eq!(e.rows, 7);
    let a = sealing::verify_archive(&out, None).unwrap();
    assert_eq!((a.rows, a.broken), (7, None));
    // A legacy row edited is named like any other.
    drop_guard(&mut conn);
    conn.batch_execute("UPDATE access_log SET personnummer = '197001011234' WHERE id = 2")
        .unwrap();
    let b = audit::verify(&mut conn).unwrap().broken.unwrap();
    assert_eq!((b.seal_seq, b.id), (2, Some(2)));
}

/// Two `serve` processes on one PostgreSQL: both run the sealer job, requests keep logging, and
/// the result is one chain; each node's checkpoint file holds the log.
#[test]
fn two_serve_processes_seal_one_postgres_log() {
    let d = Db::new(Backend::Postgres);
    many_unsealed(&mut d.conn(), 2000);
    let key = d.key_file();
    d.key();
    let nodes: Vec<(tempfile::TempDir, std::process::Child)> = (0..2)
        .map(|_| {
            let dir = tempfile::tempdir().unwrap();
            let port = crate::common::free_port();
            let child = d
                .cmd(&["serve", "--bind", &format!("127.0.0.1:{port}")])
                .current_dir(dir.path())
                .env("KONTOSPARR_AUDIT_KEY_FILE", &key)
                .env("KONTOSPARR_AUDIT_CHECKPOINT_SECONDS", "0")
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            (dir, child)
        })
        .collect();
    let pool = d.pool.clone();
    let writer = std::thread::spawn(move || {
        let mut c = pool.get().unwrap();
        for i in 0..30 {
            append_n(&mut c, 10_000 + i * 10, 10, "during");
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    writer.join().unwrap();
    let started = std::time::Instant::now();
    while count_unsealed(&mut d.conn()) > 0 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(200));
    }
    // A few more ticks, so that both nodes have checkpointed.
    std::thread::sleep(Duration::from_millis(2500));
    let mut files = Vec::new();
    for (dir, mut child) in nodes {
        child.kill().ok();
        child.wait().ok();
        files.push((dir.path().join("data/audit-checkpoints.jsonl"), dir));
    }
    let mut conn = d.conn();
    assert_one_chain(&mut conn, 2300);
    let key = d.key();
    for (f, _dir) in &files {
        let (r, cp) = sealing::verify_with_checkpoints(&mut conn, Some((f, &key))).unwrap();
        assert_eq!(r.broken, None, "{f:?}");
        assert!(cp.is_some(), "{f:?} has a checkpoint");
    }
}

/// SQLite's single writer seals a row as it appends it (the next link after the head, in the
/// work's transaction); PostgreSQL leaves it for the sealer. Rows an earlier version left unsealed
/// are chained by the sealer after them, a rolled back append leaves neither row nor head behind,
/// and the guard lets a sealed row in only as the next link.
fn an_append_in_a_transaction_is_sealed_at_once_on_sqlite_only(d: Db) {
    let mut conn = d.conn();
    let sqlite = matches!(*conn, DbConnection::Sqlite(_));
    // Two rows as an earlier version (or PostgreSQL) writes them.
    let old = append_n(&mut conn, 0, 2, "old");
    let view = |i: i64| audit::NewEntry {
        user_hsa_id: Some("SE2321000131-H1".into()),
        action: "case_view".into(),
        object: Some(format!("case:{i}")),
        personnummer: Some("191212121212".into()),
        subjects: if i == 1 {
            vec!["191212121212".into(), "200001012384".into()]
        } else {
            vec![]
        },
        ..Default::default()
    };
    let ids: Vec<i64> = db::write_tx(&mut conn, |c| {
        (0..3)
            .map(|i| audit::append(c, at(10 + i), &view(i)))
            .collect::<QueryResult<Vec<i64>>>()
    })
    .unwrap();
    assert!(
        old[1] < ids[0] && ids.windows(2).all(|w| w[0] < w[1]),
        "{old:?} {ids:?}"
    );
    let h = audit::head(&mut conn).unwrap();
    let r = audit::verify(&mut conn).unwrap();
    if sqlite {
        assert_eq!(h.last_seq, 3);
        assert_eq!(count_unsealed(&mut conn), 2, "only the old rows wait");
        assert_eq!(
            (r.rows, r.unsealed, r.broken.clone()),
            (3, 2, None),
            "{r:?}"
        );
        assert_eq!(r.head_hash, h.last_hash);
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(id_at(&mut conn, i as i64 + 1), *id);
        }
    } else {
        assert_eq!(h.last_seq, 0);
        assert_eq!(
            (r.rows, r.unsealed, r.broken.clone()),
            (0, 5, None),
            "{r:?}"
        );
    }

    // A rolled back append leaves no row and does not move the head.
    let before = audit::latest(&mut conn, 1, 0).unwrap()[0].id;
    let undone: Result<(), diesel::result::Error> = db::write_tx(&mut conn, |c| {
        audit::append(c, at(20), &view(9))?;
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(undone.is_err());
    assert_eq!(audit::latest(&mut conn, 1, 0).unwrap()[0].id, before);
    assert_eq!(audit::head(&mut conn).unwrap(), h);

    // The sealer chains the rest after them, and the chain is whole.
    assert_eq!(seal_all(&mut conn), if sqlite { 2 } else { 5 });
    let r = audit::verify(&mut conn).unwrap();
    assert_eq!(
        (r.rows, r.unsealed, r.broken.clone()),
        (5, 0, None),
        "{r:?}"
    );
    if sqlite {
        assert_eq!(id_at(&mut conn, 4), old[0]);
        assert_eq!(id_at(&mut conn, 5), old[1]);
    }

    // A sealed row goes in only as the next link after the head …
    let h = audit::head(&mut conn).unwrap();
    let forged = |seq: i64, prev: &str| {
        format!(
            "INSERT INTO access_log (at, action, seal_seq, hash, prev_hash) \
             VALUES ('2026-11-23 10:00:00', 'forged', {seq}, '{}', '{prev}')",
            "0".repeat(64)
        )
    };
    for sql in [
        forged(h.last_seq + 2, &h.last_hash),
        forged(h.last_seq + 1, &"1".repeat(64)),
        forged(h.last_seq, &h.last_hash),
    ] {
        assert!(conn.batch_execute(&sql).is_err(), "allowed: {sql}");
    }
    // … and even then, with a hash that is not its own, verify names it.
    if sqlite {
        conn.batch_execute(&forged(h.last_seq + 1, &h.last_hash))
            .unwrap();
        conn.batch_execute(&format!(
            "UPDATE access_log_head SET last_seq = {}, last_hash = '{}'",
            h.last_seq + 1,
            "0".repeat(64)
        ))
        .unwrap();
        let b = audit::verify(&mut conn).unwrap().broken.unwrap();
        assert_eq!(b.seal_seq, h.last_seq + 1, "{b:?}");
        assert!(b.reason.contains("changed"), "{b:?}");
    }
}
