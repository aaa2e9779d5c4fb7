//! Units' S/MIME recipient certificates for encrypted feedback.

use super::*;

/// Stores a unit's recipient certificate for encrypted feedback, after checking that it is valid
/// now and usable for e-mail encryption.
pub fn set_certificate(
    conn: &mut DbConnection,
    ctx: &Ctx,
    unit_id: i64,
    pem: &str,
) -> Result<(), ServiceError> {
    admin_of(ctx)?;
    let mut e = FieldErrors::default();
    if pem.len() > 20_000 {
        e.add("pem", messages::CERT_TOO_LARGE);
        return Err(ServiceError::Invalid(e));
    }
    let info = match crate::mail::cert::inspect(pem, ctx.now) {
        Ok(i) => i,
        Err(err) => {
            e.add("pem", messages::certificate(&err));
            return Err(ServiceError::Invalid(e));
        }
    };
    db::write_tx(conn, |c| {
        let unit = org::unit(c, unit_id)?.ok_or(ServiceError::NotFound)?;
        // The certificate must be the manager's: feedback goes to the manager's address,
        // encrypted to this key (subject e-mail or SAN rfc822Name).
        let mailbox = manager_mailbox(c, &unit)?;
        let mut e = FieldErrors::default();
        match &mailbox {
            None => e.add(
                "pem",
                "Enheten har ingen verksamhetschef med e-postadress. Välj verksamhetschef först; certifikatet ska vara verksamhetschefens.",
            ),
            Some(m) if !crate::domain::validate::certificate_covers(&info.emails, m) => e.add(
                "pem",
                format!(
                    "Certifikatet gäller {}, men verksamhetschefens e-post är {m}. Lägg in certifikatet för verksamhetschefens adress.",
                    if info.emails.is_empty() {
                        "ingen e-postadress".to_string()
                    } else {
                        info.emails.join(", ")
                    }
                ),
            ),
            Some(_) => {}
        }
        e.into_result()?;
        crate::db::outbox::set_certificate(
            c,
            unit_id,
            pem.trim(),
            &info.subject,
            info.not_before,
            info.not_after,
            &info.fingerprint,
            db::ts(ctx.now),
        )?;
        let mut entry = ctx.entry(
            Some(Role::Admin),
            "unit_certificate_set",
            Some(format!("unit:{}", unit.code)),
        );
        entry.unit_code = Some(unit.code.clone());
        entry.detail = Some(
            Msg::key("log-unit-certificate")
                .arg("until", info.not_after.format("%Y-%m-%d").to_string())
                .arg("fingerprint", info.fingerprint.as_str()),
        );
        ctx.log(c, &entry)
    })
}

/// A unit's certificate as the admin sees it.
pub fn certificate(
    conn: &mut DbConnection,
    ctx: &Ctx,
    unit_id: i64,
) -> Result<Option<crate::db::outbox::UnitCertificate>, ServiceError> {
    admin_of(ctx)?;
    Ok(crate::db::outbox::certificate(conn, unit_id)?)
}

/// Every stored certificate (for the expiry overview).
pub fn certificates(
    conn: &mut DbConnection,
    ctx: &Ctx,
) -> Result<Vec<crate::db::outbox::UnitCertificate>, ServiceError> {
    admin_of(ctx)?;
    Ok(crate::db::outbox::certificates(conn)?)
}

/// The unit manager's e-mail address, when the unit has an active manager with one.
pub(crate) fn manager_mailbox(
    conn: &mut DbConnection,
    unit: &Unit,
) -> Result<Option<String>, ServiceError> {
    Ok(match unit.manager_user_id {
        Some(m) => users::by_id(conn, m)?
            .filter(|u| u.active && !u.email.is_empty())
            .map(|u| u.email),
        None => None,
    })
}

/// After a change of a unit's manager, or of a manager's e-mail address: a stored certificate
/// that is not for the manager's address any more is **removed** (logged as
/// `unit_certificate_cleared`). Feedback then goes out as the notice without personal data until
/// the admin adds the new manager's certificate; the unit page says the certificate is missing.
/// Removing rather than flagging: a kept certificate would encrypt personal data to a key that
/// belongs to someone else than the recipient.
pub(crate) fn clear_stale_certificates(
    conn: &mut DbConnection,
    ctx: &Ctx,
    unit_ids: &[i64],
) -> Result<(), ServiceError> {
    for &id in unit_ids {
        let Some(cert) = crate::db::outbox::certificate(conn, id)? else {
            continue;
        };
        let Some(unit) = org::unit(conn, id)? else {
            continue;
        };
        let mailbox = manager_mailbox(conn, &unit)?;
        let emails = crate::mail::cert::emails(&cert.pem);
        if mailbox
            .as_deref()
            .is_some_and(|m| crate::domain::validate::certificate_covers(&emails, m))
        {
            continue;
        }
        crate::db::outbox::delete_certificate(conn, id)?;
        let mut entry = ctx.entry(
            Some(Role::Admin),
            "unit_certificate_cleared",
            Some(format!("unit:{}", unit.code)),
        );
        entry.unit_code = Some(unit.code.clone());
        entry.detail = Some(
            Msg::key("log-unit-certificate-cleared")
                .arg(
                    "mailbox",
                    mailbox.map_or_else(|| Arg::Key("log-no-manager".into()), Arg::Str),
                )
                .arg("fingerprint", cert.fingerprint.as_str()),
        );
        ctx.log(conn, &entry)?;
    }
    Ok(())
}
