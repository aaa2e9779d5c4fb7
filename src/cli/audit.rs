//! `kontosparr audit …`: seal, verify (against the checkpoints, or an archive offline), export.

use super::*;

pub(super) fn audit_command(cfg: &Config, command: AuditCommand) -> Result<(), CliError> {
    use crate::audit::{self, AuditKey, Sealer};
    match command {
        AuditCommand::Verify {
            checkpoints,
            archive: Some(file),
        } => {
            let cp = match checkpoints {
                Some(p) => {
                    let key = AuditKey::load(std::path::Path::new(&cfg.audit_key_file))?;
                    audit::latest_checkpoint(&p, &key)?
                }
                None => None,
            };
            let r = audit::verify_archive(&file, cp.as_ref())?;
            match r.broken {
                None => {
                    match (r.first_seq, r.last_seq) {
                        (Some(a), Some(b)) => println!(
                            "OK: {} rader i arkivet, seal_seq {a}–{b}, kedjan är obruten.",
                            r.rows
                        ),
                        _ => println!("OK: arkivet är tomt."),
                    }
                    if let (Some(p), Some(h)) = (r.first_prev_hash, r.last_hash) {
                        println!("Första raden kedjar till: {p}");
                        println!("Sista hash: {h}");
                    }
                    Ok(())
                }
                Some((line, seq, why)) => {
                    println!("BRUTEN: rad {line} i filen (seal_seq {seq}) – {why}.");
                    println!("{} rader före den är obrutna.", r.rows);
                    Err(CliError::AuditBroken)
                }
            }
        }
        AuditCommand::Verify {
            checkpoints,
            archive: None,
        } => {
            let explicit = checkpoints.is_some();
            let cp_file = checkpoints.unwrap_or_else(|| PathBuf::from(&cfg.audit_checkpoint_file));
            let key_file = std::path::Path::new(&cfg.audit_key_file);
            let mut conn = audit::open(cfg)?;
            let key;
            let anchor = if explicit || cp_file.exists() {
                key = AuditKey::load(key_file)?;
                Some((cp_file.as_path(), &key))
            } else {
                None
            };
            let (report, cp) = audit::verify_with_checkpoints(&mut conn, anchor)?;
            match &cp {
                Some(c) => println!(
                    "Kontrollpunkt: {} rader förseglade {} (signerad).",
                    c.seal_seq, c.at
                ),
                None => println!(
                    "Ingen kontrollpunkt i {}: en avklippt svans kan inte upptäckas.",
                    cp_file.display()
                ),
            }
            match report.oldest_unsealed {
                Some(oldest) => {
                    let age = crate::db::ts(SystemClock.now()) - oldest;
                    println!(
                        "Oförseglade rader: {} (den äldsta skrevs {}, för {} s sedan).",
                        report.unsealed,
                        oldest.format("%Y-%m-%d %H:%M:%S UTC"),
                        age.num_seconds()
                    );
                }
                None => println!("Oförseglade rader: 0."),
            }
            match report.broken {
                None => {
                    println!(
                        "OK: {} förseglade rader i åtkomstloggen, kedjan är obruten.",
                        report.rows
                    );
                    println!("Senaste hash: {}", report.head_hash);
                    Ok(())
                }
                Some(b) => {
                    match b.id {
                        Some(id) => {
                            println!("BRUTEN: seal_seq {} (rad {id}) – {}.", b.seal_seq, b.reason)
                        }
                        None => println!("BRUTEN: seal_seq {} – {}.", b.seal_seq, b.reason),
                    }
                    println!("{} förseglade rader före den är obrutna.", report.rows);
                    Err(CliError::AuditBroken)
                }
            }
        }
        AuditCommand::Seal { batch } => {
            let sealer = Sealer::from_config(cfg)?.with_batch(batch);
            let mut conn = audit::open(cfg)?;
            let r = sealer.seal_all(&mut conn, crate::db::ts(SystemClock.now()))?;
            println!(
                "Förseglade {} rader; kedjan har {} rader.",
                r.sealed, r.head_seq
            );
            Ok(())
        }
        AuditCommand::Export { from, to, out } => {
            let start = from.and_time(chrono::NaiveTime::MIN);
            let end = to.and_time(chrono::NaiveTime::MIN) + chrono::Duration::days(1);
            let mut conn = audit::open(cfg)?;
            let r = audit::export(&mut conn, start, end, &out)?;
            match (r.first_seq, r.last_seq) {
                (Some(a), Some(b)) => println!(
                    "Skrev {} rader (seal_seq {a}–{b}) till {}. Filen innehåller personuppgifter.",
                    r.rows,
                    out.display()
                ),
                _ => println!("Inga förseglade rader mellan {from} och {to}."),
            }
            Ok(())
        }
    }
}
