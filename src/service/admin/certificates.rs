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
        entry.detail = Some(format!(
            "giltigt till {}; SHA-256 {}",
            info.not_after.format("%Y-%m-%d"),
            info.fingerprint
        ));
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
