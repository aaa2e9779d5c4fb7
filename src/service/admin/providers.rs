//! Care providers outside the region: other public providers (another region, a municipality)
//! and the approved list of private ones (instruction 002 §6.9–6.10).

use super::*;

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ProviderInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub org_number: String,
    /// `public` or `private` (`domain::provider::ProviderKind`).
    #[serde(default)]
    pub kind: String,
    /// The provider's signers have the region's id (no identity check by phone).
    #[serde(default)]
    pub regional_id: bool,
}

pub fn add_provider(
    conn: &mut DbConnection,
    ctx: &Ctx,
    input: &ProviderInput,
) -> Result<i64, ServiceError> {
    admin_of(ctx)?;
    db::write_tx(conn, |conn| {
        let mut e = FieldErrors::default();
        let name = line_field(&mut e, "name", &input.name, 200, true);
        let org_nr = validate::org_number(&input.org_number);
        match &org_nr {
            None => e.add("org_number", messages::ORG_INVALID),
            Some(o) => {
                if org::provider_by_org(conn, o)?.is_some() {
                    e.add("org_number", messages::ORG_TAKEN);
                }
            }
        }
        let kind = crate::domain::provider::ProviderKind::parse(&input.kind);
        if kind.is_none() {
            e.add(
                "kind",
                "Välj om vårdgivaren är offentlig (annan region, kommun) eller privat.",
            );
        }
        e.into_result()?;
        let org_nr = org_nr.unwrap_or_default();
        let kind = kind.unwrap_or(crate::domain::provider::ProviderKind::Private);
        let id = org::insert_provider(
            conn,
            &name,
            &org_nr,
            kind.code(),
            input.regional_id,
            db::ts(ctx.now),
        )?;
        let mut entry = ctx.entry(
            Some(Role::Admin),
            "provider_approved",
            Some(format!("provider:{org_nr}")),
        );
        entry.detail = Some(
            Msg::key("log-provider")
                .arg("name", name.as_str())
                .arg("kind", kind.code())
                .arg("regional_id", log::yes_no(input.regional_id)),
        );
        ctx.log(conn, &entry)?;
        Ok(id)
    })
}

pub fn set_provider_approved(
    conn: &mut DbConnection,
    ctx: &Ctx,
    id: i64,
    approved: bool,
) -> Result<(), ServiceError> {
    admin_of(ctx)?;
    db::write_tx(conn, |conn| {
        let p = org::provider(conn, id)?.ok_or(ServiceError::NotFound)?;
        org::set_provider_approved(conn, id, approved, db::ts(ctx.now))?;
        let action = if approved {
            "provider_approved"
        } else {
            "provider_removed"
        };
        ctx.log(
            conn,
            &ctx.entry(
                Some(Role::Admin),
                action,
                Some(format!("provider:{}", p.org_number)),
            ),
        )?;
        Ok(())
    })
}

pub fn providers_page(
    conn: &mut DbConnection,
    ctx: &Ctx,
    cursor: &crate::db::page::Cursor<()>,
    limit: i64,
) -> Result<crate::db::page::Page<CareProvider, ()>, ServiceError> {
    admin_of(ctx)?;
    Ok(org::providers_page(
        conn,
        cursor,
        limit,
        crate::db::page::COUNT_CAP,
    )?)
}
