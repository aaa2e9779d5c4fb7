//! The one portable schema, the same for SQLite and PostgreSQL (see `migrations/`).

diesel::table! {
    users (id) {
        id -> BigInt,
        hsa_id -> Text,
        name -> Text,
        email -> Text,
        is_decider -> Bool,
        active -> Bool,
        password_hash -> Nullable<Text>,
        must_change_password -> Bool,
        totp_secret -> Nullable<Text>,
        totp_last_step -> Nullable<BigInt>,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        last_login_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        lang -> Text,
    }
}

diesel::table! {
    units (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        manager_user_id -> Nullable<BigInt>,
        chief_physician_function -> Text,
        chief_physician_email -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        medical_lead_user_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    user_units (user_id, unit_id) {
        user_id -> BigInt,
        unit_id -> BigInt,
    }
}

diesel::table! {
    user_roles (user_id, role) {
        user_id -> BigInt,
        role -> Text,
    }
}

diesel::table! {
    care_providers (id) {
        id -> BigInt,
        name -> Text,
        org_number -> Text,
        approved -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        kind -> Text,
        regional_id -> Bool,
    }
}

diesel::table! {
    enrolment_tokens (token_hash) {
        token_hash -> Text,
        user_id -> BigInt,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        user_id -> Nullable<BigInt>,
        stage -> Text,
        csrf_token -> Text,
        pending_totp_secret -> Nullable<Text>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        client_addr -> Text,
        login_method -> Nullable<Text>,
        oidc_pending -> Nullable<Text>,
        id_token -> Nullable<Text>,
    }
}

diesel::table! {
    access_log (id) {
        id -> BigInt,
        at -> Timestamp,
        user_hsa_id -> Nullable<Text>,
        role -> Nullable<Text>,
        unit_code -> Nullable<Text>,
        action -> Text,
        object -> Nullable<Text>,
        personnummer -> Nullable<Text>,
        client_addr -> Nullable<Text>,
        detail -> Nullable<Text>,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
        seal_seq -> Nullable<BigInt>,
    }
}

diesel::table! {
    access_log_subjects (entry_id, personnummer) {
        entry_id -> BigInt,
        personnummer -> Text,
    }
}

diesel::table! {
    /// SQLite's citizen index of `access_log_subjects`, built in rounds up to
    /// `access_log_citizens_head` (empty on PostgreSQL, which indexes the subjects directly).
    access_log_citizens (personnummer, entry_id) {
        personnummer -> Text,
        entry_id -> BigInt,
    }
}

diesel::table! {
    /// SQLite's index of the log by case (`object = case:ID`), built in rounds with the citizen
    /// index, up to `access_log_citizens_head` (empty on PostgreSQL, which indexes `object`).
    access_log_cases (case_id, entry_id) {
        case_id -> BigInt,
        entry_id -> BigInt,
    }
}

diesel::table! {
    access_log_citizens_head (id) {
        id -> Integer,
        through_entry_id -> BigInt,
    }
}

diesel::table! {
    access_log_head (id) {
        id -> Integer,
        last_seq -> BigInt,
        last_hash -> Text,
        legacy_seq -> BigInt,
    }
}

diesel::table! {
    cases (id) {
        id -> BigInt,
        kind -> Text,
        status -> Text,
        version -> Integer,
        channel -> Text,
        unit_id -> BigInt,
        care_provider_id -> Nullable<BigInt>,
        citizen_pnr -> Text,
        citizen_name -> Text,
        citizen_protected -> Bool,
        citizen_contact -> Text,
        risk_kinds -> Text,
        basis -> Text,
        situations -> Text,
        situation_other -> Text,
        assessment_reasons -> Text,
        assessment_risks -> Text,
        assessment_scope -> Text,
        requested_by -> Text,
        decider_user_id -> Nullable<BigInt>,
        decider_name -> Text,
        decider_role -> Text,
        decider_hsa_id -> Text,
        decided_on -> Nullable<Date>,
        journal_note_date -> Nullable<Date>,
        chief_informed_date -> Nullable<Date>,
        chief_informed_whom -> Text,
        patient_informed_date -> Nullable<Date>,
        patient_not_informed_reason -> Text,
        journal_sealing_requested -> Bool,
        review_responsible_user_id -> Nullable<BigInt>,
        related_case_id -> Nullable<BigInt>,
        diary_year -> Nullable<Integer>,
        diary_seq -> Nullable<BigInt>,
        diary_number -> Nullable<Text>,
        helpdesk_ref -> Text,
        plexus_ref -> Text,
        arrival_date -> Nullable<Date>,
        return_reason -> Text,
        withdraw_reason -> Text,
        caller_name -> Text,
        caller_phone -> Text,
        caller_email -> Text,
        form_linked_at -> Nullable<Timestamp>,
        executed_at -> Nullable<Timestamp>,
        executed_by_user_id -> Nullable<BigInt>,
        review_due -> Nullable<Date>,
        submitted_at -> Nullable<Timestamp>,
        created_by_user_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        journal_note_reason -> Text,
        journal_sealing_answered -> Bool,
        duplicate_reason -> Text,
        review_responsible_name -> Text,
        review_responsible_email -> Text,
        review_responsible_hsa_id -> Text,
        returned_count -> Integer,
    }
}

diesel::table! {
    case_events (id) {
        id -> BigInt,
        case_id -> BigInt,
        at -> Timestamp,
        user_id -> Nullable<BigInt>,
        actor_name -> Text,
        action -> Text,
        detail -> Text,
        detail_msg -> Nullable<Text>,
    }
}

diesel::table! {
    case_checks (case_id, item) {
        case_id -> BigInt,
        item -> Text,
        done_by_user_id -> BigInt,
        done_by_name -> Text,
        done_at -> Timestamp,
        note -> Text,
    }
}

diesel::table! {
    diary_counters (year) {
        year -> Integer,
        last_seq -> BigInt,
    }
}

diesel::table! {
    app_settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    api_clients (id) {
        id -> BigInt,
        name -> Text,
        token_hash -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_requests (client_id, idempotency_key) {
        client_id -> BigInt,
        idempotency_key -> Text,
        request_hash -> Text,
        case_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    attachments (id) {
        id -> BigInt,
        case_id -> BigInt,
        filename -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        storage_key -> Text,
        uploaded_by_user_id -> Nullable<BigInt>,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        kind -> Text,
        case_id -> Nullable<BigInt>,
        unit_id -> Nullable<BigInt>,
        recipient -> Text,
        encrypted -> Bool,
        message -> Binary,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        claimed_by -> Text,
        last_error -> Text,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    unit_certificates (unit_id) {
        unit_id -> BigInt,
        pem -> Text,
        subject -> Text,
        not_before -> Timestamp,
        not_after -> Timestamp,
        fingerprint -> Text,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    reminders (id) {
        id -> BigInt,
        case_id -> BigInt,
        key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reviews (id) {
        id -> BigInt,
        case_id -> BigInt,
        decided_at -> Timestamp,
        user_id -> BigInt,
        outcome -> Text,
        patient_informed_date -> Nullable<Date>,
        patient_not_informed_reason -> Text,
        note -> Text,
        next_review -> Nullable<Date>,
        due_on -> Nullable<Date>,
        decided_on -> Nullable<Date>,
    }
}

diesel::table! {
    login_throttle (user_id, client_addr) {
        user_id -> BigInt,
        client_addr -> Text,
        failures -> Integer,
        locked_until -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    node_heartbeats (node) {
        node -> Text,
        beat_at -> Timestamp,
    }
}

diesel::table! {
    audit_spot_checks (id) {
        id -> BigInt,
        created_at -> Timestamp,
        user_id -> BigInt,
        user_name -> Text,
        user_hsa_id -> Text,
        period_from -> Date,
        period_to -> Date,
        scope -> Text,
        sample_size -> Integer,
        findings -> Text,
        outcome -> Text,
        follow_up -> Text,
    }
}

diesel::table! {
    audit_spot_check_entries (check_id, entry_id) {
        check_id -> BigInt,
        entry_id -> BigInt,
    }
}

diesel::joinable!(access_log_subjects -> access_log (entry_id));
diesel::joinable!(access_log_citizens -> access_log (entry_id));
diesel::joinable!(access_log_cases -> access_log (entry_id));
diesel::joinable!(audit_spot_check_entries -> audit_spot_checks (check_id));
diesel::joinable!(audit_spot_check_entries -> access_log (entry_id));
diesel::joinable!(cases -> units (unit_id));
diesel::joinable!(case_events -> cases (case_id));
diesel::joinable!(case_checks -> cases (case_id));
diesel::joinable!(user_units -> users (user_id));
diesel::joinable!(user_units -> units (unit_id));
diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(enrolment_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    units,
    user_units,
    user_roles,
    care_providers,
    enrolment_tokens,
    recovery_codes,
    sessions,
    access_log,
    access_log_subjects,
    access_log_citizens,
    access_log_cases,
    access_log_citizens_head,
    access_log_head,
    cases,
    case_events,
    case_checks,
    diary_counters,
    app_settings,
    api_clients,
    api_requests,
    attachments,
    outbox,
    unit_certificates,
    reminders,
    reviews,
    node_heartbeats,
    audit_spot_checks,
    audit_spot_check_entries,
);
