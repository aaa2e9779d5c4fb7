//! The case form's decoder, as `HtmlForm<CaseInput>` runs it on a POSTed
//! `application/x-www-form-urlencoded` body (`serde_html_form`): never panics on any bytes, and a
//! decoded form's typed values go through the pure checks the service runs on them (personnummer,
//! HSA-ID, dates, choices) without panicking either.
#![no_main]

use kontosparr::domain::personnummer::Personnummer;
use kontosparr::domain::{HsaId, grounds};
use kontosparr::service::cases::CaseInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_html_form::from_bytes::<CaseInput>(data) else {
        return;
    };
    let Some(today) = chrono::NaiveDate::from_ymd_opt(2026, 11, 23) else {
        return;
    };
    let _ = Personnummer::parse(&input.citizen_pnr, today);
    let _ = HsaId::parse(&input.decider_hsa_id);
    for d in [
        &input.journal_note_date,
        &input.chief_informed_date,
        &input.patient_informed_date,
        &input.arrival_date,
        &input.decided_on,
    ] {
        let _ = chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d");
    }
    for (values, allowed) in [
        (&input.risk_kinds, grounds::RISKS),
        (&input.basis, grounds::BASIS),
        (&input.situations, grounds::SITUATIONS),
    ] {
        let kept: Vec<String> = values
            .iter()
            .filter(|v| grounds::is_choice(allowed, v.trim()))
            .cloned()
            .collect();
        let joined = grounds::join(&kept);
        assert_eq!(grounds::split(&joined).len(), kept.len(), "{values:?}");
    }
});
