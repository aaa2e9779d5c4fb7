//! Demo mode: a realistic region for a newcomer — units, one user of each role with a known
//! password and TOTP secret, and cases in (nearly) every state. Demo data lives only in a
//! database marked as a demo; demo mode refuses any other database, and normal mode refuses a
//! demo database.

use super::admin::{self, FirstPassword, UnitInput, UserInput};
use super::cases::{self, CallInput, CaseInput, ExecuteInput};
use super::{Ctx, ServiceError, session};
use crate::auth::secrets::SecretBox;
use crate::auth::{password, secrets, totp};
use crate::db::{self, DbConnection, settings, users};
use crate::domain::Role;
use chrono::{DateTime, Utc};
use data_encoding::BASE32_NOPAD;
use sha2::{Digest, Sha256};

/// The one password of every demo account (shown on the demo login page).
pub const DEMO_PASSWORD: &str = "Demo-lösenord 2026";

const MARKER: &str = "demo";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Empty,
    Demo,
    RealData,
}

pub fn database_kind(conn: &mut DbConnection) -> Result<DatabaseKind, ServiceError> {
    if settings::get(conn, MARKER)?.as_deref() == Some("true") {
        return Ok(DatabaseKind::Demo);
    }
    Ok(if users::count(conn)? == 0 {
        DatabaseKind::Empty
    } else {
        DatabaseKind::RealData
    })
}

/// A demo account as the login page lists it.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub role: &'static str,
    pub name: String,
    pub hsa_id: String,
    pub code: String,
}

struct Person {
    hsa: &'static str,
    name: &'static str,
    roles: &'static [Role],
    units: &'static [&'static str],
    decider: bool,
    label: &'static str,
}

const PEOPLE: &[Person] = &[
    Person {
        hsa: "SE2321000131-E000000000101",
        name: "Doris Läkare",
        roles: &[Role::Clinician],
        units: &["PSYK-SU"],
        decider: true,
        label: "Vårdpersonal, beslutsfattare",
    },
    Person {
        hsa: "SE2321000131-E000000000102",
        name: "Sara Sjuksköterska",
        roles: &[Role::Clinician],
        units: &["PSYK-SU"],
        decider: false,
        label: "Vårdpersonal",
    },
    Person {
        hsa: "SE2321000131-E000000000103",
        name: "Mats Verksamhetschef",
        roles: &[Role::Manager, Role::Clinician],
        units: &["PSYK-SU"],
        decider: true,
        label: "Verksamhetschef",
    },
    Person {
        hsa: "SE2321000131-E000000000104",
        name: "Vera Distriktsläkare",
        roles: &[Role::Clinician],
        units: &["VC-MAJ"],
        decider: true,
        label: "Vårdpersonal (annan enhet)",
    },
    Person {
        hsa: "SE2321000131-E000000000105",
        name: "Cecilia Chefläkare",
        roles: &[Role::ChiefPhysician],
        units: &["PSYK-SU", "VC-MAJ", "BUP-GBG"],
        decider: false,
        label: "Chefläkare",
    },
    Person {
        hsa: "SE2321000131-E000000000106",
        name: "Hugo Handläggare",
        roles: &[Role::Handler],
        units: &[],
        decider: false,
        label: "Handläggare, Spärr- och loggservice",
    },
    Person {
        hsa: "SE2321000131-E000000000107",
        name: "Anders Logguppföljare",
        roles: &[Role::Auditor],
        units: &[],
        decider: false,
        label: "Logguppföljning",
    },
    Person {
        hsa: "SE2321000131-E000000000108",
        name: "Ada Administratör",
        roles: &[Role::Admin],
        units: &[],
        decider: false,
        label: "Administratör",
    },
];

/// The fixed TOTP secret of a demo account (derived from its HSA-ID).
fn demo_secret(hsa: &str) -> String {
    let h = Sha256::digest(format!("kontosparr-demo:{hsa}").as_bytes());
    BASE32_NOPAD.encode(&h[..20])
}

/// The demo accounts with their codes right now.
pub fn accounts(now: DateTime<Utc>) -> Vec<DemoAccount> {
    PEOPLE
        .iter()
        .map(|p| DemoAccount {
            role: p.label,
            name: p.name.to_string(),
            hsa_id: p.hsa.to_string(),
            code: totp::code_at(&demo_secret(p.hsa), totp::step_of(now.timestamp()))
                .unwrap_or_default(),
        })
        .collect()
}

/// A demo lock request, documented two days before `now` (the journal note is recent, as the
/// instruction expects).
fn lock_input(unit: i64, responsible: i64, pnr: &str, name: &str, now: DateTime<Utc>) -> CaseInput {
    let recent = (now
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive()
        - chrono::Days::new(2))
    .to_string();
    CaseInput {
        kind: "lock".into(),
        unit_id: unit.to_string(),
        citizen_pnr: pnr.into(),
        citizen_name: name.into(),
        risk_kinds: vec!["hot".into(), "skada".into()],
        basis: vec!["security".into(), "psychosocial".into()],
        situations: vec!["threat".into()],
        assessment_reasons:
            "Närstående har tillgång till patientens telefon och läser meddelanden från vården."
                .into(),
        assessment_risks: "Risk för hot och våld om bokade besök och kontakter blir kända.".into(),
        assessment_scope: "Hela inloggningen på 1177.se tills vidare; omprövas efter tre månader."
            .into(),
        requested_by: "staff".into(),
        journal_note_date: recent.clone(),
        chief_informed_date: recent.clone(),
        chief_informed_whom: "Cecilia Chefläkare".into(),
        patient_informed_date: recent,
        journal_sealing: "no".into(),
        review_responsible_user_id: responsible.to_string(),
        care_provider: "region".into(),
        version: 1,
        ..Default::default()
    }
}

/// Where the demo's scanned form is stored (the configured attachment directory).
pub struct DemoFiles<'a> {
    pub dir: &'a std::path::Path,
    pub max_bytes: usize,
}

/// The demo's "scanned" paper form: a minimal one-page PDF.
const DEMO_SCAN: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// Fills an empty database with the demo region and marks it as a demo. The accounts' TOTP
/// secrets are stored encrypted under `keys` (the server's `secret_key_file`), as every other.
pub fn seed(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    wf: &cases::Workflow,
    files: &DemoFiles<'_>,
    keys: &SecretBox,
) -> Result<(), ServiceError> {
    let system = Ctx {
        now,
        client_addr: "demo".into(),
        principal: super::Principal::Demo,
    };
    let mut unit_ids = std::collections::HashMap::new();
    for (code, name) in [
        ("PSYK-SU", "Psykiatri Affektiva, Sahlgrenska"),
        ("VC-MAJ", "Vårdcentralen Majorna"),
        ("BUP-GBG", "BUP Göteborg"),
        ("AKUT-NAL", "Akutmottagningen NÄL"),
    ] {
        let id = admin::create_unit(
            conn,
            &system,
            &UnitInput {
                code: code.into(),
                name: name.into(),
                manager_user_id: String::new(),
                chief_physician_function: "Chefläkare Område Göteborg".into(),
                chief_physician_email: "chefslakare.demo@example.se".into(),
                active: true,
                ..Default::default()
            },
        )?;
        unit_ids.insert(code, id);
    }
    admin::add_provider(
        conn,
        &system,
        &admin::ProviderInput {
            name: "Läkarhuset Avenyn AB".into(),
            org_number: "556677-8899".into(),
            kind: "private".into(),
            regional_id: false,
        },
    )?;
    // Another public provider (a municipality's health care), whose staff have no regional id.
    admin::add_provider(
        conn,
        &system,
        &admin::ProviderInput {
            name: "Göteborgs Stad, kommunal hälso- och sjukvård".into(),
            org_number: "212000-1355".into(),
            kind: "public".into(),
            regional_id: false,
        },
    )?;
    let hash = password::hash(DEMO_PASSWORD)?;
    let mut ids = std::collections::HashMap::new();
    for p in PEOPLE {
        let input = UserInput {
            hsa_id: p.hsa.into(),
            name: p.name.into(),
            email: format!("{}@demo.example.se", p.hsa.to_lowercase()),
            roles: p.roles.iter().map(|r| r.code().to_string()).collect(),
            units: p
                .units
                .iter()
                .filter_map(|u| unit_ids.get(u))
                .map(|i| i.to_string())
                .collect(),
            is_decider: p.decider,
            active: true,
        };
        let created = admin::create_user(
            conn,
            &system,
            &input,
            FirstPassword::Temporary(DEMO_PASSWORD),
        )?;
        users::set_password(conn, created.user_id, Some(&hash), false, db::ts(now))?;
        let sealed = keys
            .seal(&demo_secret(p.hsa), &secrets::user_place(created.user_id))
            .map_err(|e| ServiceError::Refused(format!("demo TOTP secret: {e}").into()))?;
        users::set_totp(conn, created.user_id, Some(&sealed), None)?;
        ids.insert(p.hsa, created.user_id);
    }
    let psyk = unit_ids["PSYK-SU"];
    let vc = unit_ids["VC-MAJ"];
    let akut = unit_ids["AKUT-NAL"];
    // The manager of PSYK-SU is Mats.
    admin::update_unit(
        conn,
        &system,
        psyk,
        &UnitInput {
            code: "PSYK-SU".into(),
            name: "Psykiatri Affektiva, Sahlgrenska".into(),
            manager_user_id: ids[PEOPLE[2].hsa].to_string(),
            chief_physician_function: "Chefläkare Område Göteborg".into(),
            chief_physician_email: "chefslakare.demo@example.se".into(),
            active: true,
            ..Default::default()
        },
    )?;
    let as_user = |conn: &mut DbConnection, i: usize| -> Result<Ctx, ServiceError> {
        Ok(Ctx {
            now,
            client_addr: "demo".into(),
            principal: match session::load_holder(conn, ids[PEOPLE[i].hsa])? {
                session::Holder::Staff(a) => super::Principal::Staff(a),
                session::Holder::Nobody => return Err(ServiceError::NotFound),
            },
        })
    };
    let doris = as_user(conn, 0)?;
    let sara = as_user(conn, 1)?;
    let vera = as_user(conn, 3)?;
    let hugo = as_user(conn, 5)?;
    // Checklist item 2 is compared with the population register the demo serves.
    let register = crate::register::FileRegister::demo(
        now.with_timezone(&chrono_tz::Europe::Stockholm)
            .date_naive(),
    )
    .map_err(|e| ServiceError::Refused(e.to_string().into()))?;
    let sara_id = ids[PEOPLE[1].hsa];
    let ver = |conn: &mut DbConnection, id: i64| -> Result<i32, ServiceError> {
        Ok(crate::db::cases::get(conn, id)?
            .map(|c| c.version)
            .unwrap_or(1))
    };
    let submitted = |conn: &mut DbConnection, pnr: &str, name: &str| -> Result<i64, ServiceError> {
        let id = cases::create_draft(conn, &doris, &lock_input(psyk, sara_id, pnr, name, now), wf)?;
        let v = ver(conn, id)?;
        cases::sign(conn, &doris, id, v, wf)?;
        let v = ver(conn, id)?;
        cases::submit(conn, &doris, id, v)?;
        Ok(id)
    };
    let checks = |conn: &mut DbConnection, id: i64| -> Result<(), ServiceError> {
        for item in ["register_match", "earlier_cases", "category"] {
            let v = ver(conn, id)?;
            cases::check_item(conn, &hugo, id, v, item, "", &register)?;
        }
        Ok(())
    };
    // Received, checked, verified and executed by Hugo (with the helpdesk reference).
    let handle = |conn: &mut DbConnection, id: i64, helpdesk: &str| -> Result<(), ServiceError> {
        let v = ver(conn, id)?;
        cases::receive(conn, &hugo, id, v)?;
        checks(conn, id)?;
        let v = ver(conn, id)?;
        cases::verify(conn, &hugo, id, v)?;
        let v = ver(conn, id)?;
        cases::execute(
            conn,
            &hugo,
            id,
            &ExecuteInput {
                helpdesk_ref: helpdesk.into(),
                confirmed: true,
                version: v,
            },
            wf,
        )?;
        Ok(())
    };
    // An executed lock (Tolvan), noted in Plexus, its feedback delivered: closed. It is in
    // force, so the newcomer can file an unlock that refers to it.
    let t = submitted(conn, "19121212-1212", "Tolvan Tolvansson")?;
    handle(conn, t, "RÄLS-10001")?;
    let v = ver(conn, t)?;
    cases::record_plexus(conn, &hugo, t, v, "PX-501")?;
    db::write_tx(conn, |c| super::outbox::demo_delivered(c, t, now))?;
    // An executed lock whose review is coming up (for the review page).
    let g = submitted(conn, "19090121+9931", "Gustav Gran")?;
    handle(conn, g, "RÄLS-10003")?;
    // A lock lifted by an executed unlock (Ivar): the lock's page says "Upplåst genom …".
    let i = submitted(conn, "19800314-1234", "Ivar Isaksson")?;
    handle(conn, i, "RÄLS-10004")?;
    let mut unlock = lock_input(psyk, sara_id, "19800314-1234", "Ivar Isaksson", now);
    unlock.kind = "unlock".into();
    unlock.related_case_id = i.to_string();
    unlock.assessment_reasons = "Hotbilden är borta; patienten har flyttat från närstående.".into();
    unlock.assessment_risks = "Inga kvarstående risker med tillgång till 1177.se.".into();
    unlock.assessment_scope = "Hela inloggningen låses upp.".into();
    let u = cases::create_draft(conn, &doris, &unlock, wf)?;
    let v = ver(conn, u)?;
    cases::sign(conn, &doris, u, v, wf)?;
    let v = ver(conn, u)?;
    cases::submit(conn, &doris, u, v)?;
    handle(conn, u, "RÄLS-10005")?;
    // A paper form from a unit without users in Kontospärr (its review-responsible person named),
    // scanned and attached, received with the arrival stamp.
    let mut paper = lock_input(akut, 0, "19850707-2349", "Jonna Jonsson", now);
    paper.review_responsible_user_id = String::new();
    paper.review_responsible_name = "Per Persson".into();
    paper.review_responsible_email = "per.persson@demo.example.se".into();
    paper.review_responsible_hsa_id = "SE2321000131-E000000000201".into();
    let today = now
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive();
    paper.arrival_date = (today - chrono::Days::new(1)).to_string();
    paper.decider_name = "Per Persson".into();
    paper.decider_role = "Verksamhetschef".into();
    paper.decider_hsa_id = "SE2321000131-E000000000201".into();
    paper.decided_on = paper.journal_note_date.clone();
    let p = cases::register_paper(conn, &hugo, &paper, wf)?;
    super::attachments::add(
        conn,
        &hugo,
        p,
        DEMO_SCAN,
        "blankett.pdf",
        files.dir,
        files.max_bytes,
    )?;
    // A lock sent by an e-form platform through the intake API.
    let token = super::intake::create_client(conn, &system, "Barium (demo)")?;
    if let Some(client) = super::intake::client_for_token(conn, &token)? {
        let api = Ctx {
            now,
            client_addr: "demo (Barium (demo))".into(),
            principal: super::Principal::ApiClient {
                id: client.id,
                name: client.name.clone(),
            },
        };
        let request = super::intake::IntakeRequest {
            kind: "lock".into(),
            unit_code: "PSYK-SU".into(),
            citizen_personnummer: "19910512-3450".into(),
            citizen_name: "Karl Karlsson".into(),
            risk_kinds: vec!["men".into()],
            basis: vec!["medical".into()],
            situations: vec!["psychiatric".into()],
            assessment_reasons: "Patienten läser provsvar utan stöd och har försämrats.".into(),
            assessment_risks: "Risk för allvarlig psykisk skada.".into(),
            assessment_scope: "Hela inloggningen på 1177.se; omprövas efter tre månader.".into(),
            requested_by: "staff".into(),
            journal_note_date: (today - chrono::Days::new(2)).to_string(),
            chief_informed_date: (today - chrono::Days::new(2)).to_string(),
            journal_sealing_requested: Some(false),
            chief_informed_whom: "Cecilia Chefläkare".into(),
            patient_not_informed_reason: "patient_safety".into(),
            review_responsible_hsa_id: PEOPLE[0].hsa.into(),
            decider_name: PEOPLE[0].name.into(),
            decider_hsa_id: PEOPLE[0].hsa.into(),
            decider_role: "Legitimerad läkare med behandlingsansvar".into(),
            decided_on: (today - chrono::Days::new(2)).to_string(),
            ..Default::default()
        };
        super::intake::file_case(
            conn,
            &api,
            &client,
            "demo-1",
            "demo",
            &request,
            wf.journal_note_max_age_days,
        )?;
    }
    // Verified, waiting for execution.
    let f = submitted(conn, "19090527+1474", "Fredrik Frost")?;
    let v = ver(conn, f)?;
    cases::receive(conn, &hugo, f, v)?;
    checks(conn, f)?;
    let v = ver(conn, f)?;
    cases::verify(conn, &hugo, f, v)?;
    // Received, checklist under way.
    let d = submitted(conn, "20000229-2399", "David Dahl")?;
    let v = ver(conn, d)?;
    cases::receive(conn, &hugo, d, v)?;
    let v = ver(conn, d)?;
    cases::check_item(conn, &hugo, d, v, "register_match", "", &register)?;
    // Returned for completion.
    let e = submitted(conn, "19730288-9931", "Erik Ek")?;
    let v = ver(conn, e)?;
    cases::return_case(
        conn,
        &hugo,
        e,
        v,
        "Ange vem som informerade chefläkaren och när patienten informerades.",
        wf,
    )?;
    // Submitted, new in the queue.
    submitted(conn, "19460823-9986", "Britt Berg")?;
    // A draft prepared by a nurse, waiting for a decider's signature.
    let mut partial = lock_input(psyk, sara_id, "19570428-9999", "Anna Andersson", now);
    partial.assessment_scope.clear();
    cases::create_draft(conn, &sara, &partial, wf)?;
    // A withdrawn draft: a second lock for Gustav, who is locked already (confirmed with a
    // reason, as a duplicate must be).
    let mut again = lock_input(psyk, sara_id, "19090121+9931", "Gustav Gran", now);
    again.duplicate_reason = "Ny hotbild; vill säkerställa att låsningen gäller.".into();
    let w = cases::create_draft(conn, &sara, &again, wf)?;
    let v = ver(conn, w)?;
    cases::withdraw(
        conn,
        &sara,
        w,
        v,
        "Patienten har flyttat till annan region.",
    )?;
    // An emergency lock waiting for the citizen's form (protected identity).
    cases::register_call(
        conn,
        &hugo,
        &CallInput {
            caller_name: "Sara Sjuksköterska".into(),
            caller_phone: "031-342 00 00".into(),
            caller_email: "sara.sjukskoterska@example.se".into(),
            unit_id: psyk.to_string(),
            citizen_pnr: "20000405-9937".into(),
            citizen_name: "Cecilia Carlsson".into(),
            citizen_protected: true,
            requested_by: "citizen".into(),
            helpdesk_ref: "RÄLS-10002".into(),
            category_chosen: true,
            duplicate_reason: String::new(),
        },
        wf,
    )?;
    // A lock executed 83 days ago, its review due within the next two weeks: the demo manager's
    // start page and "Omprövningar" show a review to do (a reminder goes out in office hours).
    // Made last, so that the region's first five diary numbers stay as they are; early in a year
    // its number is of the year before.
    let then = now - chrono::Duration::days(83);
    let at = |ctx: &Ctx| Ctx {
        now: then,
        ..ctx.clone()
    };
    let (doris_then, hugo_then) = (at(&doris), at(&hugo));
    let l = cases::create_draft(
        conn,
        &doris_then,
        &lock_input(psyk, sara_id, "19640823-3234", "Lena Lind", then),
        wf,
    )?;
    let v = ver(conn, l)?;
    cases::sign(conn, &doris_then, l, v, wf)?;
    let v = ver(conn, l)?;
    cases::submit(conn, &doris_then, l, v)?;
    let v = ver(conn, l)?;
    cases::receive(conn, &hugo_then, l, v)?;
    for item in ["register_match", "earlier_cases", "category"] {
        let v = ver(conn, l)?;
        cases::check_item(conn, &hugo_then, l, v, item, "", &register)?;
    }
    let v = ver(conn, l)?;
    cases::verify(conn, &hugo_then, l, v)?;
    let v = ver(conn, l)?;
    cases::execute(
        conn,
        &hugo_then,
        l,
        &ExecuteInput {
            helpdesk_ref: "RÄLS-10006".into(),
            confirmed: true,
            version: v,
        },
        wf,
    )?;
    // Another unit's draft (not visible to PSYK-SU).
    let vera_id = vera.user_id().unwrap_or_default();
    cases::create_draft(
        conn,
        &vera,
        &lock_input(vc, vera_id, "20210791-9967", "Hanna Holm", now),
        wf,
    )?;
    settings::set(conn, MARKER, "true")?;
    Ok(())
}
